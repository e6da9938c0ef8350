/*
 * enroll_tftp: TFTP enrollment (tftp_enroll.h) behind the enrollment
 * engine's protocol interface: every request written as <name>.req before
 * the first poll, then each <name>.crt read until the CA has left a
 * certificate for the key (checked as a pasted one).  Nothing is kept
 * between runs: entering enroll again sends new requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "clock.h"
#include "enroll.h"
#include "err.h"
#include "paste.h"
#include "tftp_enroll.h"
#include "trustpoint.h"

/* Per run. */
struct enroll_tftp_run {
	struct tftp_target	 t;
	struct fetch_opts	 fo;	/* the trustpoint's, bound to t's VRF */
	struct paste_target	 pt;	/* what a certificate must match */
};

/* Per job: the file polled. */
struct enroll_tftp_job {
	char	 crt[TFTP_NAMEMAX + 16];
};

int
enroll_tftp_target(struct tftp_target *t, const struct enroll *en,
    struct err *e)
{
	const struct trustpoint	*tp = en->tp;
	const char		*dom = en->domain;
	char			 fqdn[300];
	int			 rc;

	snprintf(fqdn, sizeof(fqdn), "%s%s%s", en->hostname,
	    dom && *dom ? "." : "", dom && *dom ? dom : "");
	if ((rc = tftp_target_parse(t, tp->url, fqdn, e)) != 0)
		return rc;
	/* Two different VRFs for one server: say so, guess neither. */
	if (t->vrf[0] != '\0' && tp->vrf != NULL && strcmp(tp->vrf,
	    t->vrf) != 0)
		return err_set(e, ERR_INVAL, "Trustpoint %s: enrollment url "
		    "names VRF %s but the trustpoint's vrf is %s", tp->name,
		    t->vrf, tp->vrf);
	return 0;
}

static void
enroll_tftp_close(struct enroll *en)
{
	struct enroll_tftp_run	*r = en->pstate;

	if (r == NULL)
		return;
	paste_target_clear(&r->pt);
	free(r);
	en->pstate = NULL;
}

static int
enroll_tftp_check(struct enroll *en, struct err *e)
{
	struct enroll_tftp_run	*r;

	enroll_tftp_close(en);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_nomem(e);
	en->pstate = r;
	r->fo = *en->fo;	/* borrowed pointers, none freed here */
	if (enroll_tftp_target(&r->t, en, e) != 0)
		return e->code;
	if (r->t.vrf[0] != '\0')
		r->fo.vrf = r->t.vrf;
	return 0;
}

/* After the key pair exists (it may just have been generated). */
static int
enroll_tftp_open(struct enroll *en, struct err *e)
{
	struct enroll_tftp_run	*r = en->pstate;

	if (r == NULL && enroll_tftp_check(en, e) != 0)
		return e->code;
	r = en->pstate;
	paste_target_clear(&r->pt);
	return paste_target_load(&r->pt, en->st, en->tp, en->certs, e);
}

static void
enroll_tftp_job_clear(struct enroll_job *job)
{
	free(job->pstate);
	job->pstate = NULL;
}

static int
enroll_tftp_request(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct enroll_tftp_run	*r = en->pstate;
	struct enroll_tftp_job	*j;
	char			 req[TFTP_NAMEMAX + 16];
	int			 rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return err_nomem(e);
	job->pstate = j;
	if (tftp_file(req, sizeof(req), &r->t, "req", job->kind,
	    job->usage) != 0 || tftp_url(job->sent_to, sizeof(job->sent_to),
	    &r->t, req) != 0 || tftp_file(j->crt, sizeof(j->crt), &r->t, "crt",
	    job->kind, job->usage) != 0 || tftp_url(job->await,
	    sizeof(job->await), &r->t, j->crt) != 0)
		return err_set(e, ERR_TOOBIG, "Trustpoint %s: file name too "
		    "long", en->tp->name);
	if ((rc = tftp_put_req(&r->t, req, job->req, &r->fo, e)) != 0)
		return rc;
	return err_set(e, ERR_PENDING, "sent");
}

/*
 * One look at <name>.crt.  Not there, or not (yet) ours: still pending,
 * the message says why (the CA may not have replaced an old file yet).
 */
static int
enroll_tftp_poll(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct enroll_tftp_run	*r = en->pstate;
	struct enroll_tftp_job	*j = job->pstate;
	STACK_OF(X509)		*certs = NULL;
	X509			*x = NULL;
	enum tp_kind		 got = job->kind;
	int			 rc;

	rc = tftp_get_certs(&certs, &r->t, j->crt, &r->fo, e);
	if (rc == 0 && (rc = paste_match(&x, &got, certs, &r->pt, clock_now(),
	    e)) != 0)
		err_prefix(e, "%s", j->crt);
	if (rc == 0 && got != job->kind)
		rc = err_set(e, ERR_REFUSED, "%s: the certificate is for the "
		    "%s key, not the %s key", j->crt, enroll_kind_usage(got),
		    enroll_kind_usage(job->kind));
	sk_X509_pop_free(certs, X509_free);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_PENDING, "no certificate yet");
	if (rc != 0) {
		X509_free(x);
		e->code = ERR_PENDING;
		return ERR_PENDING;
	}
	X509_free(job->cert);
	job->cert = x;
	return 0;
}

const struct enroll_proto enroll_tftp = {
	.name = "TFTP",
	.flags = ENROLL_PROTO_BATCH,
	.check = enroll_tftp_check,
	.open = enroll_tftp_open,
	.close = enroll_tftp_close,
	.request = enroll_tftp_request,
	.poll = enroll_tftp_poll,
	.job_clear = enroll_tftp_job_clear,
};
