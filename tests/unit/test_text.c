/*
 * text: the escaping of untrusted text for terminals and logs.  Every
 * hostile input must come out without a control byte; ordinary printable
 * UTF-8 must come out unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/*
 * Decoded as UTF-8 (independently of text.c): well-formed, and no C0, DEL,
 * C1 or bidi control among the code points.
 */
static void
assert_clean(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 i, n, k;

	for (i = 0; u[i] != '\0'; i += n) {
		n = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 ? 2 :
		    (u[i] & 0xf0) == 0xe0 ? 3 : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
		assert_true(n > 0 && (n == 1 || u[i] >= 0xc2));
		cp = n == 1 ? u[i] : u[i] & (0x7f >> n);
		for (k = 1; k < n; k++) {
			assert_int_equal(u[i + k] & 0xc0, 0x80);
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		assert_false(cp < 0x20 || (cp >= 0x7f && cp <= 0x9f));
		assert_false(cp >= 0x202a && cp <= 0x202e);
		assert_false(cp >= 0x2066 && cp <= 0x2069);
		assert_false(cp >= 0xd800 && cp <= 0xdfff);
	}
}

static void
check(const char *in, size_t len, const char *want)
{
	char	*out = text_escape(in, len);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_clean(out);
	free(out);
}

/* Input (with its length: some hold NUL), and what must come out. */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;
} cases[] = {
	/* Printable UTF-8 stays as it is. */
	{ "cn=Zürich", 10, "cn=Zürich" },
	{ "東京都", 9, "東京都" },
	{ "emoji \xf0\x9f\x94\x92 ok", 13, "emoji \xf0\x9f\x94\x92 ok" },
	{ "", 0, "" },
	{ "a\\x1Bb", 6, "a\\x1Bb" },
	{ "\xc2\xa0", 2, "\xc2\xa0" },			/* NBSP */
	{ "\xe2\x80\xb0", 3, "\xe2\x80\xb0" },		/* per mille */
	/* C0 and DEL. */
	{ "\x1b[2J\x1b[HStatus: Available", 24,
	    "\\x1B[2J\\x1B[HStatus: Available" },
	{ "a\rb\nc\td\x7f", 8, "a\\x0Db\\x0Ac\\x09d\\x7F" },
	{ "x\0y", 3, "x\\x00y" },
	/* Raw 8-bit CSI, and C1 controls as UTF-8. */
	{ "\x9b" "2J", 3, "\\x9B2J" },
	{ "\xc2\x9b" "2J", 4, "\\u{009B}2J" },
	{ "\xc2\x85", 2, "\\u{0085}" },
	/* Bidi controls and line separators. */
	{ "a\xe2\x80\xae" "fdp.exe", 11, "a\\u{202E}fdp.exe" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u{2066}x\\u{2069}" },
	{ "\xe2\x80\xa8", 3, "\\u{2028}" },
	{ "\xe2\x80\x8f\xd8\x9c", 5, "\\u{200F}\\u{061C}" },
	/* Not UTF-8: every byte escaped. */
	{ "\xc3", 1, "\\xC3" },				/* truncated */
	{ "\xc0\xaf", 2, "\\xC0\\xAF" },		/* overlong '/' */
	{ "\xe0\x80\x9b", 3, "\\xE0\\x80\\x9B" },	/* overlong CSI */
	{ "\xed\xa0\x80", 3, "\\xED\\xA0\\x80" },	/* surrogate */
	{ "\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80" },
	{ "\xe2\x80", 2, "\\xE2\\x80" },
	{ "Z\xfcrich", 6, "Z\\xFCrich" },		/* Latin-1 */
};

static void
test_cases(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check(cases[i].in, cases[i].len, cases[i].want);
}

static void
test_every_byte(void **state)
{
	char	 in[256], *out;
	size_t	 i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (char)(255 - i);
	assert_non_null(out = text_escape(in, sizeof(in)));
	assert_clean(out);
	assert_true(strlen(out) <= sizeof(in) * TEXT_ESC_RATIO);
	free(out);
}

static void
test_buffer(void **state)
{
	char	 b[8];

	(void)state;
	assert_string_equal(text_esc(b, sizeof(b), "ab\x1b" "cd"), "ab\\x1Bc");
	/* An escape that does not fit is left out whole. */
	assert_string_equal(text_esc(b, sizeof(b), "abcde\x1b"), "abcde");
	assert_string_equal(text_esc(b, sizeof(b), "abcdeü"), "abcdeü");
	assert_string_equal(text_esc(b, 6, "abcdü"), "abcd");
	assert_string_equal(text_esc(b, sizeof(b), NULL), "");
	assert_string_equal(text_esc(b, 1, "abc"), "");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
