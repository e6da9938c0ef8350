/*
 * crl_int.h: what the crl modules (crl.c parsing and checks, crl_index.c
 * the verified-once index, crl_cache.c the on-disk cache and
 * crl_cache_files.c its directory as files, crl_fetch.c distribution
 * points) share and nobody else sees.
 */
#ifndef NETPKI_CRL_INT_H
#define NETPKI_CRL_INT_H

#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct crl_cache;
struct err;

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


/* A CRL walked in place (crl_der.c); the bytes are borrowed. */
struct crl_der {
	const unsigned char	*der;		/* the whole CRL */
	size_t			 len;
	const unsigned char	*tbs;		/* tbsCertList, tag to end */
	size_t			 tbslen;
	const unsigned char	*rev;		/* revokedCertificates contents */
	size_t			 revlen;	/* (rev NULL: none) */
	X509_ALGOR		*alg;		/* signatureAlgorithm */
	ASN1_BIT_STRING		*sig;
	X509_NAME		*issuer;
	ASN1_TIME		*this_update;
	ASN1_TIME		*next_update;	/* NULL: none */
	STACK_OF(X509_EXTENSION) *exts;		/* crlExtensions, NULL: none */
	uint64_t		 count;		/* revoked entries */
	uint32_t		 width;		/* widest serial magnitude */
	int			 modelable;	/* every entry fits the index */
	int			 reasons;	/* some entry has a reason code */
	int			 entry_critical; /* an unhandled critical one */
};

/* One revoked entry; serial points into the iterator's scratch. */
struct crl_der_entry {
	const unsigned char	*serial;	/* magnitude, no leading 0 */
	int			 seriallen;	/* -1: negative or too long */
	uint32_t		 date;		/* revocationDate, clamped */
	int			 reason;	/* -1: none */
	int			 issuer;	/* certificateIssuer present */
	int			 critical;	/* unhandled critical extension */
	int			 odd;		/* reason code twice or bad */
};

/* Walks revokedCertificates, reusing its decoded objects. */
struct crl_der_iter {
	const unsigned char	*p, *end;
	ASN1_INTEGER		*serial;
	ASN1_TIME		*date;
	X509_EXTENSION		*ext;
	ASN1_ENUMERATED		*reason;
};

void	 crl_der_iter_init(struct crl_der_iter *, const struct crl_der *);
int	 crl_der_next(struct crl_der_iter *, struct crl_der_entry *);
void	 crl_der_iter_clear(struct crl_der_iter *);
/* 1: the signature verifies with pk, else 0. */
int	 crl_der_verify(const struct crl_der *, EVP_PKEY *);

void	 crl_sha256(uint8_t[32], const void *, size_t);
void	 crl_hex(char *, const uint8_t *, size_t);
int	 crl_name_hash(uint8_t[32], const X509_NAME *);
void	 crl_key_hash(uint8_t[32], X509 *);
int	 crl_serial_bytes(const ASN1_INTEGER *, const unsigned char **);
uint32_t crl_time32(const ASN1_TIME *);
int	 crl_names_have_uri(const GENERAL_NAMES *, const char *);
int	 crl_dp_has(X509 *, const char *, int *);
int	 crl_idx_scope(const struct crl_idx_hdr *, X509 *);
int	 crl_has_suffix(const char *, const char *);
int	 crl_is_pem(const unsigned char *, size_t);
int	 crl_pem_der(unsigned char **, size_t *, const unsigned char *, size_t,
	    struct err *);
int	 crl_check_fields(const struct crl_der *, X509 *, time_t, struct err *);
int	 crl_check_sig(const struct crl_der *, X509 *, struct err *);
int	 crl_check_times(const struct crl_der *, time_t, struct err *);
int	 crl_walk(struct crl_der **, unsigned char **, const unsigned char *,
	    size_t, struct err *);
/* The CRL in an LDAP search answer as curl prints it; *out malloc'd. */
int	 crl_from_ldap(unsigned char **, size_t *, const char *, size_t,
	    struct err *);
int	 crl_put_parsed(struct crl_cache *, const struct crl_der *, X509 *, int,
	    const char *, time_t, struct err *);
/*
 * The state directory's lock, held by every writer of a cache opened with
 * crl_cache_open_store (a no-op for crl_cache_open).
 */
int	 crl_cache_lock(struct crl_cache *, struct err *);
void	 crl_cache_unlock(struct crl_cache *);
/* Every issuer directory is read again at its next lookup. */
void	 crl_cache_stale_all(struct crl_cache *);

#endif
