/*
 * crl_der: a CRL walked in place.  OpenSSL's d2i_X509_CRL builds an object
 * per revoked entry (a 1M-entry CRL costs some 8x its size in memory);
 * here the TLVs are walked with ASN1_get_object, each small element is
 * decoded with OpenSSL's own d2i (into objects reused from one entry to
 * the next), and the signature is checked over the tbsCertList bytes as
 * received.  Nothing per entry outlives the entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "crl.h"
#include "crl_int.h"
#include "err.h"

/*
 * One TLV of tag (universal unless cls says otherwise) at *p, definite
 * length, within end.  *c, *clen: its contents; *p moves past it.
 */
static int
crl_tlv(const unsigned char **p, const unsigned char *end, int tag, int cls,
    const unsigned char **c, long *clen)
{
	const unsigned char	*q = *p;
	long			 len;
	int			 t, xc, r;

	if (q >= end)
		return -1;
	r = ASN1_get_object(&q, &len, &t, &xc, end - q);
	/* 0x80: error or overrun; bit 0: indefinite length (not DER). */
	if ((r & 0x80) || (r & 1) || t != tag || xc != cls ||
	    !(r & V_ASN1_CONSTRUCTED) != !(tag == V_ASN1_SEQUENCE ||
	    cls == V_ASN1_CONTEXT_SPECIFIC))
		return -1;
	*c = q;
	*clen = len;
	*p = q + len;
	return 0;
}

/* The tag at p and its class, or -1 (and class -1) at the end. */
static int
crl_peek(const unsigned char *p, const unsigned char *end, int *cls)
{
	long	 len;
	int	 t, r;

	*cls = -1;
	if (p >= end)
		return -1;
	r = ASN1_get_object(&p, &len, &t, cls, end - p);
	return (r & 0x80) ? -1 : t;
}

void
crl_der_free(struct crl_der *d)
{
	if (d == NULL)
		return;
	X509_ALGOR_free(d->alg);
	ASN1_BIT_STRING_free(d->sig);
	X509_NAME_free(d->issuer);
	ASN1_TIME_free(d->this_update);
	ASN1_TIME_free(d->next_update);
	sk_X509_EXTENSION_pop_free(d->exts, X509_EXTENSION_free);
	free(d);
}

/* tbsCertList: version, signature, issuer, times, entries, extensions. */
static int
crl_der_tbs(struct crl_der *d, const unsigned char *p, const unsigned char *end,
    struct err *e)
{
	const unsigned char	*c;
	ASN1_INTEGER		*ver = NULL;
	X509_ALGOR		*alg = NULL;
	long			 clen;
	int			 cls, t;

	if (crl_peek(p, end, &cls) == V_ASN1_INTEGER && cls == 0) {
		if ((ver = d2i_ASN1_INTEGER(NULL, &p, end - p)) == NULL)
			return err_set(e, ERR_INVAL, "CRL: bad version");
		ASN1_INTEGER_free(ver);
	}
	if ((alg = d2i_X509_ALGOR(NULL, &p, end - p)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad signature algorithm "
		    "in tbsCertList");
	X509_ALGOR_free(alg);
	if ((d->issuer = d2i_X509_NAME(NULL, &p, end - p)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad issuer name");
	if ((d->this_update = d2i_ASN1_TIME(NULL, &p, end - p)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad thisUpdate");
	t = crl_peek(p, end, &cls);
	if (cls == 0 && (t == V_ASN1_UTCTIME || t == V_ASN1_GENERALIZEDTIME) &&
	    (d->next_update = d2i_ASN1_TIME(NULL, &p, end - p)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad nextUpdate");
	if (crl_peek(p, end, &cls) == V_ASN1_SEQUENCE && cls == 0) {
		if (crl_tlv(&p, end, V_ASN1_SEQUENCE, 0, &c, &clen) != 0)
			return err_set(e, ERR_INVAL, "CRL: bad "
			    "revokedCertificates");
		d->rev = c;
		d->revlen = (size_t)clen;
	}
	if (crl_peek(p, end, &cls) == 0 && cls == V_ASN1_CONTEXT_SPECIFIC) {
		if (crl_tlv(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, &c, &clen) !=
		    0 ||
		    (d->exts = d2i_X509_EXTENSIONS(NULL, &c, clen)) == NULL ||
		    c != p)
			return err_set(e, ERR_INVAL, "CRL: bad crlExtensions");
	}
	if (p != end)
		return err_set(e, ERR_INVAL, "CRL: %ld bytes of trailing data "
		    "in tbsCertList", (long)(end - p));
	return 0;
}

void
crl_der_iter_init(struct crl_der_iter *it, const struct crl_der *d)
{
	memset(it, 0, sizeof(*it));
	it->p = d->rev;
	it->end = d->rev != NULL ? d->rev + d->revlen : NULL;
}

void
crl_der_iter_clear(struct crl_der_iter *it)
{
	ASN1_INTEGER_free(it->serial);
	ASN1_TIME_free(it->date);
	X509_EXTENSION_free(it->ext);
	ASN1_ENUMERATED_free(it->reason);
	memset(it, 0, sizeof(*it));
}

/* One entry extension's meaning to the index (RFC 5280 5.3). */
static void
crl_der_entry_ext(struct crl_der_iter *it, struct crl_der_entry *en)
{
	const ASN1_OCTET_STRING	*os = X509_EXTENSION_get_data(it->ext);
	const unsigned char	*q = ASN1_STRING_get0_data(os);
	long			 v, n = ASN1_STRING_length(os);
	int			 nid;

	nid = OBJ_obj2nid(X509_EXTENSION_get_object(it->ext));
	if (nid == NID_certificate_issuer)
		en->issuer = 1;
	else if (X509_EXTENSION_get_critical(it->ext))
		en->critical = 1;
	if (nid != NID_crl_reason)
		return;
	/* Twice, undecodable or trailing data: OpenSSL's CRL code judges. */
	if (en->reason != -1 || d2i_ASN1_ENUMERATED(&it->reason, &q, n) ==
	    NULL || q != ASN1_STRING_get0_data(os) + n) {
		en->odd = 1;
		return;
	}
	v = ASN1_ENUMERATED_get(it->reason);
	en->reason = v < 0 || v > 254 ? 0 : (int)v;
}

/* crlEntryExtensions: SEQUENCE OF Extension, walked. */
static int
crl_der_entry_exts(struct crl_der_iter *it, struct crl_der_entry *en,
    const unsigned char **p, const unsigned char *end)
{
	const unsigned char	*c, *cend;
	long			 clen;

	if (crl_tlv(p, end, V_ASN1_SEQUENCE, 0, &c, &clen) != 0)
		return -1;
	for (cend = c + clen; c < cend; crl_der_entry_ext(it, en))
		if (d2i_X509_EXTENSION(&it->ext, &c, cend - c) == NULL)
			return -1;
	return 0;
}

/*
 * The next revokedCertificates entry: 1 and *en filled (valid until the
 * next call), 0 at the end, -1 malformed.  The decoded objects are the
 * iterator's, reused from entry to entry (d2i into an existing object):
 * a million entries cost no allocation each.
 */
int
crl_der_next(struct crl_der_iter *it, struct crl_der_entry *en)
{
	const unsigned char	*c, *end;
	long			 clen;

	memset(en, 0, sizeof(*en));
	en->reason = -1;
	if (it->p == NULL || it->p == it->end)
		return 0;
	if (crl_tlv(&it->p, it->end, V_ASN1_SEQUENCE, 0, &c, &clen) != 0)
		return -1;
	end = c + clen;
	if (d2i_ASN1_INTEGER(&it->serial, &c, end - c) == NULL ||
	    d2i_ASN1_TIME(&it->date, &c, end - c) == NULL ||
	    (c < end && crl_der_entry_exts(it, en, &c, end) != 0) || c != end)
		return -1;
	en->seriallen = crl_serial_bytes(it->serial, &en->serial);
	en->date = crl_time32(it->date);
	return 1;
}

/* Walk every entry once: count, widest serial, what the index can hold. */
static int
crl_der_scan(struct crl_der *d, struct err *e)
{
	struct crl_der_iter	 it;
	struct crl_der_entry	 en;
	int			 r;

	d->width = 1;
	d->modelable = 1;
	crl_der_iter_init(&it, d);
	while ((r = crl_der_next(&it, &en)) == 1) {
		if (++d->count > CRL_MAXENTRIES) {
			r = err_set(e, ERR_TOOBIG, "CRL: more than %u entries",
			    CRL_MAXENTRIES);
			goto out;
		}
		if (en.seriallen < 0 || en.issuer || en.odd)
			d->modelable = 0;
		else if ((uint32_t)en.seriallen > d->width)
			d->width = (uint32_t)en.seriallen;
		if (en.reason != -1)
			d->reasons = 1;
		if (en.critical)
			d->entry_critical = 1;
	}
	if (r < 0)
		r = err_set(e, ERR_INVAL, "CRL: bad revokedCertificates entry "
		    "%llu", (unsigned long long)d->count + 1);
 out:
	crl_der_iter_clear(&it);
	return r;
}

/* The CRL: the outer SEQUENCE, its three parts, no trailing data. */
static int
crl_der_outer(struct crl_der *d, struct err *e)
{
	const unsigned char	*p = d->der, *end = d->der + d->len, *c, *q;
	long			 clen;

	if (crl_tlv(&p, end, V_ASN1_SEQUENCE, 0, &c, &clen) != 0)
		return err_set(e, ERR_INVAL, "CRL: not a DER X.509 CRL");
	if (p != end)
		return err_set(e, ERR_INVAL, "CRL: %zu bytes of trailing data",
		    (size_t)(end - p));
	end = c + clen;
	d->tbs = c;
	if (crl_tlv(&c, end, V_ASN1_SEQUENCE, 0, &q, &clen) != 0)
		return err_set(e, ERR_INVAL, "CRL: bad tbsCertList");
	d->tbslen = (size_t)(c - d->tbs);
	if ((d->alg = d2i_X509_ALGOR(NULL, &c, end - c)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad signatureAlgorithm");
	if ((d->sig = d2i_ASN1_BIT_STRING(NULL, &c, end - c)) == NULL)
		return err_set(e, ERR_INVAL, "CRL: bad signatureValue");
	if (c != end)
		return err_set(e, ERR_INVAL, "CRL: %ld bytes of trailing data "
		    "after signatureValue", (long)(end - c));
	return crl_der_tbs(d, q, q + clen, e);
}

int
crl_der_parse(struct crl_der **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	struct crl_der		*d;
	int			 rc;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVAL, "CRL: empty input");
	if (len > CRL_MAXSIZE)
		return err_set(e, ERR_TOOBIG, "CRL: larger than %u bytes",
		    CRL_MAXSIZE);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return err_nomem(e);
	d->der = buf;
	d->len = len;
	if ((rc = crl_der_outer(d, e)) != 0)
		goto out;
	if ((rc = cert_der_sigalg_check(buf, len, "CRL", e)) != 0)
		goto out;
	if ((rc = crl_der_scan(d, e)) != 0)
		goto out;
	*out = d;
	d = NULL;
 out:
	ERR_clear_error();
	crl_der_free(d);
	return rc;
}

/*
 * The signature over the tbsCertList bytes as received.  An algorithm
 * with a digest of its own (RSA PKCS#1 v1.5, ECDSA, DSA) is checked with
 * EVP_DigestVerify straight over the mapped bytes; the others (RSA-PSS,
 * EdDSA) take their parameters from the AlgorithmIdentifier through
 * ASN1_item_verify_ctx, whose re-encoding of an ASN1_ANY SEQUENCE is the
 * bytes themselves (one transient copy of the TBS).
 */
int
crl_der_verify(const struct crl_der *d, EVP_PKEY *pk)
{
	ASN1_STRING	*s;
	ASN1_TYPE	*t = NULL;
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx = NULL;
	int		 mdnid, pknid, ok = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(d->alg->algorithm), &mdnid,
	    &pknid) || (d->sig->flags & 7) != 0)
		goto out;
	if (mdnid != NID_undef && EVP_PKEY_is_a(pk, OBJ_nid2sn(pknid))) {
		ok = EVP_DigestVerifyInit_ex(ctx, NULL, OBJ_nid2sn(mdnid), NULL,
		    NULL, pk, NULL) == 1 && EVP_DigestVerify(ctx, d->sig->data,
		    (size_t)d->sig->length, d->tbs, d->tbslen) == 1;
		goto out;
	}
	if ((pctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    (t = ASN1_TYPE_new()) == NULL ||
	    (s = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL)
		goto out;
	/* Borrowed (set0 takes no copy), detached before the free below. */
	ASN1_STRING_set0(s, (void *)d->tbs, (int)d->tbslen);
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
	EVP_MD_CTX_set_pkey_ctx(ctx, pctx);
	ok = ASN1_item_verify_ctx(ASN1_ITEM_rptr(ASN1_ANY), d->alg, d->sig, t,
	    ctx) == 1;
	/* ASN1_STRING_set0 would free the borrowed bytes: detach by hand. */
	s->data = NULL;
	s->length = 0;
 out:
	ASN1_TYPE_free(t);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_CTX_free(pctx);
	return ok;
}
