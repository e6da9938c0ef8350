/*
 * commitlog: the history keeps the last 20 commits with their rollback
 * points, IDs go on from 1000000001, a trial keeps its first restore
 * point, a plain commit ends it, and damaged records are refused.
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

#include "commitlog.h"
#include "err.h"
#include "helpers.h"
#include "store.h"

struct fixture {
	char		*dir;
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	struct err	 e;

	assert_non_null(f);
	f->dir = th_tmpdir();
	assert_int_equal(store_open(&f->st, f->dir, &e), 0);
	assert_int_equal(store_lock(f->st, &e), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	store_unlock(f->st);
	store_free(f->st);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Commit "!generation g\nhostname hG" over the previous one. */
static unsigned long
commit(struct store *st, unsigned g, time_t deadline, const char *user)
{
	struct commitlog_entry	 w;
	struct err		 e;
	unsigned long		 id = 0;
	char			 before[64], after[64];

	memset(&w, 0, sizeof(w));
	w.time = 1700000000 + g;
	snprintf(w.user, sizeof(w.user), "%s", user);
	snprintf(w.line, sizeof(w.line), "script");
	snprintf(w.client, sizeof(w.client), "CLI");
	snprintf(before, sizeof(before), "!generation %u\nhostname h%u\n",
	    g - 1, g - 1);
	snprintf(after, sizeof(after), "!generation %u\nhostname h%u\n", g, g);
	w.before = before;
	assert_int_equal(commitlog_commit(st, &w, after, deadline, &id, &e),
	    0);
	return id;
}

static void
test_history(void **state)
{
	struct fixture		*f = *state;
	struct commitlog_entry	*v = NULL;
	struct err		 e;
	char			*text = NULL;
	size_t			 n = 0;
	unsigned		 g;

	assert_int_equal(commitlog_list(f->st, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(commitlog_before(f->st, 1, &text, &e), ERR_INVAL);
	assert_int_equal(commit(f->st, 1, 0, "alice"), COMMITLOG_FIRST);
	for (g = 2; g <= 25; g++)
		assert_int_equal(commit(f->st, g, 0, "bob b\n"),
		    COMMITLOG_FIRST + g - 1);
	assert_int_equal(commitlog_list(f->st, &v, &n, &e), 0);
	assert_int_equal(n, COMMITLOG_KEEP);
	assert_int_equal(v[0].id, 1000000025);
	assert_int_equal(v[19].id, 1000000006);
	assert_int_equal(v[0].time, 1700000025);
	/* Header fields are single printable words. */
	assert_string_equal(v[0].user, "bob?b?");
	assert_string_equal(v[0].client, "CLI");
	assert_null(v[0].before);
	commitlog_list_free(v, n);
	/* The rollback points: before the last 1, and the last 20. */
	assert_int_equal(commitlog_before(f->st, 1, &text, &e), 0);
	assert_string_equal(text, "!generation 24\nhostname h24\n");
	free(text);
	assert_int_equal(commitlog_before(f->st, 20, &text, &e), 0);
	assert_string_equal(text, "!generation 5\nhostname h5\n");
	free(text);
	assert_int_equal(commitlog_before(f->st, 21, &text, &e), ERR_INVAL);
	assert_int_equal(commitlog_before(f->st, 0, &text, &e), ERR_INVAL);
	assert_int_equal(commitlog_generation("!generation 42\nx"), 42);
	assert_int_equal(commitlog_generation("hostname x"), 0);
}

static void
test_trial(void **state)
{
	struct fixture		*f = *state;
	struct commitlog_trial	 t;
	struct err		 e;

	assert_int_equal(commitlog_trial_get(f->st, &t, &e), ERR_NOTFOUND);
	commit(f->st, 1, 0, "a");
	assert_int_equal(commit(f->st, 2, 1700000060, "a"), 1000000002);
	assert_int_equal(commitlog_trial_get(f->st, &t, &e), 0);
	assert_int_equal(t.id, 1000000002);
	assert_int_equal(t.deadline, 1700000060);
	assert_string_equal(t.restore, "!generation 1\nhostname h1\n");
	commitlog_trial_clear(&t);
	/* A second confirmed commit: the same restore point, a new deadline. */
	commit(f->st, 3, 1700000090, "a");
	assert_int_equal(commitlog_trial_get(f->st, &t, &e), 0);
	assert_int_equal(t.id, 1000000002);
	assert_int_equal(t.deadline, 1700000090);
	assert_string_equal(t.restore, "!generation 1\nhostname h1\n");
	commitlog_trial_clear(&t);
	/* A plain commit confirms. */
	commit(f->st, 4, 0, "a");
	assert_int_equal(commitlog_trial_get(f->st, &t, &e), ERR_NOTFOUND);
	commit(f->st, 5, 1700000100, "a");
	assert_int_equal(commitlog_trial_end(f->st, &e), 0);
	assert_int_equal(commitlog_trial_get(f->st, &t, &e), ERR_NOTFOUND);
	assert_int_equal(commitlog_trial_end(f->st, &e), 0);
}

static void
test_damaged(void **state)
{
	struct fixture		*f = *state;
	struct commitlog_entry	*v = NULL;
	struct commitlog_trial	 t;
	struct err		 e;
	size_t			 n = 0;
	char			*text = NULL;

	commit(f->st, 1, 0, "a");
	/* No blank line after the header: refused, not misread. */
	assert_int_equal(store_write(f->st, "commits/1000000002",
	    "id 1000000002\ntime 5", 20, STORE_PUBLIC, &e), 0);
	assert_int_equal(commitlog_list(f->st, &v, &n, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "damaged commit record"));
	assert_int_equal(commitlog_before(f->st, 1, &text, &e), ERR_INVAL);
	assert_int_equal(store_write(f->st, "commits/trial", "garbage", 7,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(commitlog_trial_get(f->st, &t, &e), ERR_INVAL);
	/* Other names in commits/ are not commits. */
	assert_int_equal(store_write(f->st, "commits/12345", "x", 1,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_remove(f->st, "commits/1000000002", 0, &e), 0);
	assert_int_equal(commitlog_list(f->st, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	commitlog_list_free(v, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
