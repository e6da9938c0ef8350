/*
 * cmd_renew: what the show commands say about auto-enroll (renew.h): the
 * shadow certificate as IOS XE names it, "Router certificate (rollover)",
 * in show crypto ca certificates, and the renewal lines of show crypto ca
 * trustpoint NAME status (next renewal, shadow, last attempt), in text and
 * in JSON from the same calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cert.h"
#include "clock.h"
#include "cmd_trustpoint.h"
#include "err.h"
#include "json.h"
#include "renew.h"
#include "shell.h"
#include "store.h"
#include "text.h"
#include "trustpoint.h"

void
tpc_show_rollover(struct shell *sh, struct store *st, const char *name,
    enum tp_kind kind, X509 *cur)
{
	struct json	*j = shell_json(sh);
	X509		*x = NULL;
	struct err	 e;
	char		 t[64];
	time_t		 at;

	if (tp_shadow_load(&x, st, name, kind, &e) != 0)
		return;
	at = renew_activation(cur, x);
	cert_fmt_time(t, sizeof(t), at);
	shell_printf(sh, "Router certificate (rollover)\nKey usage :%s\n"
	    "Status :Rollover, active from %s\n", tpc_kind_usage(kind), t);
	json_begin(j, NULL);
	json_str(j, "key_usage", tpc_kind_usage(kind));
	json_str(j, "status", "Rollover");
	json_bool(j, "rollover", 1);
	json_time(j, "activates", at);
	tpc_print_cert(sh, x);
	tpc_print_crldp(sh, x);
	json_end(j);
	X509_free(x);
}

/* Something to say: auto-enroll on, a shadow, a pending renewal, attempts. */
static int
tpc_renewal_any(const struct renew_status *rs)
{
	return rs->percent != 0 || rs->shadow != NULL || rs->pending ||
	    rs->has_state;
}

static void
tpc_renewal_next(struct shell *sh, const struct tpc *c,
    const struct renew_status *rs)
{
	struct json	*j = shell_json(sh);
	char		 t[64];

	json_bool(j, "needs_operator", rs->has_state &&
	    rs->state.needs_operator);
	if (rs->shadow != NULL || rs->pending || rs->percent == 0) {
		tpc_status_line(sh, "Next renewal", "%s", rs->shadow != NULL ?
		    "None (renewed)" : rs->pending ? "Pending at the CA" :
		    "None (no auto-enroll)");
		json_null(j, "next_renewal");
		return;
	}
	if (rs->has_state && rs->state.needs_operator)
		tpc_status_line(sh, "Next renewal", "renewal needs an operator "
		    "('crypto ca enroll %s')", c->tp->name);
	else if (rs->next == 0)
		tpc_status_line(sh, "Next renewal", "None (expired)");
	else {
		cert_fmt_time(t, sizeof(t), rs->next);
		tpc_status_line(sh, "Next renewal", "%s", t);
	}
	if (rs->next != 0)
		json_time(j, "next_renewal", rs->next);
	else
		json_null(j, "next_renewal");
}

static void
tpc_renewal_shadow(struct shell *sh, const struct renew_status *rs)
{
	struct json	*j = shell_json(sh);
	char		 t[64], *serial;

	if (rs->shadow == NULL) {
		tpc_status_line(sh, "Shadow certificate", "None");
		json_null(j, "shadow");
		return;
	}
	cert_fmt_time(t, sizeof(t), rs->activation);
	serial = cert_serial_hex(rs->shadow, 0);
	tpc_status_line(sh, "Shadow certificate", "Yes, serial %s, active "
	    "from %s%s", serial ? serial : "?", t, rs->shadow_newkey ?
	    " (new key pair)" : "");
	json_begin(j, "shadow");
	json_str(j, "serial_number", serial);
	json_time(j, "activates", rs->activation);
	json_bool(j, "new_key_pair", rs->shadow_newkey);
	json_end(j);
	free(serial);
}

static void
tpc_renewal_last(struct shell *sh, const struct renew_status *rs)
{
	struct json		*j = shell_json(sh);
	const struct renew_state *s = &rs->state;
	const char		*out;
	char			 t[64], why[sizeof(s->last_error)];

	if (!rs->has_state || s->last_attempt == 0) {
		tpc_status_line(sh, "Last renewal attempt", "Never");
		json_null(j, "last_attempt");
		json_null(j, "last_outcome");
		json_null(j, "last_error");
		json_null(j, "last_success");
		json_int(j, "failures_total", 0);
		return;
	}
	out = s->last_ok ? "succeeded" : strncmp(s->last_error, "pending:",
	    8) == 0 ? "pending" : "failed";
	cert_fmt_time(t, sizeof(t), s->last_attempt);
	/* The message may quote the CA: escaped again on its way out. */
	text_esc(why, sizeof(why), s->last_error);
	tpc_status_line(sh, "Last renewal attempt", "%s, %s%s%s", t, out,
	    strcmp(out, "failed") == 0 ? ": " : "",
	    strcmp(out, "failed") == 0 ? why : "");
	if (s->failures_total > 0)
		tpc_status_line(sh, "Renewal failures", "%lu (%lu since the "
		    "last success)", s->failures_total, s->failures_run);
	json_time(j, "last_attempt", s->last_attempt);
	json_str(j, "last_outcome", out);
	json_str(j, "last_error", s->last_ok ? NULL : s->last_error);
	if (s->last_success != 0)
		json_time(j, "last_success", s->last_success);
	else
		json_null(j, "last_success");
	json_int(j, "failures_total", (long long)s->failures_total);
}

/* One router certificate's renewal lines. */
static void
tpc_renewal_kind(struct shell *sh, struct tpc *c, enum tp_kind kind,
    const struct renew_status *rs)
{
	struct json	*j = shell_json(sh);

	shell_printf(sh, "  Renewal (%s):\n", tpc_kind_usage(kind));
	json_begin(j, NULL);
	json_str(j, "key_usage", tpc_kind_usage(kind));
	if (rs->percent != 0) {
		tpc_status_line(sh, "Auto-enroll", "%d%% of the lifetime%s",
		    rs->percent, rs->regenerate ? ", new key pair" : "");
		json_int(j, "auto_enroll_percent", rs->percent);
	} else {
		tpc_status_line(sh, "Auto-enroll", "No");
		json_null(j, "auto_enroll_percent");
	}
	json_bool(j, "regenerate", rs->regenerate);
	tpc_renewal_next(sh, c, rs);
	tpc_renewal_shadow(sh, rs);
	tpc_renewal_last(sh, rs);
	json_end(j);
}

void
tpc_status_renewal(struct shell *sh, struct tpc *c)
{
	struct json		*j = shell_json(sh);
	struct renew_status	 rs[TP_KIND__MAX];
	struct err		 e;
	int			 k, any = 0;

	for (k = 0; k < TP_KIND__MAX; k++) {
		if (renew_status_get(&rs[k], c->st, c->tp, k, c->certs.dev[k],
		    &e) != 0)
			memset(&rs[k], 0, sizeof(rs[k]));
		if (c->certs.dev[k] == NULL && rs[k].shadow == NULL)
			rs[k].percent = 0;
		any |= tpc_renewal_any(&rs[k]) && (c->certs.dev[k] != NULL ||
		    rs[k].shadow != NULL);
	}
	/* Without auto-enroll or renewal state: the reference's lines only. */
	if (any) {
		json_list(j, "renewal");
		for (k = 0; k < TP_KIND__MAX; k++)
			if (c->certs.dev[k] != NULL || rs[k].shadow != NULL)
				tpc_renewal_kind(sh, c, k, &rs[k]);
		json_end(j);
	}
	for (k = 0; k < TP_KIND__MAX; k++)
		renew_status_clear(&rs[k]);
}
