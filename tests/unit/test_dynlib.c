/*
 * dynlib: a library opened on first use into a table, once; a missing
 * library or function is an error on every call, never a NULL pointer
 * in the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dynlib.h"
#include "err.h"

struct tab {
	size_t	 (*len)(const char *);
	int	 (*cmp)(const char *, const char *);
};

static const struct dynlib_sym good_syms[] = {
	DYNLIB_SYM(struct tab, len, "strlen"),
	DYNLIB_SYM(struct tab, cmp, "strcmp"),
};

static const struct dynlib_sym bad_syms[] = {
	DYNLIB_SYM(struct tab, len, "strlen"),
	DYNLIB_SYM(struct tab, cmp, "netpki_no_such_function"),
};

static void
test_open_once(void **state)
{
	static struct tab	 t;
	static struct dynlib	 lib = DYNLIB_INIT("libc.so.6", good_syms, &t);
	const struct tab	*p;
	struct err		 e;

	(void)state;
	assert_non_null(p = dynlib_get(&lib, &e));
	assert_ptr_equal(p, &t);
	assert_int_equal(p->len("netpki"), 6);
	assert_int_equal(p->cmp("a", "a"), 0);
	/* The second call answers from the table. */
	assert_ptr_equal(dynlib_get(&lib, NULL), &t);
}

static void
test_missing(void **state)
{
	static struct tab	 t1, t2;
	static struct dynlib	 nolib = DYNLIB_INIT("libnetpki-none.so.9",
				    good_syms, &t1);
	static struct dynlib	 nofn = DYNLIB_INIT("libc.so.6", bad_syms,
				    &t2);
	struct err		 e;
	int			 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		assert_null(dynlib_get(&nolib, &e));
		assert_int_equal(e.code, ERR_IO);
		assert_non_null(strstr(e.msg,
		    "cannot load libnetpki-none.so.9: "));
	}
	memset(&e, 0, sizeof(e));
	assert_null(dynlib_get(&nofn, &e));
	assert_string_equal(e.msg, "cannot load libc.so.6: libc.so.6 lacks "
	    "netpki_no_such_function");
	assert_null(dynlib_get(&nofn, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_once),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
