/*
 * agent_alarm: expiry alarms to syslog at 60, 30, 14, 7, 3 and 1 days
 * before a watched certificate's notAfter and at expiry, once per level
 * (the library's expiry.h decides and remembers; this file words them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include <openssl/x509.h>

#include "agent_int.h"
#include "cert.h"
#include "err.h"
#include "expiry.h"
#include "trustpoint.h"

/* The certificate as the message names it. */
static const char *
agent_alarm_what(const struct expiry_cert *c)
{
	if (c->kind == EXPIRY_TRUSTPOOL)
		return "trust pool CA certificate";
	if (c->kind == EXPIRY_CA)
		return "CA certificate";
	return c->slot == TP_KIND_SIGN ? "router certificate (signature)" :
	    c->slot == TP_KIND_ENCR ? "router certificate (encryption)" :
	    "router certificate";
}

static void
agent_alarm_log(const struct expiry_cert *c, int level, time_t now)
{
	char		 when[48], left[48];
	const char	*oper = "";
	long long	 days;

	cert_fmt_time(when, sizeof(when), c->not_after);
	days = (long long)((c->not_after - now) / EXPIRY_DAY);
	if (level == EXPIRY_EXPIRED)
		snprintf(left, sizeof(left), "has expired");
	else if (days == 0)
		snprintf(left, sizeof(left), "expires in less than a day");
	else
		snprintf(left, sizeof(left), "expires in %lld day%s", days,
		    days == 1 ? "" : "s");
	if (c->kind == EXPIRY_ROUTER && c->needs_operator)
		oper = "; renewal needs an operator";
	syslog(level >= EXPIRY_NDAYS - 1 ? LOG_ERR : LOG_WARNING,
	    "trustpoint %s: %s %s (subject %s, notAfter %s)%s", c->tp,
	    agent_alarm_what(c), left, c->subject, when, oper);
}

time_t
agent_alarms(struct store *st, const struct expiry_list *l, time_t now)
{
	struct expiry_memo	*m = NULL;
	const struct expiry_cert *c;
	struct err		 e;
	time_t			 next = 0, t;
	size_t			 i;
	int			 level;

	if (expiry_memo_load(&m, st, &e) != 0) {
		syslog(LOG_ERR, "expiry alarms: %s", e.msg);
		return 0;
	}
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		/* Successors are not alarmed; they become the certificate. */
		if (c->silenced || c->kind == EXPIRY_ROUTER_SHADOW ||
		    c->kind == EXPIRY_CA_NEXT)
			continue;
		if ((level = expiry_level(c->not_after, now)) >= 0 &&
		    expiry_memo_raise(m, c, level))
			agent_alarm_log(c, level, now);
		if ((t = expiry_next(c->not_after, now)) != 0 &&
		    (next == 0 || t < next))
			next = t;
	}
	if (expiry_memo_save(m, st, l, &e) != 0)
		syslog(LOG_ERR, "expiry alarms: %s", e.msg);
	expiry_memo_free(m);
	return next;
}
