/*
 * csr: subject layout, challenge password, key usage, signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "csr.h"
#include "err.h"

static EVP_PKEY	*key;

static int
setup(void **state)
{
	(void)state;
	key = EVP_RSA_gen(2048);
	return key == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

static char *
subject_of(X509_REQ *req)
{
	return cert_dn(X509_REQ_get_subject_name(req), CERT_DN_LOWER);
}

static void
test_ios_subject(void **state)
{
	struct csr_opts	 o = { .fqdn = "myrouter.mydomain.com",
	    .challenge = "s3cret" };
	struct err	 e;
	X509_REQ	*req;
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*t;
	STACK_OF(X509_EXTENSION) *exts;
	char		*dn, *fp;
	int		 loc;

	(void)state;
	assert_int_equal(csr_build(&req, key, &o, &e), 0);
	dn = subject_of(req);
	assert_string_equal(dn, "unstructuredName=myrouter.mydomain.com");
	free(dn);
	/* Signed with SHA-256 and verifies with the key. */
	assert_int_equal(X509_REQ_get_signature_nid(req),
	    NID_sha256WithRSAEncryption);
	assert_int_equal(X509_REQ_verify(req, key), 1);
	loc = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
	assert_true(loc >= 0);
	a = X509_REQ_get_attr(req, loc);
	t = X509_ATTRIBUTE_get0_type(a, 0);
	assert_non_null(t);
	assert_memory_equal(ASN1_STRING_get0_data(t->value.asn1_string),
	    "s3cret", 6);
	/* No key usage for general purpose keys. */
	exts = X509_REQ_get_extensions(req);
	assert_int_equal(sk_X509_EXTENSION_num(exts) > 0, 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	fp = csr_fingerprint(req);
	assert_non_null(fp);
	assert_int_equal(strlen(fp), 35);	/* 4 groups of 8 + 3 spaces */
	assert_int_equal(fp[8], ' ');
	free(fp);
	X509_REQ_free(req);
}

static void
test_subject_name_serial_ip(void **state)
{
	struct csr_opts	 o = { .fqdn = "r1.example.com",
	    .subject = "CN=r1, O=Example\\, Inc.,c=US", .serial = "FOC1234X",
	    .ip_address = "192.0.2.1" };
	struct err	 e;
	X509_REQ	*req;
	char		*dn;

	(void)state;
	assert_int_equal(csr_build(&req, key, &o, &e), 0);
	dn = subject_of(req);
	assert_string_equal(dn, "unstructuredName=r1.example.com,"
	    "serialNumber=FOC1234X,unstructuredAddress=192.0.2.1,cn=r1,"
	    "o=Example\\, Inc.,c=US");
	free(dn);
	assert_null(X509_REQ_get_attr_by_NID(req,
	    NID_pkcs9_challengePassword, -1) >= 0 ? "" : NULL);
	X509_REQ_free(req);
}

static void
test_usage_keys(void **state)
{
	struct csr_opts			 o = { .fqdn = "r.x", .usage =
					    CSR_USAGE_SIGN };
	struct err			 e;
	X509_REQ			*req;
	STACK_OF(X509_EXTENSION)	*exts;
	ASN1_BIT_STRING			*ku;
	int				 crit;

	(void)state;
	assert_int_equal(csr_build(&req, key, &o, &e), 0);
	exts = X509_REQ_get_extensions(req);
	ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	assert_true(ASN1_BIT_STRING_get_bit(ku, 0));	/* digitalSignature */
	assert_false(ASN1_BIT_STRING_get_bit(ku, 2));
	ASN1_BIT_STRING_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);

	o.usage = CSR_USAGE_ENCR;
	assert_int_equal(csr_build(&req, key, &o, &e), 0);
	exts = X509_REQ_get_extensions(req);
	ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_false(ASN1_BIT_STRING_get_bit(ku, 0));
	assert_true(ASN1_BIT_STRING_get_bit(ku, 2));	/* keyEncipherment */
	ASN1_BIT_STRING_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
}

static void
test_bad_dn(void **state)
{
	X509_NAME	*n;
	struct err	 e;
	char		 big[CSR_DNMAX + 10];

	(void)state;
	assert_int_equal(csr_parse_dn(&n, "CN", &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "attribute=value"));
	assert_int_equal(csr_parse_dn(&n, "XYZ=1", &e), ERR_INVAL);
	assert_string_equal(e.msg, "subject-name: unknown attribute XYZ");
	assert_int_equal(csr_parse_dn(&n, "CN=", &e), ERR_INVAL);
	assert_int_equal(csr_parse_dn(&n, "", &e), ERR_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "CN=", 3);
	assert_int_equal(csr_parse_dn(&n, big, &e), ERR_TOOBIG);
	assert_int_equal(csr_parse_dn(&n, "c=USA", &e), ERR_INVAL);
	assert_int_equal(csr_parse_dn(&n, "cn=a+ou=b", &e), 0);
	X509_NAME_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ios_subject),
		cmocka_unit_test(test_subject_name_serial_ip),
		cmocka_unit_test(test_usage_keys),
		cmocka_unit_test(test_bad_dn),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
