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

/* The answer: certs in a degenerate PKCS#7, signed by signer (or not). */
static unsigned char *
answer(size_t *len, const struct pair *signer, X509 *a, X509 *b)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	CMS_ContentInfo	*cms;
	unsigned char	*inner = NULL, *out = NULL, *p;
	size_t		 ilen;
	BIO		*bio;
	struct err	 e;
	int		 n;

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
	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, NULL);
	out = p = malloc((size_t)n);
	i2d_CMS_ContentInfo(cms, &p);
	*len = (size_t)n;
	CMS_ContentInfo_free(cms);
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

static void
test_store_switch(void **state)
{
	char		*dir = th_tmpdir();
	struct pair	 cur = mk("Old CA", NULL, NULL, 1, -300 * DAY, 60 * DAY,
			    1);
	struct pair	 nxt = mk("New CA", NULL, NULL, 1, -DAY, 700 * DAY, 2);
	struct pair	 oldleaf = mk("old peer", NULL, &cur, 0, -DAY, 59 * DAY,
			    3);
	struct pair	 newleaf = mk("new peer", NULL, &nxt, 0, -DAY, 300 * DAY,
			    4);
	STACK_OF(X509)	*chain = sk_X509_new_null(), *sk;
	struct tp_nextca n;
	struct tp_certs	 tc;
	struct store	*st;
	struct err	 e;
	unsigned char	*der;
	size_t		 len;
	X509		*x;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	sk_X509_push(chain, cur.x);
	assert_int_equal(tp_store_ca(st, "tp", chain, NULL, NULL, &e), 0);
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
	tp_nextca_clear(&n);
	free(der);
	sk_X509_free(chain);
	store_free(st);
	th_rmtree(dir);
	free(dir);
	pfree(&cur);
	pfree(&nxt);
	pfree(&oldleaf);
	pfree(&newleaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_rogue),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_store_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
