/*
 * crl: the index answers exactly what OpenSSL answers (revoked and
 * not-revoked pairs), hostile CRLs and index files give clear errors, the
 * cache fetches from a distribution point over HTTP on 127.0.0.1, and
 * crl optional, expiry and revocation reach the verify result.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "err.h"
#include "helpers.h"
#include "store.h"
#include "verify.h"

#define NOW	1700000000	/* 2023-11-14 */
#define DAY	86400

static EVP_PKEY *
newkey(void)
{
	EVP_PKEY	*k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed CA.  dp: CRL distribution point or NULL. */
static X509 *
mkcert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, int ca, const char *dp)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	char		 buf[600];

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), NOW - 30 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), NOW + 365 * DAY);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	add_ext(x, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature");
	if (!ca)
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (dp != NULL) {
		snprintf(buf, sizeof(buf), "URI:%s", dp);
		add_ext(x, issuer, NID_crl_distribution_points, buf);
	}
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static void
add_revoked(X509_CRL *crl, ASN1_INTEGER *serial, time_t when, int reason)
{
	X509_REVOKED	*r = X509_REVOKED_new();
	ASN1_TIME	*t = ASN1_TIME_set(NULL, when);

	X509_REVOKED_set_serialNumber(r, serial);
	X509_REVOKED_set_revocationDate(r, t);
	if (reason >= 0) {
		ASN1_ENUMERATED	*e = ASN1_ENUMERATED_new();

		ASN1_ENUMERATED_set(e, reason);
		X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
		ASN1_ENUMERATED_free(e);
	}
	X509_CRL_add0_revoked(crl, r);
	ASN1_TIME_free(t);
}

static X509_CRL *
mkcrl(X509 *ca, EVP_PKEY *key, time_t this, time_t next)
{
	X509_CRL	*crl = X509_CRL_new();
	ASN1_TIME	*t;

	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = ASN1_TIME_set(NULL, this);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, next);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	(void)key;
	return crl;
}

static unsigned char *
signcrl(X509_CRL *crl, EVP_PKEY *key, size_t *len)
{
	unsigned char	*der = NULL;
	int		 n;

	X509_CRL_sort(crl);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	n = i2d_X509_CRL(crl, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

static ASN1_INTEGER *
serial_bytes(const unsigned char *b, int n)
{
	BIGNUM		*bn = BN_bin2bn(b, n, NULL);
	ASN1_INTEGER	*ai = BN_to_ASN1_INTEGER(bn, NULL);

	BN_free(bn);
	return ai;
}

/*
 * Every revoked serial of crl and its two neighbours: the index ix and
 * X509_CRL_get0_by_serial agree, and the serial itself is revoked.
 * Returns how many of them the index found revoked.
 */
static int
pairs_neighbours(struct crl_index *ix, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED)	*revs = X509_CRL_get_REVOKED(crl);
	ASN1_INTEGER		*s;
	BIGNUM			*bn;
	time_t			 date;
	int			 i, k, reason, ours, theirs, revoked = 0;

	for (i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		for (k = -1; k <= 1; k++) {
			bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(
			    sk_X509_REVOKED_value(revs, i)), NULL);
			if (k == -1)
				BN_sub_word(bn, 1);
			else if (k == 1)
				BN_add_word(bn, 1);
			s = BN_to_ASN1_INTEGER(bn, NULL);
			BN_free(bn);
			ours = crl_index_lookup(ix, s, &date, &reason);
			theirs = X509_CRL_get0_by_serial(crl, NULL, s) == 1;
			assert_int_equal(ours, theirs);
			revoked += ours;
			if (k == 0)
				assert_int_equal(ours, 1);
			ASN1_INTEGER_free(s);
		}
	}
	return revoked;
}

/* The first n entries of crl: the index gives their dates and reasons. */
static void
pairs_dates(struct crl_index *ix, X509_CRL *crl, int n)
{
	X509_REVOKED	*r;
	ASN1_ENUMERATED	*en;
	struct tm	 tm;
	time_t		 date;
	int		 i, reason;

	for (i = 0; i < n; i++) {
		r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		en = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
		assert_int_equal(crl_index_lookup(ix,
		    X509_REVOKED_get0_serialNumber(r), &date, &reason), 1);
		assert_int_equal(reason, en ? ASN1_ENUMERATED_get(en) : -1);
		ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm);
		assert_int_equal(date, timegm(&tm));
		ASN1_ENUMERATED_free(en);
	}
}

/*
 * 2000 revoked serials of 2 to 20 bytes, then every revoked serial, its
 * neighbours and 2000 random ones: the index and X509_CRL_get0_by_serial
 * give the same answer, with the same date and reason.
 */
static void
test_index_pairs(void **state)
{
	EVP_PKEY		*key = newkey();
	X509			*ca = mkcert("Pairs CA", 1, key, NULL, NULL, 1, NULL);
	X509_CRL		*crl = mkcrl(ca, key, NOW - DAY, NOW + DAY);
	struct crl_index	*ix;
	struct crl_info		 info;
	struct crl_der		*d;
	unsigned char		*idx, b[20];
	size_t			 idxlen, len;
	unsigned char		*der;
	ASN1_INTEGER		*s;
	int			 i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		/* Unique: a nonzero first byte and i in the first two. */
		RAND_bytes(b, sizeof(b));
		b[0] = (unsigned char)((i >> 8) + 1);
		b[1] = (unsigned char)i;
		s = serial_bytes(b, 2 + i % 19);
		add_revoked(crl, s, NOW - DAY - i, i % 3 == 0 ? i % 11 : -1);
		ASN1_INTEGER_free(s);
	}
	der = signcrl(crl, key, &len);
	assert_int_equal(crl_der_parse(&d, der, len, NULL), 0);
	assert_int_equal(crl_check(d, ca, NOW, NULL), 0);
	assert_int_equal(crl_index_build(&idx, &idxlen, d, ca, NULL, NULL), 0);
	crl_der_free(d);
	assert_int_equal(crl_index_open_mem(&ix, idx, idxlen, NULL), 0);
	crl_index_info(ix, &info);
	assert_int_equal(info.count, 2000);
	assert_true(info.modelled);
	assert_true(pairs_neighbours(ix, crl) >= 2000);
	for (i = 0; i < 2000; i++) {
		RAND_bytes(b, sizeof(b));
		s = serial_bytes(b, 1 + i % 20);
		assert_int_equal(crl_index_lookup(ix, s, NULL, NULL),
		    X509_CRL_get0_by_serial(crl, NULL, s) == 1);
		ASN1_INTEGER_free(s);
	}
	/* Dates and reasons of a few known entries. */
	pairs_dates(ix, crl, 50);
	crl_index_free(ix);
	free(idx);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(key);
}

struct pki {
	EVP_PKEY	*rkey, *lkey;
	X509		*root, *good, *bad;
	unsigned char	*der;
	size_t		 len;
	char		 url[256];
};

static void
pki_make(struct pki *p, const char *dp, time_t this, time_t next)
{
	X509_CRL	*crl;

	memset(p, 0, sizeof(*p));
	p->rkey = newkey();
	p->lkey = newkey();
	p->root = mkcert("Test Root", 1, p->rkey, NULL, NULL, 1, NULL);
	p->good = mkcert("good.example", 100, p->lkey, p->root, p->rkey, 0, dp);
	p->bad = mkcert("bad.example", 101, p->lkey, p->root, p->rkey, 0, dp);
	crl = mkcrl(p->root, p->rkey, this, next);
	add_revoked(crl, X509_get_serialNumber(p->bad), NOW - 2 * DAY, 1);
	p->der = signcrl(crl, p->rkey, &p->len);
	X509_CRL_free(crl);
}

static void
pki_free(struct pki *p)
{
	EVP_PKEY_free(p->rkey);
	EVP_PKEY_free(p->lkey);
	X509_free(p->root);
	X509_free(p->good);
	X509_free(p->bad);
	OPENSSL_free(p->der);
}

/* verify_chain from a new verifier anchored at root; untrusted may be NULL. */
static int
run_chain(struct verify_result *res, X509 *root, int optional,
    struct crl_cache *cache, X509 *leaf, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int flags, time_t at)
{
	struct verify_anchors	 a = { "trustpoint test", NULL, optional, NULL };
	struct verify_opts	 o;
	struct verify		*v;
	int			 rc;

	a.certs = sk_X509_new_null();
	sk_X509_push(a.certs, root);
	memset(&o, 0, sizeof(o));
	o.purpose = VERIFY_SSL_SERVER;
	o.at = at;
	o.flags = flags;
	o.crls = crls;
	assert_int_equal(verify_new(&v, &a, 1, cache, NULL), 0);
	rc = verify_chain(res, v, leaf, untrusted, &o, NULL);
	verify_free(v);
	sk_X509_free(a.certs);
	return rc;
}

static int
run(struct verify_result *res, X509 *root, int optional,
    struct crl_cache *cache, X509 *leaf, STACK_OF(X509_CRL) *crls, int flags,
    time_t at)
{
	return run_chain(res, root, optional, cache, leaf, NULL, crls, flags,
	    at);
}

/* Revoked and not-revoked leaves: the index path and OpenSSL's agree. */
static void
test_verify_pairs(void **state)
{
	struct pki		 p;
	struct crl_cache	*cache;
	struct verify_result	 res;
	STACK_OF(X509_CRL)	*crls = sk_X509_CRL_new_null();
	X509_CRL		*crl;
	char			*dir = th_tmpdir();

	(void)state;
	pki_make(&p, NULL, NOW - DAY, NOW + 7 * DAY);
	assert_int_equal(crl_parse(&crl, p.der, p.len, NULL), 0);
	sk_X509_CRL_push(crls, crl);
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	assert_int_equal(crl_cache_put(cache, p.der, p.len, p.root, NULL, NOW,
	    NULL), 0);

	assert_int_equal(run(&res, p.root, 0, cache, p.good, NULL,
	    VERIFY_NOFETCH, NOW), 0);
	assert_true(res.valid);
	assert_string_equal(res.anchor, "trustpoint test");
	assert_int_equal(res.nrev, 2);
	assert_int_equal(res.rev[0].status, VERIFY_REV_GOOD);
	assert_int_equal(res.rev[1].status, VERIFY_REV_ANCHOR);
	assert_false(res.openssl_crl);
	verify_result_free(&res);
	assert_int_equal(run(&res, p.root, 0, NULL, p.good, crls, 0, NOW), 0);
	assert_true(res.valid);
	assert_true(res.openssl_crl);
	verify_result_free(&res);

	assert_int_equal(run(&res, p.root, 0, cache, p.bad, NULL,
	    VERIFY_NOFETCH, NOW), ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CERT_REVOKED);
	assert_int_equal(res.rev[0].status, VERIFY_REV_REVOKED);
	assert_int_equal(res.rev[0].reason, 1);
	assert_int_equal(res.rev[0].date, NOW - 2 * DAY);
	assert_non_null(strstr(res.reason, "certificate revoked"));
	verify_result_free(&res);
	assert_int_equal(run(&res, p.root, 0, NULL, p.bad, crls, 0, NOW),
	    ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CERT_REVOKED);
	verify_result_free(&res);

	/* Past nextUpdate: the cached CRL no longer answers. */
	assert_int_equal(run(&res, p.root, 0, cache, p.good, NULL,
	    VERIFY_NOFETCH, NOW + 8 * DAY), ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CRL_HAS_EXPIRED);
	verify_result_free(&res);
	assert_int_equal(run(&res, p.root, 0, NULL, p.good, crls, 0,
	    NOW + 8 * DAY), ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CRL_HAS_EXPIRED);
	verify_result_free(&res);

	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	crl_cache_free(cache);
	pki_free(&p);
	th_rmtree(dir);
	free(dir);
}

/* No CRL at all: fails, unless crl optional, which says it skipped. */
static void
test_crl_optional(void **state)
{
	struct pki		 p;
	struct crl_cache	*cache;
	struct verify_result	 res;
	char			*dir = th_tmpdir();

	(void)state;
	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	assert_int_equal(run(&res, p.root, 0, cache, p.good, NULL, 0, NOW),
	    ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_UNABLE_TO_GET_CRL);
	assert_non_null(strstr(res.reason, "no usable CRL distribution point"));
	verify_result_free(&res);
	assert_int_equal(run(&res, p.root, 1, cache, p.good, NULL, 0, NOW), 0);
	assert_int_equal(res.rev[0].status, VERIFY_REV_SKIPPED);
	verify_result_free(&res);
	/* The revoked one passes too: nobody told us. */
	assert_int_equal(run(&res, p.root, 1, cache, p.bad, NULL, 0, NOW), 0);
	verify_result_free(&res);
	crl_cache_free(cache);
	pki_free(&p);
	th_rmtree(dir);
	free(dir);
}

static const unsigned char hostile_garbage[] = "\x30\x82\xff\xffnot a crl";

/* q's CRL put with the wrong issuer, too late, or garbage: nothing written. */
static void
hostile_cache(struct crl_cache *cache, struct pki *p, struct pki *q)
{
	struct crl_info	*v;
	struct err	 e;
	size_t		 n;

	assert_int_equal(crl_cache_put(cache, q->der, q->len, p->root, NULL,
	    NOW, &e), ERR_REFUSED);
	assert_int_equal(crl_cache_put(cache, q->der, q->len, q->root, NULL,
	    NOW + 2 * DAY, &e), ERR_REFUSED);
	assert_int_equal(crl_cache_put(cache, hostile_garbage,
	    sizeof(hostile_garbage), q->root, NULL, NOW, &e), ERR_INVAL);
	assert_int_equal(crl_cache_list(cache, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	free(v);
}

/* Damaged index files of d (issued by root), in memory and in dir. */
static void
hostile_index(const struct crl_der *d, X509 *root, const char *dir)
{
	struct crl_index	*ix;
	struct err		 e;
	unsigned char		*idx;
	size_t			 idxlen;
	char			 path[600];

	assert_int_equal(crl_index_build(&idx, &idxlen, d, root, NULL, &e), 0);
	assert_int_equal(crl_index_open_mem(&ix, idx, idxlen - 1, &e),
	    ERR_INVAL);
	assert_int_equal(crl_index_open_mem(&ix, idx, 10, &e), ERR_INVAL);
	idx[0] ^= 1;
	assert_int_equal(crl_index_open_mem(&ix, idx, idxlen, &e), ERR_INVAL);
	idx[0] ^= 1;
	snprintf(path, sizeof(path), "%s/bad.idx", dir);
	assert_int_equal(store_file_write(path, idx, idxlen / 2, 0644, &e), 0);
	assert_int_equal(crl_index_open(&ix, path, &e), ERR_INVAL);
	assert_int_equal(crl_index_open_mem(&ix, idx, idxlen, &e), 0);
	crl_index_free(ix);
	free(idx);
}

static void
test_hostile(void **state)
{
	struct pki		 p, q;
	struct crl_cache	*cache;
	struct crl_der		*d;
	struct err		 e;
	X509_CRL		*crl;
	unsigned char		*buf;
	char			*dir = th_tmpdir();

	(void)state;
	assert_int_equal(crl_parse(&crl, hostile_garbage,
	    sizeof(hostile_garbage), &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "CRL"));
	assert_int_equal(crl_parse(&crl, hostile_garbage,
	    (size_t)CRL_MAXSIZE + 1, &e), ERR_TOOBIG);
	assert_int_equal(crl_parse(&crl, hostile_garbage, 0, &e), ERR_INVAL);

	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	pki_make(&q, NULL, NOW - DAY, NOW + DAY);
	/* Trailing data. */
	buf = malloc(p.len + 1);
	memcpy(buf, p.der, p.len);
	buf[p.len] = 0;
	assert_int_equal(crl_parse(&crl, buf, p.len + 1, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "trailing"));
	free(buf);
	/* Signed by the wrong key (same name, other CA). */
	assert_int_equal(crl_parse(&crl, q.der, q.len, &e), 0);
	X509_CRL_free(crl);
	assert_int_equal(crl_der_parse(&d, q.der, q.len, &e), 0);
	assert_int_equal(crl_check(d, p.root, NOW, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "signature"));
	/* Expired, not yet valid. */
	assert_int_equal(crl_check(d, q.root, NOW + 2 * DAY, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "expired"));
	assert_int_equal(crl_check(d, q.root, NOW - 2 * DAY, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "not yet valid"));
	/* A certificate of another name as issuer. */
	assert_int_equal(crl_check(d, q.good, NOW, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "issuer"));

	/* The cache refuses them and writes nothing. */
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	hostile_cache(cache, &p, &q);
	hostile_index(d, q.root, dir);
	crl_der_free(d);

	/* Unreachable distribution point: a clear reason. */
	assert_int_equal(crl_cache_fetch(cache, "http://127.0.0.1:1/x.crl",
	    q.root, NULL, NOW, &e), ERR_NET);
	assert_non_null(strstr(e.msg, "127.0.0.1:1"));

	crl_cache_free(cache);
	pki_free(&p);
	pki_free(&q);
	th_rmtree(dir);
	free(dir);
}

/* The DER walk refuses what RFC 5280 and DER refuse, and says why. */
static void
test_der_hostile(void **state)
{
	static const unsigned char ecdsa256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
	    0xce, 0x3d, 0x04, 0x03, 0x02 };
	struct pki		 p;
	struct crl_der		*d;
	struct crl_cache	*cache;
	struct err		 e;
	unsigned char		*buf, *at = NULL, *q;
	char			*dir = th_tmpdir();
	size_t			 n;

	(void)state;
	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	buf = malloc(p.len + 1);
	memcpy(buf, p.der, p.len);
	assert_int_equal(crl_der_parse(&d, buf, p.len, &e), 0);
	crl_der_free(d);
	/* Outer signatureAlgorithm (the last one) says SHA-384. */
	for (q = buf; (q = memmem(q, p.len - (size_t)(q - buf), ecdsa256,
	    sizeof(ecdsa256))) != NULL; q++)
		at = q;
	assert_non_null(at);
	assert_true(at > buf + p.len / 2);
	at[sizeof(ecdsa256) - 1] = 0x03;
	assert_int_equal(crl_der_parse(&d, buf, p.len, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "RFC 5280 5.1.1.2"));
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	assert_int_equal(crl_cache_put(cache, buf, p.len, p.root, NULL, NOW,
	    &e), ERR_INVAL);
	assert_int_equal(crl_cache_put(cache, buf, p.len, NULL, NULL, NOW,
	    &e), ERR_INVAL);
	assert_int_equal(crl_parse(&(X509_CRL *){ NULL }, buf, p.len, &e),
	    ERR_INVAL);
	assert_non_null(strstr(e.msg, "RFC 5280 5.1.1.2"));
	at[sizeof(ecdsa256) - 1] = 0x02;
	/* Truncated anywhere, or a byte after the end: refused. */
	for (n = 0; n < p.len; n += 7)
		assert_int_not_equal(crl_der_parse(&d, buf, n, &e), 0);
	buf[p.len] = 0;
	assert_int_equal(crl_der_parse(&d, buf, p.len + 1, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "trailing"));
	/* Indefinite length (BER, not DER) at the top. */
	buf[1] = 0x80;
	assert_int_equal(crl_der_parse(&d, buf, p.len, &e), ERR_INVAL);
	free(buf);
	crl_cache_free(cache);
	pki_free(&p);
	th_rmtree(dir);
	free(dir);
}

/* A CRL of ca signed by key: PKCS#1 v1.5 (md), RSA-PSS (pss) or EdDSA. */
static unsigned char *
sign_with(X509 *ca, EVP_PKEY *key, int pss, size_t *len)
{
	X509_CRL	*crl = mkcrl(ca, key, NOW - DAY, NOW + DAY);
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	EVP_PKEY_CTX	*pc;
	unsigned char	*der = NULL;
	int		 n;

	add_revoked(crl, X509_get_serialNumber(ca), NOW - DAY, 1);
	assert_int_equal(EVP_DigestSignInit(md, &pc, EVP_PKEY_is_a(key,
	    "ED25519") ? NULL : EVP_sha256(), NULL, key), 1);
	if (pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc,
		    RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32), 1);
	}
	assert_true(X509_CRL_sign_ctx(crl, md) > 0);
	assert_true((n = i2d_X509_CRL(crl, &der)) > 0);
	*len = (size_t)n;
	EVP_MD_CTX_free(md);
	X509_CRL_free(crl);
	return der;
}

/*
 * The signature over the raw tbsCertList, for each kind of algorithm
 * identifier: with a digest (ECDSA, RSA PKCS#1), with parameters (RSA-PSS)
 * and without a digest (Ed25519).  The right key verifies, another key of
 * the same name does not, as OpenSSL's X509_CRL_verify says.
 */
static void
test_der_sigalgs(void **state)
{
	EVP_PKEY	*signer = newkey(), *keys[4], *others[4];
	X509		*ca, *other;
	struct crl_der	*d;
	struct err	 e;
	unsigned char	*der;
	size_t		 len;
	int		 i, pss;

	(void)state;
	keys[0] = newkey();
	others[0] = newkey();
	keys[1] = keys[2] = EVP_RSA_gen(2048);
	others[1] = others[2] = EVP_RSA_gen(2048);
	keys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	others[3] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (i = 0; i < 4; i++) {
		pss = i == 2;
		/* The CA's own signature does not matter here: ECDSA. */
		ca = mkcert("Alg CA", 1, keys[i], NULL, signer, 1, NULL);
		other = mkcert("Alg CA", 2, others[i], NULL, signer, 1, NULL);
		der = sign_with(ca, keys[i], pss, &len);
		assert_int_equal(crl_der_parse(&d, der, len, &e), 0);
		if (crl_check(d, ca, NOW, &e) != 0)
			fail_msg("algorithm %d: %s", i, e.msg);
		assert_int_equal(crl_check(d, other, NOW, &e), ERR_REFUSED);
		assert_non_null(strstr(e.msg, "signature"));
		crl_der_free(d);
		OPENSSL_free(der);
		X509_free(ca);
		X509_free(other);
	}
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(others[0]);
	EVP_PKEY_free(keys[1]);
	EVP_PKEY_free(others[1]);
	EVP_PKEY_free(keys[3]);
	EVP_PKEY_free(others[3]);
	EVP_PKEY_free(signer);
}

/* The CRL block of a BoringSSL test file, DER, malloc'd. */
static unsigned char *
bssl_crl(const char *file, size_t *len)
{
	char		 path[512], *name = NULL, *hdr = NULL;
	unsigned char	*data = NULL, *out = NULL;
	long		 dlen;
	BIO		*b;

	snprintf(path, sizeof(path), "%s/boringssl-crl/%s", TESTDATA, file);
	assert_non_null(b = BIO_new_file(path, "r"));
	while (out == NULL && PEM_read_bio(b, &name, &hdr, &data, &dlen) == 1) {
		if (strcmp(name, "CRL") == 0) {
			out = malloc((size_t)dlen);
			memcpy(out, data, (size_t)dlen);
			*len = (size_t)dlen;
		}
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(data);
	}
	BIO_free(b);
	assert_non_null(out);
	return out;
}

/* Garbage inside every part of a CRL: the walk refuses each. */
static void
test_der_garbage(void **state)
{
	static const char *files[] = {
		"invalid_garbage_after_crlentryextensions.pem",
		"invalid_garbage_after_extensions.pem",
		"invalid_garbage_after_nextupdate.pem",
		"invalid_garbage_after_revocationdate.pem",
		"invalid_garbage_after_revokedcerts.pem",
		"invalid_garbage_after_signaturevalue.pem",
		"invalid_garbage_after_thisupdate.pem",
		"invalid_garbage_crlentry.pem",
		"invalid_garbage_issuer_name.pem",
		"invalid_garbage_revocationdate.pem",
		"invalid_garbage_revoked_serial_number.pem",
		"invalid_garbage_signaturealgorithm.pem",
		"invalid_garbage_signaturevalue.pem",
		"invalid_garbage_tbs_signature_algorithm.pem",
		"invalid_garbage_tbscertlist.pem",
		"invalid_garbage_thisupdate.pem",
		"invalid_garbage_version.pem",
		"invalid_mismatched_signature_algorithm.pem",
	};
	struct crl_der	*d;
	struct err	 e;
	unsigned char	*der;
	size_t		 i, len;

	(void)state;
	der = bssl_crl("good.pem", &len);
	assert_int_equal(crl_der_parse(&d, der, len, &e), 0);
	crl_der_free(d);
	free(der);
	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		der = bssl_crl(files[i], &len);
		if (crl_der_parse(&d, der, len, &e) == 0)
			fail_msg("%s: the DER walk took it", files[i]);
		assert_non_null(strstr(e.msg, "CRL"));
		free(der);
	}
}

/* The intermediate's cache slot: its index path, and whether modelled. */
static int
int_slot(struct crl_cache *cache, char *path, size_t sz)
{
	struct crl_info	*list;
	size_t		 i, n;
	int		 modelled = -1;

	assert_int_equal(crl_cache_list(cache, &list, &n, NULL), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		if (strstr(list[i].issuer, "Test Int") != NULL) {
			modelled = list[i].modelled;
			snprintf(path, sz, "%.*s.idx",
			    (int)strlen(list[i].path) - 4, list[i].path);
		}
	free(list);
	assert_int_not_equal(modelled, -1);
	return modelled;
}

/* verify_chain of leaf through inter to root, from a new verifier. */
static int
run_int(struct verify_result *res, X509 *root, X509 *inter,
    struct crl_cache *cache, X509 *leaf)
{
	STACK_OF(X509)	*untrusted = sk_X509_new_null();
	int		 rc;

	sk_X509_push(untrusted, inter);
	rc = run_chain(res, root, 0, cache, leaf, untrusted, NULL,
	    VERIFY_NOFETCH, NOW);
	sk_X509_free(untrusted);
	return rc;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec
	    && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * A CRL issued by an intermediate, stored without its issuer (as `crypto
 * ca crl request` does when no trustpoint holds the intermediate): the
 * first verification of a path through the intermediate indexes it, the
 * second reads that index and rewrites nothing.  One signed by another key
 * of the same name is never indexed and fails closed.
 */
static void
test_intermediate_once(void **state)
{
	struct verify_result	 res;
	struct crl_cache	*cache;
	struct stat		 s1, s2;
	struct pki		 p;
	EVP_PKEY		*ikey = newkey(), *fkey = newkey();
	X509			*inter, *leaf, *bad;
	X509_CRL		*crl;
	unsigned char		*der, *fder;
	size_t			 len, flen;
	char			*dir = th_tmpdir(), path[1100];

	(void)state;
	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	inter = mkcert("Test Int", 7, ikey, p.root, p.rkey, 1, NULL);
	leaf = mkcert("leaf.example", 200, p.lkey, inter, ikey, 0, NULL);
	bad = mkcert("bad.example", 201, p.lkey, inter, ikey, 0, NULL);
	crl = mkcrl(inter, ikey, NOW - DAY, NOW + DAY);
	add_revoked(crl, X509_get_serialNumber(bad), NOW - DAY, 1);
	der = signcrl(crl, ikey, &len);
	fder = signcrl(crl, fkey, &flen);	/* same name, wrong key */
	X509_CRL_free(crl);
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	assert_int_equal(crl_cache_put(cache, p.der, p.len, p.root, NULL, NOW,
	    NULL), 0);

	/* Wrong key first: OpenSSL's CRL code refuses, nothing indexed. */
	assert_int_equal(crl_cache_put(cache, fder, flen, NULL, NULL, NOW,
	    NULL), 0);
	assert_int_equal(run_int(&res, p.root, inter, cache, leaf),
	    ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CRL_SIGNATURE_FAILURE);
	verify_result_free(&res);
	assert_false(int_slot(cache, path, sizeof(path)));

	/* The right CRL replaces it (same slot), still unverified. */
	assert_int_equal(crl_cache_put(cache, der, len, NULL, NULL, NOW, NULL),
	    0);
	assert_false(int_slot(cache, path, sizeof(path)));
	assert_int_equal(stat(path, &s1), 0);

	/* First verify: the path verifies, the CRL gets indexed. */
	assert_int_equal(run_int(&res, p.root, inter, cache, leaf), 0);
	assert_int_equal(res.rev[0].status, VERIFY_REV_GOOD);
	assert_int_equal(res.rev[1].status, VERIFY_REV_GOOD);
	assert_false(res.openssl_crl);
	verify_result_free(&res);
	assert_true(int_slot(cache, path, sizeof(path)));
	assert_int_equal(stat(path, &s2), 0);
	assert_false(same_file(&s1, &s2));

	/* Second verify, a new verifier: the index answers, no rewrite. */
	assert_int_equal(run_int(&res, p.root, inter, cache, bad),
	    ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CERT_REVOKED);
	assert_int_equal(res.rev[0].status, VERIFY_REV_REVOKED);
	assert_false(res.openssl_crl);
	verify_result_free(&res);
	assert_int_equal(run_int(&res, p.root, inter, cache, leaf), 0);
	assert_false(res.openssl_crl);
	verify_result_free(&res);
	assert_int_equal(stat(path, &s1), 0);
	assert_true(same_file(&s1, &s2));

	crl_cache_free(cache);
	OPENSSL_free(der);
	OPENSSL_free(fder);
	X509_free(inter);
	X509_free(leaf);
	X509_free(bad);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(fkey);
	pki_free(&p);
	th_rmtree(dir);
	free(dir);
}

/* A one-file HTTP server on 127.0.0.1 for the distribution point. */
struct httpd {
	int		 fd;
	int		 port;
	const void	*body;
	size_t		 len;
	int		 hits;
	const char	*now;		/* NETPKI_NOW once a request came */
	pthread_t	 th;
};

static void *
httpd_main(void *arg)
{
	struct httpd	*h = arg;
	char		 req[2048], hdr[256];
	int		 c;

	while ((c = accept(h->fd, NULL, NULL)) != -1) {
		ssize_t	 n = read(c, req, sizeof(req) - 1);

		if (n > 0 && strncmp(req, "GET ", 4) == 0) {
			h->hits++;
			/* The client waits in poll(2): nobody reads the env. */
			if (h->now != NULL)
				setenv("NETPKI_NOW", h->now, 1);
			snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\n"
			    "Content-Type: application/pkix-crl\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			    h->len);
			if (write(c, hdr, strlen(hdr)) < 0 ||
			    write(c, h->body, h->len) < 0)
				h->hits += 1000;
		}
		close(c);
	}
	return NULL;
}

static void
httpd_start(struct httpd *h, const void *body, size_t len)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	memset(h, 0, sizeof(*h));
	h->body = body;
	h->len = len;
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(h->fd, 8), 0);
	getsockname(h->fd, (struct sockaddr *)&sin, &sl);
	h->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&h->th, NULL, httpd_main, h), 0);
}

static void
httpd_stop(struct httpd *h)
{
	shutdown(h->fd, SHUT_RDWR);
	close(h->fd);
	pthread_join(h->th, NULL);
}

/*
 * A CA whose CRL distribution point is a local server serving its CRL
 * (this and next: the CRL's times), and an empty cache in a new directory.
 */
struct dpfx {
	struct pki		 p;
	struct httpd		 h;
	struct crl_cache	*cache;
	char			*dir;
	char			 url[128];
};

static void
dpfx_start(struct dpfx *f, time_t this, time_t next)
{
	f->dir = th_tmpdir();
	/* The port must be in the certificate: start, then make the PKI. */
	httpd_start(&f->h, NULL, 0);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/root.crl",
	    f->h.port);
	pki_make(&f->p, f->url, this, next);
	f->h.body = f->p.der;
	f->h.len = f->p.len;
	assert_int_equal(crl_cache_open(&f->cache, f->dir, NULL), 0);
}

static void
dpfx_stop(struct dpfx *f)
{
	httpd_stop(&f->h);
	crl_cache_free(f->cache);
	pki_free(&f->p);
	th_rmtree(f->dir);
	free(f->dir);
}

/*
 * First verification fetches the CRL from the certificate's distribution
 * point and indexes it; the second answers from the cache without the
 * network; the listing shows it; clear empties the cache.
 */
static void
test_fetch_dp(void **state)
{
	struct dpfx		 f;
	struct verify_result	 res;
	struct crl_info		*v;
	size_t			 n;

	(void)state;
	dpfx_start(&f, NOW - DAY, NOW + DAY);
	assert_int_equal(run(&res, f.p.root, 0, f.cache, f.p.good, NULL, 0,
	    NOW), 0);
	assert_int_equal(res.rev[0].status, VERIFY_REV_GOOD);
	assert_string_equal(res.rev[0].url, f.url);
	verify_result_free(&res);
	assert_int_equal(f.h.hits, 1);
	assert_int_equal(run(&res, f.p.root, 0, f.cache, f.p.bad, NULL, 0,
	    NOW), ERR_REFUSED);
	assert_int_equal(res.error, X509_V_ERR_CERT_REVOKED);
	verify_result_free(&res);
	assert_int_equal(f.h.hits, 1);

	assert_int_equal(crl_cache_list(f.cache, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].url, f.url);
	assert_string_equal(v[0].issuer, "cn=Test Root");
	assert_int_equal(v[0].count, 1);
	assert_int_equal(v[0].next_update, NOW + DAY);
	free(v);
	assert_int_equal(crl_cache_clear(f.cache, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(crl_cache_list(f.cache, &v, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(v);
	/* Gone from the cache: fetched again. */
	assert_int_equal(run(&res, f.p.root, 0, f.cache, f.p.good, NULL, 0,
	    NOW), 0);
	verify_result_free(&res);
	assert_int_equal(f.h.hits, 2);

	dpfx_stop(&f);
}

/*
 * A CA that signs its CRL when asked, while the clock moves on during the
 * fetch: the CRL is dated after the verification started.  Verifying "now"
 * (at 0) judges it when it arrived, so it answers; so does crl request.
 */
static void
test_fetch_fresh(void **state)
{
	struct dpfx		 f;
	struct verify_result	 res;
	struct crl_info		 info;
	char			 later[32];
	int			 verified;

	(void)state;
	dpfx_start(&f, NOW + 2, NOW + DAY);
	snprintf(later, sizeof(later), "%d", NOW + 3);
	f.h.now = later;
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(run(&res, f.p.root, 0, f.cache, f.p.good, NULL, 0, 0),
	    0);
	assert_int_equal(res.rev[0].status, VERIFY_REV_GOOD);
	verify_result_free(&res);
	assert_int_equal(f.h.hits, 1);
	assert_int_equal(crl_cache_clear(f.cache, NULL, NULL), 0);
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(crl_cache_request(f.cache, f.url, NULL, NULL, 0,
	    &info, &verified, NULL), 0);
	assert_int_equal(info.this_update, NOW + 2);
	/* A time given by the caller stays: then the CRL is in the future. */
	assert_int_equal(crl_cache_fetch(f.cache, f.url, f.p.root, NULL, NOW,
	    NULL), ERR_REFUSED);
	unsetenv("NETPKI_NOW");
	dpfx_stop(&f);
}

/*
 * The cache of a state directory is its crl/: put, promotion and clear
 * write there under the state lock, which is free again after each (a
 * second store on the directory, as another process, takes it at once),
 * and a caller holding the lock already may write.
 */
static void
test_cache_store(void **state)
{
	struct pki		 p;
	struct store		*st, *other;
	struct crl_cache	*cache;
	struct crl_answer	 a;
	char			*dir = th_tmpdir(), path[600];
	size_t			 n;

	(void)state;
	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	assert_int_equal(store_open(&st, dir, NULL), 0);
	assert_int_equal(store_open(&other, dir, NULL), 0);
	assert_int_equal(crl_cache_open_store(&cache, st, NULL), 0);
	snprintf(path, sizeof(path), "%s/crl", dir);
	assert_string_equal(crl_cache_dir(cache), path);
	assert_int_equal(crl_cache_put(cache, p.der, p.len, NULL, NULL, NOW,
	    NULL), 0);
	assert_int_equal(store_lock(other, NULL), 0);
	store_unlock(other);
	assert_int_equal(crl_cache_promote(cache, p.root, NOW, NULL), 1);
	assert_int_equal(store_lock(other, NULL), 0);
	store_unlock(other);
	assert_int_equal(crl_cache_lookup(cache, p.bad, p.root, NOW, &a, NULL),
	    0);
	assert_int_equal(a.status, CRL_REVOKED);
	assert_int_equal(store_lock(st, NULL), 0);
	assert_int_equal(crl_cache_clear(cache, &n, NULL), 0);
	store_unlock(st);
	assert_int_equal(n, 1);
	assert_int_equal(store_lock(other, NULL), 0);
	store_unlock(other);
	crl_cache_free(cache);
	store_free(other);
	store_free(st);
	pki_free(&p);
	th_rmtree(dir);
	free(dir);
}

/* A TLS server on one end of a socketpair, in a thread. */
struct tls_srv {
	int		 fd;
	X509		*cert;
	EVP_PKEY	*key;
	pthread_t	 th;
};

static void *
tls_srv_main(void *arg)
{
	struct tls_srv	*s = arg;
	SSL_CTX		*ctx = SSL_CTX_new(TLS_server_method());
	SSL		*ssl;

	SSL_CTX_use_certificate(ctx, s->cert);
	SSL_CTX_use_PrivateKey(ctx, s->key);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, s->fd);
	if (SSL_accept(ssl) == 1)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(s->fd);
	return NULL;
}

/* Handshake with a server presenting cert; the verdict of the hook. */
static int
tls_connect(struct verify_tls *t, X509 *cert, EVP_PKEY *key, long *vr)
{
	struct tls_srv	 s;
	SSL_CTX		*ctx = SSL_CTX_new(TLS_client_method());
	SSL		*ssl;
	int		 sv[2], ok;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[1];
	s.cert = cert;
	s.key = key;
	assert_int_equal(pthread_create(&s.th, NULL, tls_srv_main, &s), 0);
	verify_tls_attach(ctx, t);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, sv[0]);
	ok = SSL_connect(ssl) == 1;
	*vr = SSL_get_verify_result(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(sv[0]);
	pthread_join(s.th, NULL);
	return ok;
}

/* The SSL_CTX hook: a TLS client trusts what verify trusts. */
static void
test_tls(void **state)
{
	struct verify_anchors	 a = { "trustpoint test", NULL, 0, NULL };
	struct pki		 p, q;
	struct crl_cache	*cache;
	struct verify		*v;
	struct verify_tls	 t;
	char			*dir = th_tmpdir();
	long			 vr;

	(void)state;
	/* The server writes after the client hung up on a bad chain. */
	signal(SIGPIPE, SIG_IGN);
	pki_make(&p, NULL, NOW - DAY, NOW + DAY);
	pki_make(&q, NULL, NOW - DAY, NOW + DAY);
	assert_int_equal(crl_cache_open(&cache, dir, NULL), 0);
	assert_int_equal(crl_cache_put(cache, p.der, p.len, p.root, NULL, NOW,
	    NULL), 0);
	a.certs = sk_X509_new_null();
	sk_X509_push(a.certs, p.root);
	assert_int_equal(verify_new(&v, &a, 1, cache, NULL), 0);
	memset(&t, 0, sizeof(t));
	t.v = v;
	t.opts.purpose = VERIFY_SSL_SERVER;
	t.opts.at = NOW;
	t.opts.flags = VERIFY_NOFETCH;

	assert_true(tls_connect(&t, p.good, p.lkey, &vr));
	assert_int_equal(vr, X509_V_OK);
	assert_true(t.last.valid);
	assert_int_equal(t.last.rev[0].status, VERIFY_REV_GOOD);

	assert_false(tls_connect(&t, p.bad, p.lkey, &vr));
	assert_int_equal(vr, X509_V_ERR_CERT_REVOKED);
	assert_int_equal(t.last.error, X509_V_ERR_CERT_REVOKED);

	/*
	 * A server whose chain ends at nothing trusted: issued by another
	 * "Test Root" (same name, other key), as a forger would.
	 */
	assert_false(tls_connect(&t, q.good, q.lkey, &vr));
	assert_int_equal(vr, X509_V_ERR_CERT_SIGNATURE_FAILURE);
	assert_false(t.last.valid);

	verify_tls_clear(&t);
	verify_free(v);
	sk_X509_free(a.certs);
	crl_cache_free(cache);
	pki_free(&p);
	pki_free(&q);
	th_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_pairs),
		cmocka_unit_test(test_verify_pairs),
		cmocka_unit_test(test_crl_optional),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_der_hostile),
		cmocka_unit_test(test_der_sigalgs),
		cmocka_unit_test(test_der_garbage),
		cmocka_unit_test(test_intermediate_once),
		cmocka_unit_test(test_fetch_dp),
		cmocka_unit_test(test_fetch_fresh),
		cmocka_unit_test(test_cache_store),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
