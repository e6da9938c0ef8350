/*
 * crl: certificate revocation lists, fetched once, verified once, answered
 * from a compact index.
 *
 * OpenSSL's X509_verify_cert re-hashes and re-verifies every CRL on every
 * call, so a large CRL costs a full signature check per verification.  Here
 * a CRL is checked once (signature with the issuer's key, issuer name,
 * cRLSign, critical extensions, times) and its revoked serials are written
 * next to the DER as a sorted fixed-width table.  Revocation questions are
 * then a binary search over a read-only memory map: no parsing, no
 * hashing, a few pages touched.
 *
 * "Once" is when the CRL enters the cache if its issuer is known then, or
 * else the first time its issuer appears in a verified path
 * (crl_cache_promote).  The index is built straight from the DER
 * (crl_der.c): no object per entry, peak memory under twice the CRL.
 *
 * Cache layout under DIR (normally STATE/crl):
 *   DIR/<issuer>/<slot>.crl   the CRL as fetched (DER)
 *   DIR/<issuer>/<slot>.idx   its index (struct crl_idx_hdr, then tables)
 * <issuer> is OpenSSL's hash of the canonical issuer name (8 hex digits);
 * <slot> the SHA-256 of the distribution point URL, the issuing
 * distribution point and the delta indicator, so partitions and deltas of
 * one issuer sit side by side and a newer CRL replaces its predecessor.
 *
 * The index models complete and URI-partitioned CRLs signed by the
 * certificate issuer's own key.  Anything else (delta CRLs, indirect
 * CRLs, partitions by reason, directory-name distribution points, CRLs
 * signed by a separate key, negative or over-long serials) is marked "not
 * modelled" and the verifier hands the whole chain to OpenSSL's own CRL
 * code with the DER files of the issuers involved.
 */
#ifndef NETPKI_CRL_H
#define NETPKI_CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

struct err;
struct fetch_opts;
struct store;

/* DER or PEM input; the one cap for the library and netpki-ca. */
#define CRL_MAXSIZE		(64u * 1024 * 1024)
#define CRL_MAXENTRIES		(4u * 1024 * 1024)
#define CRL_MAXSERIAL		32	/* bytes of serial magnitude indexed */

/*
 * Parse DER or PEM ("X509 CRL") into OpenSSL's object, exactly one CRL, no
 * trailing data, the same signatureAlgorithm inside and out.  For
 * OpenSSL's own CRL code only: it costs an object per entry.
 */
int	 crl_parse(X509_CRL **, const unsigned char *, size_t, struct err *);

/*
 * A CRL walked in place over its DER (crl_der.c): the whole structure and
 * every entry checked, nothing per entry kept.  The bytes are borrowed and
 * must outlive the result.  Refused: not DER, trailing data, more than
 * CRL_MAXENTRIES entries, outer signatureAlgorithm not byte-for-byte the
 * one in tbsCertList (RFC 5280 5.1.1.2).
 */
struct crl_der;

int	 crl_der_parse(struct crl_der **, const unsigned char *, size_t,
	    struct err *);
void	 crl_der_free(struct crl_der *);

/*
 * The checks done once when a CRL is indexed: issuer name equals the
 * issuer certificate's subject, the issuer may sign CRLs (keyUsage
 * cRLSign when keyUsage is present), no unhandled critical extension, the
 * signature verifies with the issuer's key, thisUpdate <= at <= nextUpdate.
 * 0, or ERR_REFUSED with the rule broken.
 */
int	 crl_check(const struct crl_der *, X509 *, time_t, struct err *);

/* One opened (memory-mapped) index. */
struct crl_index;

/* What an index says about itself; strings are NUL-terminated. */
struct crl_info {
	char		 issuer[512];	/* issuer DN, reference text format */
	char		 url[512];	/* distribution point it came from */
	time_t		 this_update;
	time_t		 next_update;	/* 0: none */
	uint64_t	 count;		/* revoked entries */
	int		 modelled;	/* answered from the index */
	int		 delta;		/* a delta CRL */
	char		 path[1024];	/* the .crl file */
};

/*
 * Build the index bytes of a walked CRL (the caller checked it).  signer:
 * the certificate whose key verified it (NULL: not verified against the
 * certificate issuer, which makes the CRL "not modelled").  url: where it
 * was fetched ("" or NULL).  *out is malloc'd, caller frees.
 */
int	 crl_index_build(unsigned char **, size_t *, const struct crl_der *,
	    X509 *, const char *, struct err *);
/* Map an index file read-only and validate its header and sizes. */
int	 crl_index_open(struct crl_index **, const char *, struct err *);
/* The same over bytes in memory (for tests and the fuzzer); borrowed. */
int	 crl_index_open_mem(struct crl_index **, const unsigned char *, size_t,
	    struct err *);
void	 crl_index_free(struct crl_index *);
void	 crl_index_info(const struct crl_index *, struct crl_info *);

/*
 * Look a serial up.  1: revoked (*date, *reason: CRL reason code or -1 when
 * the entry has none), 0: not on the list, ERR_INVAL: serial not
 * representable in this index (negative or too long).
 */
int	 crl_index_lookup(const struct crl_index *, const ASN1_INTEGER *,
	    time_t *, int *);

/* The cache. */
struct crl_cache;

int	 crl_cache_open(struct crl_cache **, const char *, struct err *);
/*
 * The cache of a state directory (its "crl"): every write (put, promotion,
 * clear) holds st's lock, as every other state write does.  st is borrowed
 * and outlives the cache.
 */
int	 crl_cache_open_store(struct crl_cache **, struct store *,
	    struct err *);
void	 crl_cache_free(struct crl_cache *);
const char *crl_cache_dir(const struct crl_cache *);

/*
 * Add a CRL to the cache: parse it, verify it against issuer (when issuer
 * is NULL, or the signature does not verify with its key, the CRL is kept
 * as "not modelled" and OpenSSL judges it at use), build its index and
 * write both files atomically.  Refused: unparsable, oversized, expired or
 * not yet valid at `at`, issuer name mismatch.
 */
int	 crl_cache_put(struct crl_cache *, const unsigned char *, size_t,
	    X509 *, const char *, time_t, struct err *);

/*
 * Verified once for a CRL stored unverified (its issuer was not known at
 * `crypto ca crl request`): issuer is now trusted, by a verified path.
 * Every CRL cached under issuer's name and not yet verified is checked
 * with crl_check against it and, when it passes, re-indexed as verified
 * (atomic write).  One that fails stays as it was, for OpenSSL's CRL code
 * to refuse.  Returns how many were indexed, or a negative error.
 */
int	 crl_cache_promote(struct crl_cache *, X509 *, time_t, struct err *);

/*
 * Fetch url (http, https, ldap, file) with a 64 MiB cap and put it.  at 0:
 * the CRL is judged at the time it arrived (clock_now() after the fetch),
 * for a CA that signs its CRL when asked.
 */
int	 crl_cache_fetch(struct crl_cache *, const char *, X509 *,
	    const struct fetch_opts *, time_t, struct err *);

/*
 * `crypto ca crl request URL`: fetch and put a CRL whose issuer is not known
 * beforehand.  The issuer is the first of candidates whose subject is the
 * CRL's issuer and whose key verifies it; with none, the CRL is kept "not
 * modelled" and OpenSSL judges it when used.  *info (may be NULL)
 * describes what was stored; *verified says whether a candidate verified it.
 * at 0: as for crl_cache_fetch.
 */
int	 crl_cache_request(struct crl_cache *, const char *, STACK_OF(X509) *,
	    const struct fetch_opts *, time_t, struct crl_info *, int *,
	    struct err *);

/* Answer of crl_cache_lookup. */
enum crl_status {
	CRL_GOOD = 0,		/* a valid CRL does not list it */
	CRL_REVOKED,		/* listed */
	CRL_NONE,		/* no CRL for this certificate in the cache */
	CRL_EXPIRED,		/* the best CRL is past nextUpdate */
	CRL_NOTYET,		/* the best CRL's thisUpdate is in the future */
	CRL_FALLBACK,		/* a CRL the index does not model applies */
};

struct crl_answer {
	enum crl_status	 status;
	time_t		 date;		/* revocation date */
	int		 reason;	/* CRL reason code, -1 none */
	time_t		 next_update;	/* of the CRL used */
	char		 url[512];	/* distribution point of the CRL used */
};

/*
 * Revocation status of x, issued by issuer, at time at, from the cache
 * alone (no network).  Only CRLs verified with issuer's key are used.
 */
int	 crl_cache_lookup(struct crl_cache *, X509 *, X509 *, time_t,
	    struct crl_answer *, struct err *);

/*
 * Parse every cached CRL issued under name (and any extra names) into
 * crls, for OpenSSL's own CRL path.
 */
int	 crl_cache_load(struct crl_cache *, const X509_NAME *,
	    STACK_OF(X509_CRL) *, struct err *);

/* Every cached CRL, sorted by issuer; caller frees *out. */
int	 crl_cache_list(struct crl_cache *, struct crl_info **, size_t *,
	    struct err *);
/* Remove every cached CRL.  *n: how many were removed. */
int	 crl_cache_clear(struct crl_cache *, size_t *, struct err *);

#endif
