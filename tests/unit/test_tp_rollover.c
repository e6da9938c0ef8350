/*
 * test_tp_rollover: the client side of CA rollover (tp_rollover.h) with
 * certificates made in the test: a GetNextCACert answer judged against
 * the current CA (good, link, and each rogue kind), the shadow CA stored
 * and switched to at expiry, and peers of both CAs verified across it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "scep_msg.h"
#include "store.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "verify.h"
#include "helpers.h"

#define T0	1700000000L		/* the test's "now" */
#define DAY	86400L

struct pair {
	X509		*x;
	EVP_PKEY	*k;
};

static void
ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ex;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	assert_non_null(ex);
	assert_true(X509_add_ext(x, ex, -1));
	X509_EXTENSION_free(ex);
}

/*
 * A certificate for key (a new P-256 key when NULL) named cn, issued by
 * iss (self-signed when NULL), valid from T0 + nb to T0 + na.
 */
static struct pair
mk(const char *cn, EVP_PKEY *key, const struct pair *iss, int ca, long nb,
    long na, long serial)
{
	struct pair	 p;
	X509_NAME	*n = X509_NAME_new();

	p.k = key ? key : EVP_EC_gen("P-256");
	if (key != NULL)
		EVP_PKEY_up_ref(key);
	p.x = X509_new();
	assert_non_null(p.k);
	X509_set_version(p.x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(p.x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(p.x, n);
	X509_set_issuer_name(p.x, iss ? X509_get_subject_name(iss->x) : n);
	X509_time_adj_ex(X509_getm_notBefore(p.x), 0, nb, &(time_t){ T0 });
	X509_time_adj_ex(X509_getm_notAfter(p.x), 0, na, &(time_t){ T0 });
	X509_set_pubkey(p.x, p.k);
	ext(p.x, iss ? iss->x : p.x, NID_basic_constraints, ca ?
	    "critical,CA:TRUE" : "CA:FALSE");
	ext(p.x, iss ? iss->x : p.x, NID_key_usage, ca ?
	    "critical,keyCertSign,cRLSign" : "digitalSignature");
	ext(p.x, iss ? iss->x : p.x, NID_subject_key_identifier, "hash");
	if (iss != NULL)
		ext(p.x, iss->x, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(p.x, iss ? iss->k : p.k, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return p;
}

static void
pfree(struct pair *p)
{
	X509_free(p->x);
	EVP_PKEY_free(p->k);
}

/* The DER of cms, which is freed. */
static unsigned char *
der_of(CMS_ContentInfo *cms, size_t *len)
{
	unsigned char	*out, *p;
	int		 n;

	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, NULL);
	out = p = malloc((size_t)n);
	i2d_CMS_ContentInfo(cms, &p);
	*len = (size_t)n;
	CMS_ContentInfo_free(cms);
	return out;
}

/* The answer: certs in a degenerate PKCS#7, signed by signer (or not). */
static unsigned char *
answer(size_t *len, const struct pair *signer, X509 *a, X509 *b)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	CMS_ContentInfo	*cms;
	unsigned char	*inner = NULL, *out = NULL;
	size_t		 ilen;
	BIO		*bio;
	struct err	 e;

	sk_X509_push(sk, a);
	if (b != NULL)
		sk_X509_push(sk, b);
	if (signer == NULL)
		cms = CMS_sign(NULL, NULL, sk, NULL, CMS_BINARY | CMS_PARTIAL);
	else {
		assert_int_equal(scep_degenerate_build(&inner, &ilen, sk, NULL,
		    &e), 0);
		bio = BIO_new_mem_buf(inner, (int)ilen);
		cms = CMS_sign(signer->x, signer->k, NULL, bio, CMS_BINARY);
		BIO_free(bio);
	}
	out = der_of(cms, len);
	sk_X509_free(sk);
	free(inner);
	return out;
}

/* A SignedData over the next CA with two signers. */
static unsigned char *
answer2(size_t *len, const struct pair *s1, const struct pair *s2, X509 *a)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	CMS_ContentInfo	*cms;
	unsigned char	*inner = NULL, *out;
	size_t		 ilen;
	BIO		*bio;
	struct err	 e;

	sk_X509_push(sk, a);
	assert_int_equal(scep_degenerate_build(&inner, &ilen, sk, NULL, &e), 0);
	bio = BIO_new_mem_buf(inner, (int)ilen);
	cms = CMS_sign(s1->x, s1->k, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	assert_non_null(cms);
	assert_non_null(CMS_add1_signer(cms, s2->x, s2->k, NULL, 0));
	assert_int_equal(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
	out = der_of(cms, len);
	BIO_free(bio);
	sk_X509_free(sk);
	free(inner);
	return out;
}

/* Judge an answer; 0 or the code, with the message's rule checked. */
static int
judge(const struct pair *cur, const struct pair *signer, X509 *a, X509 *b,
    const char *rule)
{
	struct tp_nextca n;
	struct err	 e;
	unsigned char	*der;
	size_t		 len;
	int		 rc;

	der = answer(&len, signer, a, b);
	err_clear(&e);
	rc = tp_nextca_parse(&n, der, len, cur->x, T0, &e);
	if (rule != NULL) {
		if (strstr(e.msg, rule) == NULL)
			fail_msg("expected \"%s\", got \"%s\"", rule, e.msg);
	}
	tp_nextca_clear(&n);
	free(der);
	return rc;
}

static void
test_accept(void **state)
{
	struct pair	 cur = mk("Old CA", NULL, NULL, 1, -300 * DAY, 60 * DAY,
			    1);
	struct pair	 nxt = mk("New CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 link = mk("New CA", nxt.k, &cur, 1, -DAY, 60 * DAY, 3);
	struct pair	 ra = mk("New RA", NULL, &nxt, 0, -DAY, 300 * DAY, 4);
	struct tp_nextca n;
	struct err	 e;
	unsigned char	*der;
	size_t		 len;

	(void)state;
	/* Signed by the current CA: the next CA and its RA. */
	der = answer(&len, &cur, ra.x, nxt.x);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e), 0);
	assert_int_equal(X509_cmp(n.ca, nxt.x), 0);
	assert_int_equal(sk_X509_num(n.certs), 2);
	assert_int_equal(X509_cmp(sk_X509_value(n.certs, 1), ra.x), 0);
	assert_true(n.signed_by_ca);
	assert_null(n.link);
	tp_nextca_clear(&n);
	free(der);
	/* Unsigned, vouched for by a link certificate. */
	der = answer(&len, NULL, link.x, nxt.x);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e), 0);
	assert_int_equal(X509_cmp(n.ca, nxt.x), 0);
	assert_false(n.signed_by_ca);
	assert_int_equal(X509_cmp(n.link, link.x), 0);
	tp_nextca_clear(&n);
	free(der);
	pfree(&cur);
	pfree(&nxt);
	pfree(&link);
	pfree(&ra);
}

/* An EST /cacerts bag (RFC 7030 4.1.3) judged against chain = { cur }. */
static int
cacerts(struct tp_nextca *n, X509 *cur, X509 **bag, int nbag)
{
	STACK_OF(X509)	*certs = sk_X509_new_null(), *chain = sk_X509_new_null();
	struct err	 e;
	int		 i, rc;

	for (i = 0; i < nbag; i++)
		assert_true(sk_X509_push(certs, bag[i]) > 0);
	assert_true(sk_X509_push(chain, cur) > 0);
	rc = tp_nextca_from_cacerts(n, certs, chain, T0, &e);
	sk_X509_free(certs);
	sk_X509_free(chain);
	return rc;
}

/*
 * The four certificates of a rollover: a device of the old CA takes the
 * new one (NewWithOld vouches); a device of the new CA finds nothing to
 * take (not the old CA again); without NewWithOld nothing vouches.
 */
static void
test_est_cacerts(void **state)
{
	struct pair	 old = mk("CA", NULL, NULL, 1, -300 * DAY, 60 * DAY, 1);
	struct pair	 new = mk("CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 nwo = mk("CA", new.k, &old, 1, -DAY, 60 * DAY, 3);
	struct pair	 own = mk("CA", old.k, &new, 1, -DAY, 60 * DAY, 4);
	X509		*bag[4] = { new.x, old.x, own.x, nwo.x };
	struct tp_nextca n;

	(void)state;
	assert_int_equal(cacerts(&n, old.x, bag, 4), 0);
	assert_int_equal(X509_cmp(n.ca, new.x), 0);
	assert_int_equal(X509_cmp(n.link, nwo.x), 0);
	tp_nextca_clear(&n);
	assert_int_equal(cacerts(&n, new.x, bag, 4), ERR_NOTFOUND);
	assert_int_equal(cacerts(&n, old.x, bag, 1), ERR_REFUSED);
	assert_int_equal(cacerts(&n, old.x, bag + 1, 1), ERR_NOTFOUND);
	pfree(&old);
	pfree(&new);
	pfree(&nwo);
	pfree(&own);
}

static void
test_rogue(void **state)
{
	struct pair	 cur = mk("Old CA", NULL, NULL, 1, -300 * DAY, 60 * DAY,
			    1);
	struct pair	 nxt = mk("New CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 other = mk("Other CA", NULL, NULL, 1, -DAY, 700 * DAY,
			    5);
	/* Same name and serial as the current CA, another key. */
	struct pair	 forged = mk("Old CA", NULL, NULL, 1, -300 * DAY,
			    60 * DAY, 1);
	struct pair	 leaf = mk("Not a CA", NULL, &cur, 0, -DAY, 700 * DAY, 6);
	struct pair	 old = mk("Expired CA", NULL, NULL, 1, -90 * DAY, -DAY,
			    7);
	struct pair	 brief = mk("Short CA", NULL, NULL, 1, -DAY, 30 * DAY, 8);
	struct pair	 late = mk("Late CA", NULL, NULL, 1, 90 * DAY, 900 * DAY,
			    9);
	/* Names the current CA as its issuer; signed by another key. */
	struct pair	 fake = mk("New CA", nxt.k, &other, 1, -DAY, 700 * DAY,
			    10);
	struct tp_nextca n;
	struct err	 e;
	unsigned char	*big;
	size_t		 len;

	(void)state;
	X509_set_issuer_name(fake.x, X509_get_subject_name(cur.x));
	X509_sign(fake.x, other.k, EVP_sha256());
	assert_int_equal(judge(&cur, &other, nxt.x, NULL, "signer certificate "
	    "is not the current CA"), ERR_REFUSED);
	assert_int_equal(judge(&cur, &forged, nxt.x, NULL, "does not verify "
	    "with the current CA certificate's key"), ERR_REFUSED);
	assert_int_equal(judge(&cur, NULL, nxt.x, NULL, "does not vouch"),
	    ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, leaf.x, NULL, "RFC 5280 4.2.1.9: "
	    "the next CA certificate is not a CA"), ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, old.x, NULL, "has expired"),
	    ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, brief.x, NULL, "no later than the "
	    "current CA"), ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, late.x, NULL, "only after the "
	    "current CA expires"), ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, nxt.x, other.x, "several "
	    "candidate CA certificates"), ERR_REFUSED);
	assert_int_equal(judge(&cur, &cur, fake.x, NULL, "signed by another "
	    "key"), ERR_REFUSED);
	assert_int_equal(judge(&cur, NULL, fake.x, NULL, "signed by another "
	    "key"), ERR_REFUSED);
	big = answer2(&len, &cur, &other, nxt.x);
	assert_int_equal(tp_nextca_parse(&n, big, len, cur.x, T0, &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "2 signers, not one"));
	free(big);
	/* Oversized and malformed answers. */
	big = calloc(1, TP_NEXTCA_MAX + 1);
	assert_int_equal(tp_nextca_parse(&n, big, TP_NEXTCA_MAX + 1, cur.x, T0,
	    &e), ERR_TOOBIG);
	assert_int_equal(tp_nextca_parse(&n, big, 64, cur.x, T0, &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "not a CMS message"));
	free(big);
	pfree(&cur);
	pfree(&nxt);
	pfree(&other);
	pfree(&forged);
	pfree(&leaf);
	pfree(&old);
	pfree(&brief);
	pfree(&late);
	pfree(&fake);
}

static void
test_window(void **state)
{
	struct pair	 ca = mk("CA", NULL, NULL, 1, 0, 100 * DAY, 1);

	(void)state;
	assert_int_equal(tp_rollover_start(ca.x, 0), T0 + 70 * DAY);
	assert_int_equal(tp_rollover_start(ca.x, 80), T0 + 80 * DAY);
	pfree(&ca);
	/* Shorter than the window: it opens at notBefore. */
	ca = mk("CA", NULL, NULL, 1, 0, 10 * DAY, 1);
	assert_int_equal(tp_rollover_start(ca.x, 0), T0);
	pfree(&ca);
}

/* Does leaf verify against anchors at time at? */
static int
verifies(STACK_OF(X509) *anchors, X509 *leaf, time_t at)
{
	struct verify_anchors	 a = { "trustpoint tp", anchors, 1, NULL };
	struct verify_opts	 o;
	struct verify_result	 res;
	struct verify		*v;
	struct err		 e;
	int			 rc;

	memset(&o, 0, sizeof(o));
	o.at = at;
	o.flags = VERIFY_NOREVOCATION;
	assert_int_equal(verify_new(&v, &a, 1, NULL, &e), 0);
	rc = verify_chain(&res, v, leaf, NULL, &o, &e);
	verify_result_free(&res);
	verify_free(v);
	return rc == 0;
}

static STACK_OF(X509) *
anchors(struct store *st, int next)
{
	struct tp_certs	 tc;
	struct err	 e;
	STACK_OF(X509)	*sk;

	assert_int_equal(tp_certs_load(&tc, st, "tp", &e), 0);
	sk = tc.chain;
	tc.chain = NULL;
	tp_certs_clear(&tc);
	if (next)
		assert_int_equal(tp_anchors_add_next(sk, st, "tp", &e), 0);
	return sk;
}

/* A state directory whose trustpoint tp is authenticated to ca. */
static struct store *
with_ca(char **dir, X509 *ca)
{
	STACK_OF(X509)	*chain = sk_X509_new_null();
	struct store	*st;
	struct err	 e;

	*dir = th_tmpdir();
	assert_int_equal(store_open(&st, *dir, &e), 0);
	sk_X509_push(chain, ca);
	assert_int_equal(tp_store_ca(st, "tp", chain, NULL, NULL, &e), 0);
	sk_X509_free(chain);
	return st;
}

static void
done(struct store *st, char *dir, struct tp_nextca *n, unsigned char *der)
{
	tp_nextca_clear(n);
	free(der);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_store_switch(void **state)
{
	char		*dir;
	struct pair	 cur = mk("Old CA", NULL, NULL, 1, -300 * DAY, 60 * DAY,
			    1);
	struct pair	 nxt = mk("New CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 oldleaf = mk("old peer", NULL, &cur, 0, -DAY, 59 * DAY,
			    3);
	struct pair	 newleaf = mk("new peer", NULL, &nxt, 0, -DAY, 300 * DAY,
			    4);
	STACK_OF(X509)	*sk;
	struct tp_nextca n;
	struct tp_certs	 tc;
	struct store	*st = with_ca(&dir, cur.x);
	struct err	 e;
	unsigned char	*der;
	size_t		 len;
	X509		*x;

	(void)state;
	assert_int_equal(tp_ca_next_load(&x, st, "tp", &e), ERR_NOTFOUND);
	der = answer(&len, &cur, nxt.x, NULL);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e), 0);
	/* Judged against another CA than ca.pem holds: not stored. */
	assert_int_equal(tp_ca_next_store(st, "tp", nxt.x, &n, &e), ERR_BUSY);
	assert_int_equal(tp_ca_next_store(st, "tp", cur.x, &n, &e), 0);
	assert_int_equal(tp_ca_next_load(&x, st, "tp", &e), 0);
	assert_int_equal(X509_cmp(x, nxt.x), 0);
	X509_free(x);
	/* Overlap: peers of either CA verify; without the shadow, old only. */
	sk = anchors(st, 1);
	assert_true(verifies(sk, oldleaf.x, T0));
	assert_true(verifies(sk, newleaf.x, T0));
	sk_X509_pop_free(sk, X509_free);
	sk = anchors(st, 0);
	assert_false(verifies(sk, newleaf.x, T0));
	sk_X509_pop_free(sk, X509_free);
	/* Not before the old CA's notAfter; then one batch. */
	assert_int_equal(tp_rollover_switch(st, "tp", T0 + 60 * DAY - 1, &e),
	    0);
	assert_int_equal(tp_rollover_switch(st, "tp", T0 + 60 * DAY, &e), 1);
	assert_int_equal(tp_certs_load(&tc, st, "tp", &e), 0);
	assert_int_equal(X509_cmp(tc.ca, nxt.x), 0);
	assert_int_equal(sk_X509_num(tc.chain), 1);
	tp_certs_clear(&tc);
	assert_int_equal(tp_ca_next_load(&x, st, "tp", &e), ERR_NOTFOUND);
	assert_int_equal(tp_rollover_switch(st, "tp", T0 + 61 * DAY, &e), 0);
	/* After the switch: the new CA's peers only. */
	sk = anchors(st, 1);
	assert_true(verifies(sk, newleaf.x, T0 + 61 * DAY));
	assert_false(verifies(sk, oldleaf.x, T0 + 58 * DAY));
	sk_X509_pop_free(sk, X509_free);
	done(st, dir, &n, der);
	pfree(&cur);
	pfree(&nxt);
	pfree(&oldleaf);
	pfree(&newleaf);
}

/* A next CA under the same name, with a link: anchors told apart by key. */
static void
test_same_name(void **state)
{
	char		*dir;
	struct pair	 cur = mk("CA", NULL, NULL, 1, -300 * DAY, 60 * DAY, 1);
	struct pair	 nxt = mk("CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 link = mk("CA", nxt.k, &cur, 1, -DAY, 60 * DAY, 3);
	struct pair	 back = mk("CA", cur.k, &nxt, 1, -DAY, 60 * DAY, 4);
	struct pair	 oldleaf = mk("old", NULL, &cur, 0, -DAY, 59 * DAY, 5);
	struct pair	 newleaf = mk("new", NULL, &nxt, 0, -DAY, 300 * DAY, 6);
	STACK_OF(X509)	*sk;
	struct tp_nextca n;
	struct store	*st = with_ca(&dir, cur.x);
	struct err	 e;
	unsigned char	*der;
	size_t		 len;

	(void)state;
	/* Unsigned with the link; a link alone does not outlive the CA. */
	der = answer(&len, NULL, nxt.x, link.x);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e), 0);
	assert_int_equal(X509_cmp(n.ca, nxt.x), 0);
	assert_int_equal(X509_cmp(n.link, link.x), 0);
	tp_nextca_clear(&n);
	free(der);
	der = answer(&len, NULL, link.x, back.x);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "no later than the current CA"));
	free(der);
	/* Signed, with the new-signed-old link (the current CA's key). */
	der = answer(&len, &cur, nxt.x, back.x);
	assert_int_equal(tp_nextca_parse(&n, der, len, cur.x, T0, &e), 0);
	assert_int_equal(X509_cmp(n.ca, nxt.x), 0);
	assert_int_equal(sk_X509_num(n.certs), 1);
	assert_int_equal(tp_ca_next_store(st, "tp", cur.x, &n, &e), 0);
	sk = anchors(st, 1);
	assert_true(verifies(sk, oldleaf.x, T0));
	assert_true(verifies(sk, newleaf.x, T0));
	sk_X509_pop_free(sk, X509_free);
	/* Renew now: the router certificate is the old CA's, no shadow yet. */
	assert_true(tp_rollover_renew_now(st, "tp", oldleaf.x, NULL));
	assert_false(tp_rollover_renew_now(st, "tp", oldleaf.x, newleaf.x));
	assert_false(tp_rollover_renew_now(st, "tp", newleaf.x, NULL));
	assert_false(tp_rollover_renew_now(st, "tp", NULL, NULL));
	assert_false(tp_rollover_renew_now(st, "other", oldleaf.x, NULL));
	done(st, dir, &n, der);
	pfree(&cur);
	pfree(&nxt);
	pfree(&link);
	pfree(&back);
	pfree(&oldleaf);
	pfree(&newleaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_rogue),
		cmocka_unit_test(test_est_cacerts),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_store_switch),
		cmocka_unit_test(test_same_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
