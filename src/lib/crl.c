/*
 * crl: parse and check CRLs once, index their revoked serials, and answer
 * revocation questions from memory-mapped indexes.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "crl.h"
#include "err.h"
#include "fetch.h"
#include "store.h"
#include "text.h"

#define CRL_IDX_MAGIC		"NPKICRL1"
#define CRL_IDX_VERSION		1

#define CRL_IDX_MODELLED	0x01	/* the table answers for this CRL */
#define CRL_IDX_ONLYUSER	0x02	/* IDP onlyContainsUserCerts */
#define CRL_IDX_ONLYCA		0x04	/* IDP onlyContainsCACerts */
#define CRL_IDX_SCOPED		0x08	/* IDP names URIs: url must match */
#define CRL_IDX_DELTA		0x10	/* deltaCRLIndicator present */
#define CRL_IDX_REASONS		0x20	/* records carry a reason byte */

/*
 * On-disk header, native byte order (the cache is never shared between
 * machines).  Followed by nrec records of recsize bytes, sorted by serial:
 * serial magnitude left-padded with zeros to width bytes, revocation date
 * (uint32, seconds since the epoch, clamped), reason byte when
 * CRL_IDX_REASONS (0xff: none).
 */
struct crl_idx_hdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 flags;
	uint64_t	 count;		/* entries in the CRL */
	uint64_t	 nrec;		/* records (0 when not modelled) */
	uint32_t	 width;		/* serial bytes per record */
	uint32_t	 recsize;
	int64_t		 this_update;
	int64_t		 next_update;	/* 0: none */
	uint8_t		 signer[32];	/* SHA-256 of the verifying public key */
	uint8_t		 issuer[32];	/* crl_name_hash of the issuer name */
	char		 url[512];
	char		 issuer_dn[512];
};

struct crl_index {
	const struct crl_idx_hdr *hdr;
	const unsigned char	*recs;
	void			*map;		/* NULL for crl_index_open_mem */
	size_t			 maplen;
};

/* One slot of an issuer directory, kept open between lookups. */
struct crl_slot {
	char			 name[72];	/* "<hex>.idx" */
	struct crl_index	*idx;
};

/* An issuer directory as last read; re-read when its mtime changes. */
struct crl_issuer {
	char			 hex[33];
	unsigned char		*der;		/* name DER first seen */
	size_t			 derlen;
	unsigned char		*key;		/* last issuer key looked up */
	size_t			 keylen;
	uint8_t			 keyhash[32];	/* crl_key_hash of key */
	struct timespec		 checked;	/* last stat (monotonic) */
	struct timespec		 mtime;
	int			 present;
	struct crl_slot		*slots;
	size_t			 nslots;
	struct crl_issuer	*next;
};

struct crl_cache {
	char			*dir;
	struct crl_issuer	*issuers;
	size_t			 nissuers;
};

#define CRL_CACHE_MAXISSUERS	256	/* open issuer directories kept */
/*
 * How long a process trusts its view of an issuer directory before it
 * stat(2)s it again: a long-running verifier sees another process's new
 * CRL within this time; its own puts are seen at once.
 */
#define CRL_CACHE_RECHECK_MS	1000
#define CRL_CACHE_MAXSLOTS	64	/* CRLs per issuer */

static const char *crl_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", "value7",
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

const char *
crl_reason_str(int r)
{
	if (r < 0 || (size_t)r >= sizeof(crl_reasons) / sizeof(*crl_reasons))
		return "unspecified";
	return crl_reasons[r];
}

int
crl_parse(X509_CRL **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	const unsigned char	*p;
	unsigned char		*data = NULL;
	char			*name = NULL, *hdr = NULL, nm[72];
	long			 dlen;
	X509_CRL		*crl = NULL;
	BIO			*bio = NULL;
	int			 rc = 0;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVAL, "CRL: empty input");
	if (len > CRL_MAXSIZE)
		return err_set(e, ERR_TOOBIG, "CRL: larger than %u bytes",
		    CRL_MAXSIZE);
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return err_set(e, ERR_NOMEM, "out of memory");
		if (PEM_read_bio(bio, &name, &hdr, &data, &dlen) != 1) {
			rc = err_openssl(e, ERR_INVAL, "CRL: bad PEM");
			goto out;
		}
		if (strcmp(name, PEM_STRING_X509_CRL) != 0) {
			rc = err_set(e, ERR_INVAL, "CRL: PEM block is a %s, "
			    "not an X509 CRL", text_esc(nm, sizeof(nm), name));
			goto out;
		}
		buf = data;
		len = (size_t)dlen;
	}
	p = buf;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		rc = err_openssl(e, ERR_INVAL, "CRL: not a DER X.509 CRL");
		goto out;
	}
	if (p != buf + len) {
		rc = err_set(e, ERR_INVAL, "CRL: %zu bytes of trailing data",
		    (size_t)(buf + len - p));
		goto out;
	}
	if (sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) >
	    (int)CRL_MAXENTRIES) {
		rc = err_set(e, ERR_TOOBIG, "CRL: more than %u entries",
		    CRL_MAXENTRIES);
		goto out;
	}
	*out = crl;
	crl = NULL;
 out:
	X509_CRL_free(crl);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	return rc;
}

/*
 * The critical extensions OpenSSL's CRL code handles; anything else that is
 * critical makes the CRL unusable (RFC 5280 5.2, 5.3).
 */
static int
crl_critical_ok(X509_CRL *crl, struct err *e)
{
	const STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	const X509_EXTENSION		*ext;
	int				 i, j, n, nid;

	n = X509_CRL_get_ext_count(crl);
	for (i = 0; i < n; i++) {
		ext = X509_CRL_get_ext(crl, i);
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(
		    (X509_EXTENSION *)ext));
		if (nid != NID_issuing_distribution_point &&
		    nid != NID_authority_key_identifier &&
		    nid != NID_delta_crl)
			return err_set(e, ERR_REFUSED, "RFC 5280 5.2: CRL has "
			    "an unhandled critical extension");
	}
	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		const X509_REVOKED	*r = sk_X509_REVOKED_value(rev, i);

		n = X509_REVOKED_get_ext_count(r);
		for (j = 0; j < n; j++) {
			ext = X509_REVOKED_get_ext(r, j);
			if (!X509_EXTENSION_get_critical(ext))
				continue;
			nid = OBJ_obj2nid(X509_EXTENSION_get_object(
			    (X509_EXTENSION *)ext));
			if (nid != NID_certificate_issuer)
				return err_set(e, ERR_REFUSED, "RFC 5280 5.3: "
				    "CRL entry has an unhandled critical "
				    "extension");
		}
	}
	return 0;
}

/* crl_check without the signature (for a CRL whose signature was checked). */
static int
crl_check_fields(X509_CRL *crl, X509 *issuer, time_t at, struct err *e)
{
	const ASN1_TIME	*t;
	int		 rc;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(issuer)) != 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 6.3.3(b): CRL issuer "
		    "is not the certificate issuer");
	if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(issuer) & KU_CRL_SIGN))
		return err_set(e, ERR_REFUSED, "RFC 5280 6.3.3(f): CRL issuer "
		    "key usage lacks cRLSign");
	if ((rc = crl_critical_ok(crl, e)) != 0)
		return rc;
	t = X509_CRL_get0_lastUpdate(crl);
	if (t == NULL || X509_cmp_time(t, &at) > 0)
		return err_set(e, ERR_REFUSED, "CRL is not yet valid "
		    "(thisUpdate is in the future)");
	t = X509_CRL_get0_nextUpdate(crl);
	if (t != NULL && X509_cmp_time(t, &at) < 0)
		return err_set(e, ERR_REFUSED, "CRL has expired (nextUpdate "
		    "has passed)");
	return 0;
}

static int
crl_check_sig(X509_CRL *crl, X509 *issuer, struct err *e)
{
	EVP_PKEY	*pk;

	if ((pk = X509_get0_pubkey(issuer)) == NULL)
		return err_openssl(e, ERR_CRYPTO, "CRL issuer public key");
	if (X509_CRL_verify(crl, pk) != 1)
		return err_openssl(e, ERR_REFUSED, "RFC 5280 6.3.3(g): CRL "
		    "signature does not verify with the issuer's key");
	return 0;
}

int
crl_check(X509_CRL *crl, X509 *issuer, time_t at, struct err *e)
{
	int	 rc;

	/* Name and extensions first: cheap, and say more than a signature. */
	if ((rc = crl_check_fields(crl, issuer, at, e)) != 0)
		return rc;
	return crl_check_sig(crl, issuer, e);
}

static void
crl_sha256(uint8_t out[32], const void *buf, size_t len)
{
	unsigned int	 n = 32;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

static void
crl_hex(char *out, const uint8_t *in, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * The issuer directory name: OpenSSL's hash of the canonical name
 * encoding, so that names differing only in case or spacing (RFC 5280
 * 7.1) share a directory.  A collision only puts two issuers' CRLs side by
 * side; each is still used only with the key that verified it.
 */
static int
crl_name_hash(uint8_t out[32], const X509_NAME *name)
{
	unsigned long	 h;
	int		 ok = 0;

	memset(out, 0, 32);
	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok)
		return ERR_CRYPTO;
	out[0] = (uint8_t)(h >> 24);
	out[1] = (uint8_t)(h >> 16);
	out[2] = (uint8_t)(h >> 8);
	out[3] = (uint8_t)h;
	return 0;
}

static void
crl_key_hash(uint8_t out[32], X509 *x)
{
	const ASN1_BIT_STRING	*bs = X509_get0_pubkey_bitstr(x);

	if (bs == NULL) {
		memset(out, 0, 32);
		return;
	}
	crl_sha256(out, ASN1_STRING_get0_data(bs),
	    (size_t)ASN1_STRING_length(bs));
}

/*
 * Serial magnitude without leading zeros.  -1 for what the index cannot
 * hold: negative or longer than CRL_MAXSERIAL.
 */
static int
crl_serial_bytes(const ASN1_INTEGER *s, const unsigned char **out)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 n = ASN1_STRING_length(s);

	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER)
		return -1;
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n > CRL_MAXSERIAL)
		return -1;
	*out = p;
	return n;
}

/*
 * Seconds since the epoch of a broken-down UTC time, by arithmetic (days
 * from the civil date): timegm(3) costs more than the rest of an entry.
 */
static long long
crl_epoch(const struct tm *tm)
{
	long long	 y = tm->tm_year + 1900, m = tm->tm_mon + 1, era, doe;
	long long	 yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + tm->tm_mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + tm->tm_hour * 3600 +
	    tm->tm_min * 60 + tm->tm_sec;
}

static uint32_t
crl_time32(const ASN1_TIME *t)
{
	struct tm	 tm;
	long long	 v;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	if ((v = crl_epoch(&tm)) < 0)
		return 0;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int
crl_rec_cmp(const void *a, const void *b, void *arg)
{
	return memcmp(a, b, *(const uint32_t *)arg);
}

static int
crl_sorted(const unsigned char *recs, const struct crl_idx_hdr *h)
{
	uint64_t	 i;

	for (i = 1; i < h->nrec; i++)
		if (memcmp(recs + (i - 1) * h->recsize, recs + i * h->recsize,
		    h->width) > 0)
			return 0;
	return 1;
}

/* Whether a distribution point's full name lists exactly this URI. */
static int
crl_names_have_uri(const GENERAL_NAMES *names, const char *url)
{
	const GENERAL_NAME	*gn;
	size_t			 len = strlen(url);
	int			 i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_URI && (size_t)ASN1_STRING_length(
		    gn->d.uniformResourceIdentifier) == len &&
		    memcmp(ASN1_STRING_get0_data(
		    gn->d.uniformResourceIdentifier), url, len) == 0)
			return 1;
	}
	return 0;
}

/* Does the IDP restrict the CRL in a way the index does not model? */
static int
crl_idp_flags(X509_CRL *crl, const char *url, uint32_t *flags)
{
	ISSUING_DIST_POINT	*idp;
	int			 crit, ok = 0, match = 0;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
	    NULL);
	if (idp == NULL)
		return crit == -1;	/* absent: fine; undecodable: not */
	if (idp->onlysomereasons != NULL || idp->indirectCRL ||
	    idp->onlyattr)
		goto out;
	if (idp->onlyuser)
		*flags |= CRL_IDX_ONLYUSER;
	if (idp->onlyCA)
		*flags |= CRL_IDX_ONLYCA;
	if (idp->distpoint != NULL) {
		if (idp->distpoint->type != 0 || url == NULL || *url == '\0')
			goto out;
		if (crl_names_have_uri(idp->distpoint->name.fullname, url))
			match = 1;
		if (!match)
			goto out;
		*flags |= CRL_IDX_SCOPED;
	}
	ok = 1;
 out:
	ISSUING_DIST_POINT_free(idp);
	return ok;
}

static int
crl_fill_hdr(struct crl_idx_hdr *h, X509_CRL *crl, X509 *signer,
    const char *url, struct err *e)
{
	time_t	 t;
	char	*dn;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CRL_IDX_MAGIC, 8);
	h->version = CRL_IDX_VERSION;
	/* sk_num says -1 for a CRL without revokedCertificates. */
	if (sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) > 0)
		h->count = (uint64_t)sk_X509_REVOKED_num(
		    X509_CRL_get_REVOKED(crl));
	if (cert_asn1_time(X509_CRL_get0_lastUpdate(crl), &t) != 0)
		return err_set(e, ERR_INVAL, "CRL: bad thisUpdate");
	h->this_update = t;
	if (X509_CRL_get0_nextUpdate(crl) != NULL) {
		if (cert_asn1_time(X509_CRL_get0_nextUpdate(crl), &t) != 0)
			return err_set(e, ERR_INVAL, "CRL: bad nextUpdate");
		h->next_update = t;
	}
	if (signer != NULL)
		crl_key_hash(h->signer, signer);
	if (crl_name_hash(h->issuer, X509_CRL_get_issuer(crl)) != 0)
		return err_openssl(e, ERR_CRYPTO, "CRL issuer name");
	snprintf(h->url, sizeof(h->url), "%s", url ? url : "");
	if ((dn = cert_dn(X509_CRL_get_issuer(crl), CERT_DN_LOWER)) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(h->issuer_dn, sizeof(h->issuer_dn), "%s", dn);
	free(dn);
	return 0;
}

/* Width of the table and whether every entry can be modelled. */
static int
crl_scan(X509_CRL *crl, uint32_t *width, int *reasons)
{
	STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	const unsigned char	*p;
	X509_REVOKED		*r;
	int			 i, n;

	*width = 1;
	*reasons = 0;
	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		r = sk_X509_REVOKED_value(rev, i);
		if ((n = crl_serial_bytes(X509_REVOKED_get0_serialNumber(r),
		    &p)) < 0)
			return 0;
		if ((uint32_t)n > *width)
			*width = (uint32_t)n;
		if (X509_REVOKED_get_ext_by_NID(r, NID_certificate_issuer, -1)
		    >= 0)
			return 0;
		if (X509_REVOKED_get_ext_by_NID(r, NID_crl_reason, -1) >= 0)
			*reasons = 1;
	}
	return 1;
}

static int
crl_entry_reason(X509_REVOKED *r)
{
	ASN1_ENUMERATED	*en;
	long		 v;

	if (X509_REVOKED_get_ext_by_NID(r, NID_crl_reason, -1) < 0)
		return -1;
	if ((en = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL)) ==
	    NULL)
		return 0;
	v = ASN1_ENUMERATED_get(en);
	ASN1_ENUMERATED_free(en);
	return v < 0 || v > 254 ? 0 : (int)v;
}

static void
crl_fill_recs(unsigned char *recs, X509_CRL *crl, const struct crl_idx_hdr *h)
{
	STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	const unsigned char	*p;
	unsigned char		*rec;
	X509_REVOKED		*r;
	uint32_t		 d;
	int			 i, n;

	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		r = sk_X509_REVOKED_value(rev, i);
		rec = recs + (size_t)i * h->recsize;
		n = crl_serial_bytes(X509_REVOKED_get0_serialNumber(r), &p);
		memset(rec, 0, h->width - (uint32_t)n);
		memcpy(rec + h->width - (uint32_t)n, p, (size_t)n);
		d = crl_time32(X509_REVOKED_get0_revocationDate(r));
		memcpy(rec + h->width, &d, 4);
		if (h->flags & CRL_IDX_REASONS)
			rec[h->width + 4] = (unsigned char)crl_entry_reason(r);
	}
}

int
crl_index_build(unsigned char **out, size_t *outlen, X509_CRL *crl,
    X509 *signer, const char *url, struct err *e)
{
	struct crl_idx_hdr	 h;
	unsigned char		*buf = NULL;
	size_t			 len;
	uint32_t		 flags = 0, width;
	int			 rc, reasons, modelled;

	*out = NULL;
	*outlen = 0;
	if ((rc = crl_fill_hdr(&h, crl, signer, url, e)) != 0)
		return rc;
	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0)
		flags |= CRL_IDX_DELTA;
	modelled = signer != NULL && !(flags & CRL_IDX_DELTA) &&
	    crl_idp_flags(crl, url, &flags) && crl_scan(crl, &width, &reasons);
	if (modelled) {
		flags |= CRL_IDX_MODELLED;
		if (reasons)
			flags |= CRL_IDX_REASONS;
		h.width = width;
		h.recsize = width + 4 + (reasons ? 1 : 0);
		h.nrec = h.count;
	}
	h.flags = flags;
	len = sizeof(h) + (size_t)h.nrec * h.recsize;
	if ((buf = malloc(len)) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory for the CRL index");
	memcpy(buf, &h, sizeof(h));
	if (h.nrec > 0) {
		crl_fill_recs(buf + sizeof(h), crl, &h);
		/* Most CAs list serials in order already. */
		if (!crl_sorted(buf + sizeof(h), &h))
			qsort_r(buf + sizeof(h), (size_t)h.nrec, h.recsize,
			    crl_rec_cmp, &h.width);
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int
crl_index_check(struct crl_index *ix, const unsigned char *buf, size_t len,
    struct err *e)
{
	const struct crl_idx_hdr	*h = (const void *)buf;

	if (len < sizeof(*h) || memcmp(h->magic, CRL_IDX_MAGIC, 8) != 0 ||
	    h->version != CRL_IDX_VERSION)
		return err_set(e, ERR_INVAL, "CRL index: bad header");
	if (h->nrec > CRL_MAXENTRIES || h->count > CRL_MAXENTRIES ||
	    h->width > CRL_MAXSERIAL ||
	    (h->nrec > 0 && (h->width == 0 || h->recsize != h->width + 4 +
	    ((h->flags & CRL_IDX_REASONS) ? 1 : 0))) ||
	    len != sizeof(*h) + (size_t)h->nrec * h->recsize)
		return err_set(e, ERR_INVAL, "CRL index: bad size");
	if (memchr(h->url, 0, sizeof(h->url)) == NULL ||
	    memchr(h->issuer_dn, 0, sizeof(h->issuer_dn)) == NULL)
		return err_set(e, ERR_INVAL, "CRL index: bad strings");
	if ((h->flags & CRL_IDX_MODELLED) && h->nrec != h->count)
		return err_set(e, ERR_INVAL, "CRL index: bad count");
	ix->hdr = h;
	ix->recs = buf + sizeof(*h);
	return 0;
}

int
crl_index_open_mem(struct crl_index **out, const unsigned char *buf,
    size_t len, struct err *e)
{
	struct crl_index	*ix;
	int			 rc;

	*out = NULL;
	/* The header is read in place: it must be aligned. */
	if (((uintptr_t)buf & 7) != 0)
		return err_set(e, ERR_INVAL, "CRL index: misaligned buffer");
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = crl_index_check(ix, buf, len, e)) != 0) {
		free(ix);
		return rc;
	}
	*out = ix;
	return 0;
}

/*
 * Map an index read-only for binary search.  A search touches ~20
 * scattered pages, so: no read-ahead (MADV_RANDOM), and an address that is
 * not 2 MiB-aligned with the file, because the kernel otherwise maps whole
 * 2 MiB page-cache folios and a short-lived `netpki -c` process pays
 * megabytes of RSS for a few pages read.
 */
#define CRL_MAP_ALIGN	(2u * 1024 * 1024)
static void *
crl_index_map(int fd, size_t len)
{
	uintptr_t	 res, base;
	size_t		 rlen = len + 2 * CRL_MAP_ALIGN;
	void		*r, *map;

	r = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	res = (uintptr_t)r;
	base = ((res + CRL_MAP_ALIGN - 1) & ~(uintptr_t)(CRL_MAP_ALIGN - 1)) +
	    4096;
	map = mmap((void *)base, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	if (map == MAP_FAILED) {
		munmap(r, rlen);
		return MAP_FAILED;
	}
	/* Give back the reservation around the mapping. */
	if (base > res)
		munmap(r, base - res);
	if (res + rlen > base + ((len + 4095) & ~(size_t)4095))
		munmap((void *)(base + ((len + 4095) & ~(size_t)4095)),
		    res + rlen - base - ((len + 4095) & ~(size_t)4095));
	(void)madvise(map, len, MADV_RANDOM);
	return map;
}

int
crl_index_open(struct crl_index **out, const char *path, struct err *e)
{
	struct crl_index	*ix = NULL;
	struct stat		 sb;
	void			*map = MAP_FAILED;
	int			 fd, rc = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "open %s", path);
	if (fstat(fd, &sb) == -1) {
		rc = err_errno(e, ERR_IO, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(struct
	    crl_idx_hdr) || (uint64_t)sb.st_size > 64ull * CRL_MAXENTRIES) {
		rc = err_set(e, ERR_INVAL, "%s: not a CRL index", path);
		goto out;
	}
	if ((map = crl_index_map(fd, (size_t)sb.st_size)) == MAP_FAILED) {
		rc = err_errno(e, ERR_IO, "mmap %s", path);
		goto out;
	}
	if ((ix = calloc(1, sizeof(*ix))) == NULL) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = crl_index_check(ix, map, (size_t)sb.st_size, e)) != 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	ix->map = map;
	ix->maplen = (size_t)sb.st_size;
	map = MAP_FAILED;
	*out = ix;
	ix = NULL;
 out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	free(ix);
	close(fd);
	return rc;
}

void
crl_index_free(struct crl_index *ix)
{
	if (ix == NULL)
		return;
	if (ix->map != NULL)
		munmap(ix->map, ix->maplen);
	free(ix);
}

void
crl_index_info(const struct crl_index *ix, struct crl_info *ci)
{
	const struct crl_idx_hdr	*h = ix->hdr;

	memset(ci, 0, sizeof(*ci));
	snprintf(ci->issuer, sizeof(ci->issuer), "%s", h->issuer_dn);
	snprintf(ci->url, sizeof(ci->url), "%s", h->url);
	ci->this_update = (time_t)h->this_update;
	ci->next_update = (time_t)h->next_update;
	ci->count = h->count;
	ci->modelled = (h->flags & CRL_IDX_MODELLED) != 0;
	ci->delta = (h->flags & CRL_IDX_DELTA) != 0;
}

int
crl_index_lookup(const struct crl_index *ix, const ASN1_INTEGER *serial,
    time_t *date, int *reason)
{
	const struct crl_idx_hdr	*h = ix->hdr;
	const unsigned char		*p, *rec;
	unsigned char			 key[CRL_MAXSERIAL];
	uint64_t			 lo = 0, hi = h->nrec, mid;
	uint32_t			 d;
	int				 n, c;

	if ((n = crl_serial_bytes(serial, &p)) < 0)
		return ERR_INVAL;
	if ((uint32_t)n > h->width)
		return 0;	/* longer than every listed serial */
	memset(key, 0, h->width - (uint32_t)n);
	memcpy(key + h->width - (uint32_t)n, p, (size_t)n);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		rec = ix->recs + mid * h->recsize;
		if ((c = memcmp(key, rec, h->width)) == 0) {
			memcpy(&d, rec + h->width, 4);
			if (date != NULL)
				*date = (time_t)d;
			if (reason != NULL)
				*reason = (h->flags & CRL_IDX_REASONS) &&
				    rec[h->width + 4] != 0xff ?
				    rec[h->width + 4] : -1;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* ---- the cache ---- */

int
crl_cache_open(struct crl_cache **out, const char *dir, struct err *e)
{
	struct crl_cache	*c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->dir = strdup(dir)) == NULL) {
		free(c);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

static void
crl_issuer_clear(struct crl_issuer *ci)
{
	size_t	 i;

	for (i = 0; i < ci->nslots; i++)
		crl_index_free(ci->slots[i].idx);
	free(ci->slots);
	ci->slots = NULL;
	ci->nslots = 0;
}

void
crl_cache_free(struct crl_cache *c)
{
	struct crl_issuer	*ci, *next;

	if (c == NULL)
		return;
	for (ci = c->issuers; ci != NULL; ci = next) {
		next = ci->next;
		crl_issuer_clear(ci);
		free(ci->der);
		free(ci->key);
		free(ci);
	}
	free(c->dir);
	free(c);
}

const char *
crl_cache_dir(const struct crl_cache *c)
{
	return c->dir;
}

static int
crl_has_suffix(const char *s, const char *suf)
{
	size_t	 n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

/* (Re)read an issuer directory's indexes. */
static int
crl_issuer_load(struct crl_cache *c, struct crl_issuer *ci, struct err *e)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct crl_slot	*ns;
	int		 rc = 0;

	crl_issuer_clear(ci);
	snprintf(path, sizeof(path), "%s/%s", c->dir, ci->hex);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : err_errno(e, ERR_IO, "opendir %s",
		    path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !crl_has_suffix(de->d_name, ".idx") ||
		    strlen(de->d_name) >= sizeof(ns->name))
			continue;
		if (ci->nslots >= CRL_CACHE_MAXSLOTS) {
			rc = err_set(e, ERR_TOOBIG, "%s: more than %d CRLs for "
			    "one issuer", path, CRL_CACHE_MAXSLOTS);
			break;
		}
		if ((ns = reallocarray(ci->slots, ci->nslots + 1,
		    sizeof(*ns))) == NULL) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		ci->slots = ns;
		ns = &ci->slots[ci->nslots];
		/* Length checked above. */
		memcpy(ns->name, de->d_name, strlen(de->d_name) + 1);
		snprintf(path, sizeof(path), "%s/%s/%s", c->dir, ci->hex,
		    de->d_name);
		/* A damaged index is skipped, as if the CRL were absent. */
		if (crl_index_open(&ns->idx, path, NULL) != 0)
			continue;
		ci->nslots++;
	}
	closedir(d);
	return rc;
}

static int
crl_elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	long long	 ms;

	ms = (long long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
	return ms > CRL_CACHE_RECHECK_MS * 10 ? CRL_CACHE_RECHECK_MS * 10 :
	    (int)ms;
}

/* The in-memory entry of an issuer directory, made on first use. */
static int
crl_issuer_find(struct crl_cache *c, const X509_NAME *name,
    struct crl_issuer **out, struct err *e)
{
	struct crl_issuer	*ci;
	const unsigned char	*der;
	size_t			 len;
	uint8_t			 h[32];
	char			 hex[33];

	*out = NULL;
	if (X509_NAME_get0_der((X509_NAME *)name, &der, &len) != 1)
		return err_openssl(e, ERR_CRYPTO, "issuer name");
	/* The same name bytes as before: no hashing. */
	for (ci = c->issuers; ci != NULL; ci = ci->next)
		if (ci->derlen == len && memcmp(ci->der, der, len) == 0) {
			*out = ci;
			return 0;
		}
	if (crl_name_hash(h, name) != 0)
		return err_openssl(e, ERR_CRYPTO, "issuer name");
	crl_hex(hex, h, 4);
	for (ci = c->issuers; ci != NULL; ci = ci->next)
		if (strcmp(ci->hex, hex) == 0) {
			*out = ci;
			return 0;
		}
	if (c->nissuers >= CRL_CACHE_MAXISSUERS)
		return err_set(e, ERR_TOOBIG, "CRL cache: more than %d issuers "
		    "in use", CRL_CACHE_MAXISSUERS);
	if ((ci = calloc(1, sizeof(*ci))) == NULL ||
	    (ci->der = malloc(len)) == NULL) {
		free(ci);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	memcpy(ci->der, der, len);
	ci->derlen = len;
	snprintf(ci->hex, sizeof(ci->hex), "%s", hex);
	ci->present = -1;
	ci->next = c->issuers;
	c->issuers = ci;
	c->nissuers++;
	*out = ci;
	return 0;
}

/*
 * The issuer directory for a name, re-read only when its mtime changed;
 * stat(2) at most once per CRL_CACHE_RECHECK_MS.
 */
static int
crl_issuer_get(struct crl_cache *c, const X509_NAME *name,
    struct crl_issuer **out, struct err *e)
{
	struct crl_issuer	*ci;
	struct stat		 sb;
	struct timespec		 mono;
	char			 path[PATH_MAX];
	int			 rc, present;

	*out = NULL;
	if ((rc = crl_issuer_find(c, name, &ci, e)) != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
	if (ci->present != -1 &&
	    crl_elapsed_ms(&ci->checked, &mono) < CRL_CACHE_RECHECK_MS) {
		*out = ci;
		return 0;
	}
	ci->checked = mono;
	snprintf(path, sizeof(path), "%s/%s", c->dir, ci->hex);
	present = stat(path, &sb) == 0;
	if (ci->present != present || (present &&
	    (sb.st_mtim.tv_sec != ci->mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != ci->mtime.tv_nsec))) {
		crl_issuer_clear(ci);
		ci->present = 0;
		if (present && (rc = crl_issuer_load(c, ci, e)) != 0) {
			ci->present = -1;
			return rc;
		}
		ci->present = present;
		if (present)
			ci->mtime = sb.st_mtim;
	}
	*out = ci;
	return 0;
}

/* Forget what is known of an issuer directory (after this process wrote). */
static void
crl_issuer_stale(struct crl_cache *c, const char *hex)
{
	struct crl_issuer	*ci;

	for (ci = c->issuers; ci != NULL; ci = ci->next)
		if (strcmp(ci->hex, hex) == 0)
			ci->present = -1;
}

/* crl_key_hash of issuer, remembered per issuer directory. */
static const uint8_t *
crl_issuer_keyhash(struct crl_issuer *ci, X509 *issuer)
{
	const ASN1_BIT_STRING	*bs = X509_get0_pubkey_bitstr(issuer);
	const unsigned char	*k;
	size_t			 n;

	if (bs == NULL) {
		memset(ci->keyhash, 0, 32);
		return ci->keyhash;
	}
	k = ASN1_STRING_get0_data(bs);
	n = (size_t)ASN1_STRING_length(bs);
	if (ci->key != NULL && ci->keylen == n && memcmp(ci->key, k, n) == 0)
		return ci->keyhash;
	free(ci->key);
	ci->keylen = 0;
	if ((ci->key = malloc(n)) != NULL) {
		memcpy(ci->key, k, n);
		ci->keylen = n;
	}
	crl_key_hash(ci->keyhash, issuer);
	return ci->keyhash;
}

/* Is url one of x's distribution points?  Sets *indirect for cRLIssuer. */
static int
crl_dp_has(X509 *x, const char *url, int *indirect)
{
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	int			 i, found = 0;

	*indirect = 0;
	if (X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) < 0)
		return 0;
	if ((dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL,
	    NULL)) == NULL)
		return 0;
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (dp->CRLissuer != NULL)
			*indirect = 1;
		if (url == NULL || dp->distpoint == NULL ||
		    dp->distpoint->type != 0)
			continue;
		if (crl_names_have_uri(dp->distpoint->name.fullname, url))
			found = 1;
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return found;
}

/* May this modelled CRL answer for x?  (RFC 5280 6.3.3(b)) */
static int
crl_slot_scope(const struct crl_idx_hdr *h, X509 *x)
{
	uint32_t	 xf = X509_get_extension_flags(x);
	int		 indirect;

	if ((h->flags & CRL_IDX_ONLYUSER) && (xf & EXFLAG_CA))
		return 0;
	if ((h->flags & CRL_IDX_ONLYCA) && !(xf & EXFLAG_CA))
		return 0;
	if ((h->flags & CRL_IDX_SCOPED) && !crl_dp_has(x, h->url, &indirect))
		return 0;
	return 1;
}

int
crl_cache_lookup(struct crl_cache *c, X509 *x, X509 *issuer, time_t at,
    struct crl_answer *a, struct err *e)
{
	struct crl_issuer		*ci;
	const struct crl_idx_hdr	*h, *best = NULL;
	const struct crl_index		*bix = NULL;
	const uint8_t			*key;
	size_t				 i;
	int				 rc, indirect;

	memset(a, 0, sizeof(*a));
	a->status = CRL_NONE;
	a->reason = -1;
	crl_dp_has(x, NULL, &indirect);
	if (indirect) {
		/* An indirect CRL lives under another issuer's name. */
		a->status = CRL_FALLBACK;
		return 0;
	}
	if ((rc = crl_issuer_get(c, X509_get_issuer_name(x), &ci, e)) != 0)
		return rc;
	key = crl_issuer_keyhash(ci, issuer);
	for (i = 0; i < ci->nslots; i++) {
		h = ci->slots[i].idx->hdr;
		/*
		 * A delta, a partition by reason, a separate CRL key: OpenSSL
		 * weighs all of the issuer's CRLs together.
		 */
		if (!(h->flags & CRL_IDX_MODELLED) ||
		    memcmp(h->signer, key, 32) != 0) {
			a->status = CRL_FALLBACK;
			return 0;
		}
		if (!crl_slot_scope(h, x))
			continue;
		if (best == NULL || h->this_update > best->this_update) {
			best = h;
			bix = ci->slots[i].idx;
		}
	}
	if (best == NULL)
		return 0;
	snprintf(a->url, sizeof(a->url), "%s", best->url);
	a->next_update = (time_t)best->next_update;
	if ((time_t)best->this_update > at)
		a->status = CRL_NOTYET;
	else if (best->next_update != 0 && (time_t)best->next_update < at)
		a->status = CRL_EXPIRED;
	else {
		rc = crl_index_lookup(bix, X509_get0_serialNumber(x), &a->date,
		    &a->reason);
		if (rc < 0)
			a->status = CRL_FALLBACK;
		else
			a->status = rc == 1 ? CRL_REVOKED : CRL_GOOD;
	}
	return 0;
}

/* The file name of a CRL's slot: one per distribution point and scope. */
static void
crl_slot_name(char out[33], X509_CRL *crl, const char *url)
{
	EVP_MD_CTX		*md;
	const ASN1_OCTET_STRING	*os;
	const X509_EXTENSION	*ext;
	uint8_t			 h[32];
	unsigned int		 n = 32;
	int			 nids[2] = { NID_issuing_distribution_point,
				    NID_delta_crl };
	int			 i, k;

	memset(h, 0, sizeof(h));
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, url ? url : "", url ? strlen(url) + 1 : 1);
		for (i = 0; i < 2; i++) {
			if ((k = X509_CRL_get_ext_by_NID(crl, nids[i], -1)) < 0)
				continue;
			ext = X509_CRL_get_ext(crl, k);
			os = X509_EXTENSION_get_data((X509_EXTENSION *)ext);
			EVP_DigestUpdate(md, &nids[i], sizeof(nids[i]));
			EVP_DigestUpdate(md, ASN1_STRING_get0_data(os),
			    (size_t)ASN1_STRING_length(os));
		}
		EVP_DigestFinal_ex(md, h, &n);
	}
	EVP_MD_CTX_free(md);
	crl_hex(out, h, 16);
}

/*
 * crl_cache_put on a parsed CRL; der/len are its bytes when they are DER
 * (written as they came), NULL when it must be encoded (PEM input).
 * checked: the signature was verified with issuer already.
 */
static int
crl_put_parsed(struct crl_cache *c, X509_CRL *crl, const unsigned char *der,
    size_t len, X509 *issuer, int checked, const char *url, time_t at,
    struct err *e)
{
	unsigned char	*idx = NULL, *out = NULL;
	size_t		 idxlen;
	uint8_t		 h[32];
	char		 hex[33], slot[33], path[PATH_MAX];
	int		 rc, outlen;

	if (issuer != NULL && (rc = checked ? crl_check_fields(crl, issuer,
	    at, e) : crl_check(crl, issuer, at, e)) != 0)
		goto out;
	if (issuer == NULL) {
		/* Unverified: refuse only what is wrong on its face. */
		if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &at) > 0) {
			rc = err_set(e, ERR_REFUSED, "CRL is not yet valid "
			    "(thisUpdate is in the future)");
			goto out;
		}
		if (X509_CRL_get0_nextUpdate(crl) != NULL && X509_cmp_time(
		    X509_CRL_get0_nextUpdate(crl), &at) < 0) {
			rc = err_set(e, ERR_REFUSED, "CRL has expired "
			    "(nextUpdate has passed)");
			goto out;
		}
	}
	if ((rc = crl_index_build(&idx, &idxlen, crl, issuer, url, e)) != 0)
		goto out;
	if (crl_name_hash(h, X509_CRL_get_issuer(crl)) != 0) {
		rc = err_openssl(e, ERR_CRYPTO, "CRL issuer name");
		goto out;
	}
	crl_hex(hex, h, 4);
	crl_slot_name(slot, crl, url);
	/* Always DER on disk, even when PEM was given: OpenSSL's path reads it. */
	if (der == NULL) {
		if ((outlen = i2d_X509_CRL(crl, &out)) <= 0) {
			rc = err_openssl(e, ERR_CRYPTO, "CRL encoding");
			goto out;
		}
		der = out;
		len = (size_t)outlen;
	}
	snprintf(path, sizeof(path), "%s/%s/%s.crl", c->dir, hex, slot);
	if ((rc = store_file_write(path, der, len, STORE_PUBLIC, e)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s/%s.idx", c->dir, hex, slot);
	rc = store_file_write(path, idx, idxlen, STORE_PUBLIC, e);
	crl_issuer_stale(c, hex);
 out:
	OPENSSL_free(out);
	free(idx);
	return rc;
}

static int
crl_is_pem(const unsigned char *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

int
crl_cache_put(struct crl_cache *c, const unsigned char *der, size_t len,
    X509 *issuer, const char *url, time_t at, struct err *e)
{
	X509_CRL	*crl = NULL;
	int		 rc;

	if ((rc = crl_parse(&crl, der, len, e)) != 0)
		return rc;
	rc = crl_put_parsed(c, crl, crl_is_pem(der, len) ? NULL : der, len,
	    issuer, 0, url, at, e);
	X509_CRL_free(crl);
	return rc;
}

/*
 * curl prints an LDAP search result as LDIF-like text; a binary attribute
 * (";binary") arrives base64-encoded after "attr:: " or "attr: ".  Return
 * the decoded certificateRevocationList value.
 */
static int
crl_from_ldap(unsigned char **out, size_t *outlen, const char *body,
    size_t len, struct err *e)
{
	const char	*p, *end = body + len, *v, *eol;
	unsigned char	*buf = NULL;
	EVP_ENCODE_CTX	*ctx = NULL;
	int		 n, m, rc = 0;

	*out = NULL;
	if ((p = memmem(body, len, "certificateRevocationList", 25)) == NULL)
		return err_set(e, ERR_PROTO, "LDAP: no "
		    "certificateRevocationList attribute in the answer");
	if ((v = memchr(p, ':', (size_t)(end - p))) == NULL)
		return err_set(e, ERR_PROTO, "LDAP: bad answer");
	while (v < end && (*v == ':' || *v == ' '))
		v++;
	for (eol = v; eol < end && *eol != '\n' && *eol != '\r'; eol++)
		;
	if ((buf = malloc((size_t)(eol - v) / 4 * 3 + 4)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)v,
	    (int)(eol - v)) < 0 || EVP_DecodeFinal(ctx, buf + n, &m) != 1) {
		rc = err_set(e, ERR_PROTO, "LDAP: CRL value is not base64");
		goto out;
	}
	*out = buf;
	*outlen = (size_t)(n + m);
	buf = NULL;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return rc;
}

/* The CRL bytes at url; *der is malloc'd. */
static int
crl_fetch_bytes(unsigned char **der, size_t *len, const char *url,
    const struct fetch_opts *fo, struct err *e)
{
	struct fetch_opts	 o;
	struct fetch_result	 r;
	int			 rc;

	*der = NULL;
	if (fo != NULL)
		o = *fo;
	else
		memset(&o, 0, sizeof(o));
	o.maxsize = CRL_MAXSIZE;
	if ((rc = fetch_get(&r, url, &o, e)) != 0)
		return rc;
	if (strncasecmp(url, "ldap", 4) == 0)
		rc = crl_from_ldap(der, len, r.body, r.len, e);
	else {
		*der = (unsigned char *)r.body;
		*len = r.len;
		r.body = NULL;
	}
	fetch_result_free(&r);
	return rc;
}

int
crl_cache_fetch(struct crl_cache *c, const char *url, X509 *issuer,
    const struct fetch_opts *fo, time_t at, struct err *e)
{
	unsigned char	*der = NULL;
	size_t		 len = 0;
	int		 rc;

	/* Transport errors name the URL already. */
	if ((rc = crl_fetch_bytes(&der, &len, url, fo, e)) == 0 &&
	    (rc = crl_cache_put(c, der, len, issuer, url, at, e)) != 0)
		err_prefix(e, "CRL %s", url);
	free(der);
	return rc;
}

int
crl_cache_request(struct crl_cache *c, const char *url,
    STACK_OF(X509) *cands, const struct fetch_opts *fo, time_t at,
    struct crl_info *info, int *verified, struct err *e)
{
	unsigned char		*der = NULL, *idx = NULL;
	size_t			 len = 0, idxlen;
	X509_CRL		*crl = NULL;
	X509			*issuer = NULL, *x;
	struct crl_index	*ix = NULL;
	int			 i, rc;

	if (verified != NULL)
		*verified = 0;
	if ((rc = crl_fetch_bytes(&der, &len, url, fo, e)) != 0)
		return rc;
	if ((rc = crl_parse(&crl, der, len, e)) != 0)
		goto out;
	/* The candidate of the CRL's issuer name whose key signed it. */
	for (i = 0; i < sk_X509_num(cands) && issuer == NULL; i++) {
		x = sk_X509_value(cands, i);
		if (X509_NAME_cmp(X509_get_subject_name(x),
		    X509_CRL_get_issuer(crl)) == 0 &&
		    crl_check_sig(crl, x, NULL) == 0)
			issuer = x;
	}
	ERR_clear_error();
	if ((rc = crl_put_parsed(c, crl, crl_is_pem(der, len) ? NULL : der,
	    len, issuer, 1, url, at, e)) != 0)
		goto out;
	if (verified != NULL)
		*verified = issuer != NULL;
	if (info != NULL) {
		/* Header only (no signer, no table): cheap at any size. */
		if ((rc = crl_index_build(&idx, &idxlen, crl, NULL, url,
		    e)) != 0 || (rc = crl_index_open_mem(&ix, idx, idxlen,
		    e)) != 0)
			goto out;
		crl_index_info(ix, info);
	}
 out:
	if (rc != 0)
		err_prefix(e, "CRL %s", url);
	crl_index_free(ix);
	free(idx);
	X509_CRL_free(crl);
	free(der);
	return rc;
}

int
crl_cache_load(struct crl_cache *c, const X509_NAME *name,
    STACK_OF(X509_CRL) *crls, struct err *e)
{
	char		 path[PATH_MAX], *buf;
	uint8_t		 h[32];
	char		 hex[33];
	DIR		*d;
	struct dirent	*de;
	X509_CRL	*crl;
	size_t		 len;
	int		 rc = 0;

	if (crl_name_hash(h, name) != 0)
		return err_openssl(e, ERR_CRYPTO, "issuer name");
	crl_hex(hex, h, 4);
	snprintf(path, sizeof(path), "%s/%s", c->dir, hex);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !crl_has_suffix(de->d_name, ".crl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", c->dir, hex,
		    de->d_name);
		if (store_file_read(path, &buf, &len, CRL_MAXSIZE, NULL) != 0)
			continue;
		if (crl_parse(&crl, (unsigned char *)buf, len, NULL) == 0 &&
		    sk_X509_CRL_push(crls, crl) <= 0) {
			X509_CRL_free(crl);
			rc = err_set(e, ERR_NOMEM, "out of memory");
		}
		free(buf);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
crl_info_cmp(const void *a, const void *b)
{
	const struct crl_info	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->issuer, y->issuer)) != 0)
		return c;
	return strcmp(x->url, y->url);
}

int
crl_cache_list(struct crl_cache *c, struct crl_info **out, size_t *outn,
    struct err *e)
{
	char			 path[PATH_MAX];
	DIR			*d = NULL, *sd;
	struct dirent		*de, *se;
	struct crl_index	*ix;
	struct crl_info		*v = NULL, *nv;
	size_t			 n = 0;
	int			 rc = 0;

	*out = NULL;
	*outn = 0;
	if ((d = opendir(c->dir)) == NULL)
		return errno == ENOENT ? 0 : err_errno(e, ERR_IO, "opendir %s",
		    c->dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
		if ((sd = opendir(path)) == NULL)
			continue;
		while ((se = readdir(sd)) != NULL) {
			if (se->d_name[0] == '.' ||
			    !crl_has_suffix(se->d_name, ".idx"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", c->dir,
			    de->d_name, se->d_name);
			if (crl_index_open(&ix, path, NULL) != 0)
				continue;
			if ((nv = reallocarray(v, n + 1, sizeof(*v))) == NULL) {
				crl_index_free(ix);
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			v = nv;
			crl_index_info(ix, &v[n]);
			crl_index_free(ix);
			path[strlen(path) - 4] = '\0';
			snprintf(v[n].path, sizeof(v[n].path), "%.1000s.crl",
			    path);
			n++;
		}
		closedir(sd);
	}
	closedir(d);
	if (rc != 0) {
		free(v);
		return rc;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), crl_info_cmp);
	*out = v;
	*outn = n;
	return 0;
}

int
crl_cache_clear(struct crl_cache *c, size_t *count, struct err *e)
{
	char		 path[PATH_MAX];
	DIR		*d, *sd;
	struct dirent	*de, *se;
	struct crl_issuer *ci;
	size_t		 n = 0;

	if (count != NULL)
		*count = 0;
	if ((d = opendir(c->dir)) == NULL)
		return errno == ENOENT ? 0 : err_errno(e, ERR_IO, "opendir %s",
		    c->dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
		if ((sd = opendir(path)) == NULL)
			continue;
		while ((se = readdir(sd)) != NULL) {
			if (strcmp(se->d_name, ".") == 0 ||
			    strcmp(se->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", c->dir,
			    de->d_name, se->d_name);
			if (unlink(path) == 0 && crl_has_suffix(se->d_name,
			    ".idx"))
				n++;
		}
		closedir(sd);
		snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
		rmdir(path);
	}
	closedir(d);
	for (ci = c->issuers; ci != NULL; ci = ci->next)
		ci->present = -1;
	if (count != NULL)
		*count = n;
	return 0;
}
