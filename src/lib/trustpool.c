/*
 * trustpool: bundle parsing, the built-in and downloaded sets, atomic
 * replace, subject deactivation and the update schedule.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "fetch.h"
#include "paste.h"
#include "store.h"
#include "testhook.h"
#include "text.h"
#include "trustpool.h"

/* Made at build time from the builtin_bundle option (bin2c). */
extern const unsigned char	trustpool_builtin_data[];
extern const size_t		trustpool_builtin_len;

/* The retry points of the reference text, in days before expiry. */
static const int	trustpool_retry_days[] = { 20, 15, 10, 5, 4, 3, 2, 1 };

/* The meta file is a few short lines; anything bigger is corrupt. */
#define TRUSTPOOL_METAMAX	8192

const char *
trustpool_format_name(enum trustpool_format f)
{
	switch (f) {
	case TRUSTPOOL_FMT_PEM:
		return "PEM";
	case TRUSTPOOL_FMT_P7:
		return "PKCS#7";
	case TRUSTPOOL_FMT_P7_SIGNED:
		return "PKCS#7 signed";
	}
	return "?";
}

const char *
trustpool_origin_name(enum trustpool_origin o)
{
	return o == TRUSTPOOL_BUILTIN ? "Built-In" : "Downloaded";
}

void
trustpool_bundle_free(struct trustpool_bundle *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	sk_X509_pop_free(b->certs, X509_free);
	for (i = 0; i < b->nskips; i++)
		free(b->skips[i].subject);
	free(b->skips);
	free(b->signer);
	free(b);
}

static int
trustpool_push(STACK_OF(X509) *sk, X509 *x, struct err *e)
{
	int	 rc;

	if ((rc = cert_sigalg_check(x, e)) != 0) {
		X509_free(x);
		return rc;
	}
	if ((size_t)sk_X509_num(sk) >= TRUSTPOOL_MAXCERTS) {
		X509_free(x);
		return err_set(e, ERR_TOOBIG, "bundle: more than %u "
		    "certificates", TRUSTPOOL_MAXCERTS);
	}
	if (sk_X509_push(sk, x) <= 0) {
		X509_free(x);
		return err_nomem(e);
	}
	return 0;
}

/*
 * Where a signed bundle's signer must chain to: the given anchors, or the
 * pool in st, loaded only when a bundle turns out to be signed (parsing
 * certificates is what an import costs: OpenSSL 3.0 decodes every public
 * key, so loading the pool for nothing would double an import's time).
 */
struct trustpool_signers {
	STACK_OF(X509)	*anchors;
	struct store	*st;
};

static int
trustpool_signers_load(STACK_OF(X509) **out, const struct trustpool_signers
    *sg, struct err *e)
{
	struct trustpool	*tp = NULL;
	int			 rc;

	*out = NULL;
	if (sg->anchors != NULL) {
		if ((*out = sk_X509_dup(sg->anchors)) == NULL)
			return err_nomem(e);
		return 0;
	}
	if ((rc = trustpool_load(&tp, sg->st, e)) != 0)
		return rc;
	rc = trustpool_anchors(out, tp, e);
	trustpool_free(tp);
	return rc;
}

/* A bundle signer must chain to the pool (RFC 5280 path validation). */
static int
trustpool_signer_chain(X509_STORE *store, X509 *signer,
    STACK_OF(X509) *untrusted, struct err *e)
{
	X509_STORE_CTX	*ctx = NULL;
	char		*dn = NULL;
	int		 rc = 0;

	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, store, signer, untrusted)) {
		rc = err_openssl(e, ERR_NOMEM, "X509_STORE_CTX_init");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		dn = cert_dn(X509_get_subject_name(signer), CERT_DN_UPPER);
		rc = err_set(e, ERR_REFUSED, "bundle: signer %s does not chain "
		    "to the trust pool: %s", dn ? dn : "?",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(
		    ctx)));
		ERR_clear_error();
	}
 out:
	free(dn);
	X509_STORE_CTX_free(ctx);
	return rc;
}

/*
 * A signed bundle: every signature must verify, the signers chaining to
 * the pool's active anchors (the bundle's own certificates serve as
 * untrusted intermediates).  Sets b->signer.
 */
/*
 * Any certificate that chains to the pool could otherwise sign a bundle
 * of rogue roots (a web server's certificate, say): a bundle signer must
 * be a code-signing certificate (RFC 5280 4.2.1.12).
 */
static int
trustpool_signer_eku(X509 *signer, struct err *e)
{
	char	*dn;
	int	 rc;

	if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) != 0 &&
	    (X509_get_extended_key_usage(signer) & XKU_CODE_SIGN) != 0)
		return 0;
	dn = cert_dn(X509_get_subject_name(signer), CERT_DN_UPPER);
	rc = err_set(e, ERR_REFUSED, "bundle: signer %s is not a code-signing "
	    "certificate (RFC 5280 4.2.1.12: extendedKeyUsage codeSigning "
	    "required of a bundle signer)", dn ? dn : "?");
	free(dn);
	return rc;
}

static int
trustpool_p7_verify(struct trustpool_bundle *b, PKCS7 *p7, BIO *content,
    const struct trustpool_signers *sg, time_t now, struct err *e)
{
	STACK_OF(X509)		*signers = NULL, *anchors = NULL;
	X509_STORE		*store = NULL;
	X509_VERIFY_PARAM	*vpm = NULL;
	int			 i, rc = 0;

	if ((sg->anchors != NULL || sg->st != NULL) &&
	    (rc = trustpool_signers_load(&anchors, sg, e)) != 0)
		goto out;
	if (anchors == NULL || sk_X509_num(anchors) == 0) {
		rc = err_set(e, ERR_REFUSED, "bundle: signed, but the pool has "
		    "no certificate to check its signer");
		goto out;
	}
	if (PKCS7_get_detached(p7)) {
		rc = err_set(e, ERR_INVAL, "bundle: detached signature "
		    "without content cannot be checked");
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    (vpm = X509_VERIFY_PARAM_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(anchors, i))) {
			rc = err_openssl(e, ERR_CRYPTO, "bundle: "
			    "X509_STORE_add_cert");
			goto out;
		}
	/* Bundle signers are not S/MIME mail signers: any purpose. */
	X509_VERIFY_PARAM_set_purpose(vpm, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_time(vpm, now);
	X509_STORE_set1_param(store, vpm);
	/* The signatures first, then each signer's chain for a clear reason. */
	if (PKCS7_verify(p7, NULL, store, NULL, content,
	    PKCS7_BINARY | PKCS7_NOVERIFY) != 1) {
		rc = err_openssl(e, ERR_REFUSED, "bundle: RFC 2315 9.4: "
		    "signature does not verify");
		goto out;
	}
	if ((signers = PKCS7_get0_signers(p7, NULL, 0)) == NULL ||
	    sk_X509_num(signers) == 0) {
		rc = err_openssl(e, ERR_REFUSED, "bundle: no signer "
		    "certificate");
		goto out;
	}
	for (i = 0; i < sk_X509_num(signers); i++)
		if ((rc = trustpool_signer_chain(store, sk_X509_value(signers,
		    i), p7->d.sign->cert, e)) != 0 ||
		    (rc = trustpool_signer_eku(sk_X509_value(signers, i),
		    e)) != 0)
			goto out;
	if ((b->signer = cert_dn(X509_get_subject_name(sk_X509_value(signers,
	    0)), CERT_DN_UPPER)) == NULL)
		rc = err_nomem(e);
 out:
	sk_X509_free(signers);
	/* A dup of the caller's, or up-referenced copies of the pool's. */
	if (sg->anchors != NULL)
		sk_X509_free(anchors);
	else
		sk_X509_pop_free(anchors, X509_free);
	X509_VERIFY_PARAM_free(vpm);
	X509_STORE_free(store);
	return rc;
}

/*
 * A shallow view of a PKCS#7 SignedData (RFC 2315 9.1): every element an
 * opaque TLV, so that the certificates can be counted before d2i_PKCS7
 * decodes each of them (and each public key): a 64 MiB bundle of tiny
 * certificates must hit the count cap, not a long parse.
 */
typedef struct {
	ASN1_INTEGER		*version;
	STACK_OF(ASN1_TYPE)	*digest_algs;
	ASN1_TYPE		*content;
	STACK_OF(ASN1_TYPE)	*certs;
	STACK_OF(ASN1_TYPE)	*crls;
	STACK_OF(ASN1_TYPE)	*signer_infos;
} TRUSTPOOL_SD;

typedef struct {
	ASN1_OBJECT		*type;
	TRUSTPOOL_SD		*sd;
} TRUSTPOOL_CI;

DECLARE_ASN1_ITEM(TRUSTPOOL_SD)
DECLARE_ASN1_ITEM(TRUSTPOOL_CI)

ASN1_SEQUENCE(TRUSTPOOL_SD) = {
	ASN1_SIMPLE(TRUSTPOOL_SD, version, ASN1_INTEGER),
	ASN1_SET_OF(TRUSTPOOL_SD, digest_algs, ASN1_ANY),
	ASN1_SIMPLE(TRUSTPOOL_SD, content, ASN1_ANY),
	ASN1_IMP_SET_OF_OPT(TRUSTPOOL_SD, certs, ASN1_ANY, 0),
	ASN1_IMP_SET_OF_OPT(TRUSTPOOL_SD, crls, ASN1_ANY, 1),
	ASN1_SET_OF(TRUSTPOOL_SD, signer_infos, ASN1_ANY),
} ASN1_SEQUENCE_END(TRUSTPOOL_SD)

ASN1_SEQUENCE(TRUSTPOOL_CI) = {
	ASN1_SIMPLE(TRUSTPOOL_CI, type, ASN1_OBJECT),
	ASN1_EXP_OPT(TRUSTPOOL_CI, sd, TRUSTPOOL_SD, 0),
} ASN1_SEQUENCE_END(TRUSTPOOL_CI)

/*
 * ERR_TOOBIG when the bundle holds more than TRUSTPOOL_MAXCERTS
 * certificates.  Anything this view does not parse as a SignedData is
 * refused here, before d2i_PKCS7 would decode every certificate of some
 * other content type (signedAndEnvelopedData) past the cap.
 */
static int
trustpool_p7_count(const unsigned char *der, size_t len, struct err *e)
{
	const unsigned char	*p = der;
	TRUSTPOOL_CI		*ci;
	int			 n = -1;

	ci = (TRUSTPOOL_CI *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(TRUSTPOOL_CI));
	if (ci != NULL && ci->sd != NULL &&
	    OBJ_obj2nid(ci->type) == NID_pkcs7_signed)
		n = sk_ASN1_TYPE_num(ci->sd->certs);
	ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(TRUSTPOOL_CI));
	ERR_clear_error();
	if (n < 0)
		return err_set(e, ERR_INVAL, "bundle: RFC 2315 9.1: not a "
		    "PKCS#7 signedData (truncated, damaged, or another content "
		    "type)");
	if (n > (int)TRUSTPOOL_MAXCERTS)
		return err_set(e, ERR_TOOBIG, "bundle: %d certificates, more "
		    "than %u", n, TRUSTPOOL_MAXCERTS);
	return 0;
}

static int	trustpool_pem(struct trustpool_bundle *, STACK_OF(X509) *,
		    const unsigned char *, size_t, struct err *);
static int	trustpool_is_der(const unsigned char *, size_t);
static int	trustpool_p7(struct trustpool_bundle *, STACK_OF(X509) *,
		    const unsigned char *, size_t,
		    const struct trustpool_signers *, time_t, struct err *);

/*
 * A signed bundle installs only what its signature covers: the signed
 * content, itself a certificates-only PKCS#7 (DER) or PEM certificates.
 * The SignedData's own certificate set is not signed (anyone on the path
 * could add a rogue root to it): it only helps chain the signer.
 */
static int
trustpool_p7_signed(struct trustpool_bundle *b, STACK_OF(X509) *all,
    PKCS7 *p7, const struct trustpool_signers *sg, time_t now, struct err *e)
{
	struct trustpool_bundle	 inner;
	BIO			*content = NULL;
	const unsigned char	*data;
	long			 n;
	int			 rc;

	memset(&inner, 0, sizeof(inner));
	if ((content = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	if ((rc = trustpool_p7_verify(b, p7, content, sg, now, e)) != 0)
		goto out;
	n = BIO_get_mem_data(content, (char **)&data);
	if (n <= 0) {
		rc = err_set(e, ERR_INVAL, "bundle: the signed content is "
		    "empty: certificates outside it are not covered by the "
		    "signature");
		goto out;
	}
	if (trustpool_is_der(data, (size_t)n))
		rc = trustpool_p7(&inner, all, data, (size_t)n, NULL, now, e);
	else
		rc = trustpool_pem(&inner, all, data, (size_t)n, e);
	b->noutside = inner.noutside;
	if (rc != 0)
		err_prefix(e, "bundle: signed content");
	else if (sk_X509_num(all) == 0)
		rc = err_set(e, ERR_INVAL, "bundle: the signed content holds no "
		    "certificate");
 out:
	BIO_free(content);
	return rc;
}

/*
 * The certificates of a PKCS#7 SignedData: degenerate (certificates
 * only), or signed (trustpool_p7_signed).  sg is NULL for the content of
 * a signed bundle, which may not be signed again.
 */
static int
trustpool_p7(struct trustpool_bundle *b, STACK_OF(X509) *all,
    const unsigned char *der, size_t len, const struct trustpool_signers *sg,
    time_t now, struct err *e)
{
	const unsigned char	*p = der;
	PKCS7			*p7 = NULL;
	STACK_OF(X509)		*certs;
	int			 i, rc = 0;

	if (len > LONG_MAX)
		return err_set(e, ERR_TOOBIG, "bundle too large");
	if ((rc = trustpool_p7_count(der, len, e)) != 0)
		return rc;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL) {
		rc = err_openssl(e, ERR_INVAL, "bundle: not PKCS#7 DER");
		goto out;
	}
	if (p != der + len) {
		rc = err_set(e, ERR_INVAL, "bundle: %zu bytes of trailing "
		    "data after the PKCS#7", len - (size_t)(p - der));
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		rc = err_set(e, ERR_INVAL, "bundle: RFC 2315 9.1: PKCS#7 "
		    "content type is not signedData");
		goto out;
	}
	if (sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) > 0) {
		if (sg == NULL) {
			rc = err_set(e, ERR_INVAL, "bundle: a signed bundle "
			    "inside a signed bundle");
			goto out;
		}
		b->format = TRUSTPOOL_FMT_P7_SIGNED;
		rc = trustpool_p7_signed(b, all, p7, sg, now, e);
		goto out;
	}
	b->format = TRUSTPOOL_FMT_P7;
	certs = p7->d.sign->cert;
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509	*x = sk_X509_value(certs, i);

		if (!X509_up_ref(x)) {
			rc = err_nomem(e);
			goto out;
		}
		if ((rc = trustpool_push(all, x, e)) != 0)
			goto out;
	}
 out:
	PKCS7_free(p7);
	return rc;
}

/* Concatenated PEM: every block must be a certificate, or refuse all. */
static int
trustpool_pem(struct trustpool_bundle *b, STACK_OF(X509) *all,
    const unsigned char *buf, size_t len, struct err *e)
{
	BIO			*bio = NULL;
	char			*name = NULL, *hdr = NULL, nm[72];
	unsigned char		*data = NULL;
	const unsigned char	*p;
	X509			*x;
	long			 dlen;
	int			 rc = 0, blocks = 0;

	b->format = TRUSTPOOL_FMT_PEM;
	if (len > INT32_MAX)
		return err_set(e, ERR_TOOBIG, "bundle too large");
	b->noutside = paste_outside_lines((const char *)buf, len);
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return err_nomem(e);
	for (;;) {
		if (PEM_read_bio(bio, &name, &hdr, &data, &dlen) != 1) {
			unsigned long	 l = ERR_peek_last_error();

			if (ERR_GET_LIB(l) == ERR_LIB_PEM &&
			    ERR_GET_REASON(l) == PEM_R_NO_START_LINE &&
			    blocks > 0) {
				ERR_clear_error();
				break;
			}
			rc = err_openssl(e, ERR_INVAL, "bundle: PEM block %d "
			    "is damaged", blocks + 1);
			goto out;
		}
		blocks++;
		if (strcmp(name, "CERTIFICATE") != 0 &&
		    strcmp(name, "X509 CERTIFICATE") != 0) {
			rc = err_set(e, ERR_INVAL, "bundle: PEM block %d is "
			    "a %s, not a CERTIFICATE", blocks,
			    text_esc(nm, sizeof(nm), name));
			goto out;
		}
		p = data;
		if ((x = d2i_X509(NULL, &p, dlen)) == NULL) {
			rc = err_openssl(e, ERR_INVAL, "bundle: PEM block %d "
			    "is not a valid X.509 certificate", blocks);
			goto out;
		}
		if (p != data + dlen) {
			X509_free(x);
			rc = err_set(e, ERR_INVAL, "bundle: PEM block %d has "
			    "trailing data after the certificate", blocks);
			goto out;
		}
		if ((rc = trustpool_push(all, x, e)) != 0)
			goto out;
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(data);
		name = hdr = NULL;
		data = NULL;
	}
 out:
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	BIO_free(bio);
	return rc;
}

static const char *
trustpool_ca_reason(X509 *x)
{
	uint32_t	 fl = X509_get_extension_flags(x);

	if (fl & EXFLAG_INVALID)
		return "invalid or duplicate extensions";
	if (cert_is_ca(x))
		return NULL;
	if (fl & EXFLAG_BCONS)
		return "not a CA certificate (basicConstraints CA:FALSE)";
	return "not a CA certificate (no basicConstraints, and not a "
	    "self-signed v1 root)";
}

static int
trustpool_add_skip(struct trustpool_bundle *b, size_t idx, X509 *x,
    const char *reason, struct err *e)
{
	struct trustpool_skip	*s;

	s = &b->skips[b->nskips];
	s->index = idx + 1;
	s->reason = reason;
	if ((s->subject = cert_dn(X509_get_subject_name(x),
	    CERT_DN_UPPER)) == NULL)
		return err_nomem(e);
	b->nskips++;
	return 0;
}

struct trustpool_pos {
	X509	*x;
	size_t	 pos;
};

static int
trustpool_cmp_pos(const void *a, const void *b)
{
	const struct trustpool_pos	*pa = a, *pb = b;
	int				 c;

	if ((c = X509_cmp(pa->x, pb->x)) != 0)
		return c;
	/* Equal certificates: the first in the bundle sorts first. */
	return pa->pos < pb->pos ? -1 : pa->pos > pb->pos;
}

/*
 * Keep CA certificates, once each, in bundle order.  Duplicates are found
 * by sorting (X509_cmp: cached SHA-1, then DER) so that 10,000
 * certificates cost n log n, not n squared.
 */
static int
trustpool_filter(struct trustpool_bundle *b, STACK_OF(X509) *all,
    struct err *e)
{
	struct trustpool_pos	*sorted = NULL;
	unsigned char		*dup = NULL;
	const char		*why;
	size_t			 n = (size_t)sk_X509_num(all), i;
	int			 rc = 0;

	b->total = n;
	if (n == 0)
		return err_set(e, ERR_INVAL, "bundle: no certificate found");
	if ((sorted = calloc(n, sizeof(*sorted))) == NULL ||
	    (dup = calloc(n, 1)) == NULL ||
	    (b->skips = calloc(n, sizeof(*b->skips))) == NULL ||
	    (b->certs = sk_X509_new_reserve(NULL, (int)n)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		sorted[i].x = sk_X509_value(all, (int)i);
		sorted[i].pos = i;
	}
	qsort(sorted, n, sizeof(*sorted), trustpool_cmp_pos);
	for (i = 1; i < n; i++)
		if (X509_cmp(sorted[i - 1].x, sorted[i].x) == 0)
			dup[sorted[i].pos] = 1;
	for (i = 0; i < n; i++) {
		X509	*x = sk_X509_value(all, (int)i);

		if (dup[i])
			why = "duplicate of an earlier certificate";
		else
			why = trustpool_ca_reason(x);
		if (why != NULL) {
			if ((rc = trustpool_add_skip(b, i, x, why, e)) != 0)
				goto out;
			continue;
		}
		if (!X509_up_ref(x)) {
			rc = err_nomem(e);
			goto out;
		}
		if (sk_X509_push(b->certs, x) <= 0) {
			X509_free(x);
			rc = err_nomem(e);
			goto out;
		}
	}
	if (sk_X509_num(b->certs) == 0)
		rc = err_set(e, ERR_INVAL, "bundle: none of its %zu "
		    "certificates is a CA certificate", n);
 out:
	free(sorted);
	free(dup);
	return rc;
}

/*
 * DER (for trustpool_p7 to parse or refuse) rather than PEM: it starts
 * with a SEQUENCE tag, and when it also holds "-----BEGIN " (binary DER
 * may: a signed bundle of PEM content does), its first TLV's header is
 * well-formed and its length fits the buffer.  PEM text starting with a
 * '0' line is the one case this reads as DER, and is refused.
 */
static int
trustpool_is_der(const unsigned char *buf, size_t len)
{
	const unsigned char	*p = buf;
	long			 n;
	int			 tag, cls;

	if (len < 2 || buf[0] != 0x30 || len > LONG_MAX)
		return 0;
	if (memmem(buf, len, "-----BEGIN ", 11) == NULL)
		return 1;
	if (ASN1_get_object(&p, &n, &tag, &cls, (long)len) & 0x80) {
		ERR_clear_error();
		return 0;
	}
	return tag == V_ASN1_SEQUENCE && (size_t)(p - buf) + (size_t)n <= len;
}

static int
trustpool_parse(struct trustpool_bundle **out, const unsigned char *buf,
    size_t len, const struct trustpool_signers *sg, time_t now,
    struct err *e)
{
	struct trustpool_bundle	*b = NULL;
	STACK_OF(X509)		*all = NULL;
	int			 rc;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVAL, "bundle: empty");
	if (len > TRUSTPOOL_MAXSIZE)
		return err_set(e, ERR_TOOBIG, "bundle: %zu bytes, over the "
		    "%u byte cap", len, TRUSTPOOL_MAXSIZE);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (all = sk_X509_new_null()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (EVP_Digest(buf, len, b->sha256, NULL, EVP_sha256(), NULL) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "bundle: SHA-256");
		goto out;
	}
	if (trustpool_is_der(buf, len))
		rc = trustpool_p7(b, all, buf, len, sg, now, e);
	else if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
		rc = trustpool_pem(b, all, buf, len, e);
	else
		rc = err_set(e, ERR_INVAL, "bundle: neither PKCS#7 DER nor "
		    "PEM certificates");
	if (rc != 0)
		goto out;
	if ((rc = trustpool_filter(b, all, e)) != 0)
		goto out;
	*out = b;
	b = NULL;
 out:
	ERR_clear_error();
	sk_X509_pop_free(all, X509_free);
	trustpool_bundle_free(b);
	return rc;
}

int
trustpool_bundle_parse(struct trustpool_bundle **out,
    const unsigned char *buf, size_t len, STACK_OF(X509) *anchors,
    time_t now, struct err *e)
{
	struct trustpool_signers	 sg = { anchors, NULL };

	return trustpool_parse(out, buf, len, &sg, now, e);
}

int
trustpool_builtin_bytes(unsigned char **out, size_t *outlen, struct err *e)
{
	const char	*path = testhook_get(TESTHOOK_BUILTIN_BUNDLE);
	char		*buf = NULL;
	int		 rc;

	*out = NULL;
	*outlen = 0;
	if (path != NULL) {
		if ((rc = store_file_read(path, &buf, outlen,
		    TRUSTPOOL_MAXSIZE, e)) != 0)
			return err_prefix(e, "built-in bundle");
		*out = (unsigned char *)buf;
		return 0;
	}
	if ((buf = malloc(trustpool_builtin_len + 1)) == NULL)
		return err_nomem(e);
	memcpy(buf, trustpool_builtin_data, trustpool_builtin_len);
	buf[trustpool_builtin_len] = '\0';
	*out = (unsigned char *)buf;
	*outlen = trustpool_builtin_len;
	return 0;
}

void
trustpool_free(struct trustpool *tp)
{
	size_t	 i;

	if (tp == NULL)
		return;
	for (i = 0; i < tp->n; i++)
		X509_free(tp->v[i].x509);
	free(tp->v);
	free(tp);
}

static int
trustpool_append(struct trustpool *tp, size_t *cap, STACK_OF(X509) *sk,
    enum trustpool_origin origin, struct err *e)
{
	struct trustpool_entry	*nv;
	size_t			 need = tp->n + (size_t)sk_X509_num(sk);
	int			 i;

	if (need > *cap) {
		if ((nv = reallocarray(tp->v, need, sizeof(*nv))) == NULL)
			return err_nomem(e);
		tp->v = nv;
		*cap = need;
	}
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509	*x = sk_X509_value(sk, i);

		if (!X509_up_ref(x))
			return err_nomem(e);
		tp->v[tp->n].x509 = x;
		tp->v[tp->n].origin = origin;
		tp->v[tp->n].active = 1;
		tp->n++;
	}
	return 0;
}

/* Provenance lines at the head of downloaded.pem: "# key: value". */
static void
trustpool_read_header(struct trustpool *tp, const char *buf)
{
	const char	*p = buf, *nl;
	size_t		 n;

	while (p[0] == '#') {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		n = (size_t)(nl - p);
		if (n > 10 && strncmp(p, "# source: ", 10) == 0)
			snprintf(tp->source, sizeof(tp->source), "%.*s",
			    (int)(n - 10), p + 10);
		else if (n > 10 && strncmp(p, "# format: ", 10) == 0)
			snprintf(tp->format, sizeof(tp->format), "%.*s",
			    (int)(n - 10), p + 10);
		else if (n > 11 && strncmp(p, "# fetched: ", 11) == 0)
			tp->fetched = (time_t)strtoll(p + 11, NULL, 10);
		else if (n > 16 && strncmp(p, "# certificates: ", 16) == 0)
			tp->ndownloaded = strtoul(p + 16, NULL, 10);
		p = nl + 1;
	}
}

static int
trustpool_cmp_subject(const void *a, const void *b)
{
	X509 *const	*xa = a, *const *xb = b;

	return X509_NAME_cmp(X509_get_subject_name(*xa),
	    X509_get_subject_name(*xb));
}

/* The reference text's note: a downloaded subject retires a built-in. */
static int
trustpool_deactivate(struct trustpool *tp, struct err *e)
{
	X509	**subj = NULL;
	X509	 *key;
	size_t	  nd = tp->n - tp->nbuiltin, i;

	if (nd == 0)
		return 0;
	if ((subj = calloc(nd, sizeof(*subj))) == NULL)
		return err_nomem(e);
	for (i = 0; i < nd; i++)
		subj[i] = tp->v[tp->nbuiltin + i].x509;
	qsort(subj, nd, sizeof(*subj), trustpool_cmp_subject);
	for (i = 0; i < tp->nbuiltin; i++) {
		key = tp->v[i].x509;
		if (bsearch(&key, subj, nd, sizeof(*subj),
		    trustpool_cmp_subject) != NULL) {
			tp->v[i].active = 0;
			tp->ninactive++;
		}
	}
	free(subj);
	return 0;
}

int
trustpool_load(struct trustpool **out, struct store *st, struct err *e)
{
	struct trustpool	*tp = NULL;
	struct trustpool_bundle	*b = NULL;
	unsigned char		*buf = NULL;
	char			*dl = NULL;
	size_t			 len = 0, cap = 0;
	int			 rc;

	*out = NULL;
	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return err_nomem(e);
	if ((rc = trustpool_builtin_bytes(&buf, &len, e)) != 0)
		goto out;
	if (len > 0) {
		if ((rc = trustpool_bundle_parse(&b, buf, len, NULL, 0,
		    e)) != 0) {
			err_prefix(e, "built-in bundle");
			goto out;
		}
		if ((rc = trustpool_append(tp, &cap, b->certs,
		    TRUSTPOOL_BUILTIN, e)) != 0)
			goto out;
		trustpool_bundle_free(b);
		b = NULL;
	}
	tp->nbuiltin = tp->n;
	if (st != NULL) {
		rc = store_read(st, TRUSTPOOL_FILE, &dl, &len,
		    TRUSTPOOL_MAXSIZE, e);
		if (rc == ERR_NOTFOUND)
			rc = 0;
		else if (rc != 0)
			goto out;
		else {
			trustpool_read_header(tp, dl);
			if ((rc = trustpool_bundle_parse(&b,
			    (unsigned char *)dl, len, NULL, 0, e)) != 0) {
				err_prefix(e, "%s/%s", store_dir(st),
				    TRUSTPOOL_FILE);
				goto out;
			}
			if ((rc = trustpool_append(tp, &cap, b->certs,
			    TRUSTPOOL_DOWNLOADED, e)) != 0)
				goto out;
		}
	}
	if ((rc = trustpool_deactivate(tp, e)) != 0)
		goto out;
	*out = tp;
	tp = NULL;
	err_clear(e);
 out:
	trustpool_bundle_free(b);
	free(buf);
	free(dl);
	trustpool_free(tp);
	return rc;
}

int
trustpool_anchors(STACK_OF(X509) **out, const struct trustpool *tp,
    struct err *e)
{
	STACK_OF(X509)	*sk;
	size_t		 i;
	int		 rc = 0;

	*out = NULL;
	if ((sk = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	for (i = 0; tp != NULL && i < tp->n; i++) {
		if (!tp->v[i].active)
			continue;
		if (!X509_up_ref(tp->v[i].x509)) {
			rc = err_nomem(e);
			goto out;
		}
		if (sk_X509_push(sk, tp->v[i].x509) <= 0) {
			X509_free(tp->v[i].x509);
			rc = err_nomem(e);
			goto out;
		}
	}
	*out = sk;
	sk = NULL;
 out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

const struct trustpool_entry *
trustpool_find(const struct trustpool *tp, const X509 *x)
{
	size_t	 i;

	for (i = 0; tp != NULL && i < tp->n; i++)
		if (X509_cmp(tp->v[i].x509, x) == 0)
			return &tp->v[i];
	return NULL;
}

void
trustpool_policy_get(struct trustpool_policy *p, const struct config *c)
{
	const char	*url;

	memset(p, 0, sizeof(*p));
	if (c == NULL)
		return;
	url = config_value(c, TRUSTPOOL_BLOCK, "cabundle url");
	if (url != NULL && strcmp(url, "none") == 0)
		p->cabundle_none = 1;
	else if (url != NULL && *url != '\0')
		p->cabundle_url = url;
	p->crl_optional = config_has(c, TRUSTPOOL_BLOCK, "crl optional");
	p->description = config_value(c, TRUSTPOOL_BLOCK, "description");
	p->vrf = config_value(c, TRUSTPOOL_BLOCK, "vrf");
}

int
trustpool_fetch(struct trustpool_bundle **out, const char *url,
    const struct fetch_opts *fo, struct store *st, time_t now, struct err *e)
{
	struct trustpool_signers	 sg = { NULL, st };
	struct fetch_result		 r;
	int				 rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if ((rc = fetch_get_max(&r, url, fo, TRUSTPOOL_MAXSIZE, 300, e)) != 0)
		goto out;
	if ((rc = trustpool_parse(out, (unsigned char *)r.body, r.len, &sg,
	    now, e)) != 0)
		err_prefix(e, "%s", url);
	else
		(*out)->insecure = !fetch_integrity(&r);
 out:
	fetch_result_free(&r);
	return rc;
}

/* The URL as a header line: printable ASCII only, so it stays one line. */
static void
trustpool_clean_line(char *dst, size_t sz, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < sz && src[i] != '\0'; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

int
trustpool_install(struct store *st, const struct trustpool_bundle *b,
    const char *source, time_t now, struct err *e)
{
	struct trustpool_meta	 m;
	BIO			*bio = NULL;
	BUF_MEM			*mem;
	char			 src[1024], fmt[512];
	int			 i, rc = 0, locked = 0;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	trustpool_clean_line(src, sizeof(src), source ? source : "-");
	if (b->format == TRUSTPOOL_FMT_P7_SIGNED && b->signer != NULL)
		snprintf(fmt, sizeof(fmt), "%s by %s",
		    trustpool_format_name(b->format), b->signer);
	else
		snprintf(fmt, sizeof(fmt), "%s",
		    trustpool_format_name(b->format));
	for (i = 0; fmt[i] != '\0'; i++)
		if ((unsigned char)fmt[i] < 0x20)
			fmt[i] = '?';
	if (BIO_printf(bio, "# netpki trust pool: downloaded bundle\n"
	    "# source: %s\n# fetched: %lld\n# format: %s\n# certificates: "
	    "%d\n", src, (long long)now, fmt, sk_X509_num(b->certs)) <= 0) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(b->certs); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(b->certs, i))) {
			rc = err_openssl(e, ERR_CRYPTO, "PEM_write_bio_X509");
			goto out;
		}
	BIO_get_mem_ptr(bio, &mem);
	if ((rc = store_lock(st, e)) != 0)
		goto out;
	locked = 1;
	if ((rc = store_write(st, TRUSTPOOL_FILE, mem->data, mem->length,
	    STORE_PUBLIC, e)) != 0)
		goto out;
	/* The timer restarts from this success, whoever made it. */
	if (trustpool_meta_read(&m, st, NULL) != 0)
		memset(&m, 0, sizeof(m));
	m.last_success = now;
	m.last_failure = 0;
	m.last_error[0] = '\0';
	rc = trustpool_meta_write(st, &m, e);
 out:
	if (locked)
		store_unlock(st);
	BIO_free(bio);
	return rc;
}

int
trustpool_clean(struct store *st, size_t *removed, struct err *e)
{
	struct trustpool	 hdr;
	char			*buf = NULL;
	int			 rc;

	*removed = 0;
	if ((rc = store_lock(st, e)) != 0)
		return rc;
	/* The count from the header: no need to parse what goes away. */
	if (store_read(st, TRUSTPOOL_FILE, &buf, NULL, TRUSTPOOL_MAXSIZE,
	    NULL) == 0) {
		memset(&hdr, 0, sizeof(hdr));
		trustpool_read_header(&hdr, buf);
		*removed = hdr.ndownloaded;
		free(buf);
	}
	rc = store_remove(st, TRUSTPOOL_FILE, 0, e);
	if (rc == ERR_NOTFOUND)
		err_set(e, rc, "no downloaded certificates in the trust pool");
	store_unlock(st);
	return rc;
}

int
trustpool_meta_read(struct trustpool_meta *m, struct store *st,
    struct err *e)
{
	char	*buf = NULL, *line, *save = NULL, *v;
	int	 rc;

	memset(m, 0, sizeof(*m));
	rc = store_read(st, TRUSTPOOL_META, &buf, NULL, TRUSTPOOL_METAMAX, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc != 0)
		return rc;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "last_success") == 0)
			m->last_success = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "last_failure") == 0)
			m->last_failure = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "last_warning") == 0)
			m->last_warning = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "last_error") == 0)
			snprintf(m->last_error, sizeof(m->last_error), "%s",
			    v);
	}
	free(buf);
	return 0;
}

int
trustpool_meta_write(struct store *st, const struct trustpool_meta *m,
    struct err *e)
{
	char	 buf[1024], msg[sizeof(m->last_error)];
	size_t	 i;
	int	 n;

	/* One line per key: a message never spans lines. */
	for (i = 0; i + 1 < sizeof(msg) && m->last_error[i] != '\0'; i++)
		msg[i] = (unsigned char)m->last_error[i] < 0x20 ? ' ' :
		    m->last_error[i];
	msg[i] = '\0';
	n = snprintf(buf, sizeof(buf), "last_success %lld\nlast_failure "
	    "%lld\nlast_warning %lld\nlast_error %s\n",
	    (long long)m->last_success, (long long)m->last_failure,
	    (long long)m->last_warning, msg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(e, ERR_INVAL, "trust pool meta too long");
	return store_write(st, TRUSTPOOL_META, buf, (size_t)n, STORE_PUBLIC,
	    e);
}

time_t
trustpool_expiry(const struct trustpool *tp, time_t after, X509 **which)
{
	time_t	 best = 0, t;
	size_t	 i;

	if (which != NULL)
		*which = NULL;
	/* Nothing downloaded yet: what expired before now cannot renew. */
	if (after == 0)
		after = clock_now();
	for (i = 0; tp != NULL && i < tp->n; i++) {
		if (!tp->v[i].active ||
		    cert_asn1_time(X509_get0_notAfter(tp->v[i].x509), &t) != 0 ||
		    t <= after)
			continue;
		if (best == 0 || t < best) {
			best = t;
			if (which != NULL)
				*which = tp->v[i].x509;
		}
	}
	return best;
}

static time_t
trustpool_schedule(time_t expiry, time_t last_success, time_t last_failure)
{
	time_t	 last, t;
	size_t	 i;

	last = last_success > last_failure ? last_success : last_failure;
	/*
	 * Nothing to renew: fetch once, retry hourly after a failure, then
	 * check daily for a bundle that brings something.
	 */
	if (expiry == 0)
		return last == 0 ? 0 : last_failure >= last_success ?
		    last + TRUSTPOOL_HOUR : last + TRUSTPOOL_DAY;
	for (i = 0; i < sizeof(trustpool_retry_days) /
	    sizeof(trustpool_retry_days[0]); i++) {
		t = expiry - (time_t)trustpool_retry_days[i] * TRUSTPOOL_DAY;
		if (t > last)
			return t;
	}
	return last + TRUSTPOOL_HOUR;
}

time_t
trustpool_next_update(time_t expiry, time_t last_success,
    time_t last_failure, time_t now)
{
	time_t	 t;

	t = trustpool_schedule(expiry, last_success, last_failure);
	return t < now ? now : t;
}

time_t
trustpool_next_warning(time_t last_warning, time_t now)
{
	if (last_warning == 0 || last_warning > now)
		return now;
	return last_warning + TRUSTPOOL_WARN_INTERVAL;
}
