/*
 * renew_round: what the agent does for auto-enroll each round (renew.h):
 * switch a shadow whose time has come, forget a pending renewal whose
 * polls ran out, and renew a router certificate that is due, on the one
 * enrollment engine (enroll_renew).  Pending renewals are polled by the
 * agent's pending-enrollment poll like any pending request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"
#include "config.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "renew.h"
#include "store.h"
#include "testhook.h"
#include "trustpoint.h"

struct renew_ctx {
	struct store		*st;
	void			(*note)(void *, int, const char *);
	void			*arg;
	struct enroll		*en;
	time_t			 now;
};

/* To the agent's log; names and messages in it are escaped already. */
static void
renew_say(const struct renew_ctx *c, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
renew_say(const struct renew_ctx *c, int prio, const char *fmt, ...)
{
	char	 msg[ERR_MSGMAX + 256];
	va_list	 ap;

	if (c->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->note(c->arg, prio, msg);
}

static const char *
renew_kind(enum tp_kind k)
{
	return k == TP_KIND_SIGN ? "signature" : k == TP_KIND_ENCR ?
	    "encryption" : "general purpose";
}

static time_t
renew_min(time_t a, time_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* A shadow waits: switched when its time has come.  Returns when due. */
static time_t
renew_shadow(struct renew_ctx *c, enum tp_kind kind, X509 *shadow)
{
	const struct trustpoint	*tp = c->en->tp;
	struct err		 e;
	char			 when[48];
	time_t			 at;

	/* Overtaken by a certificate enrolled by hand: never switched to. */
	if (renew_check_shadow(c->en->certs->dev[kind], shadow, &e) != 0) {
		renew_say(c, LOG_WARNING, "trustpoint %s: the shadow %s "
		    "certificate is dropped: %s", tp->name, renew_kind(kind),
		    e.msg);
		if (renew_drop_shadow(c->st, tp->name, kind, &e) != 0)
			renew_say(c, LOG_ERR, "trustpoint %s: %s", tp->name,
			    e.msg);
		return 0;
	}
	at = renew_activation(c->en->certs->dev[kind], shadow);
	if (c->now < at)
		return at;
	if (renew_switch(c->st, tp->name, tp->keylabel, kind, &e) != 0) {
		renew_say(c, LOG_ERR, "trustpoint %s: switch-over to the "
		    "renewed %s certificate failed: %s", tp->name,
		    renew_kind(kind), e.msg);
		return c->now + RENEW_HOUR;
	}
	cert_fmt_time(when, sizeof(when), at);
	renew_say(c, LOG_NOTICE, "trustpoint %s: the renewed %s certificate "
	    "is now active (switch-over time %s)", tp->name, renew_kind(kind),
	    when);
	return tp->auto_enroll ? renew_due_cert(shadow, tp->auto_enroll) : 0;
}

/*
 * A pending renewal is the agent's poll's; once its polls have run out it
 * is forgotten and counted as a failed attempt, so that the schedule
 * tries again.  Returns 0 (nothing of ours is due) or the retry time.
 */
static time_t
renew_pending(struct renew_ctx *c, enum tp_kind kind)
{
	const struct trustpoint	*tp = c->en->tp;
	struct tp_pending	 p;
	struct renew_state	 s;
	struct err		 e;
	time_t			 end;
	char			 why[128];

	if (tp_pending_load(&p, c->st, tp->name, kind, &e) != 0)
		return 0;
	end = p.created + (time_t)(tp->retry_count + 1) *
	    tp->retry_period * 60;
	if (p.renewal == 0 || c->now < end) {
		end = p.renewal == 0 ? 0 : end;
		tp_pending_clear(&p);
		return end;
	}
	if (enroll_forget(c->st, tp->name, kind, p.transid, &e) == 0) {
		snprintf(why, sizeof(why), "no certificate after %d polls",
		    tp->retry_count);
		renew_say(c, LOG_WARNING, "trustpoint %s: renewal of the %s "
		    "certificate: %s", tp->name, renew_kind(kind), why);
		(void)renew_record(c->st, tp, kind, c->en->certs->dev[kind],
		    ERR_NET, why, 0, c->now, &e);
	}
	tp_pending_clear(&p);
	if (renew_state_load(&s, c->st, tp->name, kind, &e) != 0)
		return 0;
	return s.next;
}

/* The shadow key pair for regenerate: the one kept, or a new one. */
static int
renew_newkey(EVP_PKEY **out, struct renew_ctx *c, enum tp_kind kind,
    struct err *e)
{
	const struct trustpoint	*tp = c->en->tp;
	EVP_PKEY		*cur = NULL;
	int			 rc;

	*out = NULL;
	if ((rc = renew_shadow_key_load(out, c->st, tp->name, kind, e)) !=
	    ERR_NOTFOUND)
		return rc;
	err_clear(e);
	if ((rc = keystore_load(&cur, c->st, tp->keylabel,
	    tp_keystore_kind(kind), e)) != 0)
		return rc;
	if ((rc = renew_keygen(out, cur, e)) == 0 &&
	    (rc = renew_shadow_key_store(c->st, tp->name, kind, *out,
	    e)) != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	EVP_PKEY_free(cur);
	testhook_crash("renew-shadow-key");
	return rc;
}

/* One renewal attempt; returns when the next thing is due. */
static time_t
renew_attempt(struct renew_ctx *c, enum tp_kind kind)
{
	const struct trustpoint	*tp = c->en->tp;
	EVP_PKEY		*nk = NULL;
	X509			*shadow = NULL;
	struct renew_state	 s;
	struct err		 e;
	time_t			 next = 0;
	int			 rc, op = 0;

	if (tp->auto_regenerate && (rc = renew_newkey(&nk, c, kind, &e)) != 0) {
		(void)renew_record(c->st, tp, kind, c->en->certs->dev[kind],
		    rc, e.msg, 0, c->now, &e);
		goto out;
	}
	rc = enroll_renew(c->en, kind, kind != TP_KIND_GENERAL, nk, &op, &e);
	if (rc == 0 && tp_shadow_load(&shadow, c->st, tp->name, kind,
	    &e) == 0) {
		renew_say(c, LOG_NOTICE, "trustpoint %s: the %s certificate "
		    "was renewed; the new one is kept as the shadow until "
		    "the switch-over", tp->name, renew_kind(kind));
		next = renew_activation(c->en->certs->dev[kind], shadow);
	} else if (rc == ERR_PENDING)
		renew_say(c, LOG_INFO, "trustpoint %s: renewal of the %s "
		    "certificate is pending at the CA", tp->name,
		    renew_kind(kind));
	else
		renew_say(c, op ? LOG_WARNING : LOG_ERR, "trustpoint %s: "
		    "renewal of the %s certificate failed: %s", tp->name,
		    renew_kind(kind), e.msg);
 out:
	if (rc != 0 && rc != ERR_PENDING &&
	    renew_state_load(&s, c->st, tp->name, kind, &e) == 0)
		next = s.next;
	X509_free(shadow);
	EVP_PKEY_free(nk);
	return next;
}

/* When the next attempt is due: the percent, or the retry schedule. */
static time_t
renew_when_kind(struct renew_ctx *c, enum tp_kind kind, X509 *cur)
{
	struct renew_state	 s;
	struct err		 e;
	int			 have;

	have = renew_state_load(&s, c->st, c->en->tp->name, kind, &e) == 0;
	return renew_when(&s, have, cur, c->en->tp->auto_enroll);
}

/* One key pair of a trustpoint. */
static time_t
renew_kind_round(struct renew_ctx *c, enum tp_kind kind)
{
	const struct trustpoint	*tp = c->en->tp;
	X509			*cur = c->en->certs->dev[kind], *shadow = NULL;
	struct err		 e;
	time_t			 t, na;

	if (tp_shadow_load(&shadow, c->st, tp->name, kind, &e) == 0) {
		t = renew_shadow(c, kind, shadow);
		X509_free(shadow);
		return t;
	}
	if (cur == NULL || tp->auto_enroll == 0)
		return 0;
	if (tp_pending_exists(c->st, tp->name, kind))
		return renew_pending(c, kind);
	if ((t = renew_when_kind(c, kind, cur)) == 0 || c->now < t)
		return t;
	/* An expired certificate cannot sign its own renewal. */
	if (cert_asn1_time(X509_get0_notAfter(cur), &na) != 0 || c->now > na)
		return 0;
	return renew_attempt(c, kind);
}

/* The trustpoint has something for us: auto-enroll, or a shadow. */
static int
renew_wanted(struct store *st, const struct config *cfg, const char *name)
{
	char	 block[128], rel[256], file[64];
	int	 k;

	if (tp_block(block, sizeof(block), name) == 0 &&
	    config_get(cfg, block, "auto-enroll") != NULL)
		return 1;
	for (k = 0; k < TP_KIND__MAX; k++) {
		snprintf(file, sizeof(file), "shadow-%s.pem",
		    tp_kind_name(k));
		if (tp_path(rel, sizeof(rel), name, file) == 0 &&
		    store_exists(st, rel))
			return 1;
	}
	return 0;
}

time_t
renew_round(struct store *st, const struct config *cfg, const char *host,
    const char *domain, time_t now, void (*note)(void *, int, const char *),
    void *arg)
{
	static const char	 prefix[] = "crypto ca trustpoint ";
	const char		**blocks = NULL;
	struct renew_ctx	 c;
	struct enroll		 en;
	struct err		 e;
	size_t			 i, n = 0;
	time_t			 next = 0;
	int			 k, rc;

	if (cfg == NULL || config_list(cfg, prefix, &blocks, &n) != 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.note = note;
	c.arg = arg;
	c.en = &en;
	c.now = now;
	for (i = 0; i < n; i++) {
		const char	*name = blocks[i] + sizeof(prefix) - 1;

		if (!renew_wanted(st, cfg, name))
			continue;
		if ((rc = enroll_open(&en, st, cfg, name, NULL, &e)) != 0) {
			/* Not SCEP, not authenticated: said, not alarmed. */
			renew_say(&c, rc == ERR_NOTFOUND ? LOG_INFO :
			    LOG_WARNING, "trustpoint %s: auto-enroll: %s",
			    name, e.msg);
			enroll_close(&en);
			continue;
		}
		en.hostname = host;
		en.domain = domain;
		for (k = 0; k < TP_KIND__MAX; k++)
			next = renew_min(next, renew_kind_round(&c, k));
		enroll_close(&en);
	}
	free(blocks);
	return next;
}
