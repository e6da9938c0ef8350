/*
 * trustpool: bundle formats, the CA filter, signed bundles, hostile
 * bundles, caps, install/clean without partial states, deactivation of
 * built-in certificates by subject, and the update schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "helpers.h"
#include "store.h"
#include "trustpool.h"

#define DATA	TESTDATA "/trustpool/"
#define NOW	((time_t)1700000000)	/* Tue Nov 14 2023 */
#define DAY	((time_t)86400)
#define HOUR	((time_t)3600)

static int
parse_file(struct trustpool_bundle **b, const char *name,
    STACK_OF(X509) *anchors, struct err *e)
{
	unsigned char	*buf;
	size_t		 len;
	int		 rc;

	buf = (unsigned char *)th_data(&len, "trustpool/%s", name);
	rc = trustpool_bundle_parse(b, buf, len, anchors, NOW, e);
	free(buf);
	return rc;
}

static char *
subject(X509 *x)
{
	return cert_dn(X509_get_subject_name(x), CERT_DN_UPPER);
}

static void
assert_subject(X509 *x, const char *want)
{
	char	*s = subject(x);

	assert_string_equal(s, want);
	free(s);
}

/* The anchors of the test built-in bundle (rootA, rootB-old, rootD). */
static STACK_OF(X509) *
builtin_anchors(void)
{
	struct trustpool	*tp;
	STACK_OF(X509)		*sk;
	struct err		 e;

	setenv("NETPKI_BUILTIN_BUNDLE", DATA "builtin.pem", 1);
	assert_int_equal(trustpool_load(&tp, NULL, &e), 0);
	assert_int_equal(trustpool_anchors(&sk, tp, &e), 0);
	trustpool_free(tp);
	return sk;
}

static void
check_bundle_certs(const struct trustpool_bundle *b)
{
	assert_int_equal(sk_X509_num(b->certs), 2);
	assert_subject(sk_X509_value(b->certs, 0),
	    "CN=NetPKI Test Root B,O=NetPKI Test");
	assert_subject(sk_X509_value(b->certs, 1),
	    "CN=NetPKI Test Root C,O=NetPKI Test");
}

static void
test_pem(void **state)
{
	struct trustpool_bundle	*b;
	struct err		 e;

	(void)state;
	assert_int_equal(parse_file(&b, "bundle.pem", NULL, &e), 0);
	assert_int_equal(b->format, TRUSTPOOL_FMT_PEM);
	assert_int_equal(b->total, 3);
	check_bundle_certs(b);
	assert_int_equal(b->nskips, 1);
	assert_int_equal(b->skips[0].index, 3);
	assert_string_equal(b->skips[0].subject,
	    "CN=leaf.example.net,O=NetPKI Test");
	assert_string_equal(b->skips[0].reason,
	    "not a CA certificate (basicConstraints CA:FALSE)");
	assert_null(b->signer);
	assert_int_equal(b->noutside, 0);
	trustpool_bundle_free(b);
}

/* Comments around the PEM blocks: ignored, and counted for a note. */
static void
test_pem_outside(void **state)
{
	struct trustpool_bundle	*b;
	struct err		 e;
	unsigned char		*pem;
	char			*text;
	size_t			 len;

	(void)state;
	pem = (unsigned char *)th_data(&len, "trustpool/bundle.pem");
	assert_true(asprintf(&text, "# NetPKI test bundle\n# three "
	    "certificates\n\n%s# end\n", (char *)pem) > 0);
	assert_int_equal(trustpool_bundle_parse(&b, (unsigned char *)text,
	    strlen(text), NULL, NOW, &e), 0);
	assert_int_equal(b->total, 3);
	check_bundle_certs(b);
	assert_int_equal(b->noutside, 3);
	trustpool_bundle_free(b);
	free(text);
	free(pem);
}

static void
test_p7_degenerate(void **state)
{
	struct trustpool_bundle	*b;
	struct err		 e;

	(void)state;
	assert_int_equal(parse_file(&b, "bundle.p7b", NULL, &e), 0);
	assert_int_equal(b->format, TRUSTPOOL_FMT_P7);
	assert_int_equal(b->total, 3);
	check_bundle_certs(b);
	assert_int_equal(b->nskips, 1);
	trustpool_bundle_free(b);
}

static void
test_p7_signed(void **state)
{
	struct trustpool_bundle	*b;
	STACK_OF(X509)		*anchors = builtin_anchors();
	struct err		 e;

	(void)state;
	assert_int_equal(parse_file(&b, "bundle-signed.p7b", anchors, &e), 0);
	assert_int_equal(b->format, TRUSTPOOL_FMT_P7_SIGNED);
	assert_string_equal(b->signer, "CN=NetPKI Bundle Signer,O=NetPKI Test");
	check_bundle_certs(b);
	/* The leaf is not a CA; the signer is not part of the signed content. */
	assert_int_equal(b->nskips, 1);
	trustpool_bundle_free(b);

	/*
	 * A certificate added to the SignedData's own (unsigned) set is not
	 * covered by the signature: never installed.
	 */
	assert_int_equal(parse_file(&b, "bundle-signed-extra.p7b", anchors,
	    &e), 0);
	check_bundle_certs(b);
	assert_int_equal(b->total, 3);
	{
		char	 cn[128];
		int	 i;

		for (i = 0; i < sk_X509_num(b->certs); i++) {
			cn[0] = '\0';
			X509_NAME_get_text_by_NID(X509_get_subject_name(
			    sk_X509_value(b->certs, i)), NID_commonName, cn,
			    sizeof(cn));
			assert_string_not_equal(cn, "Rogue Bundle Signer");
		}
	}
	trustpool_bundle_free(b);

	/* A signer chaining to the pool but not a code-signing certificate. */
	assert_int_equal(parse_file(&b, "bundle-noeku.p7b", anchors, &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "is not a code-signing certificate"));

	/* Signed, but nothing to check it against: refused. */
	assert_int_equal(parse_file(&b, "bundle-signed.p7b", NULL, &e),
	    ERR_REFUSED);
	assert_null(b);
	/* A signer outside the pool, and a damaged signature: refused. */
	assert_int_equal(parse_file(&b, "bundle-rogue.p7b", anchors, &e),
	    ERR_REFUSED);
	assert_string_equal(e.msg, "bundle: signer CN=Rogue Bundle Signer,"
	    "O=Rogue does not chain to the trust pool: self-signed "
	    "certificate");
	assert_int_equal(parse_file(&b, "bundle-badsig.p7b", anchors, &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "RFC 2315 9.4: signature does not "
	    "verify"));
	assert_null(b);
	sk_X509_pop_free(anchors, X509_free);
}

/*
 * The signed content may be PEM: the DER around it holds "-----BEGIN "
 * and is still DER.  A valid signature by a code-signing certificate of a
 * CA the bundle itself brings (rootB, in the SignedData's certificates and
 * in the content) is refused: the signer chains to the pool in force
 * before the import (whose rootB-old has rootB's subject, not its key).
 */
static void
test_p7_signed_pem_otherca(void **state)
{
	struct trustpool_bundle	*b = NULL;
	STACK_OF(X509)		*anchors = builtin_anchors();
	struct err		 e;

	(void)state;
	assert_int_equal(parse_file(&b, "bundle-signed-pem.p7b", anchors, &e),
	    0);
	assert_int_equal(b->format, TRUSTPOOL_FMT_P7_SIGNED);
	assert_string_equal(b->signer, "CN=NetPKI Bundle Signer,O=NetPKI Test");
	check_bundle_certs(b);
	assert_int_equal(b->total, 3);
	trustpool_bundle_free(b);
	b = NULL;

	assert_int_equal(parse_file(&b, "bundle-otherca.p7b", anchors, &e),
	    ERR_REFUSED);
	assert_null(b);
	assert_non_null(strstr(e.msg, "bundle: signer CN=NetPKI Bundle Signer "
	    "B,O=NetPKI Test does not chain to the trust pool"));
	sk_X509_pop_free(anchors, X509_free);
}

static void
test_hostile(void **state)
{
	struct trustpool_bundle	*b = NULL;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;

	(void)state;
	/* One damaged block refuses the whole bundle. */
	assert_int_equal(parse_file(&b, "bundle-badblock.pem", NULL, &e),
	    ERR_INVAL);
	assert_non_null(strstr(e.msg, "PEM block 2"));
	assert_null(b);
	assert_int_equal(parse_file(&b, "bundle-truncated.p7b", NULL, &e),
	    ERR_INVAL);
	assert_int_equal(parse_file(&b, "garbage.bin", NULL, &e), ERR_INVAL);
	assert_int_equal(trustpool_bundle_parse(&b, (const unsigned char *)"",
	    0, NULL, NOW, &e), ERR_INVAL);
	/* Leaf only: no CA at all. */
	assert_int_equal(parse_file(&b, "leaf.pem", NULL, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "none of its 1 certificates"));
	/* A private key block is not a certificate. */
	assert_int_equal(parse_file(&b, "rootA.key", NULL, &e), ERR_INVAL);
	/* Trailing bytes after the PKCS#7. */
	buf = (unsigned char *)th_data(&len, "trustpool/bundle.p7b");
	buf = realloc(buf, len + 4);
	memcpy(buf + len, "JUNK", 4);
	assert_int_equal(trustpool_bundle_parse(&b, buf, len + 4, NULL, NOW,
	    &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "trailing"));
	free(buf);
	/* Over the size cap: refused before a byte is read. */
	assert_int_equal(trustpool_bundle_parse(&b, (const unsigned char *)"x",
	    (size_t)TRUSTPOOL_MAXSIZE + 1, NULL, NOW, &e), ERR_TOOBIG);
}

/* n copies of rootA as PEM. */
static unsigned char *
repeat_pem(size_t n, size_t *outlen)
{
	unsigned char	*one, *buf;
	size_t		 len, i;

	one = (unsigned char *)th_data(&len, "trustpool/rootA.pem");
	assert_non_null(buf = malloc(len * n));
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, one, len);
	free(one);
	*outlen = len * n;
	return buf;
}

/* A degenerate PKCS#7 (DER) with n copies of rootA. */
static unsigned char *
repeat_p7(size_t n, size_t *outlen)
{
	unsigned char	*pem, *der = NULL;
	size_t		 len, i;
	PKCS7		*p7;
	X509		*x;
	BIO		*bio;
	int		 dlen;

	pem = (unsigned char *)th_data(&len, "trustpool/rootA.pem");
	assert_non_null(bio = BIO_new_mem_buf(pem, (int)len));
	assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
	assert_non_null(p7 = PKCS7_new());
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	for (i = 0; i < n; i++)
		assert_int_equal(PKCS7_add_certificate(p7, x), 1);
	assert_true((dlen = i2d_PKCS7(p7, &der)) > 0);
	*outlen = (size_t)dlen;
	PKCS7_free(p7);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return der;
}

static void
test_caps_and_duplicates(void **state)
{
	struct trustpool_bundle	*b;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;

	(void)state;
	buf = repeat_pem(TRUSTPOOL_MAXCERTS, &len);
	assert_int_equal(trustpool_bundle_parse(&b, buf, len, NULL, NOW, &e),
	    0);
	assert_int_equal(b->total, TRUSTPOOL_MAXCERTS);
	assert_int_equal(sk_X509_num(b->certs), 1);
	assert_int_equal(b->nskips, TRUSTPOOL_MAXCERTS - 1);
	assert_int_equal(b->skips[0].index, 2);
	assert_string_equal(b->skips[0].reason,
	    "duplicate of an earlier certificate");
	trustpool_bundle_free(b);
	free(buf);
	buf = repeat_pem(TRUSTPOOL_MAXCERTS + 1, &len);
	assert_int_equal(trustpool_bundle_parse(&b, buf, len, NULL, NOW, &e),
	    ERR_TOOBIG);
	free(buf);
	/* PKCS#7: counted before the certificates are decoded. */
	buf = repeat_p7(TRUSTPOOL_MAXCERTS + 1, &len);
	assert_int_equal(trustpool_bundle_parse(&b, buf, len, NULL, NOW, &e),
	    ERR_TOOBIG);
	assert_string_equal(e.msg, "bundle: 10001 certificates, more than "
	    "10000");
	OPENSSL_free(buf);
	buf = repeat_p7(3, &len);
	assert_int_equal(trustpool_bundle_parse(&b, buf, len, NULL, NOW, &e),
	    0);
	assert_int_equal(b->total, 3);
	assert_int_equal(b->nskips, 2);
	trustpool_bundle_free(b);
	OPENSSL_free(buf);
}

static void
test_install_deactivate_clean(void **state)
{
	struct trustpool	*tp;
	struct trustpool_bundle	*b, *bad = NULL;
	struct trustpool_meta	 m;
	struct store		*st;
	STACK_OF(X509)		*sk;
	struct err		 e;
	char			*dir = th_tmpdir();
	size_t			 removed;

	(void)state;
	setenv("NETPKI_BUILTIN_BUNDLE", DATA "builtin.pem", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(trustpool_load(&tp, st, &e), 0);
	assert_int_equal(tp->nbuiltin, 3);	/* v1 rootD is a CA */
	assert_int_equal(tp->n, 3);
	assert_int_equal(tp->ninactive, 0);
	trustpool_free(tp);

	assert_int_equal(parse_file(&b, "bundle.pem", NULL, &e), 0);
	assert_int_equal(trustpool_install(st, b, "http://x/b.pem", NOW, &e),
	    0);
	trustpool_bundle_free(b);
	assert_int_equal(trustpool_load(&tp, st, &e), 0);
	assert_int_equal(tp->n, 5);
	assert_string_equal(tp->source, "http://x/b.pem");
	assert_string_equal(tp->format, "PEM");
	assert_int_equal(tp->fetched, NOW);
	/* rootB-old (built-in, index 1) has the subject of downloaded rootB. */
	assert_int_equal(tp->ninactive, 1);
	assert_false(tp->v[1].active);
	assert_true(tp->v[0].active);
	assert_int_equal(tp->v[3].origin, TRUSTPOOL_DOWNLOADED);
	assert_int_equal(trustpool_anchors(&sk, tp, &e), 0);
	assert_int_equal(sk_X509_num(sk), 4);
	assert_ptr_equal(trustpool_find(tp, sk_X509_value(sk, 3)), &tp->v[4]);
	assert_ptr_equal(trustpool_find(tp, tp->v[1].x509), &tp->v[1]);
	/* Expiry: rootC expired before the install, rootB drives the timer. */
	assert_int_equal(trustpool_expiry(tp, NOW, NULL), 1906502400);
	/* Nothing downloaded yet: rootC, expired before now, is ignored. */
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(trustpool_expiry(tp, 0, NULL), 1906502400);
	setenv("NETPKI_NOW", "1600000000", 1);
	assert_int_equal(trustpool_expiry(tp, 0, NULL), 1685577600);
	unsetenv("NETPKI_NOW");
	sk_X509_pop_free(sk, X509_free);
	trustpool_free(tp);
	assert_int_equal(trustpool_meta_read(&m, st, &e), 0);
	assert_int_equal(m.last_success, NOW);

	/* A refused bundle changes nothing: parse fails before install. */
	assert_int_equal(parse_file(&bad, "bundle-badblock.pem", NULL, &e),
	    ERR_INVAL);
	assert_int_equal(trustpool_load(&tp, st, &e), 0);
	assert_int_equal(tp->n, 5);
	trustpool_free(tp);

	assert_int_equal(trustpool_clean(st, &removed, &e), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(trustpool_clean(st, &removed, &e), ERR_NOTFOUND);
	assert_int_equal(removed, 0);
	assert_int_equal(trustpool_load(&tp, st, &e), 0);
	assert_int_equal(tp->n, 3);
	assert_int_equal(tp->ninactive, 0);
	trustpool_free(tp);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_corrupt_downloaded(void **state)
{
	struct trustpool	*tp;
	struct store		*st;
	struct err		 e;
	char			*dir = th_tmpdir();

	(void)state;
	setenv("NETPKI_BUILTIN_BUNDLE", DATA "builtin.pem", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, TRUSTPOOL_FILE, "junk\n", 5,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(trustpool_load(&tp, st, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, TRUSTPOOL_FILE));
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_schedule(void **state)
{
	const time_t	 E = NOW + 100 * DAY;	/* earliest expiry */
	const time_t	 S = NOW - 30 * DAY;	/* last success */

	(void)state;
	/* Far from expiry: the first attempt is 20 days before it. */
	assert_int_equal(trustpool_next_update(E, S, 0, NOW), E - 20 * DAY);
	assert_int_equal(trustpool_next_update(E, 0, 0, NOW), E - 20 * DAY);
	/* Due: never earlier than now. */
	assert_int_equal(trustpool_next_update(E, S, 0, E - 19 * DAY),
	    E - 19 * DAY);
	/* Each failure waits for the next point: 15, 10, 5, 4, 3, 2, 1. */
	assert_int_equal(trustpool_next_update(E, S, E - 20 * DAY, NOW),
	    E - 15 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 15 * DAY, NOW),
	    E - 10 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 10 * DAY, NOW),
	    E - 5 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 5 * DAY, NOW),
	    E - 4 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 4 * DAY, NOW),
	    E - 3 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 3 * DAY, NOW),
	    E - 2 * DAY);
	assert_int_equal(trustpool_next_update(E, S, E - 2 * DAY, NOW),
	    E - DAY);
	/* From the last point on, and after expiry: hourly. */
	assert_int_equal(trustpool_next_update(E, S, E - DAY, NOW),
	    E - DAY + HOUR);
	assert_int_equal(trustpool_next_update(E, S, E + 7, E + 7),
	    E + 7 + HOUR);
	/* A failure between points waits for the next point. */
	assert_int_equal(trustpool_next_update(E, S, E - 12 * DAY, NOW),
	    E - 10 * DAY);
	/*
	 * A success whose bundle still carries the expiring certificate
	 * (same E): the schedule goes on from that success.
	 */
	assert_int_equal(trustpool_next_update(E, E - 20 * DAY, 0, NOW),
	    E - 15 * DAY);
	assert_int_equal(trustpool_next_update(E, E - 3 * DAY, E - 4 * DAY,
	    NOW), E - 2 * DAY);
	assert_int_equal(trustpool_next_update(E, E - HOUR, E - 2 * HOUR,
	    NOW), E);
	/*
	 * Nothing to renew: due now, hourly after a failure, daily after a
	 * success.
	 */
	assert_int_equal(trustpool_next_update(0, 0, 0, NOW), NOW);
	assert_int_equal(trustpool_next_update(0, 0, NOW, NOW), NOW + HOUR);
	assert_int_equal(trustpool_next_update(0, NOW - 10, 0, NOW),
	    NOW - 10 + DAY);

	/* Warnings without a cabundle url: now, then once a day. */
	assert_int_equal(trustpool_next_warning(0, NOW), NOW);
	assert_int_equal(trustpool_next_warning(NOW - HOUR, NOW),
	    NOW - HOUR + DAY);
	assert_int_equal(trustpool_next_warning(NOW - 2 * DAY, NOW),
	    NOW - DAY);
	/* A clock that went back does not silence warnings for ever. */
	assert_int_equal(trustpool_next_warning(NOW + DAY, NOW), NOW);
}

static void
test_builtin_default(void **state)
{
	struct trustpool	*tp;
	struct err		 e;

	(void)state;
	/* The embedded bundle (Debian's ca-certificates by default). */
	unsetenv("NETPKI_BUILTIN_BUNDLE");
	assert_int_equal(trustpool_load(&tp, NULL, &e), 0);
	assert_true(tp->nbuiltin > 0);
	assert_int_equal(tp->n, tp->nbuiltin);
	trustpool_free(tp);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_p7_degenerate),
		cmocka_unit_test(test_p7_signed),
		cmocka_unit_test(test_p7_signed_pem_otherca),
		cmocka_unit_test(test_pem_outside),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_caps_and_duplicates),
		cmocka_unit_test(test_install_deactivate_clean),
		cmocka_unit_test(test_corrupt_downloaded),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_builtin_default),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
