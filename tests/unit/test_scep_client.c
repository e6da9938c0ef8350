/*
 * scep_client: GetCACaps parsing, GetCACert parsing and CA/RA selection
 * on real files (tests/data/scep: an NDES-style chain with two RA
 * certificates, micromdm's single CA certificate) and hostile ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "helpers.h"
#include "scep_client.h"
#include "scep_msg.h"
#include "store.h"

static char *
cn(X509 *x)
{
	return cert_dn(X509_get_subject_name(x), CERT_DN_LOWER);
}

static time_t
valid_now(X509 *x)
{
	time_t	 t;

	assert_int_equal(cert_asn1_time(X509_get0_notBefore(x), &t), 0);
	return t + 86400;
}

static void
test_caps(void **state)
{
	struct err	 e;
	unsigned	 caps;
	const char	*micromdm = "Renewal\nSHA-1\nSHA-256\nAES\nDES3\n"
			    "SCEPStandard\nPOSTPKIOperation";
	char		 buf[128];

	(void)state;
	assert_int_equal(scep_caps_parse(&caps, micromdm, strlen(micromdm),
	    &e), 0);
	assert_int_equal(caps, SCEP_CAP_RENEWAL | SCEP_CAP_SHA1 |
	    SCEP_CAP_SHA256 | SCEP_CAP_AES | SCEP_CAP_DES3 |
	    SCEP_CAP_STANDARD | SCEP_CAP_POST);
	assert_int_equal(scep_caps_parse(&caps, "  aes \r\npostpkioperation"
	    "\r\nFoo\r\n", 30, &e), 0);
	assert_int_equal(caps, SCEP_CAP_AES | SCEP_CAP_POST);
	scep_caps_str(buf, sizeof(buf), caps);
	assert_string_equal(buf, "POSTPKIOperation AES");
	assert_int_equal(scep_caps_parse(&caps, "", 0, &e), 0);
	assert_int_equal(caps, 0);
	assert_int_equal(scep_caps_parse(&caps, "<html>", 6, &e), ERR_PROTO);
}

static void
test_ndes_chain(void **state)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;
	char			*s;

	(void)state;
	buf = (unsigned char *)th_data(&len, "scep/ndes.p7b");
	assert_int_equal(scep_cacert_parse(&c, buf, len,
	    "application/x-x509-ca-ra-cert", &e), 0);
	assert_int_equal(c.ncerts, 4);
	s = cn(c.ca);
	assert_string_equal(s, "cn=Test Issuing CA,o=Test,c=US");
	free(s);
	assert_int_equal(sk_X509_num(c.chain), 2);
	s = cn(sk_X509_value(c.chain, 1));
	assert_string_equal(s, "cn=Test Root,o=Test,c=US");
	free(s);
	s = cn(c.ra_sign);
	assert_string_equal(s, "cn=Test RA sign,o=Test,c=US");
	free(s);
	s = cn(c.ra_encr);
	assert_string_equal(s, "cn=Test RA encr,o=Test,c=US");
	free(s);
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ca), &e), 0);
	/* Before the CA's notBefore: refused, saying why. */
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ca) - 3 * 86400,
	    &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "not valid yet"));
	scep_cacert_clear(&c);
	scep_cacert_clear(&c);	/* twice is harmless */
	free(buf);
}

static void
test_micromdm_single(void **state)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;
	char			*s;

	(void)state;
	buf = (unsigned char *)th_data(&len, "scep/micromdm-ca.der");
	assert_int_equal(scep_cacert_parse(&c, buf, len,
	    "application/x-x509-ca-cert", &e), 0);
	s = cn(c.ca);
	assert_string_equal(s, "ou=SCEP CA,o=scep-ca,c=US");
	free(s);
	assert_null(c.ra_sign);
	assert_null(c.ra_encr);
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ca), &e), 0);
	/* Ten years later it has expired. */
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ca) +
	    11 * 366 * 86400L, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "has expired"));
	scep_cacert_clear(&c);
	free(buf);
}

/* OpenXPKI: one RA certificate for both roles. */
static void
test_openxpki_one_ra(void **state)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;
	char			*s;

	(void)state;
	buf = (unsigned char *)th_data(&len, "scep/openxpki.p7b");
	assert_int_equal(scep_cacert_parse(&c, buf, len, NULL, &e), 0);
	s = cn(c.ca);
	assert_string_equal(s, "cn=Root netpki-test Certificate Manager,"
	    "ou=HFR,o=Cisco Systems,c=US");
	free(s);
	assert_non_null(c.ra_sign);
	assert_ptr_equal(c.ra_sign, c.ra_encr);
	s = cn(c.ra_sign);
	assert_string_equal(s, "cn=SCEP RA,o=OpenXPKI");
	free(s);
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ra_sign), &e), 0);
	scep_cacert_clear(&c);
	free(buf);
}

static void
test_not_a_ca(void **state)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;

	(void)state;
	buf = (unsigned char *)th_data(&len, "scep/ra-sign.pem");
	assert_int_equal(scep_cacert_parse(&c, buf, len, NULL, &e), 0);
	assert_int_equal(scep_cacert_check(&c, valid_now(c.ca), &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "not a CA certificate"));
	scep_cacert_clear(&c);
	free(buf);
}

static void
test_hostile(void **state)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned char		*buf, *two;
	size_t			 len;
	const char		*html = "<html><body>404</body></html>";

	(void)state;
	assert_int_equal(scep_cacert_parse(&c, (const unsigned char *)html,
	    strlen(html), "text/html", &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "HTML"));
	assert_int_equal(scep_cacert_parse(&c, (const unsigned char *)"x", 1,
	    NULL, &e), ERR_INVAL);
	buf = (unsigned char *)th_data(&len, "scep/micromdm-ca.der");
	assert_int_equal(scep_cacert_parse(&c, buf, len / 2, NULL, &e),
	    ERR_INVAL);
	/* Trailing bytes after a valid certificate. */
	two = malloc(len + 1);
	memcpy(two, buf, len);
	two[len] = 0;
	assert_int_equal(scep_cacert_parse(&c, two, len + 1, NULL, &e),
	    ERR_INVAL);
	assert_non_null(strstr(e.msg, "trailing"));
	free(two);
	free(buf);
}

static void
test_url(void **state)
{
	char	*u;

	(void)state;
	u = scep_url("http://ca/scep", "GetCACaps", NULL);
	assert_string_equal(u, "http://ca/scep?operation=GetCACaps");
	free(u);
	u = scep_url("http://ca/x?a=b", "GetCACert", "myca");
	assert_string_equal(u, "http://ca/x?a=b&operation=GetCACert&"
	    "message=myca");
	free(u);
}

/* The fuzz seeds are real CertReps: the client path accepts them. */
static void
test_certrep_seeds(void **state)
{
	static const char	*names[] = { "success", "pending", "failure" };
	static const int	 status[] = { SCEP_STATUS_SUCCESS,
				    SCEP_STATUS_PENDING, SCEP_STATUS_FAILURE };
	X509			*ca = th_x509("%s", "scep/bad/ca.pem");
	X509			*me = th_x509("%s", "scep/bad/notca.pem");
	X509			*other = th_x509("%s", "scep/bad/other.pem");
	EVP_PKEY		*key = th_pkey("%s", "scep/bad/notca.key");
	STACK_OF(X509)		*trusted = sk_X509_new_null();
	struct scep_msg		*m;
	struct err		 e;
	unsigned char		*buf;
	size_t			 len;
	char			 path[512];
	int			 i;

	(void)state;
	sk_X509_push(trusted, ca);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/../../fuzz/corpus/certrep/%s.der",
		    TESTDATA, names[i]);
		assert_int_equal(store_file_read(path, (char **)&buf, &len, 0,
		    &e), 0);
		assert_int_equal(scep_msg_parse(&m, buf, len, trusted, key, me,
		    &e), 0);
		assert_int_equal(m->status, status[i]);
		assert_int_equal(scep_msg_check_reply(m, "FUZZ-TRANSACTION",
		    (const unsigned char *)"0123456789abcdef", &e), 0);
		if (i == 0)
			assert_int_equal(sk_X509_num(m->certs), 2);
		if (i == 2)
			assert_string_equal(scep_failinfo_name(m->failinfo),
			    "badRequest");
		scep_msg_free(m);
		/* Signed by a CA the trustpoint does not have: refused. */
		sk_X509_set(trusted, 0, other);
		assert_int_not_equal(scep_msg_parse(&m, buf, len, trusted, key,
		    me, &e), 0);
		sk_X509_set(trusted, 0, ca);
		free(buf);
	}
	sk_X509_free(trusted);
	X509_free(ca);
	X509_free(me);
	X509_free(other);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_ndes_chain),
		cmocka_unit_test(test_micromdm_single),
		cmocka_unit_test(test_openxpki_one_ra),
		cmocka_unit_test(test_not_a_ca),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_certrep_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
