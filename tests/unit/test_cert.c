/*
 * cert: the shared revocation reason table (client and netpki-ca) and
 * cert_der_dup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"

static void
test_reasons(void **state)
{
	static const char	*names[] = { "unspecified", "keyCompromise",
				    "cACompromise", "affiliationChanged",
				    "superseded", "cessationOfOperation",
				    "certificateHold", NULL, "removeFromCRL",
				    "privilegeWithdrawn", "aACompromise" };
	int			 i;

	(void)state;
	for (i = 0; i < 11; i++) {
		if (names[i] == NULL)
			continue;
		assert_string_equal(cert_reason_name(i), names[i]);
		assert_int_equal(cert_reason_code(names[i]), i);
	}
	/* What each side did before the two tables became one. */
	assert_string_equal(cert_reason_name(-1), "unspecified");
	assert_string_equal(cert_reason_name(7), "value7");
	assert_string_equal(cert_reason_name(11), "unspecified");
	assert_int_equal(cert_reason_code("KEYCOMPROMISE"), 1);
	assert_int_equal(cert_reason_code("value7"), -1);
	assert_int_equal(cert_reason_code("compromised"), -1);
	assert_int_equal(cert_reason_code(""), -1);
}

static void
test_der_dup(void **state)
{
	X509_NAME		*n = X509_NAME_new(), *back;
	unsigned char		*der, *ref = NULL;
	const unsigned char	*p;
	size_t			 len;
	struct err		 e;
	int			 rlen;

	(void)state;
	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"router.example", -1, -1, 0), 1);
	assert_int_equal(cert_der_dup(&der, &len, n, ASN1_ITEM_rptr(X509_NAME),
	    "name", &e), 0);
	assert_true((rlen = i2d_X509_NAME(n, &ref)) > 0);
	assert_int_equal(len, (size_t)rlen);
	assert_memory_equal(der, ref, len);
	p = der;
	assert_non_null(back = d2i_X509_NAME(NULL, &p, (long)len));
	assert_int_equal(X509_NAME_cmp(back, n), 0);
	X509_NAME_free(back);
	OPENSSL_free(ref);
	free(der);		/* malloc's memory, not OpenSSL's */
	X509_NAME_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_der_dup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
