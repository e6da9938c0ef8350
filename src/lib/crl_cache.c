/*
 * crl_cache: the on-disk CRL cache, DIR/<issuer>/<slot>.crl and .idx:
 * the issuer directories kept open, the revocation answers they give, and
 * writing CRLs in.  Reading the directory as plain files (for OpenSSL's
 * path, listing, clearing) is crl_cache_files.c.
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

/* One slot of an issuer directory, kept open between lookups. */
struct crl_slot {
	char			 name[72];	/* "<hex>.idx" */
	struct crl_index	*idx;
	int			 tried;		/* promotion failed with... */
	uint8_t			 tried_key[32];	/* ...this key (crl_key_hash) */
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
	struct store		*st;		/* whose lock writes hold, or NULL */
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

int
crl_cache_open(struct crl_cache **out, const char *dir, struct err *e)
{
	struct crl_cache	*c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->dir = strdup(dir)) == NULL) {
		free(c);
		return err_nomem(e);
	}
	*out = c;
	return 0;
}

int
crl_cache_open_store(struct crl_cache **out, struct store *st,
    struct err *e)
{
	char	 dir[PATH_MAX];
	int	 rc;

	if (snprintf(dir, sizeof(dir), "%s/crl", store_dir(st)) >=
	    (int)sizeof(dir)) {
		*out = NULL;
		return err_set(e, ERR_INVAL, "path too long: %s/crl",
		    store_dir(st));
	}
	if ((rc = crl_cache_open(out, dir, e)) == 0)
		(*out)->st = st;
	return rc;
}

/*
 * Writers of the cache in a state directory hold its lock, as every other
 * state writer does: two processes putting the same slot cannot pair one's
 * .crl with the other's .idx, and a promotion reads the .crl it indexes.
 */
int
crl_cache_lock(struct crl_cache *c, struct err *e)
{
	return c->st != NULL ? store_lock(c->st, e) : 0;
}

void
crl_cache_unlock(struct crl_cache *c)
{
	if (c->st != NULL)
		store_unlock(c->st);
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

/* Every issuer directory is read again at its next lookup. */
void
crl_cache_stale_all(struct crl_cache *c)
{
	struct crl_issuer	*ci;

	for (ci = c->issuers; ci != NULL; ci = ci->next)
		ci->present = -1;
}

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
			rc = err_nomem(e);
			break;
		}
		ci->slots = ns;
		ns = &ci->slots[ci->nslots];
		/* Length checked above. */
		memcpy(ns->name, de->d_name, strlen(de->d_name) + 1);
		ns->tried = 0;
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
		return err_nomem(e);
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
		if (!crl_idx_scope(h, x))
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
crl_slot_name(char out[33], const struct crl_der *d, const char *url)
{
	EVP_MD_CTX		*md;
	const ASN1_OCTET_STRING	*os;
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
			if ((k = X509v3_get_ext_by_NID(d->exts, nids[i], -1)) <
			    0)
				continue;
			os = X509_EXTENSION_get_data(X509v3_get_ext(d->exts,
			    k));
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
 * crl_cache_put on a walked CRL (its DER is what is written).  checked:
 * the signature was verified with issuer already.  Without an issuer,
 * only what is wrong on its face is refused.
 */
int
crl_put_parsed(struct crl_cache *c, const struct crl_der *d, X509 *issuer,
    int checked, const char *url, time_t at, struct err *e)
{
	unsigned char	*idx = NULL;
	size_t		 idxlen;
	uint8_t		 h[32];
	char		 hex[33], slot[33], path[PATH_MAX];
	int		 rc;

	if (issuer == NULL)
		rc = crl_check_times(d, at, e);
	else
		rc = checked ? crl_check_fields(d, issuer, at, e) :
		    crl_check(d, issuer, at, e);
	if (rc != 0 ||
	    (rc = crl_index_build(&idx, &idxlen, d, issuer, url, e)) != 0)
		goto out;
	if (crl_name_hash(h, d->issuer) != 0) {
		rc = err_openssl(e, ERR_CRYPTO, "CRL issuer name");
		goto out;
	}
	crl_hex(hex, h, 4);
	crl_slot_name(slot, d, url);
	if ((rc = crl_cache_lock(c, e)) != 0)
		goto out;
	/*
	 * Always DER on disk, even when PEM was given: OpenSSL's path reads
	 * it.  The .crl first: a crash between leaves a .crl without a new
	 * .idx, which the index never answers from.
	 */
	snprintf(path, sizeof(path), "%s/%s/%s.crl", c->dir, hex, slot);
	if ((rc = store_file_write(path, d->der, d->len, STORE_PUBLIC, e)) ==
	    0) {
		snprintf(path, sizeof(path), "%s/%s/%s.idx", c->dir, hex, slot);
		rc = store_file_write(path, idx, idxlen, STORE_PUBLIC, e);
	}
	crl_cache_unlock(c);
	crl_issuer_stale(c, hex);
 out:
	free(idx);
	return rc;
}

int
crl_cache_put(struct crl_cache *c, const unsigned char *buf, size_t len,
    X509 *issuer, const char *url, time_t at, struct err *e)
{
	struct crl_der	*d;
	unsigned char	*pem = NULL;
	int		 rc;

	if ((rc = crl_walk(&d, &pem, buf, len, e)) != 0)
		return rc;
	rc = crl_put_parsed(c, d, issuer, 0, url, at, e);
	crl_der_free(d);
	OPENSSL_free(pem);
	return rc;
}

/* A slot stored without a verifying key: all zeros where its hash goes. */
static int
crl_slot_unverified(const struct crl_idx_hdr *h)
{
	static const uint8_t	 zero[32];

	return memcmp(h->signer, zero, sizeof(zero)) == 0;
}

/* Verify one unverified slot's CRL against issuer and index it. */
static int
crl_slot_promote(struct crl_cache *c, struct crl_issuer *ci,
    const struct crl_slot *sl, X509 *issuer, time_t at, struct err *e)
{
	struct crl_der	*d = NULL;
	unsigned char	*idx = NULL;
	char		 path[PATH_MAX], *buf;
	char		 url[sizeof(sl->idx->hdr->url)];
	size_t		 len, idxlen, n = strlen(sl->name) - 4;
	int		 rc;

	memcpy(url, sl->idx->hdr->url, sizeof(url));
	snprintf(path, sizeof(path), "%s/%s/%.*s.crl", c->dir, ci->hex, (int)n,
	    sl->name);
	/* The .crl read under the lock is the one its .idx is written for. */
	if ((rc = crl_cache_lock(c, e)) != 0)
		return rc;
	if ((rc = store_file_read(path, &buf, &len, CRL_MAXSIZE, e)) != 0)
		goto out;
	if ((rc = crl_der_parse(&d, (unsigned char *)buf, len, e)) != 0 ||
	    (rc = crl_check(d, issuer, at, e)) != 0 ||
	    (rc = crl_index_build(&idx, &idxlen, d, issuer, url, e)) != 0)
		goto out;
	/* Free the CRL before the write: one of the two at a time. */
	crl_der_free(d);
	d = NULL;
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", c->dir, ci->hex, sl->name);
	rc = store_file_write(path, idx, idxlen, STORE_PUBLIC, e);
 out:
	crl_cache_unlock(c);
	crl_der_free(d);
	free(buf);
	free(idx);
	return rc;
}

int
crl_cache_promote(struct crl_cache *c, X509 *issuer, time_t at,
    struct err *e)
{
	struct crl_issuer	*ci;
	const uint8_t		*key;
	size_t			 i;
	int			 rc, n = 0;

	if ((rc = crl_issuer_get(c, X509_get_subject_name(issuer), &ci, e)) !=
	    0)
		return rc;
	key = crl_issuer_keyhash(ci, issuer);
	for (i = 0; i < ci->nslots; i++) {
		if ((ci->slots[i].tried && memcmp(ci->slots[i].tried_key, key,
		    32) == 0) || !crl_slot_unverified(ci->slots[i].idx->hdr))
			continue;
		/*
		 * Not this issuer's, or not valid now: OpenSSL's CRL code
		 * refuses it, and this process does not read it again for
		 * this key until the directory changes.
		 */
		if (crl_slot_promote(c, ci, &ci->slots[i], issuer, at, NULL) ==
		    0)
			n++;
		else {
			ci->slots[i].tried = 1;
			memcpy(ci->slots[i].tried_key, key, 32);
		}
	}
	ERR_clear_error();
	if (n > 0)
		ci->present = -1;
	return n;
}
