/*
 * scep_badserver: a SCEP server that misbehaves on purpose, for the
 * client's robustness tests.  The first path segment of the URL picks the
 * behaviour, so one server on one port serves every case:
 *
 *   /ok/...           a correct CA (AES, POST, SHA-256), issues at once
 *   /ra/...           NDES-style: GetCACert is CA + RA signing + RA
 *                     encryption certificates; the RA decrypts and signs
 *   /nocaps/...       GetCACaps answers 404: the client falls back to GET
 *                     and 3DES
 *   /pending/...      PENDING, then SUCCESS on the second CertPoll
 *   /pendingforever/  always PENDING
 *   /fail/...         FAILURE badRequest with a failInfoText
 *   /failesc/...      the same with a hostile failInfoText (escape
 *                     sequences, CR, C1, a bidi override) around UTF-8
 *   /html/, /http500/, /garbage/, /truncated/, /big/
 *                     broken PKIOperation answers
 *   /otherkey/        CertRep signed by a key the client never saw
 *   /nonce/, /transid/ CertRep with a wrong recipientNonce / transactionID
 *   /wrongcert/       SUCCESS with a certificate for another key
 *   /expiredcert/     SUCCESS with a certificate that has expired
 *   /notca/, /expiredca/, /cahtml/  bad GetCACert answers
 *   /nextca/          GetCACaps lists GetNextCACert; GetNextCACert is the
 *                     next CA (next-ca.pem) signed by the CA (RFC 8894 4.7)
 *   /nextcarogue/, /nextcanotca/, /nextcatwo/, /nextcabig/
 *                     the same signed by another key, holding a non-CA,
 *                     holding two candidate CAs, 128 KiB of zeros
 *   /nextcaissue/     like /nextca, but CertReps are signed and the
 *                     certificate issued by the next CA (it has switched)
 *
 *   scep_badserver DATADIR PORT   (binds 127.0.0.1 only; runs until killed)
 *
 * DATADIR holds ca, ra-sign, ra-encr, other, notca, expired-ca, next-ca
 * .pem/.key.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "err.h"
#include "scep_msg.h"

#define BAD_BODYMAX	(256 * 1024)
/* Clears the screen and fakes a status, around printable UTF-8. */
#define BAD_HOSTILE_TEXT \
	"\x1b[2J\x1b[HStatus: Available\r\xc2\x9b" "31m\xe2\x80\xae" \
	"gpj.exe Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac"
#define BAD_PENDMAX	64

struct bad_id {
	X509		*cert;
	EVP_PKEY	*key;
};

struct bad_pending {
	char		 transid[SCEP_TRANSID_MAX + 1];
	unsigned char	*csr;
	size_t		 csrlen;
	int		 polls;
};

struct bad_server {
	struct bad_id		 ca, ra_sign, ra_encr, other, notca, expired;
	struct bad_id		 next;
	long			 serial;
	struct bad_pending	 pend[BAD_PENDMAX];
	int			 npend;
};

struct bad_body {
	char	*buf;
	size_t	 len;
	int	 toobig;
};

static int
bad_load(struct bad_id *id, const char *dir, const char *name)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	id->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	id->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return id->cert != NULL && id->key != NULL ? 0 : -1;
}

static enum MHD_Result
bad_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const void *buf, size_t len)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(len, (void *)buf,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
bad_cert_reply(struct MHD_Connection *conn, X509 *x)
{
	unsigned char	*der = NULL;
	int		 n;
	enum MHD_Result	 ret;

	if ((n = i2d_X509(x, &der)) <= 0)
		return bad_reply(conn, 500, "text/plain", "error", 5);
	ret = bad_reply(conn, 200, "application/x-x509-ca-cert", der,
	    (size_t)n);
	OPENSSL_free(der);
	return ret;
}

static enum MHD_Result
bad_getcacert(struct bad_server *s, struct MHD_Connection *conn,
    const char *mode)
{
	STACK_OF(X509)	*sk;
	unsigned char	*der = NULL;
	size_t		 len = 0;
	struct err	 e;
	enum MHD_Result	 ret;

	if (strcmp(mode, "notca") == 0)
		return bad_cert_reply(conn, s->notca.cert);
	if (strcmp(mode, "expiredca") == 0)
		return bad_cert_reply(conn, s->expired.cert);
	if (strcmp(mode, "cahtml") == 0)
		return bad_reply(conn, 200, "text/html",
		    "<html><body>It works!</body></html>", 35);
	if (strcmp(mode, "ra") != 0)
		return bad_cert_reply(conn, s->ca.cert);
	sk = sk_X509_new_null();
	/* NDES order: RA certificates first, then the CA. */
	sk_X509_push(sk, s->ra_sign.cert);
	sk_X509_push(sk, s->ra_encr.cert);
	sk_X509_push(sk, s->ca.cert);
	if (scep_degenerate_build(&der, &len, sk, NULL, &e) != 0) {
		sk_X509_free(sk);
		return bad_reply(conn, 500, "text/plain", "error", 5);
	}
	sk_X509_free(sk);
	ret = bad_reply(conn, 200, "application/x-x509-ca-ra-cert", der, len);
	free(der);
	return ret;
}

/* GetNextCACert: a degenerate PKCS#7 in a SignedData (RFC 8894 4.7). */
static enum MHD_Result
bad_getnextcacert(struct bad_server *s, struct MHD_Connection *conn,
    const char *mode)
{
	static const char	 ctype[] = "application/x-x509-next-ca-cert";
	STACK_OF(X509)		*sk = sk_X509_new_null();
	struct bad_id		*sig = &s->ca;
	CMS_ContentInfo		*cms = NULL;
	unsigned char		*inner = NULL, *der = NULL;
	size_t			 len = 0;
	struct err		 e;
	BIO			*bio = NULL;
	enum MHD_Result		 ret;
	int			 n = 0;

	if (strcmp(mode, "nextcabig") == 0) {
		der = calloc(1, 128 * 1024);
		ret = bad_reply(conn, 200, ctype, der, 128 * 1024);
		free(der);
		sk_X509_free(sk);
		return ret;
	}
	sk_X509_push(sk, strcmp(mode, "nextcanotca") == 0 ? s->notca.cert :
	    s->next.cert);
	if (strcmp(mode, "nextcatwo") == 0)
		sk_X509_push(sk, s->other.cert);
	if (strcmp(mode, "nextcarogue") == 0)
		sig = &s->other;
	if (scep_degenerate_build(&inner, &len, sk, NULL, &e) == 0 &&
	    (bio = BIO_new_mem_buf(inner, (int)len)) != NULL &&
	    (cms = CMS_sign(sig->cert, sig->key, NULL, bio, CMS_BINARY)) !=
	    NULL)
		n = i2d_CMS_ContentInfo(cms, &der);
	ret = n > 0 ? bad_reply(conn, 200, ctype, der, (size_t)n) :
	    bad_reply(conn, 500, "text/plain", "error", 5);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(bio);
	free(inner);
	sk_X509_free(sk);
	return ret;
}

/* Two CRL distribution points, for show crypto ca certificates. */
static int
bad_add_cdp(X509 *x)
{
	X509_EXTENSION	*ext;
	int		 ok;

	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_crl_distribution_points,
	    "URI:http://127.0.0.1:8080/crl/ca.crl,"
	    "URI:ldap://127.0.0.1/CN=Root netpki-test Certificate Manager");
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for the request's key, or for another one. */
static X509 *
bad_issue(struct bad_server *s, const unsigned char *csr, size_t len,
    const char *mode)
{
	const unsigned char	*p = csr;
	X509_REQ		*req;
	X509			*x = NULL;
	EVP_PKEY		*pk;
	struct bad_id		*iss = &s->ca;
	time_t			 now = clock_now();
	long			 off = 0;

	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		return NULL;
	pk = X509_REQ_get0_pubkey(req);
	if (strcmp(mode, "wrongcert") == 0)
		pk = s->other.key;
	if (strcmp(mode, "expiredcert") == 0)
		off = -2L * 365 * 86400;
	if (strcmp(mode, "nextcaissue") == 0)
		iss = &s->next;
	if ((x = X509_new()) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), ++s->serial) ||
	    !X509_set_subject_name(x, X509_REQ_get_subject_name(req)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(iss->cert)) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, off - 3600, &now) ==
	    NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 365, off, &now) == NULL ||
	    (iss == &s->next && (!X509_set1_notBefore(x,
	    X509_get0_notBefore(iss->cert)) || !X509_set1_notAfter(x,
	    X509_get0_notAfter(iss->cert)))) ||
	    !X509_set_pubkey(x, pk) || !bad_add_cdp(x) ||
	    X509_sign(x, iss->key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	X509_REQ_free(req);
	return x;
}

static struct bad_pending *
bad_pending_find(struct bad_server *s, const char *transid, int add)
{
	int	 i;

	for (i = 0; i < s->npend; i++)
		if (strcmp(s->pend[i].transid, transid) == 0)
			return &s->pend[i];
	if (!add || s->npend == BAD_PENDMAX)
		return NULL;
	snprintf(s->pend[s->npend].transid, sizeof(s->pend[0].transid), "%s",
	    transid);
	return &s->pend[s->npend++];
}

/* Answers that never look at the request; returns 1 if mode is one. */
static int
bad_pkiop_canned(struct MHD_Connection *conn, const char *mode,
    enum MHD_Result *ret)
{
	char	*big;

	if (strcmp(mode, "html") == 0)
		*ret = bad_reply(conn, 200, "text/html",
		    "<html><body>Login</body></html>", 31);
	else if (strcmp(mode, "http500") == 0)
		*ret = bad_reply(conn, 500, "text/plain", "Internal error", 14);
	else if (strcmp(mode, "garbage") == 0)
		*ret = bad_reply(conn, 200, "application/x-pki-message",
		    "\x30\x82\x01\x00garbage-garbage-garbage", 27);
	else if (strcmp(mode, "big") == 0) {
		big = calloc(1, 2 * 1024 * 1024);
		*ret = bad_reply(conn, 200, "application/x-pki-message", big,
		    2 * 1024 * 1024);
		free(big);
	} else
		return 0;
	return 1;
}

/*
 * A SUCCESS CertRep answering req, signed by sig; the transid and nonce
 * modes spoil the answer.  nonce and badnonce are filled here and must
 * outlive b.
 */
static void
bad_certrep_init(struct scep_build *b, struct scep_msg *req,
    const char *mode, struct bad_id *sig, unsigned char *nonce,
    unsigned char *badnonce)
{
	struct err	 e;

	memset(b, 0, sizeof(*b));
	b->type = SCEP_MT_CERTREP;
	b->recipient = req->signer;
	b->cipher = SCEP_CIPHER_AES128;
	b->signer = sig->cert;
	b->signer_key = sig->key;
	b->md = "SHA256";
	b->transid = strcmp(mode, "transid") == 0 ? "0123456789" :
	    req->transid;
	scep_nonce(nonce, &e);
	scep_nonce(badnonce, &e);
	b->sender_nonce = nonce;
	b->recipient_nonce = strcmp(mode, "nonce") == 0 ? badnonce :
	    req->sender_nonce;
	b->status = SCEP_STATUS_SUCCESS;
}

/*
 * The pending modes: keep a PKCSReq's CSR under its transid, answer
 * PENDING until the second CertPoll (or for ever).  *csr and *csrlen then
 * point at the kept CSR.  Returns -1 when the table is full.
 */
static int
bad_pkiop_pending(struct bad_server *s, const struct scep_msg *req,
    const char *mode, struct scep_build *b, const unsigned char **csr,
    size_t *csrlen)
{
	struct bad_pending	*pe;

	if ((pe = bad_pending_find(s, req->transid, 1)) == NULL)
		return -1;
	if (*csr != NULL) {
		free(pe->csr);
		pe->csr = malloc(*csrlen);
		memcpy(pe->csr, *csr, *csrlen);
		pe->csrlen = *csrlen;
		pe->polls = 0;
	} else
		pe->polls++;
	if (strcmp(mode, "pendingforever") == 0 || pe->polls < 2 ||
	    pe->csr == NULL)
		b->status = SCEP_STATUS_PENDING;
	*csr = pe->csr;
	*csrlen = pe->csrlen;
	return 0;
}

static enum MHD_Result
bad_pkiop(struct bad_server *s, struct MHD_Connection *conn,
    const char *mode, const unsigned char *body, size_t blen)
{
	struct scep_msg		*req = NULL;
	struct scep_build	 b;
	struct bad_id		*dec, *sig;
	struct err		 e;
	unsigned char		 nonce[SCEP_NONCE_LEN], badnonce[SCEP_NONCE_LEN];
	unsigned char		*p7 = NULL, *out = NULL;
	size_t			 p7len = 0, outlen = 0;
	STACK_OF(X509)		*sk = NULL;
	X509			*x = NULL;
	enum MHD_Result		 ret;
	const unsigned char	*csr = NULL;
	size_t			 csrlen = 0;

	if (bad_pkiop_canned(conn, mode, &ret))
		return ret;
	dec = strcmp(mode, "ra") == 0 ? &s->ra_encr : &s->ca;
	sig = strcmp(mode, "ra") == 0 ? &s->ra_sign :
	    strcmp(mode, "otherkey") == 0 ? &s->other :
	    strcmp(mode, "nextcaissue") == 0 ? &s->next : &s->ca;
	if (scep_msg_parse(&req, body, blen, NULL, dec->key, dec->cert,
	    &e) != 0) {
		fprintf(stderr, "scep_badserver: %s\n", e.msg);
		return bad_reply(conn, 400, "text/plain", "bad request", 11);
	}
	bad_certrep_init(&b, req, mode, sig, nonce, badnonce);
	if (req->type == SCEP_MT_PKCSREQ) {
		csr = req->content;
		csrlen = req->content_len;
	}
	if (strcmp(mode, "pending") == 0 || strcmp(mode, "pendingforever") ==
	    0) {
		if (bad_pkiop_pending(s, req, mode, &b, &csr, &csrlen) != 0)
			goto fail;
	} else if (req->type != SCEP_MT_PKCSREQ)
		goto fail;
	if (strcmp(mode, "fail") == 0 || strcmp(mode, "failesc") == 0) {
		b.status = SCEP_STATUS_FAILURE;
		b.failinfo = SCEP_FAIL_BADREQUEST;
		b.failinfo_text = strcmp(mode, "fail") == 0 ?
		    "challenge password rejected" : BAD_HOSTILE_TEXT;
	}
	if (b.status == SCEP_STATUS_SUCCESS) {
		if ((x = bad_issue(s, csr, csrlen, mode)) == NULL)
			goto fail;
		sk = sk_X509_new_null();
		sk_X509_push(sk, x);
		if (scep_degenerate_build(&p7, &p7len, sk, NULL, &e) != 0)
			goto fail;
		b.content = p7;
		b.content_len = p7len;
	}
	if (scep_msg_build(&out, &outlen, &b, &e) != 0) {
		fprintf(stderr, "scep_badserver: %s\n", e.msg);
		goto fail;
	}
	if (strcmp(mode, "truncated") == 0)
		outlen /= 2;
	ret = bad_reply(conn, 200, "application/x-pki-message", out, outlen);
	goto out;
 fail:
	ret = bad_reply(conn, 500, "text/plain", "server error", 12);
 out:
	sk_X509_free(sk);
	X509_free(x);
	free(p7);
	free(out);
	scep_msg_free(req);
	return ret;
}

static enum MHD_Result
bad_handler(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct bad_server	*s = arg;
	struct bad_body		*body = *con_cls;
	const char		*op, *msg;
	char			 mode[32];
	size_t			 n;
	unsigned char		*der;
	int			 dlen;
	enum MHD_Result		 ret;

	(void)version;
	if (body == NULL) {
		if ((body = calloc(1, sizeof(*body))) == NULL)
			return MHD_NO;
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (body->len + *upload_size > BAD_BODYMAX)
			body->toobig = 1;
		else {
			body->buf = realloc(body->buf, body->len + *upload_size);
			memcpy(body->buf + body->len, upload, *upload_size);
			body->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	n = strcspn(url + 1, "/");
	if (n >= sizeof(mode))
		n = sizeof(mode) - 1;
	memcpy(mode, url + 1, n);
	mode[n] = '\0';
	op = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "operation");
	if (op == NULL)
		return bad_reply(conn, 400, "text/plain", "no operation", 12);
	if (strcmp(op, "GetCACaps") == 0) {
		if (strcmp(mode, "nocaps") == 0)
			return bad_reply(conn, 404, "text/plain", "not found", 9);
		if (strncmp(mode, "nextca", 6) == 0)
			return bad_reply(conn, 200, "text/plain",
			    "POSTPKIOperation\nAES\nSHA-256\nSCEPStandard\n"
			    "GetNextCACert\n", 56);
		return bad_reply(conn, 200, "text/plain",
		    "POSTPKIOperation\nAES\nSHA-256\nSCEPStandard\n", 43);
	}
	if (strcmp(op, "GetNextCACert") == 0)
		return bad_getnextcacert(s, conn, mode);
	if (strcmp(op, "GetCACert") == 0)
		return bad_getcacert(s, conn, mode);
	if (strcmp(op, "PKIOperation") != 0)
		return bad_reply(conn, 400, "text/plain", "bad operation", 13);
	if (strcmp(method, "POST") == 0)
		return bad_pkiop(s, conn, mode, (unsigned char *)body->buf,
		    body->len);
	if ((msg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "message")) == NULL)
		return bad_reply(conn, 400, "text/plain", "no message", 10);
	/* GET: base64 in the query (MHD has undone the URL escaping). */
	n = strlen(msg);
	der = malloc(n);
	if ((dlen = EVP_DecodeBlock(der, (const unsigned char *)msg,
	    (int)n)) < 0) {
		free(der);
		return bad_reply(conn, 400, "text/plain", "bad base64", 10);
	}
	while (n > 0 && msg[n - 1] == '=') {
		dlen--;
		n--;
	}
	ret = bad_pkiop(s, conn, mode, der, (size_t)dlen);
	free(der);
	return ret;
}

static void
bad_done(void *arg, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct bad_body	*body = *con_cls;

	(void)arg;
	(void)conn;
	(void)toe;
	if (body != NULL) {
		free(body->buf);
		free(body);
	}
	*con_cls = NULL;
}

int
main(int argc, char *argv[])
{
	struct bad_server	 s;
	struct MHD_Daemon	*d;
	struct sockaddr_in	 sin;
	sigset_t		 set;
	int			 sig;

	if (argc != 3) {
		fprintf(stderr, "usage: scep_badserver DATADIR PORT\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	s.serial = 100;
	if (bad_load(&s.ca, argv[1], "ca") != 0 ||
	    bad_load(&s.ra_sign, argv[1], "ra-sign") != 0 ||
	    bad_load(&s.ra_encr, argv[1], "ra-encr") != 0 ||
	    bad_load(&s.other, argv[1], "other") != 0 ||
	    bad_load(&s.notca, argv[1], "notca") != 0 ||
	    bad_load(&s.expired, argv[1], "expired-ca") != 0 ||
	    bad_load(&s.next, argv[1], "next-ca") != 0) {
		fprintf(stderr, "scep_badserver: cannot load %s\n", argv[1]);
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, bad_handler, &s,
	    MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, bad_done, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "scep_badserver: cannot listen on 127.0.0.1:%s\n",
		    argv[2]);
		return 1;
	}
	printf("listening on 127.0.0.1:%s\n", argv[2]);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
