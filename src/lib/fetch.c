/*
 * fetch: libcurl for every client URL.
 */
#include <net/if.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dynlib.h"
#include "err.h"
#include "fetch.h"

/*
 * libcurl is opened on the first fetch, not at program start: with its
 * dependencies it is 30 shared libraries, which doubled the shell's
 * start-up time and added about 3 MB to every command that never opens a
 * URL (show running-config, key generation).  dynlib's RTLD_LAZY:
 * libcurl and the half of its libraries not linked with -z now bind each
 * function on its first call instead of all ~8,800 relocations up front
 * (2.8M instructions of one enrollment's 77M).
 */
struct fetch_api {
	CURL			*(*easy_init)(void);
	CURLcode		 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode		 (*easy_perform)(CURL *);
	CURLcode		 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void			 (*easy_cleanup)(CURL *);
	const char		*(*easy_strerror)(CURLcode);
	struct curl_slist	*(*slist_append)(struct curl_slist *,
				    const char *);
	void			 (*slist_free_all)(struct curl_slist *);
	CURLU			*(*url)(void);
	CURLUcode		 (*url_set)(CURLU *, CURLUPart, const char *,
				    unsigned int);
	CURLUcode		 (*url_get)(const CURLU *, CURLUPart, char **,
				    unsigned int);
	void			 (*url_cleanup)(CURLU *);
	void			 (*free)(void *);
};

static struct fetch_api	 fetch_curl;

#define FETCH_SYM(f)	DYNLIB_SYM(struct fetch_api, f, "curl_" #f)
static const struct dynlib_sym fetch_syms[] = {
	FETCH_SYM(easy_init),
	FETCH_SYM(easy_setopt),
	FETCH_SYM(easy_perform),
	FETCH_SYM(easy_getinfo),
	FETCH_SYM(easy_cleanup),
	FETCH_SYM(easy_strerror),
	FETCH_SYM(slist_append),
	FETCH_SYM(slist_free_all),
	FETCH_SYM(url),
	FETCH_SYM(url_set),
	FETCH_SYM(url_get),
	FETCH_SYM(url_cleanup),
	FETCH_SYM(free),
};
#undef FETCH_SYM

static struct dynlib	 fetch_lib = DYNLIB_INIT("libcurl.so.4", fetch_syms,
			    &fetch_curl);

static const struct fetch_api *
fetch_api(struct err *e)
{
	return dynlib_get(&fetch_lib, e);
}

struct fetch_upload {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

/* A short count makes libcurl stop: the body is over its cap, or no memory. */
static size_t
fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	size_t	 n = size * nmemb;

	return buf_add(arg, ptr, n) == 0 ? n : 0;
}

static size_t
fetch_read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_upload	*u = arg;
	size_t			 n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

int
fetch_vrf_check(const char *vrf, struct err *e)
{
	if (vrf == NULL || *vrf == '\0')
		return 0;
	if (if_nametoindex(vrf) == 0)
		return err_set(e, ERR_NET, "VRF %s does not exist (no such "
		    "network device)", vrf);
	return 0;
}

static int
fetch_scheme(const char *url, const char *scheme)
{
	size_t	 n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://",
	    3) == 0;
}

/*
 * libcurl has built its store from ca_pem (a subset of the anchors) when
 * this runs; replace it with the full store, parsed once per command
 * rather than once per connection.  If a libcurl without OpenSSL ignored
 * the callback, the subset alone would apply: stricter, never wider.
 */
static CURLcode
fetch_sslctx_cb(CURL *c, void *ctx, void *store)
{
	(void)c;
	SSL_CTX_set1_cert_store(ctx, store);
	return CURLE_OK;
}

/* The http-proxy is for HTTP(S); tftp, ldap and file go direct. */
static const char *
fetch_proxy(const char *url, const struct fetch_opts *o)
{
	if (o == NULL || o->proxy == NULL || *o->proxy == '\0')
		return NULL;
	if (!fetch_scheme(url, "http") && !fetch_scheme(url, "https"))
		return NULL;
	return o->proxy;
}

/*
 * Without anchors of our own, libcurl would check a server against the
 * system's store; TLS is allowed only with the anchors the caller chose
 * (the trust pool and the trustpoint's CA).  fetch_peer_chain_pem() is the
 * one exception: it checks nothing and its caller verifies the chain.
 */
static int
fetch_tls_check(const char *url, const struct fetch_opts *o, struct err *e)
{
	if ((o == NULL || o->ca_pem == NULL) && (fetch_scheme(url, "https") ||
	    fetch_scheme(url, "ldaps")))
		return err_set(e, ERR_REFUSED, "%s: no trust anchors given for "
		    "a TLS connection", url);
	return 0;
}

static int
fetch_setup(const struct fetch_api *api, CURL *c, const char *url,
    const struct fetch_opts *o, char *errbuf, struct err *e)
{
	char	 iface[128];
	int	 rc, tls_ok = o != NULL && o->ca_pem != NULL;

	api->easy_setopt(c, CURLOPT_URL, url);
	api->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	api->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	api->easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    "http,https,tftp,ldap,ldaps,file");
	/*
	 * Never let a redirect drop the protection https gave, nor reach
	 * https without the caller's anchors.
	 */
	api->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, fetch_scheme(url,
	    "https") ? "https" : tls_ok ? "http,https" : "http");
	api->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	api->easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	api->easy_setopt(c, CURLOPT_USERAGENT, "netpki/" NETPKI_VERSION);
	api->easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    o && o->connect_timeout ? o->connect_timeout : 10L);
	api->easy_setopt(c, CURLOPT_TIMEOUT,
	    o && o->timeout ? o->timeout : 60L);
	if (o == NULL)
		return 0;
	if (o->vrf != NULL && *o->vrf != '\0') {
		if ((rc = fetch_vrf_check(o->vrf, e)) != 0)
			return rc;
		/* "if!" makes curl bind to the device, never fall back. */
		snprintf(iface, sizeof(iface), "if!%s", o->vrf);
		api->easy_setopt(c, CURLOPT_INTERFACE, iface);
	}
	if (fetch_proxy(url, o) != NULL) {
		api->easy_setopt(c, CURLOPT_PROXY, o->proxy);
		api->easy_setopt(c, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP);
	} else
		api->easy_setopt(c, CURLOPT_PROXY, "");
	if (o->ca_pem != NULL) {
		struct curl_blob	 blob;

		blob.data = (void *)o->ca_pem;
		blob.len = o->ca_pem_len;
		blob.flags = CURL_BLOB_COPY;
		api->easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
		api->easy_setopt(c, CURLOPT_CAINFO, NULL);
		api->easy_setopt(c, CURLOPT_CAPATH, NULL);
		/* A proxy tunnel gets the same anchors, never the system's. */
		api->easy_setopt(c, CURLOPT_PROXY_CAINFO_BLOB, &blob);
		api->easy_setopt(c, CURLOPT_PROXY_CAINFO, NULL);
		api->easy_setopt(c, CURLOPT_PROXY_CAPATH, NULL);
		if (o->ca_store != NULL) {
			api->easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION,
			    fetch_sslctx_cb);
			api->easy_setopt(c, CURLOPT_SSL_CTX_DATA, o->ca_store);
		}
	}
	return 0;
}

static int
fetch_perform(const struct fetch_api *api, CURL *c, const char *url,
    const struct fetch_opts *o, struct buf *b, const char *errbuf,
    long *status, int any_status, struct err *e)
{
	const char	*proxy = fetch_proxy(url, o);
	CURLcode	 cc;
	char		*scheme = NULL;

	cc = api->easy_perform(c);
	if (b != NULL && b->err == ERR_TOOBIG)
		return err_set(e, ERR_TOOBIG, "%s: response larger than %zu "
		    "bytes", url, b->max);
	if (cc == CURLE_PEER_FAILED_VERIFICATION)
		return err_set(e, ERR_REFUSED, "%s: the server's TLS "
		    "certificate is not trusted (checked against the trust "
		    "pool and the trustpoint's CA): %s", url,
		    *errbuf ? errbuf : api->easy_strerror(cc));
	if (proxy != NULL && (cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_COULDNT_RESOLVE_PROXY))
		return err_set(e, ERR_NET, "%s: HTTP proxy %s: %s", url, proxy,
		    *errbuf ? errbuf : api->easy_strerror(cc));
	/* libcurl's text for this one is about getpeername(), not TFTP. */
	if (cc == CURLE_OPERATION_TIMEDOUT && fetch_scheme(url, "tftp"))
		return err_set(e, ERR_NET, "%s: no answer from the TFTP server "
		    "(timed out)", url);
	if (cc == CURLE_TFTP_NOTFOUND || cc == CURLE_REMOTE_FILE_NOT_FOUND)
		return err_set(e, ERR_NOTFOUND, "%s: no such file on the "
		    "server", url);
	if (cc != CURLE_OK)
		return err_set(e, ERR_NET, "%s: %s", url,
		    *errbuf ? errbuf : api->easy_strerror(cc));
	api->easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	api->easy_getinfo(c, CURLINFO_SCHEME, &scheme);
	if (!any_status && scheme != NULL && (strcasecmp(scheme, "http") == 0 ||
	    strcasecmp(scheme, "https") == 0) && (*status < 200 ||
	    *status >= 300))
		return err_set(e, ERR_NET, "%s: HTTP status %ld", url,
		    *status);
	return 0;
}

/*
 * A handle for url with o's settings (fetch_setup), after refusing TLS
 * without anchors.  On failure nothing is left to clean up.
 */
static int
fetch_open(const struct fetch_api **api, CURL **c, const char *url,
    const struct fetch_opts *o, char *errbuf, struct err *e)
{
	int	 rc;

	*c = NULL;
	if ((*api = fetch_api(e)) == NULL)
		return e != NULL ? e->code : ERR_NET;
	if ((*c = (*api)->easy_init()) == NULL)
		return err_set(e, ERR_NOMEM, "curl_easy_init failed");
	if ((rc = fetch_tls_check(url, o, e)) != 0 ||
	    (rc = fetch_setup(*api, *c, url, o, errbuf, e)) != 0) {
		(*api)->easy_cleanup(*c);
		*c = NULL;
	}
	return rc;
}

static int
fetch_do(struct fetch_result *r, const char *url, const void *body,
    size_t bodylen, int post, const struct fetch_opts *o, struct err *e)
{
	const struct fetch_api	*api;
	CURL			*c = NULL;
	struct curl_slist	*hdrs = NULL;
	struct buf		 b;
	char			 errbuf[CURL_ERROR_SIZE], hdr[256];
	char			*ct = NULL;
	int			 rc;

	memset(r, 0, sizeof(*r));
	buf_init(&b, o && o->maxsize ? o->maxsize : FETCH_MAXDEFAULT);
	errbuf[0] = '\0';
	if ((rc = fetch_open(&api, &c, url, o, errbuf, e)) != 0) {
		buf_free(&b);
		return rc;
	}
	api->easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	api->easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (post) {
		api->easy_setopt(c, CURLOPT_POST, 1L);
		api->easy_setopt(c, CURLOPT_POSTFIELDS, body);
		api->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
		snprintf(hdr, sizeof(hdr), "Content-Type: %s",
		    o && o->content_type ? o->content_type :
		    "application/octet-stream");
		hdrs = api->slist_append(hdrs, hdr);
		/* Some servers mishandle "Expect: 100-continue". */
		hdrs = api->slist_append(hdrs, "Expect:");
		api->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	if ((rc = fetch_perform(api, c, url, o, &b, errbuf,
	    &r->status, 0, e)) != 0)
		goto out;
	if (api->easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
	ct = NULL;
	if (api->easy_getinfo(c, CURLINFO_SCHEME, &ct) == CURLE_OK &&
	    ct != NULL) {
		size_t	 i;

		for (i = 0; ct[i] != '\0' && i + 1 < sizeof(r->scheme); i++)
			r->scheme[i] = (char)tolower((unsigned char)ct[i]);
		r->scheme[i] = '\0';
	}
	if ((r->body = buf_take(&b, &r->len)) == NULL)
		rc = err_nomem(e);
 out:
	buf_free(&b);
	api->slist_free_all(hdrs);
	api->easy_cleanup(c);
	return rc;
}

int
fetch_get(struct fetch_result *r, const char *url,
    const struct fetch_opts *o, struct err *e)
{
	return fetch_do(r, url, NULL, 0, 0, o, e);
}

int
fetch_get_max(struct fetch_result *r, const char *url,
    const struct fetch_opts *o, size_t maxsize, long timeout, struct err *e)
{
	struct fetch_opts	 mo;

	if (o != NULL)
		mo = *o;
	else
		memset(&mo, 0, sizeof(mo));
	mo.maxsize = maxsize;
	if (timeout != 0)
		mo.timeout = timeout;
	return fetch_do(r, url, NULL, 0, 0, &mo, e);
}

int
fetch_post(struct fetch_result *r, const char *url, const void *body,
    size_t len, const struct fetch_opts *o, struct err *e)
{
	return fetch_do(r, url, body, len, 1, o, e);
}

/* Upload (TFTP write, file://); used by TFTP enrollment. */
int
fetch_put(const char *url, const void *body, size_t len,
    const struct fetch_opts *o, struct err *e)
{
	const struct fetch_api	*api;
	CURL			*c = NULL;
	struct fetch_upload	 u = { body, len, 0 };
	char			 errbuf[CURL_ERROR_SIZE];
	long			 status = 0;
	int			 rc;

	errbuf[0] = '\0';
	if ((rc = fetch_open(&api, &c, url, o, errbuf, e)) != 0)
		return rc;
	api->easy_setopt(c, CURLOPT_UPLOAD, 1L);
	api->easy_setopt(c, CURLOPT_READFUNCTION, fetch_read_cb);
	api->easy_setopt(c, CURLOPT_READDATA, &u);
	api->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = fetch_perform(api, c, url, o, NULL, errbuf, &status, 0, e);
	api->easy_cleanup(c);
	return rc;
}

int
fetch_integrity(const struct fetch_result *r)
{
	return strcmp(r->scheme, "https") == 0 ||
	    strcmp(r->scheme, "ldaps") == 0 || strcmp(r->scheme, "file") == 0;
}

void
fetch_result_free(struct fetch_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	sk_X509_pop_free(r->peer_chain, X509_free);
	r->peer_chain = NULL;
}

/* URL-escape (RFC 3986 unreserved kept); caller frees. */
char *
fetch_escape(const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out, *p;
	size_t			 i;

	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (p = out, i = 0; i < len; i++) {
		unsigned char	 ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			*p++ = (char)ch;
		else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return out;
}

/*
 * The certificates a TLS server presents at an https URL, as PEM, in the
 * order it sent them, without judging them: the caller verifies them with
 * its own trust (verify.h), so peer verification is off here and nothing
 * but the handshake is relied on.  Caps: 64 certificates, 1 MiB.
 */
#define FETCH_CHAIN_MAX		(1024u * 1024)
#define FETCH_CHAIN_CERTS	64
int
fetch_url_host(char *buf, size_t sz, const char *url, struct err *e)
{
	const struct fetch_api	*api;
	CURLU			*u = NULL;
	char			*host = NULL;
	size_t			 n;
	int			 rc = 0;

	if ((api = fetch_api(e)) == NULL)
		return e != NULL ? e->code : ERR_NET;
	if ((u = api->url()) == NULL)
		return err_nomem(e);
	if (api->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    api->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (n = strlen(host)) == 0) {
		rc = err_set(e, ERR_INVAL, "%s: no host in the URL", url);
		goto out;
	}
	/* libcurl keeps an IPv6 literal's brackets; a name check does not. */
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
		n -= 2;
	}
	if (n >= sz) {
		rc = err_set(e, ERR_TOOBIG, "%s: host name too long", url);
		goto out;
	}
	memcpy(buf, host, n + 1);
 out:
	if (host != NULL)
		api->free(host);
	api->url_cleanup(u);
	return rc;
}

int
fetch_peer_chain_pem(char **out, size_t *outlen, const char *url,
    const struct fetch_opts *o, struct err *e)
{
	const struct fetch_api	*api;
	CURL			*c = NULL;
	struct curl_certinfo	*ci = NULL;
	struct curl_slist	*sl;
	struct buf		 b;
	char			 errbuf[CURL_ERROR_SIZE];
	CURLcode		 cc;
	int			 i, rc = 0;

	*out = NULL;
	*outlen = 0;
	buf_init(&b, FETCH_CHAIN_MAX);
	errbuf[0] = '\0';
	if (strncasecmp(url, "https://", 8) != 0)
		return err_set(e, ERR_INVAL, "%s: not an https URL", url);
	if ((api = fetch_api(e)) == NULL)
		return e != NULL ? e->code : ERR_NET;
	if ((c = api->easy_init()) == NULL)
		return err_set(e, ERR_NOMEM, "curl_easy_init failed");
	if ((rc = fetch_setup(api, c, url, o, errbuf, e)) != 0)
		goto out;
	api->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	api->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	api->easy_setopt(c, CURLOPT_CERTINFO, 1L);
	api->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	api->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	/* The handshake is all we need: no HTTP request at all. */
	api->easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	cc = api->easy_perform(c);
	if (api->easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs <= 0) {
		rc = err_set(e, ERR_NET, "%s: %s", url, cc != CURLE_OK ?
		    (*errbuf ? errbuf : api->easy_strerror(cc)) :
		    "no certificate from the server");
		goto out;
	}
	for (i = 0; i < ci->num_of_certs && i < FETCH_CHAIN_CERTS; i++)
		for (sl = ci->certinfo[i]; sl != NULL; sl = sl->next)
			if (strncmp(sl->data, "Cert:", 5) == 0 &&
			    buf_addf(&b, "%s\n", sl->data + 5) != 0) {
				rc = b.err == ERR_TOOBIG ? err_set(e,
				    ERR_TOOBIG, "%s: certificate chain larger "
				    "than %u bytes", url, FETCH_CHAIN_MAX) :
				    err_nomem(e);
				goto out;
			}
	if (buf_len(&b) == 0) {
		rc = err_set(e, ERR_PROTO, "%s: no certificate in the TLS "
		    "handshake", url);
		goto out;
	}
	if ((*out = buf_take(&b, outlen)) == NULL)
		rc = err_nomem(e);
 out:
	buf_free(&b);
	if (c != NULL)
		api->easy_cleanup(c);
	return rc;
}

/* ---- fetch_http: EST's requests ----------------------------------------- */

struct fetch_http_ctx {
	const struct fetch_api	*api;
	CURL			*c;
	const struct fetch_http	*h;
	const struct fetch_opts	*o;
	struct fetch_result	*r;
	struct buf		 body;		/* body_cb's */
	size_t			 off;
	int			 cb_rc;		/* a callback's failure */
	struct err		 cb_err;
};

/*
 * The anchors (as fetch_sslctx_cb) and the client certificate with the
 * key seam's EVP_PKEY: OpenSSL signs the handshake through it, so a key
 * held elsewhere (keyop) works unchanged and no PEM copy of it is made.
 */
static CURLcode
fetch_http_sslctx_cb(CURL *c, void *sslctx, void *arg)
{
	struct fetch_http_ctx	*x = arg;
	SSL_CTX			*ctx = sslctx;
	const struct fetch_http	*h = x->h;
	int			 i;

	(void)c;
	if (!h->unverified && x->o != NULL && x->o->ca_store != NULL)
		SSL_CTX_set1_cert_store(ctx, x->o->ca_store);
	if (h->client_cert == NULL)
		return CURLE_OK;
	if (SSL_CTX_use_certificate(ctx, h->client_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, h->client_key) != 1)
		return CURLE_SSL_CERTPROBLEM;
	for (i = 0; i < sk_X509_num(h->client_chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx,
		    sk_X509_value(h->client_chain, i)) != 1)
			return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

static SSL *
fetch_http_ssl(struct fetch_http_ctx *x)
{
	struct curl_tlssessioninfo	*ti = NULL;

	if (x->api->easy_getinfo(x->c, CURLINFO_TLS_SSL_PTR, &ti) !=
	    CURLE_OK || ti == NULL || ti->backend != CURLSSLBACKEND_OPENSSL)
		return NULL;
	return ti->internals;
}

/* The server's chain, as sent, for a bootstrap caller to verify. */
static int
fetch_http_chain(struct fetch_http_ctx *x, SSL *ssl)
{
	STACK_OF(X509)	*sk;

	if (ssl == NULL || (sk = SSL_get_peer_cert_chain(ssl)) == NULL)
		return err_set(&x->cb_err, ERR_PROTO, "no certificate in the "
		    "TLS handshake");
	sk_X509_pop_free(x->r->peer_chain, X509_free);
	if ((x->r->peer_chain = X509_chain_up_ref(sk)) == NULL)
		return err_nomem(&x->cb_err);
	return 0;
}

/*
 * After the handshake, before the request: libcurl calls this for the
 * connection the request is about to use, so a body built here is bound
 * to that very connection (no other one can carry it).
 */
static int
fetch_http_prereq(void *arg, char *pip, char *lip, int pport, int lport)
{
	struct fetch_http_ctx	*x = arg;
	SSL			*ssl = fetch_http_ssl(x);

	(void)pip;
	(void)lip;
	(void)pport;
	(void)lport;
	if (x->h->unverified && (x->cb_rc = fetch_http_chain(x, ssl)) != 0)
		return CURL_PREREQFUNC_ABORT;
	if (x->h->body_cb == NULL)
		return CURL_PREREQFUNC_OK;
	buf_reset(&x->body);
	x->off = 0;
	if ((x->cb_rc = x->h->body_cb(x->h->arg, ssl, &x->body,
	    &x->cb_err)) != 0)
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

static size_t
fetch_http_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_http_ctx	*x = arg;
	size_t			 n = size * nmemb, left;

	left = buf_len(&x->body) - x->off;
	if (n > left)
		n = left;
	if (n > 0)
		memcpy(ptr, buf_ptr(&x->body) + x->off, n);
	x->off += n;
	return n;
}

/* Retry-After of the last response (a redirect's is not the answer's). */
static size_t
fetch_http_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_http_ctx	*x = arg;
	size_t			 n = size * nmemb, i, j;
	char			*ra = x->r->retry_after;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		ra[0] = '\0';
	else if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
		for (i = 12; i < n && (ptr[i] == ' ' || ptr[i] == '\t'); i++)
			;
		for (j = 0; i < n && ptr[i] != '\r' && ptr[i] != '\n' &&
		    j + 1 < sizeof(x->r->retry_after); i++)
			ra[j++] = ptr[i];
		ra[j] = '\0';
	}
	return n;
}

static struct curl_slist *
fetch_http_opts(struct fetch_http_ctx *x)
{
	const struct fetch_api	*api = x->api;
	const struct fetch_http	*h = x->h;
	struct curl_slist	*hdrs = NULL;
	char			 hdr[256];

	api->easy_setopt(x->c, CURLOPT_FOLLOWLOCATION, 0L);
	api->easy_setopt(x->c, CURLOPT_HEADERFUNCTION, fetch_http_header);
	api->easy_setopt(x->c, CURLOPT_HEADERDATA, x);
	api->easy_setopt(x->c, CURLOPT_PREREQFUNCTION, fetch_http_prereq);
	api->easy_setopt(x->c, CURLOPT_PREREQDATA, x);
	api->easy_setopt(x->c, CURLOPT_SSL_CTX_FUNCTION, fetch_http_sslctx_cb);
	api->easy_setopt(x->c, CURLOPT_SSL_CTX_DATA, x);
	if (h->tls12)
		api->easy_setopt(x->c, CURLOPT_SSLVERSION, (long)
		    (CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	if (h->unverified) {
		api->easy_setopt(x->c, CURLOPT_SSL_VERIFYPEER, 0L);
		api->easy_setopt(x->c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->user != NULL) {
		api->easy_setopt(x->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		api->easy_setopt(x->c, CURLOPT_USERNAME, h->user);
		api->easy_setopt(x->c, CURLOPT_PASSWORD, h->password ?
		    h->password : "");
	}
	if (h->body == NULL && h->body_cb == NULL)
		return NULL;
	api->easy_setopt(x->c, CURLOPT_POST, 1L);
	if (h->body_cb != NULL) {
		/* Its length is known only once the connection is up. */
		api->easy_setopt(x->c, CURLOPT_READFUNCTION, fetch_http_read);
		api->easy_setopt(x->c, CURLOPT_READDATA, x);
		hdrs = api->slist_append(hdrs, "Transfer-Encoding: chunked");
	} else {
		api->easy_setopt(x->c, CURLOPT_POSTFIELDS, h->body);
		api->easy_setopt(x->c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)h->len);
	}
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", h->content_type ?
	    h->content_type : "application/octet-stream");
	hdrs = api->slist_append(hdrs, hdr);
	return api->slist_append(hdrs, "Expect:");
}

static int
fetch_http_finish(struct fetch_http_ctx *x, struct buf *b, struct err *e)
{
	char	*ct = NULL;

	if (x->api->easy_getinfo(x->c, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL)
		snprintf(x->r->content_type, sizeof(x->r->content_type), "%s",
		    ct);
	ct = NULL;
	if (x->api->easy_getinfo(x->c, CURLINFO_SCHEME, &ct) == CURLE_OK &&
	    ct != NULL) {
		size_t	 i;

		for (i = 0; ct[i] != '\0' && i + 1 < sizeof(x->r->scheme); i++)
			x->r->scheme[i] = (char)tolower((unsigned char)ct[i]);
		x->r->scheme[i] = '\0';
	}
	if ((x->r->body = buf_take(b, &x->r->len)) == NULL)
		return err_nomem(e);
	return 0;
}

int
fetch_http(struct fetch_result *r, const char *url, const struct fetch_http *h,
    const struct fetch_opts *o, struct err *e)
{
	struct fetch_http_ctx	 x;
	struct fetch_opts	 mo;
	struct curl_slist	*hdrs = NULL;
	struct buf		 b;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 rc;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	x.h = h;
	x.o = o;
	x.r = r;
	buf_init(&x.body, FETCH_MAXDEFAULT);
	buf_init(&b, o && o->maxsize ? o->maxsize : FETCH_MAXDEFAULT);
	errbuf[0] = '\0';
	/* Bootstrap: no anchors needed, the caller verifies the chain. */
	if (o != NULL)
		mo = *o;
	else
		memset(&mo, 0, sizeof(mo));
	if (h->unverified && mo.ca_pem == NULL)
		mo.ca_pem = "";
	if ((rc = fetch_open(&x.api, &x.c, url, &mo, errbuf, e)) != 0)
		goto out;
	x.api->easy_setopt(x.c, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	x.api->easy_setopt(x.c, CURLOPT_WRITEDATA, &b);
	hdrs = fetch_http_opts(&x);
	if (hdrs != NULL)
		x.api->easy_setopt(x.c, CURLOPT_HTTPHEADER, hdrs);
	rc = fetch_perform(x.api, x.c, url, &mo, &b, errbuf, &r->status, 1, e);
	if (x.cb_rc != 0) {
		if (e != NULL)
			*e = x.cb_err;
		rc = x.cb_rc;
		err_prefix(e, "%s", url);
	}
	if (rc == 0)
		rc = fetch_http_finish(&x, &b, e);
 out:
	if (rc != 0)
		fetch_result_free(r);
	buf_free(&b);
	buf_free(&x.body);
	if (x.api != NULL) {
		x.api->slist_free_all(hdrs);
		if (x.c != NULL)
			x.api->easy_cleanup(x.c);
	}
	return rc;
}
