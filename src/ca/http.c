/*
 * http: libmicrohttpd's one polling thread does the HTTP; PKIOperations,
 * the CPU-heavy part, go to the workers (work.h) with their connections
 * suspended until the reply is ready.  Every thread that reads the store
 * keeps its own database connection (SQLite connections are not shared);
 * everything else the handlers read is immutable while serving.
 *
 * Limits: the accept policy counts connections per address and keeps the
 * last quarter of the global cap for addresses that hold none; a reaper
 * thread closes (shutdown(2)) the connections whose request has not
 * arrived whole within --request-timeout, which libmicrohttpd cannot do:
 * its timeout restarts with every byte.  The reaper only touches a socket
 * under the lock that the connection's close notification takes, and
 * libmicrohttpd closes the descriptor only after that notification, so
 * the descriptor cannot have been reused.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/stat.h>

#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "ca.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "est_server.h"
#include "http.h"
#include "metrics.h"
#include "scep_msg.h"
#include "scep_server.h"
#include "text.h"
#include "throttle.h"
#include "work.h"

/* A connection, for the per-address count and the request deadline. */
struct http_conn {
	struct http_conn	*next, *prev;
	struct throttle_addr	 addr;
	int			 fd;
	int			 busy;		/* request whole: no deadline */
	int			 shut;		/* the deadline closed it */
	struct timespec		 start;		/* of the request being read */
};

struct http {
	struct MHD_Daemon		*mhd;
	struct MHD_Daemon		*tls;		/* EST, or NULL */
	const struct est_server		*est;
	char				*tls_cert, *tls_key, *tls_trust;
	size_t				 tls_key_len;
	const struct scep_server	*srv;
	struct work			*work;
	pthread_key_t			 dbkey;
	int				 haskey;
	unsigned char			*p7b, *pem;	/* /bundle.* */
	size_t				 p7b_len, pem_len;
	struct http_limits		 lim;
	int				 reserve;	/* slots for new addresses */
	int				 reserve_per_ip; /* what they may hold */
	struct throttle			*thr;
	struct metrics			*met;
	pthread_mutex_t			 mu;		/* what follows */
	pthread_cond_t			 cv;		/* stop the reaper */
	struct http_conn		*conns;
	int				 nconn;
	int				 stop;
	int				 hasmu, hasreaper;
	pthread_t			 reaper;
};

/* Where a request is: being read, with the workers, or answered. */
enum http_state {
	HTTP_READING,
	HTTP_QUEUED,
	HTTP_READY,
};

/* Per request: the body (capped), and the reply once made. */
struct http_req {
	struct work_job		 job;		/* first: see http_job */
	struct http		*h;
	struct MHD_Connection	*c;
	struct timespec		 start;
	struct buf		 body;		/* at most HTTP_BODYMAX */
	int			 toobig;
	enum http_state		 state;
	const char		*op;		/* ?operation=, for the log */
	unsigned char		*msg;		/* GET pkiMessage, decoded */
	size_t			 msglen;
	struct http_conn	*conn;		/* NULL if not tracked */
	struct throttle_addr	 addr;
	enum metrics_type	 mtype;
	long			 retry;		/* 429: Retry-After */
	int			 quiet;		/* no log line */
	int			 cooldown;	/* its failure began one */
	struct est_req		 est;		/* EST: the request, its TLS */
	struct scep_reply	 reply;
};

/* http_route's "the reply comes later": the request is with the workers. */
#define HTTP_LATER	1
/* The reply note's share of a log line (a long subject is cut inside). */
#define HTTP_LOGNOTE	1024
/*
 * Connections the kernel completes before the server accepts them: a
 * burst of refused ones (an address over its cap reconnecting) must not
 * fill the queue and make other clients' SYNs wait for a retransmission.
 */
#define HTTP_BACKLOG	1024

static void
http_db_close(void *p)
{
	db_close(p);
}

static struct db *
http_db(struct http *h, struct err *e)
{
	struct db	*db = pthread_getspecific(h->dbkey);

	if (db != NULL)
		return db;
	if (ca_db_open(&db, h->srv->ca, e) != 0)
		return NULL;
	pthread_setspecific(h->dbkey, db);
	return db;
}

/*
 * The reply's note, escaped and bounded: a long one (a long subject)
 * keeps its start and its end, where the result is.
 */
static void
http_lognote(char *dst, size_t sz, const char *note)
{
	char	 buf[sizeof(((struct scep_reply *)0)->note) * 4 + 1];
	size_t	 n, head, tail;

	n = text_esc_n(buf, sizeof(buf), note, sizeof(buf), 0);
	if (n < sz) {
		memcpy(dst, buf, n + 1);
		return;
	}
	head = sz / 2;
	tail = sz - head - sizeof(" [...] ");
	snprintf(dst, sz, "%.*s [...] %s", (int)head, buf, buf + n - tail);
}

static long
http_ms(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
http_addr(char *buf, size_t sz, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;

	snprintf(buf, sz, "-");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, buf, (socklen_t)sz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, buf, (socklen_t)sz);
}

/*
 * One line per request; the outcome comes before the note, whose length
 * is bounded, so nothing a client sends can push it out of the line.
 */
static void
http_log(struct MHD_Connection *c, const char *method, const char *url,
    const struct http_req *hr, enum metrics_outcome o)
{
	const struct scep_reply	*r = &hr->reply;
	struct tm		 tm;
	char			 addr[INET6_ADDRSTRLEN] = "-", ts[32];
	char			 path[128], opname[33], note[HTTP_LOGNOTE];
	time_t			 t = time(NULL);

	http_addr(addr, sizeof(addr), c);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* The URL's query may hold a GET pkiMessage: log the path only. */
	text_esc_n(path, sizeof(path), url, strcspn(url, "?"),
	    TEXT_ESC_SPACE);
	text_esc_n(opname, sizeof(opname), hr->op ? hr->op : "", 32,
	    TEXT_ESC_SPACE);
	http_lognote(note, sizeof(note), r->note);
	fprintf(stderr, "%s %s %.8s %s%s%s %d %zu %ldms %s%s%s%s\n", ts, addr,
	    method, path, hr->op ? " " : "", opname, r->http, r->len,
	    http_ms(&hr->start), metrics_outcome_name(o), note,
	    hr->cooldown ? " cool-down begins" : "",
	    hr->retry > 0 ? " (more refusals from this address are not "
	    "logged until the cool-down ends)" : "");
}

static enum MHD_Result
http_send(struct MHD_Connection *c, struct scep_reply *r, long retry)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			 ra[24];

	resp = MHD_create_response_from_buffer(r->len, r->body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	r->body = NULL;		/* MHD owns it now */
	if (r->type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->type);
	if (r->authn != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    r->authn);
	if (retry <= 0)
		retry = r->retry;
	if (retry > 0) {
		snprintf(ra, sizeof(ra), "%ld", retry);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(c, (unsigned int)r->http, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
http_copy(struct scep_reply *r, int status, const char *type,
    const unsigned char *p, size_t n)
{
	r->http = status;
	r->type = type;
	if ((r->body = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	memcpy(r->body, p, n);
	r->len = n;
	return 0;
}

static int
http_text(struct scep_reply *r, int status, const char *s)
{
	return http_copy(r, status, "text/plain", (const unsigned char *)s,
	    strlen(s));
}

/* GET PKIOperation: base64 in the query, possibly with '+' turned to ' '. */
static int
http_unbase64(unsigned char **out, size_t *outlen, const char *s)
{
	char	*t, *p;
	int	 rc;

	if ((t = strdup(s)) == NULL)
		return -1;
	for (p = t; *p != '\0'; p++)
		if (*p == ' ')
			*p = '+';
	rc = est_base64_decode(out, outlen, (unsigned char *)t, strlen(t));
	free(t);
	return rc;
}

/* In a worker: the job is done, back to the polling thread. */
static void
http_done(struct http_req *hr)
{
	hr->state = HTTP_READY;
	MHD_resume_connection(hr->c);
}

/*
 * In a worker: the PKIOperation, or EST's simpleenroll/simplereenroll;
 * a wrong challenge counts for throttling.
 */
static void
http_job(struct work_job *j, struct db *db, const struct err *dberr)
{
	struct http_req	*hr = (struct http_req *)(void *)j;
	struct scep_reply *r = &hr->reply;
	const unsigned char *der = hr->msg != NULL ? hr->msg :
	    buf_uptr(&hr->body);
	size_t		 len = hr->msg != NULL ? hr->msglen :
	    buf_len(&hr->body);

	if (db == NULL) {
		snprintf(r->note, sizeof(r->note), " %.300s", dberr->msg);
		if (http_text(r, 503, "database unavailable\n") != 0)
			scep_reply_clear(r);
	} else if ((hr->est.op != EST_OP_NONE ? est_server_enroll(hr->h->est,
	    db, &hr->est, r) : scep_server_pkiop(hr->h->srv, db, der, len, r))
	    != 0) {
		scep_reply_clear(r);
		if (http_text(r, 500, "internal error\n") != 0)
			scep_reply_clear(r);
	}
	if (r->outcome == SCEP_OUT_BADCHALLENGE &&
	    throttle_fail(hr->h->thr, &hr->addr, clock_now())) {
		hr->cooldown = 1;
		metrics_event(hr->h->met, METRICS_E_COOLDOWN);
	}
	http_done(hr);
}

/* Rollover: what the store says, and whether this instance can follow. */
static void
http_gen_gauges(struct metrics_gauges *g, const struct ca *ca,
    struct db *db, time_t now)
{
	const struct ca	*c, *nx = NULL;
	struct err	 e;
	int		 cur = 0, next = 0;

	g->ca_gen = 0;
	g->gen_unloaded = 0;
	g->next_switch = -1;
	if (db == NULL || db_cagen_state(db, now, &cur, &next, &e) != 0)
		return;
	g->ca_gen = cur;
	c = ca_gen(ca, cur);
	if (next != 0)
		nx = ca_gen(ca, next);
	g->gen_unloaded = c == NULL || !c->in_db || (next != 0 &&
	    (nx == NULL || !nx->in_db));
	if (nx != NULL && nx->in_db)
		g->next_switch = difftime(nx->switch_at, now);
}

/* The gauges that are read, not counted. */
static void
http_gauges(struct metrics_gauges *g, struct http *h, struct db *db)
{
	const struct ca	*ca = h->srv->ca, *cur, *next;
	struct stat	 sb;
	struct err	 e;
	char		 path[4096];
	int		 days = 0, secs = 0;
	time_t		 now = clock_now();

	/* The expiry of the CA in force: after a rollover, the new one's. */
	if (ca_gens_now(&cur, &next, ca, NULL, now, &e) != 0)
		cur = ca;

	/* One COUNT(*), not every pending row (and its CSR) read. */
	if (db == NULL || db_request_count(db, DB_PENDING, &g->pending,
	    &e) != 0)
		g->pending = -1;
	pthread_mutex_lock(&h->mu);
	g->connections = h->nconn;
	pthread_mutex_unlock(&h->mu);
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cur->cert));
	/* ASN1_TIME_diff measures from the system clock: move to clock_now. */
	g->ca_expiry = (double)days * 86400 + secs - (double)(now - time(NULL));
	http_gen_gauges(g, ca, db, now);
	g->crl_age = -1;
	if (ca_path(path, sizeof(path), ca, "crl.der") == 0 &&
	    stat(path, &sb) == 0)
		g->crl_age = difftime(time(NULL), sb.st_mtime);
}

/* In a worker: GET /metrics (the pending count reads the store). */
static void
http_job_metrics(struct work_job *j, struct db *db, const struct err *dberr)
{
	struct http_req		*hr = (struct http_req *)(void *)j;
	struct scep_reply	*r = &hr->reply;
	struct metrics_gauges	 g;
	struct err		 e;
	char			*body;

	(void)dberr;
	http_gauges(&g, hr->h, db);
	if (metrics_render(&body, &r->len, hr->h->met, &g, &e) == 0) {
		r->body = (unsigned char *)body;
		r->http = 200;
		r->type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (http_text(r, 500, "internal error\n") != 0)
		scep_reply_clear(r);
	http_done(hr);
}

/* In a worker: GET /healthz, 200 when the store answers a query. */
static void
http_job_health(struct work_job *j, struct db *db, const struct err *dberr)
{
	struct http_req		*hr = (struct http_req *)(void *)j;
	struct scep_reply	*r = &hr->reply;
	struct err		 e;
	int64_t			 n;
	int			 rc;

	if (db == NULL)
		e = *dberr;
	if (db != NULL && db_cert_revoked_count(db, &n, &e) == 0)
		rc = http_text(r, 200, "ok\n");
	else {
		snprintf(r->note, sizeof(r->note), " store: %.300s", e.msg);
		rc = http_text(r, 503, "store unavailable\n");
	}
	if (rc != 0)
		scep_reply_clear(r);
	http_done(hr);
}

/* To the workers; the connection sleeps until the job resumes it. */
static int
http_queue(struct http *h, struct MHD_Connection *c, struct http_req *hr,
    void (*fn)(struct work_job *, struct db *, const struct err *))
{
	/* Suspended before queued: the worker may resume it at once. */
	hr->h = h;
	hr->c = c;
	hr->job.fn = fn;
	hr->state = HTTP_QUEUED;
	MHD_suspend_connection(c);
	if (work_push(h->work, &hr->job) != 0) {
		/* Stopping: no worker will take it. */
		hr->state = HTTP_READING;
		MHD_resume_connection(c);
		return http_text(&hr->reply, 503, "shutting down\n");
	}
	return HTTP_LATER;
}

static int
http_scep(struct http *h, struct MHD_Connection *c, const char *method,
    struct http_req *hr, struct scep_reply *r)
{
	const char	*op, *msg;
	int		 first;

	op = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "operation");
	hr->op = op;
	if (op == NULL)
		return http_text(r, 400, "missing operation\n");
	/*
	 * The CA generations as the store listed them at start (rollover):
	 * an unauthenticated GET costs the store nothing.  PKIOperation
	 * asks the store each time.
	 */
	if (strcmp(op, "GetCACaps") == 0) {
		hr->mtype = METRICS_T_GETCACAPS;
		return scep_server_getcacaps(h->srv, NULL, r);
	}
	if (strcmp(op, "GetCACert") == 0) {
		hr->mtype = METRICS_T_GETCACERT;
		return scep_server_getcacert(h->srv, NULL, r);
	}
	if (strcmp(op, "GetNextCACert") == 0) {
		hr->mtype = METRICS_T_GETCACERT;
		return scep_server_getnextcacert(h->srv, NULL, r);
	}
	if (strcmp(op, "PKIOperation") != 0)
		return http_text(r, 400, "unsupported operation\n");
	hr->mtype = METRICS_T_PKIOP;
	/* Refused before any work: a cool-down costs the CA nothing. */
	if ((hr->retry = throttle_check(h->thr, &hr->addr, clock_now(),
	    &first)) > 0) {
		hr->quiet = !first;
		return http_text(r, 429, "too many failed challenges from this "
		    "address: retry later\n");
	}
	if (strcmp(method, "POST") != 0) {
		msg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "message");
		if (msg == NULL ||
		    http_unbase64(&hr->msg, &hr->msglen, msg) != 0)
			return http_text(r, 400, "message: base64 expected\n");
	}
	return http_queue(h, c, hr, http_job);
}

/*
 * /crl is CA generation 1's CRL, /crl/N generation N's (rollover): each
 * is published as long as its certificates are about (cacrl_ended).
 */
static int
http_crl(struct http *h, const char *url, struct http_req *hr,
    struct scep_reply *r)
{
	const struct ca	*ca = h->srv->ca, *cur, *next;
	unsigned char	*der = NULL;
	size_t		 len;
	struct db	*db;
	struct err	 e;
	char		 tail;
	int		 gen = 1;

	hr->mtype = METRICS_T_CRL;
	if (url[4] != '\0' && (sscanf(url + 4, "/%2d%c", &gen, &tail) != 1 ||
	    gen < 2 || (ca = ca_gen(ca, gen)) == NULL || !ca->in_db))
		return http_text(r, 404, "no such CRL\n");
	if (ca_gens_now(&cur, &next, h->srv->ca, NULL, clock_now(), &e) == 0 &&
	    cacrl_ended(ca, cur, clock_now()))
		return http_text(r, 404, "no CRL: this CA generation has "
		    "expired, and every certificate it issued with it\n");
	if ((db = http_db(h, &e)) == NULL ||
	    cacrl_current(&der, &len, ca, db, &e) != 0) {
		snprintf(r->note, sizeof(r->note), " %.300s", e.msg);
		return http_text(r, 503, "CRL unavailable\n");
	}
	r->http = 200;
	r->type = "application/pkix-crl";
	r->body = der;
	r->len = len;
	return 0;
}

/* The CA generation in force (rollover), as GetCACert answers it. */
static int
http_cacrt(struct http *h, struct scep_reply *r)
{
	const struct ca	*cur, *next;
	struct err	 e;
	BIO		*b;
	char		*p;
	long		 n;
	int		 rc;

	if (ca_gens_now(&cur, &next, h->srv->ca, NULL, clock_now(), &e) != 0)
		return http_text(r, 503, "CA unavailable\n");
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(b, cur->cert)) {
		BIO_free(b);
		return -1;
	}
	n = BIO_get_mem_data(b, &p);
	rc = http_copy(r, 200, "application/x-pem-file", (unsigned char *)p,
	    (size_t)n);
	BIO_free(b);
	return rc;
}

/*
 * The TLS session's peer certificate (GnuTLS checked only that the peer
 * holds its key; est_server.c decides with OpenSSL whether it is
 * acceptable) and channel binding: tls-unique on TLS 1.2, tls-exporter
 * (RFC 9266) on TLS 1.3, where tls-unique does not exist.
 */
static int
http_tls_info(struct est_req *q, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;
	const gnutls_datum_t		*peers;
	const unsigned char		*p;
	gnutls_session_t		 s;
	gnutls_datum_t			 cb;
	unsigned int			 n = 0;
	int				 tls13;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || (s = ci->tls_session) == NULL)
		return -1;
	if ((peers = gnutls_certificate_get_peers(s, &n)) != NULL && n > 0 &&
	    peers[0].size < HTTP_BODYMAX) {
		p = peers[0].data;
		q->peer = d2i_X509(NULL, &p, (long)peers[0].size);
		if (q->peer != NULL && p != peers[0].data + peers[0].size) {
			X509_free(q->peer);
			q->peer = NULL;
		}
	}
	tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
	if (gnutls_session_channel_binding(s, tls13 ? GNUTLS_CB_TLS_EXPORTER :
	    GNUTLS_CB_TLS_UNIQUE, &cb) == GNUTLS_E_SUCCESS) {
		if (cb.size > 0 && cb.size <= sizeof(q->cb)) {
			memcpy(q->cb, cb.data, cb.size);
			q->cblen = cb.size;
			q->cbtype = tls13 ? EST_CB_TLS_EXPORTER :
			    EST_CB_TLS_UNIQUE;
		}
		gnutls_free(cb.data);
	}
	return 0;
}

static const enum metrics_type http_est_mtype[] = {
	[EST_OP_NONE] = METRICS_T_OTHER,
	[EST_OP_CACERTS] = METRICS_T_CACERTS,
	[EST_OP_CSRATTRS] = METRICS_T_CSRATTRS,
	[EST_OP_ENROLL] = METRICS_T_SIMPLEENROLL,
	[EST_OP_REENROLL] = METRICS_T_SIMPLEREENROLL,
	[EST_OP_SERVERKEYGEN] = METRICS_T_SERVERKEYGEN,
};

/* /.well-known/est/[LABEL/]OP: over TLS only (RFC 7030 3.2). */
static int
http_est(struct http *h, struct MHD_Connection *c, const char *path,
    const char *method, struct http_req *hr, struct scep_reply *r)
{
	struct est_req	*q = &hr->est;
	int		 post, first;

	if (h->est == NULL || http_tls_info(q, c) != 0)
		return http_text(r, 404, "not found: EST is served over "
		    "HTTPS (serve --est-listen)\n");
	if (est_server_path(&q->op, &q->policy, h->est, path) != 0)
		return http_text(r, 404, "not found\n");
	hr->mtype = http_est_mtype[q->op];
	post = q->op == EST_OP_ENROLL || q->op == EST_OP_REENROLL ||
	    q->op == EST_OP_SERVERKEYGEN;
	if (strcmp(method, post ? "POST" : "GET") != 0)
		return http_text(r, 405, "method not allowed\n");
	if (!post)
		return est_server_get(h->est, q, r);
	if ((hr->retry = throttle_check(h->thr, &hr->addr, clock_now(),
	    &first)) > 0) {
		hr->quiet = !first;
		return http_text(r, 429, "too many failed challenges from this "
		    "address: retry later\n");
	}
	q->ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	q->authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	hr->est.body = buf_uptr(&hr->body);
	hr->est.len = buf_len(&hr->body);
	return http_queue(h, c, hr, http_job);
}

static int
http_route(struct http *h, struct MHD_Connection *c, const char *url,
    const char *method, struct http_req *hr, struct scep_reply *r)
{
	hr->mtype = METRICS_T_OTHER;
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "HEAD") != 0)
		return http_text(r, 405, "method not allowed\n");
	if (hr->toobig)
		return http_text(r, 413, "request body over 64 KiB\n");
	if (strcmp(url, "/cgi-bin/pkiclient.exe") == 0 ||
	    strcmp(url, "/scep") == 0)
		return http_scep(h, c, method, hr, r);
	if (strncmp(url, EST_PREFIX, strlen(EST_PREFIX)) == 0)
		return http_est(h, c, url + strlen(EST_PREFIX), method, hr, r);
	if (strcmp(method, "POST") == 0)
		return http_text(r, 405, "method not allowed\n");
	if (strncmp(url, "/crl", 4) == 0 && (url[4] == '\0' || url[4] == '/'))
		return http_crl(h, url, hr, r);
	if (strcmp(url, "/metrics") == 0) {
		hr->mtype = METRICS_T_METRICS;
		return http_queue(h, c, hr, http_job_metrics);
	}
	if (strcmp(url, "/healthz") == 0) {
		hr->mtype = METRICS_T_HEALTHZ;
		return http_queue(h, c, hr, http_job_health);
	}
	if (strcmp(url, "/ca.crt") == 0 || strcmp(url, "/bundle.p7b") == 0 ||
	    strcmp(url, "/bundle.pem") == 0)
		hr->mtype = METRICS_T_FILE;
	if (strcmp(url, "/ca.crt") == 0)
		return http_cacrt(h, r);
	if (strcmp(url, "/bundle.p7b") == 0)
		return http_copy(r, 200, "application/x-pkcs7-certificates",
		    h->p7b, h->p7b_len);
	if (strcmp(url, "/bundle.pem") == 0)
		return http_copy(r, 200, "application/x-pem-file", h->pem,
		    h->pem_len);
	return http_text(r, 404, "not found\n");
}

/* The metrics' labels for an answered request. */
static enum metrics_type
http_mtype(const struct http_req *hr)
{
	if (hr->mtype != METRICS_T_PKIOP)
		return hr->mtype;
	switch (hr->reply.msgtype) {
	case SCEP_MT_PKCSREQ:
		return METRICS_T_PKCSREQ;
	case SCEP_MT_RENEWALREQ:
		return METRICS_T_RENEWALREQ;
	case SCEP_MT_CERTPOLL:
		return METRICS_T_CERTPOLL;
	case SCEP_MT_GETCERT:
		return METRICS_T_GETCERT;
	case SCEP_MT_GETCRL:
		return METRICS_T_GETCRL;
	default:
		return METRICS_T_PKIOP;
	}
}

static enum metrics_outcome
http_outcome(const struct scep_reply *r)
{
	switch (r->outcome) {
	case SCEP_OUT_MALFORMED:
		return METRICS_O_MALFORMED;
	case SCEP_OUT_ISSUED:
		return METRICS_O_ISSUED;
	case SCEP_OUT_RESENT:
		return METRICS_O_RESENT;
	case SCEP_OUT_PENDING:
		return METRICS_O_PENDING;
	case SCEP_OUT_SUCCESS:
		return METRICS_O_SUCCESS;
	case SCEP_OUT_BADCHALLENGE:
		return METRICS_O_BADCHALLENGE;
	case SCEP_OUT_POLICY:
		return METRICS_O_POLICY;
	case SCEP_OUT_UNAVAILABLE:
		return METRICS_O_UNAVAILABLE;
	case SCEP_OUT_NONE:
		break;
	default:
		return METRICS_O_FAILED;
	}
	if (r->http == 429)
		return METRICS_O_THROTTLED;
	if (r->http == 503)
		return METRICS_O_UNAVAILABLE;
	return r->http >= 500 ? METRICS_O_ERROR : r->http >= 400 ?
	    METRICS_O_CLIENT : METRICS_O_OK;
}

/* The tracked connection of c, once its request is whole or answered. */
static void
http_conn_busy(struct http *h, struct MHD_Connection *c, int busy)
{
	const union MHD_ConnectionInfo	*ci;
	struct http_conn		*hc;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (hc = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	hc->busy = busy;
	if (!busy)	/* the next request's deadline runs from now */
		clock_gettime(CLOCK_MONOTONIC, &hc->start);
	pthread_mutex_unlock(&h->mu);
}

/* A request's first call: its state, and an announced oversize body. */
static struct http_req *
http_req_new(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;
	struct http_req			*hr;
	const char			*cl;

	if ((hr = calloc(1, sizeof(*hr))) == NULL)
		return NULL;
	buf_init(&hr->body, HTTP_BODYMAX);
	clock_gettime(CLOCK_MONOTONIC, &hr->start);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	throttle_addr_set(&hr->addr, ci != NULL ? ci->client_addr : NULL);
	/* Refuse an announced oversize body before reading it. */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > HTTP_BODYMAX)
		hr->toobig = 1;
	return hr;
}

static enum MHD_Result
http_upload(struct http_req *hr, const char *upload, size_t *upload_size)
{
	/* Over the cap the rest is read and dropped: the answer is a 413. */
	if (!hr->toobig && buf_add(&hr->body, upload, *upload_size) != 0) {
		if (hr->body.err == ERR_NOMEM)
			return MHD_NO;
		hr->toobig = 1;
	}
	*upload_size = 0;
	return MHD_YES;
}

/* The reply is ready: count it, log it, send it. */
static enum MHD_Result
http_answer(struct http *h, struct MHD_Connection *c, const char *method,
    const char *url, struct http_req *hr)
{
	struct scep_reply	*r = &hr->reply;
	enum metrics_outcome	 o = http_outcome(r);
	enum MHD_Result		 ret;

	metrics_request(h->met, http_mtype(hr), o, http_ms(&hr->start) /
	    1000.0);
	if (!hr->quiet)
		http_log(c, method, url, hr, o);
	ret = http_send(c, r, hr->retry);
	scep_reply_clear(r);
	return ret;
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http		*h = cls;
	struct http_req		*hr = *con_cls;
	struct scep_reply	*r;
	int			 rc;

	(void)version;
	if (hr == NULL) {
		if ((hr = http_req_new(c)) == NULL)
			return MHD_NO;
		*con_cls = hr;
		if (!hr->toobig)
			return MHD_YES;
	} else if (*upload_size > 0)
		return http_upload(hr, upload, upload_size);
	r = &hr->reply;
	if (hr->state == HTTP_QUEUED)
		return MHD_YES;		/* woken early; the worker resumes */
	if (hr->state == HTTP_READING) {
		http_conn_busy(h, c, 1);
		if ((rc = http_route(h, c, url, method, hr, r)) == HTTP_LATER)
			return MHD_YES;
		if (rc != 0) {
			scep_reply_clear(r);
			if (http_text(r, 500, "internal error\n") != 0)
				return MHD_NO;
		}
	}
	if (r->body == NULL)
		return MHD_NO;
	return http_answer(h, c, method, url, hr);
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*hr = *con_cls;

	(void)toe;
	http_conn_busy(cls, c, 0);
	if (hr != NULL) {
		scep_reply_clear(&hr->reply);
		buf_free(&hr->body);
		X509_free(hr->est.peer);
		free(hr->msg);
		free(hr);
		*con_cls = NULL;
	}
}

/*
 * Accept policy: at most max_conn_per_ip per address, and once the
 * global count reaches max_conn - reserve, only addresses that hold
 * fewer than a quarter of their cap get one, so a few addresses at their
 * cap cannot fill the server, while a client whose previous connection's
 * close is still on its way (one request after another) is not refused.
 * libmicrohttpd itself stops accepting at max_conn.
 */
static enum MHD_Result
http_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct http		*h = cls;
	struct throttle_addr	 a;
	struct http_conn	*hc;
	int			 mine = 0, ev = -1;

	(void)salen;
	throttle_addr_set(&a, sa);
	pthread_mutex_lock(&h->mu);
	for (hc = h->conns; hc != NULL; hc = hc->next)
		mine += throttle_addr_eq(&hc->addr, &a);
	if (mine >= h->lim.max_conn_per_ip)
		ev = METRICS_E_REFUSED_ADDR;
	else if (mine >= h->reserve_per_ip &&
	    h->nconn >= h->lim.max_conn - h->reserve)
		ev = METRICS_E_REFUSED_RESERVE;
	pthread_mutex_unlock(&h->mu);
	if (ev == -1)
		return MHD_YES;
	metrics_event(h->met, (enum metrics_event)ev);
	return MHD_NO;
}

static void
http_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http			*h = cls;
	struct http_conn		*hc = *socket_context;
	const union MHD_ConnectionInfo	*ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Out of memory: served, but neither counted nor timed. */
		if ((hc = calloc(1, sizeof(*hc))) == NULL)
			return;
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		throttle_addr_set(&hc->addr, ci != NULL ? ci->client_addr :
		    NULL);
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		hc->fd = ci != NULL ? ci->connect_fd : -1;
		clock_gettime(CLOCK_MONOTONIC, &hc->start);
		pthread_mutex_lock(&h->mu);
		if ((hc->next = h->conns) != NULL)
			hc->next->prev = hc;
		h->conns = hc;
		h->nconn++;
		pthread_mutex_unlock(&h->mu);
		*socket_context = hc;
		return;
	}
	if (hc == NULL)
		return;
	/* Before libmicrohttpd closes the descriptor: see the top. */
	pthread_mutex_lock(&h->mu);
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		h->conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	h->nconn--;
	pthread_mutex_unlock(&h->mu);
	free(hc);
	*socket_context = NULL;
}

/* Close the connections whose request is overdue, every 250 ms. */
static void *
http_reaper(void *arg)
{
	struct http		*h = arg;
	struct http_conn	*hc;
	struct timespec		 wake;
	long			 limit = h->lim.request_timeout * 1000L;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		for (hc = h->conns; hc != NULL; hc = hc->next)
			if (!hc->busy && !hc->shut && hc->fd != -1 &&
			    http_ms(&hc->start) >= limit) {
				shutdown(hc->fd, SHUT_RDWR);
				hc->shut = 1;
				metrics_event(h->met, METRICS_E_DEADLINE);
			}
		clock_gettime(CLOCK_MONOTONIC, &wake);
		if ((wake.tv_nsec += 250000000L) >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &wake);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int
http_bundles(struct http *h, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	BIO		*b = NULL;
	char		*p;
	long		 n;
	int		 i, rc;

	if ((rc = ca_bundle(&sk, h->srv->ca, 1, e)) != 0 ||
	    (rc = scep_degenerate_build(&h->p7b, &h->p7b_len, sk, NULL, e)) !=
	    0)
		goto out;
	if ((b = BIO_new(BIO_s_mem())) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(sk, i))) {
			rc = err_set(e, ERR_CRYPTO, "bundle PEM");
			goto out;
		}
	n = BIO_get_mem_data(b, &p);
	if ((h->pem = malloc((size_t)n + 1)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	memcpy(h->pem, p, (size_t)n);
	h->pem_len = (size_t)n;
 out:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int
http_parse_listen(struct sockaddr_storage *ss, socklen_t *sl, const char *s,
    struct err *e)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*colon;
	char			*end;
	long			 port;
	size_t			 hl;

	memset(ss, 0, sizeof(*ss));
	if ((colon = strrchr(s, ':')) == NULL ||
	    (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		return err_set(e, ERR_INVAL, "--listen %s: ADDRESS:PORT "
		    "expected", s);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
		return err_set(e, ERR_INVAL, "--listen %s: bad port", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			return err_set(e, ERR_INVAL, "--listen %s: bad IPv6 "
			    "address", s);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return err_set(e, ERR_INVAL, "--listen %s: an IPv4 address "
		    "(or [IPv6]) is expected", s);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*sl = sizeof(*sin);
	return 0;
}

int
http_listen(int *fdp, int *port, const char *listen_on, struct err *e)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, one = 1, rc;

	*fdp = -1;
	if ((rc = http_parse_listen(&ss, &sl, listen_on, e)) != 0)
		return rc;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, ERR_NET, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, HTTP_BACKLOG) == -1) {
		rc = err_errno(e, ERR_NET, "cannot listen on %s", listen_on);
		close(fd);
		return rc;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		rc = err_errno(e, ERR_NET, "getsockname");
		close(fd);
		return rc;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*fdp = fd;
	return 0;
}

/*
 * Workers by default: two per CPU, so that a core stays busy while a
 * worker waits for its certificate's commit.
 */
int
http_workers(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 2 : n > 32 ? 64 : 2 * (int)n;
}

void
http_limits_init(struct http_limits *l)
{
	l->max_conn = HTTP_MAXCONN;
	l->max_conn_per_ip = HTTP_MAXCONN_PER_IP;
	l->request_timeout = HTTP_REQUEST_TIMEOUT;
	l->challenge_failures = HTTP_CHALLENGE_FAILURES;
	l->challenge_cooldown = HTTP_CHALLENGE_COOLDOWN;
}

/* The limits, the counters, and the reaper thread. */
static int
http_guards(struct http *h, const struct http_limits *lim, struct err *e)
{
	pthread_condattr_t	 ca;
	int			 rc;

	if (lim != NULL)
		h->lim = *lim;
	else
		http_limits_init(&h->lim);
	if (h->lim.max_conn < 1 || h->lim.max_conn_per_ip < 1)
		return err_set(e, ERR_INVAL, "--max-conn, --max-conn-per-ip: "
		    "at least 1");
	if (h->lim.max_conn_per_ip > h->lim.max_conn)
		h->lim.max_conn_per_ip = h->lim.max_conn;
	/* A quarter of the slots; none when one address may take them all. */
	h->reserve = h->lim.max_conn_per_ip < h->lim.max_conn ?
	    h->lim.max_conn / 4 : 0;
	h->reserve_per_ip = h->lim.max_conn_per_ip / 4 > 1 ?
	    h->lim.max_conn_per_ip / 4 : 1;
	if ((rc = metrics_new(&h->met, e)) != 0 ||
	    (rc = throttle_new(&h->thr, h->lim.challenge_failures,
	    h->lim.challenge_cooldown, THROTTLE_TABLE, e)) != 0)
		return rc;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	h->hasmu = 1;
	if (pthread_create(&h->reaper, NULL, http_reaper, h) != 0)
		return err_set(e, ERR_NOMEM, "cannot start the reaper thread");
	h->hasreaper = 1;
	return 0;
}

/*
 * The plain HTTP daemon, or (tls) the HTTPS one for EST: the same
 * handlers, limits and connection accounting.  With TLS, the trust list
 * makes GnuTLS ask for (not require) a client certificate.
 */
static struct MHD_Daemon *
http_daemon(struct http *h, int fd, int tls)
{
	struct MHD_OptionItem	 o[] = {
		{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, h->lim.max_conn, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 128 * 1024, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)http_completed, h },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_notify, h },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key },
		{ MHD_OPTION_HTTPS_MEM_TRUST, 0, h->tls_trust },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)HTTP_TLS_PRIORITIES },
		/* Handshakes cost CPU: one polling thread per core. */
		{ MHD_OPTION_THREAD_POOL_SIZE, http_workers() / 2, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (!tls)	/* END where the TLS options begin */
		o[6] = o[11];
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	    (tls ? MHD_USE_TLS : 0), 0, http_accept, h, http_handler, h,
	    MHD_OPTION_ARRAY, o, MHD_OPTION_END);
}

int
http_start(struct http **out, const struct scep_server *srv, int fd,
    int threads, const struct http_limits *lim, struct err *e)
{
	struct http	*h;
	int		 rc;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return err_nomem(e);
	h->srv = srv;
	if (pthread_key_create(&h->dbkey, http_db_close) != 0) {
		free(h);
		return err_set(e, ERR_NOMEM, "pthread_key_create");
	}
	h->haskey = 1;
	if ((rc = http_guards(h, lim, e)) != 0 ||
	    (rc = http_bundles(h, e)) != 0)
		goto fail;
	if ((rc = work_new(&h->work, srv->ca, threads > 0 ? threads :
	    http_workers(), e)) != 0)
		goto fail;
	h->mhd = http_daemon(h, fd, 0);
	if (h->mhd == NULL) {
		rc = err_set(e, ERR_NET, "libmicrohttpd did not start");
		goto fail;
	}
	*out = h;
	return 0;
 fail:
	http_stop(h);
	return rc;
}

/* The CA certificate as PEM: the issuer TLS client certificates name. */
static char *
http_ca_pem(const struct ca *ca)
{
	BIO	*b;
	char	*p, *out = NULL;
	long	 n;

	if ((b = BIO_new(BIO_s_mem())) != NULL &&
	    PEM_write_bio_X509(b, ca->cert) &&
	    (n = BIO_get_mem_data(b, &p)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

int
http_est_start(struct http *h, const struct est_server *est, int fd,
    const char *cert, const char *key, struct err *e)
{
	h->est = est;
	if ((h->tls_cert = strdup(cert)) == NULL ||
	    (h->tls_key = strdup(key)) == NULL ||
	    (h->tls_trust = http_ca_pem(h->srv->ca)) == NULL)
		return err_nomem(e);
	h->tls_key_len = strlen(h->tls_key);
	h->tls = http_daemon(h, fd, 1);
	if (h->tls == NULL)
		return err_set(e, ERR_NET, "libmicrohttpd did not start the "
		    "HTTPS listener (certificate and key do not match?)");
	return 0;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	/*
	 * The workers finish what is queued (resuming those connections)
	 * before the daemon goes; requests that arrive meanwhile get 503.
	 */
	work_stop(h->work);
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	if (h->tls != NULL)
		MHD_stop_daemon(h->tls);
	work_free(h->work);
	if (h->hasreaper) {
		pthread_mutex_lock(&h->mu);
		h->stop = 1;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->reaper, NULL);
	}
	if (h->hasmu) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
	}
	throttle_free(h->thr);
	metrics_free(h->met);
	if (h->haskey)
		pthread_key_delete(h->dbkey);
	free(h->p7b);
	free(h->pem);
	if (h->tls_key != NULL)
		OPENSSL_cleanse(h->tls_key, h->tls_key_len);
	free(h->tls_key);
	free(h->tls_cert);
	free(h->tls_trust);
	free(h);
}
