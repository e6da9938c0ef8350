/*
 * enroll: the enrollment engine driven by a scripted protocol and a
 * recording user: the states a request goes through, pending -> poll ->
 * issued, the retry count running out, the user stopping the wait, a
 * refusal, and a certificate refused when the pending request changed
 * while it was polled.  No network, no sleeping (the fake ui's wait
 * returns at once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "clock.h"
#include "config.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "store.h"
#include "trustpoint.h"

#define B	"crypto ca trustpoint myca"
#define NOTEMAX	32
#define STEPMAX	16

/* The script of the fake protocol and what the fake user saw. */
struct fake {
	/* protocol: what request, then each poll, answers */
	int			 answer[STEPMAX];
	int			 nanswer, next;
	int			 opens, requests, polls;
	int			 open_fails;	/* opens that fail first */
	int			 swap_at;	/* poll that sees a new request */
	long			 retry_after;	/* a pending answer's, s */
	X509			*cert;		/* handed out when issued */
	X509			*signer;
	/* user */
	int			 stop_at;	/* wait that the user ends */
	int			 waits, passwords, confirms;
	long			 waited_ms;
	enum enroll_event	 ev[NOTEMAX];
	enum enroll_state	 state[NOTEMAX];	/* job's, at the note */
	int			 n[NOTEMAX];
	int			 code[NOTEMAX];	/* err->code */
	char			 msg[NOTEMAX][ERR_MSGMAX];
	int			 nnotes;
	/* the engine's surroundings */
	char			 dir[64];
	struct store		*st;
	struct config		*cfg;
	struct trustpoint	*tp;
	struct tp_certs		 certs;
	struct fetch_opts	 fo;
	struct enroll_ui	 ui;
	struct enroll		 en;
};

/* ---- the fake protocol -------------------------------------------------- */

static int
fake_open(struct enroll *en, struct err *e)
{
	struct fake	*f = en->ui->arg;

	if (f->open_fails > 0) {
		f->open_fails--;
		return err_set(e, ERR_NET, "no route to host");
	}
	f->opens++;
	return 0;
}

static int
fake_answer(struct fake *f, struct enroll_job *job, struct err *e)
{
	int	 rc;

	assert_true(f->next < f->nanswer);
	rc = f->answer[f->next++];
	if (rc == 0) {
		assert_non_null(job->cert = X509_dup(f->cert));
		return 0;
	}
	if (rc == ERR_REFUSED) {
		job->ca_failed = 1;
		return err_set(e, rc, "the CA said FAILURE (badRequest)");
	}
	if (rc == ERR_NET)
		return err_set(e, rc, "connection refused");
	if (rc == ERR_PENDING) {
		job->retry_after = f->retry_after;
		return err_set(e, rc, "pending");
	}
	return err_set(e, rc, "broken reply");
}

static int
fake_request(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct fake	*f = en->ui->arg;

	f->requests++;
	assert_non_null(job->req);
	assert_int_equal(job->state, ENROLL_REQUEST);
	snprintf(job->pend.transid, sizeof(job->pend.transid), "TX-%d",
	    f->requests);
	assert_non_null(job->pend.subject = X509_NAME_dup(
	    X509_REQ_get_subject_name(job->req)));
	assert_non_null(job->pend.signer = X509_dup(f->signer));
	return fake_answer(f, job, e);
}

/* The operator cancelled and enrolled again while this poll was out. */
static void
fake_swap(struct fake *f, const struct enroll_job *job)
{
	struct tp_pending	 p;
	struct err		 e;

	assert_int_equal(tp_pending_load(&p, f->st, "myca", job->kind, &e),
	    0);
	snprintf(p.transid, sizeof(p.transid), "TX-OTHER");
	assert_int_equal(tp_pending_save(f->st, "myca", job->kind, &p, &e),
	    0);
	tp_pending_clear(&p);
}

static int
fake_poll(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct fake	*f = en->ui->arg;

	f->polls++;
	assert_int_equal(job->state, ENROLL_POLL);
	assert_non_null(job->key);
	if (f->polls == f->swap_at)
		fake_swap(f, job);
	return fake_answer(f, job, e);
}

static const struct enroll_proto fake_proto = {
	.name = "fake",
	.flags = ENROLL_PROTO_RESUMABLE,
	.open = fake_open,
	.request = fake_request,
	.poll = fake_poll,
};

/* TFTP's shape: every request before the first poll, nothing saved. */
static const struct enroll_proto fake_batch = {
	.name = "fake-batch",
	.flags = ENROLL_PROTO_BATCH,
	.open = fake_open,
	.request = fake_request,
	.poll = fake_poll,
};

/* ---- the fake user ------------------------------------------------------ */

static int
fake_password(void *arg, char *pw, size_t sz)
{
	struct fake	*f = arg;

	f->passwords++;
	snprintf(pw, sz, "secret");
	return 0;
}

static int
fake_confirm(void *arg, enum enroll_question q, int *yes)
{
	struct fake	*f = arg;

	assert_int_equal(q, ENROLL_ASK_REENROLL);
	f->confirms++;
	*yes = 0;
	return 0;
}

static void
fake_note(void *arg, const struct enroll_note *n)
{
	struct fake	*f = arg;

	assert_true(f->nnotes < NOTEMAX);
	f->ev[f->nnotes] = n->ev;
	f->state[f->nnotes] = n->job != NULL ? n->job->state :
	    ENROLL_REQUEST;
	f->n[f->nnotes] = n->n;
	f->code[f->nnotes] = n->err != NULL ? n->err->code : 0;
	snprintf(f->msg[f->nnotes], sizeof(f->msg[0]), "%s",
	    n->err != NULL ? n->err->msg : "");
	f->nnotes++;
}

static int
fake_wait(void *arg, long ms)
{
	struct fake	*f = arg;

	f->waited_ms += ms;
	return ++f->waits == f->stop_at;
}

/* ---- fixture ------------------------------------------------------------ */

static void
set(struct config *c, const char *block, const char *key, const char *line,
    int rank)
{
	struct err	 e;

	assert_int_equal(config_set(c, block, key, line, rank, &e), 0);
}

static int
setup(void **state)
{
	struct fake	*f;
	struct err	 e;

	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->dir, sizeof(f->dir), "/tmp/netpki-enroll-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, &e), 0);
	assert_non_null(f->cfg = config_new());
	set(f->cfg, NULL, B, B, 1);
	set(f->cfg, B, "enrollment method", "enrollment url http://ca.invalid",
	    2);
	set(f->cfg, B, "enrollment retry count", "enrollment retry count 3", 3);
	set(f->cfg, B, "enrollment retry period", "enrollment retry period 2",
	    4);
	assert_int_equal(tp_load(&f->tp, f->cfg, "myca", &e), 0);
	f->cert = th_x509("scep/ra-sign.pem");
	f->signer = th_x509("scep/ra-encr.pem");
	f->certs.ca = th_x509("scep/sub.pem");
	assert_int_equal(keystore_generate_ec(f->st, f->tp->keylabel,
	    "nistp256", &e), 0);
	f->ui.arg = f;
	f->ui.password = fake_password;
	f->ui.confirm = fake_confirm;
	f->ui.note = fake_note;
	f->ui.wait = fake_wait;
	enroll_init(&f->en, f->st, f->tp, &f->certs, &f->fo, &fake_proto,
	    &f->ui);
	f->en.hostname = "router";
	f->en.domain = "example.net";
	*state = f;
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fake	*f = *state;

	enroll_close(&f->en);
	tp_free(f->tp);
	config_free(f->cfg);
	X509_free(f->certs.ca);
	X509_free(f->cert);
	X509_free(f->signer);
	store_free(f->st);
	assert_int_equal(nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(f);
	return 0;
}

static void
script(struct fake *f, int n, ...)
{
	va_list	 ap;
	int	 i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		f->answer[i] = va_arg(ap, int);
	va_end(ap);
	f->nanswer = n;
}

static int
has_cert(struct fake *f)
{
	struct tp_certs	 tc;
	struct err	 e;
	int		 have;

	assert_int_equal(tp_certs_load(&tc, f->st, "myca", &e), 0);
	have = tc.dev[TP_KIND_GENERAL] != NULL;
	tp_certs_clear(&tc);
	return have;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_issued_at_once(void **state)
{
	struct fake	*f = *state;

	script(f, 1, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->passwords, 1);
	assert_int_equal(f->requests, 1);
	assert_int_equal(f->polls, 0);
	assert_int_equal(f->nnotes, 4);
	assert_int_equal(f->ev[0], ENROLL_EV_REQUEST_WEAK);
	assert_int_equal(f->ev[1], ENROLL_EV_CSR);
	assert_int_equal(f->state[1], ENROLL_REQUEST);
	assert_int_equal(f->ev[2], ENROLL_EV_REPLY);
	assert_int_equal(f->ev[3], ENROLL_EV_ISSUED);
	assert_int_equal(f->state[3], ENROLL_ISSUED);
	assert_true(has_cert(f));
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	/* A stored router certificate: asked before replacing it. */
	f->certs.dev[TP_KIND_GENERAL] = f->cert;
	assert_int_equal(enroll_confirm(&f->en), 0);
	assert_int_equal(f->confirms, 1);
	f->certs.dev[TP_KIND_GENERAL] = NULL;
}

static void
test_pending_poll_issued(void **state)
{
	struct fake	*f = *state;

	script(f, 4, ERR_PENDING, ERR_PENDING, ERR_NET, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->requests, 1);
	assert_int_equal(f->polls, 3);
	assert_int_equal(f->waits, 3);
	assert_int_equal(f->waited_ms, 3 * 2 * enroll_minute_ms());
	assert_int_equal(f->nnotes, 8);
	assert_int_equal(f->ev[1], ENROLL_EV_CSR);
	assert_int_equal(f->ev[2], ENROLL_EV_SENT);
	assert_int_equal(f->state[2], ENROLL_PENDING);
	assert_int_equal(f->ev[3], ENROLL_EV_WAITING);
	assert_int_equal(f->ev[4], ENROLL_EV_POLL);
	assert_int_equal(f->n[4], 1);
	assert_int_equal(f->state[4], ENROLL_PENDING);
	assert_int_equal(f->code[4], ERR_PENDING);
	assert_int_equal(f->ev[5], ENROLL_EV_POLL);
	assert_int_equal(f->n[5], 2);
	assert_int_equal(f->code[5], ERR_NET);
	assert_string_equal(f->msg[5], "connection refused");
	assert_int_equal(f->ev[6], ENROLL_EV_REPLY);
	assert_int_equal(f->state[6], ENROLL_POLL);
	assert_int_equal(f->ev[7], ENROLL_EV_ISSUED);
	assert_int_equal(f->state[7], ENROLL_ISSUED);
	assert_true(has_cert(f));
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
}

/*
 * RFC 7030 4.2.3: a server's Retry-After longer than the retry period (2
 * minutes here) is waited for; a shorter one is not; an absurd one only
 * up to ENROLL_RETRY_AFTER_MAX.  Returns the ms waited for two polls.
 */
static long
retry_after_waited(struct fake *f, long retry_after)
{
	f->retry_after = retry_after;
	script(f, 3, ERR_PENDING, ERR_PENDING, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->waits, 2);
	assert_true(has_cert(f));
	return f->waited_ms;
}

static void
test_retry_after_longer(void **state)
{
	assert_int_equal(retry_after_waited(*state, 600),
	    2 * 10 * enroll_minute_ms());
}

static void
test_retry_after_shorter(void **state)
{
	assert_int_equal(retry_after_waited(*state, 30),
	    2 * 2 * enroll_minute_ms());
}

static void
test_retry_after_capped(void **state)
{
	assert_int_equal(retry_after_waited(*state, 99999999999L),
	    2 * ENROLL_RETRY_AFTER_MAX / 60 * enroll_minute_ms());
}

static time_t
pending_not_before(struct fake *f)
{
	struct tp_pending	 p;
	struct err		 e;
	time_t			 t;

	assert_int_equal(tp_pending_load(&p, f->st, "myca", TP_KIND_GENERAL,
	    &e), 0);
	t = p.not_before;
	tp_pending_clear(&p);
	return t;
}

/*
 * The pending record keeps a long Retry-After as a time, for the agent's
 * polls; a later answer without one (or a shorter one) clears it.
 */
static void
test_retry_after_recorded(void **state)
{
	struct fake	*f = *state;
	time_t		 t0, t1, nb;

	f->retry_after = 600;
	script(f, 5, ERR_PENDING, ERR_PENDING, ERR_PENDING, ERR_PENDING,
	    ERR_PENDING);
	t0 = clock_now();
	assert_int_equal(enroll_run(&f->en), -1);
	t1 = clock_now();
	nb = pending_not_before(f);
	assert_true(nb >= t0 + 600 && nb <= t1 + 600);
	f->retry_after = 30;
	assert_int_equal(enroll_poll_once(&f->en, TP_KIND_GENERAL,
	    &(struct err){ 0 }), ERR_PENDING);
	assert_int_equal(pending_not_before(f), 0);
}

static void
test_retries_exhausted(void **state)
{
	struct fake	*f = *state;

	script(f, 4, ERR_PENDING, ERR_PENDING, ERR_PENDING, ERR_PENDING);
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->polls, 3);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_EXHAUSTED);
	assert_int_equal(f->n[f->nnotes - 1], 3);
	assert_int_equal(f->state[f->nnotes - 1], ENROLL_PENDING);
	/* The request stays for a later run: resumed, no new password. */
	assert_true(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	assert_false(has_cert(f));
	f->nnotes = 0;
	f->next = 0;
	script(f, 1, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->passwords, 1);
	assert_int_equal(f->requests, 1);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->ev[0], ENROLL_EV_RESUME);
	assert_int_equal(f->state[0], ENROLL_PENDING);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_ISSUED);
	assert_true(has_cert(f));
}

static void
test_cancel(void **state)
{
	struct fake	*f = *state;
	struct err	 e;

	script(f, 2, ERR_PENDING, ERR_PENDING);
	f->stop_at = 2;
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->polls, 1);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_STOPPED);
	assert_int_equal(f->state[f->nnotes - 1], ENROLL_CANCELLED);
	assert_true(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	/* cancel-enroll, and a forgotten request is not polled. */
	assert_int_equal(enroll_forget(f->st, "myca", TP_KIND_GENERAL, NULL,
	    &e), 0);
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	assert_int_equal(enroll_poll_once(&f->en, TP_KIND_GENERAL, &e),
	    ERR_NOTFOUND);
	assert_int_equal(f->polls, 1);
}

static void
test_refused(void **state)
{
	struct fake	*f = *state;

	script(f, 2, ERR_PENDING, ERR_REFUSED);
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->ev[f->nnotes - 2], ENROLL_EV_REPLY);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_FAILED);
	assert_int_equal(f->state[f->nnotes - 1], ENROLL_FAILED);
	assert_string_equal(f->msg[f->nnotes - 1],
	    "the CA said FAILURE (badRequest)");
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	/* A broken reply ends the run but keeps the request. */
	f->nnotes = f->next = 0;
	script(f, 2, ERR_PENDING, ERR_PROTO);
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_FAILED);
	assert_string_equal(f->msg[f->nnotes - 1], "broken reply");
	assert_true(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
}

static void
test_transid_changed(void **state)
{
	struct fake		*f = *state;
	struct tp_pending	 p;
	struct err		 e;

	script(f, 2, ERR_PENDING, 0);
	f->swap_at = 1;
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_FAILED);
	assert_non_null(strstr(f->msg[f->nnotes - 1], "trustpoint myca: the "
	    "pending request changed while it was polled"));
	assert_false(has_cert(f));
	assert_int_equal(tp_pending_load(&p, f->st, "myca", TP_KIND_GENERAL,
	    &e), 0);
	assert_string_equal(p.transid, "TX-OTHER");
	tp_pending_clear(&p);
	/* The store itself: the old transactionID is refused, the new taken. */
	assert_int_equal(enroll_store_cert(f->st, "myca", TP_KIND_GENERAL,
	    "TX-1", f->cert, &e), ERR_BUSY);
	assert_false(has_cert(f));
	assert_int_equal(enroll_forget(f->st, "myca", TP_KIND_GENERAL, "TX-1",
	    &e), ERR_BUSY);
	assert_int_equal(enroll_store_cert(f->st, "myca", TP_KIND_GENERAL,
	    "TX-OTHER", f->cert, &e), 0);
	assert_true(has_cert(f));
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
}

/* Nothing is asked or sent before the CA is authenticated. */
static void
test_not_authenticated(void **state)
{
	struct fake	*f = *state;
	X509		*ca = f->certs.ca;

	f->certs.ca = NULL;
	assert_int_equal(enroll_run(&f->en), -1);
	f->certs.ca = ca;
	assert_int_equal(f->nnotes, 1);
	assert_int_equal(f->ev[0], ENROLL_EV_ERROR);
	assert_string_equal(f->msg[0], "Trustpoint myca is not authenticated: "
	    "enter 'crypto ca authenticate myca' first");
	assert_int_equal(f->opens + f->passwords + f->requests, 0);
}

/* The CA unreachable at the start: said once, nothing asked or saved. */
static void
test_open_fails(void **state)
{
	struct fake	*f = *state;

	f->open_fails = 1;
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->nnotes, 1);
	assert_int_equal(f->ev[0], ENROLL_EV_ERROR);
	assert_string_equal(f->msg[0], "Trustpoint myca: no route to host");
	assert_int_equal(f->passwords + f->requests, 0);
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	/* The next run opens again. */
	script(f, 1, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->opens, 1);
	assert_true(has_cert(f));
}

static void
test_batch(void **state)
{
	struct fake	*f = *state;

	f->en.proto = &fake_batch;
	script(f, 3, ERR_PENDING, ERR_PENDING, 0);
	assert_int_equal(enroll_run(&f->en), 0);
	assert_int_equal(f->ev[2], ENROLL_EV_SENT);
	assert_int_equal(f->ev[3], ENROLL_EV_WAITING);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_ISSUED);
	assert_int_equal(f->polls, 2);
	assert_true(has_cert(f));
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	/* Not resumable: a stopped wait leaves nothing, the next run sends. */
	f->nnotes = f->next = 0;
	f->stop_at = f->waits + 1;
	script(f, 1, ERR_PENDING);
	assert_int_equal(enroll_run(&f->en), -1);
	assert_int_equal(f->ev[f->nnotes - 1], ENROLL_EV_STOPPED);
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	assert_int_equal(f->requests, 2);
	assert_int_equal(f->passwords, 2);
}

/* The agent's way: one poll a round, no waiting, no user. */
static void
test_poll_once(void **state)
{
	struct fake	*f = *state;
	struct err	 e;

	script(f, 2, ERR_PENDING, ERR_PENDING);
	f->stop_at = 1;
	assert_int_equal(enroll_run(&f->en), -1);
	f->next = 0;
	script(f, 2, ERR_PENDING, 0);
	assert_int_equal(enroll_poll_once(&f->en, TP_KIND_GENERAL, &e),
	    ERR_PENDING);
	assert_true(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
	assert_int_equal(enroll_poll_once(&f->en, TP_KIND_GENERAL, &e), 0);
	assert_int_equal(f->polls, 2);
	assert_int_equal(f->opens, 1);
	assert_true(has_cert(f));
	assert_false(tp_pending_exists(f->st, "myca", TP_KIND_GENERAL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issued_at_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_poll_issued, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_longer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_shorter,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_recorded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_capped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retries_exhausted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transid_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_poll_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_authenticated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
