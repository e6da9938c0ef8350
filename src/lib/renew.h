/*
 * renew: automatic renewal of a trustpoint's router certificates
 * (`auto-enroll [PERCENT] [regenerate]`, IOS XE's grammar).
 *
 * A renewal is a request of the one enrollment engine (enroll.h) with the
 * job's renew flag: a SCEP RenewalReq (RFC 8894 3.3.1.2) signed with the
 * current certificate and key, a fresh transactionID each time.  What it
 * brings back is the shadow ("Router certificate (rollover)"), stored
 * beside the current one:
 *
 *   trustpoints/<tp>/shadow-<kind>.pem      the renewed certificate (0644)
 *   trustpoints/<tp>/shadow-key-<kind>.pem  with regenerate: its new key
 *                                           pair (0600), outside the key
 *                                           label namespace
 *   trustpoints/<tp>/renewal-<kind>         the schedule's memory (0644):
 *                                           attempts, outcome, next
 *
 * The shadow becomes active at max(current notAfter, shadow notBefore):
 * one store batch replaces cert-<kind>.pem (and, with regenerate, the key
 * pair under the trustpoint's label, the old one scrubbed) and removes the
 * shadow files, so a crash leaves the old pair or the new pair, never one
 * half of each.  A failed renewal touches neither the certificate nor the
 * key.
 */
#ifndef NETPKI_RENEW_H
#define NETPKI_RENEW_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustpoint.h"

struct config;
struct err;
struct store;

#define RENEW_PERCENT_DEFAULT	80	/* auto-enroll without PERCENT */
#define RENEW_HOURLY_TRIES	24	/* after the retry count: hourly, */
#define RENEW_HOUR		3600	/* then daily until expiry */
#define RENEW_DAY		86400

struct renew_state {			/* trustpoints/<tp>/renewal-<kind>, crash-safe */
	time_t		 last_attempt;	/* 0: never */
	time_t		 last_success;	/* 0: never */
	int		 last_ok;	/* the last attempt succeeded */
	char		 last_error[256];/* why the last attempt failed, "" */
	unsigned long	 failures_total;
	time_t		 next;		/* next attempt, 0: none scheduled */
	int		 needs_operator;/* the CA cannot renew unattended (no Renewal in GetCACaps) */
	unsigned long	 failures_run;	/* failures since the last success */
};

/* ERR_NOTFOUND: never renewed (*s zeroed). */
int	 renew_state_load(struct renew_state *, struct store *, const char *,
	    enum tp_kind, struct err *);
int	 renew_state_save(struct store *, const char *, enum tp_kind,
	    const struct renew_state *, struct err *);

/* When renewal is due: notBefore + percent% of the lifetime. */
time_t	 renew_due(time_t, time_t, int);
/* When the shadow becomes active: max(current notAfter, shadow notBefore). */
time_t	 renew_activation(X509 *, X509 *);
/*
 * The next attempt after the run-th failure in a row at now: every retry
 * period (minutes) for count failures, then hourly for RENEW_HOURLY_TRIES,
 * then daily; 0 when that is past expiry (the certificate is gone).
 */
time_t	 renew_retry_next(time_t, unsigned long, int, int, time_t);

/* The shadow's new key pair (regenerate); ERR_NOTFOUND when none. */
int	 renew_shadow_key_load(EVP_PKEY **, struct store *, const char *,
	    enum tp_kind, struct err *);
int	 renew_shadow_key_store(struct store *, const char *, enum tp_kind,
	    EVP_PKEY *, struct err *);
/* A new key pair of the same type and size as cur. */
int	 renew_keygen(EVP_PKEY **, EVP_PKEY *, struct err *);
/*
 * Make the shadow of kind the trustpoint's certificate (and its key the
 * key pair under label) as one change, under the lock.  ERR_NOTFOUND when
 * there is no shadow.
 */
int	 renew_switch(struct store *, const char *, const char *,
	    enum tp_kind, struct err *);

#endif
