/*
 * enroll_scep: SCEP (RFC 8894) behind the enrollment engine's protocol
 * interface (enroll.h): GetCACaps once per run, PKCSReq signed by a
 * self-signed certificate for the device key, CertPoll for a pending
 * transactionID.  The exchange itself is scep_client.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "clock.h"
#include "enroll.h"
#include "err.h"
#include "scep_client.h"
#include "scep_msg.h"
#include "tp_rollover.h"
#include "trustpoint.h"

#define ENROLL_SCEP_SIGNERDAYS	30	/* covers 100 polls an hour apart */

/* Per run. */
struct enroll_scep_run {
	unsigned	 caps;		/* GetCACaps */
	STACK_OF(X509)	*trusted;	/* CA and RA: may sign CertReps */
	STACK_OF(X509)	*next;		/* CA rollover: next CA, its RAs */
};

static void
enroll_scep_close(struct enroll *en)
{
	struct enroll_scep_run	*r = en->pstate;

	if (r == NULL)
		return;
	sk_X509_free(r->trusted);
	sk_X509_pop_free(r->next, X509_free);
	free(r);
	en->pstate = NULL;
}

/*
 * A next CA kept for a CA rollover (tp_rollover.h) was vouched for by the
 * CA: it and its RAs may sign CertReps and issue, since the CA may switch
 * its issuance before the device switches its trust.
 */
static int
enroll_scep_next(struct enroll_scep_run *r, struct enroll *en, struct err *e)
{
	int	 i, rc;

	if ((rc = tp_ca_next_load_all(&r->next, en->st, en->tp->name, e)) ==
	    ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc != 0)
		return rc;
	for (i = 0; i < sk_X509_num(r->next); i++)
		if (!sk_X509_push(r->trusted, sk_X509_value(r->next, i)))
			return err_nomem(e);
	return 0;
}

static int
enroll_scep_open(struct enroll *en, struct err *e)
{
	struct enroll_scep_run	*r;
	X509			*v[3];
	int			 i, weak;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_nomem(e);
	en->pstate = r;
	v[0] = en->certs->ca;
	v[1] = en->certs->ra_sign;
	v[2] = en->certs->ra_encr;
	if ((r->trusted = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	for (i = 0; i < 3; i++)
		if (v[i] != NULL && !sk_X509_push(r->trusted, v[i]))
			return err_nomem(e);
	if ((i = enroll_scep_next(r, en, e)) != 0)
		return i;
	if ((i = scep_getcacaps(&r->caps, en->tp->url, en->fo, e)) != 0)
		return i;
	(void)scep_pick_cipher(r->caps, &weak);
	en->req_weak_cipher = weak ? "3DES" : NULL;
	(void)scep_pick_md(r->caps, &weak);
	en->req_weak_md = weak ? "SHA-1" : NULL;
	return 0;
}

/* The CA decrypts nothing of ours, but we decrypt its reply with the key. */
static int
enroll_scep_key_ok(struct enroll *en, EVP_PKEY *key, struct err *e)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return 0;
	return err_set(e, ERR_INVAL, "Key pair %s is not RSA: SCEP needs an "
	    "RSA key to decrypt the CA's reply", en->tp->keylabel);
}

static void
enroll_scep_job_clear(struct enroll_job *job)
{
	struct scep_enroll	*s = job->pstate;

	scep_enroll_clear(s);
	free(s);
	job->pstate = NULL;
}

/* The exchange's inputs, borrowed from the run and the job. */
static int
enroll_scep_setup(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct enroll_scep_run	*r = en->pstate;
	struct scep_enroll	*s;

	if (job->pstate != NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_nomem(e);
	job->pstate = s;
	s->url = en->tp->url;
	s->caps = r->caps;
	s->fopts = en->fo;
	s->trusted = r->trusted;
	s->ca = en->certs->ca;
	s->ca_next = sk_X509_value(r->next, 0);
	s->recipient = en->certs->ra_encr ? en->certs->ra_encr :
	    en->certs->ca;
	s->key = job->key;
	s->signer = job->pend.signer;
	s->type = job->renew ? SCEP_MT_RENEWALREQ : SCEP_MT_PKCSREQ;
	s->reqkey = job->newkey;
	s->subject = job->pend.subject;
	snprintf(s->transid, sizeof(s->transid), "%s", job->pend.transid);
	return 0;
}

/* What the reply said besides its status. */
static int
enroll_scep_result(struct enroll_job *job, struct scep_enroll *s, int rc)
{
	job->ca_failed = s->ca_failed;
	job->weak_cipher[0] = job->weak_md[0] = '\0';
	if (s->weak_cipher)
		snprintf(job->weak_cipher, sizeof(job->weak_cipher), "%s",
		    s->cipher[0] ? s->cipher : "single DES");
	if (strcmp(s->md, "SHA1") == 0 || strcmp(s->md, "MD5") == 0)
		snprintf(job->weak_md, sizeof(job->weak_md), "%s", s->md);
	snprintf(job->pend.transid, sizeof(job->pend.transid), "%s",
	    s->transid);
	if (rc == 0) {
		X509_free(job->cert);
		job->cert = s->cert;
		s->cert = NULL;
	}
	return rc;
}

static int
enroll_scep_request(struct enroll *en, struct enroll_job *job, struct err *e)
{
	X509_NAME	*subj;
	int		 rc;

	subj = X509_REQ_get_subject_name(job->req);
	X509_NAME_free(job->pend.subject);
	if ((job->pend.subject = X509_NAME_dup(subj)) == NULL)
		return err_nomem(e);
	/* A renewal is signed by the current certificate (enroll_renew). */
	if (!job->renew) {
		X509_free(job->pend.signer);
		job->pend.signer = NULL;
		if ((rc = scep_signer_selfsigned(&job->pend.signer, job->key,
		    X509_NAME_entry_count(subj) ? job->pend.subject : NULL,
		    ENROLL_SCEP_SIGNERDAYS, e)) != 0)
			return rc;
	}
	if ((rc = enroll_scep_setup(en, job, e)) != 0)
		return rc;
	((struct scep_enroll *)job->pstate)->now = clock_now();
	rc = scep_enroll_request(job->pstate, job->req, e);
	return enroll_scep_result(job, job->pstate, rc);
}

static int
enroll_scep_poll(struct enroll *en, struct enroll_job *job, struct err *e)
{
	int	 rc;

	if ((rc = enroll_scep_setup(en, job, e)) != 0)
		return rc;
	((struct scep_enroll *)job->pstate)->now = clock_now();
	rc = scep_enroll_poll(job->pstate, e);
	return enroll_scep_result(job, job->pstate, rc);
}

/* RFC 8894 3.5.2: "Renewal" in GetCACaps. */
static int
enroll_scep_renew_ok(struct enroll *en)
{
	struct enroll_scep_run	*r = en->pstate;

	return r != NULL && (r->caps & SCEP_CAP_RENEWAL) != 0;
}

const struct enroll_proto enroll_scep = {
	.name = "SCEP",
	.flags = ENROLL_PROTO_RESUMABLE,
	.open = enroll_scep_open,
	.close = enroll_scep_close,
	.key_ok = enroll_scep_key_ok,
	.request = enroll_scep_request,
	.poll = enroll_scep_poll,
	.job_clear = enroll_scep_job_clear,
	.renew_ok = enroll_scep_renew_ok,
};
