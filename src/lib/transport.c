/*
 * transport: the VRF, proxy and https trust anchors of every fetch.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "err.h"
#include "fetch.h"
#include "store.h"
#include "transport.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "trustpool.h"

int
transport_host_ok(const char *h)
{
	unsigned char	 buf[16];
	size_t		 i, n = strlen(h), lab = 0;

	if (n == 0 || n > TRANSPORT_HOSTMAX)
		return 0;
	if (inet_pton(AF_INET6, h, buf) == 1 || inet_pton(AF_INET, h, buf) == 1)
		return 1;
	/* RFC 1123 host name: letters, digits, '-' and '.', labels <= 63. */
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return 0;
		if (++lab > 63)
			return 0;
	}
	return h[0] != '-' && lab > 0;
}

int
transport_proxy(char **out, const struct config *c, struct err *e)
{
	const char	*v;
	char		 host[TRANSPORT_HOSTMAX + 1], *end;
	long		 port;
	size_t		 n;

	*out = NULL;
	/* "HOST port PORT", as the statement was stored. */
	if (c == NULL || (v = config_value(c, NULL, TRANSPORT_PROXY_KEY)) ==
	    NULL || *v == '\0')
		return 0;
	n = strcspn(v, " ");
	if (n == 0 || n > TRANSPORT_HOSTMAX || strncmp(v + n, " port ", 6) != 0)
		return err_set(e, ERR_INVAL, "crypto ca http-proxy %s: expected "
		    "HOST port PORT", v);
	memcpy(host, v, n);
	host[n] = '\0';
	port = strtol(v + n + 6, &end, 10);
	if (!transport_host_ok(host) || *end != '\0' || port < 1 ||
	    port > 65535)
		return err_set(e, ERR_INVAL, "crypto ca http-proxy %s: bad host "
		    "or port", v);
	n = strlen(host) + 16;
	if ((*out = malloc(n)) == NULL)
		return err_nomem(e);
	/* libcurl reads "a:b:c" as host "a" port "b": bracket IPv6. */
	snprintf(*out, n, strchr(host, ':') ? "[%s]:%ld" : "%s:%ld", host,
	    port);
	return 0;
}

int
transport_url_tls(const char *url)
{
	return url == NULL || strncasecmp(url, "https://", 8) == 0 ||
	    strncasecmp(url, "ldaps://", 8) == 0;
}

/*
 * The anchors as one stack: the trustpoint's CA chain first (it is the
 * one expected to match), then the pool's active certificates.
 */
static int
transport_anchor_list(STACK_OF(X509) **out, struct store *st,
    const char *tpname, struct err *e)
{
	struct trustpool	*pool = NULL;
	struct tp_certs		 tc;
	STACK_OF(X509)		*sk = NULL, *pk = NULL;
	int			 i, rc;

	*out = NULL;
	memset(&tc, 0, sizeof(tc));
	if ((sk = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	if (tpname != NULL && (rc = tp_certs_load(&tc, st, tpname, e)) != 0)
		goto out;
	if ((rc = trustpool_load(&pool, st, e)) != 0 ||
	    (rc = trustpool_anchors(&pk, pool, e)) != 0)
		goto out;
	for (i = 0; tc.chain != NULL && i < sk_X509_num(tc.chain); i++)
		if (!X509_up_ref(sk_X509_value(tc.chain, i)) ||
		    !sk_X509_push(sk, sk_X509_value(tc.chain, i))) {
			rc = err_nomem(e);
			goto out;
		}
	/* During a CA rollover the next CA anchors the trustpoint too. */
	if (tc.chain != NULL && (rc = tp_anchors_add_next(sk, st, tpname,
	    e)) != 0)
		goto out;
	while (sk_X509_num(pk) > 0)
		if (!sk_X509_push(sk, sk_X509_value(pk, 0)) ||
		    sk_X509_shift(pk) == NULL) {
			rc = err_nomem(e);
			goto out;
		}
	if (sk_X509_num(sk) == 0) {
		rc = err_set(e, ERR_NOTFOUND, "no trust anchors for https: the "
		    "trust pool is empty%s%s%s", tpname ? " and trustpoint " :
		    "", tpname ? tpname : "", tpname ? " is not authenticated" :
		    "");
		goto out;
	}
	*out = sk;
	sk = NULL;
 out:
	sk_X509_pop_free(pk, X509_free);
	sk_X509_pop_free(sk, X509_free);
	trustpool_free(pool);
	tp_certs_clear(&tc);
	return rc;
}

/* PEM of the first n certificates of sk; *pem NUL-terminated. */
static int
transport_pem(char **pem, size_t *len, STACK_OF(X509) *sk, int n,
    struct err *e)
{
	BIO	*bio;
	BUF_MEM	*mem;
	int	 i, rc = 0;

	*pem = NULL;
	*len = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	for (i = 0; i < n && i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(sk, i))) {
			rc = err_openssl(e, ERR_CRYPTO, "PEM encoding of a "
			    "trust anchor");
			goto out;
		}
	BIO_get_mem_ptr(bio, &mem);
	if ((*pem = malloc(mem->length + 1)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	memcpy(*pem, mem->data, mem->length);
	(*pem)[mem->length] = '\0';
	*len = mem->length;
 out:
	BIO_free(bio);
	return rc;
}

int
transport_anchors(char **pem, size_t *len, struct store *st,
    const char *tpname, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	int		 rc;

	*pem = NULL;
	*len = 0;
	if ((rc = transport_anchor_list(&sk, st, tpname, e)) == 0)
		rc = transport_pem(pem, len, sk, sk_X509_num(sk), e);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* The anchors as an X509_STORE with the verify flags libcurl would set. */
static int
transport_x509_store(X509_STORE **out, STACK_OF(X509) *sk, struct err *e)
{
	X509_STORE	*xs;
	int		 i;

	*out = NULL;
	if ((xs = X509_STORE_new()) == NULL)
		return err_nomem(e);
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(xs, sk_X509_value(sk, i))) {
			X509_STORE_free(xs);
			return err_openssl(e, ERR_CRYPTO, "trust anchor store");
		}
	/* Anchors may be intermediate CAs (a trustpoint's issuing CA). */
	X509_STORE_set_flags(xs, X509_V_FLAG_PARTIAL_CHAIN |
	    X509_V_FLAG_TRUSTED_FIRST);
	*out = xs;
	return 0;
}

int
transport_opts(struct fetch_opts *fo, const struct config *c,
    struct store *st, const char *vrf, const char *tpname, const char *url,
    struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	X509_STORE	*xs = NULL;
	char		*proxy = NULL, *pem = NULL;
	size_t		 len = 0;
	int		 rc;

	/* A VRF routes packets: a file:// URL has none to route. */
	fo->vrf = url != NULL && strncasecmp(url, "file:", 5) == 0 ? NULL :
	    vrf;
	fo->proxy = NULL;
	fo->ca_pem = NULL;
	fo->ca_pem_len = 0;
	fo->ca_store = NULL;
	if ((rc = transport_proxy(&proxy, c, e)) != 0)
		goto out;
	/*
	 * libcurl gets the first anchor as PEM and, per connection, the
	 * store of all of them (fetch's SSL_CTX callback): parsing the pool
	 * as PEM for every connection cost 30 ms each with Debian's bundle.
	 */
	if (transport_url_tls(url) &&
	    ((rc = transport_anchor_list(&sk, st, tpname, e)) != 0 ||
	    (rc = transport_pem(&pem, &len, sk, 1, e)) != 0 ||
	    (rc = transport_x509_store(&xs, sk, e)) != 0))
		goto out;
	fo->proxy = proxy;
	fo->ca_pem = pem;
	fo->ca_pem_len = len;
	fo->ca_store = xs;
	proxy = pem = NULL;
	xs = NULL;
 out:
	X509_STORE_free(xs);
	free(proxy);
	free(pem);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

void
transport_opts_clear(struct fetch_opts *fo)
{
	if (fo == NULL)
		return;
	/* transport_opts() allocated both; fetch_opts keeps them const. */
	free((char *)fo->proxy);
	free((char *)fo->ca_pem);
	X509_STORE_free(fo->ca_store);
	fo->proxy = NULL;
	fo->ca_pem = NULL;
	fo->ca_pem_len = 0;
	fo->ca_store = NULL;
}
