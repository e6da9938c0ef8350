/*
 * renew: the schedule (due time at PERCENT, retries by the trustpoint's
 * period and count, then hourly, then daily, never past expiry), the
 * renewal state file, the shadow certificate and key, and the switch-over
 * (one change: certificate and key together, shadow files gone).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "cert.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "renew.h"
#include "scep_msg.h"
#include "store.h"
#include "trustpoint.h"

struct fx {
	char		*dir;
	struct store	*st;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	struct err	 e;

	assert_non_null(f);
	f->dir = th_tmpdir();
	assert_int_equal(store_open(&f->st, f->dir, &e), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	store_free(f->st);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
test_due(void **state)
{
	(void)state;
	/* 80% of 1000 s after 5000. */
	assert_int_equal(renew_due(5000, 6000, 80), 5800);
	assert_int_equal(renew_due(5000, 6000, 100), 6000);
	assert_int_equal(renew_due(5000, 6000, 1), 5010);
	/* Out of range: the default. */
	assert_int_equal(renew_due(5000, 6000, 0), 5800);
	/* A broken validity: due at once. */
	assert_int_equal(renew_due(6000, 5000, 80), 6000);
	/* Ten years, no overflow. */
	assert_int_equal(renew_due(0, 315360000, 50), 157680000);
}

static void
test_retry(void **state)
{
	time_t	 now = 1000000, exp = now + 100 * 86400;

	(void)state;
	/* Period 2 minutes, count 3: three retries two minutes apart. */
	assert_int_equal(renew_retry_next(now, 1, 2, 3, exp), now + 120);
	assert_int_equal(renew_retry_next(now, 3, 2, 3, exp), now + 120);
	/* Then hourly, RENEW_HOURLY_TRIES times, then daily. */
	assert_int_equal(renew_retry_next(now, 4, 2, 3, exp), now + 3600);
	assert_int_equal(renew_retry_next(now, 3 + RENEW_HOURLY_TRIES, 2, 3,
	    exp), now + 3600);
	assert_int_equal(renew_retry_next(now, 4 + RENEW_HOURLY_TRIES, 2, 3,
	    exp), now + 86400);
	/* Never past expiry: the last try just before it, then none. */
	assert_int_equal(renew_retry_next(now, 100, 2, 3, now + 600),
	    now + 599);
	assert_int_equal(renew_retry_next(now, 100, 2, 3, now - 1), 0);
}

static void
test_state(void **state)
{
	struct fx		*f = *state;
	struct renew_state	 s, t;
	struct err		 e;

	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), ERR_NOTFOUND);
	memset(&s, 0, sizeof(s));
	s.last_attempt = 1700000000;
	s.last_success = 1690000000;
	s.last_ok = 0;
	s.failures_total = 7;
	s.failures_run = 2;
	s.next = 1700000600;
	s.needs_operator = 1;
	/* A peer's text with a newline cannot add a line to the file. */
	snprintf(s.last_error, sizeof(s.last_error), "refused\nnext 1");
	assert_int_equal(renew_state_save(f->st, "tp", TP_KIND_SIGN, &s, &e),
	    0);
	assert_int_equal(renew_state_load(&t, f->st, "tp", TP_KIND_SIGN, &e),
	    0);
	assert_int_equal(t.last_attempt, s.last_attempt);
	assert_int_equal(t.last_success, s.last_success);
	assert_int_equal(t.failures_total, 7);
	assert_int_equal(t.failures_run, 2);
	assert_int_equal(t.next, s.next);
	assert_int_equal(t.needs_operator, 1);
	assert_string_equal(t.last_error, "refused\\x0Anext 1");
	assert_int_equal(renew_state_load(&t, f->st, "tp", TP_KIND_ENCR, &e),
	    ERR_NOTFOUND);
}

/* A certificate for key, valid from nb for days days. */
static X509 *
mkcert(EVP_PKEY *key, int days)
{
	X509		*x = NULL;
	struct err	 e;

	assert_int_equal(scep_signer_selfsigned(&x, key, NULL, days, &e), 0);
	return x;
}

static int
key_matches(struct store *st, const char *label, X509 *x)
{
	EVP_PKEY	*k = NULL;
	struct err	 e;
	int		 same;

	assert_int_equal(keystore_load(&k, st, label, KEYSTORE_GENERAL, &e),
	    0);
	same = EVP_PKEY_eq(k, X509_get0_pubkey(x)) == 1;
	EVP_PKEY_free(k);
	return same;
}

static void
test_switch_regenerate(void **state)
{
	struct fx	*f = *state;
	EVP_PKEY	*cur = NULL, *nk = NULL, *back = NULL;
	X509		*c1, *c2, *got = NULL;
	struct tp_certs	 tc;
	struct err	 e;

	assert_int_equal(keystore_generate_rsa(f->st, "k", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_int_equal(keystore_load(&cur, f->st, "k", KEYSTORE_GENERAL,
	    &e), 0);
	c1 = mkcert(cur, 10);
	assert_int_equal(tp_store_cert(f->st, "tp", TP_KIND_GENERAL, c1, &e),
	    0);
	/* No shadow: nothing to switch to, nothing touched. */
	assert_int_equal(renew_switch(f->st, "tp", "k", TP_KIND_GENERAL, &e),
	    ERR_NOTFOUND);
	assert_int_equal(tp_shadow_load(&got, f->st, "tp", TP_KIND_GENERAL,
	    &e), ERR_NOTFOUND);
	assert_int_equal(renew_keygen(&nk, cur, &e), 0);
	assert_int_equal(EVP_PKEY_get_bits(nk), 1024);
	assert_int_equal(renew_shadow_key_store(f->st, "tp", TP_KIND_GENERAL,
	    nk, &e), 0);
	assert_int_equal(renew_shadow_key_load(&back, f->st, "tp",
	    TP_KIND_GENERAL, &e), 0);
	assert_int_equal(EVP_PKEY_eq(back, nk), 1);
	c2 = mkcert(nk, 20);
	assert_int_equal(tp_shadow_store(f->st, "tp", TP_KIND_GENERAL, c2, &e),
	    0);
	assert_int_equal(tp_shadow_load(&got, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(X509_cmp(got, c2), 0);
	/* Until the switch the current pair is untouched. */
	assert_true(key_matches(f->st, "k", c1));
	assert_int_equal(renew_switch(f->st, "tp", "k", TP_KIND_GENERAL, &e),
	    0);
	assert_int_equal(tp_certs_load(&tc, f->st, "tp", &e), 0);
	assert_int_equal(X509_cmp(tc.dev[TP_KIND_GENERAL], c2), 0);
	assert_true(key_matches(f->st, "k", c2));
	assert_false(store_exists(f->st, "trustpoints/tp/shadow-general.pem"));
	assert_false(store_exists(f->st,
	    "trustpoints/tp/shadow-key-general.pem"));
	tp_certs_clear(&tc);
	X509_free(got);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(cur);
	EVP_PKEY_free(nk);
	EVP_PKEY_free(back);
}

/* key's certificate valid from now + off seconds for days days. */
static X509 *
mkcert_at(EVP_PKEY *key, long off, int days)
{
	X509	*x = mkcert(key, days);

	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), off));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), days, off,
	    NULL));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static void
test_check_shadow(void **state)
{
	EVP_PKEY	*k;
	X509		*cur, *good, *gap, *shorter;
	struct err	 e;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cur = mkcert_at(k, 0, 10);
	good = mkcert_at(k, 8 * 86400, 10);
	gap = mkcert_at(k, 11 * 86400, 10);
	shorter = mkcert_at(k, 0, 5);
	assert_int_equal(renew_check_shadow(cur, good, &e), 0);
	assert_int_equal(renew_check_shadow(NULL, gap, &e), 0);
	assert_int_equal(renew_check_shadow(cur, gap, &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "after the current one ends"));
	assert_int_equal(renew_check_shadow(cur, shorter, &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "before the current one"));
	/* A shadow overtaken by a later certificate is dropped whole. */
	{
		struct fx	*f = NULL;

		assert_int_equal(setup((void **)&f), 0);
		assert_int_equal(tp_shadow_store(f->st, "tp", TP_KIND_GENERAL,
		    shorter, &e), 0);
		assert_int_equal(renew_shadow_key_store(f->st, "tp",
		    TP_KIND_GENERAL, k, &e), 0);
		assert_int_equal(renew_drop_shadow(f->st, "tp",
		    TP_KIND_GENERAL, &e), 0);
		assert_false(store_exists(f->st,
		    "trustpoints/tp/shadow-general.pem"));
		assert_false(store_exists(f->st,
		    "trustpoints/tp/shadow-key-general.pem"));
		teardown((void **)&f);
	}
	/* The shadow activates when the current one ends. */
	assert_int_equal(renew_activation(cur, good), renew_activation(cur,
	    cur));
	X509_free(cur);
	X509_free(good);
	X509_free(gap);
	X509_free(shorter);
	EVP_PKEY_free(k);
}

static void
test_activation(void **state)
{
	EVP_PKEY	*k;
	X509		*a, *b;
	time_t		 na;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	a = mkcert(k, 10);
	b = mkcert(k, 20);
	assert_int_equal(cert_asn1_time(X509_get0_notAfter(a), &na), 0);
	/* The current one expires after the shadow starts: at its end. */
	assert_int_equal(renew_activation(a, b), na);
	/* No current certificate: at the shadow's start. */
	assert_true(renew_activation(NULL, b) < na);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}


static void
test_when_record(void **state)
{
	struct fx		*f = *state;
	struct trustpoint	 tp;
	struct renew_state	 s;
	EVP_PKEY		*k;
	X509			*a, *b;
	struct err		 e;
	time_t			 nb, na, due, now;

	memset(&tp, 0, sizeof(tp));
	tp.name = "tp";
	tp.retry_period = 5;
	tp.retry_count = 2;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	a = mkcert(k, 10);
	b = mkcert(k, 10);
	assert_int_equal(cert_asn1_time(X509_get0_notBefore(a), &nb), 0);
	assert_int_equal(cert_asn1_time(X509_get0_notAfter(a), &na), 0);
	due = renew_due(nb, na, 60);
	/* No state: at the percent. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(renew_when(&s, 0, a, 60), due);
	/* A failure after due: the retry period; twice, then hourly. */
	now = due + 10;
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, a,
	    ERR_REFUSED, "no", 0, now, &e), 0);
	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(s.next, now + 300);
	assert_int_equal(renew_when(&s, 1, a, 60), now + 300);
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, a,
	    ERR_NET, "down", 0, now + 300, &e), 0);
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, a,
	    ERR_NET, "down", 1, now + 600, &e), 0);
	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(s.failures_total, 3);
	assert_int_equal(s.failures_run, 3);
	assert_int_equal(s.next, now + 600 + 3600);
	assert_int_equal(s.needs_operator, 1);
	assert_string_equal(s.last_error, "down");
	/* Another certificate (enrolled by hand): its own schedule. */
	assert_int_equal(renew_when(&s, 1, b, 60), renew_due_cert(b, 60));
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, b,
	    ERR_NET, "down", 0, now, &e), 0);
	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(s.failures_run, 1);
	assert_int_equal(s.failures_total, 4);
	/* Success: counts of the run cleared, nothing scheduled. */
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, b, 0,
	    NULL, 0, now + 1, &e), 0);
	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(s.last_ok, 1);
	assert_int_equal(s.last_success, now + 1);
	assert_int_equal(s.failures_run, 0);
	assert_int_equal(s.next, 0);
	assert_string_equal(s.last_error, "");
	/* Failures up to expiry: nothing more to try. */
	assert_int_equal(renew_record(f->st, &tp, TP_KIND_GENERAL, b,
	    ERR_NET, "down", 0, na + 1, &e), 0);
	assert_int_equal(renew_state_load(&s, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(s.next, 0);
	assert_int_equal(renew_when(&s, 1, b, 60), 0);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}

/* A protocol for enroll_renew: renews or not, answers as scripted. */
struct fakep {
	int	 renew_ok, answer, requests, renewalreq;
	X509	*issue;
};
static struct fakep	 fp;

static int
fp_open(struct enroll *en, struct err *e)
{
	(void)en;
	(void)e;
	return 0;
}

static int
fp_renew_ok(struct enroll *en)
{
	(void)en;
	return fp.renew_ok;
}

static int
fp_request(struct enroll *en, struct enroll_job *job, struct err *e)
{
	(void)en;
	fp.requests++;
	fp.renewalreq += job->renew && job->pend.signer != NULL &&
	    X509_cmp(job->pend.signer, en->certs->dev[job->kind]) == 0;
	snprintf(job->pend.transid, sizeof(job->pend.transid), "T%d",
	    fp.requests);
	if ((job->pend.subject = X509_NAME_new()) == NULL)
		return ERR_NOMEM;
	if (fp.answer == 0) {
		X509_up_ref(fp.issue);
		job->cert = fp.issue;
		return 0;
	}
	if (fp.answer == ERR_REFUSED)
		job->ca_failed = 1;
	return err_set(e, fp.answer, "scripted %d", fp.answer);
}

static const struct enroll_proto fake_proto = {
	.name = "FAKE", .flags = ENROLL_PROTO_RESUMABLE, .open = fp_open,
	.request = fp_request, .renew_ok = fp_renew_ok,
};

static void
test_enroll_renew(void **state)
{
	struct fx		*f = *state;
	struct trustpoint	 tp;
	struct tp_certs		 tc;
	struct enroll		 en;
	struct tp_pending	 p;
	EVP_PKEY		*cur = NULL;
	X509			*c1, *c2, *got = NULL;
	struct err		 e;
	int			 op;

	memset(&tp, 0, sizeof(tp));
	memset(&tc, 0, sizeof(tc));
	memset(&fp, 0, sizeof(fp));
	tp.name = "tp";
	tp.keylabel = "k";
	tp.retry_period = 1;
	tp.retry_count = 3;
	assert_int_equal(keystore_generate_rsa(f->st, "k", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_int_equal(keystore_load(&cur, f->st, "k", KEYSTORE_GENERAL,
	    &e), 0);
	c1 = mkcert(cur, 10);
	c2 = mkcert(cur, 20);
	fp.issue = c2;
	assert_true(X509_up_ref(c1));
	tc.dev[TP_KIND_GENERAL] = c1;
	assert_int_equal(tp_store_cert(f->st, "tp", TP_KIND_GENERAL, c1, &e),
	    0);
	enroll_init(&en, f->st, &tp, &tc, NULL, &fake_proto, NULL);
	en.hostname = "r1";
	/* No Renewal at the CA: nothing sent, an operator is needed. */
	assert_int_equal(enroll_renew(&en, TP_KIND_GENERAL, 0, NULL, &op, &e),
	    ERR_REFUSED);
	assert_int_equal(op, 1);
	assert_int_equal(fp.requests, 0);
	assert_non_null(strstr(e.msg, "renewal needs an operator"));
	/* The key pair replaced since: it cannot sign for the certificate. */
	fp.renew_ok = 1;
	{
		EVP_PKEY	*other = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
				    "P-256");
		X509		*oc = mkcert(other, 10);

		tc.dev[TP_KIND_GENERAL] = oc;
		assert_int_equal(enroll_renew(&en, TP_KIND_GENERAL, 0, NULL,
		    &op, &e), ERR_REFUSED);
		assert_int_equal(op, 1);
		assert_non_null(strstr(e.msg, "no longer matches"));
		assert_int_equal(fp.requests, 0);
		X509_free(oc);
		EVP_PKEY_free(other);
	}
	tc.dev[TP_KIND_GENERAL] = c1;
	/* Refused: no shadow, recorded. */
	fp.renew_ok = 1;
	fp.answer = ERR_REFUSED;
	assert_int_equal(enroll_renew(&en, TP_KIND_GENERAL, 0, NULL, &op, &e),
	    ERR_REFUSED);
	assert_int_equal(tp_shadow_load(&got, f->st, "tp", TP_KIND_GENERAL,
	    &e), ERR_NOTFOUND);
	/* Pending: saved as a renewal, polled later. */
	fp.answer = ERR_PENDING;
	assert_int_equal(enroll_renew(&en, TP_KIND_GENERAL, 0, NULL, &op, &e),
	    ERR_PENDING);
	assert_int_equal(tp_pending_load(&p, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(p.renewal, TP_RENEWAL_SAMEKEY);
	assert_int_equal(X509_cmp(p.signer, c1), 0);
	tp_pending_clear(&p);
	assert_int_equal(enroll_forget(f->st, "tp", TP_KIND_GENERAL, NULL,
	    &e), 0);
	/* Issued: the shadow, signed by the current certificate. */
	fp.answer = 0;
	assert_int_equal(enroll_renew(&en, TP_KIND_GENERAL, 0, NULL, &op, &e),
	    0);
	assert_int_equal(fp.renewalreq, 3);
	assert_int_equal(tp_shadow_load(&got, f->st, "tp", TP_KIND_GENERAL,
	    &e), 0);
	assert_int_equal(X509_cmp(got, c2), 0);
	tp_certs_clear(&tc);
	assert_int_equal(tp_certs_load(&tc, f->st, "tp", &e), 0);
	assert_int_equal(X509_cmp(tc.dev[TP_KIND_GENERAL], c1), 0);
	enroll_close(&en);
	tp_certs_clear(&tc);
	X509_free(got);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(cur);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_activation),
		cmocka_unit_test(test_check_shadow),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_regenerate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_when_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enroll_renew, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
