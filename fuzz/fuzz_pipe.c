/*
 * Fuzz target: output modifiers.  The first line of the input is what
 * follows a show command ("| include a|b | section x"), matched and
 * compiled as the shell does; the rest is command output run through
 * the modifiers (printed in pieces, as handlers print).  What comes out
 * goes to /dev/null.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdtree.h"
#include "commands.h"
#include "err.h"
#include "pipe.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_print(struct pipe *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pipe_vprintf(p, fmt, ap);
	va_end(ap);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd_tree	*t;
	struct pipe		*p = NULL;
	struct cmd_match	*m = NULL;
	struct err		 e;
	char			*in, *body, msg[256];
	size_t			 i, n;
	int			 null, saved;

	if (t == NULL && cmdtree_new(&t, cmd_tables, msg, sizeof(msg)) != 0)
		abort();
	if (size > 64 * 1024 || (in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	body = in + strcspn(in, "\n");
	if (*body == '\n')
		*body++ = '\0';
	fflush(stdout);
	null = open("/dev/null", O_WRONLY);
	saved = dup(STDOUT_FILENO);
	if (null == -1 || saved == -1 || dup2(null, STDOUT_FILENO) == -1 ||
	    (p = pipe_new(NULL, 0)) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL ||
	    pipe_parse(p, t, in, cmdtree_pipe_at(in, 0), m, &e) != 0)
		goto out;
	/* In uneven pieces: a line may span several prints. */
	for (i = 0; body[i] != '\0'; i += n) {
		n = 1 + (i * 7 + 3) % 61;
		n = strnlen(body + i, n);
		fuzz_print(p, "%.*s", (int)n, body + i);
	}
	pipe_end(p);
 out:
	free(m);
	pipe_free(p);
	fflush(stdout);
	if (saved != -1) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (null != -1)
		close(null);
	free(in);
	return 0;
}
