/*
 * scep_client: SCEP transport and the CA/RA certificates (RFC 8894).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "err.h"
#include "fetch.h"
#include "scep_client.h"
#include "scep_msg.h"
#include "text.h"
#include "trustpoint.h"

static const struct {
	const char	*word;
	unsigned	 flag;
} scep_capwords[] = {
	{ "POSTPKIOperation",	SCEP_CAP_POST },
	{ "AES",		SCEP_CAP_AES },
	{ "DES3",		SCEP_CAP_DES3 },
	{ "SHA-1",		SCEP_CAP_SHA1 },
	{ "SHA-256",		SCEP_CAP_SHA256 },
	{ "SHA-512",		SCEP_CAP_SHA512 },
	{ "Renewal",		SCEP_CAP_RENEWAL },
	{ "GetNextCACert",	SCEP_CAP_NEXTCA },
	{ "SCEPStandard",	SCEP_CAP_STANDARD },
};
#define SCEP_NCAPWORDS	(sizeof(scep_capwords) / sizeof(scep_capwords[0]))

int
scep_caps_parse(unsigned *out, const char *buf, size_t len, struct err *e)
{
	const char	*p = buf, *end = buf + len, *eol;
	size_t		 n, i, lines = 0;
	unsigned	 caps = 0;

	*out = 0;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (++lines > SCEP_CAPSMAX)
			return err_set(e, ERR_TOOBIG, "RFC 8894 3.5.2: "
			    "GetCACaps: more than %d lines", SCEP_CAPSMAX);
		while (p < eol && isspace((unsigned char)*p))
			p++;
		n = (size_t)(eol - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n > 0 && *p == '<')
			return err_set(e, ERR_PROTO, "RFC 8894 3.5.2: "
			    "GetCACaps: the server answered HTML");
		/* Keywords are case-insensitive (RFC 8894 3.5.2). */
		for (i = 0; i < SCEP_NCAPWORDS; i++)
			if (strlen(scep_capwords[i].word) == n &&
			    strncasecmp(p, scep_capwords[i].word, n) == 0)
				caps |= scep_capwords[i].flag;
		if (eol == end)
			break;
	}
	*out = caps;
	return 0;
}

void
scep_caps_str(char *buf, size_t sz, unsigned caps)
{
	size_t	 i, off = 0;
	int	 n;

	buf[0] = '\0';
	for (i = 0; i < SCEP_NCAPWORDS && off < sz; i++) {
		if ((caps & scep_capwords[i].flag) == 0)
			continue;
		n = snprintf(buf + off, sz - off, "%s%s", off ? " " : "",
		    scep_capwords[i].word);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void
scep_cacert_clear(struct scep_cacert *c)
{
	if (c == NULL)
		return;
	sk_X509_pop_free(c->chain, X509_free);
	X509_free(c->ra_sign);
	X509_free(c->ra_encr);
	memset(c, 0, sizeof(*c));
}

static int
scep_issued(X509 *issuer, X509 *x)
{
	return X509_check_issued(issuer, x) == X509_V_OK;
}

/*
 * The issuing CA: the issuer of the RA certificates when there are any,
 * else the CA certificate that issued no other CA certificate.
 */
static X509 *
scep_pick_ca(STACK_OF(X509) *cas, STACK_OF(X509) *ras)
{
	X509	*c, *o;
	int	 i, j, issued;

	if (sk_X509_num(ras) > 0) {
		for (i = 0; i < sk_X509_num(cas); i++)
			if (scep_issued(sk_X509_value(cas, i),
			    sk_X509_value(ras, 0)))
				return sk_X509_value(cas, i);
		return NULL;
	}
	for (i = 0; i < sk_X509_num(cas); i++) {
		c = sk_X509_value(cas, i);
		issued = 0;
		for (j = 0; j < sk_X509_num(cas) && !issued; j++) {
			o = sk_X509_value(cas, j);
			issued = o != c && scep_issued(c, o) &&
			    !scep_issued(o, c);
		}
		if (!issued)
			return c;
	}
	return sk_X509_num(cas) > 0 ? sk_X509_value(cas, 0) : NULL;
}

/* RA certificate for a role, preferring one that holds only that role. */
static X509 *
scep_pick_ra(STACK_OF(X509) *ras, X509 *ca, uint32_t want, uint32_t other)
{
	X509		*x, *shared = NULL;
	uint32_t	 ku;
	int		 i;

	for (i = 0; i < sk_X509_num(ras); i++) {
		x = sk_X509_value(ras, i);
		if (!scep_issued(ca, x))
			continue;
		/* UINT32_MAX: no keyUsage extension, any use allowed. */
		ku = X509_get_key_usage(x);
		if ((ku & want) == 0)
			continue;
		if ((ku & other) == 0)
			return x;
		if (shared == NULL)
			shared = x;
	}
	return shared;
}

static int
scep_chain(struct scep_cacert *c, STACK_OF(X509) *cas, X509 *ca,
    struct err *e)
{
	X509	*cur = ca, *next;
	int	 i;

	if ((c->chain = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	while (cur != NULL && sk_X509_num(c->chain) < SCEP_CACERTMAX) {
		if (!X509_up_ref(cur) || !sk_X509_push(c->chain, cur))
			return err_nomem(e);
		if (cert_is_self_signed(cur))
			break;
		next = NULL;
		for (i = 0; i < sk_X509_num(cas) && next == NULL; i++)
			if (sk_X509_value(cas, i) != cur &&
			    scep_issued(sk_X509_value(cas, i), cur))
				next = sk_X509_value(cas, i);
		/* A loop in the names would otherwise never end. */
		for (i = 0; next != NULL && i < sk_X509_num(c->chain); i++)
			if (sk_X509_value(c->chain, i) == next)
				next = NULL;
		cur = next;
	}
	c->ca = sk_X509_value(c->chain, 0);
	return 0;
}

static int
scep_is_html(const unsigned char *buf, size_t len, const char *ctype)
{
	size_t	 i;

	if (ctype != NULL && strncasecmp(ctype, "text/html", 9) == 0)
		return 1;
	for (i = 0; i < len && isspace(buf[i]); i++)
		;
	return i < len && buf[i] == '<';
}

int
scep_cacert_parse(struct scep_cacert *c, const unsigned char *buf,
    size_t len, const char *ctype, struct err *e)
{
	STACK_OF(X509)	*all = NULL;
	int		 rc;

	memset(c, 0, sizeof(*c));
	if (scep_is_html(buf, len, ctype))
		return err_set(e, ERR_PROTO, "RFC 8894 4.2.1: GetCACert: the "
		    "server answered HTML, not certificates (check the URL)");
	if ((rc = cert_parse_any(&all, buf, len, SCEP_CACERTMAX, e)) != 0) {
		err_prefix(e, "RFC 8894 4.2.1: GetCACert");
		return rc;
	}
	rc = scep_cacert_select(c, all, e);
	sk_X509_pop_free(all, X509_free);
	return rc;
}

int
scep_cacert_select(struct scep_cacert *c, STACK_OF(X509) *all,
    struct err *e)
{
	STACK_OF(X509)	*cas = NULL, *ras = NULL;
	X509		*x, *ca;
	int		 i, rc = 0;

	memset(c, 0, sizeof(*c));
	c->ncerts = sk_X509_num(all);
	if ((cas = sk_X509_new_null()) == NULL ||
	    (ras = sk_X509_new_null()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(all); i++) {
		x = sk_X509_value(all, i);
		if (!sk_X509_push(cert_is_ca(x) ? cas : ras, x)) {
			rc = err_nomem(e);
			goto out;
		}
	}
	if (sk_X509_num(all) == 1)
		ca = sk_X509_value(all, 0);	/* checked later: "not a CA" */
	else if ((ca = scep_pick_ca(cas, ras)) == NULL) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 4.2.1.2: GetCACert: none "
		    "of the %d certificates is the CA that issued the RA "
		    "certificate", sk_X509_num(all));
		goto out;
	}
	if (sk_X509_num(all) == 1)
		sk_X509_zero(ras);
	if ((rc = scep_chain(c, cas, ca, e)) != 0)
		goto out;
	if ((x = scep_pick_ra(ras, ca, KU_DIGITAL_SIGNATURE,
	    KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)) != NULL) {
		if (!X509_up_ref(x)) {
			rc = err_nomem(e);
			goto out;
		}
		c->ra_sign = x;
	}
	if ((x = scep_pick_ra(ras, ca, KU_KEY_ENCIPHERMENT |
	    KU_DATA_ENCIPHERMENT, KU_DIGITAL_SIGNATURE)) != NULL) {
		if (!X509_up_ref(x)) {
			rc = err_nomem(e);
			goto out;
		}
		c->ra_encr = x;
	}
	if (sk_X509_num(ras) > 0 && c->ra_sign == NULL && c->ra_encr == NULL)
		rc = err_set(e, ERR_PROTO, "RFC 8894 4.2.1.2: GetCACert: no RA "
		    "certificate has a usable key usage");
 out:
	sk_X509_free(cas);
	sk_X509_free(ras);
	if (rc != 0)
		scep_cacert_clear(c);
	return rc;
}

int
scep_cacert_check(const struct scep_cacert *c, time_t now, struct err *e)
{
	X509	*x, *up;
	int	 i, rc;

	if (c->ca == NULL)
		return err_set(e, ERR_PROTO, "GetCACert: no CA certificate");
	if (!cert_is_ca(c->ca))
		return err_set(e, ERR_REFUSED, "RFC 5280 4.2.1.9: the "
		    "certificate is not a CA certificate (basicConstraints "
		    "cA is not set)");
	if ((rc = tp_check_validity(c->ca, now, "the CA certificate", e)) != 0)
		return rc;
	for (i = 0; i + 1 < sk_X509_num(c->chain); i++) {
		x = sk_X509_value(c->chain, i);
		up = sk_X509_value(c->chain, i + 1);
		if (X509_verify(x, X509_get0_pubkey(up)) != 1) {
			ERR_clear_error();
			return err_set(e, ERR_REFUSED, "RFC 5280 6.1.3: CA "
			    "chain certificate %d: signature does not verify",
			    i + 1);
		}
		if ((rc = tp_check_validity(up, now, "a CA chain certificate",
		    e)) != 0)
			return rc;
	}
	if (c->ra_sign != NULL && (rc = tp_check_issued(c->ra_sign, c->ca, now,
	    "the RA signing certificate", e)) != 0)
		return rc;
	if (c->ra_encr != NULL && (rc = tp_check_issued(c->ra_encr, c->ca, now,
	    "the RA encryption certificate", e)) != 0)
		return rc;
	return 0;
}

char *
scep_url(const char *base, const char *op, const char *msg)
{
	char	*out;
	size_t	 n;

	n = strlen(base) + strlen(op) + (msg ? strlen(msg) : 0) + 32;
	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%s%coperation=%s%s%s", base,
	    strchr(base, '?') ? '&' : '?', op, msg ? "&message=" : "",
	    msg ? msg : "");
	return out;
}

static void
scep_opts(struct fetch_opts *o, const struct fetch_opts *in)
{
	if (in != NULL)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	if (o->maxsize == 0 || o->maxsize > SCEP_RESPMAX)
		o->maxsize = SCEP_RESPMAX;
}

int
scep_getcacaps(unsigned *caps, const char *base, const struct fetch_opts *in,
    struct err *e)
{
	struct fetch_opts	 o;
	struct fetch_result	 r;
	char			*url;
	int			 rc;

	*caps = 0;
	scep_opts(&o, in);
	if ((url = scep_url(base, "GetCACaps", NULL)) == NULL)
		return err_nomem(e);
	rc = fetch_get(&r, url, &o, e);
	/*
	 * An HTTP error means the server predates GetCACaps (RFC 8894
	 * 3.5.2): no capabilities, not a failure.
	 */
	if (rc == ERR_NET && r.status >= 400) {
		err_clear(e);
		rc = 0;
	} else if (rc == 0)
		rc = scep_caps_parse(caps, r.body, r.len, e);
	fetch_result_free(&r);
	free(url);
	return rc;
}

int
scep_getcacert(struct scep_cacert *c, const char *base, const char *ident,
    const struct fetch_opts *in, struct err *e)
{
	struct fetch_opts	 o;
	struct fetch_result	 r;
	char			*url = NULL, *esc = NULL;
	int			 rc;

	memset(c, 0, sizeof(*c));
	memset(&r, 0, sizeof(r));
	scep_opts(&o, in);
	if ((esc = fetch_escape(ident, strlen(ident))) == NULL ||
	    (url = scep_url(base, "GetCACert", esc)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = fetch_get(&r, url, &o, e)) != 0)
		goto out;
	rc = scep_cacert_parse(c, (unsigned char *)r.body, r.len,
	    r.content_type, e);
 out:
	fetch_result_free(&r);
	free(esc);
	free(url);
	return rc;
}

static char *
scep_b64(const unsigned char *msg, size_t len)
{
	char	*out;
	int	 n;

	if (len > SCEP_RESPMAX || (out = malloc(4 * ((len + 2) / 3) + 1)) ==
	    NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, msg, (int)len);
	out[n] = '\0';
	return out;
}

int
scep_pkiop(unsigned char **out, size_t *outlen, const char *base,
    unsigned caps, const unsigned char *msg, size_t len,
    const struct fetch_opts *in, struct err *e)
{
	struct fetch_opts	 o;
	struct fetch_result	 r;
	char			*url = NULL, *b64 = NULL, *esc = NULL;
	int			 rc;

	*out = NULL;
	*outlen = 0;
	memset(&r, 0, sizeof(r));
	scep_opts(&o, in);
	if (caps & (SCEP_CAP_POST | SCEP_CAP_STANDARD)) {
		o.content_type = "application/x-pki-message";
		if ((url = scep_url(base, "PKIOperation", NULL)) == NULL) {
			rc = err_nomem(e);
			goto out;
		}
		rc = fetch_post(&r, url, msg, len, &o, e);
	} else {
		if ((b64 = scep_b64(msg, len)) == NULL ||
		    (esc = fetch_escape(b64, strlen(b64))) == NULL ||
		    (url = scep_url(base, "PKIOperation", esc)) == NULL) {
			rc = err_nomem(e);
			goto out;
		}
		rc = fetch_get(&r, url, &o, e);
	}
	if (rc != 0)
		goto out;
	if (scep_is_html((unsigned char *)r.body, r.len, r.content_type)) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 4.3: PKIOperation: the "
		    "server answered HTML, not a pkiMessage");
		goto out;
	}
	if (r.len == 0) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 4.3: PKIOperation: empty "
		    "response");
		goto out;
	}
	*out = (unsigned char *)r.body;
	*outlen = r.len;
	r.body = NULL;
 out:
	fetch_result_free(&r);
	free(url);
	free(b64);
	free(esc);
	return rc;
}

int
scep_pick_cipher(unsigned caps, int *weak)
{
	*weak = 0;
	if (caps & (SCEP_CAP_AES | SCEP_CAP_STANDARD))
		return SCEP_CIPHER_AES128;
	/* Never single DES: 3DES is the weakest we send (RFC 8894 3.5.2). */
	*weak = 1;
	return SCEP_CIPHER_3DES;
}

const char *
scep_pick_md(unsigned caps, int *weak)
{
	*weak = 0;
	if (caps & (SCEP_CAP_SHA256 | SCEP_CAP_STANDARD))
		return "SHA256";
	if (caps & SCEP_CAP_SHA512)
		return "SHA512";
	*weak = 1;
	return "SHA1";
}

void
scep_enroll_clear(struct scep_enroll *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	s->cert = NULL;
}

/* The certificate of the reply that holds our public key, checked. */
static int
scep_enroll_cert(struct scep_enroll *s, STACK_OF(X509) *certs,
    struct err *e)
{
	X509	*x, *mine = NULL;
	time_t	 nb, now = s->now;
	int	 i, rc;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (EVP_PKEY_eq(X509_get0_pubkey(x), s->reqkey != NULL ?
		    s->reqkey : s->key) == 1) {
			mine = x;
			break;
		}
	}
	if (mine == NULL)
		return err_set(e, ERR_PROTO, "RFC 8894 3.3.2: CertRep SUCCESS "
		    "holds no certificate for the requested key (%d "
		    "certificate%s)", certs ? sk_X509_num(certs) : 0,
		    certs && sk_X509_num(certs) == 1 ? "" : "s");
	/* A renewed certificate may start when the current one ends. */
	if (s->type == SCEP_MT_RENEWALREQ && cert_asn1_time(
	    X509_get0_notBefore(mine), &nb) == 0 && nb > now)
		now = nb;
	/* During a CA rollover the CA may already issue from its next CA. */
	if ((rc = tp_check_issued(mine, s->ca, now, "the issued "
	    "certificate", e)) != 0 && (s->ca_next == NULL ||
	    tp_check_issued(mine, s->ca_next, now, "the issued "
	    "certificate", NULL) != 0))
		return rc;
	if (!X509_up_ref(mine))
		return err_nomem(e);
	s->cert = mine;
	return 0;
}

static int
scep_enroll_exchange(struct scep_enroll *s, int type,
    const unsigned char *content, size_t clen, struct err *e)
{
	struct scep_build	 b;
	struct scep_msg		*rep = NULL;
	unsigned char		 nonce[SCEP_NONCE_LEN];
	unsigned char		*msg = NULL, *resp = NULL;
	size_t			 mlen, rlen;
	int			 rc, weak;

	s->ca_failed = 0;
	s->failinfo = -1;
	s->failtext[0] = '\0';
	if ((rc = scep_nonce(nonce, e)) != 0)
		return rc;
	memset(&b, 0, sizeof(b));
	b.type = type;
	b.content = content;
	b.content_len = clen;
	b.recipient = s->recipient;
	b.cipher = scep_pick_cipher(s->caps, &weak);
	b.signer = s->signer;
	b.signer_key = s->key;
	b.md = scep_pick_md(s->caps, &weak);
	b.transid = s->transid;
	b.sender_nonce = nonce;
	if ((rc = scep_msg_build(&msg, &mlen, &b, e)) != 0)
		goto out;
	if ((rc = scep_pkiop(&resp, &rlen, s->url, s->caps, msg, mlen,
	    s->fopts, e)) != 0)
		goto out;
	if ((rc = scep_msg_parse(&rep, resp, rlen, s->trusted, s->key,
	    s->signer, e)) != 0) {
		err_prefix(e, "CertRep");
		goto out;
	}
	if ((rc = scep_msg_check_reply(rep, s->transid, nonce, e)) != 0)
		goto out;
	/*
	 * The signature was checked against the CA/RA certificate itself
	 * (no purpose checks: micromdm's CA lacks digitalSignature), so
	 * check here that the signer is valid now.
	 */
	if ((rc = tp_check_validity(rep->signer, s->now, "the CertRep's "
	    "signer certificate", e)) != 0)
		goto out;
	s->weak_cipher = rep->weak_cipher;
	snprintf(s->cipher, sizeof(s->cipher), "%s", rep->cipher);
	snprintf(s->md, sizeof(s->md), "%s", rep->md);
	switch (rep->status) {
	case SCEP_STATUS_SUCCESS:
		rc = scep_enroll_cert(s, rep->certs, e);
		break;
	case SCEP_STATUS_PENDING:
		rc = err_set(e, ERR_PENDING, "the CA has not decided yet");
		break;
	case SCEP_STATUS_FAILURE:
		s->ca_failed = 1;
		s->failinfo = rep->failinfo;
		/* It reaches the terminal and syslog: escaped (text.h). */
		text_esc(s->failtext, sizeof(s->failtext), rep->failinfo_text);
		rc = err_set(e, ERR_REFUSED, "the CA rejected the request: "
		    "%s%s%s", rep->failinfo >= 0 ?
		    scep_failinfo_name(rep->failinfo) : "no failInfo",
		    s->failtext[0] ? ": " : "", s->failtext);
		break;
	default:
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.2.1.3: CertRep has no "
		    "valid pkiStatus");
		break;
	}
 out:
	scep_msg_free(rep);
	free(msg);
	free(resp);
	return rc;
}

/* A transactionID of 32 random bytes, in hex like the derived ones. */
static int
scep_transid_fresh(char *buf, size_t sz, struct err *e)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 r[32];
	size_t			 i;

	if (sz < sizeof(r) * 2 + 1)
		return err_set(e, ERR_INVAL, "transactionID buffer too small");
	if (RAND_bytes(r, sizeof(r)) != 1)
		return err_openssl(e, ERR_CRYPTO, "no random bytes for a "
		    "transactionID");
	for (i = 0; i < sizeof(r); i++) {
		buf[2 * i] = hex[r[i] >> 4];
		buf[2 * i + 1] = hex[r[i] & 15];
	}
	buf[2 * sizeof(r)] = '\0';
	return 0;
}

int
scep_enroll_request(struct scep_enroll *s, X509_REQ *req, struct err *e)
{
	unsigned char	*der = NULL;
	int		 n, rc;

	if (s->type == SCEP_MT_RENEWALREQ)
		rc = scep_transid_fresh(s->transid, sizeof(s->transid), e);
	else
		rc = scep_transid_spki(s->transid, sizeof(s->transid),
		    X509_REQ_get_X509_PUBKEY(req), e);
	if (rc != 0)
		return rc;
	if ((n = i2d_X509_REQ(req, &der)) <= 0)
		return err_openssl(e, ERR_CRYPTO, "encoding the request");
	rc = scep_enroll_exchange(s, s->type == SCEP_MT_RENEWALREQ ?
	    SCEP_MT_RENEWALREQ : SCEP_MT_PKCSREQ, der, (size_t)n, e);
	/* The request carries the challenge password. */
	OPENSSL_clear_free(der, (size_t)n);
	return rc;
}

int
scep_enroll_poll(struct scep_enroll *s, struct err *e)
{
	unsigned char	*ias = NULL;
	size_t		 len;
	int		 rc;

	if (s->transid[0] == '\0')
		return err_set(e, ERR_INVAL, "no transaction to poll");
	if ((rc = scep_issuer_and_subject(&ias, &len,
	    X509_get_subject_name(s->ca), s->subject, e)) != 0)
		return rc;
	rc = scep_enroll_exchange(s, SCEP_MT_CERTPOLL, ias, len, e);
	free(ias);
	return rc;
}
