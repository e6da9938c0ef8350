/*
 * enroll: the one enrollment engine.  The shell (crypto ca enroll) and the
 * agent (pending requests polled when no shell waits) run the same state
 * machine; what differs is behind two interfaces:
 *
 *   struct enroll_proto  how a request reaches the CA and an answer comes
 *                        back (SCEP: enroll_scep.c; TFTP files:
 *                        enroll_tftp.c; EST and renewal, a request signed
 *                        by the current certificate, are further tables of
 *                        the same shape);
 *   struct enroll_ui     how the user is asked (challenge password,
 *                        yes/no) and told (progress, fingerprints, results):
 *                        the shell prints, the agent logs.
 *
 * States of one request (one key pair of the trustpoint):
 *
 *   REQUEST --issued--> ISSUED
 *      |  \--refused/error--> FAILED
 *      v pending (saved to pending/<kind>)
 *   PENDING --wait--> POLL --issued--> ISSUED
 *      ^  |             |--refused--> FAILED (pending forgotten)
 *      |  |             \--error-----> FAILED (pending kept)
 *      |  \--user stops waiting--> CANCELLED (pending kept)
 *      \--still pending / network error (until retry count polls)
 *
 * The certificate is stored, and a refused request forgotten, under the
 * state directory's lock and only while the pending request is still the
 * one polled (enroll_store_cert).
 */
#ifndef NETPKI_ENROLL_H
#define NETPKI_ENROLL_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fetch.h"
#include "trustpoint.h"

struct config;
struct enroll;
struct err;
struct store;

#define ENROLL_PASSMAX	128	/* challenge password, with its NUL */
#define ENROLL_URLMAX	1600	/* where a request went, an answer is awaited */

enum enroll_state {
	ENROLL_REQUEST = 0,	/* nothing sent yet */
	ENROLL_PENDING,		/* the CA has not decided; pending/<kind> saved */
	ENROLL_POLL,		/* a poll is on its way */
	ENROLL_ISSUED,		/* the certificate is stored */
	ENROLL_FAILED,		/* refused, or an error ended the exchange */
	ENROLL_CANCELLED,	/* the user stopped waiting (pending kept) */
};

/* One request: one key pair of the trustpoint. */
struct enroll_job {
	enum tp_kind		 kind;
	int			 usage;		/* special-usage key pairs */
	enum enroll_state	 state;
	EVP_PKEY		*key;
	X509_REQ		*req;		/* while being sent */
	struct tp_pending	 pend;		/* transid, key label, created,
						   subject, signer */
	int			 polls;		/* polls sent so far */
	long			 retry_after;	/* server's wait, s (EST); 0 */
	/* What the CA answered (set by the protocol). */
	X509			*cert;		/* issued */
	int			 ca_failed;	/* the CA said FAILURE */
	char			 weak_cipher[32]; /* reply's cipher if weak */
	char			 weak_md[16];	/* reply's digest if weak */
	/*
	 * A renewal: a RenewalReq signed with the current certificate and
	 * key (key), for newkey (regenerate) or key; what is issued becomes
	 * the shadow certificate (renew.h).
	 */
	int			 renew;
	EVP_PKEY		*newkey;
	/* Where the request went and the answer is awaited, or "". */
	char			 sent_to[ENROLL_URLMAX];
	char			 await[ENROLL_URLMAX];
	void			*pstate;	/* the protocol's */
};

/*
 * A protocol.  Every op returns 0 or a negative ERR_* code with e filled.
 * request and poll: 0 when job->cert is set; ERR_PENDING: ask again later
 * (job->pend.transid names the request); ERR_REFUSED with job->ca_failed:
 * the CA said no; ERR_NET: the CA could not be reached (a later poll may
 * do better); others: the exchange is broken.  Optional ops may be NULL.
 */
struct enroll_proto {
	const char	*name;			/* "SCEP" */
	unsigned	 flags;
#define ENROLL_PROTO_RESUMABLE	0x01	/* pending requests are saved, polled
					   later by the shell or the agent */
#define ENROLL_PROTO_BATCH	0x02	/* every request goes before the first
					   poll (the CA sees them together) */
#define ENROLL_PROTO_OWN_CSR	0x04	/* request and poll build job->req
					   themselves (EST: bound to the TLS
					   connection); the password is a
					   credential (en->password), not a
					   challengePassword */
	/* Optional, first of all: local checks (TFTP: the URL). */
	int		(*check)(struct enroll *, struct err *);
	/* Once per run, before any request (SCEP: GetCACaps). */
	int		(*open)(struct enroll *, struct err *);
	void		(*close)(struct enroll *);
	/* The key pair can be used with this protocol. */
	int		(*key_ok)(struct enroll *, EVP_PKEY *, struct err *);
	int		(*request)(struct enroll *, struct enroll_job *,
			    struct err *);
	int		(*poll)(struct enroll *, struct enroll_job *,
			    struct err *);
	void		(*job_clear)(struct enroll_job *);
	/*
	 * Optional, after open: 1 when the CA renews a certificate on the
	 * strength of the current one (no challenge password), 0 when a
	 * renewal needs an operator.  NULL: the protocol cannot renew.
	 */
	int		(*renew_ok)(struct enroll *);
	/* Optional: ask the user for a password (NULL: when fresh > 0). */
	int		(*need_password)(struct enroll *, int);
};

extern const struct enroll_proto enroll_scep;
extern const struct enroll_proto enroll_tftp;
/* EST (enroll_est.c): simplereenroll over a valid router certificate. */
extern const struct enroll_proto enroll_est;
/* EST's renewal: simplereenroll only, the current certificate as TLS
   client certificate. */
extern const struct enroll_proto enroll_est_renew;
/*
 * crypto ca enroll NAME serverkeygen (RFC 7030 4.4): the EST server makes
 * the key pair; it is stored under the trustpoint's key label (which must
 * not exist yet) with the certificate, as one change.  en: an EST
 * trustpoint, en->password set when it uses http-auth.
 */
int	 enroll_est_serverkeygen(struct enroll *, struct err *);

/* What the engine tells the user. */
enum enroll_event {
	ENROLL_EV_KEYGEN,	/* the default key pair is being generated */
	ENROLL_EV_REQUEST_WEAK,	/* weak_cipher/weak_md: what the request uses */
	ENROLL_EV_CSR,		/* job->req built: its fingerprint */
	ENROLL_EV_SENT,		/* job->sent_to: the answer comes later */
	ENROLL_EV_RESUME,	/* a pending request is picked up again */
	ENROLL_EV_WAITING,	/* polling starts: period, count */
	ENROLL_EV_POLL,		/* poll n of count: err->code ERR_PENDING
				   or ERR_NET, err->msg says why */
	ENROLL_EV_REPLY,	/* the CA decided: job->weak_* (may be empty) */
	ENROLL_EV_ISSUED,	/* the certificate is stored */
	ENROLL_EV_FAILED,	/* err says why */
	ENROLL_EV_ERROR,	/* err: this request could not go on */
	ENROLL_EV_STOPPED,	/* the user stopped waiting */
	ENROLL_EV_EXHAUSTED,	/* count polls, still pending */
};

struct enroll_note {
	enum enroll_event	 ev;
	const struct enroll	*en;
	const struct enroll_job	*job;		/* NULL before any request */
	int			 n;		/* EV_POLL: this poll (1..) */
	const struct err	*err;		/* EV_POLL, EV_FAILED, EV_ERROR */
	const char		*weak_cipher;	/* EV_REQUEST_WEAK, or NULL */
	const char		*weak_md;	/* EV_REQUEST_WEAK, or NULL */
};

enum enroll_question {
	ENROLL_ASK_REENROLL,	/* a router certificate would be replaced */
};

/* The front end's side; arg is enroll_ui.arg. */
struct enroll_ui {
	void		*arg;
	/* Challenge password into buf: 0, or -1 to give up (said so). */
	int		(*password)(void *, char *, size_t);
	/* Yes/no: 0 with *yes, -1 without an answer. */
	int		(*confirm)(void *, enum enroll_question, int *);
	void		(*note)(void *, const struct enroll_note *);
	/* Wait ms before the next poll: 1 when the user stopped waiting. */
	int		(*wait)(void *, long);
};

struct enroll {
	struct store		*st;		/* borrowed */
	const struct trustpoint	*tp;		/* borrowed */
	const struct tp_certs	*certs;		/* borrowed */
	const struct fetch_opts	*fo;		/* borrowed */
	const struct enroll_proto *proto;
	const struct enroll_ui	*ui;
	const char		*hostname;	/* for the request's names */
	const char		*domain;	/* or NULL */
	int			 opened;	/* proto->open succeeded */
	void			*pstate;	/* the protocol's, per run */
	/* Set by proto->open: what a request will use, if weak. */
	const char		*req_weak_cipher;
	const char		*req_weak_md;
	/* Set by proto->open: the requests' digest (NULL: SHA-256). */
	const EVP_MD		*req_md;
	/* During enroll_run: the password asked (OWN_CSR), else NULL. */
	const char		*password;
	/*
	 * The key enroll_keys loaded to check it: the first request of its
	 * keystore kind takes it instead of reading the file again.
	 */
	EVP_PKEY		*checked_key;
	int			 checked_kind;	/* enum keystore_kind */
	/* enroll_open's own copies (the borrowed pointers point here). */
	struct trustpoint	*own_tp;
	struct tp_certs		 own_certs;
	struct fetch_opts	 own_fo;
};

/* Borrow what the caller loaded; nothing is read. */
void	 enroll_init(struct enroll *, struct store *, const struct trustpoint *,
	    const struct tp_certs *, const struct fetch_opts *,
	    const struct enroll_proto *, const struct enroll_ui *);
/*
 * Load an authenticated SCEP trustpoint from cfg (the agent's way in);
 * ERR_NOTFOUND when it is not one.  enroll_close in every case.
 */
int	 enroll_open(struct enroll *, struct store *, const struct config *,
	    const char *, const struct enroll_ui *, struct err *);
void	 enroll_close(struct enroll *);

/*
 * The longest wait a server's Retry-After gets (a day): polls stay
 * bounded in time by the retry count whatever a server asks.
 */
#define ENROLL_RETRY_AFTER_MAX	86400L

/* A "minute" of retry period in ms (NETPKI_MINUTE shortens it in tests). */
long	 enroll_minute_ms(void);

struct tftp_target;
/*
 * A TFTP trustpoint's files (tftp_enroll.h), the URL's VRF checked
 * against the trustpoint's.
 */
int	 enroll_tftp_target(struct tftp_target *, const struct enroll *,
	    struct err *);
/* "General Purpose", "Signature", "Encryption": the reference's words. */
const char *enroll_kind_usage(enum tp_kind);
/* The key pairs a trustpoint enrolls, in order: general, or sign + encr. */
int	 enroll_kinds(enum tp_kind[2], int);
/* ERR_NOTFOUND, with the hint, when the trustpoint has no CA yet. */
int	 enroll_need_ca(const struct enroll *, struct err *);
/*
 * The trustpoint's key pair: the default one is generated on first use
 * (ENROLL_EV_KEYGEN).  *usage = 1 for a special-usage pair.  proto: refuse
 * a key the protocol cannot use (NULL: any).
 */
int	 enroll_keys(struct enroll *, int *, const struct enroll_proto *,
	    struct err *);
/*
 * The PKCS#10 request for one key, as every enrollment method sends it:
 * IOS subject layout (hostname.domain), challenge password, key usage for
 * usage keys.  Caller frees *req.
 */
int	 enroll_csr(X509_REQ **, const struct enroll *, EVP_PKEY *,
	    enum tp_kind, int, const char *, struct err *);
/*
 * Store a device certificate under the state directory's lock and forget
 * the pending request of kind.  transid: only while the pending request is
 * still that one (ERR_BUSY otherwise: cancelled or replaced meanwhile);
 * NULL: no request was pending (an immediate answer, a pasted certificate).
 */
int	 enroll_store_cert(struct store *, const char *, enum tp_kind,
	    const char *, X509 *, struct err *);
/*
 * The same for a renewal: the certificate becomes the shadow of kind
 * (tp_shadow_store), the current one stays.
 */
int	 enroll_store_shadow(struct store *, const char *, enum tp_kind,
	    const char *, X509 *, struct err *);
/*
 * Forget the pending request of kind (under the lock; 0 also when none
 * was pending).  transid as for enroll_store_cert.
 */
int	 enroll_forget(struct store *, const char *, enum tp_kind,
	    const char *, struct err *);

/*
 * Ask before enrolling over a stored router certificate (none pending):
 * 1 go on, 0 the user said no.
 */
int	 enroll_confirm(struct enroll *);
/*
 * crypto ca enroll: a request for each key pair of the trustpoint, a
 * pending one resumed, then polling by the trustpoint's retry period and
 * count while ui->wait lets it.  Every message goes to ui->note
 * (ENROLL_EV_ERROR for what stopped a request or the run); 0 when every
 * request ended ISSUED, else -1.
 */
int	 enroll_run(struct enroll *);
/*
 * One poll of the pending request of kind, no waiting (the agent's round).
 * 0: issued and stored; ERR_PENDING: still pending; ERR_REFUSED: the CA
 * said FAILURE (the request is forgotten); others: errors (the request
 * stays).
 */
int	 enroll_poll_once(struct enroll *, enum tp_kind, struct err *);

/*
 * Renew the router certificate of kind (auto-enroll): a request signed
 * with the current certificate and key, for newkey (regenerate; NULL: the
 * current key), no password.  0: the shadow certificate is stored;
 * ERR_PENDING: the answer comes later (saved like a pending enrollment and
 * polled by enroll_poll_once); ERR_REFUSED with *needs_operator set: the
 * CA cannot renew unattended.  The outcome is recorded in the renewal
 * state (renew.h); the current certificate and key are never touched.
 */
int	 enroll_renew(struct enroll *, enum tp_kind, int, EVP_PKEY *, int *,
	    struct err *);

#endif
