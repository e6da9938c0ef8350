/*
 * trustpoint: settings and defaults from a configuration, the fingerprint
 * pin, certificate files and the pending-request file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "config.h"
#include "err.h"
#include "helpers.h"
#include "store.h"
#include "trustpoint.h"

#define B "crypto ca trustpoint myca"

static void
set(struct config *c, const char *block, const char *key, const char *line,
    int rank)
{
	struct err	 e;

	assert_int_equal(config_set(c, block, key, line, rank, &e), 0);
}

static void
test_defaults(void **state)
{
	struct config		*c = config_new();
	struct trustpoint	*tp;
	struct err		 e;

	(void)state;
	assert_int_equal(tp_load(&tp, c, "myca", &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "Trustpoint myca is not configured");
	set(c, NULL, B, B, 1);
	set(c, B, "description", "description lab", 2);
	assert_int_equal(tp_load(&tp, c, "myca", &e), 0);
	assert_int_equal(tp->method, TP_METHOD_NONE);
	assert_int_equal(tp->retry_period, 1);
	assert_int_equal(tp->retry_count, 10);
	assert_string_equal(tp->keylabel, "the_default");
	assert_int_equal(tp->keylabel_set, 0);
	assert_null(tp->fingerprint);
	assert_string_equal(tp->description, "lab");
	tp_free(tp);
	tp_free(NULL);
	config_free(c);
}

static void
test_settings(void **state)
{
	struct config		*c = config_new();
	struct trustpoint	*tp;
	struct err		 e;

	(void)state;
	set(c, NULL, B, B, 1);
	set(c, B, "enrollment method", "enrollment url http://ca:8080", 2);
	set(c, B, "enrollment retry period", "enrollment retry period 2", 3);
	set(c, B, "enrollment retry count", "enrollment retry count 25", 4);
	set(c, B, "rsakeypair", "rsakeypair mykey", 5);
	set(c, B, "serial-number", "serial-number none", 6);
	set(c, B, "crl", "crl optional", 7);
	set(c, B, "fingerprint", "fingerprint 58 71 fb 94 55 65 D4 64 38 91 2B "
	    "00 61 E9 F8 05", 8);
	set(c, B, "ip-address", "ip-address 192.0.2.1", 9);
	assert_int_equal(tp_load(&tp, c, "myca", &e), 0);
	assert_int_equal(tp->method, TP_METHOD_URL);
	/* No path: the IOS default CGI path is added. */
	assert_string_equal(tp->url, "http://ca:8080/cgi-bin/pkiclient.exe");
	assert_int_equal(tp->retry_period, 2);
	assert_int_equal(tp->retry_count, 25);
	assert_string_equal(tp->keylabel, "mykey");
	assert_int_equal(tp->keylabel_set, 1);
	assert_int_equal(tp->serial, TP_SERIAL_NONE);
	assert_int_equal(tp->crl_optional, 1);
	assert_string_equal(tp->fingerprint,
	    "5871FB945565D46438912B0061E9F805");
	assert_string_equal(tp_fingerprint_md(tp->fingerprint), "MD5");
	assert_string_equal(tp->ip_address, "192.0.2.1");
	tp_free(tp);
	set(c, B, "enrollment method", "enrollment terminal", 2);
	assert_int_equal(tp_load(&tp, c, "myca", &e), 0);
	assert_int_equal(tp->method, TP_METHOD_TERMINAL);
	assert_null(tp->url);
	tp_free(tp);
	config_free(c);
}

static void
test_url_and_pin(void **state)
{
	struct err	 e;
	char		*s;

	(void)state;
	s = tp_url_default_path("http://ca");
	assert_string_equal(s, "http://ca/cgi-bin/pkiclient.exe");
	free(s);
	s = tp_url_default_path("http://ca/scep");
	assert_string_equal(s, "http://ca/scep");
	free(s);
	assert_int_equal(tp_fingerprint_norm(&s, "12:34", &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "4 hex digits"));
	assert_int_equal(tp_fingerprint_norm(&s, "zz", &e), ERR_INVAL);
	assert_int_equal(tp_fingerprint_norm(&s,
	    "50843A33 841215DE 7D89D71F 735232BE C0FB600A 45E38CC0 94253E11 "
	    "90F135D9", &e), 0);
	assert_string_equal(tp_fingerprint_md(s), "SHA256");
	free(s);
	assert_false(tp_name_ok("../x"));
	assert_false(tp_name_ok(".x"));
	assert_false(tp_name_ok(""));
	assert_true(tp_name_ok("my-ca_1.lab"));
}

static void
test_files(void **state)
{
	char			*tmpl = th_tmpdir();
	struct store		*st;
	struct tp_certs		 tc;
	struct tp_pending	 p, q;
	struct err		 e;
	struct stat		 sb;
	STACK_OF(X509)		*chain = sk_X509_new_null();
	X509			*ca = th_x509("scep/bad/ca.pem");
	X509			*ra = th_x509("scep/bad/ra-sign.pem");
	X509			*other = th_x509("scep/bad/other.pem");
	char			 path[600];

	(void)state;
	assert_int_equal(store_open(&st, tmpl, &e), 0);
	assert_int_equal(tp_certs_load(&tc, st, "myca", &e), 0);
	assert_null(tc.ca);
	sk_X509_push(chain, ca);
	assert_int_equal(tp_store_ca(st, "myca", chain, ra, NULL, &e), 0);
	assert_int_equal(tp_store_cert(st, "myca", TP_KIND_GENERAL, ra, &e), 0);
	assert_int_equal(tp_certs_load(&tc, st, "myca", &e), 0);
	assert_int_equal(X509_cmp(tc.ca, ca), 0);
	assert_int_equal(X509_cmp(tc.ra_sign, ra), 0);
	assert_null(tc.ra_encr);
	assert_non_null(tc.dev[TP_KIND_GENERAL]);
	tp_certs_clear(&tc);
	/* Issued-by checks name the rule. */
	assert_int_equal(tp_check_issued(ra, ca, 1700000000, "x", &e), 0);
	assert_int_equal(tp_check_issued(ra, other, 1700000000, "x", &e),
	    ERR_REFUSED);
	assert_non_null(strstr(e.msg, "not issued by the trustpoint's CA"));
	/* A new CA drops the device certificate it did not issue. */
	sk_X509_set(chain, 0, other);
	assert_int_equal(tp_store_ca(st, "myca", chain, NULL, NULL, &e), 0);
	assert_int_equal(tp_certs_load(&tc, st, "myca", &e), 0);
	assert_null(tc.dev[TP_KIND_GENERAL]);
	assert_null(tc.ra_sign);
	tp_certs_clear(&tc);

	memset(&p, 0, sizeof(p));
	snprintf(p.transid, sizeof(p.transid), "ABCDEF");
	snprintf(p.keylabel, sizeof(p.keylabel), "mykey");
	p.created = 1700000000;
	p.subject = X509_NAME_dup(X509_get_subject_name(ra));
	p.signer = ra;
	assert_int_equal(tp_pending_save(st, "myca", TP_KIND_SIGN, &p, &e), 0);
	p.signer = NULL;
	snprintf(path, sizeof(path), "%s/trustpoints/myca/pending/sign", tmpl);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_true(tp_pending_exists(st, "myca", TP_KIND_SIGN));
	assert_false(tp_pending_exists(st, "myca", TP_KIND_GENERAL));
	assert_int_equal(tp_pending_load(&q, st, "myca", TP_KIND_SIGN, &e), 0);
	assert_string_equal(q.transid, "ABCDEF");
	assert_string_equal(q.keylabel, "mykey");
	assert_int_equal(q.created, 1700000000);
	assert_int_equal(X509_NAME_cmp(q.subject, p.subject), 0);
	assert_int_equal(X509_cmp(q.signer, ra), 0);
	tp_pending_clear(&q);
	tp_pending_clear(&p);
	assert_int_equal(tp_pending_remove(st, "myca", TP_KIND_SIGN, &e), 0);
	assert_int_equal(tp_pending_load(&q, st, "myca", TP_KIND_SIGN, &e),
	    ERR_NOTFOUND);
	/* A corrupt pending file is an error, not a crash. */
	assert_int_equal(store_write(st, "trustpoints/myca/pending/encr",
	    "transaction-id x\n", 17, 0600, &e), 0);
	assert_int_equal(tp_pending_load(&q, st, "myca", TP_KIND_ENCR, &e),
	    ERR_INVAL);
	assert_int_equal(tp_remove_all(st, "myca", &e), 0);
	assert_false(store_exists(st, "trustpoints/myca/ca.pem"));
	store_free(st);
	sk_X509_free(chain);
	X509_free(ca);
	X509_free(ra);
	X509_free(other);
	th_rmtree(tmpl);
	free(tmpl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_url_and_pin),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
