/*
 * tp_rollover: CA rollover, the client side (RFC 8894 3.5.2, 4.7; over
 * EST, RFC 7030 4.1.3's Root CA Key Update certificates in /cacerts).
 *
 * When a trustpoint's CA lists GetNextCACert and its certificate is in the
 * rollover window, the CA's next certificate is fetched and kept as the
 * shadow CA beside ca.pem:
 *
 *   trustpoints/<name>/ca-next.pem   the next CA certificate first, then
 *                                    the RA certificates it issued (0644)
 *
 * It is accepted only when the current CA vouches for it: the answer is a
 * CMS SignedData signed by the current CA's key (ca.pem's first
 * certificate, matched by its SignerIdentifier and verified with its
 * key), or, for an unsigned certificates-only answer, a link certificate
 * (the next CA's key, issued and signed by the current CA) is in the bag.
 * During the overlap both CAs anchor the trustpoint (tp_anchors_add_next);
 * when the current CA expires, ca-next.pem becomes ca.pem (and the RA
 * files) in one store batch and the old CA is gone (tp_rollover_switch).
 */
#ifndef NETPKI_TP_ROLLOVER_H
#define NETPKI_TP_ROLLOVER_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

struct config;
struct err;
struct fetch_opts;
struct store;
struct trustpoint;

#define TP_NEXTCA_MAX		(64u * 1024)	/* bytes of an answer */
#define TP_NEXTCA_CERTMAX	8		/* certificates in its bag */
#define TP_ROLLOVER_DAYS	30	/* window without auto-enroll */
#define TP_ROLLOVER_RETRY	3600	/* seconds after a failed fetch */
#define TP_ROLLOVER_NOCAP	86400	/* CA without GetNextCACert: ask again */

/* An accepted GetNextCACert answer. */
struct tp_nextca {
	STACK_OF(X509)	*certs;		/* next CA first, then its RAs */
	X509		*ca;		/* borrowed: certs[0] */
	X509		*link;		/* old-signed-new link, or NULL */
	int		 signed_by_ca;	/* SignedData verified with ca.pem */
};

/*
 * Parse and judge a GetNextCACert answer (DER) against cur, the current
 * CA, at now.  ERR_TOOBIG over TP_NEXTCA_MAX bytes or TP_NEXTCA_CERTMAX
 * certificates; ERR_PROTO for a malformed answer; ERR_REFUSED when the
 * next CA is not vouched for by cur, is not a CA, has a bad validity, or
 * when the bag holds several candidate CAs.  The message names the rule.
 * Free with tp_nextca_clear.
 */
int		 tp_nextca_parse(struct tp_nextca *, const unsigned char *,
		    size_t, X509 *, time_t, struct err *);
void		 tp_nextca_clear(struct tp_nextca *);
/*
 * The same judgement of an EST /cacerts answer (RFC 7030 4.1.3, unsigned:
 * a link certificate signed by chain's first certificate must vouch)
 * against the current chain; ERR_NOTFOUND when it holds no key but the
 * chain's (no rollover offered).
 */
int		 tp_nextca_from_cacerts(struct tp_nextca *, STACK_OF(X509) *,
		    STACK_OF(X509) *, time_t, struct err *);

/* The shadow CA; ERR_NOTFOUND when none.  Caller frees *out. */
int		 tp_ca_next_load(X509 **, struct store *, const char *,
		    struct err *);
/* ca-next.pem in full (next CA first); ERR_NOTFOUND when none. */
int		 tp_ca_next_load_all(STACK_OF(X509) **, struct store *,
		    const char *, struct err *);
/*
 * Store n as the shadow CA under the state lock, only while ca.pem still
 * starts with cur (ERR_BUSY otherwise: the operator authenticated again).
 */
int		 tp_ca_next_store(struct store *, const char *, X509 *,
		    const struct tp_nextca *, struct err *);

/*
 * When the rollover window of CA certificate ca opens: percent (1-99) of
 * its lifetime, or TP_ROLLOVER_DAYS before its notAfter when percent is 0
 * (never before its notBefore).  0 when its times are unreadable.
 */
time_t		 tp_rollover_start(X509 *, int);

/* tp_rollover_start with the trustpoint's auto-enroll percent, if any. */
time_t		 tp_rollover_window(const struct trustpoint *, X509 *);

/*
 * Push the shadow CA (if any) onto anchors, a trustpoint's ca.pem chain
 * used as verification anchors, so that certificates of either CA verify
 * during the overlap.  0 when there is none.
 */
int		 tp_anchors_add_next(STACK_OF(X509) *, struct store *,
		    const char *, struct err *);

/*
 * Re-enrollment under the next CA: 1 when a next CA is kept and neither
 * the router certificate cur nor its renewal shadow (may be NULL) was
 * issued by it, so the renewal should run now rather than at its percent;
 * 0 otherwise (also when cur is NULL).
 */
int		 tp_rollover_renew_now(struct store *, const char *, X509 *,
		    X509 *);

/*
 * At or after the current CA's notAfter, make the shadow CA the CA: ca.pem
 * and the RA files from ca-next.pem, ca-next.pem removed, device
 * certificates the new CA did not issue dropped (tp_store_ca), one batch
 * under the lock.  1 when it switched, 0 when nothing was due.
 */
int		 tp_rollover_switch(struct store *, const char *, time_t,
		    struct err *);

/*
 * EST: GET /cacerts from tp's server (transport fo), judged against the
 * current chain and stored as the shadow CA; ERR_NOTFOUND when the server
 * offers no next CA.  The agent's round and an EST enrollment whose
 * certificate a CA the device does not know yet issued both call it.
 */
int		 tp_rollover_est(struct store *, const struct trustpoint *,
		    const struct fetch_opts *, STACK_OF(X509) *, time_t,
		    struct err *);

/* What tp_rollover_run did for a trustpoint. */
struct tp_rollover {
	int	 fetched;	/* a next CA was stored */
	int	 switched;	/* the shadow CA became the CA */
	int	 nocap;		/* in the window, the CA lacks GetNextCACert */
	int	 est;		/* ... or, over EST, /cacerts offers none */
	int	 asked;		/* the CA was asked this round */
	time_t	 start;		/* the window's start, 0: not authenticated */
	time_t	 next;		/* when to run again, 0: nothing to wait for */
};

/*
 * The last time the CA was asked (trustpoints/<name>/rollover, 0644):
 * when, when to ask again, and why it failed ("" when it did not).
 */
struct tp_rollover_state {
	time_t	 last;			/* 0: never asked */
	time_t	 next;			/* not before this */
	char	 error[256];		/* escaped, "" */
};
/* ERR_NOTFOUND when the CA was never asked. */
int		 tp_rollover_state_load(struct tp_rollover_state *,
		    struct store *, const char *, struct err *);

/*
 * One round for trustpoint tp at now: switch when due; else, in the
 * window, without a shadow CA, with a SCEP enrollment url, and not asked
 * since the last attempt's retry time: GetCACaps and, when it lists
 * GetNextCACert, fetch, judge and store the next CA; with an EST one,
 * the same from /cacerts (tp_rollover_est).  cfg gives the
 * transport (VRF, proxy, https anchors; NULL: defaults).  The outcome is
 * kept for the next round (tp_rollover_state); an error leaves the
 * certificates as they were.
 */
int		 tp_rollover_run(struct tp_rollover *, struct store *,
		    const struct config *, const struct trustpoint *, time_t,
		    struct err *);

/*
 * The agent's round over every trustpoint of cfg: tp_rollover_run with the
 * trustpoint's transport; each event and error goes to note (priority as
 * syslog's LOG_*, text escaped).  Returns when the earliest trustpoint
 * wants to run again, 0 when none does.
 */
time_t		 tp_rollover_all(struct store *, const struct config *, time_t,
		    void (*)(void *, int, const char *), void *);

#endif
