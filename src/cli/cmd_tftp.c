/*
 * cmd_tftp: TFTP enrollment (`enrollment url tftp://...`), the TFTP side
 * of crypto ca authenticate and crypto ca enroll (called from
 * cmd_trustpoint.c).  The CA certificate goes through the same checks and
 * prompt as GetCACert's, the request is the one SCEP would send, and the
 * certificate the CA leaves is checked as a pasted one: only the
 * transport differs.  The file names are in tftp_enroll.h; enroll runs
 * on the enrollment engine (enroll_tftp.c), this file words its notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cmd.h"
#include "cmd_trustpoint.h"
#include "enroll.h"
#include "err.h"
#include "scep_client.h"
#include "shell.h"
#include "tftp_enroll.h"
#include "trustpoint.h"

/* Where the files are; binds fo to the URL's VRF.  Prints the error. */
static int
tftpc_target(struct tpc *c, struct tftp_target *t)
{
	struct err	 e;

	if (enroll_tftp_target(t, &c->en, &e) != 0)
		return shell_err(c->sh, &e);
	if (t->vrf[0] != '\0')
		c->fo.vrf = t->vrf;
	return 0;
}

int
tftpc_authenticate(struct tpc *c)
{
	struct tftp_target	 t;
	struct scep_cacert	 cc;
	struct err		 e;
	STACK_OF(X509)		*certs = NULL;
	char			 file[TFTP_NAMEMAX + 16];
	int			 rc = -1;

	memset(&cc, 0, sizeof(cc));
	if (tftpc_target(c, &t) != 0)
		goto out;
	if (tftp_file(file, sizeof(file), &t, "ca", TP_KIND_GENERAL, 0) != 0) {
		shell_error(c->sh, "Trustpoint %s: file name too long",
		    c->tp->name);
		goto out;
	}
	if (tftp_get_certs(&certs, &t, file, &c->fo, &e) != 0) {
		shell_error(c->sh, "Trustpoint %s: %s", c->tp->name, e.msg);
		goto out;
	}
	if (scep_cacert_select(&cc, certs, &e) != 0) {
		shell_error(c->sh, "Certificate not accepted: %s: %s; nothing "
		    "stored", file, e.msg);
		goto out;
	}
	rc = tpc_ca_accept(c, &cc);
 out:
	scep_cacert_clear(&cc);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* The engine's notes, the waiting in TFTP's words. */
static void
tftpc_note(void *arg, const struct enroll_note *n)
{
	struct tpc		*c = arg;
	const struct trustpoint	*tp = c->tp;

	switch (n->ev) {
	case ENROLL_EV_WAITING:
		shell_printf(c->sh, "%% Waiting for %s: polling every %d "
		    "minute%s, up to %d time%s\n", n->job->await,
		    tp->retry_period, tp->retry_period == 1 ? "" : "s",
		    tp->retry_count, tp->retry_count == 1 ? "" : "s");
		break;
	case ENROLL_EV_POLL:
		shell_printf(c->sh, "%% Poll %d of %d: %s\n", n->n,
		    tp->retry_count, n->err->msg);
		break;
	case ENROLL_EV_STOPPED:
		shell_printf(c->sh, "%% Stopped waiting. 'crypto ca enroll %s' "
		    "sends a new request\n", tp->name);
		break;
	case ENROLL_EV_EXHAUSTED:
		shell_error(c->sh, "No certificate in %s after %d polls: enter "
		    "'crypto ca enroll %s' again to send a new request",
		    n->job->await, tp->retry_count, tp->name);
		break;
	default:
		tpc_ui_note(arg, n);
		break;
	}
}

/* The engine runs TFTP as a protocol; this file only words its notes. */
int
tftpc_enroll(struct tpc *c)
{
	c->ui.note = tftpc_note;
	c->en.proto = &enroll_tftp;
	return enroll_run(&c->en);
}
