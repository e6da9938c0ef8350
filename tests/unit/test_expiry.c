/*
 * expiry: the alarm levels and when the next one starts; the memory
 * raises each level once per certificate, survives a reload, starts
 * afresh for a new certificate and forgets certificates no longer
 * watched; a damaged memory file is an empty memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "err.h"
#include "expiry.h"
#include "helpers.h"
#include "store.h"

#define NA	1709251200	/* some notAfter */
#define DAY	EXPIRY_DAY

static void
test_level(void **state)
{
	(void)state;
	assert_int_equal(expiry_level(NA, NA - 60 * DAY - 1), -1);
	assert_int_equal(expiry_level(NA, NA - 60 * DAY), 0);
	assert_int_equal(expiry_level(NA, NA - 30 * DAY - 1), 0);
	assert_int_equal(expiry_level(NA, NA - 30 * DAY), 1);
	assert_int_equal(expiry_level(NA, NA - 14 * DAY), 2);
	assert_int_equal(expiry_level(NA, NA - 7 * DAY), 3);
	assert_int_equal(expiry_level(NA, NA - 3 * DAY), 4);
	assert_int_equal(expiry_level(NA, NA - DAY), 5);
	assert_int_equal(expiry_level(NA, NA - 1), 5);
	assert_int_equal(expiry_level(NA, NA), EXPIRY_EXPIRED);
	assert_int_equal(expiry_level(NA, NA + 365 * DAY), EXPIRY_EXPIRED);
	assert_int_equal(expiry_days(0), 60);
	assert_int_equal(expiry_days(5), 1);
	assert_int_equal(expiry_days(EXPIRY_EXPIRED), 0);
}

/* The agent's wake-up: the next level's start, then notAfter, then none. */
static void
test_next(void **state)
{
	(void)state;
	assert_int_equal(expiry_next(NA, NA - 400 * DAY), NA - 60 * DAY);
	assert_int_equal(expiry_next(NA, NA - 60 * DAY), NA - 30 * DAY);
	assert_int_equal(expiry_next(NA, NA - 20 * DAY), NA - 14 * DAY);
	assert_int_equal(expiry_next(NA, NA - 2 * DAY), NA - DAY);
	assert_int_equal(expiry_next(NA, NA - 3600), NA);
	assert_int_equal(expiry_next(NA, NA), 0);
}

static void
cert(struct expiry_cert *c, const char *tp, enum expiry_kind kind, char fpc)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->tp, sizeof(c->tp), "%s", tp);
	c->kind = kind;
	memset(c->fp, fpc, 64);
	c->not_after = NA;
}

static void
test_memo(void **state)
{
	struct expiry_cert	 v[3];
	struct expiry_list	 l = { v, 2, 3 };
	struct expiry_memo	*m;
	struct store		*st;
	struct err		 e;
	char			*dir = th_tmpdir(), path[512], *text;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	cert(&v[0], "tp1", EXPIRY_ROUTER, 'a');
	cert(&v[1], "tp1", EXPIRY_CA, 'b');
	assert_int_equal(expiry_memo_load(&m, st, &e), 0);
	assert_int_equal(expiry_memo_raise(m, &v[0], 0), 1);
	assert_int_equal(expiry_memo_raise(m, &v[0], 0), 0);
	assert_int_equal(expiry_memo_raise(m, &v[1], 2), 1);
	assert_int_equal(expiry_memo_save(m, st, &l, &e), 0);
	expiry_memo_free(m);

	/* Reloaded: raised levels stay raised, higher ones are new. */
	assert_int_equal(expiry_memo_load(&m, st, &e), 0);
	assert_int_equal(expiry_memo_raise(m, &v[0], 0), 0);
	assert_int_equal(expiry_memo_raise(m, &v[1], 1), 0);
	assert_int_equal(expiry_memo_raise(m, &v[0], 3), 1);
	/* A new router certificate: afresh; the old one is forgotten. */
	cert(&v[2], "tp1", EXPIRY_ROUTER, 'c');
	assert_int_equal(expiry_memo_raise(m, &v[2], 0), 1);
	v[0] = v[2];
	assert_int_equal(expiry_memo_save(m, st, &l, &e), 0);
	expiry_memo_free(m);
	snprintf(path, sizeof(path), "%s/alarms", dir);
	text = th_slurp(NULL, path);
	assert_null(strstr(text, "aaaa"));
	assert_non_null(strstr(text, "tp1 router cccc"));
	assert_non_null(strstr(text, "tp1 ca bbbb"));
	free(text);

	/* Damaged: every line dropped, nothing fails. */
	assert_int_equal(store_write(st, "alarms", "x y\n\xff\nzz router q 9\n",
	    21, 0644, &e), 0);
	assert_int_equal(expiry_memo_load(&m, st, &e), 0);
	assert_int_equal(expiry_memo_raise(m, &v[1], 0), 1);
	expiry_memo_free(m);

	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/* A fleet: 20,000 certificates remembered, reloaded, each raised once. */
static void
test_memo_many(void **state)
{
	struct expiry_list	 l;
	struct expiry_memo	*m;
	struct store		*st;
	struct err		 e;
	char			*dir = th_tmpdir();
	size_t			 i, n = 20000;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_non_null(l.v = calloc(n, sizeof(*l.v)));
	l.n = n;
	for (i = 0; i < n; i++) {
		snprintf(l.v[i].tp, sizeof(l.v[i].tp), "tp%zu", i / 2);
		l.v[i].kind = i % 2 ? EXPIRY_CA : EXPIRY_ROUTER;
		snprintf(l.v[i].fp, sizeof(l.v[i].fp), "%064zx", i / 2);
	}
	assert_int_equal(expiry_memo_load(&m, st, &e), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(expiry_memo_raise(m, &l.v[i], 1), 1);
	assert_int_equal(expiry_memo_count(m), n);
	assert_int_equal(expiry_memo_save(m, st, &l, &e), 0);
	expiry_memo_free(m);
	assert_int_equal(expiry_memo_load(&m, st, &e), 0);
	assert_int_equal(expiry_memo_count(m), n);
	for (i = 0; i < n; i++)
		assert_int_equal(expiry_memo_raise(m, &l.v[i], 1), 0);
	expiry_memo_free(m);
	free(l.v);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_memo_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
