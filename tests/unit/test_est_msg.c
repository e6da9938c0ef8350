/*
 * est_msg: EST's parsers on good and hostile bytes (base64 bodies,
 * certs-only PKCS#7, CsrAttrs, Retry-After), the URLs and labels, and
 * tls-unique taken from a real in-memory TLS 1.2 handshake as both ends
 * see it (RFC 5929 3.1: the client's Finished of a full handshake).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "err.h"
#include "est_msg.h"

/* A self-signed EC certificate and its key. */
static X509 *
t_cert(EVP_PKEY **keyp, const char *cn)
{
	EVP_PKEY	*k = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(k);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	X509_NAME_free(n);
	if (keyp != NULL)
		*keyp = k;
	else
		EVP_PKEY_free(k);
	return x;
}

/* DER of a certs-only PKCS#7 holding x, n times. */
static unsigned char *
t_p7(X509 *x, int n, int *len)
{
	PKCS7		*p7 = PKCS7_new();
	unsigned char	*der = NULL;
	int		 i;

	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_content_new(p7, NID_pkcs7_data);
	for (i = 0; i < n; i++)
		PKCS7_add_certificate(p7, x);
	*len = i2d_PKCS7(p7, &der);
	PKCS7_free(p7);
	return der;
}

static void
test_b64(void **state)
{
	unsigned char	*out;
	size_t		 len;
	struct err	 e;

	(void)state;
	assert_int_equal(est_b64_decode(&out, &len, "aGVs\r\nbG8=\r\n", 12,
	    "t", &e), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(est_b64_decode(&out, &len, "aGVs-bG8=", 9, "t", &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "not base64 (byte 0x2d at offset 4)"));
	assert_int_equal(est_b64_decode(&out, &len, "", 0, "t", &e),
	    ERR_PROTO);
	assert_int_equal(est_b64_decode(&out, &len, "aGVsb", 5, "t", &e),
	    ERR_PROTO);
	assert_null(out);
}

static void
test_certs(void **state)
{
	STACK_OF(X509)	*sk;
	X509		*x = t_cert(NULL, "ca");
	unsigned char	*der, *two;
	int		 len, i;
	struct err	 e;

	(void)state;
	der = t_p7(x, 1, &len);
	assert_int_equal(est_certs_parse(&sk, der, (size_t)len, "t", &e), 0);
	assert_int_equal(sk_X509_num(sk), 1);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 0), x), 0);
	sk_X509_pop_free(sk, X509_free);
	/* Trailing data, a cut, too many certificates, none. */
	two = malloc((size_t)len + 1);
	memcpy(two, der, (size_t)len);
	two[len] = 0;
	assert_int_equal(est_certs_parse(&sk, two, (size_t)len + 1, "t", &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "trailing data"));
	assert_int_equal(est_certs_parse(&sk, der, (size_t)len - 1, "t", &e),
	    ERR_PROTO);
	free(two);
	OPENSSL_free(der);
	der = t_p7(x, EST_CERTSMAX + 1, &len);
	assert_int_equal(est_certs_parse(&sk, der, (size_t)len, "t", &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "17 certificates"));
	OPENSSL_free(der);
	der = t_p7(x, 0, &len);
	assert_int_equal(est_certs_parse(&sk, der, (size_t)len, "t", &e),
	    ERR_PROTO);
	OPENSSL_free(der);
	for (i = 0; i < 2; i++)
		assert_int_equal(est_certs_b64(&sk, "MIIB", 4, "t", &e),
		    ERR_PROTO);
	X509_free(x);
}

/* RFC 7030 4.5.2's kind of answer: EC P-384, SHA-384, challengePassword. */
static const unsigned char t_attrs[] = {
	0x30, 0x29,
	0x30, 0x12, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x31, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07,
};

/* ecPublicKey with P-256 and P-384, serverAuth's EKU OID, sha256. */
static const unsigned char t_attrs2[] = {
	0x30, 0x33,
	0x30, 0x1c, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x31, 0x11, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
};

static void
test_csrattrs(void **state)
{
	struct est_csrattrs	 ca;
	struct err		 e;
	unsigned char		 buf[sizeof(t_attrs) + 1];

	(void)state;
	assert_int_equal(est_csrattrs_parse(&ca, t_attrs, sizeof(t_attrs),
	    &e), 0);
	assert_int_equal(ca.key_nid, NID_X9_62_id_ecPublicKey);
	assert_int_equal(ca.curves, EST_CURVE_P384);
	assert_int_equal(ca.md_nid, NID_sha384);
	assert_true(ca.challenge);
	assert_int_equal(ca.other, 0);
	assert_int_equal(est_csrattrs_parse(&ca, NULL, 0, &e), 0);
	assert_int_equal(ca.key_nid, 0);
	memcpy(buf, t_attrs, sizeof(t_attrs));
	buf[sizeof(t_attrs)] = 0;
	assert_int_equal(est_csrattrs_parse(&ca, buf, sizeof(buf), &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "trailing data"));
	/* The curve replaced by an OID that is not a curve. */
	memcpy(buf, t_attrs, sizeof(t_attrs));
	buf[19] = 0x23;
	assert_int_equal(est_csrattrs_parse(&ca, buf, sizeof(t_attrs), &e),
	    ERR_PROTO);
	assert_non_null(strstr(e.msg, "unsupported EC curve"));
	/* netpki-ca's kind: several curves, a bare hash OID, EKU OIDs. */
	assert_int_equal(est_csrattrs_parse(&ca, t_attrs2, sizeof(t_attrs2),
	    &e), 0);
	assert_int_equal(ca.curves, EST_CURVE_P256 | EST_CURVE_P384);
	assert_int_equal(ca.md_nid, NID_sha256);
	assert_int_equal(ca.other, 1);
	assert_false(ca.challenge);
	/* An INTEGER where an AttrOrOID belongs. */
	assert_int_equal(est_csrattrs_parse(&ca, (const unsigned char *)
	    "\x30\x03\x02\x01\x05", 5, &e), ERR_PROTO);
}

static void
test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(est_retry_after("120", 0), 120);
	assert_int_equal(est_retry_after("99999999999", 0), EST_RETRYMAX);
	assert_int_equal(est_retry_after("12a", 0), -1);
	assert_int_equal(est_retry_after("", 0), -1);
	assert_int_equal(est_retry_after(NULL, 0), -1);
	assert_int_equal(est_retry_after("-5", 0), -1);
	/* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480. */
	assert_int_equal(est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	    1445412480 - 90), 90);
	assert_int_equal(est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	    1445412480 + 90), 0);
	assert_int_equal(est_retry_after("Wed, 21 Oct 2035 07:28:00 GMT",
	    1445412480), EST_RETRYMAX);
	assert_int_equal(est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT x",
	    0), -1);
}

static void
test_url_label(void **state)
{
	char	*u;

	(void)state;
	u = est_url("https://h/.well-known/est/", "r1", "cacerts");
	assert_string_equal(u, "https://h/.well-known/est/r1/cacerts");
	free(u);
	u = est_url("https://h/.well-known/est", NULL, "simpleenroll");
	assert_string_equal(u, "https://h/.well-known/est/simpleenroll");
	free(u);
	assert_true(est_label_ok("routers-1.a_b~"));
	assert_false(est_label_ok(""));
	assert_false(est_label_ok(".."));
	assert_false(est_label_ok("a/b"));
	assert_false(est_label_ok("a%2f"));
}

/* A TLS handshake over a BIO pair: max is the highest version allowed. */
static void
t_handshake(SSL **cl, SSL **sv, int max)
{
	SSL_CTX		*cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX		*sctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY	*k;
	X509		*x = t_cert(&k, "srv");
	BIO		*b1, *b2;
	int		 i, a = -1, b = -1;

	SSL_CTX_use_certificate(sctx, x);
	SSL_CTX_use_PrivateKey(sctx, k);
	SSL_CTX_set_max_proto_version(cctx, max);
	*cl = SSL_new(cctx);
	*sv = SSL_new(sctx);
	assert_int_equal(BIO_new_bio_pair(&b1, 0, &b2, 0), 1);
	SSL_set_bio(*cl, b1, b1);
	SSL_set_bio(*sv, b2, b2);
	SSL_set_connect_state(*cl);
	SSL_set_accept_state(*sv);
	for (i = 0; i < 20 && (a != 1 || b != 1); i++) {
		if (a != 1)
			a = SSL_do_handshake(*cl);
		if (b != 1)
			b = SSL_do_handshake(*sv);
	}
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_tls_unique(void **state)
{
	SSL		*cl, *sv;
	char		 tu[EST_TLSUNIQUE_B64], peer[EST_TLSUNIQUE_B64];
	unsigned char	 fin[64];
	size_t		 n;
	struct err	 e;

	(void)state;
	t_handshake(&cl, &sv, TLS1_2_VERSION);
	assert_int_equal(est_tls_unique(tu, sizeof(tu), cl, &e), 0);
	/* The server's view: the Finished it received from the client. */
	n = SSL_get_peer_finished(sv, fin, sizeof(fin));
	assert_true(n > 0);
	EVP_EncodeBlock((unsigned char *)peer, fin, (int)n);
	assert_string_equal(tu, peer);
	assert_int_equal(est_tls_unique(tu, 4, cl, &e), ERR_PROTO);
	SSL_free(cl);
	SSL_free(sv);
	t_handshake(&cl, &sv, TLS1_3_VERSION);
	assert_int_equal(est_tls_unique(tu, sizeof(tu), cl, &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "TLSv1.3 has no tls-unique"));
	/* RFC 9266 tls-exporter instead: the server derives the same. */
	assert_int_equal(est_channel_binding(tu, sizeof(tu), cl, &e), 0);
	assert_int_equal(SSL_export_keying_material(sv, fin, 32,
	    "EXPORTER-Channel-Binding", 24, NULL, 0, 0), 1);
	EVP_EncodeBlock((unsigned char *)peer, fin, 32);
	assert_string_equal(tu, peer);
	assert_int_equal(strlen(tu), 44);
	SSL_free(cl);
	SSL_free(sv);
	assert_int_equal(est_tls_unique(tu, sizeof(tu), NULL, &e), ERR_PROTO);
}

/* base64 of DER, one line. */
static char *
t_b64line(const unsigned char *der, int n)
{
	char	*out = malloc(4 * (((size_t)n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, der, n);
	return out;
}

static void
test_serverkeygen(void **state)
{
	EVP_PKEY		*k, *got;
	X509			*x = t_cert(&k, "dev");
	STACK_OF(X509)		*certs;
	PKCS8_PRIV_KEY_INFO	*p8 = EVP_PKEY2PKCS8(k);
	unsigned char		*kder = NULL, *cder;
	char			*kb, *cb, body[8192];
	const char		*ct = "multipart/mixed; boundary=\"b1\"";
	int			 kn, cn, n;
	struct err		 e;

	(void)state;
	kn = i2d_PKCS8_PRIV_KEY_INFO(p8, &kder);
	cder = t_p7(x, 1, &cn);
	kb = t_b64line(kder, kn);
	cb = t_b64line(cder, cn);
	n = snprintf(body, sizeof(body), "preamble\r\n--b1\r\nContent-Type: "
	    "application/pkcs8\r\n\r\n%s\r\n--b1\r\nContent-Type: "
	    "application/pkcs7-mime; smime-type=certs-only\r\n\r\n%s\r\n"
	    "--b1--\r\n", kb, cb);
	assert_int_equal(est_skg_parse(&got, &certs, ct, body, (size_t)n, &e),
	    0);
	assert_int_equal(EVP_PKEY_eq(got, k), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), x), 0);
	EVP_PKEY_free(got);
	sk_X509_pop_free(certs, X509_free);
	/* Not multipart, cut before the closing delimiter, two keys. */
	assert_int_equal(est_skg_parse(&got, &certs, "application/pkcs8",
	    body, (size_t)n, &e), ERR_PROTO);
	assert_int_equal(est_skg_parse(&got, &certs, ct, body, (size_t)n - 8,
	    &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "unterminated"));
	n = snprintf(body, sizeof(body), "--b1\r\nContent-Type: "
	    "application/pkcs8\r\n\r\n%s\r\n--b1\r\nContent-Type: "
	    "application/pkcs8\r\n\r\n%s\r\n--b1--\r\n", kb, kb);
	assert_int_equal(est_skg_parse(&got, &certs, ct, body, (size_t)n, &e),
	    ERR_PROTO);
	assert_null(got);
	assert_null(certs);
	free(kb);
	free(cb);
	OPENSSL_free(kder);
	OPENSSL_free(cder);
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_free(x);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_certs),
		cmocka_unit_test(test_csrattrs),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_url_label),
		cmocka_unit_test(test_tls_unique),
		cmocka_unit_test(test_serverkeygen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
