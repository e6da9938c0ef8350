/*
 * est_testserver: a small EST (RFC 7030) server over OpenSSL for the
 * client's tests, correct or misbehaving on purpose.  The first path
 * segment picks the behaviour, so one server serves every case:
 *
 *   (or /.well-known/est/MODE/OP: the EST label picks it)
 *   /ok/OP          a correct server: cacerts, csrattrs (none: 404),
 *                   simpleenroll and simplereenroll issue at once
 *   /auth/OP        simpleenroll needs HTTP basic dev1:secret1 and the
 *                   connection's tls-unique in the challengePassword
 *   /cert/OP        simple(re)enroll needs a TLS client certificate from
 *                   the CA
 *   /pending/OP     202 with Retry-After twice, then the certificate
 *   /authpending/OP the same behind HTTP basic dev1:secret1
 *   /slowpending/OP 202 with Retry-After: 7200 twice, then the certificate
 *   /ec384/OP       csrattrs asks for an EC P-384 key and ECDSA-SHA384;
 *                   other keys are refused (400)
 *   /otherkey/OP    a certificate for another key
 *   /otherca/OP     a certificate from another CA
 *   /refuse/OP      400 with a hostile text
 *   /redirect/OP    302 to another host
 *   /retryabuse/OP  202 with Retry-After: 99999999999 forever
 *   /badb64/OP, /notp7/OP, /ctype/OP, /big/OP
 *                   broken simpleenroll answers
 *   /skg/serverkeygen  a key pair made here; /skgother/: the
 *                   certificate is for another key; /skg3/: three parts
 *   /cabad/OP, /caleaf/OP
 *                   broken cacerts: malformed base64, a non-CA certificate
 *
 *   est_testserver DIR   (DIR: ca, other, srv .pem/.key; prints the port
 *                         it listens on, 127.0.0.1; exits with its parent)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define T_REQMAX	(64 * 1024)
#define T_CONNMAX	2000	/* then exit: every loop is bounded */

struct t_ca {
	X509		*cert;
	EVP_PKEY	*key;
};

struct t_srv {
	struct t_ca	 ca, other;
	SSL_CTX		*ctx;
	int		 pending;	/* 202s answered so far */
	int		 apending;	/* the same for authpending */
	int		 spending;	/* the same for slowpending */
};

struct t_req {
	char		 method[8];
	char		 mode[32];
	char		 op[32];
	char		 auth[256];
	char		*body;
	size_t		 len;
};

static void
t_die(const char *what)
{
	fprintf(stderr, "est_testserver: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void
t_load(struct t_ca *ca, const char *dir, const char *name)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if ((f = fopen(path, "r")) == NULL ||
	    (ca->cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		t_die(path);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if ((f = fopen(path, "r")) == NULL ||
	    (ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		t_die(path);
	fclose(f);
}

static void
t_send(SSL *ssl, int status, const char *reason, const char *ctype,
    const char *extra, const char *body, size_t len)
{
	char	 hdr[1024];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
	    reason, ctype, len, extra ? extra : "");
	SSL_write(ssl, hdr, n);
	if (len > 0)
		SSL_write(ssl, body, (int)len);
}

/* DER as base64 with line breaks, as RFC 7030 servers send it. */
static char *
t_b64(const unsigned char *der, int len, size_t *outlen)
{
	BIO	*b64 = BIO_new(BIO_f_base64()), *mem = BIO_new(BIO_s_mem());
	char	*p, *out;
	long	 n;

	b64 = BIO_push(b64, mem);
	BIO_write(b64, der, len);
	(void)BIO_flush(b64);
	n = BIO_get_mem_data(mem, &p);
	out = malloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*outlen = (size_t)n;
	BIO_free_all(b64);
	return out;
}

static void
t_send_certs(SSL *ssl, X509 *a, X509 *b, const char *ctype)
{
	PKCS7		*p7 = PKCS7_new();
	unsigned char	*der = NULL;
	char		*body;
	size_t		 len;
	int		 n;

	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_content_new(p7, NID_pkcs7_data);
	PKCS7_add_certificate(p7, a);
	if (b != NULL)
		PKCS7_add_certificate(p7, b);
	n = i2d_PKCS7(p7, &der);
	body = t_b64(der, n, &len);
	t_send(ssl, 200, "OK", ctype, "Content-Transfer-Encoding: base64\r\n",
	    body, len);
	free(body);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

/* A certificate for pub, signed by ca, valid around NETPKI_NOW. */
static X509 *
t_issue(struct t_ca *ca, const X509_NAME *subj, EVP_PKEY *pub)
{
	X509		*x = X509_new();
	const char	*now = getenv("NETPKI_NOW");
	time_t		 t = now ? (time_t)strtoll(now, NULL, 10) : time(NULL);
	unsigned char	 serial[16];
	BIGNUM		*bn;

	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_set_version(x, 2);
	X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
	X509_set_subject_name(x, subj);
	X509_time_adj(X509_getm_notBefore(x), -3600, &t);
	X509_time_adj(X509_getm_notAfter(x), 86400L * 365, &t);
	X509_set_pubkey(x, pub);
	if (X509_sign(x, ca->key, EVP_sha256()) <= 0)
		t_die("X509_sign");
	return x;
}

/* tls-unique from the server's side: the first Finished of the handshake. */
static void
t_tls_unique(SSL *ssl, char *out, size_t sz)
{
	unsigned char	 fin[EVP_MAX_MD_SIZE];
	size_t		 n;

	n = SSL_session_reused(ssl) ? SSL_get_finished(ssl, fin, sizeof(fin)) :
	    SSL_get_peer_finished(ssl, fin, sizeof(fin));
	out[0] = '\0';
	if (n > 0 && sz >= 4 * ((n + 2) / 3) + 1)
		EVP_EncodeBlock((unsigned char *)out, fin, (int)n);
}

static X509_REQ *
t_csr(struct t_req *r)
{
	BIO		*b64 = BIO_new(BIO_f_base64()), *mem;
	X509_REQ	*req;

	mem = BIO_new_mem_buf(r->body, (int)r->len);
	BIO_set_flags(b64, BIO_FLAGS_BASE64_NO_NL);
	/* The client sends one line; tolerate line breaks too. */
	if (memchr(r->body, '\n', r->len) != NULL)
		BIO_clear_flags(b64, BIO_FLAGS_BASE64_NO_NL);
	b64 = BIO_push(b64, mem);
	req = d2i_X509_REQ_bio(b64, NULL);
	BIO_free_all(b64);
	return req;
}

static int
t_challenge(X509_REQ *req, char *out, size_t sz)
{
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*t;
	int		 i;

	out[0] = '\0';
	if ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
	    -1)) < 0 || (a = X509_REQ_get_attr(req, i)) == NULL ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    t->value.asn1_string == NULL)
		return -1;
	snprintf(out, sz, "%.*s", ASN1_STRING_length(t->value.asn1_string),
	    (const char *)ASN1_STRING_get0_data(t->value.asn1_string));
	return 0;
}

/* Reads until the end of the headers; the rest stays in buf. */
static int
t_read_head(SSL *ssl, char *buf, size_t sz, size_t *have, char **end)
{
	int	 n;

	*have = 0;
	while (*have + 1 < sz) {
		if ((n = SSL_read(ssl, buf + *have, (int)(sz - 1 - *have))) <= 0)
			return -1;
		*have += (size_t)n;
		buf[*have] = '\0';
		if ((*end = strstr(buf, "\r\n\r\n")) != NULL)
			return 0;
	}
	return -1;
}

static int
t_more(SSL *ssl, char *buf, size_t sz, size_t *have)
{
	int	 n;

	if (*have + 1 >= sz ||
	    (n = SSL_read(ssl, buf + *have, (int)(sz - 1 - *have))) <= 0)
		return -1;
	*have += (size_t)n;
	buf[*have] = '\0';
	return 0;
}

/* A chunked body decoded in place. */
static int
t_chunked(SSL *ssl, char *buf, size_t sz, size_t *have, char *p,
    struct t_req *r)
{
	char	*start = p, *out = p, *eol;
	long	 n;
	int	 i;

	for (i = 0; i < 64; i++) {
		while ((eol = strstr(p, "\r\n")) == NULL)
			if (t_more(ssl, buf, sz, have) != 0)
				return -1;
		n = strtol(p, NULL, 16);
		while ((size_t)(eol + 2 + n + 2 - buf) > *have)
			if (t_more(ssl, buf, sz, have) != 0)
				return -1;
		if (n == 0) {
			r->body = start;
			r->len = (size_t)(out - start);
			return 0;
		}
		memmove(out, eol + 2, (size_t)n);
		out += n;
		p = eol + 2 + n + 2;
	}
	return -1;
}

static int
t_read(SSL *ssl, char *buf, size_t sz, struct t_req *r)
{
	char	*end, *h, *p, *q;
	size_t	 have, cl = 0;
	int	 chunked = 0;

	memset(r, 0, sizeof(*r));
	if (t_read_head(ssl, buf, sz, &have, &end) != 0)
		return -1;
	*end = '\0';
	if (sscanf(buf, "%7s /%31[^/ ]/", r->method, r->mode) != 2)
		return -1;
	/* /.well-known/est/MODE/OP: the EST label picks the behaviour. */
	if (strcmp(r->mode, ".well-known") == 0 &&
	    sscanf(buf, "%*s /.well-known/est/%31[^/ ]/", r->mode) != 1)
		snprintf(r->mode, sizeof(r->mode), "ok");
	if ((p = strchr(buf, ' ')) == NULL || (q = strchr(p + 1, ' ')) == NULL)
		return -1;
	*q = '\0';
	snprintf(r->op, sizeof(r->op), "%s", strrchr(p, '/') + 1);
	for (h = q + 1; (h = strstr(h, "\r\n")) != NULL; ) {
		h += 2;
		if (strncasecmp(h, "Authorization: ", 15) == 0)
			sscanf(h + 15, "%255[^\r]", r->auth);
		else if (strncasecmp(h, "Content-Length: ", 16) == 0)
			cl = strtoul(h + 16, NULL, 10);
		else if (strncasecmp(h, "Transfer-Encoding: chunked", 26) == 0)
			chunked = 1;
	}
	p = end + 4;
	if (chunked)
		return t_chunked(ssl, buf, sz, &have, p, r);
	while ((size_t)(p - buf) + cl > have)
		if (t_more(ssl, buf, sz, &have) != 0)
			return -1;
	r->body = p;
	r->len = cl;
	return 0;
}

static void
t_cacerts(struct t_srv *s, SSL *ssl, struct t_req *r)
{
	X509	*leaf;

	if (strcmp(r->mode, "cabad") == 0)
		t_send(ssl, 200, "OK", "application/pkcs7-mime", NULL,
		    "MII!!notbase64", 14);
	else if (strcmp(r->mode, "caleaf") == 0) {
		leaf = t_issue(&s->ca, X509_get_subject_name(s->other.cert),
		    s->other.key);
		t_send_certs(ssl, s->ca.cert, leaf, "application/pkcs7-mime");
		X509_free(leaf);
	} else
		t_send_certs(ssl, s->ca.cert, NULL, "application/pkcs7-mime");
}

/*
 * csrattrs for ec384: an ecPublicKey attribute with secp384r1,
 * ecdsa-with-SHA384 and challengePassword (RFC 7030 4.5.2's example).
 */
static void
t_csrattrs(SSL *ssl, struct t_req *r)
{
	static const unsigned char der[] = {
		0x30, 0x29,
		0x30, 0x12, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
		0x01, 0x31, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07,
	};
	char		*b64;
	size_t		 len;

	if (strcmp(r->mode, "ec384") != 0) {
		t_send(ssl, 404, "Not Found", "text/plain", NULL, "", 0);
		return;
	}
	b64 = t_b64(der, (int)sizeof(der), &len);
	t_send(ssl, 200, "OK", "application/csrattrs", NULL, b64, len);
	free(b64);
}

/* Refusals decided before the request is read. */
static int
t_early(struct t_srv *s, SSL *ssl, struct t_req *r)
{
	static const char	 hostile[] = "\x1b[2Jdenied\r\xc2\x9b" "31m by "
	    "policy";

	if (strcmp(r->mode, "redirect") == 0)
		t_send(ssl, 302, "Found", "text/plain", "Location: "
		    "https://evil.example/.well-known/est/simpleenroll\r\n",
		    "", 0);
	else if (strcmp(r->mode, "refuse") == 0)
		t_send(ssl, 400, "Bad Request", "text/plain", NULL, hostile,
		    sizeof(hostile) - 1);
	else if (strcmp(r->mode, "retryabuse") == 0)
		t_send(ssl, 202, "Accepted", "text/plain",
		    "Retry-After: 99999999999\r\n", "", 0);
	else if (strcmp(r->mode, "pending") == 0 && s->pending < 2) {
		s->pending++;
		t_send(ssl, 202, "Accepted", "text/plain", "Retry-After: 1\r\n",
		    "", 0);
	} else if (strcmp(r->mode, "slowpending") == 0 && s->spending < 2) {
		s->spending++;
		t_send(ssl, 202, "Accepted", "text/plain",
		    "Retry-After: 7200\r\n", "", 0);
	} else if (strcmp(r->mode, "authpending") == 0 &&
	    strcmp(r->auth, "Basic ZGV2MTpzZWNyZXQx") != 0)
		t_send(ssl, 401, "Unauthorized", "text/plain", NULL, "", 0);
	else if (strcmp(r->mode, "authpending") == 0 && s->apending < 2) {
		s->apending++;
		t_send(ssl, 202, "Accepted", "text/plain", "Retry-After: 1\r\n",
		    "", 0);
	} else
		return 0;
	return 1;
}

/* The client authentication a mode demands: an HTTP status, or 0. */
static int
t_authn(SSL *ssl, struct t_req *r, X509_REQ *req, EVP_PKEY *pub)
{
	char	 tu[128], cp[256];

	if (strcmp(r->mode, "auth") == 0) {
		if (strcmp(r->auth, "Basic ZGV2MTpzZWNyZXQx") != 0)
			return 401;
		t_tls_unique(ssl, tu, sizeof(tu));
		if (t_challenge(req, cp, sizeof(cp)) != 0 ||
		    strcmp(cp, tu) != 0)
			return 400;
	}
	if (strcmp(r->mode, "cert") == 0 &&
	    (SSL_get0_peer_certificate(ssl) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK))
		return 401;
	if (strcmp(r->mode, "ec384") == 0) {
		char	 g[64];

		if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC ||
		    EVP_PKEY_get_group_name(pub, g, sizeof(g), NULL) != 1 ||
		    strcmp(g, "secp384r1") != 0)
			return 400;
	}
	return 0;
}

static void
t_reply(SSL *ssl, struct t_req *r, X509 *x)
{
	static const char	 notp7[] = "aGVsbG8gd29ybGQK\r\n";
	char			*big;

	if (strcmp(r->mode, "badb64") == 0)
		t_send(ssl, 200, "OK", "application/pkcs7-mime", NULL,
		    "MIIB%%%%\r\n", 10);
	else if (strcmp(r->mode, "notp7") == 0)
		t_send(ssl, 200, "OK", "application/pkcs7-mime", NULL, notp7,
		    sizeof(notp7) - 1);
	else if (strcmp(r->mode, "ctype") == 0)
		t_send_certs(ssl, x, NULL, "text/html");
	else if (strcmp(r->mode, "big") == 0) {
		big = malloc(2 * 1024 * 1024);
		memset(big, 'A', 2 * 1024 * 1024);
		t_send(ssl, 200, "OK", "application/pkcs7-mime", NULL, big,
		    2 * 1024 * 1024);
		free(big);
	} else
		t_send_certs(ssl, x, NULL, "application/pkcs7-mime");
}

static void
t_enroll(struct t_srv *s, SSL *ssl, struct t_req *r)
{
	X509_REQ	*req = NULL;
	EVP_PKEY	*pub;
	X509		*x = NULL;
	int		 st;

	if (t_early(s, ssl, r))
		return;
	if (r->len == 0 || (req = t_csr(r)) == NULL ||
	    (pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pub) != 1) {
		t_send(ssl, 400, "Bad Request", "text/plain", NULL,
		    "bad request", 11);
		goto out;
	}
	if ((st = t_authn(ssl, r, req, pub)) != 0) {
		t_send(ssl, st, st == 401 ? "Unauthorized" : "Bad Request",
		    "text/plain", st == 401 ? "WWW-Authenticate: Basic "
		    "realm=\"est\"\r\n" : NULL, "not authorized", 14);
		goto out;
	}
	x = t_issue(strcmp(r->mode, "otherca") == 0 ? &s->other : &s->ca,
	    X509_REQ_get_subject_name(req), strcmp(r->mode, "otherkey") == 0 ?
	    s->other.key : pub);
	t_reply(ssl, r, x);
 out:
	X509_free(x);
	X509_REQ_free(req);
}

/*
 * serverkeygen: a P-256 key pair made here, sent as multipart/mixed with
 * its certificate (skg); skgother: the certificate is for another key;
 * skg3: three parts.
 */
static void
t_skg(struct t_srv *s, SSL *ssl, struct t_req *r)
{
	PKCS7		*p7 = PKCS7_new();
	EVP_PKEY	*k = EVP_EC_gen("P-256");
	X509_REQ	*req;
	X509		*x;
	unsigned char	*kder = NULL, *cder = NULL;
	char		*kb, *cb, *body;
	size_t		 kl, cl, n;
	int		 kn, cn;

	if ((req = t_csr(r)) == NULL) {
		t_send(ssl, 400, "Bad Request", "text/plain", NULL, "bad", 3);
		goto out;
	}
	x = t_issue(&s->ca, X509_REQ_get_subject_name(req),
	    strcmp(r->mode, "skgother") == 0 ? s->other.key : k);
	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_content_new(p7, NID_pkcs7_data);
	PKCS7_add_certificate(p7, x);
	cn = i2d_PKCS7(p7, &cder);
	{
		BIO	*m = BIO_new(BIO_s_mem());
		char	*p;

		i2d_PKCS8PrivateKey_bio(m, k, NULL, NULL, 0, NULL, NULL);
		kn = (int)BIO_get_mem_data(m, &p);
		kder = malloc((size_t)kn);
		memcpy(kder, p, (size_t)kn);
		BIO_free(m);
	}
	kb = t_b64(kder, kn, &kl);
	cb = t_b64(cder, cn, &cl);
	body = malloc(kl + 2 * cl + 512);
	n = (size_t)sprintf(body, "--est\r\nContent-Type: application/pkcs8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--est\r\n"
	    "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", kb, cb);
	if (strcmp(r->mode, "skg3") == 0)
		n += (size_t)sprintf(body + n, "--est\r\nContent-Type: "
		    "application/pkcs7-mime\r\n\r\n%s\r\n", cb);
	n += (size_t)sprintf(body + n, "--est--\r\n");
	t_send(ssl, 200, "OK", "multipart/mixed; boundary=est", NULL, body, n);
	free(body);
	free(kb);
	free(cb);
	free(kder);
	OPENSSL_free(cder);
	X509_free(x);
	X509_REQ_free(req);
 out:
	EVP_PKEY_free(k);
	PKCS7_free(p7);
}

static void
t_serve(struct t_srv *s, int fd)
{
	static char	 buf[T_REQMAX];
	struct t_req	 r;
	SSL		*ssl;

	if ((ssl = SSL_new(s->ctx)) == NULL)
		return;
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1 || t_read(ssl, buf, sizeof(buf), &r) != 0)
		goto out;
	if (strcmp(r.op, "cacerts") == 0)
		t_cacerts(s, ssl, &r);
	else if (strcmp(r.op, "csrattrs") == 0)
		t_csrattrs(ssl, &r);
	else if (strcmp(r.op, "serverkeygen") == 0)
		t_skg(s, ssl, &r);
	else if (strcmp(r.op, "simpleenroll") == 0 ||
	    strcmp(r.op, "simplereenroll") == 0)
		t_enroll(s, ssl, &r);
	else
		t_send(ssl, 404, "Not Found", "text/plain", NULL, "", 0);
	SSL_shutdown(ssl);
 out:
	SSL_free(ssl);
}

static int
t_accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;	/* t_authn reads the result where a mode needs it */
}

static SSL_CTX *
t_ctx(const char *dir, struct t_srv *s)
{
	SSL_CTX		*ctx;
	X509_STORE	*xs;
	char		 path[512];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		t_die("SSL_CTX_new");
	snprintf(path, sizeof(path), "%s/srv.pem", dir);
	if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1)
		t_die(path);
	snprintf(path, sizeof(path), "%s/srv.key", dir);
	if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1)
		t_die(path);
	xs = SSL_CTX_get_cert_store(ctx);
	X509_STORE_add_cert(xs, s->ca.cert);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, t_accept_any);
	return ctx;
}

int
main(int argc, char *argv[])
{
	struct t_srv		 s;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 lfd, fd, i, one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: est_testserver DIR\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	t_load(&s.ca, argv[1], "ca");
	t_load(&s.other, argv[1], "other");
	s.ctx = t_ctx(argv[1], &s);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0)
		t_die("listen");
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (i = 0; i < T_CONNMAX; i++) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		t_serve(&s, fd);
		close(fd);
	}
	return 0;
}
