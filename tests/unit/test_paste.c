/*
 * paste: decoding pasted text (PEM, bare base64, PKCS#7, keys and requests
 * refused) and matching a pasted certificate to a trustpoint's keys, with
 * the fixed data of tests/data/paste (made by its gen.sh).
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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "helpers.h"
#include "paste.h"
#include "store.h"
#include "trustpoint.h"

#define NOW	1800000000	/* inside the fixed data's validity */

/* PEM file without its BEGIN/END lines. */
static char *
body(const char *name, size_t *len)
{
	char	*pem = th_data(len, "paste/%s", name), *out = calloc(1, *len + 1);
	char	*line, *save = NULL;

	assert_non_null(out);
	for (line = strtok_r(pem, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "-----", 5) != 0) {
			strcat(out, line);
			strcat(out, "\n");
		}
	free(pem);
	*len = strlen(out);
	return out;
}

static int
certs_rc(const char *text, size_t len, int *n, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	int		 rc;

	*n = 0;
	rc = paste_certs(&sk, text, len, e);
	if (rc == 0)
		*n = sk_X509_num(sk);
	else
		assert_null(sk);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static void
test_decode(void **state)
{
	struct err	 e;
	char		*t, *big;
	size_t		 len;
	int		 n;

	(void)state;
	t = th_data(&len, "paste/root.pem");
	assert_int_equal(certs_rc(t, len, &n, &e), 0);
	assert_int_equal(n, 1);
	free(t);
	t = body("root.pem", &len);
	assert_int_equal(certs_rc(t, len, &n, &e), 0);
	assert_int_equal(n, 1);
	/* Cut short: a clear error, no crash. */
	assert_int_equal(certs_rc(t, len / 2, &n, &e), ERR_INVAL);
	free(t);
	t = th_data(&len, "paste/chain.p7b");
	assert_int_equal(certs_rc(t, len, &n, &e), 0);
	assert_int_equal(n, 2);
	free(t);
	t = body("chain.p7b", &len);
	assert_int_equal(certs_rc(t, len, &n, &e), 0);
	assert_int_equal(n, 2);
	free(t);

	t = th_data(&len, "paste/privkey.pem");
	assert_int_equal(certs_rc(t, len, &n, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "is a private key"));
	free(t);
	t = body("privkey.pem", &len);
	assert_int_equal(certs_rc(t, len, &n, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "is a private key"));
	free(t);
	t = th_data(&len, "paste/request.pem");
	assert_int_equal(certs_rc(t, len, &n, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "certificate request"));
	free(t);
	t = body("request.pem", &len);
	assert_int_equal(certs_rc(t, len, &n, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "certificate request"));
	free(t);

	assert_int_equal(certs_rc("hello\nworld!\n", 13, &n, &e), ERR_INVAL);
	assert_string_equal(e.msg, "the pasted text is neither PEM nor base64 "
	    "(line 2)");
	assert_int_equal(certs_rc(" \n\t\n", 4, &n, &e), ERR_INVAL);
	assert_string_equal(e.msg, "nothing was pasted");
	assert_int_equal(certs_rc("QUJ", 3, &n, &e), ERR_INVAL);
	assert_int_equal(certs_rc("-----BEGIN FOO-----\nQUJD\n-----END "
	    "FOO-----\n", 40, &n, &e), ERR_INVAL);
	assert_non_null(big = malloc(PASTE_MAX + 1));
	memset(big, 'A', PASTE_MAX + 1);
	assert_int_equal(certs_rc(big, PASTE_MAX + 1, &n, &e), ERR_TOOBIG);
	free(big);
}

static EVP_PKEY *
key(const char *name)
{
	char		 path[512];
	FILE		*f;
	EVP_PKEY	*k;

	snprintf(path, sizeof(path), "%s/paste/%s", TESTDATA, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(k = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	return k;
}

static int
match(const struct paste_target *t, const char *file, enum tp_kind *kind,
    struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	X509		*x = NULL;
	char		*text;
	size_t		 len;
	int		 rc;

	text = th_data(&len, "paste/%s", file);
	assert_int_equal(paste_certs(&sk, text, len, e), 0);
	rc = paste_match(&x, kind, sk, t, NOW, e);
	if (rc == 0)
		assert_non_null(x);
	else
		assert_null(x);
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	free(text);
	return rc;
}

/* Lines outside the PEM blocks are counted for the front end's note. */
static void
test_outside_lines(void **state)
{
	static const char	 two[] = "Subject: a CA\n\n"
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	    "  \r\nbetween\n-----BEGIN CERTIFICATE-----\nBBBB\n"
	    "-----END CERTIFICATE-----";
	static const char	 none[] = "\n-----BEGIN CERTIFICATE-----\n"
	    "Subject: inside\n-----END CERTIFICATE-----\n\n";
	static const char	 b64[] = "MIIDTDCCAjSgAwIBAgIBATANBgkqhkiG9w0B\n";
	static const char	 stray[] = "-----END CERTIFICATE-----\n"
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	STACK_OF(X509)		*certs = NULL;
	struct err		 e;
	char			*t, *text;
	size_t			 len;

	(void)state;
	assert_int_equal(paste_outside_lines(two, strlen(two)), 2);
	assert_int_equal(paste_outside_lines(none, strlen(none)), 0);
	assert_int_equal(paste_outside_lines(b64, strlen(b64)), 0);
	/* An END line with no BEGIN is outside text too. */
	assert_int_equal(paste_outside_lines(stray, strlen(stray)), 1);

	/* The text is ignored, not merged: the certificate alone is read. */
	t = th_data(&len, "paste/root.pem");
	assert_true(asprintf(&text, "From: ca@example.com\n%sThanks!\n",
	    t) > 0);
	assert_int_equal(paste_certs(&certs, text, strlen(text), &e), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(paste_outside_lines(text, strlen(text)), 2);
	sk_X509_pop_free(certs, X509_free);
	free(text);
	free(t);
}

static void
test_check_cas(void **state)
{
	STACK_OF(X509)	*sk;
	struct err	 e;

	(void)state;
	assert_non_null(sk = sk_X509_new_null());
	sk_X509_push(sk, th_x509("paste/general.pem"));
	assert_int_equal(paste_check_cas(sk, &e), 0);	/* one: CA checks */
	sk_X509_push(sk, th_x509("paste/sub.pem"));
	assert_int_equal(paste_check_cas(sk, &e), ERR_REFUSED);
	assert_string_equal(e.msg, "pasted certificate 1 "
	    "(unstructuredName=r1.example.com) is not a CA certificate: paste "
	    "the CA certificates only (a router certificate goes to 'crypto ca "
	    "import')");
	X509_free(sk_X509_shift(sk));
	sk_X509_push(sk, th_x509("paste/root.pem"));
	assert_int_equal(paste_check_cas(sk, &e), 0);
	sk_X509_pop_free(sk, X509_free);
}

static void
test_match(void **state)
{
	struct paste_target	 g, u;
	struct err		 e;
	enum tp_kind		 kind;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.name = "myca";
	g.keylabel = "mykey";
	g.key[TP_KIND_GENERAL] = key("mykey.pem");
	g.ca = th_x509("paste/sub.pem");
	assert_int_equal(match(&g, "general.pem", &kind, &e), 0);
	assert_int_equal(kind, TP_KIND_GENERAL);
	assert_int_equal(match(&g, "otherkey.pem", &kind, &e), ERR_REFUSED);
	assert_string_equal(e.msg, "the certificate is not for key pair mykey: "
	    "its public key is not one of the trustpoint's keys");
	assert_int_equal(match(&g, "otherca.pem", &kind, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "not issued by the trustpoint's CA"));
	assert_int_equal(match(&g, "forged.pem", &kind, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "signature does not verify"));
	assert_int_equal(match(&g, "expired.pem", &kind, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "has expired"));
	assert_int_equal(match(&g, "sub.pem", &kind, &e), ERR_REFUSED);
	assert_non_null(strstr(e.msg, "is a CA certificate"));
	g.have[TP_KIND_GENERAL] = th_x509("paste/general.pem");
	assert_int_equal(match(&g, "general.pem", &kind, &e), ERR_EXISTS);
	assert_string_equal(e.msg, "this certificate is already imported for "
	    "key pair mykey (General Purpose): nothing changed");

	/* Usage keys: each certificate finds its own slot. */
	memset(&u, 0, sizeof(u));
	u.name = "uk";
	u.keylabel = "uk";
	u.key[TP_KIND_SIGN] = key("uk-sign.pem");
	u.key[TP_KIND_ENCR] = key("uk-encr.pem");
	u.ca = g.ca;
	assert_int_equal(match(&u, "encr.pem", &kind, &e), 0);
	assert_int_equal(kind, TP_KIND_ENCR);
	assert_int_equal(match(&u, "sign.pem", &kind, &e), 0);
	assert_int_equal(kind, TP_KIND_SIGN);
	assert_int_equal(match(&u, "general.pem", &kind, &e), ERR_REFUSED);

	EVP_PKEY_free(g.key[TP_KIND_GENERAL]);
	EVP_PKEY_free(u.key[TP_KIND_SIGN]);
	EVP_PKEY_free(u.key[TP_KIND_ENCR]);
	X509_free(g.ca);
	X509_free(g.have[TP_KIND_GENERAL]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_outside_lines),
		cmocka_unit_test(test_check_cas),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
