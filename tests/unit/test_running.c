/*
 * running: the running configuration loaded through a front end's
 * grammar (here a toy one: "hostname X" and "crypto ca trustpoint X"
 * blocks); a confirmed commit is rolled back once its deadline has passed
 * and not before, as a new commit whose line is the caller's; the
 * rollback prunes the state of a trustpoint it removes.
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
#include "config.h"
#include "err.h"
#include "helpers.h"
#include "running.h"
#include "store.h"

/* The toy grammar: a line's first words are its key. */
static int
toy_parse(void *arg, struct config *c, const char *text, const char *origin)
{
	char	 line[256];
	int	 bad = 0, *calls = arg;

	(void)origin;
	(*calls)++;
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		text += n + (text[n] == '\n');
		if (strncmp(line, "hostname ", 9) == 0)
			bad += config_set(c, NULL, "hostname", line, 0, NULL) != 0;
		else if (strncmp(line, "crypto ca trustpoint ", 21) == 0)
			bad += config_set_block(c, line, line, 1, NULL) != 0;
		else if (line[0] != '\0' && line[0] != '!')
			bad++;
	}
	return bad;
}

static void
commit(struct store *st, const char *before, const char *after,
    time_t deadline)
{
	struct commitlog_entry	 w;
	struct err		 e;
	unsigned long		 id;

	running_who(&w, "script", "CLI");
	w.before = (char *)before;
	assert_int_equal(store_lock(st, &e), 0);
	assert_int_equal(commitlog_commit(st, &w, after, deadline, &id, &e),
	    0);
	store_unlock(st);
}

static void
test_load_and_trial(void **state)
{
	struct commitlog_entry	*v = NULL;
	struct commitlog_trial	 t;
	struct config		*c = NULL;
	struct store		*st;
	struct err		 e;
	char			*dir = th_tmpdir(), *text, path[512];
	unsigned long		 id = 0;
	size_t			 n = 0;
	int			 calls = 0;
	struct running_grammar	 g = { toy_parse, &calls };

	(void)state;
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	/* No configuration yet: an empty one, the grammar not asked. */
	assert_int_equal(running_load(&c, st, &g, &e), 0);
	assert_null(config_get(c, NULL, "hostname"));
	assert_int_equal(calls, 0);
	config_free(c);

	commit(st, "!generation 0\n", "!generation 1\nhostname a\n", 0);
	/* The trial adds a trustpoint; its files appear. */
	commit(st, "!generation 1\nhostname a\n", "!generation 2\nhostname b\n"
	    "crypto ca trustpoint tp\n!\n", 1700000060);
	assert_int_equal(store_write(st, "trustpoints/tp/ca.pem", "x", 1,
	    0644, &e), 0);
	assert_int_equal(running_load(&c, st, &g, &e), 0);
	assert_string_equal(config_get(c, NULL, "hostname"), "hostname b");
	assert_int_equal(config_generation(c), 2);
	config_free(c);

	/* Before the deadline: nothing. */
	setenv("NETPKI_NOW", "1700000059", 1);
	assert_int_equal(running_trial_expire(st, &g, "agent", &t, &id, &e), 0);
	/* At it: rolled back to a new commit, generation 3. */
	setenv("NETPKI_NOW", "1700000060", 1);
	assert_int_equal(running_trial_expire(st, &g, "agent", &t, &id, &e), 1);
	assert_int_equal(e.code, 0);
	assert_int_equal(t.id, COMMITLOG_FIRST + 1);
	assert_int_equal(id, COMMITLOG_FIRST + 2);
	commitlog_trial_clear(&t);
	snprintf(path, sizeof(path), "%s/config", dir);
	text = th_slurp(NULL, path);
	assert_string_equal(text, "!generation 3\nhostname a\n");
	free(text);
	assert_int_equal(commitlog_list(st, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].client, "Rollback");
	assert_string_equal(v[0].line, "agent");
	commitlog_list_free(v, n);
	/* The removed trustpoint's files went with it. */
	assert_false(store_exists(st, "trustpoints/tp/ca.pem"));
	/* Once only. */
	assert_int_equal(running_trial_expire(st, &g, "agent", &t, &id, &e), 0);

	unsetenv("NETPKI_NOW");
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_trial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
