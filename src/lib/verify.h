/*
 * verify: is this peer chain trusted, for this purpose, at this time, and
 * is none of it revoked?
 *
 * OpenSSL's X509_STORE_CTX does the RFC 5280 path work (chain building,
 * signatures, validity, basic constraints, name constraints, policies).
 * This module chooses the anchors, sets the flags and answers revocation:
 * from the CRL cache's verified indexes (crl.h) by default, fetching CRLs
 * from the certificates' distribution points when the cache has none, or
 * through OpenSSL's own CRL code when the caller supplies CRLs or when a
 * CRL has features the index does not model.
 *
 * Revocation is asked only of a verified path: a first pass checks the
 * chain (signatures to a trusted anchor, validity, extensions, policy)
 * answering revocation from the cache alone; only when that pass succeeds
 * are CRLs fetched (from http and ldap distribution points, nothing else)
 * and revocation decided.  A pasted certificate that does not chain to an
 * anchor makes no request, and a certificate whose path failed has no
 * revocation status (VERIFY_REV_NOPATH).
 *
 * Anchor sets are searched in the order given; put trustpoints first, then
 * the trust pool, so that a CA in both is used with the trustpoint's policy
 * (the reference text's precedence rule).
 */
#ifndef NETPKI_VERIFY_H
#define NETPKI_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct err;
struct crl_cache;
struct fetch_opts;

#define VERIFY_MAXDEPTH		16	/* longest chain accepted */
#define VERIFY_MAXANCHORS	4096	/* certificates over all sets */

/* A set of trust anchors and the policy of chains that end in one. */
struct verify_anchors {
	const char	*label;		/* "trustpoint myca", "Trustpool: Built-In" */
	STACK_OF(X509)	*certs;		/* borrowed for verify_new's duration */
	int		 crl_optional;	/* pass when no CRL can be had */
	const char	*query_url;	/* ldap://host for host-less ldap DPs */
};

enum verify_purpose {
	VERIFY_ANY = 0,
	VERIFY_SSL_SERVER,
	VERIFY_SSL_CLIENT,
};

/* verify_opts.flags */
#define VERIFY_NOREVOCATION	0x01	/* no CRL check at all */
#define VERIFY_NOFETCH		0x02	/* cache only, never the network */

struct verify_opts {
	enum verify_purpose	 purpose;
	/*
	 * The leaf must match this DNS name or IP address (RFC 6125:
	 * subjectAltName, else the CN for a name), or NULL: no check.
	 */
	const char		*host;
	/*
	 * 0: now, read again after each CRL fetch (a CRL signed while it
	 * was fetched is not in the future).
	 */
	time_t			 at;
	int			 flags;
	/*
	 * CRLs to use instead of the cache, judged by OpenSSL's own CRL code
	 * with extended CRL support and deltas (borrowed).
	 */
	STACK_OF(X509_CRL)	*crls;
	const struct fetch_opts	*fetch;		/* for CRL distribution points */
	/* RFC 5280 6.1.1 inputs; policies NULL means { anyPolicy }. */
	STACK_OF(ASN1_OBJECT)	*policies;
	int			 explicit_policy;
	int			 inhibit_mapping;
	int			 inhibit_any;
};

/* Revocation status of one certificate of the path. */
enum verify_rev {
	VERIFY_REV_UNCHECKED = 0,	/* revocation not checked */
	VERIFY_REV_GOOD,		/* a valid CRL does not list it */
	VERIFY_REV_REVOKED,		/* listed */
	VERIFY_REV_SKIPPED,		/* no CRL, and crl optional is set */
	VERIFY_REV_ANCHOR,		/* the trust anchor itself */
	VERIFY_REV_UNKNOWN,		/* not reached: the path failed first */
	VERIFY_REV_NOPATH,		/* not checked: no verified path */
};

struct verify_certrev {
	enum verify_rev	 status;
	int		 reason;	/* CRL reason code, -1 none */
	time_t		 date;		/* revocation date */
	char		 url[256];	/* CRL used ("" when none or unknown) */
};

struct verify_result {
	int			 valid;
	int			 error;		/* X509_V_ERR_*, 0 when valid */
	int			 depth;		/* of the failing certificate */
	char			 reason[768];	/* why it failed, "" if valid */
	char			 anchor[128];	/* label of the anchor set used */
	STACK_OF(X509)		*chain;		/* the path, leaf first */
	int			 nrev;
	struct verify_certrev	 rev[VERIFY_MAXDEPTH];
	int			 openssl_crl;	/* OpenSSL's CRL code decided */
};

struct verify;

/*
 * A verifier over anchor sets, reusable for any number of chains.  cache
 * (borrowed, may be NULL) holds CRLs; without it every certificate needs
 * supplied CRLs or crl optional.
 */
int	 verify_new(struct verify **, const struct verify_anchors *, size_t,
	    struct crl_cache *, struct err *);
void	 verify_free(struct verify *);

/*
 * Verify leaf with untrusted intermediates (may be NULL).  Returns 0 when
 * the chain is valid, ERR_REFUSED when it is not (res->reason and the
 * error say why), another ERR_* when verification could not run.  res is
 * always filled; free it with verify_result_free.
 */
int	 verify_chain(struct verify_result *, struct verify *, X509 *,
	    STACK_OF(X509) *, const struct verify_opts *, struct err *);
void	 verify_result_free(struct verify_result *);

const char *verify_rev_str(enum verify_rev);

/*
 * Plug a verifier into an SSL_CTX: every peer chain is checked by
 * verify_chain with opts (purpose ssl-server for a client's SSL_CTX).
 * The struct must outlive the SSL_CTX; last holds the last result.
 */
struct verify_tls {
	struct verify		*v;
	struct verify_opts	 opts;
	struct verify_result	 last;
};
void	 verify_tls_attach(SSL_CTX *, struct verify_tls *);
void	 verify_tls_clear(struct verify_tls *);

#endif
