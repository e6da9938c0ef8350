/*
 * est_server: what the CA does with each EST operation (RFC 7030 4).
 *
 * Authentication (RFC 7030 3.3): a TLS client certificate of this CA,
 * valid and unrevoked (scep_server_cert_ok), stands in for a challenge
 * only to renew its own identity (scep_server_same_identity, SCEP's
 * renewal rule); otherwise HTTP basic carries the CA's challenge, static
 * or one-time (username the challenge's ID), checked by SCEP's code and
 * consumed when the certificate is issued or the request queued; without
 * an Authorization header, a CSR challengePassword that is not the
 * channel binding may carry it (est_csr_challenge).  serverkeygen (4.4)
 * issues for a key made here, returned once and never stored.
 *
 * Statuses: 400 malformed body or CSR; 401 credentials missing or wrong
 * (with WWW-Authenticate); 403 a client certificate that is not
 * acceptable, a channel binding that does not match, a policy refusal, a
 * rejected request; 413 body over the cap (http.c); 415 wrong
 * Content-Type; 202 with Retry-After while a request awaits approval
 * (the client re-posts the same CSR, RFC 7030 4.2.3); 503 the store or
 * the key process did not answer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "challenge.h"
#include "clock.h"
#include "db.h"
#include "buf.h"
#include "err.h"
#include "est_server.h"
#include "http.h"
#include "policy.h"
#include "scep_msg.h"
#include "scep_server.h"

/* RFC 7030 4.5.2: CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID. */
typedef struct est_attr_or_oid_st {
	int	 type;
	union {
		ASN1_OBJECT	*oid;
		X509_ATTRIBUTE	*attr;
	} d;
} EST_ATTR_OR_OID;

DECLARE_ASN1_FUNCTIONS(EST_ATTR_OR_OID)
ASN1_CHOICE(EST_ATTR_OR_OID) = {
	ASN1_SIMPLE(EST_ATTR_OR_OID, d.oid, ASN1_OBJECT),
	ASN1_SIMPLE(EST_ATTR_OR_OID, d.attr, X509_ATTRIBUTE),
} ASN1_CHOICE_END(EST_ATTR_OR_OID)
IMPLEMENT_ASN1_FUNCTIONS(EST_ATTR_OR_OID)

DEFINE_STACK_OF(EST_ATTR_OR_OID)
typedef STACK_OF(EST_ATTR_OR_OID) EST_CSRATTRS;
DECLARE_ASN1_FUNCTIONS(EST_CSRATTRS)
ASN1_ITEM_TEMPLATE(EST_CSRATTRS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, CsrAttrs,
	    EST_ATTR_OR_OID)
ASN1_ITEM_TEMPLATE_END(EST_CSRATTRS)
IMPLEMENT_ASN1_FUNCTIONS(EST_CSRATTRS)

/* An enrollment in progress. */
struct est_enr {
	const struct est_server	*est;
	const struct est_req	*rq;
	struct db		*db;
	struct scep_reply	*rep;
	const struct ca		*ca;		/* the generation in force */
	X509_REQ		*req;
	char			 pw[EST_BASICMAX];	/* basic's challenge */
	int			 haspw;
	int			 bycert;	/* the client cert renews itself */
	int			 taken;		/* a one-time use taken */
	struct db_request	 r;		/* the row to store */
	struct issue_opts	 io;		/* with the label's policy */
	EVP_PKEY		*key;		/* serverkeygen's new key */
};

/* A text/plain answer; the outcome for metrics and throttling. */
static int
est_text(struct scep_reply *r, int http, enum scep_outcome o, const char *s)
{
	free(r->body);
	r->http = http;
	r->outcome = o;
	r->type = "text/plain";
	r->len = strlen(s);
	if ((r->body = malloc(r->len + 1)) == NULL)
		return -1;
	memcpy(r->body, s, r->len + 1);
	return 0;
}

/* DER to base64 in lines of 64 (RFC 7030 4: base64, RFC 4648). */
static int
est_base64(struct scep_reply *r, const char *type, const unsigned char *der,
    size_t len)
{
	EVP_ENCODE_CTX	*ctx;
	int		 a = 0, b = 0, ok;

	if (len > HTTP_BODYMAX * 16 ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	free(r->body);
	if ((r->body = malloc(len / 48 * 65 + 130)) == NULL) {
		EVP_ENCODE_CTX_free(ctx);
		return -1;
	}
	EVP_EncodeInit(ctx);
	ok = EVP_EncodeUpdate(ctx, r->body, &a, der, (int)len) == 1;
	EVP_EncodeFinal(ctx, r->body + a, &b);
	EVP_ENCODE_CTX_free(ctx);
	r->http = 200;
	r->type = type;
	r->len = (size_t)(a + b);
	return ok ? 0 : -1;
}

/* The certs-only PKCS#7 of the certificates, base64. */
static int
est_certs_reply(struct scep_reply *r, STACK_OF(X509) *sk)
{
	unsigned char	*der = NULL;
	size_t		 len;
	struct err	 e;
	int		 rc;

	if (scep_degenerate_build(&der, &len, sk, NULL, &e) != 0)
		return -1;
	rc = est_base64(r, EST_TYPE_CERTS, der, len);
	free(der);
	return rc;
}

/*
 * RFC 7030 4.1.3: the CA generation cur; after a rollover, while the
 * previous CA is valid, also the "Root CA Key Update" certificates
 * (RFC 5272 4.4: OldWithOld, OldWithNew, NewWithOld), so that a client
 * holding the old root reaches the new one.  cur comes first: every
 * certificate here issued another one, so a client that looks for the
 * one that issued none finds no answer and takes the first (netpki does).
 */
static int
est_cacerts_build(struct scep_reply *r, const struct ca *root,
    const struct ca *cur)
{
	STACK_OF(X509)	*sk;
	const struct ca	*prev = NULL, *g;
	time_t		 now = clock_now();
	int		 rc = -1;

	for (g = root; g != NULL && g != cur; g = g->next)
		prev = g;
	if (prev != NULL && (!prev->in_db || cur->link_old == NULL ||
	    cur->link_new == NULL ||
	    X509_cmp_time(X509_get0_notAfter(prev->cert), &now) < 0))
		prev = NULL;
	if ((sk = sk_X509_new_null()) == NULL || !sk_X509_push(sk, cur->cert))
		goto out;
	if (prev != NULL && (!sk_X509_push(sk, prev->cert) ||
	    !sk_X509_push(sk, cur->link_old) ||
	    !sk_X509_push(sk, cur->link_new)))
		goto out;
	rc = est_certs_reply(r, sk);
 out:
	sk_X509_free(sk);
	return rc;
}

int
est_server_init(struct est_server *s, const struct scep_server *scep,
    struct err *e)
{
	struct scep_reply	 r;

	memset(s, 0, sizeof(*s));
	memset(&r, 0, sizeof(r));
	s->scep = scep;
	/* Generation 1's answer, made once: the case with no rollover. */
	if (est_cacerts_build(&r, scep->ca, scep->ca) != 0)
		return err_nomem(e);
	s->cacerts = r.body;
	s->cacerts_len = r.len;
	return 0;
}

void
est_server_clear(struct est_server *s)
{
	free(s->cacerts);
	memset(s, 0, sizeof(*s));
}

static enum est_op
est_op_name(const char *s)
{
	if (strcmp(s, "cacerts") == 0)
		return EST_OP_CACERTS;
	if (strcmp(s, "csrattrs") == 0)
		return EST_OP_CSRATTRS;
	if (strcmp(s, "simpleenroll") == 0)
		return EST_OP_ENROLL;
	if (strcmp(s, "simplereenroll") == 0)
		return EST_OP_REENROLL;
	if (strcmp(s, "serverkeygen") == 0)
		return EST_OP_SERVERKEYGEN;
	return EST_OP_NONE;
}

int
est_server_path(enum est_op *op, const struct policy **pol,
    const struct est_server *s, const char *path)
{
	const char	*slash = strchr(path, '/');
	size_t		 n;

	*op = EST_OP_NONE;
	*pol = NULL;
	if (slash == NULL) {
		*op = est_op_name(path);
		return *op == EST_OP_NONE ? ERR_NOTFOUND : 0;
	}
	n = (size_t)(slash - path);
	if (n == 0 || n > EST_LABELMAX || strchr(slash + 1, '/') != NULL ||
	    s->scep->issue.policy == NULL ||
	    (*pol = policy_label(s->scep->issue.policy, path, n)) == NULL)
		return ERR_NOTFOUND;
	*op = est_op_name(slash + 1);
	return *op == EST_OP_NONE ? ERR_NOTFOUND : 0;
}

int
est_ctype_is(const char *ctype, const char *want)
{
	size_t	 n = strlen(want);

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

int
est_base64_decode(unsigned char **out, size_t *outlen,
    const unsigned char *in, size_t len)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	unsigned char	*t = NULL, *buf = NULL;
	size_t		 i, n = 0;
	int		 a = 0, b = 0, rc = ERR_INVAL;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len > HTTP_BODYMAX * 4 / 3 + 4 ||
	    (t = malloc(len)) == NULL ||
	    (buf = malloc(len)) == NULL || (ctx = EVP_ENCODE_CTX_new()) ==
	    NULL)
		goto out;
	/* Lines of any length: whitespace goes, anything else is checked. */
	for (i = 0; i < len; i++)
		if (!isspace(in[i]))
			t[n++] = in[i];
	if (n == 0 || n % 4 != 0)
		goto out;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &a, t, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, buf + a, &b) != 1 || a + b == 0)
		goto out;
	*out = buf;
	*outlen = (size_t)(a + b);
	buf = NULL;
	rc = 0;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	free(t);
	return rc;
}

/* n hex digits at s. */
static int
est_hexlen(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "user:password" (decoded) to the challenge text; see est_server.h. */
static int
est_basic_pw(char *out, size_t sz, const char *up)
{
	const char	*colon = strchr(up, ':'), *pw;
	size_t		 ulen;

	if (colon == NULL)
		return ERR_INVAL;
	ulen = (size_t)(colon - up);
	pw = colon + 1;
	if (ulen == CHALLENGE_IDLEN && strlen(pw) == CHALLENGE_SECRETLEN &&
	    est_hexlen(up, ulen) && est_hexlen(pw, CHALLENGE_SECRETLEN)) {
		if (snprintf(out, sz, "%.*s-%s", (int)ulen, up, pw) >= (int)sz)
			return ERR_INVAL;
		return 0;
	}
	/* The whole challenge as password: its ID must be the user's. */
	if (strlen(pw) == CHALLENGE_LEN && pw[CHALLENGE_IDLEN] == '-' &&
	    ulen > 0 && (ulen != CHALLENGE_IDLEN || strncasecmp(up, pw, ulen)
	    != 0))
		return ERR_INVAL;
	if (*pw == '\0' || snprintf(out, sz, "%s", pw) >= (int)sz)
		return ERR_INVAL;
	return 0;
}

int
est_basic_parse(char *out, size_t sz, const char *hdr)
{
	unsigned char	*dec = NULL;
	size_t		 n, i;
	int		 rc = ERR_INVAL;

	if (sz > 0)
		out[0] = '\0';
	if (hdr == NULL || strncasecmp(hdr, "Basic ", 6) != 0 ||
	    strlen(hdr) > EST_BASICMAX)
		return ERR_INVAL;
	hdr += 6;
	while (*hdr == ' ')
		hdr++;
	if (est_base64_decode(&dec, &n, (const unsigned char *)hdr,
	    strlen(hdr)) != 0)
		return ERR_INVAL;
	/* RFC 7617: no controls; the password is text. */
	for (i = 0; i < n; i++)
		if (dec[i] < 0x20 || dec[i] == 0x7f)
			goto out;
	dec[n] = '\0';		/* n < the input's length: room is there */
	rc = est_basic_pw(out, sz, (char *)dec);
 out:
	OPENSSL_cleanse(dec, n);
	free(dec);
	if (rc != 0 && sz > 0)
		OPENSSL_cleanse(out, sz);
	return rc;
}

static int
est_attr_oid(EST_CSRATTRS *sk, int nid)
{
	EST_ATTR_OR_OID	*a;

	if ((a = EST_ATTR_OR_OID_new()) == NULL)
		return -1;
	a->type = 0;
	if ((a->d.oid = OBJ_nid2obj(nid)) == NULL ||
	    !sk_EST_ATTR_OR_OID_push(sk, a)) {
		EST_ATTR_OR_OID_free(a);
		return -1;
	}
	return 0;
}

/* attribute { type id-ecPublicKey, values { curve OIDs } } (4.5.2). */
static int
est_attr_curves(EST_CSRATTRS *sk, const struct policy *p)
{
	EST_ATTR_OR_OID	*a;
	X509_ATTRIBUTE	*x = NULL;
	int		 i;

	if (p->ncurves == 0)
		return 0;
	if ((a = EST_ATTR_OR_OID_new()) == NULL)
		return -1;
	a->type = 1;
	if ((x = X509_ATTRIBUTE_new()) == NULL ||
	    !X509_ATTRIBUTE_set1_object(x, OBJ_nid2obj(NID_X9_62_id_ecPublicKey)))
		goto fail;
	for (i = 0; i < p->ncurves; i++)
		if (!X509_ATTRIBUTE_set1_data(x, V_ASN1_OBJECT,
		    OBJ_nid2obj(p->curves[i]), -1))
			goto fail;
	a->d.attr = x;
	if (!sk_EST_ATTR_OR_OID_push(sk, a)) {
		EST_ATTR_OR_OID_free(a);
		return -1;
	}
	return 0;
 fail:
	X509_ATTRIBUTE_free(x);
	EST_ATTR_OR_OID_free(a);
	return -1;
}

int
est_csrattrs_der(unsigned char **out, size_t *outlen, const struct policy *p,
    int binding, struct err *e)
{
	EST_CSRATTRS	*sk;
	unsigned char	*der = NULL;
	int		 n, i, rc = -1;

	*out = NULL;
	if ((sk = sk_EST_ATTR_OR_OID_new_null()) == NULL)
		return err_nomem(e);
	/* 3.5: the CSR carries the channel binding in challengePassword. */
	if (binding && est_attr_oid(sk, NID_pkcs9_challengePassword) != 0)
		goto out;
	if (est_attr_curves(sk, p) != 0)
		goto out;
	for (i = 0; i < p->neku; i++)
		if (est_attr_oid(sk, p->eku[i]) != 0)
			goto out;
	if (est_attr_oid(sk, NID_sha256) != 0 ||
	    (n = i2d_EST_CSRATTRS(sk, &der)) <= 0)
		goto out;
	*out = der;
	*outlen = (size_t)n;
	rc = 0;
 out:
	sk_EST_ATTR_OR_OID_pop_free(sk, EST_ATTR_OR_OID_free);
	return rc == 0 ? 0 : err_set(e, ERR_CRYPTO, "cannot encode CsrAttrs");
}

int
est_server_get(const struct est_server *s, const struct est_req *rq,
    struct scep_reply *r)
{
	struct policy	 def;
	const struct policy *p = rq->policy;
	const struct ca	*cur, *next;
	unsigned char	*der = NULL;
	size_t		 len;
	struct err	 e;
	int		 rc;

	if (rq->op == EST_OP_CACERTS) {
		/* The generations as read at start (no store here). */
		if (ca_gens_now(&cur, &next, s->scep->ca, NULL, clock_now(),
		    &e) != 0)
			return est_text(r, 503, SCEP_OUT_UNAVAILABLE, "CA "
			    "unavailable\n");
		if (cur != s->scep->ca)
			return est_cacerts_build(r, s->scep->ca, cur);
		if ((r->body = malloc(s->cacerts_len)) == NULL)
			return -1;
		memcpy(r->body, s->cacerts, s->cacerts_len);
		r->len = s->cacerts_len;
		r->http = 200;
		r->type = EST_TYPE_CERTS;
		return 0;
	}
	if (p == NULL)
		p = s->scep->issue.policy;
	if (p == NULL) {
		policy_default(&def);
		p = &def;
	}
	if (est_csrattrs_der(&der, &len, p, s->binding, &e) != 0)
		return -1;
	rc = est_base64(r, EST_TYPE_ATTRS, der, len);
	free(der);
	return rc;
}

static void
est_enr_clear(struct est_enr *en)
{
	OPENSSL_cleanse(en->pw, sizeof(en->pw));
	EVP_PKEY_free(en->key);
	free(en->r.csr);
	free(en->r.subject);
	X509_REQ_free(en->req);
}

/* A refusal: the reason in the body (it holds no secret) and the log. */
static int
est_refuse(struct est_enr *en, int http, enum scep_outcome o,
    const char *why)
{
	char	 body[ERR_MSGMAX + 2];

	scep_reply_note(en->rep, " -> %d %s", http, why);
	snprintf(body, sizeof(body), "%s\n", why);
	return est_text(en->rep, http, o, body);
}

/* 401: RFC 7030 3.2.3, the client may retry with credentials. */
static int
est_unauth(struct est_enr *en, enum scep_outcome o, const char *why)
{
	en->rep->authn = "Basic realm=\"EST\", charset=\"UTF-8\"";
	return est_refuse(en, 401, o, why);
}

/* The store or the key process did not answer: not the client's fault. */
static int
est_down(struct est_enr *en, const struct err *e)
{
	scep_reply_note(en->rep, " store: %s", e->msg);
	return est_text(en->rep, 503, SCEP_OUT_UNAVAILABLE,
	    "database unavailable\n");
}

/*
 * The TLS client certificate: of this CA, valid and unrevoked, and (to
 * stand in for a challenge) of the CSR's identity.  simplereenroll
 * needs both (RFC 7030 4.2.2).  *done: answered.
 */
static int
est_authn_cert(struct est_enr *en, int *done)
{
	const struct est_req	*rq = en->rq;
	struct err		 e;
	int			 ok = 0;

	*done = 1;
	if (rq->peer != NULL) {
		if ((ok = scep_server_cert_ok(en->est->scep->ca, en->ca,
		    en->db, rq->peer, &e)) < 0)
			return est_down(en, &e);
		scep_reply_note(en->rep, ok ? " client-cert=this-ca" :
		    " client-cert=not-acceptable");
		if (ok)
			en->bycert = scep_server_same_identity(
			    en->io.policy, en->rep, rq->peer, en->req);
	}
	if (rq->op == EST_OP_REENROLL && !ok)
		return est_refuse(en, 403, SCEP_OUT_FAILED, "RFC 7030 3.3.2: "
		    "simplereenroll needs a TLS client certificate of this CA, "
		    "valid and not revoked");
	if (rq->op == EST_OP_REENROLL && !en->bycert)
		return est_refuse(en, 403, SCEP_OUT_POLICY, "RFC 7030 4.2.2: "
		    "simplereenroll must keep the client certificate's subject "
		    "and subjectAltNames (and its renewal window)");
	*done = 0;
	return 0;
}

/*
 * HTTP basic with the CA's challenge, unless the certificate stands in.
 * consume: take the one-time challenge's use now.
 */
static int
est_authn_basic(struct est_enr *en, int consume, int *done)
{
	struct err	 e;
	int		 ok;

	*done = 0;
	if (en->bycert)
		return 0;
	*done = 1;
	if (en->rq->authz != NULL && !en->haspw) {
		if (est_basic_parse(en->pw, sizeof(en->pw), en->rq->authz) !=
		    0)
			return est_unauth(en, SCEP_OUT_BADCHALLENGE, "RFC 7617: "
			    "malformed Basic credentials");
		en->haspw = 1;
	}
	ok = scep_server_challenge_ok(en->est->scep, en->db, en->rep,
	    en->haspw ? en->pw : NULL, X509_REQ_get_subject_name(en->req),
	    consume, &en->taken, &e);
	if (ok < 0)
		return est_down(en, &e);
	if (ok == 0 && !en->haspw)
		return est_unauth(en, SCEP_OUT_NONE, "RFC 7030 3.2.3: "
		    "credentials required (HTTP basic: the challenge)");
	if (ok == 0)
		return est_unauth(en, SCEP_OUT_BADCHALLENGE, "challenge "
		    "missing or wrong");
	*done = 0;
	return 0;
}

/*
 * A challengePassword that is not the channel binding, in a request with
 * no other credentials, is the enrollment challenge as in SCEP (clients
 * such as ArubaOS-CX send it so when no username is configured), unless
 * --est-channel-binding asks for the binding.
 */
static int
est_csr_challenge(struct est_enr *en, char *cpw)
{
	if (en->est->binding || en->bycert || en->rq->authz != NULL ||
	    snprintf(en->pw, sizeof(en->pw), "%s", cpw) >= (int)sizeof(en->pw))
		return 0;
	en->haspw = 1;
	scep_reply_note(en->rep, " challenge-in-csr");
	return 1;
}

/*
 * RFC 7030 3.5: a challengePassword in the CSR is the channel binding,
 * base64: tls-unique on TLS 1.2, tls-exporter (RFC 9266) on TLS 1.3
 * (or the challenge: est_csr_challenge).
 */
static int
est_binding(struct est_enr *en, int *done)
{
	const struct est_req	*rq = en->rq;
	char			 want[EST_CBMAX * 2], *cpw = NULL;
	struct err		 e;
	int			 same, legacy = 0;

	*done = 1;
	if (issue_csr_challenge(&cpw, en->req, &e) != 0)
		return est_refuse(en, 400, SCEP_OUT_MALFORMED, e.msg);
	if (cpw == NULL && (!en->est->binding || rq->cbtype == EST_CB_NONE)) {
		*done = 0;
		return 0;
	}
	if (cpw == NULL)
		return est_refuse(en, 403, SCEP_OUT_FAILED, "RFC 7030 3.5: the "
		    "CSR must carry the TLS channel binding in "
		    "challengePassword");
	want[0] = '\0';
	if (rq->cblen > 0)
		EVP_EncodeBlock((unsigned char *)want, rq->cb, (int)rq->cblen);
	same = rq->cblen > 0 && strlen(cpw) == strlen(want) &&
	    CRYPTO_memcmp(cpw, want, strlen(want)) == 0;
	if (!same)
		legacy = est_csr_challenge(en, cpw);
	OPENSSL_cleanse(cpw, strlen(cpw));
	free(cpw);
	if (!same && !legacy)
		return est_refuse(en, 403, SCEP_OUT_FAILED, rq->cbtype ==
		    EST_CB_TLS_EXPORTER ? "RFC 7030 3.5, RFC 9266: "
		    "challengePassword is not this TLS session's tls-exporter" :
		    "RFC 7030 3.5: challengePassword is not this TLS "
		    "session's tls-unique");
	if (same)
		scep_reply_note(en->rep, " channel-binding=ok");
	*done = 0;
	return 0;
}

/* The row to store (challengePassword stripped); the policy's verdict. */
static int
est_row(struct est_enr *en, int *done)
{
	const struct policy	*pol = en->io.policy;
	struct policy		 def;
	struct err		 e;

	*done = 1;
	if ((en->r.subject = cert_dn(X509_REQ_get_subject_name(en->req),
	    CERT_DN_UPPER)) == NULL)
		return -1;
	scep_reply_note(en->rep, " subject=\"%s\"", en->r.subject);
	en->r.msgtype = en->rq->op == EST_OP_REENROLL ? SCEP_MT_RENEWALREQ :
	    SCEP_MT_PKCSREQ;
	if (issue_csr_strip(&en->r.csr, &en->r.csr_len, en->req, &e) != 0)
		return est_refuse(en, 400, SCEP_OUT_MALFORMED, e.msg);
	if (scep_server_reqhash(en->r.reqhash, &en->r, en->rq->peer) != 0)
		return -1;
	/* The hash finds the request again when the client re-posts it. */
	snprintf(en->r.transid, sizeof(en->r.transid), "EST-%.32s",
	    en->r.reqhash);
	if (pol == NULL) {
		policy_default(&def);
		pol = &def;
	}
	if (policy_apply(pol, en->req, NULL, NULL, 0, &e) != 0)
		return est_refuse(en, 403, e.code == ERR_REFUSED ?
		    SCEP_OUT_POLICY : SCEP_OUT_FAILED, e.msg);
	*done = 0;
	return 0;
}

static int
est_cert_reply(struct est_enr *en, X509 *x)
{
	STACK_OF(X509)	*sk;
	int		 rc = -1;

	if ((sk = sk_X509_new_null()) != NULL && sk_X509_push(sk, x))
		rc = est_certs_reply(en->rep, sk);
	sk_X509_free(sk);
	return rc;
}

/* An earlier request's certificate, again: while valid and unrevoked. */
static int
est_resend(struct est_enr *en, const struct db_request *old)
{
	struct db_cert		 c;
	const unsigned char	*p;
	X509			*x = NULL;
	struct err		 e;
	int			 rc;

	memset(&c, 0, sizeof(c));
	if (db_cert_by_serial(en->db, old->serial, &c, &e) != 0)
		return scep_store_down(&e) ? est_down(en, &e) :
		    est_refuse(en, 403, SCEP_OUT_FAILED, "the certificate "
		    "issued for this request is gone");
	p = c.der;
	if (c.revoked != 0 || c.not_after < clock_now())
		rc = est_refuse(en, 403, SCEP_OUT_FAILED, "the certificate "
		    "issued for this request is revoked or expired; make a "
		    "new request");
	else if ((x = d2i_X509(NULL, &p, (long)c.der_len)) == NULL)
		rc = -1;
	else {
		scep_reply_note(en->rep, " serial=%s", old->serial);
		rc = est_cert_reply(en, x);
		en->rep->outcome = SCEP_OUT_RESENT;
	}
	X509_free(x);
	db_cert_clear(&c);
	return rc;
}

/* RFC 7030 4.2.3: the same CSR again polls its request.  *done. */
static int
est_prior(struct est_enr *en, int *done)
{
	struct db_request	 old;
	struct err		 e;
	int			 rc;

	*done = 1;
	memset(&old, 0, sizeof(old));
	if ((rc = db_request_by_reqhash(en->db, en->r.reqhash, &old, &e)) ==
	    ERR_NOTFOUND) {
		*done = 0;
		return 0;
	}
	if (rc != 0)
		return est_down(en, &e);
	scep_reply_note(en->rep, " request=%lld (again)", (long long)old.id);
	if (strcmp(old.state, DB_PENDING) == 0) {
		en->rep->retry = EST_RETRY;
		rc = est_text(en->rep, 202, SCEP_OUT_PENDING, "pending "
		    "approval: post the same request again later\n");
	} else if (strcmp(old.state, DB_REJECTED) == 0)
		rc = est_refuse(en, 403, SCEP_OUT_FAILED, "the request was "
		    "rejected by the CA administrator");
	else
		rc = est_resend(en, &old);
	db_request_clear(&old);
	return rc;
}

/* A key of the template's type: the same curve, or RSA of its size. */
static EVP_PKEY *
est_keygen_like(EVP_PKEY *t)
{
	char	 group[64];
	size_t	 n;
	int	 bits = EVP_PKEY_get_bits(t);

	if (EVP_PKEY_is_a(t, "EC") && EVP_PKEY_get_utf8_string_param(t,
	    "group", group, sizeof(group), &n) == 1)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	if (EVP_PKEY_is_a(t, "ED25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (EVP_PKEY_is_a(t, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)(bits < 2048 ? 2048 : bits > 4096 ? 4096 : bits));
	return NULL;
}

/*
 * RFC 7030 4.4: the CSR is a template; the request to issue is the same
 * with a new key the server makes (and signs it, so that it is a valid
 * PKCS#10 like any other).
 */
static int
est_keygen(struct est_enr *en, int *done)
{
	X509_REQ	*req;
	const EVP_MD	*md;

	*done = 0;
	if (en->rq->op != EST_OP_SERVERKEYGEN)
		return 0;
	*done = 1;
	if ((en->key = est_keygen_like(X509_REQ_get0_pubkey(en->req))) ==
	    NULL)
		return est_refuse(en, 400, SCEP_OUT_MALFORMED, "RFC 7030 4.4: "
		    "serverkeygen makes RSA, EC (named curve) or Ed25519 keys "
		    "like the request's");
	md = EVP_PKEY_is_a(en->key, "ED25519") ? NULL : EVP_sha256();
	if ((req = X509_REQ_dup(en->req)) == NULL ||
	    !X509_REQ_set_pubkey(req, en->key) ||
	    X509_REQ_sign(req, en->key, md) <= 0) {
		X509_REQ_free(req);
		return -1;
	}
	X509_REQ_free(en->req);
	en->req = req;
	scep_reply_note(en->rep, " serverkeygen");
	*done = 0;
	return 0;
}

/* One base64 part of the multipart answer. */
static int
est_part(struct buf *b, const char *type, const unsigned char *der,
    size_t len)
{
	struct scep_reply	 r;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if (est_base64(&r, type, der, len) != 0) {
		free(r.body);
		return -1;
	}
	buf_addf(b, "--" EST_BOUNDARY "\r\nContent-Type: %s\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", type);
	buf_add(b, r.body, r.len);
	rc = buf_adds(b, "\r\n");
	OPENSSL_cleanse(r.body, r.len);
	free(r.body);
	return rc;
}

/* The key (PKCS#8, unencrypted: TLS protects it) and the certificate. */
static int
est_keygen_reply(struct est_enr *en, X509 *x)
{
	PKCS8_PRIV_KEY_INFO	*p8 = NULL;
	STACK_OF(X509)		*sk = NULL;
	unsigned char		*k = NULL, *c = NULL;
	struct buf		 b;
	struct err		 e;
	size_t			 clen = 0;
	int			 klen = 0, rc = -1;

	buf_init(&b, HTTP_BODYMAX * 4);
	if ((p8 = EVP_PKEY2PKCS8(en->key)) == NULL ||
	    (klen = i2d_PKCS8_PRIV_KEY_INFO(p8, &k)) <= 0 ||
	    (sk = sk_X509_new_null()) == NULL || !sk_X509_push(sk, x) ||
	    scep_degenerate_build(&c, &clen, sk, NULL, &e) != 0 ||
	    est_part(&b, "application/pkcs8", k, (size_t)klen) != 0 ||
	    est_part(&b, EST_TYPE_CERTS, c, clen) != 0 ||
	    buf_adds(&b, "--" EST_BOUNDARY "--\r\n") != 0)
		goto out;
	free(en->rep->body);
	en->rep->http = 200;
	en->rep->type = EST_TYPE_MULTI;
	en->rep->body = (unsigned char *)buf_take(&b, &en->rep->len);
	rc = en->rep->body != NULL ? 0 : -1;
 out:
	if (k != NULL)
		OPENSSL_cleanse(k, (size_t)klen);
	OPENSSL_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	sk_X509_free(sk);
	free(c);
	if (b.ptr != NULL)
		OPENSSL_cleanse(b.ptr, b.len);
	buf_free(&b);
	return rc;
}

/* Queue for approval (202) or issue (200); the challenge's use taken. */
static int
est_issue(struct est_enr *en)
{
	X509		*x = NULL;
	char		*hex;
	struct err	 e;
	int64_t		 id = 0;
	int		 rc, done;

	if (en->key != NULL && en->est->scep->manual)
		return est_refuse(en, 403, SCEP_OUT_FAILED, "RFC 7030 4.4: no "
		    "serverkeygen under manual approval (the key would wait "
		    "on disk)");
	if ((rc = est_authn_basic(en, 1, &done)) != 0 || done)
		return rc;
	if (en->est->scep->manual) {
		if (db_request_add(en->db, &en->r, &id, &e) != 0) {
			if (en->taken)
				challenge_release(en->db, en->pw);
			return est_down(en, &e);
		}
		scep_reply_note(en->rep, " request=%lld -> pending",
		    (long long)id);
		en->rep->retry = EST_RETRY;
		return est_text(en->rep, 202, SCEP_OUT_PENDING, "pending "
		    "approval: post the same request again later\n");
	}
	if (issue_cert(&x, en->ca, en->db, en->req, &en->r, &id, &en->io,
	    &e) != 0) {
		if (en->taken)
			challenge_release(en->db, en->pw);
		return scep_store_down(&e) ? est_down(en, &e) :
		    est_refuse(en, 403, SCEP_OUT_FAILED, e.msg);
	}
	if ((hex = issue_serial_hex(X509_get0_serialNumber(x))) == NULL)
		rc = -1;
	else {
		scep_reply_note(en->rep, " request=%lld serial=%s",
		    (long long)id, hex);
		rc = en->key != NULL ? est_keygen_reply(en, x) :
		    est_cert_reply(en, x);
	}
	free(hex);
	if (rc == 0)
		en->rep->outcome = SCEP_OUT_ISSUED;
	X509_free(x);
	return rc;
}

/* The request's body: a base64 PKCS#10 of the right media type. */
static int
est_csr(struct est_enr *en, int *done)
{
	unsigned char	*der = NULL;
	size_t		 len;
	struct err	 e;
	int		 rc;

	*done = 1;
	if (!est_ctype_is(en->rq->ctype, EST_TYPE_PKCS10))
		return est_refuse(en, 415, SCEP_OUT_MALFORMED, "RFC 7030 4.2.1: "
		    "Content-Type must be application/pkcs10");
	if (est_base64_decode(&der, &len, en->rq->body, en->rq->len) != 0)
		return est_refuse(en, 400, SCEP_OUT_MALFORMED, "RFC 7030 4.2.1: "
		    "the body must be a base64 PKCS#10");
	rc = issue_csr_parse(&en->req, der, len, &e);
	free(der);
	if (rc != 0)
		return est_refuse(en, 400, SCEP_OUT_MALFORMED, e.msg);
	*done = 0;
	return 0;
}

int
est_server_enroll(const struct est_server *s, struct db *db,
    const struct est_req *rq, struct scep_reply *rep)
{
	const struct ca	*next;
	struct est_enr	 en;
	struct err	 e;
	int		 rc, done;

	memset(&en, 0, sizeof(en));
	en.est = s;
	en.rq = rq;
	en.db = db;
	en.rep = rep;
	en.io = s->scep->issue;
	if (rq->policy != NULL)
		en.io.policy = rq->policy;
	if (ca_keys_down(s->scep->ca)) {
		scep_reply_note(rep, " key process is not answering");
		return est_text(rep, 503, SCEP_OUT_UNAVAILABLE, "CA key "
		    "unavailable\n");
	}
	/* Per request: every instance switches at the database's time. */
	if (ca_gens_now(&en.ca, &next, s->scep->ca, db, clock_now(), &e) !=
	    0) {
		if (e.code != ERR_NOTFOUND)
			return est_down(&en, &e);
		scep_reply_note(rep, " %s", e.msg);
		return est_text(rep, 503, SCEP_OUT_UNAVAILABLE, "CA "
		    "unavailable\n");
	}
	if ((rc = est_csr(&en, &done)) != 0 || done ||
	    (rc = est_authn_cert(&en, &done)) != 0 || done ||
	    (rc = est_binding(&en, &done)) != 0 || done ||
	    (rc = est_authn_basic(&en, 0, &done)) != 0 || done ||
	    (rc = est_keygen(&en, &done)) != 0 || done ||
	    (rc = est_row(&en, &done)) != 0 || done ||
	    (rc = est_prior(&en, &done)) != 0 || done)
		goto out;
	rc = est_issue(&en);
 out:
	est_enr_clear(&en);
	return rc;
}
