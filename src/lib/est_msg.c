/*
 * est_msg: EST (RFC 7030) message encoding and decoding (est_msg.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "err.h"
#include "est_msg.h"

int
est_b64_decode(unsigned char **out, size_t *outlen, const char *in,
    size_t len, const char *what, struct err *e)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	unsigned char	*buf = NULL;
	size_t		 i;
	int		 n = 0, m = 0, rc = 0;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len > EST_RESPMAX)
		return err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: %s body",
		    what, len == 0 ? "empty" : "oversized");
	/* OpenSSL's decoder skips more than line breaks (a '-' ends it). */
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)in[i]) && in[i] != '+' &&
		    in[i] != '/' && in[i] != '=' && in[i] != '\r' &&
		    in[i] != '\n' && in[i] != ' ' && in[i] != '\t')
			return err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: the "
			    "body is not base64 (byte 0x%02x at offset %zu)",
			    what, (unsigned char)in[i], i);
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (buf = malloc(len / 4 * 3 + 3)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)in,
	    (int)len) < 0 || EVP_DecodeFinal(ctx, buf + n, &m) != 1 ||
	    n + m == 0) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: malformed "
		    "base64", what);
		goto out;
	}
	*out = buf;
	*outlen = (size_t)(n + m);
	buf = NULL;
 out:
	free(buf);
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

int
est_certs_parse(STACK_OF(X509) **out, const unsigned char *der, size_t len,
    const char *what, struct err *e)
{
	PKCS7			*p7 = NULL;
	const unsigned char	*p = der;
	STACK_OF(X509)		*certs;
	int			 rc = 0;

	*out = NULL;
	if (len > EST_RESPMAX || (p7 = d2i_PKCS7(NULL, &p, (long)len)) ==
	    NULL || p != der + len) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: not a PKCS#7 "
		    "structure%s", what, p7 != NULL ? " (trailing data)" : "");
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) != 0) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: not a "
		    "certs-only PKCS#7 (a SignedData without signers)", what);
		goto out;
	}
	certs = p7->d.sign->cert;
	if (sk_X509_num(certs) < 1 || sk_X509_num(certs) > EST_CERTSMAX) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.1.3: %s: %d "
		    "certificates (1 to %d expected)", what, sk_X509_num(certs),
		    EST_CERTSMAX);
		goto out;
	}
	if ((*out = X509_chain_up_ref(certs)) == NULL)
		rc = err_nomem(e);
 out:
	PKCS7_free(p7);
	return rc;
}

int
est_certs_b64(STACK_OF(X509) **out, const char *body, size_t len,
    const char *what, struct err *e)
{
	unsigned char	*der = NULL;
	size_t		 dlen;
	int		 rc;

	*out = NULL;
	if ((rc = est_b64_decode(&der, &dlen, body, len, what, e)) == 0)
		rc = est_certs_parse(out, der, dlen, what, e);
	free(der);
	return rc;
}

/* CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID (RFC 7030 4.5.2). */
typedef struct {
	int	 type;
	union {
		ASN1_OBJECT	*oid;
		X509_ATTRIBUTE	*attr;
	} value;
} EST_ATTR_OR_OID;

DEFINE_STACK_OF(EST_ATTR_OR_OID)
typedef STACK_OF(EST_ATTR_OR_OID) EST_CSRATTRS;

ASN1_CHOICE(EST_ATTR_OR_OID) = {
	ASN1_SIMPLE(EST_ATTR_OR_OID, value.oid, ASN1_OBJECT),
	ASN1_SIMPLE(EST_ATTR_OR_OID, value.attr, X509_ATTRIBUTE)
} static_ASN1_CHOICE_END(EST_ATTR_OR_OID)

ASN1_ITEM_TEMPLATE(EST_CSRATTRS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, EST_CSRATTRS,
	    EST_ATTR_OR_OID)
static_ASN1_ITEM_TEMPLATE_END(EST_CSRATTRS)

static void
est_attr_free(EST_ATTR_OR_OID *a)
{
	ASN1_item_free((ASN1_VALUE *)a, ASN1_ITEM_rptr(EST_ATTR_OR_OID));
}

/* The digest of a digest or signature algorithm OID, or NID_undef. */
static int
est_sig_md(int nid)
{
	int	 md = nid, pk = NID_undef;

	if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512 &&
	    !OBJ_find_sigid_algs(nid, &md, &pk))
		return NID_undef;
	return md == NID_sha256 || md == NID_sha384 || md == NID_sha512 ?
	    md : NID_undef;
}

unsigned
est_curve_bit(int nid)
{
	return nid == NID_X9_62_prime256v1 ? EST_CURVE_P256 :
	    nid == NID_secp384r1 ? EST_CURVE_P384 :
	    nid == NID_secp521r1 ? EST_CURVE_P521 : 0;
}

static void
est_csrattrs_oid(struct est_csrattrs *ca, int nid)
{
	if (nid == NID_pkcs9_challengePassword)
		ca->challenge = 1;
	else if (nid == NID_rsaEncryption || nid == NID_X9_62_id_ecPublicKey)
		ca->key_nid = nid;
	else if (nid == NID_serialNumber)
		ca->serial = 1;
	else if (est_sig_md(nid) != NID_undef)
		ca->md_nid = est_sig_md(nid);
	else
		ca->other++;
}

/* An attribute: the key type with its curve (RFC 7030 4.5.2's example). */
static int
est_csrattrs_attr(struct est_csrattrs *ca, X509_ATTRIBUTE *a, struct err *e)
{
	ASN1_TYPE	*t;
	int		 i, n, nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));

	if (nid != NID_X9_62_id_ecPublicKey) {
		est_csrattrs_oid(ca, nid);
		return 0;
	}
	ca->key_nid = nid;
	n = X509_ATTRIBUTE_count(a);
	if (n < 1 || n > EST_ATTRSMAX)
		return err_set(e, ERR_PROTO, "RFC 7030 4.5.2: csrattrs: the "
		    "ecPublicKey attribute holds %d values", n);
	/* Its values: the curves the server takes (any of them). */
	for (i = 0; i < n; i++) {
		if ((t = X509_ATTRIBUTE_get0_type(a, i)) == NULL ||
		    t->type != V_ASN1_OBJECT)
			return err_set(e, ERR_PROTO, "RFC 7030 4.5.2: csrattrs: "
			    "an ecPublicKey value is not a curve OID");
		ca->curves |= est_curve_bit(OBJ_obj2nid(t->value.object));
	}
	if (ca->curves == 0)
		return err_set(e, ERR_PROTO, "RFC 7030 4.5.2: csrattrs: "
		    "unsupported EC curve requested");
	return 0;
}

int
est_csrattrs_parse(struct est_csrattrs *ca, const unsigned char *der,
    size_t len, struct err *e)
{
	EST_CSRATTRS		*sk = NULL;
	EST_ATTR_OR_OID		*a;
	const unsigned char	*p = der;
	int			 i, rc = 0;

	memset(ca, 0, sizeof(*ca));
	if (len == 0)
		return 0;
	if (len > EST_RESPMAX || (sk = (EST_CSRATTRS *)ASN1_item_d2i(NULL,
	    &p, (long)len, ASN1_ITEM_rptr(EST_CSRATTRS))) == NULL ||
	    p != der + len) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.5.2: csrattrs: not a "
		    "CsrAttrs sequence%s", sk != NULL ? " (trailing data)" : "");
		goto out;
	}
	if (sk_EST_ATTR_OR_OID_num(sk) > EST_ATTRSMAX) {
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.5.2: csrattrs: %d "
		    "entries (at most %d)", sk_EST_ATTR_OR_OID_num(sk),
		    EST_ATTRSMAX);
		goto out;
	}
	for (i = 0; i < sk_EST_ATTR_OR_OID_num(sk); i++) {
		a = sk_EST_ATTR_OR_OID_value(sk, i);
		if (a->type == 0)
			est_csrattrs_oid(ca, OBJ_obj2nid(a->value.oid));
		else if ((rc = est_csrattrs_attr(ca, a->value.attr, e)) != 0)
			goto out;
	}
 out:
	sk_EST_ATTR_OR_OID_pop_free(sk, est_attr_free);
	return rc;
}

long
est_retry_after(const char *s, time_t now)
{
	struct tm	 tm;
	const char	*end;
	long		 v = 0;
	time_t		 t;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		for (; isdigit((unsigned char)*s); s++)
			if ((v = v * 10 + (*s - '0')) > EST_RETRYMAX)
				v = EST_RETRYMAX + 1;
		return *s == '\0' ? (v > EST_RETRYMAX ? EST_RETRYMAX : v) : -1;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0' || (t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	return t - now > EST_RETRYMAX ? EST_RETRYMAX : (long)(t - now);
}

int
est_tls_unique(char *out, size_t sz, SSL *ssl, struct err *e)
{
	unsigned char	 fin[EVP_MAX_MD_SIZE];
	size_t		 n;

	if (ssl == NULL)
		return err_set(e, ERR_PROTO, "RFC 7030 3.5: no TLS connection "
		    "to bind the request to");
	if (SSL_version(ssl) >= TLS1_3_VERSION || SSL_version(ssl) <
	    TLS1_VERSION)
		return err_set(e, ERR_PROTO, "RFC 7030 3.5: %s has no "
		    "tls-unique channel binding", SSL_get_version(ssl));
	/* RFC 5929 3.1: the first Finished of the latest handshake. */
	n = SSL_session_reused(ssl) ? SSL_get_peer_finished(ssl, fin,
	    sizeof(fin)) : SSL_get_finished(ssl, fin, sizeof(fin));
	if (n == 0 || n > sizeof(fin) || sz < 4 * ((n + 2) / 3) + 1)
		return err_set(e, ERR_PROTO, "RFC 7030 3.5: no Finished message "
		    "on the connection");
	EVP_EncodeBlock((unsigned char *)out, fin, (int)n);
	OPENSSL_cleanse(fin, sizeof(fin));
	return 0;
}

#define EST_EXPORTER_LABEL	"EXPORTER-Channel-Binding"
#define EST_EXPORTER_LEN	32

int
est_channel_binding(char *out, size_t sz, SSL *ssl, struct err *e)
{
	unsigned char	 cb[EST_EXPORTER_LEN];

	if (ssl == NULL || SSL_version(ssl) < TLS1_3_VERSION)
		return est_tls_unique(out, sz, ssl, e);
	if (sz < 4 * ((sizeof(cb) + 2) / 3) + 1 ||
	    SSL_export_keying_material(ssl, cb, sizeof(cb),
	    EST_EXPORTER_LABEL, strlen(EST_EXPORTER_LABEL), NULL, 0, 0) != 1)
		return err_set(e, ERR_PROTO, "RFC 9266: no tls-exporter on the "
		    "connection");
	EVP_EncodeBlock((unsigned char *)out, cb, (int)sizeof(cb));
	OPENSSL_cleanse(cb, sizeof(cb));
	return 0;
}

int
est_label_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > EST_LABELMAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._~-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

char *
est_url(const char *base, const char *label, const char *op)
{
	size_t	 n = strlen(base), sz;
	char	*out;

	while (n > 0 && base[n - 1] == '/')
		n--;
	sz = n + (label ? strlen(label) + 1 : 0) + strlen(op) + 2;
	if ((out = malloc(sz)) == NULL)
		return NULL;
	snprintf(out, sz, "%.*s/%s%s%s", (int)n, base, label ? label : "",
	    label ? "/" : "", op);
	return out;
}

/* ---- /serverkeygen: multipart/mixed (RFC 2046 5.1) ---------------------- */

#define EST_BOUNDARYMAX	70	/* RFC 2046 5.1.1 */

/* The boundary parameter of a multipart/mixed Content-Type. */
static int
est_boundary(char *out, size_t sz, const char *ctype, struct err *e)
{
	const char	*p;
	size_t		 n;

	if (strncasecmp(ctype, "multipart/mixed", 15) != 0 ||
	    (p = strcasestr(ctype, "boundary=")) == NULL)
		return err_set(e, ERR_PROTO, "RFC 7030 4.4.2: serverkeygen: the "
		    "reply is not multipart/mixed with a boundary");
	p += 9;
	if (*p == '"')
		p++;
	n = strcspn(p, "\"; \t");
	if (n == 0 || n > EST_BOUNDARYMAX || n >= sz)
		return err_set(e, ERR_PROTO, "RFC 2046 5.1.1: serverkeygen: bad "
		    "multipart boundary");
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* One part: its Content-Type (base type) and body, inside [p, end). */
static int
est_part(const char *p, const char *end, char *ctype, size_t csz,
    const char **body, size_t *blen)
{
	const char	*h, *eol;
	size_t		 n;

	ctype[0] = '\0';
	for (h = p; h < end; h = eol + 1) {
		if ((eol = memchr(h, '\n', (size_t)(end - h))) == NULL)
			return -1;
		n = (size_t)(eol - h);
		if (n > 0 && h[n - 1] == '\r')
			n--;
		if (n == 0) {
			*body = eol + 1;
			*blen = (size_t)(end - *body);
			return 0;
		}
		if (n > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
			h += 13;
			n -= 13;
			while (n > 0 && (*h == ' ' || *h == '\t')) {
				h++;
				n--;
			}
			n = strcspn(h, ";\r\n") < n ? strcspn(h, ";\r\n") : n;
			snprintf(ctype, csz, "%.*s", (int)n, h);
		}
	}
	return -1;
}

/* The parts between "--boundary" lines; at most 2 wanted, 3 refused. */
static int
est_parts(const char *body, size_t len, const char *bnd, const char *pb[3],
    const char *pe[3], struct err *e)
{
	char		 delim[EST_BOUNDARYMAX + 5];
	const char	*p, *end = body + len, *q;
	size_t		 dl;
	int		 n = 0;

	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", bnd);
	p = body;
	while ((q = memmem(p, (size_t)(end - p), delim, dl)) != NULL) {
		if (n > 0) {
			pe[n - 1] = q;
			/* The CRLF before the delimiter belongs to it. */
			if (pe[n - 1] > pb[n - 1] && pe[n - 1][-1] == '\n')
				pe[n - 1]--;
			if (pe[n - 1] > pb[n - 1] && pe[n - 1][-1] == '\r')
				pe[n - 1]--;
		}
		q += dl;
		if ((size_t)(end - q) >= 2 && q[0] == '-' && q[1] == '-')
			return n == 2 ? 0 : err_set(e, ERR_PROTO, "RFC 7030 "
			    "4.4.2: serverkeygen: %d parts, 2 expected", n);
		if (n == 3)
			break;
		if ((q = memchr(q, '\n', (size_t)(end - q))) == NULL)
			break;
		pb[n++] = p = q + 1;
	}
	return err_set(e, ERR_PROTO, "RFC 7030 4.4.2: serverkeygen: a "
	    "malformed or unterminated multipart body");
}

static int
est_skg_key(EVP_PKEY **out, const char *b64, size_t len, struct err *e)
{
	PKCS8_PRIV_KEY_INFO	*p8 = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	size_t			 dlen = 0;
	int			 rc;

	if ((rc = est_b64_decode(&der, &dlen, b64, len, "serverkeygen key",
	    e)) != 0)
		return rc;
	p = der;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)dlen)) == NULL ||
	    p != der + dlen || (*out = EVP_PKCS82PKEY(p8)) == NULL)
		rc = err_set(e, ERR_PROTO, "RFC 7030 4.4.2: serverkeygen: the "
		    "key part is not an unencrypted PKCS#8 private key");
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_clear_free(der, dlen);
	return rc;
}

int
est_skg_parse(EVP_PKEY **key, STACK_OF(X509) **certs, const char *ctype,
    const char *body, size_t len, struct err *e)
{
	const char	*pb[3], *pe[3], *b;
	char		 bnd[EST_BOUNDARYMAX + 1], pt[64];
	size_t		 bl;
	int		 i, rc;

	*key = NULL;
	*certs = NULL;
	if (len > EST_RESPMAX)
		return err_set(e, ERR_PROTO, "serverkeygen: oversized body");
	if ((rc = est_boundary(bnd, sizeof(bnd), ctype, e)) != 0 ||
	    (rc = est_parts(body, len, bnd, pb, pe, e)) != 0)
		return rc;
	for (i = 0; i < 2 && rc == 0; i++) {
		if (est_part(pb[i], pe[i], pt, sizeof(pt), &b, &bl) != 0)
			rc = err_set(e, ERR_PROTO, "RFC 7030 4.4.2: serverkeygen: "
			    "part %d has no header end", i + 1);
		else if (strcasecmp(pt, "application/pkcs8") == 0 &&
		    *key == NULL)
			rc = est_skg_key(key, b, bl, e);
		else if (strcasecmp(pt, "application/pkcs7-mime") == 0 &&
		    *certs == NULL)
			rc = est_certs_b64(certs, b, bl, "serverkeygen", e);
		else
			rc = err_set(e, ERR_PROTO, "RFC 7030 4.4.2: serverkeygen: "
			    "part %d is not the key or the certificate", i + 1);
	}
	if (rc != 0) {
		EVP_PKEY_free(*key);
		sk_X509_pop_free(*certs, X509_free);
		*key = NULL;
		*certs = NULL;
	}
	return rc;
}
