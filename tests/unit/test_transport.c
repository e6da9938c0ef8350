/*
 * transport and tftp_enroll: the http-proxy statement to libcurl's form,
 * proxy host syntax, which URLs need TLS anchors, the anchors themselves
 * (trustpoint CA first, then the pool), and TFTP enrollment URLs to file
 * names (both URL forms, the FQDN default, usage-key suffixes, refusals),
 * and the file decoder (DER, PKCS#7, PEM, garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "err.h"
#include "fetch.h"
#include "helpers.h"
#include "store.h"
#include "tftp_enroll.h"
#include "transport.h"

static struct config *
cfg_proxy(const char *line)
{
	struct config	*c = config_new();
	struct err	 e;

	assert_non_null(c);
	assert_int_equal(config_set(c, NULL, TRANSPORT_PROXY_KEY, line, 0,
	    &e), 0);
	return c;
}

static void
test_proxy(void **state)
{
	struct config	*c;
	struct err	 e;
	char		*p;

	(void)state;
	assert_int_equal(transport_proxy(&p, NULL, &e), 0);
	assert_null(p);
	c = cfg_proxy("crypto ca http-proxy proxy.example.net port 3128");
	assert_int_equal(transport_proxy(&p, c, &e), 0);
	assert_string_equal(p, "proxy.example.net:3128");
	free(p);
	config_free(c);
	c = cfg_proxy("crypto ca http-proxy 2001:db8::1 port 8080");
	assert_int_equal(transport_proxy(&p, c, &e), 0);
	assert_string_equal(p, "[2001:db8::1]:8080");
	free(p);
	config_free(c);
	/* A hand-edited file must not reach libcurl. */
	c = cfg_proxy("crypto ca http-proxy bad/host port 80");
	assert_int_equal(transport_proxy(&p, c, &e), ERR_INVAL);
	assert_null(p);
	config_free(c);
	c = cfg_proxy("crypto ca http-proxy h port 70000");
	assert_int_equal(transport_proxy(&p, c, &e), ERR_INVAL);
	config_free(c);

	assert_true(transport_host_ok("10.0.0.1"));
	assert_true(transport_host_ok("::1"));
	assert_true(transport_host_ok("a-b.example"));
	assert_false(transport_host_ok(""));
	assert_false(transport_host_ok("-a"));
	assert_false(transport_host_ok("a..b"));
	assert_false(transport_host_ok("a_b"));
	assert_false(transport_host_ok("a:b"));

	assert_true(transport_url_tls("https://x/"));
	assert_true(transport_url_tls("LDAPS://x/"));
	assert_true(transport_url_tls(NULL));
	assert_false(transport_url_tls("http://x/"));
	assert_false(transport_url_tls("tftp://x/"));
}

static void
test_anchors(void **state)
{
	struct store	*st = NULL;
	struct err	 e;
	char		*dir = th_tmpdir(), path[512];
	char		*pem = NULL, *bundle = NULL;
	size_t		 len, blen;
	BIO		*bio;
	X509		*x;
	int		 n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/trustpool/builtin.pem", TESTDATA);
	setenv("NETPKI_BUILTIN_BUNDLE", path, 1);
	assert_int_equal(store_file_read(path, &bundle, &blen, 1 << 20, &e), 0);
	assert_int_equal(store_open(&st, dir, &e), 0);
	/* Not authenticated: the pool only. */
	assert_int_equal(transport_anchors(&pem, &len, st, "tp", &e), 0);
	assert_int_equal(strlen(pem), len);
	bio = BIO_new_mem_buf(pem, (int)len);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n++;
		X509_free(x);
	}
	BIO_free(bio);
	assert_true(n >= 1);
	free(pem);
	/* fetch options: anchors only for TLS URLs, the proxy always. */
	{
		struct fetch_opts	 fo;
		struct config		*c = cfg_proxy(
		    "crypto ca http-proxy 127.0.0.1 port 3128");

		memset(&fo, 0, sizeof(fo));
		assert_int_equal(transport_opts(&fo, c, st, "mgmt", "tp",
		    "http://ca/", &e), 0);
		assert_null(fo.ca_pem);
		assert_string_equal(fo.proxy, "127.0.0.1:3128");
		assert_string_equal(fo.vrf, "mgmt");
		transport_opts_clear(&fo);
		assert_int_equal(transport_opts(&fo, c, st, NULL, "tp",
		    "https://ca/", &e), 0);
		assert_non_null(fo.ca_pem);
		assert_true(fo.ca_pem_len > 0);
		transport_opts_clear(&fo);
		transport_opts_clear(&fo);	/* twice is fine */
		transport_opts_clear(NULL);
		config_free(c);
	}
	/* An empty pool and no CA: no anchors, said clearly. */
	snprintf(path, sizeof(path), "%s/empty.pem", dir);
	assert_int_equal(store_file_write(path, "", 0, 0644, &e), 0);
	setenv("NETPKI_BUILTIN_BUNDLE", path, 1);
	assert_int_equal(transport_anchors(&pem, &len, st, "tp", &e),
	    ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "trustpoint tp is not authenticated"));
	unlink(path);
	store_free(st);
	free(bundle);
	unsetenv("NETPKI_BUILTIN_BUNDLE");
	th_rmtree(dir);
	free(dir);
}

static void
names(const char *url, const char *host, const char *vrf, const char *dir,
    const char *name)
{
	struct tftp_target	 t;
	struct err		 e;

	assert_true(tftp_is_url(url));
	assert_int_equal(tftp_target_parse(&t, url, "r1.example.net", &e), 0);
	assert_string_equal(t.host, host);
	assert_string_equal(t.vrf, vrf);
	assert_string_equal(t.dir, dir);
	assert_string_equal(t.name, name);
}

static void
test_tftp_names(void **state)
{
	struct tftp_target	 t;
	struct err		 e;
	char			 f[300], u[1600];

	(void)state;
	names("tftp://10.1.1.1", "10.1.1.1", "", "/", "r1.example.net");
	names("tftp://10.1.1.1/", "10.1.1.1", "", "/", "r1.example.net");
	names("TFTP://ca.example:6969/pki/myca", "ca.example:6969", "",
	    "/pki/", "myca");
	names("tftp://[2001:db8::1]:69/a/b/", "[2001:db8::1]:69", "",
	    "/a/b/", "r1.example.net");
	/* The reference text's form. */
	names("10.1.1.1;mgmt/myca", "10.1.1.1", "mgmt", "/", "myca");
	names("tftp://10.1.1.1;mgmt", "10.1.1.1", "mgmt", "/",
	    "r1.example.net");

	assert_false(tftp_is_url("http://x/y"));
	assert_false(tftp_is_url("x/y"));
	assert_int_equal(tftp_target_parse(&t, "tftp://h/../etc/x", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h//x", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h/.hidden", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h/a b", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h_x/a", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h:99999/a", "f", &e),
	    ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "h;/a", "f", &e), ERR_INVAL);
	assert_int_equal(tftp_target_parse(&t, "tftp://h/", "", &e),
	    ERR_INVAL);

	assert_int_equal(tftp_target_parse(&t, "tftp://h/p/ca1", "f", &e), 0);
	assert_int_equal(tftp_file(f, sizeof(f), &t, "ca", TP_KIND_GENERAL,
	    0), 0);
	assert_string_equal(f, "ca1.ca");
	assert_int_equal(tftp_file(f, sizeof(f), &t, "req", TP_KIND_GENERAL,
	    0), 0);
	assert_string_equal(f, "ca1.req");
	assert_int_equal(tftp_file(f, sizeof(f), &t, "req", TP_KIND_SIGN, 1),
	    0);
	assert_string_equal(f, "ca1-sign.req");
	assert_int_equal(tftp_file(f, sizeof(f), &t, "crt", TP_KIND_ENCR, 1),
	    0);
	assert_string_equal(f, "ca1-encr.crt");
	assert_int_equal(tftp_url(u, sizeof(u), &t, f), 0);
	assert_string_equal(u, "tftp://h/p/ca1-encr.crt");
	assert_int_equal(tftp_file(f, 5, &t, "crt", TP_KIND_ENCR, 1),
	    ERR_TOOBIG);
}

static void
test_tftp_files(void **state)
{
	STACK_OF(X509)	*sk = NULL;
	struct err	 e;
	char		 path[512], *buf;
	size_t		 len;
	unsigned char	*der = NULL;
	X509		*x;
	int		 n;

	(void)state;
	snprintf(path, sizeof(path), "%s/trustpool/builtin.pem", TESTDATA);
	assert_int_equal(store_file_read(path, &buf, &len, 1 << 20, &e), 0);
	/* PEM text: every certificate. */
	assert_int_equal(tftp_certs_parse(&sk, (unsigned char *)buf, len, &e),
	    0);
	assert_true(sk_X509_num(sk) >= 1);
	x = sk_X509_value(sk, 0);
	/* DER: one certificate; with a trailing byte: refused. */
	assert_true((n = i2d_X509(x, &der)) > 0);
	sk_X509_pop_free(sk, X509_free);
	assert_int_equal(tftp_certs_parse(&sk, der, (size_t)n, &e), 0);
	assert_int_equal(sk_X509_num(sk), 1);
	sk_X509_pop_free(sk, X509_free);
	der = realloc(der, (size_t)n + 1);
	der[n] = 0;
	assert_int_not_equal(tftp_certs_parse(&sk, der, (size_t)n + 1, &e), 0);
	assert_null(sk);
	assert_int_not_equal(tftp_certs_parse(&sk, der, (size_t)n / 2, &e), 0);
	assert_int_equal(tftp_certs_parse(&sk, der, 0, &e), ERR_INVAL);
	assert_int_equal(tftp_certs_parse(&sk, (unsigned char *)"garbage", 7,
	    &e), ERR_INVAL);
	assert_int_equal(tftp_certs_parse(&sk, der, TFTP_FILEMAX + 1, &e),
	    ERR_TOOBIG);
	OPENSSL_free(der);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_tftp_names),
		cmocka_unit_test(test_tftp_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
