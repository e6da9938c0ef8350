/*
 * scep_server: what the CA does with each SCEP operation.  Anything wrong
 * with a verifiable request is answered with a signed CertRep FAILURE
 * naming the failInfo; a message that cannot even be verified gets HTTP
 * 400 (there is nobody to answer).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "challenge.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "policy.h"
#include "scep_msg.h"
#include "scep_server.h"

#define TYPE_PKIMSG	"application/x-pki-message"
#define TYPE_NEXTCA	"application/x-x509-next-ca-cert"

/* One PKIOperation in progress. */
struct scep_op {
	const struct scep_server	*srv;
	const struct ca			*ca;	/* the generation in force */
	struct db			*db;
	struct scep_msg			*msg;
	struct scep_reply		*rep;
};

void
scep_reply_clear(struct scep_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* SCEP's and EST's notes for the log line (est_server.c). */
#define scep_note scep_reply_note

void
scep_reply_note(struct scep_reply *r, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(r->note);

	if (n >= sizeof(r->note) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->note + n, sizeof(r->note) - n, fmt, ap);
	va_end(ap);
}

static int
scep_text(struct scep_reply *r, int http, const char *type, const char *s)
{
	r->http = http;
	r->type = type;
	r->len = strlen(s);
	if ((r->body = malloc(r->len + 1)) == NULL)
		return -1;
	memcpy(r->body, s, r->len + 1);
	return 0;
}

static int	scep_nextca_build(unsigned char **, size_t *,
		    const struct ca *, const struct ca *, struct err *);

/* Each loaded generation's GetNextCACert answer, from the one before. */
static int
scep_server_nextca(struct scep_server *s, const struct ca *ca, struct err *e)
{
	const struct ca	*g;
	int		 rc;

	for (g = ca; g != NULL && g->next != NULL; g = g->next)
		if ((rc = scep_nextca_build(&s->nextca[g->next->gen],
		    &s->nextca_len[g->next->gen], g, g->next, e)) != 0)
			return rc;
	return 0;
}

/* GetCACert's body for one CA generation. */
static int
scep_cacert_build(unsigned char **out, size_t *len, const char **type,
    const struct ca *ca, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	int		 rc;

	if (ca->ra_sign == NULL) {
		/* RFC 8894 4.2.1.1: a CA without RA: one DER certificate. */
		*type = "application/x-x509-ca-cert";
		return cert_der_dup(out, len, ca->cert, ASN1_ITEM_rptr(X509),
		    "the CA certificate", e);
	}
	/* 4.2.1.2: with an RA, a degenerate PKCS#7 of the CA and the RA. */
	if ((rc = ca_bundle(&sk, ca, 0, e)) == 0)
		rc = scep_degenerate_build(out, len, sk, NULL, e);
	*type = "application/x-x509-ca-ra-cert";
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int
scep_server_init(struct scep_server *s, const struct ca *ca, struct err *e)
{
	int	 rc;

	s->ca = ca;
	if ((rc = scep_server_nextca(s, ca, e)) != 0)
		return rc;
	return scep_cacert_build(&s->cacert, &s->cacert_len, &s->cacert_type,
	    ca, e);
}

void
scep_server_clear(struct scep_server *s)
{
	if (s->challenge != NULL)
		OPENSSL_cleanse(s->challenge, s->challenge_len);
	free(s->challenge);
	free(s->cacert);
	for (size_t i = 0; i <= CA_GENMAX; i++)
		free(s->nextca[i]);
	memset(s, 0, sizeof(*s));
}

/* The generations in force and next now (outside PKIOperation). */
static int
scep_gens(const struct scep_server *s, struct db *db, const struct ca **cur,
    const struct ca **next, struct scep_reply *r)
{
	struct err	 e;

	if (ca_gens_now(cur, next, s->ca, db, clock_now(), &e) == 0)
		return 0;
	/* A store that does not answer: the generations read at start. */
	if (e.code != ERR_NOTFOUND && ca_gens_now(cur, next, s->ca, NULL,
	    clock_now(), &e) == 0)
		return 0;
	snprintf(r->note, sizeof(r->note), " %.300s", e.msg);
	return -1;
}

int
scep_server_getcacaps(const struct scep_server *s, struct db *db,
    struct scep_reply *r)
{
	const struct ca	*cur, *next;

	if (scep_gens(s, db, &cur, &next, r) != 0)
		return scep_text(r, 503, "text/plain", "CA unavailable\n");
	return scep_text(r, 200, "text/plain", next != NULL ?
	    "GetNextCACert\n" SCEP_SERVER_CAPS : SCEP_SERVER_CAPS);
}

/*
 * RFC 8894 4.7.1: the content is a degenerate certificates-only
 * SignedData; the signature is the current CA's, made through the key
 * seam (in serve, by the key process).
 */
static int
scep_nextca_build(unsigned char **out, size_t *outlen, const struct ca *cur,
    const struct ca *next, struct err *e)
{
	const unsigned int	 flags = CMS_BINARY | CMS_PARTIAL |
	    CMS_NOSMIMECAP;
	STACK_OF(X509)		*sk = NULL;
	CMS_ContentInfo		*cms = NULL;
	unsigned char		*inner = NULL;
	size_t			 innerlen = 0;
	BIO			*in = NULL;
	int			 rc;

	/* 4.7.1: the new CA and its RA certificates, then the link. */
	if ((sk = sk_X509_new_null()) == NULL || !sk_X509_push(sk,
	    next->cert) || (next->ra_sign != NULL && (!sk_X509_push(sk,
	    next->ra_sign) || !sk_X509_push(sk, next->ra_enc))) ||
	    !sk_X509_push(sk, next->link_new)) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = scep_degenerate_build(&inner, &innerlen, sk, NULL, e)) != 0)
		goto out;
	if ((in = BIO_new_mem_buf(inner, (int)innerlen)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    CMS_add1_signer(cms, cur->cert, cur->key, EVP_sha256(),
	    flags) == NULL || CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot sign the next CA "
		    "certificate");
		goto out;
	}
	rc = cert_der_dup(out, outlen, cms, ASN1_ITEM_rptr(CMS_ContentInfo),
	    "GetNextCACert", e);
 out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	free(inner);
	sk_X509_free(sk);
	return rc;
}

int
scep_server_getnextcacert(const struct scep_server *s, struct db *db,
    struct scep_reply *r)
{
	const struct ca	*cur, *next;

	if (scep_gens(s, db, &cur, &next, r) != 0)
		return scep_text(r, 503, "text/plain", "CA unavailable\n");
	if (next == NULL)
		return scep_text(r, 404, "text/plain", "no next CA "
		    "certificate\n");
	/* One pending at a time: next follows cur, whose key signed it. */
	if (next->gen != cur->gen + 1 || s->nextca[next->gen] == NULL)
		return scep_text(r, 500, "text/plain", "no signed next CA "
		    "certificate\n");
	if ((r->body = malloc(s->nextca_len[next->gen])) == NULL)
		return -1;
	memcpy(r->body, s->nextca[next->gen], s->nextca_len[next->gen]);
	r->len = s->nextca_len[next->gen];
	snprintf(r->note, sizeof(r->note), " next=%d", next->gen);
	r->http = 200;
	r->type = TYPE_NEXTCA;
	return 0;
}

int
scep_server_getcacert(const struct scep_server *s, struct db *db,
    struct scep_reply *r)
{
	const struct ca	*cur, *next;
	struct err	 e;

	if (scep_gens(s, db, &cur, &next, r) != 0)
		return scep_text(r, 503, "text/plain", "CA unavailable\n");
	/* After a switch-over: the new CA (and the RA it certified). */
	if (cur != s->ca) {
		if (scep_cacert_build(&r->body, &r->len, &r->type, cur,
		    &e) != 0)
			return -1;
		r->http = 200;
		return 0;
	}
	r->http = 200;
	r->type = s->cacert_type;
	if ((r->body = malloc(s->cacert_len)) == NULL)
		return -1;
	memcpy(r->body, s->cacert, s->cacert_len);
	r->len = s->cacert_len;
	return 0;
}

/* Answer the way the client asked: its digest, its cipher (never DES). */
static const char *
scep_reply_md(const char *md)
{
	static const char	*ok[] = { "SHA1", "SHA224", "SHA256", "SHA384",
				    "SHA512" };
	size_t			 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(md, ok[i]) == 0)
			return ok[i];
	return "SHA256";
}

static int
scep_reply_cipher(const char *c)
{
	if (strcmp(c, "DES-EDE3-CBC") == 0)
		return SCEP_CIPHER_3DES;
	if (strcmp(c, "AES-256-CBC") == 0)
		return SCEP_CIPHER_AES256;
	return SCEP_CIPHER_AES128;
}

static int
scep_certrep(struct scep_op *op, int status, int failinfo, const char *text,
    X509 *cert, X509_CRL *crl)
{
	const struct ca		*ca = op->ca;
	struct scep_build	 b;
	STACK_OF(X509)		*certs = NULL;
	unsigned char		 nonce[SCEP_NONCE_LEN], *inner = NULL;
	size_t			 innerlen = 0;
	struct err		 e;
	int			 rc = -1;

	memset(&b, 0, sizeof(b));
	if (scep_nonce(nonce, &e) != 0)
		goto out;
	if (status == SCEP_STATUS_SUCCESS) {
		if ((certs = sk_X509_new_null()) == NULL ||
		    (cert != NULL && !sk_X509_push(certs, cert)))
			goto out;
		if (scep_degenerate_build(&inner, &innerlen, certs, crl, &e) !=
		    0)
			goto out;
		b.content = inner;
		b.content_len = innerlen;
		b.recipient = op->msg->signer;
		b.cipher = scep_reply_cipher(op->msg->cipher);
	}
	b.type = SCEP_MT_CERTREP;
	b.status = status;
	b.failinfo = failinfo;
	b.failinfo_text = text;
	b.signer = ca_reply_cert(ca);
	b.signer_key = ca_reply_key(ca);
	b.md = scep_reply_md(op->msg->md);
	b.transid = op->msg->transid;
	b.sender_nonce = nonce;
	b.recipient_nonce = op->msg->sender_nonce;
	if (scep_msg_build(&op->rep->body, &op->rep->len, &b, &e) != 0) {
		scep_note(op->rep, " cannot build CertRep: %s", e.msg);
		scep_reply_clear(op->rep);
		rc = scep_text(op->rep, 500, "text/plain",
		    "cannot build the CertRep\n");
		goto out;
	}
	op->rep->http = 200;
	op->rep->type = TYPE_PKIMSG;
	if (op->rep->outcome == SCEP_OUT_NONE)
		op->rep->outcome = status == SCEP_STATUS_SUCCESS ?
		    SCEP_OUT_SUCCESS : status == SCEP_STATUS_PENDING ?
		    SCEP_OUT_PENDING : SCEP_OUT_FAILED;
	scep_note(op->rep, " -> %s", scep_status_name(status));
	if (status == SCEP_STATUS_FAILURE)
		scep_note(op->rep, " %s (%s)", scep_failinfo_name(failinfo),
		    text ? text : "");
	rc = 0;
 out:
	free(inner);
	sk_X509_free(certs);
	return rc;
}

static int
scep_fail(struct scep_op *op, int failinfo, const char *text)
{
	return scep_certrep(op, SCEP_STATUS_FAILURE, failinfo, text, NULL,
	    NULL);
}

/*
 * The store could not answer (down, locked past its timeout, out of
 * memory): not the client's fault, so no SCEP FAILURE, and nothing of the
 * store's message (it names the database) for the client: HTTP 503 and a
 * fixed text; the log line carries the message.
 */
static int
scep_unavailable(struct scep_op *op, const struct err *e)
{
	free(op->rep->body);
	op->rep->body = NULL;
	op->rep->len = 0;
	op->rep->outcome = SCEP_OUT_UNAVAILABLE;
	scep_note(op->rep, " store: %s", e->msg);
	return scep_text(op->rep, 503, "text/plain", "database unavailable\n");
}

/* Store errors that mean "no answer", as opposed to "no such row". */
int
scep_store_down(const struct err *e)
{
	return e->code == ERR_IO || e->code == ERR_NET ||
	    e->code == ERR_NOMEM || e->code == ERR_BUSY;
}

static int
scep_success_serial(struct scep_op *op, const char *serial)
{
	struct db_cert		 c;
	X509			*x = NULL;
	const unsigned char	*p;
	struct err		 e;
	int			 rc;

	if (db_cert_by_serial(op->db, serial, &c, &e) != 0)
		return scep_store_down(&e) ? scep_unavailable(op, &e) :
		    scep_fail(op, SCEP_FAIL_BADCERTID, "no certificate with "
		    "this serial number");
	p = c.der;
	if ((x = d2i_X509(NULL, &p, (long)c.der_len)) == NULL) {
		db_cert_clear(&c);
		return scep_fail(op, SCEP_FAIL_BADCERTID, "stored certificate "
		    "is unreadable");
	}
	scep_note(op->rep, " serial=%s", serial);
	rc = scep_certrep(op, SCEP_STATUS_SUCCESS, 0, NULL, x, NULL);
	X509_free(x);
	db_cert_clear(&c);
	return rc;
}

/*
 * Issued by a generation of this CA up to cur, the one in force (NULL: any
 * the database lists): after a switch-over, the old CA's certificates still
 * renew (with the new one).
 */
static int
scep_issued_by_us(const struct ca *root, const struct ca *cur, X509 *x)
{
	const struct ca	*g;

	for (g = root; g != NULL && (cur == NULL || g->gen <= cur->gen);
	    g = g->next)
		if (g->in_db && X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(g->cert)) == 0 &&
		    X509_verify(x, X509_get0_pubkey(g->cert)) == 1)
			return 1;
	ERR_clear_error();
	return 0;
}

int
scep_server_cert_ok(const struct ca *root, const struct ca *cur,
    struct db *db, X509 *x, struct err *e)
{
	struct db_cert	 c;
	time_t		 now = clock_now();
	char		*serial;
	int		 ok;

	if (!scep_issued_by_us(root, cur, x))
		return 0;
	if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		return 0;
	if ((serial = issue_serial_hex(X509_get0_serialNumber(x))) == NULL)
		return 0;
	memset(&c, 0, sizeof(c));
	if (db_cert_by_serial(db, serial, &c, e) == 0)
		ok = c.revoked == 0;
	else
		ok = scep_store_down(e) ? -1 : 0;
	db_cert_clear(&c);
	free(serial);
	return ok;
}

static int
scep_ours(struct scep_op *op, X509 *x, struct err *e)
{
	return scep_server_cert_ok(op->srv->ca, op->ca, op->db, x, e);
}

/* An enrollment (PKCSReq, RenewalReq) in progress. */
struct scep_enr {
	X509_REQ		*req;
	char			*pw;	/* challengePassword; NULL: none */
	int			 ours;	/* signed by a valid cert of this CA */
	int			 bycert; /* ... of this identity: no challenge */
	int			 taken;	/* a one-time challenge's use taken */
	struct db_request	 r;	/* the row to store */
};

static void
scep_enr_clear(struct scep_enr *en)
{
	if (en->pw != NULL)
		OPENSSL_cleanse(en->pw, strlen(en->pw));
	free(en->pw);
	free(en->r.csr);
	free(en->r.subject);
	X509_REQ_free(en->req);
	memset(en, 0, sizeof(*en));
}

/* The static challenge (--challenge), compared in constant time. */
static int
scep_static_ok(const struct scep_server *s, const char *pw)
{
	size_t	 n;

	if (pw == NULL || s->challenge == NULL)
		return 0;
	n = strlen(pw);
	return n == s->challenge_len &&
	    CRYPTO_memcmp(pw, s->challenge, n) == 0;
}

/*
 * May this request be issued without a certificate standing in?  With a
 * valid challenge pw: the static one, or a one-time one (consume: a use
 * is taken now, *taken; otherwise, for a resend, one this request used
 * up counts).  No challenge configured: anyone (the demo, or manual
 * approval).  1 yes, 0 no, -1 the store did not answer (*e).  Shared by
 * SCEP and EST (HTTP basic: the password).
 */
int
scep_server_challenge_ok(const struct scep_server *s, struct db *db,
    struct scep_reply *rep, const char *pw, X509_NAME *subject, int consume,
    int *taken, struct err *e)
{
	char	 id[CHALLENGE_IDLEN + 1];
	int	 rc;

	*taken = 0;
	if (s->challenge == NULL && !s->onetime)
		return 1;
	if (scep_static_ok(s, pw))
		return 1;
	if (!s->onetime || !challenge_form(pw, id, sizeof(id)))
		return 0;
	rc = challenge_check(db, pw, subject, consume, e);
	if (rc == 0) {
		scep_note(rep, " challenge=%s", id);
		*taken = consume;
		return 1;
	}
	if (rc != ERR_REFUSED)
		return -1;
	scep_note(rep, " (%s)", e->msg);
	return 0;
}

static int
scep_challenge_ok(struct scep_op *op, struct scep_enr *en, int consume,
    struct err *e)
{
	return scep_server_challenge_ok(op->srv, op->db, op->rep, en->pw,
	    X509_REQ_get_subject_name(en->req), consume, &en->taken, e);
}

/* Answer a request whose challenge did not open (or -1: store down). */
static int
scep_challenge_refused(struct scep_op *op, int ok, const struct err *e)
{
	if (ok < 0)
		return scep_unavailable(op, e);
	op->rep->outcome = SCEP_OUT_BADCHALLENGE;
	return scep_fail(op, SCEP_FAIL_BADREQUEST, "challenge password "
	    "missing or wrong");
}

/* The subjectAltName extension's DER, or NULL when there is none. */
static int
scep_san_der(unsigned char **out, GENERAL_NAMES *g)
{
	int	 n = 0;

	*out = NULL;
	if (g != NULL && (n = i2d_GENERAL_NAMES(g, out)) < 0)
		n = 0;
	GENERAL_NAMES_free(g);
	return n;
}

static GENERAL_NAMES *
scep_req_san(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION)	*exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES			*g = NULL;

	if (exts != NULL)
		g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return g;
}

/*
 * RFC 8894 3.3.1.2: a certificate stands in for the challenge only to
 * renew itself: the same subject and subjectAltNames, inside the
 * policy's renewal window.  1 yes, 0 no (the note says why).  EST's
 * simplereenroll asks the same of the TLS client certificate.
 */
int
scep_server_same_identity(const struct policy *pol, struct scep_reply *rep,
    X509 *signer, X509_REQ *req)
{
	unsigned char		*a = NULL, *b = NULL;
	struct err		 e;
	time_t			 na;
	int			 la, lb, same;

	if (X509_NAME_cmp(X509_get_subject_name(signer),
	    X509_REQ_get_subject_name(req)) != 0) {
		scep_note(rep, " renewal-of-another-subject");
		return 0;
	}
	la = scep_san_der(&a, X509_get_ext_d2i(signer, NID_subject_alt_name,
	    NULL, NULL));
	lb = scep_san_der(&b, scep_req_san(req));
	same = la == lb && (la == 0 || memcmp(a, b, (size_t)la) == 0);
	OPENSSL_free(a);
	OPENSSL_free(b);
	if (!same) {
		scep_note(rep, " renewal-with-other-subjectAltNames");
		return 0;
	}
	if (pol != NULL && cert_asn1_time(X509_get0_notAfter(signer), &na) ==
	    0 && policy_renew_ok(pol, clock_now(), na, &e) != 0) {
		scep_note(rep, " renewal-outside-window");
		return 0;
	}
	return 1;
}

/*
 * An earlier request's certificate, answered again for a resend (RFC
 * 8894 3.3.1): only while it is valid and unrevoked.
 */
static int
scep_resend_issued(struct scep_op *op, struct scep_enr *en,
    const struct db_request *r)
{
	struct db_cert	 c;
	struct err	 e;
	int		 rc, ok;

	if (!en->bycert && (ok = scep_challenge_ok(op, en, 0, &e)) != 1)
		return scep_challenge_refused(op, ok, &e);
	if (db_cert_by_serial(op->db, r->serial, &c, &e) != 0)
		return scep_store_down(&e) ? scep_unavailable(op, &e) :
		    scep_fail(op, SCEP_FAIL_BADCERTID, "no certificate with "
		    "this serial number");
	if (c.revoked != 0 || c.not_after < clock_now())
		rc = scep_fail(op, SCEP_FAIL_BADREQUEST, "RFC 8894 3.3.1: the "
		    "certificate issued for this request is revoked or "
		    "expired; make a new request");
	else {
		op->rep->outcome = SCEP_OUT_RESENT;
		rc = scep_success_serial(op, r->serial);
	}
	db_cert_clear(&c);
	return rc;
}

/*
 * A resend is the same request (the same CSR in a message from the same
 * signer: reqhash), not merely the same key: a renewal that keeps its key
 * (and, RSA signatures being deterministic, may send the very same CSR)
 * signs with its current certificate or a new self-signed one, so it is
 * a new request.  *done: answered here.
 */
static int
scep_resend(struct scep_op *op, struct scep_enr *en,
    const struct db_request *r, int *done)
{
	*done = 1;
	scep_note(op->rep, " request=%lld (resent)", (long long)r->id);
	if (strcmp(r->state, DB_PENDING) == 0)
		return scep_certrep(op, SCEP_STATUS_PENDING, 0, NULL, NULL,
		    NULL);
	if (strcmp(r->state, DB_REJECTED) == 0)
		return scep_fail(op, SCEP_FAIL_BADREQUEST, "the request was "
		    "rejected by the CA administrator");
	return scep_resend_issued(op, en, r);
}

/*
 * A pending request's transactionID is its own: another key is refused
 * and the row left untouched; the same key is told PENDING again.
 */
static int
scep_pending_transid(struct scep_op *op, struct scep_enr *en,
    const struct db_request *r, int *done)
{
	X509_REQ	*old = NULL;
	struct err	 e;
	int		 samekey;

	*done = 0;
	if (strcmp(r->state, DB_PENDING) != 0)
		return 0;
	*done = 1;
	samekey = issue_csr_stored(&old, r->csr, r->csr_len, &e) == 0 &&
	    EVP_PKEY_eq(X509_REQ_get0_pubkey(old),
	    X509_REQ_get0_pubkey(en->req)) == 1;
	X509_REQ_free(old);
	if (!samekey)
		return scep_fail(op, SCEP_FAIL_BADREQUEST, "RFC 8894 "
		    "3.2.1.4.1: this transactionID belongs to a pending "
		    "request with another key");
	scep_note(op->rep, " request=%lld (pending)", (long long)r->id);
	return scep_certrep(op, SCEP_STATUS_PENDING, 0, NULL, NULL, NULL);
}

/* An earlier request: a resend, or a pending transactionID.  *done. */
static int
scep_prior(struct scep_op *op, struct scep_enr *en, int *done)
{
	struct db_request	 old;
	struct err		 e;
	int			 rc;

	*done = 0;
	if ((rc = db_request_by_reqhash(op->db, en->r.reqhash, &old, &e)) ==
	    0) {
		rc = scep_resend(op, en, &old, done);
		db_request_clear(&old);
		return rc;
	}
	if (rc == ERR_NOTFOUND && (rc = db_request_by_transid(op->db,
	    op->msg->transid, &old, &e)) == 0) {
		rc = scep_pending_transid(op, en, &old, done);
		db_request_clear(&old);
		return rc;
	}
	if (rc == ERR_NOTFOUND)
		return 0;
	*done = 1;
	return scep_unavailable(op, &e);
}

/* Back to the reply as it was before a CertRep was made into it. */
static void
scep_reply_discard(struct scep_reply *r, size_t notelen)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->outcome = SCEP_OUT_NONE;
	r->note[notelen] = '\0';
}

/*
 * Issue and answer.  The CertRep is made and signed while the
 * certificate's row goes to the disk, and is sent only once the row is
 * durable; a serial collision throws it away and starts again.
 */
static int
scep_issue(struct scep_op *op, X509_REQ *req, const struct db_request *r)
{
	struct issue_pending	 p;
	struct err		 e;
	char			 tail[sizeof(op->rep->note)];
	size_t			 notelen = strlen(op->rep->note);
	int64_t			 id = 0;
	int			 tries, built = 0, signing, rc = ERR_EXISTS;

	for (tries = 0; tries < CA_SERIAL_TRIES && rc == ERR_EXISTS;
	    tries++) {
		scep_reply_discard(op->rep, notelen);
		signing = 1;
		if ((rc = issue_start(&p, op->ca, req, r, &op->srv->issue,
		    &e)) != 0)
			break;
		signing = 0;
		op->rep->outcome = SCEP_OUT_ISSUED;
		built = scep_certrep(op, SCEP_STATUS_SUCCESS, 0, NULL, p.cert,
		    NULL);
		if ((rc = issue_finish(&p, op->db, &id, &e)) == 0) {
			/* The log line names the row before the outcome. */
			snprintf(tail, sizeof(tail), "%s",
			    op->rep->note + notelen);
			op->rep->note[notelen] = '\0';
			scep_note(op->rep, " request=%lld serial=%s%s",
			    (long long)id, p.row.serial, tail);
		}
		issue_pending_clear(&p);
	}
	if (rc != 0) {
		scep_reply_discard(op->rep, notelen);
		/* Signed but not stored: the store failed, not the request. */
		return signing ? scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg) :
		    scep_unavailable(op, &e);
	}
	return built;
}

/*
 * RFC 8894 3.3.1: a PKCSReq is signed with the requested key (a
 * self-signed certificate) or, like a RenewalReq, with a current
 * certificate from this CA, which then stands in for the challenge if it
 * renews its own identity.
 */
static int
scep_enroll_signer(struct scep_op *op, struct scep_enr *en, int *answered)
{
	struct scep_msg	*m = op->msg;
	struct err	 e;

	*answered = 1;
	if ((en->ours = scep_ours(op, m->signer, &e)) < 0)
		return scep_unavailable(op, &e);
	if (m->type == SCEP_MT_RENEWALREQ && !en->ours)
		return scep_fail(op, SCEP_FAIL_BADMESSAGECHECK, "RFC 8894 "
		    "3.3.1.2: RenewalReq is not signed by a valid certificate "
		    "of this CA");
	if (!en->ours && EVP_PKEY_eq(X509_get0_pubkey(m->signer),
	    X509_REQ_get0_pubkey(en->req)) != 1)
		return scep_fail(op, SCEP_FAIL_BADMESSAGECHECK, "RFC 8894 "
		    "3.3.1: PKCSReq is not signed with the requested key");
	if (en->ours)
		en->bycert = scep_server_same_identity(op->srv->issue.policy,
		    op->rep, m->signer, en->req);
	*answered = 0;
	return 0;
}

/*
 * hex SHA-256 of the stored request and the message's signer (EST: the
 * TLS client certificate, or NULL: none).
 */
int
scep_server_reqhash(char *out, const struct db_request *r, X509 *signer)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[32], *der = NULL;
	unsigned int	 n = 0;
	int		 len = 0, ok;

	if ((signer != NULL && (len = i2d_X509(signer, &der)) <= 0) ||
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		OPENSSL_free(der);
		return -1;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, r->csr, r->csr_len) == 1 &&
	    EVP_DigestUpdate(ctx, der, (size_t)len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 &&
	    OPENSSL_buf2hexstr_ex(out, sizeof(r->reqhash), NULL, md, n,
	    '\0') == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

/* The row to store, without the challenge; the policy's verdict. */
static int
scep_enroll_request(struct scep_op *op, struct scep_enr *en, int *answered)
{
	const struct policy	*pol = op->srv->issue.policy;
	struct policy		 def;
	struct err		 e;

	*answered = 1;
	if (issue_csr_challenge(&en->pw, en->req, &e) != 0)
		en->pw = NULL;
	if ((en->r.subject = cert_dn(X509_REQ_get_subject_name(en->req),
	    CERT_DN_UPPER)) == NULL)
		return -1;
	snprintf(en->r.transid, sizeof(en->r.transid), "%s", op->msg->transid);
	en->r.msgtype = op->msg->type;
	if (issue_csr_strip(&en->r.csr, &en->r.csr_len, en->req, &e) != 0)
		return scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg);
	if (scep_server_reqhash(en->r.reqhash, &en->r, op->msg->signer) != 0)
		return -1;
	/* http.c escapes the note and bounds it, keeping the outcome. */
	scep_note(op->rep, " subject=\"%s\"", en->r.subject);
	if (pol == NULL) {
		policy_default(&def);
		pol = &def;
	}
	if (policy_apply(pol, en->req, NULL, NULL, 0, &e) != 0) {
		op->rep->outcome = e.code == ERR_REFUSED ? SCEP_OUT_POLICY :
		    SCEP_OUT_FAILED;
		return scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg);
	}
	*answered = 0;
	return 0;
}

static int
scep_enroll(struct scep_op *op)
{
	struct scep_enr		 en;
	struct err		 e;
	int64_t			 id = 0;
	int			 rc, done, ok;

	memset(&en, 0, sizeof(en));
	if (issue_csr_parse(&en.req, op->msg->content, op->msg->content_len,
	    &e) != 0) {
		rc = scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg);
		goto out;
	}
	if ((rc = scep_enroll_signer(op, &en, &done)) != 0 || done ||
	    (rc = scep_enroll_request(op, &en, &done)) != 0 || done)
		goto out;
	if ((rc = scep_prior(op, &en, &done)) != 0 || done)
		goto out;
	if (!en.bycert && (ok = scep_challenge_ok(op, &en, 1, &e)) != 1) {
		rc = scep_challenge_refused(op, ok, &e);
		goto out;
	}
	if (op->srv->manual) {
		if (db_request_add(op->db, &en.r, &id, &e) != 0) {
			rc = scep_unavailable(op, &e);
			if (en.taken)
				challenge_release(op->db, en.pw);
			goto out;
		}
		scep_note(op->rep, " request=%lld", (long long)id);
		rc = scep_certrep(op, SCEP_STATUS_PENDING, 0, NULL, NULL, NULL);
		goto out;
	}
	rc = scep_issue(op, en.req, &en.r);
	/* Not issued after all: the challenge's use goes back. */
	if (en.taken && op->rep->outcome != SCEP_OUT_ISSUED)
		challenge_release(op->db, en.pw);
 out:
	scep_enr_clear(&en);
	return rc;
}

/* RFC 8894 3.3.3: CertPoll finds the request by its transactionID. */
static int
scep_poll(struct scep_op *op)
{
	struct scep_msg		*m = op->msg;
	struct db_request	 r;
	X509_NAME		*iss = NULL, *sub = NULL;
	X509_REQ		*req = NULL;
	struct err		 e;
	int			 rc, requester;

	if (scep_issuer_and_subject_parse(&iss, &sub, m->content,
	    m->content_len, &e) != 0)
		return scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg);
	X509_NAME_free(iss);
	X509_NAME_free(sub);
	if (db_request_by_transid(op->db, m->transid, &r, &e) != 0)
		return e.code != ERR_NOTFOUND ? scep_unavailable(op, &e) :
		    scep_fail(op, SCEP_FAIL_BADCERTID, "RFC 8894 3.3.3: no "
		    "request with this transactionID");
	scep_note(op->rep, " request=%lld", (long long)r.id);
	/*
	 * Only the requester may collect: signed with the request's key, or
	 * (a renewal) with a current certificate of this CA.
	 */
	if (issue_csr_stored(&req, r.csr, r.csr_len, &e) != 0)
		requester = 0;
	else if (EVP_PKEY_eq(X509_get0_pubkey(m->signer),
	    X509_REQ_get0_pubkey(req)) == 1)
		requester = 1;
	else if ((requester = scep_ours(op, m->signer, &e)) < 0) {
		rc = scep_unavailable(op, &e);
		goto out;
	}
	if (!requester) {
		rc = scep_fail(op, SCEP_FAIL_BADMESSAGECHECK, "RFC 8894 3.3.3: "
		    "CertPoll is not signed by the requester");
		goto out;
	}
	if (strcmp(r.state, DB_PENDING) == 0)
		rc = scep_certrep(op, SCEP_STATUS_PENDING, 0, NULL, NULL, NULL);
	else if (strcmp(r.state, DB_REJECTED) == 0)
		rc = scep_fail(op, SCEP_FAIL_BADREQUEST, "the request was "
		    "rejected by the CA administrator");
	else
		rc = scep_success_serial(op, r.serial);
 out:
	X509_REQ_free(req);
	db_request_clear(&r);
	return rc;
}

/*
 * The generation whose CRL GetCRL answers: the one that issued the
 * certificate named, else the one in force.  NULL when issuer is none
 * of this CA's names.
 */
static const struct ca *
scep_crl_gen(struct scep_op *op, const X509_NAME *iss, const char *serial)
{
	const struct ca	*g, *byname = NULL;
	struct db_cert	 c;
	struct err	 e;

	for (g = op->srv->ca; g != NULL && g->gen <= op->ca->gen; g = g->next)
		if (g->in_db && X509_NAME_cmp(iss,
		    X509_get_subject_name(g->cert)) == 0)
			byname = g;
	if (byname == NULL)
		return NULL;
	if (db_cert_by_serial(op->db, serial, &c, &e) == 0 &&
	    (g = ca_gen(op->srv->ca, c.gen > 1 ? c.gen : 1)) != NULL &&
	    g->in_db && g->gen <= op->ca->gen && X509_NAME_cmp(iss,
	    X509_get_subject_name(g->cert)) == 0)
		byname = g;
	db_cert_clear(&c);
	return byname;
}

static int
scep_getcert(struct scep_op *op, int crl)
{
	const struct ca	*ca;
	X509_NAME	*iss = NULL;
	ASN1_INTEGER	*sn = NULL;
	X509_CRL	*x = NULL;
	unsigned char	*der = NULL;
	const unsigned char *p;
	char		*hex = NULL;
	size_t		 len;
	struct err	 e;
	int		 rc;

	if (scep_issuer_and_serial_parse(&iss, &sn, op->msg->content,
	    op->msg->content_len, &e) != 0)
		return scep_fail(op, SCEP_FAIL_BADREQUEST, e.msg);
	if ((hex = issue_serial_hex(sn)) == NULL) {
		rc = -1;
		goto out;
	}
	if ((ca = scep_crl_gen(op, iss, hex)) == NULL) {
		rc = scep_fail(op, SCEP_FAIL_BADCERTID, "issuer is not this CA");
		goto out;
	}
	if (!crl) {
		rc = scep_success_serial(op, hex);
		goto out;
	}
	if (cacrl_current(&der, &len, ca, op->db, &e) != 0) {
		rc = scep_unavailable(op, &e);
		goto out;
	}
	p = der;
	if ((x = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		rc = scep_fail(op, SCEP_FAIL_BADREQUEST, "CRL is unreadable");
		goto out;
	}
	rc = scep_certrep(op, SCEP_STATUS_SUCCESS, 0, NULL, NULL, x);
 out:
	free(der);
	free(hex);
	X509_CRL_free(x);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(iss);
	return rc;
}

/*
 * With the key of the generation in force, else an earlier one's: a
 * client that fetched the CA certificate just before a switch-over
 * encrypts to the old key.
 */
static int
scep_decrypt(struct scep_op *op, struct err *e)
{
	const struct ca	*g;

	if (scep_msg_decrypt(op->msg, ca_decrypt_key(op->ca),
	    ca_decrypt_cert(op->ca), e) == 0)
		return 0;
	for (g = op->srv->ca; g != NULL && g->gen < op->ca->gen; g = g->next)
		if (g->in_db && scep_msg_decrypt(op->msg, ca_decrypt_key(g),
		    ca_decrypt_cert(g), e) == 0) {
			scep_note(op->rep, " (to CA generation %d)", g->gen);
			return 0;
		}
	return -1;
}

int
scep_server_pkiop(const struct scep_server *s, struct db *db,
    const unsigned char *der, size_t len, struct scep_reply *rep)
{
	const struct ca	*next;
	struct scep_op	 op = { s, NULL, db, NULL, rep };
	struct err	 e;
	int		 rc;

	err_clear(&e);
	if (ca_keys_down(s->ca)) {
		rep->outcome = SCEP_OUT_UNAVAILABLE;
		scep_note(rep, " key process is not answering");
		return scep_text(rep, 503, "text/plain", "CA key unavailable\n");
	}
	/* Per request: every instance switches at the database's time. */
	if (ca_gens_now(&op.ca, &next, s->ca, db, clock_now(), &e) != 0) {
		rep->outcome = SCEP_OUT_UNAVAILABLE;
		if (e.code != ERR_NOTFOUND) {
			scep_note(rep, " store: %s", e.msg);
			return scep_text(rep, 503, "text/plain", "database "
			    "unavailable\n");
		}
		scep_note(rep, " %s", e.msg);
		return scep_text(rep, 503, "text/plain", "CA unavailable\n");
	}
	if (scep_msg_parse(&op.msg, der, len, NULL, NULL, NULL, &e) != 0) {
		scep_note(rep, " bad pkiMessage: %s", e.msg);
		rep->outcome = SCEP_OUT_MALFORMED;
		return scep_text(rep, 400, "text/plain", "malformed or "
		    "unverifiable pkiMessage\n");
	}
	rep->msgtype = op.msg->type;
	scep_note(rep, " %s tid=%.16s", scep_msgtype_name(op.msg->type),
	    op.msg->transid);
	if (op.msg->type == SCEP_MT_CERTREP) {
		scep_msg_free(op.msg);
		rep->outcome = SCEP_OUT_MALFORMED;
		return scep_text(rep, 400, "text/plain", "a CertRep is not a "
		    "request\n");
	}
	if (scep_decrypt(&op, &e) != 0)
		rc = scep_fail(&op, SCEP_FAIL_BADMESSAGECHECK, "cannot decrypt "
		    "the pkcsPKIEnvelope with this CA's key");
	else {
		if (op.msg->weak_cipher)
			scep_note(rep, " weak-cipher=%s", op.msg->cipher);
		switch (op.msg->type) {
		case SCEP_MT_PKCSREQ:
		case SCEP_MT_RENEWALREQ:
			rc = scep_enroll(&op);
			break;
		case SCEP_MT_CERTPOLL:
			rc = scep_poll(&op);
			break;
		case SCEP_MT_GETCERT:
			rc = scep_getcert(&op, 0);
			break;
		default:
			rc = scep_getcert(&op, 1);
			break;
		}
	}
	scep_msg_free(op.msg);
	return rc;
}

int
scep_server_approve(const struct ca *ca, struct db *db, int64_t id,
    const struct issue_opts *o, char *serial, size_t serialsz, struct err *e)
{
	struct db_request	 r;
	X509_REQ		*req = NULL;
	X509			*x = NULL;
	char			*hex = NULL;
	int			 rc;

	if ((rc = db_request_by_id(db, id, &r, e)) != 0)
		return err_set(e, ERR_NOTFOUND, "request %lld: no such request",
		    (long long)id);
	if (strcmp(r.state, DB_PENDING) != 0) {
		rc = err_set(e, ERR_BUSY, "request %lld is %s, not pending",
		    (long long)id, r.state);
		goto out;
	}
	if ((rc = issue_csr_stored(&req, r.csr, r.csr_len, e)) != 0 ||
	    (rc = issue_cert(&x, ca, db, req, &r, NULL, o, e)) != 0)
		goto out;
	if ((hex = issue_serial_hex(X509_get0_serialNumber(x))) != NULL)
		snprintf(serial, serialsz, "%s", hex);
 out:
	free(hex);
	X509_free(x);
	X509_REQ_free(req);
	db_request_clear(&r);
	return rc;
}
