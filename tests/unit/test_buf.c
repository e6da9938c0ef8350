/*
 * buf: appends, the cap (exactly max fits, one more does not), the sticky
 * error, formatted appends past the stack fast path, handing over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"

static void
test_add_and_read(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 1024);
	assert_null(buf_ptr(&b));
	assert_int_equal(buf_len(&b), 0);
	assert_int_equal(buf_add(&b, "ab", 2), 0);
	assert_int_equal(buf_adds(&b, "cd"), 0);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	assert_int_equal(buf_addf(&b, "-%d-%s", 42, "x"), 0);
	assert_string_equal(buf_ptr(&b), "abcd-42-x");
	assert_int_equal(buf_len(&b), 9);
	assert_memory_equal(buf_uptr(&b), "abcd", 4);
	/* Binary bytes, a NUL among them, still followed by a NUL. */
	assert_int_equal(buf_add(&b, "\0z", 2), 0);
	assert_int_equal(buf_len(&b), 11);
	assert_int_equal(buf_ptr(&b)[9], '\0');
	assert_int_equal(buf_ptr(&b)[10], 'z');
	assert_int_equal(buf_ptr(&b)[11], '\0');
	buf_reset(&b);
	assert_null(buf_ptr(&b));
	assert_int_equal(buf_adds(&b, "again"), 0);
	assert_string_equal(buf_ptr(&b), "again");
	buf_free(&b);
	assert_null(buf_ptr(&b));
	buf_free(&b);		/* twice is fine */
}

static void
test_cap(void **state)
{
	struct buf	 b;
	char		 big[300];

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_add(&b, "12345678", 8), 0);
	assert_true(b.cap <= 9);		/* never allocates past max */
	assert_int_equal(buf_add(&b, "9", 1), ERR_TOOBIG);
	/* Sticky: emptied, and later adds fail the same way. */
	assert_null(buf_ptr(&b));
	assert_int_equal(b.err, ERR_TOOBIG);
	assert_int_equal(buf_adds(&b, ""), ERR_TOOBIG);
	assert_int_equal(buf_addf(&b, "x"), ERR_TOOBIG);
	assert_null(buf_take(&b, NULL));
	buf_reset(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(buf_addf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_addf(&b, "%s", "56789"), ERR_TOOBIG);
	buf_free(&b);
	/* Formatted output longer than the stack copy: exact, or refused. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 300);
	assert_int_equal(buf_addf(&b, "<%s>", big), ERR_TOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_addf(&b, "%s", big), 0);
	assert_int_equal(buf_len(&b), 299);
	assert_string_equal(buf_ptr(&b), big);
	buf_free(&b);
	/* A length that would wrap size_t is over any cap. */
	buf_init(&b, 16);
	assert_int_equal(buf_adds(&b, "x"), 0);
	assert_int_equal(buf_add(&b, "", SIZE_MAX), ERR_TOOBIG);
	buf_free(&b);
}

static void
test_take(void **state)
{
	struct buf	 b;
	char		*s;
	size_t		 len = 99;
	int		 i;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_non_null(s = buf_take(&b, &len));
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_addf(&b, "%04d\n", i), 0);
	assert_int_equal(buf_len(&b), 50000);
	assert_non_null(s = buf_take(&b, &len));
	assert_int_equal(len, 50000);
	assert_memory_equal(s + 49995, "9999\n", 6);	/* with the NUL */
	free(s);
	/* Taken: the buffer is empty and usable. */
	assert_null(buf_ptr(&b));
	assert_int_equal(buf_adds(&b, "next"), 0);
	assert_non_null(s = buf_take(&b, NULL));
	assert_string_equal(s, "next");
	free(s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_read),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
