/*
 * metrics: netpki-ca's counters, served as GET /metrics in the Prometheus
 * text format (version 0.0.4).  Names start with netpki_ca_ and carry no
 * instance of their own, so that one Prometheus scrapes a fleet of
 * servers sharing a PostgreSQL database and sums them.  Thread-safe.
 */
#ifndef NETPKI_CA_METRICS_H
#define NETPKI_CA_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct metrics;

/* What a request was (label "type"). */
enum metrics_type {
	METRICS_T_PKCSREQ,
	METRICS_T_RENEWALREQ,
	METRICS_T_CERTPOLL,
	METRICS_T_GETCERT,
	METRICS_T_GETCRL,
	METRICS_T_SIMPLEENROLL,	/* EST (RFC 7030 4.2) */
	METRICS_T_SIMPLEREENROLL,
	METRICS_T_SERVERKEYGEN,
	METRICS_T_PKIOP,	/* a PKIOperation not parsed far enough */
	METRICS_T_GETCACAPS,
	METRICS_T_GETCACERT,
	METRICS_T_CACERTS,	/* EST /cacerts */
	METRICS_T_CSRATTRS,	/* EST /csrattrs */
	METRICS_T_CRL,		/* GET /crl */
	METRICS_T_FILE,		/* /ca.crt, /bundle.p7b, /bundle.pem */
	METRICS_T_METRICS,
	METRICS_T_HEALTHZ,
	METRICS_T_OTHER,	/* anything else (404, 405, ...) */
	METRICS_NTYPES
};

/* What it came to (label "outcome"). */
enum metrics_outcome {
	METRICS_O_OK,		/* 2xx, no SCEP status */
	METRICS_O_ISSUED,
	METRICS_O_RESENT,
	METRICS_O_PENDING,
	METRICS_O_SUCCESS,
	METRICS_O_FAILED,
	METRICS_O_BADCHALLENGE,
	METRICS_O_POLICY,
	METRICS_O_MALFORMED,	/* not a (verifiable) pkiMessage */
	METRICS_O_CLIENT,	/* other 4xx: 404, 405, 413 ... */
	METRICS_O_THROTTLED,	/* 429 */
	METRICS_O_UNAVAILABLE,	/* 503 */
	METRICS_O_ERROR,	/* other 5xx */
	METRICS_NOUTCOMES
};

/* Events outside requests. */
enum metrics_event {
	METRICS_E_REFUSED_ADDR,		/* connection over the per-address cap */
	METRICS_E_REFUSED_RESERVE,	/* connection kept out of the reserve */
	METRICS_E_DEADLINE,		/* connection closed by the deadline */
	METRICS_E_COOLDOWN,		/* a cool-down began */
	METRICS_NEVENTS
};

/* Read when served; a negative value leaves the gauge out. */
struct metrics_gauges {
	int64_t		 pending;	/* requests awaiting approval */
	int64_t		 connections;	/* open now */
	double		 ca_expiry;	/* seconds until the CA's notAfter */
	double		 crl_age;	/* seconds since crl.der was written */
	/* rollover: from the store; ca_gen 0 when it did not answer */
	int		 ca_gen;	/* the CA generation in force */
	double		 next_switch;	/* seconds to the switch-over, or -1 */
	int		 gen_unloaded;	/* in force or next, not loaded here */
};

int	 metrics_new(struct metrics **, struct err *);
void	 metrics_free(struct metrics *);
void	 metrics_request(struct metrics *, enum metrics_type,
	    enum metrics_outcome, double);
void	 metrics_event(struct metrics *, enum metrics_event);
/* The outcome's label ("issued", "bad_challenge", ...). */
const char	*metrics_outcome_name(enum metrics_outcome);
/* The exposition, malloc'd in *out. */
int	 metrics_render(char **, size_t *, struct metrics *,
	    const struct metrics_gauges *, struct err *);

#endif
