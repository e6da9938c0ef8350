/*
 * config: statements by key, canonical order, change sets and the
 * three-way merge of concurrent commits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"

#define R_HOST	0
#define R_DOM	1
#define R_TP	5
#define R_URL	6
#define R_RETRY	7

static struct config *
sample(void)
{
	struct config	*c = config_new();
	struct err	 e;

	assert_int_equal(config_set(c, NULL, "domain name", "domain name "
	    "mydomain.com", R_DOM, &e), 0);
	assert_int_equal(config_set(c, NULL, "hostname", "hostname r1",
	    R_HOST, &e), 0);
	assert_int_equal(config_set_block(c, "crypto ca trustpoint myca",
	    "crypto ca trustpoint myca", R_TP, &e), 0);
	assert_int_equal(config_set(c, "crypto ca trustpoint myca",
	    "enrollment retry count", "enrollment retry count 25", R_RETRY,
	    &e), 0);
	assert_int_equal(config_set(c, "crypto ca trustpoint myca",
	    "enrollment method", "enrollment url http://ca/x", R_URL, &e), 0);
	assert_int_equal(config_set_block(c, "crypto ca trustpoint a",
	    "crypto ca trustpoint a", R_TP, &e), 0);
	return c;
}

static void
test_text_order(void **state)
{
	struct config	*c = sample();
	char		*t;

	(void)state;
	t = config_text(c, NULL);
	assert_string_equal(t,
	    "hostname r1\n"
	    "domain name mydomain.com\n"
	    "crypto ca trustpoint a\n"
	    "!\n"
	    "crypto ca trustpoint myca\n"
	    " enrollment url http://ca/x\n"
	    " enrollment retry count 25\n"
	    "!\n");
	free(t);
	t = config_text(c, "crypto ca trustpoint myca");
	assert_string_equal(t, "crypto ca trustpoint myca\n"
	    " enrollment url http://ca/x\n"
	    " enrollment retry count 25\n"
	    "!\n");
	free(t);
	config_free(c);
}

static void
test_get_value_replace(void **state)
{
	struct config	*c = sample();
	struct err	 e;
	const char	*blk = "crypto ca trustpoint myca";
	const char	**v;
	size_t		 n;

	(void)state;
	assert_string_equal(config_value(c, NULL, "hostname"), "r1");
	assert_string_equal(config_value(c, blk, "enrollment url"),
	    "http://ca/x");
	assert_string_equal(config_get(c, blk, "enrollment method"),
	    "enrollment url http://ca/x");
	assert_null(config_value(c, blk, "enrollment terminal"));
	/* The shared key makes the two exclusive. */
	assert_int_equal(config_set(c, blk, "enrollment method",
	    "enrollment terminal", R_URL, &e), 0);
	assert_null(config_value(c, blk, "enrollment url"));
	assert_string_equal(config_value(c, blk, "enrollment terminal"), "");
	assert_int_equal(config_set(c, NULL, "hostname", "hostname r2",
	    R_HOST, &e), 0);
	assert_string_equal(config_value(c, NULL, "hostname"), "r2");
	assert_int_equal(config_set(c, "nope", "x", "x", 1, &e), ERR_NOTFOUND);
	assert_int_equal(config_set(c, NULL, "x", "x\ny", 1, &e), ERR_INVAL);
	assert_int_equal(config_list(c, "crypto ca trustpoint ", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "crypto ca trustpoint a");
	free(v);
	assert_int_equal(config_unset(c, NULL, blk), 0);
	assert_null(config_value(c, blk, "enrollment terminal"));
	assert_int_equal(config_unset(c, NULL, blk), ERR_NOTFOUND);
	config_free(c);
}

static void
test_dup_equal_diff(void **state)
{
	struct config	*a = sample(), *b;
	struct err	 e;
	char		*d;

	(void)state;
	b = config_dup(a);
	assert_true(config_equal(a, b));
	d = config_diff_text(a, b);
	assert_string_equal(d, "");
	free(d);
	config_set(b, NULL, "hostname", "hostname r9", R_HOST, &e);
	config_unset(b, "crypto ca trustpoint myca", "enrollment retry count");
	config_unset(b, NULL, "domain name");
	assert_false(config_equal(a, b));
	d = config_diff_text(a, b);
	assert_string_equal(d,
	    "hostname r9\n"
	    "no domain name mydomain.com\n"
	    "crypto ca trustpoint myca\n"
	    " no enrollment retry count 25\n"
	    "!\n");
	free(d);
	config_free(a);
	config_free(b);
}

static void
test_merge(void **state)
{
	struct config	*base = sample(), *ours, *theirs, *out = NULL;
	struct err	 e;

	(void)state;
	config_set_generation(base, 4);
	ours = config_dup(base);
	theirs = config_dup(base);
	/* Different statements: merged. */
	config_set(ours, NULL, "hostname", "hostname mine", R_HOST, &e);
	config_set(theirs, NULL, "domain name", "domain name theirs.net",
	    R_DOM, &e);
	config_set_generation(theirs, 5);
	assert_int_equal(config_merge(&out, base, ours, theirs, &e), 0);
	assert_string_equal(config_value(out, NULL, "hostname"), "mine");
	assert_string_equal(config_value(out, NULL, "domain name"),
	    "theirs.net");
	assert_int_equal(config_generation(out), 6);
	config_free(out);
	/* Same statement, different values: refused, naming it. */
	config_set(theirs, NULL, "hostname", "hostname yours", R_HOST, &e);
	assert_int_equal(config_merge(&out, base, ours, theirs, &e), ERR_BUSY);
	assert_null(out);
	assert_non_null(strstr(e.msg, "hostname"));
	/* Same statement, same value: not a conflict. */
	config_set(theirs, NULL, "hostname", "hostname mine", R_HOST, &e);
	assert_int_equal(config_merge(&out, base, ours, theirs, &e), 0);
	config_free(out);
	/* A change inside a block the other session removed. */
	config_free(theirs);
	theirs = config_dup(base);
	config_set_generation(theirs, 5);
	config_unset(theirs, NULL, "crypto ca trustpoint myca");
	config_set(ours, "crypto ca trustpoint myca", "enrollment retry count",
	    "enrollment retry count 3", R_RETRY, &e);
	assert_int_equal(config_merge(&out, base, ours, theirs, &e), ERR_BUSY);
	/* No concurrent commit: the result is the candidate. */
	assert_int_equal(config_merge(&out, base, ours, base, &e), 0);
	assert_true(config_equal(out, ours));
	assert_int_equal(config_generation(out), 5);
	config_free(out);
	config_free(base);
	config_free(ours);
	config_free(theirs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_order),
		cmocka_unit_test(test_get_value_replace),
		cmocka_unit_test(test_dup_equal_diff),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
