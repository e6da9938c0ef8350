/*
 * expiry: the certificates a device depends on and when they expire, as
 * the agent watches them: each configured trustpoint's router
 * certificates and their shadows (renew.h), its CA chain (ca.pem) and the
 * next CA (tp_rollover.h), and the trust-pool CAs its chain ends in.
 *
 * Alarms are raised at EXPIRY_DAYS before notAfter and at expiry, once per
 * level and certificate: the levels raised are remembered in the state
 * directory (file "alarms": trustpoint, kind, SHA-256, level), so a
 * restart or the next poll does not repeat them, and a new certificate (a
 * new SHA-256) starts afresh.  A certificate with a valid successor (a
 * shadow certificate, a next CA) raises none.
 */
#ifndef NETPKI_EXPIRY_H
#define NETPKI_EXPIRY_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "trustpoint.h"

struct config;
struct err;
struct store;

#define EXPIRY_DAY		86400
#define EXPIRY_NDAYS		6	/* 60 30 14 7 3 1 days */
#define EXPIRY_EXPIRED		EXPIRY_NDAYS	/* the level past notAfter */
#define EXPIRY_POOLDEPTH	8	/* trust-pool CAs above one chain */
#define EXPIRY_MEMOMAX		(16u * 1024 * 1024)	/* bytes of "alarms" */

enum expiry_kind {
	EXPIRY_ROUTER = 0,	/* cert-<slot>.pem */
	EXPIRY_ROUTER_SHADOW,	/* shadow-<slot>.pem, the renewed one */
	EXPIRY_CA,		/* a certificate of ca.pem */
	EXPIRY_CA_NEXT,		/* ca-next.pem's CA */
	EXPIRY_TRUSTPOOL,	/* a pool CA the chain ends in */
	EXPIRY_KIND__MAX
};

struct expiry_cert {
	char		 tp[TP_NAMEMAX + 1];
	enum expiry_kind kind;
	enum tp_kind	 slot;		/* router kinds: the key pair's */
	/*
	 * The subject as cert_dn(CERT_DN_UPPER) prints it (escaped): the
	 * certificate itself is not kept, so a fleet's list stays small.
	 */
	char		*subject;
	time_t		 not_after;
	char		 fp[65];	/* SHA-256, lowercase hex */
	int		 silenced;	/* has a valid successor */
	int		 needs_operator;/* router: the CA cannot renew it
					   unattended (renew_state) */
};

struct expiry_list {
	struct expiry_cert	*v;
	size_t			 n;
	size_t			 cap;	/* allocated */
};

/* "router", "router_shadow", "ca", "ca_next", "trustpool". */
const char	*expiry_kind_name(enum expiry_kind);
/* Days before notAfter of level 0 .. EXPIRY_NDAYS - 1. */
int		 expiry_days(int);

/*
 * The watched certificates of every trustpoint configured in cfg, at now
 * (the silencing successors are judged at now).  Unreadable files are
 * skipped (the shell's show commands say why).  Clear with
 * expiry_list_clear.
 */
int		 expiry_collect(struct expiry_list *, struct store *,
		    const struct config *, time_t, struct err *);
void		 expiry_list_clear(struct expiry_list *);

/*
 * The alarm level of notAfter at now: -1 more than 60 days ahead, 0 (60
 * days) .. EXPIRY_NDAYS - 1 (1 day), EXPIRY_EXPIRED at or past it.
 */
int		 expiry_level(time_t, time_t);
/* When the level of notAfter next rises after now; 0 when never. */
time_t		 expiry_next(time_t, time_t);

/* The alarm memory (the state directory's "alarms" file). */
struct expiry_memo;
/* An absent or damaged file is an empty memory (alarms repeat once). */
int		 expiry_memo_load(struct expiry_memo **, struct store *,
		    struct err *);
/* The file's text (untrusted: damaged lines are dropped). */
int		 expiry_memo_parse(struct expiry_memo **, const char *, size_t,
		    struct err *);
size_t		 expiry_memo_count(const struct expiry_memo *);
void		 expiry_memo_free(struct expiry_memo *);
/*
 * 1 when c is at a level (given) above the highest raised for it: that
 * level is recorded as raised; 0 when it was raised already.
 */
int		 expiry_memo_raise(struct expiry_memo *, const struct
		    expiry_cert *, int);
/*
 * Write the memory, keeping only the certificates of l (so a replaced
 * certificate's entry goes), when it changed: atomically, under the lock.
 */
int		 expiry_memo_save(struct expiry_memo *, struct store *,
		    const struct expiry_list *, struct err *);

#endif
