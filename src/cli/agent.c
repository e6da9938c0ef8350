/*
 * agent: the foreground daemon (`netpki agent [--state DIR]`) that does the
 * device's timed work, systemd-style: no fork, logs to syslog, stops on
 * SIGTERM/SIGINT, re-reads the configuration on SIGHUP and at every wake.
 *
 * Each round reads the running configuration and the state afresh (the
 * shell may have changed either), does what is due, and sleeps until the
 * earliest next due time (at most an hour, so a changed configuration is
 * noticed without a signal).  All times come from clock_now(), so
 * NETPKI_NOW drives the schedule in tests (with --once).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_int.h"
#include "cert.h"
#include "cfgparse.h"
#include "clock.h"
#include "cmdtree.h"
#include "commands.h"
#include "commitlog.h"
#include "config.h"
#include "enroll.h"
#include "renew.h"
#include "err.h"
#include "expiry.h"
#include "fetch.h"
#include "running.h"
#include "store.h"
#include "transport.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "trustpool.h"

/* Sleep at most this long, so configuration changes are picked up. */
#define AGENT_MAXSLEEP	TRUSTPOOL_HOUR

static volatile sig_atomic_t	 agent_stop;
static volatile sig_atomic_t	 agent_hup;

/*
 * The last retry boundary the agent polled a pending request at, so that a
 * request is polled once per `enrollment retry period` however often the
 * agent wakes.  Kept in memory: after a restart a request may be polled
 * once more than strictly due, which CertPoll tolerates.
 */
#define AGENT_POLLMEMO	64
struct agent_poll {
	char		 tp[TP_NAMEMAX + 1];
	enum tp_kind	 kind;
	char		 transid[129];
	long		 boundary;	/* k: polled at created + k * period */
	int		 gave_up;	/* logged that the retry count ran out */
	time_t		 said;		/* the not-before logged, or 0 */
};

struct agent {
	const char		*state;		/* state directory */
	int			 once;		/* one round, then exit */
	const char		*metrics;	/* --metrics-file, or NULL */
	struct cmd_tree		*tree;		/* the grammar, for the config */
	struct agent_poll	 polls[AGENT_POLLMEMO];
	size_t			 npolls, nextslot;
};

static void
agent_signal(int sig)
{
	if (sig == SIGHUP)
		agent_hup = 1;
	else
		agent_stop = 1;
}

static void
agent_usage(FILE *f)
{
	fprintf(f,
	    "usage: netpki agent [--state DIR] [--once] [--stderr]\n"
	    "                    [--metrics-file PATH]\n"
	    "\n"
	    "Runs in the foreground and does the timed work: the CA trust\n"
	    "pool's automatic update (crypto ca trustpool policy / cabundle\n"
	    "url), pending enrollments and certificate expiry alarms.\n"
	    "Logs to syslog (daemon).\n"
	    "\n"
	    "  --state DIR   state directory (default: $NETPKI_STATE, else\n"
	    "                /var/lib/netpki)\n"
	    "  --once        do what is due now, then exit\n"
	    "  --stderr      also copy log messages to stderr\n"
	    "  --metrics-file PATH\n"
	    "                write certificate expiry and renewal metrics\n"
	    "                there each round (node_exporter textfile)\n"
	    "\n"
	    "See netpki(1).\n");
}

static void
agent_fmt(char *buf, size_t sz, time_t t)
{
	if (t == 0)
		snprintf(buf, sz, "never");
	else
		cert_fmt_time(buf, sz, t);
}

static struct agent_poll *
agent_poll_memo(struct agent *ag, const char *tp, enum tp_kind kind,
    const char *transid)
{
	struct agent_poll	*p;
	size_t			 i;

	for (i = 0; i < ag->npolls; i++) {
		p = &ag->polls[i];
		if (p->kind == kind && strcmp(p->tp, tp) == 0 &&
		    strcmp(p->transid, transid) == 0)
			return p;
	}
	/* Bounded: the oldest entry makes room. */
	if (ag->npolls < AGENT_POLLMEMO)
		p = &ag->polls[ag->npolls++];
	else {
		p = &ag->polls[ag->nextslot];
		ag->nextslot = (ag->nextslot + 1) % AGENT_POLLMEMO;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->tp, sizeof(p->tp), "%s", tp);
	p->kind = kind;
	snprintf(p->transid, sizeof(p->transid), "%s", transid);
	return p;
}

static const char *
agent_kind(enum tp_kind k)
{
	return k == TP_KIND_SIGN ? "signature" : k == TP_KIND_ENCR ?
	    "encryption" : "general purpose";
}

/*
 * The server asked not to be polled before p->not_before (EST's
 * Retry-After, longer than the retry period): nothing is sent until then,
 * said once.  Returns that time, or 0 once it has passed.
 */
static time_t
agent_poll_held(struct agent_poll *m, const struct enroll *c,
    const struct tp_pending *p, enum tp_kind kind, time_t now)
{
	char	 when[64];

	if (p->not_before <= now)
		return 0;
	if (m->said != p->not_before) {
		agent_fmt(when, sizeof(when), p->not_before);
		syslog(LOG_INFO, "trustpoint %s: the server asked to wait: the "
		    "%s key's request is polled again at %s", c->tp->name,
		    agent_kind(kind), when);
		m->said = p->not_before;
	}
	return p->not_before;
}

/*
 * Poll one pending request if a retry boundary (created + k * period,
 * k = 1 .. retry count) has passed since the last poll, and not before
 * the server's Retry-After: a boundary that falls earlier is deferred to
 * then, the last one too.  Returns when the next poll is due, or 0 when
 * none is.
 */
static time_t
agent_poll_one(struct agent *ag, struct enroll *c, enum tp_kind kind,
    time_t now)
{
	struct tp_pending	 p;
	struct agent_poll	*m;
	struct err		 e;
	time_t			 period, next = 0;
	long			 k, due;
	int			 rc;

	if (tp_pending_load(&p, c->st, c->tp->name, kind, &e) != 0) {
		syslog(LOG_ERR, "trustpoint %s: %s", c->tp->name, e.msg);
		return 0;
	}
	m = agent_poll_memo(ag, c->tp->name, kind, p.transid);
	if ((next = agent_poll_held(m, c, &p, kind, now)) != 0)
		goto out;
	period = (time_t)c->tp->retry_period * 60;
	k = now > p.created ? (long)((now - p.created) / period) : 0;
	due = k > c->tp->retry_count ? c->tp->retry_count : k;
	if (k > c->tp->retry_count && (p.not_before == 0 ||
	    m->boundary >= due)) {
		if (!m->gave_up)
			syslog(LOG_WARNING, "trustpoint %s: no certificate for "
			    "the %s key after %d polls; the request stays "
			    "pending ('crypto ca enroll %s' resumes it)",
			    c->tp->name, agent_kind(kind), c->tp->retry_count,
			    c->tp->name);
		m->gave_up = 1;
		goto out;
	}
	if (due >= 1 && m->boundary < due) {
		m->boundary = due;
		rc = enroll_poll_once(c, kind, &e);
		if (rc == 0) {
			syslog(LOG_NOTICE, "trustpoint %s: certificate for the "
			    "%s key received from the Certificate Authority",
			    c->tp->name, agent_kind(kind));
			goto out;
		}
		if (rc == ERR_REFUSED) {
			syslog(LOG_ERR, "trustpoint %s: enrollment of the %s "
			    "key failed: %s", c->tp->name, agent_kind(kind),
			    e.msg);
			goto out;
		}
		syslog(rc == ERR_PENDING ? LOG_INFO : LOG_WARNING,
		    "trustpoint %s: poll %ld of %d for the %s key: %s",
		    c->tp->name, due, c->tp->retry_count, agent_kind(kind),
		    rc == ERR_PENDING ? "still pending" : e.msg);
	}
	if (k + 1 <= c->tp->retry_count)
		next = p.created + (time_t)(k + 1) * period;
 out:
	tp_pending_clear(&p);
	return next;
}

/* The engine's user is syslog: what the reply used, when weak. */
static void
agent_note(void *arg, const struct enroll_note *n)
{
	const char	*weak = NULL;

	(void)arg;
	if (n->ev != ENROLL_EV_REPLY)
		return;
	if (n->job->weak_cipher[0] != '\0')
		weak = "the CA encrypted its reply with a weak algorithm "
		    "(single DES)";
	else if (n->job->weak_md[0] != '\0')
		weak = "the CA signed its reply with a weak digest";
	if (weak != NULL)
		syslog(LOG_WARNING, "trustpoint %s: %s", n->en->tp->name, weak);
}

static const struct enroll_ui agent_ui = {
	.note = agent_note,
};

/*
 * Pending SCEP enrollments, polled by each trustpoint's `enrollment retry
 * period` and `count` when no shell waits on them.  Returns when the next
 * poll is due, or 0 when nothing is.
 */
static time_t
agent_enroll_poll(struct agent *ag, const struct config *cfg,
    struct store *st, time_t now)
{
	static const char	 prefix[] = "crypto ca trustpoint ";
	const char		**blocks = NULL;
	struct enroll		 c;
	struct err		 e;
	size_t			 i, n = 0;
	time_t			 next = 0, t;
	int			 kind, any;

	if (config_list(cfg, prefix, &blocks, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		const char	*name = blocks[i] + sizeof(prefix) - 1;

		for (any = 0, kind = 0; kind < TP_KIND__MAX; kind++)
			any |= tp_pending_exists(st, name, (enum tp_kind)kind);
		if (!any)
			continue;
		if (enroll_open(&c, st, cfg, name, &agent_ui, &e) != 0) {
			syslog(LOG_ERR, "trustpoint %s: pending request: %s",
			    name, e.msg);
			enroll_close(&c);
			continue;
		}
		for (kind = 0; kind < TP_KIND__MAX; kind++) {
			if (!tp_pending_exists(st, name, (enum tp_kind)kind))
				continue;
			t = agent_poll_one(ag, &c, (enum tp_kind)kind, now);
			if (t != 0 && (next == 0 || t < next))
				next = t;
		}
		enroll_close(&c);
	}
	free(blocks);
	return next;
}

/* Record an automatic update's failure so the schedule can back off. */
static void
agent_pool_failed(struct store *st, const char *url, const char *why,
    time_t now)
{
	struct trustpool_meta	 m;
	struct err		 e;

	if (store_lock(st, &e) != 0) {
		syslog(LOG_ERR, "trust pool: %s", e.msg);
		return;
	}
	if (trustpool_meta_read(&m, st, &e) != 0)
		memset(&m, 0, sizeof(m));
	m.last_failure = now;
	/* Truncation is fine: the full message went to syslog. */
	snprintf(m.last_error, sizeof(m.last_error), "%.*s",
	    (int)sizeof(m.last_error) - 1, why);
	if (trustpool_meta_write(st, &m, &e) != 0)
		syslog(LOG_ERR, "trust pool: %s", e.msg);
	store_unlock(st);
	syslog(LOG_WARNING, "trust pool: automatic update from %s failed: %s",
	    url, why);
}

static int
agent_pool_update(struct store *st, const struct config *cfg,
    const struct trustpool_policy *p, time_t now)
{
	struct trustpool_bundle	*b = NULL;
	struct fetch_opts	 fo;
	struct err		 e;
	int			 rc;

	memset(&fo, 0, sizeof(fo));

	syslog(LOG_INFO, "trust pool: automatic update from %s",
	    p->cabundle_url);
	/*
	 * The URL is the administrator's configured choice, so an unsigned
	 * bundle is taken without the shell's confirmation.
	 */
	if ((rc = transport_opts(&fo, cfg, st, p->vrf, NULL, p->cabundle_url,
	    &e)) != 0 || (rc = trustpool_fetch(&b, p->cabundle_url, &fo, st,
	    now, &e)) != 0 || (rc = trustpool_install(st, b, p->cabundle_url,
	    now, &e)) != 0) {
		agent_pool_failed(st, p->cabundle_url, e.msg, now);
		goto out;
	}
	syslog(LOG_NOTICE, "trust pool: updated from %s: %d CA certificates "
	    "(%s), %zu skipped", p->cabundle_url, sk_X509_num(b->certs),
	    trustpool_format_name(b->format), b->nskips);
 out:
	trustpool_bundle_free(b);
	transport_opts_clear(&fo);
	return rc;
}

/* "No cabundle url" warning, at most once per TRUSTPOOL_WARN_INTERVAL. */
static time_t
agent_pool_warn(struct store *st, const struct trustpool *tp, time_t now)
{
	struct trustpool_meta	 m;
	struct err		 e;
	char			 t[40];
	time_t			 next;

	if (trustpool_meta_read(&m, st, &e) != 0)
		memset(&m, 0, sizeof(m));
	if ((next = trustpool_next_warning(m.last_warning, now)) > now)
		return next;
	agent_fmt(t, sizeof(t), trustpool_expiry(tp, m.last_success, NULL));
	syslog(LOG_WARNING, "trust pool: no cabundle url configured (crypto "
	    "ca trustpool policy); the pool cannot be updated automatically "
	    "(earliest expiry %s)", t);
	if (store_lock(st, &e) == 0) {
		if (trustpool_meta_read(&m, st, &e) != 0)
			memset(&m, 0, sizeof(m));
		m.last_warning = now;
		if (trustpool_meta_write(st, &m, &e) != 0)
			syslog(LOG_ERR, "trust pool: %s", e.msg);
		store_unlock(st);
	} else
		syslog(LOG_ERR, "trust pool: %s", e.msg);
	return now + TRUSTPOOL_WARN_INTERVAL;
}

/* The trust pool timer; returns when it is next due. */
static time_t
agent_pool(const struct config *cfg, struct store *st, time_t now)
{
	struct trustpool_policy	 p;
	struct trustpool_meta	 m;
	struct trustpool	*tp = NULL;
	struct err		 e;
	char			 t[40];
	time_t			 next = now + AGENT_MAXSLEEP;

	trustpool_policy_get(&p, cfg);
	if (trustpool_load(&tp, st, &e) != 0) {
		syslog(LOG_ERR, "trust pool: %s", e.msg);
		goto out;
	}
	if (p.cabundle_none)
		goto out;
	if (p.cabundle_url == NULL) {
		next = agent_pool_warn(st, tp, now);
		goto out;
	}
	if (trustpool_meta_read(&m, st, &e) != 0)
		memset(&m, 0, sizeof(m));
	next = trustpool_next_update(trustpool_expiry(tp, m.last_success,
	    NULL), m.last_success, m.last_failure, now);
	if (next > now)
		goto out;
	agent_pool_update(st, cfg, &p, now);
	trustpool_free(tp);
	tp = NULL;
	if (trustpool_load(&tp, st, &e) != 0 ||
	    trustpool_meta_read(&m, st, &e) != 0) {
		syslog(LOG_ERR, "trust pool: %s", e.msg);
		next = now + TRUSTPOOL_HOUR;
		goto out;
	}
	next = trustpool_next_update(trustpool_expiry(tp, m.last_success,
	    NULL), m.last_success, m.last_failure, now);
	agent_fmt(t, sizeof(t), next);
	syslog(LOG_INFO, "trust pool: next update %s", t);
 out:
	trustpool_free(tp);
	return next;
}

/*
 * The grammar without a session: the saved file's statements are stored
 * as the grammar keys them (they were validated when committed).
 */
static int
agent_grammar_parse(void *arg, struct config *c, const char *text,
    const char *origin)
{
	return cfgparse_text(arg, c, text, origin, NULL, NULL);
}

/*
 * A `commit confirmed` nobody confirmed in time is rolled back here when
 * no shell starts first.  Returns the running trial's deadline, or 0.
 */
static time_t
agent_trial(const struct running_grammar *g, struct store *st)
{
	struct commitlog_trial	 t;
	struct err		 e;
	unsigned long		 id;
	char			 when[64];
	time_t			 deadline = 0;
	int			 rc;

	if ((rc = running_trial_expire(st, g, "agent", &t, &id, &e)) < 0)
		syslog(LOG_ERR, "confirmed commit: %s", e.msg);
	else if (rc == 1) {
		if (e.code != 0)
			syslog(LOG_ERR, "%s", e.msg);
		agent_fmt(when, sizeof(when), t.deadline);
		syslog(LOG_WARNING, "commit %010lu was not confirmed by %s: "
		    "configuration rolled back (commit %010lu)", t.id, when,
		    id);
		commitlog_trial_clear(&t);
	}
	if (commitlog_trial_get(st, &t, &e) == 0)
		deadline = t.deadline;
	commitlog_trial_clear(&t);
	/* Still there past its deadline: the rollback failed; not a spin. */
	if (deadline != 0 && deadline <= clock_now())
		deadline = clock_now() + 60;
	return deadline;
}

/* The library's events (auto-enroll, CA rollover) to syslog. */
static void
agent_log(void *arg, int prio, const char *msg)
{
	(void)arg;
	syslog(prio, "%s", msg);
}

/*
 * The certificates the device depends on: expiry alarms and the metrics
 * file.  Returns when the next alarm level is reached, or 0.
 */
static time_t
agent_watch(struct agent *ag, const struct config *cfg, struct store *st,
    time_t now)
{
	struct expiry_list	 l;
	struct err		 e;
	time_t			 next;

	if (expiry_collect(&l, st, cfg, now, &e) != 0) {
		syslog(LOG_ERR, "expiry: %s", e.msg);
		return 0;
	}
	next = agent_alarms(st, &l, now);
	if (ag->metrics != NULL && agent_metrics_write(ag->metrics, st, &l,
	    now, &e) != 0)
		syslog(LOG_ERR, "%s", e.msg);
	expiry_list_clear(&l);
	return next;
}

/* One round: everything due at now.  Returns when to wake next. */
static time_t
agent_round(struct agent *ag, time_t now)
{
	struct running_grammar	 g = { agent_grammar_parse, ag->tree };
	struct config		*cfg = NULL;
	struct store		*st = NULL;
	struct err		 e;
	time_t			 next = now + AGENT_MAXSLEEP, t;

	/* Configuration and state reread each round: the shell may change them. */
	if (store_open(&st, ag->state, &e) != 0) {
		syslog(LOG_ERR, "cannot open state directory %s: %s",
		    ag->state, e.msg);
		goto out;
	}
	if ((t = agent_trial(&g, st)) != 0 && t < next)
		next = t;
	if (running_load(&cfg, st, &g, &e) != 0) {
		syslog(LOG_ERR, "running configuration: %s", e.msg);
		goto out;
	}
	if ((t = agent_pool(cfg, st, now)) < next)
		next = t;
	if ((t = agent_enroll_poll(ag, cfg, st, now)) != 0 && t < next)
		next = t;
	if ((t = renew_round(st, cfg, running_hostname(cfg),
	    running_domain(cfg), now, agent_log, NULL)) != 0 && t < next)
		next = t;
	if ((t = tp_rollover_all(st, cfg, now, agent_log,
	    NULL)) != 0 && t < next)
		next = t;
	/*
	 * Last, at the time it is now: alarms and metrics see this round's
	 * switch-overs, after whatever the network took.
	 */
	if ((t = agent_watch(ag, cfg, st, clock_now())) != 0 && t < next)
		next = t;
 out:
	config_free(cfg);
	store_free(st);
	return next;
}

static void
agent_sleep(time_t secs)
{
	struct timespec	 ts;

	if (secs < 1)
		secs = 1;
	if (secs > AGENT_MAXSLEEP)
		secs = AGENT_MAXSLEEP;
	ts.tv_sec = secs;
	ts.tv_nsec = 0;
	/* A signal ends the sleep early (EINTR): stop or re-read. */
	while (!agent_stop && !agent_hup && nanosleep(&ts, &ts) == -1 &&
	    errno == EINTR)
		;
}

int
agent_main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ "once",	no_argument,		NULL, '1' },
		{ "stderr",	no_argument,		NULL, 'e' },
		{ "metrics-file", required_argument,	NULL, 'm' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct agent		 ag;
	struct sigaction	 sa;
	const char		*env;
	char			 msg[256];
	time_t			 next, now;
	int			 ch, logopt = LOG_PID;

	memset(&ag, 0, sizeof(ag));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			ag.state = optarg;
			break;
		case '1':
			ag.once = 1;
			break;
		case 'e':
			logopt |= LOG_PERROR;
			break;
		case 'm':
			ag.metrics = optarg;
			break;
		case 'h':
			agent_usage(stdout);
			return 0;
		default:
			agent_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netpki agent: unexpected argument: %s\n",
		    argv[optind]);
		return 2;
	}
	if (ag.state == NULL)
		ag.state = (env = getenv("NETPKI_STATE")) != NULL &&
		    *env != '\0' ? env : "/var/lib/netpki";
	if (cmdtree_new(&ag.tree, cmd_tables, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "netpki agent: command table: %s\n", msg);
		return 1;
	}
	openlog("netpki-agent", logopt, LOG_DAEMON);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = agent_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	syslog(LOG_INFO, "started, state directory %s", ag.state);
	while (!agent_stop) {
		agent_hup = 0;
		now = clock_now();
		next = agent_round(&ag, now);
		if (ag.once)
			break;
		agent_sleep(next - clock_now());
	}
	syslog(LOG_INFO, "stopped");
	closelog();
	cmdtree_free(ag.tree);
	return 0;
}
