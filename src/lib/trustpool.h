/*
 * trustpool: the CA trust pool of the reference text ("Certificate Authority
 * Trust Pool Management").  Two sets of CA certificates:
 *   built-in    embedded in the binary at build time (Meson option
 *               builtin_bundle, by default Debian's ca-certificates);
 *               read-only; NETPKI_BUILTIN_BUNDLE=FILE replaces it in
 *               test builds (testhook.h);
 *   downloaded  the last bundle imported (`crypto ca trustpool import url`
 *               or the agent's automatic update), replaced as a whole.
 * A built-in certificate whose subject name matches a downloaded one is
 * inactive (the reference text's note).  Only CA certificates enter the
 * pool.
 *
 * State (in the store):
 *   trustpool/downloaded.pem  the downloaded set as PEM, preceded by "#"
 *                             comment lines with its provenance (source,
 *                             fetched, format), so that certificates and
 *                             provenance are replaced by one rename;
 *   trustpool/meta            the update timer's memory: last success,
 *                             last failure and its reason, last warning.
 */
#ifndef NETPKI_TRUSTPOOL_H
#define NETPKI_TRUSTPOOL_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

struct config;
struct err;
struct fetch_opts;
struct store;

#define TRUSTPOOL_MAXSIZE	(64u * 1024 * 1024)	/* bundle bytes */
#define TRUSTPOOL_MAXCERTS	10000			/* per bundle */

#define TRUSTPOOL_BLOCK		"crypto ca trustpool policy"
#define TRUSTPOOL_FILE		"trustpool/downloaded.pem"
#define TRUSTPOOL_META		"trustpool/meta"

/* Schedule constants (seconds). */
#define TRUSTPOOL_HOUR		3600
#define TRUSTPOOL_DAY		86400
/* Without a cabundle url, the agent warns at most this often. */
#define TRUSTPOOL_WARN_INTERVAL	TRUSTPOOL_DAY

enum trustpool_format {
	TRUSTPOOL_FMT_PEM = 0,		/* concatenated PEM certificates */
	TRUSTPOOL_FMT_P7,		/* degenerate PKCS#7 (certificates only) */
	TRUSTPOOL_FMT_P7_SIGNED,	/* PKCS#7 SignedData, signature checked */
};

enum trustpool_origin {
	TRUSTPOOL_BUILTIN = 0,
	TRUSTPOOL_DOWNLOADED,
};

/* A certificate of a bundle that did not enter the pool. */
struct trustpool_skip {
	size_t		 index;		/* 1-based position in the bundle */
	char		*subject;	/* CERT_DN_UPPER form */
	const char	*reason;	/* static text */
};

/* A parsed bundle, before it replaces anything. */
struct trustpool_bundle {
	enum trustpool_format	 format;
	STACK_OF(X509)		*certs;		/* accepted CA certificates */
	struct trustpool_skip	*skips;		/* nskips entries */
	size_t			 nskips;
	size_t			 total;		/* certificates in the bundle */
	char			*signer;	/* signed: signer subject, else NULL */
	size_t			 noutside;	/* PEM: non-blank lines outside
						   the blocks, ignored */
	unsigned char		 sha256[32];	/* of the bundle's bytes */
	int			 insecure;	/* fetched without integrity
						   (http, tftp: the scheme
						   really used) */
};

/* One certificate of the pool. */
struct trustpool_entry {
	X509			*x509;
	enum trustpool_origin	 origin;
	int			 active;	/* 0: built-in with the subject of a
						   downloaded certificate */
};

struct trustpool {
	struct trustpool_entry	*v;		/* built-in first, bundle order */
	size_t			 n;
	size_t			 nbuiltin;
	size_t			 ninactive;
	/* Provenance of the downloaded set ("" / 0 when none). */
	char			 source[1024];	/* URL it came from */
	char			 format[256];	/* how it was packaged */
	time_t			 fetched;
	size_t			 ndownloaded;	/* as the header says */
};

/* The timer's memory (trustpool/meta); all 0 when never run. */
struct trustpool_meta {
	time_t		 last_success;	/* last bundle installed */
	time_t		 last_failure;	/* last failed automatic update */
	time_t		 last_warning;	/* last "no cabundle url" warning */
	char		 last_error[512];
};

/* The `crypto ca trustpool policy` block; pointers borrowed from config. */
struct trustpool_policy {
	const char	*cabundle_url;	/* NULL when not configured */
	int		 cabundle_none;	/* "cabundle url none": updates off */
	int		 crl_optional;
	const char	*description;
	const char	*vrf;
};

/*
 * Parse a bundle; the format is detected by content.  A signed PKCS#7 must
 * verify (at time now) to one of anchors (the current pool's active
 * certificates); anchors NULL or empty refuses signed bundles.  Any bad
 * PEM block, trailing data or a bad signature refuses the whole bundle.
 * Non-CA certificates and duplicates are listed in skips.  A bundle
 * without a single CA certificate is refused.  Caller frees *out.
 */
int		 trustpool_bundle_parse(struct trustpool_bundle **,
		    const unsigned char *, size_t, STACK_OF(X509) *, time_t,
		    struct err *);
void		 trustpool_bundle_free(struct trustpool_bundle *);
const char	*trustpool_format_name(enum trustpool_format);

/*
 * Load the pool: the built-in set and the downloaded set from the store
 * (st may be NULL: built-in only).  Caller frees *out.
 */
int		 trustpool_load(struct trustpool **, struct store *,
		    struct err *);
void		 trustpool_free(struct trustpool *);
/* The built-in bundle's bytes (embedded, or NETPKI_BUILTIN_BUNDLE in tests). */
int		 trustpool_builtin_bytes(unsigned char **, size_t *,
		    struct err *);

/*
 * The active anchors (built-in active, then downloaded) as a new stack of
 * up-referenced certificates; caller frees with sk_X509_pop_free.  For
 * each, trustpool_find() gives its entry (origin).  Precedence for verify:
 * a CA that is also a trustpoint's CA is taken from the trustpoint, with
 * its policy, before the pool is consulted.
 */
int		 trustpool_anchors(STACK_OF(X509) **, const struct trustpool *,
		    struct err *);
/* The entry holding this exact certificate, or NULL. */
const struct trustpool_entry *trustpool_find(const struct trustpool *,
		    const X509 *);
/* "Built-In" or "Downloaded", as `show crypto ca trustpool` prints. */
const char	*trustpool_origin_name(enum trustpool_origin);

/* Read the policy block from a configuration (NULL: all defaults). */
void		 trustpool_policy_get(struct trustpool_policy *,
		    const struct config *);

/*
 * Download and parse a bundle (cap TRUSTPOOL_MAXSIZE).  A signed bundle is
 * checked against the active anchors of the pool in st (loaded only
 * then; st NULL: the built-in set).  fo: VRF, proxy and https anchors
 * (transport_opts()), or NULL; its size cap and timeout are the pool's.
 */
int		 trustpool_fetch(struct trustpool_bundle **, const char *,
		    const struct fetch_opts *, struct store *, time_t,
		    struct err *);

/*
 * Replace the downloaded set with the bundle's certificates, atomically,
 * and record the success in the meta file.  source: the URL, for show.
 */
int		 trustpool_install(struct store *,
		    const struct trustpool_bundle *, const char *, time_t,
		    struct err *);
/*
 * Remove every downloaded certificate (ERR_NOTFOUND when none); *removed
 * is how many there were.
 */
int		 trustpool_clean(struct store *, size_t *, struct err *);

int		 trustpool_meta_read(struct trustpool_meta *, struct store *,
		    struct err *);
int		 trustpool_meta_write(struct store *,
		    const struct trustpool_meta *, struct err *);

/*
 * The timer's target: the earliest notAfter after `after` among the pool's
 * active certificates (0 when none); *which (optional) is that
 * certificate, borrowed.  The agent passes the last success, so a
 * certificate that had already expired when the current bundle was
 * installed (the publisher still ships it) does not drive the timer, while
 * one that expires after it keeps doing so until an update succeeds.
 * With no success yet (after 0), certificates that had expired by now
 * (an old built-in bundle's) do not count: they cannot be renewed.
 */
time_t		 trustpool_expiry(const struct trustpool *, time_t, X509 **);
/*
 * The update schedule, a pure function of the pool's earliest expiry
 * (trustpool_expiry()), the last success and failure (meta file, 0:
 * never) and now.  The reference text's schedule: updates are attempted
 * 20, 15, 10, 5, 4, 3, 2 and 1 days before the earliest expiry, then once
 * every hour, until a download succeeds; the next attempt is the first of
 * those points after the last attempt (success or failure).  A success
 * that renews the expiring certificate moves the expiry and so the whole
 * schedule; a bundle that still carries it keeps the schedule going (and
 * hourly in the last day), until it has expired.  Returns the time the
 * next attempt is due, never earlier than now (== now: due now).  A pool
 * with nothing to renew (expiry 0) is due now, then hourly after a
 * failure and daily after a success.
 */
time_t		 trustpool_next_update(time_t, time_t, time_t, time_t);
/* When the next "no cabundle url" warning is due (<= now: due now). */
time_t		 trustpool_next_warning(time_t, time_t);

#endif
