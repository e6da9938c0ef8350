/*
 * crl_int.h: what the crl modules (crl.c parsing and checks, crl_index.c
 * the verified-once index, crl_cache.c the on-disk cache, crl_fetch.c
 * distribution points) share and nobody else sees.
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


void	 crl_sha256(uint8_t[32], const void *, size_t);
void	 crl_hex(char *, const uint8_t *, size_t);
int	 crl_name_hash(uint8_t[32], const X509_NAME *);
void	 crl_key_hash(uint8_t[32], X509 *);
int	 crl_serial_bytes(const ASN1_INTEGER *, const unsigned char **);
uint32_t crl_time32(const ASN1_TIME *);
int	 crl_names_have_uri(const GENERAL_NAMES *, const char *);
int	 crl_has_suffix(const char *, const char *);
int	 crl_is_pem(const unsigned char *, size_t);
int	 crl_check_fields(X509_CRL *, X509 *, time_t, struct err *);
int	 crl_check_sig(X509_CRL *, X509 *, struct err *);
int	 crl_put_parsed(struct crl_cache *, X509_CRL *, const unsigned char *,
	    size_t, X509 *, int, const char *, time_t, struct err *);

#endif
