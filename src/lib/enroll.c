/*
 * enroll: the enrollment engine (enroll.h): one state machine for the
 * shell's crypto ca enroll and the agent's polls, the protocol and the
 * user behind function tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "clock.h"
#include "config.h"
#include "csr.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "renew.h"
#include "scep_client.h"
#include "store.h"
#include "testhook.h"
#include "transport.h"

void
enroll_init(struct enroll *en, struct store *st, const struct trustpoint *tp,
    const struct tp_certs *certs, const struct fetch_opts *fo,
    const struct enroll_proto *proto, const struct enroll_ui *ui)
{
	memset(en, 0, sizeof(*en));
	en->st = st;
	en->tp = tp;
	en->certs = certs;
	en->fo = fo;
	en->proto = proto;
	en->ui = ui;
}

int
enroll_open(struct enroll *en, struct store *st, const struct config *cfg,
    const char *name, const struct enroll_ui *ui, struct err *e)
{
	int	 rc;

	enroll_init(en, st, NULL, NULL, NULL, &enroll_scep, ui);
	if ((rc = tp_load(&en->own_tp, cfg, name, e)) != 0)
		return rc;
	en->tp = en->own_tp;
	en->certs = &en->own_certs;
	en->fo = &en->own_fo;
	if (en->tp->method == TP_METHOD_EST)
		en->proto = &enroll_est;
	else if (en->tp->method != TP_METHOD_URL)
		return err_set(e, ERR_NOTFOUND, "trustpoint %s does not enroll "
		    "by SCEP or EST", name);
	if ((rc = tp_certs_load(&en->own_certs, st, name, e)) != 0)
		return rc;
	if (en->certs->ca == NULL)
		return err_set(e, ERR_NOTFOUND, "trustpoint %s is not "
		    "authenticated", name);
	en->own_fo.maxsize = SCEP_RESPMAX;	/* EST's requests set theirs */
	/* VRF, http-proxy and https anchors, as the shell's enroll has. */
	return transport_opts(&en->own_fo, cfg, st, en->tp->vrf, name,
	    en->tp->url, e);
}

void
enroll_close(struct enroll *en)
{
	if (en == NULL)
		return;
	if (en->proto != NULL && en->proto->close != NULL)
		en->proto->close(en);
	EVP_PKEY_free(en->checked_key);
	tp_free(en->own_tp);
	tp_certs_clear(&en->own_certs);
	transport_opts_clear(&en->own_fo);
	memset(en, 0, sizeof(*en));
}

long
enroll_minute_ms(void)
{
	const char	*s = testhook_get(TESTHOOK_MINUTE);
	long		 v;

	/* A test knob: how long a "minute" of retry period lasts, in ms. */
	if (s != NULL && (v = strtol(s, NULL, 10)) >= 0 && v <= 60000)
		return v;
	return 60000;
}

static void
enroll_note(struct enroll *en, enum enroll_event ev,
    const struct enroll_job *job, int n, const struct err *e)
{
	struct enroll_note	 nt;

	if (en->ui == NULL || en->ui->note == NULL)
		return;
	memset(&nt, 0, sizeof(nt));
	nt.ev = ev;
	nt.en = en;
	nt.job = job;
	nt.n = n;
	nt.err = e;
	if (ev == ENROLL_EV_REQUEST_WEAK) {
		nt.weak_cipher = en->req_weak_cipher;
		nt.weak_md = en->req_weak_md;
	}
	en->ui->note(en->ui->arg, &nt);
}

int
enroll_kinds(enum tp_kind kinds[2], int usage)
{
	if (!usage) {
		kinds[0] = TP_KIND_GENERAL;
		return 1;
	}
	kinds[0] = TP_KIND_SIGN;
	kinds[1] = TP_KIND_ENCR;
	return 2;
}

const char *
enroll_kind_usage(enum tp_kind k)
{
	switch (k) {
	case TP_KIND_SIGN:
		return "Signature";
	case TP_KIND_ENCR:
		return "Encryption";
	default:
		return "General Purpose";
	}
}

int
enroll_need_ca(const struct enroll *en, struct err *e)
{
	if (en->certs->ca != NULL)
		return 0;
	return err_set(e, ERR_NOTFOUND, "Trustpoint %s is not authenticated: "
	    "enter 'crypto ca authenticate %s' first", en->tp->name,
	    en->tp->name);
}

int
enroll_keys(struct enroll *en, int *usage, const struct enroll_proto *proto,
    struct err *e)
{
	EVP_PKEY		*k = NULL;
	enum keystore_kind	 kind;
	int			 rc;

	if (keystore_exists(en->st, en->tp->keylabel, usage)) {
		if (proto == NULL || proto->key_ok == NULL)
			return 0;
		/* Before the password prompt. */
		kind = *usage ? KEYSTORE_SIGN : KEYSTORE_GENERAL;
		if ((rc = keystore_load(&k, en->st, en->tp->keylabel, kind,
		    e)) != 0)
			return rc;
		if ((rc = proto->key_ok(en, k, e)) == 0) {
			EVP_PKEY_free(en->checked_key);
			en->checked_key = k;
			en->checked_kind = (int)kind;
			k = NULL;
		}
		EVP_PKEY_free(k);
		return rc;
	}
	if (en->tp->keylabel_set)
		return err_set(e, ERR_NOTFOUND, "Key pair %s not found: "
		    "generate it with 'crypto key generate rsa %s'",
		    en->tp->keylabel, en->tp->keylabel);
	enroll_note(en, ENROLL_EV_KEYGEN, NULL, 0, NULL);
	if ((rc = keystore_generate_rsa(en->st, en->tp->keylabel,
	    KEYSTORE_GENERAL, KEYSTORE_RSA_DEFAULT, e)) != 0)
		return rc;
	*usage = 0;
	return 0;
}

int
enroll_csr(X509_REQ **req, const struct enroll *en, EVP_PKEY *key,
    enum tp_kind kind, int usage, const char *pw, struct err *e)
{
	struct csr_opts		 o;
	char			 fqdn[300];
	const char		*dom = en->domain;

	memset(&o, 0, sizeof(o));
	snprintf(fqdn, sizeof(fqdn), "%s%s%s", en->hostname,
	    dom && *dom ? "." : "", dom && *dom ? dom : "");
	o.fqdn = fqdn;
	o.subject = en->tp->subject;
	o.ip_address = en->tp->ip_address && strcmp(en->tp->ip_address,
	    "none") != 0 ? en->tp->ip_address : NULL;
	o.challenge = pw;
	o.md = en->req_md;
	o.usage = !usage ? CSR_USAGE_NONE : kind == TP_KIND_SIGN ?
	    CSR_USAGE_SIGN : CSR_USAGE_ENCR;
	/* The device's serial number: its hostname stands in for it. */
	o.serial = en->tp->serial == TP_SERIAL_YES ? en->hostname : NULL;
	return csr_build(req, key, &o, e);
}

/*
 * With the lock held: the pending request of kind is still transid (a
 * CertPoll was on the network while the operator may have cancelled the
 * request or started another).
 */
static int
enroll_check_transid(struct store *st, const char *name, enum tp_kind kind,
    const char *transid, struct err *e)
{
	struct tp_pending	 cur;
	struct err		 e2;
	int			 rc = 0;

	if (transid == NULL)
		return 0;
	memset(&cur, 0, sizeof(cur));
	if (tp_pending_load(&cur, st, name, kind, &e2) != 0 ||
	    strcmp(cur.transid, transid) != 0)
		rc = err_set(e, ERR_BUSY, "trustpoint %s: the pending request "
		    "changed while it was polled; the CA's answer is ignored",
		    name);
	tp_pending_clear(&cur);
	return rc;
}

int
enroll_store_cert(struct store *st, const char *name, enum tp_kind kind,
    const char *transid, X509 *cert, struct err *e)
{
	struct err	 e2;
	int		 rc;

	if ((rc = store_lock(st, e)) != 0)
		return rc;
	if ((rc = enroll_check_transid(st, name, kind, transid, e)) == 0 &&
	    (rc = tp_store_cert(st, name, kind, cert, e)) == 0)
		tp_pending_remove(st, name, kind, &e2);
	store_unlock(st);
	return rc;
}

int
enroll_store_shadow(struct store *st, const char *name, enum tp_kind kind,
    const char *transid, X509 *cert, struct err *e)
{
	struct err	 e2;
	int		 rc;

	if ((rc = store_lock(st, e)) != 0)
		return rc;
	if ((rc = enroll_check_transid(st, name, kind, transid, e)) == 0 &&
	    (rc = tp_shadow_store(st, name, kind, cert, e)) == 0)
		tp_pending_remove(st, name, kind, &e2);
	store_unlock(st);
	return rc;
}

int
enroll_forget(struct store *st, const char *name, enum tp_kind kind,
    const char *transid, struct err *e)
{
	int	 rc;

	if ((rc = store_lock(st, e)) != 0)
		return rc;
	if ((rc = enroll_check_transid(st, name, kind, transid, e)) == 0)
		rc = tp_pending_remove(st, name, kind, e);
	store_unlock(st);
	return rc;
}

int
enroll_confirm(struct enroll *en)
{
	int	 k, n = 0, yes = 0;

	for (k = 0; k < TP_KIND__MAX; k++)
		if (tp_pending_exists(en->st, en->tp->name, k))
			return 1;
	for (k = 0; k < TP_KIND__MAX; k++)
		n += en->certs->dev[k] != NULL;
	if (n == 0)
		return 1;
	if (en->ui == NULL || en->ui->confirm == NULL ||
	    en->ui->confirm(en->ui->arg, ENROLL_ASK_REENROLL, &yes) != 0)
		return 0;
	return yes;
}

static void
enroll_job_init(struct enroll_job *job, enum tp_kind kind, int usage)
{
	memset(job, 0, sizeof(*job));
	job->kind = kind;
	job->usage = usage;
	job->state = ENROLL_REQUEST;
}

static void
enroll_job_clear(struct enroll *en, struct enroll_job *job)
{
	if (en->proto->job_clear != NULL)
		en->proto->job_clear(job);
	EVP_PKEY_free(job->key);
	EVP_PKEY_free(job->newkey);
	X509_REQ_free(job->req);
	X509_free(job->cert);
	tp_pending_clear(&job->pend);
	memset(job, 0, sizeof(*job));
}

static int
enroll_proto_open(struct enroll *en, struct err *e)
{
	int	 rc;

	if (en->opened)
		return 0;
	if ((rc = en->proto->open(en, e)) == 0)
		en->opened = 1;
	else if (en->proto->close != NULL)
		en->proto->close(en);	/* the next poll opens afresh */
	return rc;
}

/* The key the pending request of job was made for. */
static int
enroll_job_key(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct err	 e2;
	int		 rc;

	if ((rc = keystore_load(&job->key, en->st, job->pend.keylabel,
	    tp_keystore_kind(job->kind), &e2)) != 0)
		return err_set(e, rc, "The pending request's key pair %s is "
		    "gone (%s): use 'crypto ca cancel-enroll %s'",
		    job->pend.keylabel, e2.msg, en->tp->name);
	job->renew = job->pend.renewal != 0;
	if (job->pend.renewal == TP_RENEWAL_NEWKEY &&
	    (rc = renew_shadow_key_load(&job->newkey, en->st, en->tp->name,
	    job->kind, &e2)) != 0)
		return err_set(e, rc, "The pending renewal's new key pair is "
		    "gone (%s): use 'crypto ca cancel-enroll %s'", e2.msg,
		    en->tp->name);
	return 0;
}

/*
 * The CA decided (issued, or FAILURE): store the certificate or forget
 * the request, under the lock.  transid: the pending request polled, or
 * NULL when the request was answered at once (nothing was saved).
 */
static int
enroll_settle(struct enroll *en, struct enroll_job *job, int rc,
    const char *transid, struct err *e)
{
	struct err	 e2;

	enroll_note(en, ENROLL_EV_REPLY, job, 0, NULL);
	if (rc == 0 && job->renew) {
		if ((rc = renew_check_shadow(en->certs->dev[job->kind],
		    job->cert, e)) != 0) {
			if (transid != NULL)
				enroll_forget(en->st, en->tp->name, job->kind,
				    transid, &e2);
			return rc;
		}
		return enroll_store_shadow(en->st, en->tp->name, job->kind,
		    transid, job->cert, e);
	}
	if (rc == 0)
		return enroll_store_cert(en->st, en->tp->name, job->kind,
		    transid, job->cert, e);
	if (transid != NULL && enroll_forget(en->st, en->tp->name, job->kind,
	    transid, &e2) == ERR_BUSY) {
		*e = e2;
		return ERR_BUSY;
	}
	return ERR_REFUSED;
}

/* A renewal's outcome into the renewal state (renew.h). */
static void
enroll_renew_record(struct enroll *en, const struct enroll_job *job, int rc,
    const struct err *e, int needs_operator)
{
	struct err	 e2;

	(void)renew_record(en->st, en->tp, job->kind,
	    en->certs->dev[job->kind], rc, e->msg, needs_operator,
	    clock_now(), &e2);
}

/*
 * The wait before the next poll, in seconds: the retry period, or longer
 * when the server asked for more (RFC 7030 4.2.3: the client MUST wait at
 * least Retry-After), up to ENROLL_RETRY_AFTER_MAX.
 */
static long
enroll_wait_s(const struct enroll *en, const struct enroll_job *job)
{
	long	 s = (long)en->tp->retry_period * 60, ra = job->retry_after;

	if (ra > ENROLL_RETRY_AFTER_MAX)
		ra = ENROLL_RETRY_AFTER_MAX;
	return ra > s ? ra : s;
}

/*
 * Until when the server asked to be left alone, when that is longer than
 * the retry period; else 0.  The pending record keeps it for the agent.
 */
static time_t
enroll_not_before(const struct enroll *en, const struct enroll_job *job)
{
	long	 s = enroll_wait_s(en, job);

	return s > (long)en->tp->retry_period * 60 ? clock_now() + s : 0;
}

/*
 * A poll answered "pending" again: its Retry-After replaces the record's.
 * Not saved, the record keeps the earlier time and the agent polls on
 * its own schedule, which is all a lost write can cost.
 */
static void
enroll_repend(struct enroll *en, struct enroll_job *job)
{
	struct err	 e;
	time_t		 nb = enroll_not_before(en, job);

	if ((en->proto->flags & ENROLL_PROTO_RESUMABLE) == 0 ||
	    job->pend.signer == NULL || nb == job->pend.not_before)
		return;
	job->pend.not_before = nb;
	(void)tp_pending_save(en->st, en->tp->name, job->kind, &job->pend,
	    &e);
}

/* One poll of a pending job, its answer acted on. */
static int
enroll_step(struct enroll *en, struct enroll_job *job, struct err *e)
{
	int	 rc;

	job->state = ENROLL_POLL;
	job->polls++;
	rc = en->proto->poll(en, job, e);
	if (rc == 0 || job->ca_failed)
		rc = enroll_settle(en, job, rc, en->proto->flags &
		    ENROLL_PROTO_RESUMABLE ? job->pend.transid : NULL, e);
	job->state = rc == 0 ? ENROLL_ISSUED : rc == ERR_PENDING ||
	    rc == ERR_NET ? ENROLL_PENDING : ENROLL_FAILED;
	if (rc == ERR_PENDING)
		enroll_repend(en, job);
	if (job->renew && job->state != ENROLL_PENDING)
		enroll_renew_record(en, job, rc, e, 0);
	return rc;
}

/* enroll_wait_s in ms, its seconds scaled as the period's minutes are. */
static long
enroll_wait_ms(const struct enroll *en, const struct enroll_job *job)
{
	return (long)((long long)enroll_wait_s(en, job) * enroll_minute_ms() /
	    60);
}

/*
 * Poll a pending job by the trustpoint's retry period and count.  A
 * network error is one more poll gone, not the end.
 */
static int
enroll_wait(struct enroll *en, struct enroll_job *job)
{
	struct err	 e;
	int		 i, rc;

	enroll_note(en, ENROLL_EV_WAITING, job, 0, NULL);
	for (i = 1; i <= en->tp->retry_count; i++) {
		if (en->ui != NULL && en->ui->wait != NULL &&
		    en->ui->wait(en->ui->arg, enroll_wait_ms(en, job))) {
			job->state = ENROLL_CANCELLED;
			enroll_note(en, ENROLL_EV_STOPPED, job, i, NULL);
			return -1;
		}
		if ((rc = enroll_step(en, job, &e)) == 0) {
			enroll_note(en, ENROLL_EV_ISSUED, job, i, NULL);
			return 0;
		}
		if (rc != ERR_PENDING && rc != ERR_NET) {
			enroll_note(en, ENROLL_EV_FAILED, job, i, &e);
			return -1;
		}
		e.code = rc;
		enroll_note(en, ENROLL_EV_POLL, job, i, &e);
	}
	enroll_note(en, ENROLL_EV_EXHAUSTED, job, i - 1, NULL);
	return -1;
}

static int
enroll_resume(struct enroll *en, enum tp_kind kind)
{
	struct enroll_job	 job;
	struct err		 e;
	int			 rc = -1;

	enroll_job_init(&job, kind, 0);
	if (tp_pending_load(&job.pend, en->st, en->tp->name, kind, &e) != 0 ||
	    enroll_job_key(en, &job, &e) != 0) {
		enroll_note(en, ENROLL_EV_ERROR, &job, 0, &e);
		goto out;
	}
	job.state = ENROLL_PENDING;
	enroll_note(en, ENROLL_EV_RESUME, &job, 0, NULL);
	rc = enroll_wait(en, &job);
 out:
	enroll_job_clear(en, &job);
	return rc;
}

/*
 * The request was sent and the CA will answer later: a resumable one is
 * remembered in pending/<kind>.
 */
static int
enroll_pending(struct enroll *en, struct enroll_job *job, struct err *e)
{
	int	 rc;

	job->state = ENROLL_PENDING;
	if ((en->proto->flags & ENROLL_PROTO_RESUMABLE) == 0)
		return 0;
	snprintf(job->pend.keylabel, sizeof(job->pend.keylabel), "%s",
	    en->tp->keylabel);
	job->pend.created = clock_now();
	job->pend.not_before = enroll_not_before(en, job);
	job->pend.renewal = !job->renew ? 0 : job->newkey != NULL ?
	    TP_RENEWAL_NEWKEY : TP_RENEWAL_SAMEKEY;
	if ((rc = tp_pending_save(en->st, en->tp->name, job->kind, &job->pend,
	    e)) != 0)
		return rc;
	return 0;
}

/* A new request's key: the one enroll_keys checked, or the store's. */
static int
enroll_new_key(struct enroll *en, struct enroll_job *job, struct err *e)
{
	enum keystore_kind	 kind = tp_keystore_kind(job->kind);

	if (en->checked_key != NULL && en->checked_kind == (int)kind) {
		job->key = en->checked_key;
		en->checked_key = NULL;
		return 0;
	}
	return keystore_load(&job->key, en->st, en->tp->keylabel, kind, e);
}

/*
 * Build and send one request.  last: no request after this one needs the
 * challenge password, so it is wiped as soon as the request is encoded,
 * and the request itself is freed before any polling.  0: issued and
 * stored; ERR_PENDING: the answer comes later; -1: the job ended (said).
 */
static int
enroll_send(struct enroll *en, struct enroll_job *job, char *pw, int last)
{
	struct err	 e;
	int		 rc, own = (en->proto->flags & ENROLL_PROTO_OWN_CSR) != 0;

	if ((rc = enroll_new_key(en, job, &e)) != 0 ||
	    (en->proto->key_ok != NULL &&
	    (rc = en->proto->key_ok(en, job->key, &e)) != 0) ||
	    (!own && (rc = enroll_csr(&job->req, en, job->key, job->kind,
	    job->usage, pw, &e)) != 0)) {
		job->state = ENROLL_FAILED;
		enroll_note(en, ENROLL_EV_ERROR, job, 0, &e);
		return -1;
	}
	if (last && !own)
		OPENSSL_cleanse(pw, strlen(pw));
	if (!own)
		enroll_note(en, ENROLL_EV_CSR, job, 0, NULL);
	rc = en->proto->request(en, job, &e);
	/* The request as it went: known only once it was on its way. */
	if (own && job->req != NULL)
		enroll_note(en, ENROLL_EV_CSR, job, 0, NULL);
	X509_REQ_free(job->req);
	job->req = NULL;
	if (rc == ERR_PENDING) {
		if (enroll_pending(en, job, &e) == 0) {
			enroll_note(en, ENROLL_EV_SENT, job, 0, NULL);
			return ERR_PENDING;
		}
		job->state = ENROLL_FAILED;
		enroll_note(en, ENROLL_EV_ERROR, job, 0, &e);
		return -1;
	}
	if (rc == 0 || job->ca_failed)
		rc = enroll_settle(en, job, rc, NULL, &e);
	job->state = rc == 0 ? ENROLL_ISSUED : ENROLL_FAILED;
	enroll_note(en, rc == 0 ? ENROLL_EV_ISSUED : ENROLL_EV_FAILED, job, 0,
	    &e);
	return rc == 0 ? 0 : -1;
}

/* One key pair after the other: a pending request resumed, else sent. */
static int
enroll_each(struct enroll *en, const enum tp_kind *kinds, int nk, int usage,
    char *pw, int fresh)
{
	struct enroll_job	 job;
	int			 i, jrc, rc = 0;

	for (i = 0; i < nk; i++) {
		if ((en->proto->flags & ENROLL_PROTO_RESUMABLE) &&
		    tp_pending_exists(en->st, en->tp->name, kinds[i])) {
			if (enroll_resume(en, kinds[i]) != 0)
				rc = -1;
			continue;
		}
		enroll_job_init(&job, kinds[i], usage);
		if ((jrc = enroll_send(en, &job, pw, --fresh == 0)) ==
		    ERR_PENDING)
			jrc = enroll_wait(en, &job);
		if (jrc != 0)
			rc = -1;
		enroll_job_clear(en, &job);
	}
	return rc;
}

/* Every request first, then the polls, each ending the run when it fails. */
static int
enroll_batch(struct enroll *en, const enum tp_kind *kinds, int nk, int usage,
    char *pw)
{
	struct enroll_job	 jobs[2];
	int			 i, rc = 0;

	for (i = 0; i < nk; i++)
		enroll_job_init(&jobs[i], kinds[i], usage);
	for (i = 0; i < nk && rc == 0; i++)
		if ((rc = enroll_send(en, &jobs[i], pw, i == nk - 1)) ==
		    ERR_PENDING)
			rc = 0;
	for (i = 0; i < nk && rc == 0; i++)
		if (jobs[i].state == ENROLL_PENDING)
			rc = enroll_wait(en, &jobs[i]);
	for (i = 0; i < nk; i++)
		enroll_job_clear(en, &jobs[i]);
	return rc == 0 ? 0 : -1;
}

/* What must hold before anything is asked: local checks, CA, key pair. */
static int
enroll_ready(struct enroll *en, int *usage, struct err *e)
{
	int	 rc;

	if (en->proto->check != NULL && (rc = en->proto->check(en, e)) != 0)
		return rc;
	if ((rc = enroll_need_ca(en, e)) != 0)
		return rc;
	return enroll_keys(en, usage, en->proto, e);
}

int
enroll_run(struct enroll *en)
{
	struct err	 e;
	char		 pw[ENROLL_PASSMAX];
	enum tp_kind	 kinds[2];
	int		 nk, i, usage = 0, rc = -1, fresh = 0;

	pw[0] = '\0';
	if (enroll_ready(en, &usage, &e) != 0) {
		enroll_note(en, ENROLL_EV_ERROR, NULL, 0, &e);
		goto out;
	}
	nk = enroll_kinds(kinds, usage);
	for (i = 0; i < nk; i++)
		fresh += (en->proto->flags & ENROLL_PROTO_RESUMABLE) == 0 ||
		    !tp_pending_exists(en->st, en->tp->name, kinds[i]);
	if (enroll_proto_open(en, &e) != 0) {
		err_prefix(&e, "Trustpoint %s", en->tp->name);
		enroll_note(en, ENROLL_EV_ERROR, NULL, 0, &e);
		goto out;
	}
	if (en->proto->need_password != NULL ? en->proto->need_password(en,
	    fresh) : fresh > 0) {
		if (en->ui == NULL || en->ui->password == NULL ||
		    en->ui->password(en->ui->arg, pw, sizeof(pw)) != 0)
			goto out;
		enroll_note(en, ENROLL_EV_REQUEST_WEAK, NULL, 0, NULL);
		if (en->proto->flags & ENROLL_PROTO_OWN_CSR)
			en->password = pw;
	}
	if (en->proto->flags & ENROLL_PROTO_BATCH)
		rc = enroll_batch(en, kinds, nk, usage, pw);
	else
		rc = enroll_each(en, kinds, nk, usage, pw, fresh);
 out:
	en->password = NULL;
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

int
enroll_poll_once(struct enroll *en, enum tp_kind kind, struct err *e)
{
	struct enroll_job	 job;
	int			 rc;

	enroll_job_init(&job, kind, 0);
	if ((rc = tp_pending_load(&job.pend, en->st, en->tp->name, kind,
	    e)) != 0)
		goto out;
	job.state = ENROLL_PENDING;
	if ((rc = enroll_proto_open(en, e)) != 0 ||
	    (rc = enroll_job_key(en, &job, e)) != 0)
		goto out;
	rc = enroll_step(en, &job, e);
 out:
	enroll_job_clear(en, &job);
	return rc;
}

/* What a renewal needs before its request: the protocol's consent, keys. */
static int
enroll_renew_ready(struct enroll *en, struct enroll_job *job, int *needs_op,
    struct err *e)
{
	int	 rc;

	if (en->certs->dev[job->kind] == NULL)
		return err_set(e, ERR_NOTFOUND, "Trustpoint %s has no %s "
		    "certificate to renew", en->tp->name,
		    enroll_kind_usage(job->kind));
	if (en->proto->renew_ok == NULL)
		return err_set(e, ERR_INVAL, "Trustpoint %s: %s cannot renew "
		    "a certificate", en->tp->name, en->proto->name);
	if ((rc = enroll_proto_open(en, e)) != 0) {
		err_prefix(e, "Trustpoint %s", en->tp->name);
		return rc;
	}
	if (!en->proto->renew_ok(en)) {
		*needs_op = 1;
		return err_set(e, ERR_REFUSED, "renewal needs an operator: the "
		    "CA does not list Renewal in GetCACaps (RFC 8894 3.5.2); "
		    "enter 'crypto ca enroll %s'", en->tp->name);
	}
	if ((rc = keystore_load(&job->key, en->st, en->tp->keylabel,
	    tp_keystore_kind(job->kind), e)) != 0)
		return rc;
	/* Replaced since (crypto key generate): it cannot sign for it. */
	if (EVP_PKEY_eq(job->key, X509_get0_pubkey(en->certs->dev[job->kind]))
	    != 1) {
		*needs_op = 1;
		return err_set(e, ERR_REFUSED, "renewal needs an operator: key "
		    "pair %s no longer matches the certificate; enter 'crypto "
		    "ca enroll %s'", en->tp->keylabel, en->tp->name);
	}
	if (en->proto->key_ok != NULL && (rc = en->proto->key_ok(en,
	    job->newkey != NULL ? job->newkey : job->key, e)) != 0)
		return rc;
	/* The current certificate signs; no challenge password. */
	if (!X509_up_ref(en->certs->dev[job->kind]))
		return err_nomem(e);
	job->pend.signer = en->certs->dev[job->kind];
	return enroll_csr(&job->req, en, job->newkey != NULL ? job->newkey :
	    job->key, job->kind, job->usage, NULL, e);
}

int
enroll_renew(struct enroll *en, enum tp_kind kind, int usage,
    EVP_PKEY *newkey, int *needs_op, struct err *e)
{
	struct enroll_job	 job;
	int			 rc;

	*needs_op = 0;
	enroll_job_init(&job, kind, usage);
	job.renew = 1;
	if (newkey != NULL && EVP_PKEY_up_ref(newkey))
		job.newkey = newkey;
	if ((rc = enroll_renew_ready(en, &job, needs_op, e)) != 0)
		goto out;
	enroll_note(en, ENROLL_EV_CSR, &job, 0, NULL);
	rc = en->proto->request(en, &job, e);
	X509_REQ_free(job.req);
	job.req = NULL;
	testhook_crash("renew-answered");
	if (rc == ERR_PENDING) {
		if ((rc = enroll_pending(en, &job, e)) == 0)
			rc = err_set(e, ERR_PENDING, "the CA has not decided "
			    "yet");
		goto out;
	}
	if (rc == 0 || job.ca_failed)
		rc = enroll_settle(en, &job, rc, NULL, e);
 out:
	enroll_renew_record(en, &job, rc, e, *needs_op);
	enroll_job_clear(en, &job);
	return rc;
}
