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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_activation),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_regenerate, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
