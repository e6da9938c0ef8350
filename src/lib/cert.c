/*
 * cert: names, times, fingerprints and certificate parsing shared by the
 * trustpoint, trust pool, enrollment and verify code.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "cert.h"
#include "err.h"
#include "text.h"

void
cert_fmt_time(char *buf, size_t sz, time_t t)
{
	static const char	*wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
				    "Fri", "Sat" };
	static const char	*mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
				    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
				    "Dec" };
	struct tm		 tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, sz, "(bad time)");
		return;
	}
	snprintf(buf, sz, "%02d:%02d:%02d UTC %s %s %d %d", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, wd[tm.tm_wday], mo[tm.tm_mon], tm.tm_mday,
	    tm.tm_year + 1900);
}

int
cert_asn1_time(const ASN1_TIME *at, time_t *out)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return ERR_INVAL;
	*out = timegm(&tm);
	return 0;
}

static void
cert_dn_value(struct buf *b, const ASN1_STRING *v)
{
	unsigned char	*u = NULL;
	char		 esc[8];
	int		 n, i;

	if ((n = ASN1_STRING_to_UTF8(&u, v)) < 0) {
		buf_add(b, "?", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char	 c = u[i];

		/* Controls are text_escape's, when the name is whole. */
		if (c == ',' || c == '+' || c == '"' || c == '\\' ||
		    c == '<' || c == '>' || c == ';' || c == '=') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_add(b, esc, 2);
		} else
			buf_add(b, &u[i], 1);
	}
	OPENSSL_free(u);
}

/* A NUL inside a value as RFC 4514 2.4's "\00", so it cannot cut the name. */
static char *
cert_dn_raw(const char *p, size_t len)
{
	char	*out;
	size_t	 i, o = 0;

	if ((out = malloc(3 * len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			memcpy(out + o, "\\00", 3);
			o += 3;
		} else
			out[o++] = p[i];
	}
	out[o] = '\0';
	return out;
}

char *
cert_dn(const X509_NAME *name, int style)
{
	struct buf		 b;
	const X509_NAME_ENTRY	*ne;
	char			 attr[80], *out;
	int			 i, n, set, prevset = -1, nid;
	size_t			 k;

	buf_init(&b, CERT_DN_MAX);
	n = X509_NAME_entry_count(name);
	for (i = n - 1; i >= 0; i--) {
		ne = X509_NAME_get_entry(name, i);
		set = X509_NAME_ENTRY_set(ne);
		if (i != n - 1)
			buf_add(&b, set == prevset ? "+" : ",", 1);
		prevset = set;
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
		if (nid != NID_undef)
			snprintf(attr, sizeof(attr), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(attr, sizeof(attr),
			    X509_NAME_ENTRY_get_object(ne), 1);
		/* Lower only the all-capital short names (CN, OU, ST ...). */
		if ((style & CERT_DN_UPPER) == 0) {
			for (k = 0; attr[k] != '\0'; k++)
				if (islower((unsigned char)attr[k]))
					break;
			if (attr[k] == '\0')
				for (k = 0; attr[k] != '\0'; k++)
					attr[k] = (char)tolower(
					    (unsigned char)attr[k]);
		}
		buf_adds(&b, attr);
		buf_add(&b, "=", 1);
		cert_dn_value(&b, X509_NAME_ENTRY_get_data(ne));
	}
	if (b.err != 0)
		return NULL;
	/* Names reach terminals and logs: controls escaped (text.h). */
	if (style & CERT_DN_RAW)
		out = cert_dn_raw(buf_ptr(&b) ? buf_ptr(&b) : "", buf_len(&b));
	else
		out = text_escape(buf_ptr(&b) ? buf_ptr(&b) : "", buf_len(&b));
	buf_free(&b);
	return out;
}

char *
cert_fingerprint(const unsigned char *der, size_t len, const char *mdname,
    int sep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	EVP_MD			*md = NULL;
	unsigned char		 d[EVP_MAX_MD_SIZE];
	unsigned int		 dlen = 0, i;
	char			*out = NULL, *p;

	if ((md = EVP_MD_fetch(NULL, mdname, NULL)) == NULL)
		goto out;
	if (EVP_Digest(der, len, d, &dlen, md, NULL) != 1)
		goto out;
	if ((out = malloc(dlen * 3 + 1)) == NULL)
		goto out;
	for (p = out, i = 0; i < dlen; i++) {
		if (i > 0 && sep != 0 && sep != 'w')
			*p++ = (char)sep;
		else if (i > 0 && sep == 'w' && i % 4 == 0)
			*p++ = ' ';
		*p++ = hex[d[i] >> 4];
		*p++ = hex[d[i] & 15];
	}
	*p = '\0';
 out:
	EVP_MD_free(md);
	return out;
}

char *
cert_x509_fingerprint(X509 *x, const char *mdname, int sep)
{
	unsigned char	*der = NULL;
	char		*fp;
	int		 n;

	if ((n = i2d_X509(x, &der)) <= 0)
		return NULL;
	fp = cert_fingerprint(der, (size_t)n, mdname, sep);
	OPENSSL_free(der);
	return fp;
}

static const char *const cert_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", "value7",
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};
#define CERT_REASON_UNUSED	7

const char *
cert_reason_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(cert_reasons) /
	    sizeof(cert_reasons[0]))
		return "unspecified";
	return cert_reasons[code];
}

int
cert_reason_code(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(cert_reasons) / sizeof(cert_reasons[0]); i++)
		if (i != CERT_REASON_UNUSED &&
		    strcasecmp(s, cert_reasons[i]) == 0)
			return (int)i;
	return -1;
}

int
cert_der_dup(unsigned char **out, size_t *outlen, const void *obj,
    const ASN1_ITEM *it, const char *what, struct err *e)
{
	unsigned char	*der, *p;
	int		 n;

	*out = NULL;
	*outlen = 0;
	/* Measured first, so the bytes land in our allocator's memory. */
	if ((n = ASN1_item_i2d(obj, NULL, it)) <= 0)
		return err_openssl(e, ERR_CRYPTO, "cannot encode %s", what);
	if ((der = malloc((size_t)n)) == NULL)
		return err_nomem(e);
	p = der;
	if (ASN1_item_i2d(obj, &p, it) != n) {
		free(der);
		return err_openssl(e, ERR_CRYPTO, "cannot encode %s", what);
	}
	*out = der;
	*outlen = (size_t)n;
	return 0;
}

char *
cert_serial_hex(const X509 *x, int sep)
{
	BIGNUM	*bn = NULL;
	char	*hex = NULL, *out = NULL, *p;
	size_t	 n, i;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL)
		return NULL;
	if ((hex = BN_bn2hex(bn)) == NULL)
		goto out;
	n = strlen(hex);
	if ((out = malloc(n * 2 + 3)) == NULL)
		goto out;
	p = out;
	/* Pad to whole bytes, then separate bytes. */
	for (i = 0; i < n + (n % 2); i++) {
		if (i > 0 && sep != 0 && i % 2 == 0)
			*p++ = (char)sep;
		if (n % 2 == 1 && i == 0)
			*p++ = '0';
		else
			*p++ = (char)toupper((unsigned char)hex[i - (n % 2)]);
	}
	*p = '\0';
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

int
cert_is_self_signed(X509 *x)
{
	return X509_self_signed(x, 1) == 1;
}

int
cert_is_ca(X509 *x)
{
	uint32_t	 fl = X509_get_extension_flags(x);

	if (fl & EXFLAG_INVALID)
		return 0;
	if ((fl & EXFLAG_BCONS) != 0)
		return (fl & EXFLAG_CA) != 0;
	/* A v1 self-signed root carries no extensions at all. */
	return X509_get_version(x) == X509_VERSION_1 && cert_is_self_signed(x);
}

int
cert_sigalg_check(const X509 *x, struct err *e)
{
	const X509_ALGOR	*outer;

	X509_get0_signature(NULL, &outer, x);
	if (outer == NULL || X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)) !=
	    0)
		return err_set(e, ERR_INVAL, "certificate: the signature "
		    "algorithm outside the signed part differs from the one "
		    "inside it (RFC 5280 4.1.1.2)");
	return 0;
}

/*
 * One DER element at *p within end: its header is skipped, *len is the
 * content length, *hdr the header length; the element must fit.  OpenSSL
 * has no public accessor for a CRL's inner signature algorithm, hence
 * this small walk.
 */
static int
cert_der_elem(const unsigned char **p, const unsigned char *end, int *tag,
    long *len, long *hdr)
{
	const unsigned char	*q = *p;
	int			 cls, r;

	if (q >= end)
		return -1;
	r = ASN1_get_object(&q, len, tag, &cls, end - q);
	if ((r & 0x80) != 0 || r == 0x21 || *len > end - q)
		return -1;
	*hdr = q - *p;
	*tag |= cls | ((r & V_ASN1_CONSTRUCTED) ? 0x1000 : 0);
	*p = q;
	return 0;
}

#define CERT_DER_SEQ	(V_ASN1_SEQUENCE | V_ASN1_UNIVERSAL | 0x1000)

int
cert_der_sigalg_check(const unsigned char *der, size_t len, const char *what,
    struct err *e)
{
	const unsigned char	*p = der, *end = der + len, *tbsend;
	const unsigned char	*inner = NULL, *outer;
	long			 l, h, innerlen = 0;
	int			 tag;

	/* SIGNED{} ::= SEQUENCE { tbs SEQUENCE, AlgorithmIdentifier, BIT
	 * STRING }; the first SEQUENCE inside tbs is its signature field
	 * (after an optional version and, in a certificate, the serial). */
	if (len > LONG_MAX || cert_der_elem(&p, end, &tag, &l, &h) != 0 ||
	    tag != CERT_DER_SEQ || cert_der_elem(&p, end, &tag, &l, &h) != 0 ||
	    tag != CERT_DER_SEQ)
		goto bad;
	tbsend = p + l;
	while (p < tbsend && inner == NULL) {
		const unsigned char	*start = p;

		if (cert_der_elem(&p, tbsend, &tag, &l, &h) != 0)
			goto bad;
		if (tag == CERT_DER_SEQ) {
			inner = start;
			innerlen = h + l;
		}
		p += l;
	}
	if (inner == NULL)
		goto bad;
	outer = p = tbsend;
	if (cert_der_elem(&p, end, &tag, &l, &h) != 0 || tag != CERT_DER_SEQ)
		goto bad;
	if (h + l != innerlen || memcmp(inner, outer, (size_t)innerlen) != 0)
		return err_set(e, ERR_INVAL, "%s: the signature algorithm "
		    "outside the signed part differs from the one inside it "
		    "(RFC 5280 %s)", what, strcmp(what, "CRL") == 0 ?
		    "5.1.1.2" : "4.1.1.2");
	return 0;
 bad:
	return err_set(e, ERR_INVAL, "%s: not a signed DER structure", what);
}

static int
cert_push(STACK_OF(X509) *sk, X509 *x, size_t maxcount, struct err *e)
{
	int	 rc;

	if ((rc = cert_sigalg_check(x, e)) != 0) {
		X509_free(x);
		return rc;
	}
	if ((size_t)sk_X509_num(sk) >= maxcount) {
		X509_free(x);
		return err_set(e, ERR_TOOBIG, "more than %zu certificates",
		    maxcount);
	}
	if (sk_X509_push(sk, x) <= 0) {
		X509_free(x);
		return err_nomem(e);
	}
	return 0;
}

static int
cert_from_p7(STACK_OF(X509) *sk, const unsigned char *der, size_t len,
    size_t maxcount, struct err *e)
{
	const unsigned char	*p = der;
	PKCS7			*p7;
	STACK_OF(X509)		*certs = NULL;
	int			 i, rc = 0;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL)
		return err_openssl(e, ERR_INVAL, "not a certificate or PKCS#7");
	if (p != der + len) {
		rc = err_set(e, ERR_INVAL, "trailing data after PKCS#7");
		goto out;
	}
	if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	else if (PKCS7_type_is_signedAndEnveloped(p7) &&
	    p7->d.signed_and_enveloped != NULL)
		certs = p7->d.signed_and_enveloped->cert;
	else {
		rc = err_set(e, ERR_INVAL, "PKCS#7 is not signed data");
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509	*x = sk_X509_value(certs, i);

		if (!X509_up_ref(x)) {
			rc = err_nomem(e);
			goto out;
		}
		if ((rc = cert_push(sk, x, maxcount, e)) != 0)
			goto out;
	}
 out:
	PKCS7_free(p7);
	return rc;
}

static int
cert_from_der(STACK_OF(X509) *sk, const unsigned char *der, size_t len,
    size_t maxcount, struct err *e)
{
	const unsigned char	*p = der;
	X509			*x;

	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p != der + len) {
			X509_free(x);
			return err_set(e, ERR_INVAL,
			    "trailing data after certificate");
		}
		return cert_push(sk, x, maxcount, e);
	}
	ERR_clear_error();
	return cert_from_p7(sk, der, len, maxcount, e);
}

static int
cert_from_pem(STACK_OF(X509) *sk, const unsigned char *buf, size_t len,
    size_t maxcount, struct err *e)
{
	BIO		*bio = NULL;
	char		*name = NULL, *hdr = NULL;
	unsigned char	*data = NULL;
	char		 nm[128];
	long		 dlen;
	int		 rc = 0, blocks = 0;

	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return err_nomem(e);
	for (;;) {
		if (PEM_read_bio(bio, &name, &hdr, &data, &dlen) != 1) {
			unsigned long	 l = ERR_peek_last_error();

			if (ERR_GET_REASON(l) == PEM_R_NO_START_LINE &&
			    blocks > 0) {
				ERR_clear_error();
				break;
			}
			rc = err_openssl(e, ERR_INVAL, "bad PEM block %d",
			    blocks + 1);
			goto out;
		}
		blocks++;
		if (strcmp(name, "CERTIFICATE") == 0 ||
		    strcmp(name, "X509 CERTIFICATE") == 0)
			rc = cert_from_der(sk, data, (size_t)dlen, maxcount, e);
		else if (strcmp(name, "PKCS7") == 0)
			rc = cert_from_p7(sk, data, (size_t)dlen, maxcount, e);
		else
			rc = err_set(e, ERR_INVAL, "PEM block %d is a %s, not a "
			    "certificate", blocks, text_esc(nm, sizeof(nm),
			    name));
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(data);
		name = hdr = NULL;
		data = NULL;
		if (rc != 0)
			goto out;
	}
 out:
	BIO_free(bio);
	return rc;
}

int
cert_parse_any(STACK_OF(X509) **out, const unsigned char *buf, size_t len,
    size_t maxcount, struct err *e)
{
	STACK_OF(X509)	*sk;
	int		 rc;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVAL, "empty input");
	if (len > INT32_MAX)
		return err_set(e, ERR_TOOBIG, "input too large");
	if ((sk = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
		rc = cert_from_pem(sk, buf, len, maxcount, e);
	else
		rc = cert_from_der(sk, buf, len, maxcount, e);
	if (rc == 0 && sk_X509_num(sk) == 0)
		rc = err_set(e, ERR_INVAL, "no certificate found");
	if (rc != 0) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return 0;
}
