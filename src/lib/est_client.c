/*
 * est_client: the EST operations (est_client.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "est_client.h"
#include "fetch.h"
#include "text.h"

/* The request's settings from conn. */
static void
est_http(struct fetch_http *h, const struct est_conn *conn)
{
	memset(h, 0, sizeof(*h));
	h->user = conn->user;
	h->password = conn->password;
	h->client_cert = conn->cert;
	h->client_key = conn->key;
	h->client_chain = conn->chain;
	/* RFC 7030 3.5 binds a password to tls-unique: TLS 1.3 has none. */
	h->tls12 = conn->user != NULL;
}

static void
est_fopts(struct fetch_opts *o, const struct est_conn *conn)
{
	if (conn->fo != NULL)
		*o = *conn->fo;
	else
		memset(o, 0, sizeof(*o));
	o->maxsize = EST_RESPMAX;
}

/* The media type without parameters matches want. */
static int
est_ctype(const struct fetch_result *r, const char *want, const char *op,
    struct err *e)
{
	char		 got[sizeof(r->content_type)];
	const char	*p = r->content_type;
	size_t		 n = strcspn(p, ";");

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == strlen(want) && strncasecmp(p, want, n) == 0)
		return 0;
	return err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: the reply is %s, "
	    "not %s", op, *p ? text_esc(got, sizeof(got), p) :
	    "without a Content-Type", want);
}

/* A status other than 200/202 as an error naming what the server said. */
static int
est_status(const struct fetch_result *r, const char *op, int *ca_said_no,
    struct err *e)
{
	char	 txt[160];
	size_t	 n;

	n = r->body != NULL ? strcspn(r->body, "\r\n") : 0;
	text_esc_n(txt, sizeof(txt), r->body ? r->body : "", n > 120 ? 120 :
	    n, 0);
	if (r->status >= 300 && r->status < 400)
		return err_set(e, ERR_PROTO, "RFC 7030 3.2.1: %s: the server "
		    "redirects (HTTP %ld): not followed", op, r->status);
	if (r->status == 401 || r->status == 403)
		return err_set(e, ERR_REFUSED, "%s: the EST server refused the "
		    "credentials (HTTP %ld)%s%s", op, r->status, *txt ? ": " :
		    "", txt);
	if (r->status >= 400 && r->status < 500) {
		if (ca_said_no != NULL)
			*ca_said_no = 1;
		return err_set(e, ERR_REFUSED, "%s: the EST server refused "
		    "the request (HTTP %ld)%s%s", op, r->status, *txt ? ": " :
		    "", txt);
	}
	return err_set(e, ERR_NET, "%s: HTTP status %ld%s%s", op, r->status,
	    *txt ? ": " : "", txt);
}

/* GET base/[label/]op. */
static int
est_get(struct fetch_result *r, const struct est_conn *conn, const char *op,
    int unverified, struct err *e)
{
	struct fetch_http	 h;
	struct fetch_opts	 o;
	char			*url;
	int			 rc;

	memset(r, 0, sizeof(*r));
	est_http(&h, conn);
	h.unverified = unverified;
	est_fopts(&o, conn);
	if ((url = est_url(conn->base, conn->label, op)) == NULL)
		return err_nomem(e);
	rc = fetch_http(r, url, &h, &o, e);
	free(url);
	return rc;
}

/*
 * Bootstrap (RFC 7030 4.1.1): the server's own TLS chain must lead to
 * one of the certificates it sent and name the host of the URL, or the
 * certificates are not the ones of the server the operator meant.
 */
static int
est_bootstrap_check(STACK_OF(X509) *cas, STACK_OF(X509) *peer,
    const struct est_conn *conn, struct err *e)
{
	X509_STORE	*xs = NULL;
	X509_STORE_CTX	*ctx = NULL;
	X509		*leaf;
	char		 host[256];
	int		 i, rc = 0;

	if (sk_X509_num(peer) < 1)
		return err_set(e, ERR_PROTO, "no TLS certificate from the EST "
		    "server");
	leaf = sk_X509_value(peer, 0);
	if ((xs = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(cas); i++)
		X509_STORE_add_cert(xs, sk_X509_value(cas, i));
	X509_STORE_set_flags(xs, X509_V_FLAG_PARTIAL_CHAIN);
	if (!X509_STORE_CTX_init(ctx, xs, leaf, peer)) {
		rc = err_openssl(e, ERR_CRYPTO, "chain check");
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
	    clock_now());
	if (X509_verify_cert(ctx) != 1) {
		rc = err_set(e, ERR_REFUSED, "RFC 7030 4.1.1: the EST server's "
		    "TLS certificate is not issued by the CA certificates it "
		    "sent (%s): nothing stored", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if ((rc = fetch_url_host(host, sizeof(host), conn->base, e)) != 0)
		goto out;
	if (X509_check_host(leaf, host, 0, 0, NULL) != 1 &&
	    X509_check_ip_asc(leaf, host, 0) != 1)
		rc = err_set(e, ERR_REFUSED, "RFC 7030 4.1.1: the EST server's "
		    "TLS certificate does not name %s: nothing stored", host);
 out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(xs);
	return rc;
}

static int
est_cacerts_reply(STACK_OF(X509) **out, const struct fetch_result *r,
    struct err *e)
{
	int	 rc;

	if (r->status != 200)
		return est_status(r, "cacerts", NULL, e);
	if ((rc = est_ctype(r, "application/pkcs7-mime", "cacerts", e)) != 0)
		return rc;
	return est_certs_b64(out, r->body, r->len, "cacerts", e);
}

int
est_cacerts(STACK_OF(X509) **out, int *implicit, const struct est_conn *conn,
    struct err *e)
{
	struct fetch_result	 r;
	struct err		 e1;
	int			 rc;

	*out = NULL;
	*implicit = 0;
	if ((rc = est_get(&r, conn, "cacerts", 0, &e1)) == 0) {
		*implicit = 1;
		rc = est_cacerts_reply(out, &r, e);
		goto out;
	}
	/* Only a server the anchors did not vouch for is bootstrapped. */
	if (rc != ERR_REFUSED) {
		if (e != NULL)
			*e = e1;
		goto out;
	}
	if ((rc = est_get(&r, conn, "cacerts", 1, e)) != 0 ||
	    (rc = est_cacerts_reply(out, &r, e)) != 0)
		goto out;
	if ((rc = est_bootstrap_check(*out, r.peer_chain, conn, e)) != 0) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
 out:
	fetch_result_free(&r);
	return rc;
}

int
est_csrattrs(struct est_csrattrs *ca, const struct est_conn *conn,
    struct err *e)
{
	struct fetch_result	 r;
	unsigned char		*der = NULL;
	size_t			 len;
	int			 rc;

	memset(ca, 0, sizeof(*ca));
	if ((rc = est_get(&r, conn, "csrattrs", 0, e)) != 0)
		return rc;
	/* RFC 7030 4.5.2: 204, 404 and 501 mean none. */
	if (r.status == 204 || r.status == 404 || r.status == 501 ||
	    (r.status == 200 && r.len == 0))
		goto out;
	if (r.status != 200) {
		rc = est_status(&r, "csrattrs", NULL, e);
		goto out;
	}
	if ((rc = est_ctype(&r, "application/csrattrs", "csrattrs", e)) != 0 ||
	    (rc = est_b64_decode(&der, &len, r.body, r.len, "csrattrs",
	    e)) != 0)
		goto out;
	rc = est_csrattrs_parse(ca, der, len, e);
 out:
	free(der);
	fetch_result_free(&r);
	return rc;
}

struct est_post {
	est_csr_fn	 fn;
	void		*arg;
};

/* The request, base64 (RFC 7030 4.2.1), on the connection it goes on. */
static int
est_post_body(void *arg, SSL *ssl, struct buf *b, struct err *e)
{
	struct est_post	*p = arg;
	X509_REQ	*req = NULL;
	unsigned char	*der = NULL;
	char		*b64 = NULL;
	int		 n, rc;

	if ((rc = p->fn(p->arg, ssl, &req, e)) != 0)
		return rc;
	if ((n = i2d_X509_REQ(req, &der)) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "request encoding");
		goto out;
	}
	if ((b64 = malloc(4 * ((size_t)n + 2) / 3 + 4)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	if (buf_adds(b, b64) != 0)
		rc = err_nomem(e);
 out:
	free(b64);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return rc;
}

/* POST base/[label/]op with the request fn makes on the connection. */
static int
est_post(struct fetch_result *r, const struct est_conn *conn, const char *op,
    est_csr_fn fn, void *arg, struct err *e)
{
	struct fetch_http	 h;
	struct fetch_opts	 o;
	struct est_post		 p = { fn, arg };
	char			*url;
	int			 rc;

	est_http(&h, conn);
	h.content_type = "application/pkcs10";
	h.body_cb = est_post_body;
	h.arg = &p;
	est_fopts(&o, conn);
	if ((url = est_url(conn->base, conn->label, op)) == NULL)
		return err_nomem(e);
	rc = fetch_http(r, url, &h, &o, e);
	free(url);
	return rc;
}

int
est_enroll(STACK_OF(X509) **out, long *retry, int *ca_said_no,
    const struct est_conn *conn, const char *op, est_csr_fn fn, void *arg,
    struct err *e)
{
	struct fetch_result	 r;
	int			 rc;

	*out = NULL;
	*retry = -1;
	*ca_said_no = 0;
	if ((rc = est_post(&r, conn, op, fn, arg, e)) != 0)
		return rc;
	if (r.status == 202) {
		*retry = est_retry_after(r.retry_after, clock_now());
		rc = err_set(e, ERR_PENDING, "%s: request pending (HTTP 202)",
		    op);
	} else if (r.status != 200)
		rc = est_status(&r, op, ca_said_no, e);
	else if ((rc = est_ctype(&r, "application/pkcs7-mime", op, e)) == 0)
		rc = est_certs_b64(out, r.body, r.len, op, e);
	fetch_result_free(&r);
	return rc;
}

int
est_serverkeygen(EVP_PKEY **key, STACK_OF(X509) **certs,
    const struct est_conn *conn, est_csr_fn fn, void *arg, struct err *e)
{
	struct fetch_result	 r;
	int			 rc;

	*key = NULL;
	*certs = NULL;
	if ((rc = est_post(&r, conn, "serverkeygen", fn, arg, e)) != 0)
		return rc;
	if (r.status == 202)
		rc = err_set(e, ERR_PENDING, "serverkeygen: pending (HTTP 202): "
		    "enter the command again once the CA has approved it");
	else if (r.status != 200)
		rc = est_status(&r, "serverkeygen", NULL, e);
	else
		rc = est_skg_parse(key, certs, r.content_type, r.body, r.len,
		    e);
	/* The body held the private key. */
	if (r.body != NULL)
		OPENSSL_cleanse(r.body, r.len);
	fetch_result_free(&r);
	return rc;
}
