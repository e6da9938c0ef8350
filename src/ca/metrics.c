/*
 * metrics: plain counters under one mutex (a request takes it once, for
 * well under a microsecond), written out as Prometheus text on demand.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "metrics.h"

/* Request latency buckets, in seconds (le=). */
static const double metrics_le[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define METRICS_NLE	(sizeof(metrics_le) / sizeof(metrics_le[0]))

static const char *const metrics_types[METRICS_NTYPES] = {
	"PKCSReq", "RenewalReq", "CertPoll", "GetCert", "GetCRL",
	"simpleenroll", "simplereenroll", "serverkeygen", "PKIOperation",
	"GetCACaps", "GetCACert", "cacerts", "csrattrs", "crl", "file",
	"metrics", "healthz", "other",
};

static const char *const metrics_outcomes[METRICS_NOUTCOMES] = {
	"ok", "issued", "resent", "pending", "success", "failed",
	"bad_challenge", "policy", "malformed", "client_error", "throttled",
	"unavailable",
	"error",
};

/* Latency histograms: PKIOperations, and everything else. */
#define METRICS_H_PKIOP	0
#define METRICS_H_OTHER	1

struct metrics_hist {
	uint64_t	 bucket[METRICS_NLE];	/* not cumulative */
	uint64_t	 count;
	double		 sum;
};

struct metrics {
	pthread_mutex_t		 mu;
	uint64_t		 req[METRICS_NTYPES][METRICS_NOUTCOMES];
	uint64_t		 ev[METRICS_NEVENTS];
	struct metrics_hist	 hist[2];
};

int
metrics_new(struct metrics **out, struct err *e)
{
	struct metrics	*m;

	if ((*out = m = calloc(1, sizeof(*m))) == NULL)
		return err_nomem(e);
	pthread_mutex_init(&m->mu, NULL);
	return 0;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void
metrics_request(struct metrics *m, enum metrics_type t,
    enum metrics_outcome o, double secs)
{
	struct metrics_hist	*h;
	size_t			 i;

	if ((unsigned)t >= METRICS_NTYPES || (unsigned)o >= METRICS_NOUTCOMES)
		return;
	h = &m->hist[t <= METRICS_T_PKIOP ? METRICS_H_PKIOP : METRICS_H_OTHER];
	for (i = 0; i < METRICS_NLE && secs > metrics_le[i]; i++)
		;
	pthread_mutex_lock(&m->mu);
	m->req[t][o]++;
	if (i < METRICS_NLE)
		h->bucket[i]++;
	h->count++;
	h->sum += secs;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_event(struct metrics *m, enum metrics_event ev)
{
	if ((unsigned)ev >= METRICS_NEVENTS)
		return;
	pthread_mutex_lock(&m->mu);
	m->ev[ev]++;
	pthread_mutex_unlock(&m->mu);
}

const char *
metrics_outcome_name(enum metrics_outcome o)
{
	return (unsigned)o < METRICS_NOUTCOMES ? metrics_outcomes[o] : "?";
}

static void
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_hist_print(FILE *f, const struct metrics_hist *h, const char *op)
{
	const char	*n = "netpki_ca_request_duration_seconds";
	uint64_t	 cum = 0;
	size_t		 i;

	for (i = 0; i < METRICS_NLE; i++) {
		cum += h->bucket[i];
		fprintf(f, "%s_bucket{operation=\"%s\",le=\"%g\"} %llu\n", n,
		    op, metrics_le[i], (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n", n, op,
	    (unsigned long long)h->count);
	fprintf(f, "%s_sum{operation=\"%s\"} %.6f\n", n, op, h->sum);
	fprintf(f, "%s_count{operation=\"%s\"} %llu\n", n, op,
	    (unsigned long long)h->count);
}

/* The counters, copied under the lock so the output is consistent. */
static void
metrics_counters(FILE *f, const struct metrics *m)
{
	size_t	 t, o;

	metrics_head(f, "netpki_ca_requests_total", "counter",
	    "HTTP requests answered, by type (SCEP message type or "
	    "operation) and outcome.");
	for (t = 0; t < METRICS_NTYPES; t++)
		for (o = 0; o < METRICS_NOUTCOMES; o++)
			if (m->req[t][o] != 0)
				fprintf(f, "netpki_ca_requests_total{type=\"%s\","
				    "outcome=\"%s\"} %llu\n", metrics_types[t],
				    metrics_outcomes[o],
				    (unsigned long long)m->req[t][o]);
	metrics_head(f, "netpki_ca_certificates_issued_total", "counter",
	    "Certificates issued to SCEP and EST requests (manual approvals "
	    "excluded).");
	fprintf(f, "netpki_ca_certificates_issued_total %llu\n",
	    (unsigned long long)(m->req[METRICS_T_PKCSREQ][METRICS_O_ISSUED] +
	    m->req[METRICS_T_RENEWALREQ][METRICS_O_ISSUED] +
	    m->req[METRICS_T_SIMPLEENROLL][METRICS_O_ISSUED] +
	    m->req[METRICS_T_SIMPLEREENROLL][METRICS_O_ISSUED] +
	    m->req[METRICS_T_SERVERKEYGEN][METRICS_O_ISSUED]));
	metrics_head(f, "netpki_ca_policy_refusals_total", "counter",
	    "Requests refused by the request policy.");
	fprintf(f, "netpki_ca_policy_refusals_total %llu\n",
	    (unsigned long long)(m->req[METRICS_T_PKCSREQ][METRICS_O_POLICY] +
	    m->req[METRICS_T_RENEWALREQ][METRICS_O_POLICY] +
	    m->req[METRICS_T_SIMPLEENROLL][METRICS_O_POLICY] +
	    m->req[METRICS_T_SIMPLEREENROLL][METRICS_O_POLICY] +
	    m->req[METRICS_T_SERVERKEYGEN][METRICS_O_POLICY]));
	metrics_head(f, "netpki_ca_throttled_total", "counter",
	    "PKIOperations refused (HTTP 429) during a failed-challenge "
	    "cool-down.");
	fprintf(f, "netpki_ca_throttled_total %llu\n",
	    (unsigned long long)m->req[METRICS_T_PKIOP][METRICS_O_THROTTLED]);
	metrics_head(f, "netpki_ca_challenge_cooldowns_total", "counter",
	    "Failed-challenge cool-downs begun.");
	fprintf(f, "netpki_ca_challenge_cooldowns_total %llu\n",
	    (unsigned long long)m->ev[METRICS_E_COOLDOWN]);
	metrics_head(f, "netpki_ca_connections_refused_total", "counter",
	    "Connections closed at once: over the per-address cap, or kept "
	    "out of the reserve.");
	fprintf(f, "netpki_ca_connections_refused_total{reason=\"per_address\"}"
	    " %llu\n", (unsigned long long)m->ev[METRICS_E_REFUSED_ADDR]);
	fprintf(f, "netpki_ca_connections_refused_total{reason=\"reserve\"}"
	    " %llu\n", (unsigned long long)m->ev[METRICS_E_REFUSED_RESERVE]);
	metrics_head(f, "netpki_ca_request_timeouts_total", "counter",
	    "Connections closed because a request was not received within "
	    "--request-timeout.");
	fprintf(f, "netpki_ca_request_timeouts_total %llu\n",
	    (unsigned long long)m->ev[METRICS_E_DEADLINE]);
	metrics_head(f, "netpki_ca_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer.");
	metrics_hist_print(f, &m->hist[METRICS_H_PKIOP], "PKIOperation");
	metrics_hist_print(f, &m->hist[METRICS_H_OTHER], "other");
}

/* CA rollover: the generation in force, the next switch-over. */
static void
metrics_gen_print(FILE *f, const struct metrics_gauges *g)
{
	if (g->ca_gen <= 0)
		return;
	metrics_head(f, "netpki_ca_generation", "gauge",
	    "The CA generation that issues now (1 before any rollover).");
	fprintf(f, "netpki_ca_generation %d\n", g->ca_gen);
	if (g->next_switch >= 0) {
		metrics_head(f, "netpki_ca_rollover_switch_seconds", "gauge",
		    "Seconds until issuance moves to the next CA generation.");
		fprintf(f, "netpki_ca_rollover_switch_seconds %.0f\n",
		    g->next_switch);
	}
	metrics_head(f, "netpki_ca_generation_unloaded", "gauge",
	    "1: the store names a CA generation this instance has not "
	    "loaded (restart it).");
	fprintf(f, "netpki_ca_generation_unloaded %d\n", g->gen_unloaded);
}

static void
metrics_gauges_print(FILE *f, const struct metrics_gauges *g)
{
	if (g->pending >= 0) {
		metrics_head(f, "netpki_ca_requests_pending", "gauge",
		    "Requests awaiting manual approval (in the shared store).");
		fprintf(f, "netpki_ca_requests_pending %lld\n",
		    (long long)g->pending);
	}
	if (g->connections >= 0) {
		metrics_head(f, "netpki_ca_connections", "gauge",
		    "HTTP connections open.");
		fprintf(f, "netpki_ca_connections %lld\n",
		    (long long)g->connections);
	}
	metrics_head(f, "netpki_ca_ca_certificate_expiry_seconds", "gauge",
	    "Seconds until the CA certificate's notAfter (negative: expired).");
	fprintf(f, "netpki_ca_ca_certificate_expiry_seconds %.0f\n",
	    g->ca_expiry);
	if (g->crl_age >= 0) {
		metrics_head(f, "netpki_ca_crl_age_seconds", "gauge",
		    "Seconds since DIR/crl.der was last written.");
		fprintf(f, "netpki_ca_crl_age_seconds %.0f\n", g->crl_age);
	}
	metrics_gen_print(f, g);
}

int
metrics_render(char **out, size_t *len, struct metrics *m,
    const struct metrics_gauges *g, struct err *e)
{
	struct metrics	 snap;
	FILE		*f;

	*out = NULL;
	*len = 0;
	pthread_mutex_lock(&m->mu);
	memcpy(snap.req, m->req, sizeof(snap.req));
	memcpy(snap.ev, m->ev, sizeof(snap.ev));
	memcpy(snap.hist, m->hist, sizeof(snap.hist));
	pthread_mutex_unlock(&m->mu);
	if ((f = open_memstream(out, len)) == NULL)
		return err_nomem(e);
	metrics_counters(f, &snap);
	metrics_gauges_print(f, g);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return err_nomem(e);
	}
	return 0;
}
