/*
 * json: the writer behind "| json".  Strings come out escaped whatever
 * they hold (every byte value, ill-formed UTF-8), containers nest and
 * close, misuse and the size cap are reported, not written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"

/* The document of one string value under "s". */
static char *
one(const char *s, size_t n)
{
	struct json	*j = json_new(1u << 20);
	struct err	 e;
	const char	*text;
	char		*copy;

	assert_non_null(j);
	json_strn(j, "s", s, n);
	assert_int_equal(json_finish(j, &text, &e), 0);
	copy = strdup(text);
	json_free(j);
	return copy;
}

static void
check(const char *in, size_t len, const char *want)
{
	char	*got = one(in, len), *exp;

	assert_true(asprintf(&exp, "{\n  \"s\": \"%s\"\n}\n", want) > 0);
	assert_string_equal(got, exp);
	free(exp);
	free(got);
}

static void
test_escape(void **state)
{
	(void)state;
	check("plain", 5, "plain");
	check("q\"b\\s/", 6, "q\\\"b\\\\s/");
	check("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
	check("\x01\x1b\x0b\x7f", 4, "\\u0001\\u001b\\u000b\\u007f");
	check("a\0b", 3, "a\\u0000b");
	/* UTF-8 kept; C1, bidi and line separators as \u. */
	check("Z\xc3\xbcrich \xe6\x97\xa5", 11, "Z\xc3\xbcrich \xe6\x97\xa5");
	check("\xc2\x85\xc2\x9b", 4, "\\u0085\\u009b");
	check("\xe2\x80\xae\xe2\x80\xa8\xe2\x81\xa6", 9,
	    "\\u202e\\u2028\\u2066");
	/* Not UTF-8: each byte U+FFFD. */
	check("\x85", 1, "\\ufffd");
	check("\xc0\xaf", 2, "\\ufffd\\ufffd");		/* overlong '/' */
	check("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");	/* surrogate */
	check("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd");
	check("\xe2\x82", 2, "\\ufffd\\ufffd");		/* truncated */
	check("\xff" "a", 2, "\\ufffda");
}

/* Every byte value alone: printable ASCII or an escape, never raw. */
static void
test_every_byte(void **state)
{
	char	 c, *got;
	size_t	 i;
	int	 b;

	(void)state;
	for (b = 0; b < 256; b++) {
		c = (char)b;
		got = one(&c, 1);
		for (i = 0; got[i] != '\0'; i++)
			assert_true(got[i] == '\n' || (got[i] >= 0x20 &&
			    got[i] < 0x7f));
		free(got);
	}
}

static void
test_containers(void **state)
{
	struct json	*j = json_new(4096);
	struct err	 e;
	const char	*text;

	(void)state;
	json_list(j, "a");
	json_int(j, NULL, -5);
	json_bool(j, NULL, 1);
	json_null(j, NULL);
	json_begin(j, NULL);
	json_end(j);
	json_list(j, NULL);
	json_end(j);
	json_end(j);
	json_time(j, "t", 1700000000);
	json_time(j, "u", (time_t)-1);
	json_hex(j, "h", (const unsigned char *)"\x00\xab", 2);
	json_str(j, "n", NULL);
	assert_int_equal(json_finish(j, &text, &e), 0);
	assert_string_equal(text, "{\n  \"a\": [\n    -5,\n    true,\n"
	    "    null,\n    {},\n    []\n  ],\n  \"t\": \"2023-11-14T22:13:20Z\","
	    "\n  \"u\": null,\n  \"h\": \"00AB\",\n  \"n\": null\n}\n");
	json_free(j);

	/* Calls on no document do nothing (text output). */
	json_begin(NULL, "x");
	json_str(NULL, "x", "y");
	json_end(NULL);
}

static void
test_misuse(void **state)
{
	struct json	*j;
	struct err	 e;
	const char	*text;
	int		 i;

	(void)state;
	j = json_new(4096);		/* left open */
	json_list(j, "a");
	assert_int_equal(json_finish(j, &text, &e), ERR_INVAL);
	assert_null(text);
	json_free(j);

	j = json_new(4096);		/* closed once too often */
	json_end(j);
	assert_int_equal(json_finish(j, &text, &e), ERR_INVAL);
	json_free(j);

	j = json_new(4096);		/* a value without a key in an object */
	json_str(j, NULL, "v");
	assert_int_equal(json_finish(j, &text, &e), ERR_INVAL);
	json_free(j);

	j = json_new(64);		/* over the cap */
	json_str(j, "k", "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789");
	assert_int_equal(json_finish(j, &text, &e), ERR_TOOBIG);
	json_free(j);

	j = json_new(1u << 20);		/* nested too deep */
	for (i = 0; i < 40; i++)
		json_list(j, i == 0 ? "a" : NULL);
	assert_int_equal(json_finish(j, &text, &e), ERR_TOOBIG);
	json_free(j);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
