/*
 * crl_index: the verified-once index of a CRL, a sorted fixed-width table
 * of revoked serials, built once and answered from a read-only memory map.
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
#include "crl_int.h"
#include "err.h"
#include "fetch.h"
#include "store.h"


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

/* Does the IDP restrict the CRL in a way the index does not model? */
static int
crl_idp_flags(const struct crl_der *d, const char *url, uint32_t *flags)
{
	ISSUING_DIST_POINT	*idp;
	int			 crit, ok = 0;

	idp = X509V3_get_d2i(d->exts, NID_issuing_distribution_point, &crit,
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
		if (idp->distpoint->type != 0 || url == NULL || *url == '\0' ||
		    !crl_names_have_uri(idp->distpoint->name.fullname, url))
			goto out;
		*flags |= CRL_IDX_SCOPED;
	}
	ok = 1;
 out:
	ISSUING_DIST_POINT_free(idp);
	return ok;
}

static int
crl_fill_hdr(struct crl_idx_hdr *h, const struct crl_der *d, X509 *signer,
    const char *url, struct err *e)
{
	time_t	 t;
	char	*dn;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CRL_IDX_MAGIC, 8);
	h->version = CRL_IDX_VERSION;
	h->count = d->count;
	if (cert_asn1_time(d->this_update, &t) != 0)
		return err_set(e, ERR_INVAL, "CRL: bad thisUpdate");
	h->this_update = t;
	if (d->next_update != NULL) {
		if (cert_asn1_time(d->next_update, &t) != 0)
			return err_set(e, ERR_INVAL, "CRL: bad nextUpdate");
		h->next_update = t;
	}
	if (signer != NULL)
		crl_key_hash(h->signer, signer);
	if (crl_name_hash(h->issuer, d->issuer) != 0)
		return err_openssl(e, ERR_CRYPTO, "CRL issuer name");
	snprintf(h->url, sizeof(h->url), "%s", url ? url : "");
	if ((dn = cert_dn(d->issuer, CERT_DN_LOWER)) == NULL)
		return err_nomem(e);
	snprintf(h->issuer_dn, sizeof(h->issuer_dn), "%s", dn);
	free(dn);
	return 0;
}

/* The records, in the CRL's order; the walk succeeded once already. */
static int
crl_fill_recs(unsigned char *recs, const struct crl_der *d,
    const struct crl_idx_hdr *h, struct err *e)
{
	struct crl_der_iter	 it;
	struct crl_der_entry	 en;
	unsigned char		*rec;
	uint64_t		 i = 0;
	int			 r;

	crl_der_iter_init(&it, d);
	while (i < h->nrec && (r = crl_der_next(&it, &en)) == 1) {
		rec = recs + (size_t)i++ * h->recsize;
		memset(rec, 0, h->width - (uint32_t)en.seriallen);
		memcpy(rec + h->width - (uint32_t)en.seriallen, en.serial,
		    (size_t)en.seriallen);
		memcpy(rec + h->width, &en.date, 4);
		if (h->flags & CRL_IDX_REASONS)
			rec[h->width + 4] = (unsigned char)en.reason;
	}
	crl_der_iter_clear(&it);
	if (i != h->nrec)
		return err_set(e, ERR_INVAL, "CRL: entries changed under the "
		    "index");
	return 0;
}

int
crl_index_build(unsigned char **out, size_t *outlen, const struct crl_der *d,
    X509 *signer, const char *url, struct err *e)
{
	struct crl_idx_hdr	 h;
	unsigned char		*buf = NULL;
	size_t			 len;
	uint32_t		 flags = 0;
	int			 rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = crl_fill_hdr(&h, d, signer, url, e)) != 0)
		return rc;
	if (X509v3_get_ext_by_NID(d->exts, NID_delta_crl, -1) >= 0)
		flags |= CRL_IDX_DELTA;
	if (signer != NULL && !(flags & CRL_IDX_DELTA) &&
	    crl_idp_flags(d, url, &flags) && d->modelable) {
		flags |= CRL_IDX_MODELLED;
		if (d->reasons)
			flags |= CRL_IDX_REASONS;
		h.width = d->width;
		h.recsize = d->width + 4 + (d->reasons ? 1 : 0);
		h.nrec = h.count;
	}
	h.flags = flags;
	len = sizeof(h) + (size_t)h.nrec * h.recsize;
	if ((buf = malloc(len)) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory for the CRL index");
	memcpy(buf, &h, sizeof(h));
	if (h.nrec > 0) {
		if ((rc = crl_fill_recs(buf + sizeof(h), d, &h, e)) != 0) {
			free(buf);
			return rc;
		}
		/* Most CAs list serials in order already. */
		if (!crl_sorted(buf + sizeof(h), &h))
			qsort_r(buf + sizeof(h), (size_t)h.nrec, h.recsize,
			    crl_rec_cmp, &h.width);
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Is url one of x's distribution points?  Sets *indirect for cRLIssuer. */
int
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
int
crl_idx_scope(const struct crl_idx_hdr *h, X509 *x)
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
		return err_nomem(e);
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
		rc = err_nomem(e);
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
