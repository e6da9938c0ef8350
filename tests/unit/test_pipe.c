/*
 * pipe: the line buffer of the output modifiers: lines printed in pieces
 * are filtered whole, a line longer than PIPE_LINEMAX goes through in
 * pieces of that size (never one of exactly that size), a partial line
 * at a prompt goes out raw, and a "do" command's pipe hands its partial
 * line to the outer one.  Output is read back from a file stdout points
 * at.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "helpers.h"
#include "pipe.h"

struct cap {
	char	*dir;
	char	 path[512];
	int	 saved;		/* the real stdout */
};

/* stdout into a scratch file until cap_done. */
static void
cap_start(struct cap *c)
{
	int	 fd;

	c->dir = th_tmpdir();
	snprintf(c->path, sizeof(c->path), "%s/out", c->dir);
	fflush(stdout);
	assert_true((c->saved = dup(STDOUT_FILENO)) != -1);
	assert_true((fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_true(dup2(fd, STDOUT_FILENO) != -1);
	close(fd);
}

/* What was printed since cap_start; the caller frees it. */
static char *
cap_done(struct cap *c, size_t *len)
{
	char	*s;

	fflush(stdout);
	assert_true(dup2(c->saved, STDOUT_FILENO) != -1);
	close(c->saved);
	s = th_slurp(len, c->path);
	th_rmtree(c->dir);
	free(c->dir);
	return s;
}

static void
pr(struct pipe *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pipe_vprintf(p, fmt, ap);
	va_end(ap);
}

/* n copies of ch, NUL-terminated; the caller frees it. */
static char *
run_of(char ch, size_t n)
{
	char	*s;

	assert_non_null(s = malloc(n + 1));
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/*
 * The output of the pieces printed one by one through a pipe with the
 * modifier kind (PIPE__MAX: none) and regex, then ended; len may be NULL.
 * The caller frees it.
 */
static char *
piped(size_t *len, enum pipe_kind kind, const char *re,
    const char *const pieces[], size_t n)
{
	struct cap	 c;
	struct pipe	*p;
	struct err	 e;
	char		*out;
	size_t		 i;

	assert_non_null(p = pipe_new(NULL, 0));
	if (kind != PIPE__MAX)
		assert_int_equal(pipe_add(p, kind, re, &e), 0);
	cap_start(&c);
	for (i = 0; i < n; i++)
		pr(p, "%s", pieces[i]);
	pipe_end(p);
	out = cap_done(&c, len);
	pipe_free(p);
	return out;
}

static void
test_pieces(void **state)
{
	const char	*in[] = { "a", "bc\nd", "e", "f\nabx\n", "abc" };
	char		*out;

	(void)state;
	out = piped(NULL, PIPE_INCLUDE, "^(abc|def)$", in, 5);
	assert_string_equal(out, "abc\ndef\nabc\n");
	free(out);
}

/* A line of exactly PIPE_LINEMAX, printed in pieces, is one line. */
static void
test_linemax_whole(void **state)
{
	char		*half, *out;

	(void)state;
	half = run_of('x', PIPE_LINEMAX / 2);
	out = piped(NULL, PIPE_COUNT, NULL, (const char *[]){ half, half,
	    "\n", half, half }, 5);
	assert_string_equal(out, "Number of lines which match regexp = 2\n");
	free(out);
	free(half);
}

/* Longer: pieces of PIPE_LINEMAX, each filtered as a line. */
static void
test_linemax_cut(void **state)
{
	char		*a, *out;
	size_t		 len;

	(void)state;
	a = run_of('a', PIPE_LINEMAX);
	out = piped(&len, PIPE__MAX, NULL, (const char *[]){ a, a,
	    "aaaaa\nb\n" }, 3);
	assert_int_equal(len, 2 * (PIPE_LINEMAX + 1) + 6 + 2);
	assert_memory_equal(out, a, PIPE_LINEMAX);
	assert_int_equal(out[PIPE_LINEMAX], '\n');
	assert_memory_equal(out + PIPE_LINEMAX + 1, a, PIPE_LINEMAX);
	assert_string_equal(out + 2 * (PIPE_LINEMAX + 1), "aaaaa\nb\n");
	free(out);

	/* The pieces go through the modifiers one by one. */
	out = piped(NULL, PIPE_COUNT, "^a", (const char *[]){ a, a, "a\n" },
	    3);
	assert_string_equal(out, "Number of lines which match regexp = 3\n");
	free(out);
	free(a);
}

/* A partial line before a prompt goes out raw, through the outer pipe. */
static void
test_flush_nested(void **state)
{
	struct cap	 c;
	struct pipe	*outer, *inner;
	struct err	 e;
	char		*out;

	(void)state;
	assert_non_null(outer = pipe_new(NULL, 0));
	assert_int_equal(pipe_add(outer, PIPE_EXCLUDE, "no", &e), 0);
	assert_non_null(inner = pipe_new(outer, 0));
	cap_start(&c);
	pr(inner, "x1\nno\nprompt? ");
	pipe_flush(inner);
	pr(inner, "yes\n");
	pipe_end(inner);
	pipe_end(outer);
	out = cap_done(&c, NULL);
	assert_string_equal(out, "x1\nprompt? yes\n");
	free(out);
	pipe_free(inner);
	pipe_free(outer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_linemax_whole),
		cmocka_unit_test(test_linemax_cut),
		cmocka_unit_test(test_flush_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
