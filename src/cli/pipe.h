/*
 * pipe: a command's output on its way to the terminal: the output
 * modifiers of a show command ("| include REGEX" ...), applied line by
 * line as the output is printed, then the --More-- pager of an
 * interactive session.  The grammar of the modifiers is pipe_defs
 * (parsed by cmdtree.c like every other command table).
 */
#ifndef NETPKI_PIPE_H
#define NETPKI_PIPE_H

#include <stdarg.h>

#include "cmd.h"

struct cmd_match;
struct cmd_tree;
struct err;
struct pipe;

/* Output modifiers: pipe_defs[kind] is the table row of each. */
enum pipe_kind {
	PIPE_BEGIN = 0,
	PIPE_COUNT,
	PIPE_EXCLUDE,
	PIPE_INCLUDE,
	PIPE_JSON,	/* the command writes JSON (shell.c, json.h) */
	PIPE_SECTION,
	PIPE__MAX
};

extern const struct cmd_def	 pipe_defs[];

/*
 * Longest output line kept whole, the cap of a pipe's line buffer; a
 * longer one goes through the modifiers in pieces of this size.
 */
#define PIPE_LINEMAX	(64u * 1024)

/*
 * A pipe writes to next (another pipe: a "do" command's output inside
 * the configuration mode's) or, when next is NULL, to stdout, paged by
 * pages lines (0: no pager) from the terminal on stdin.  NULL when out
 * of memory.
 */
struct pipe	*pipe_new(struct pipe *, int);
void		 pipe_free(struct pipe *);
/*
 * Appends a modifier; regex (POSIX extended) may be NULL only for
 * PIPE_COUNT and PIPE_JSON.  Returns 0, or ERR_INVAL with "Invalid
 * regular expression ..." in e, or with why json is refused (it comes
 * alone: a filter would cut the document).
 */
int		 pipe_add(struct pipe *, enum pipe_kind, const char *,
		    struct err *);
/*
 * Adds the modifiers written after the "|" at offset at of line.
 * Returns 0; or -1 with m->status other than CMDM_OK (a word is wrong:
 * m->errpos counts from the start of line), or -1 with m->status
 * CMDM_OK and e set (a regular expression, too many modifiers).
 */
int		 pipe_parse(struct pipe *, const struct cmd_tree *,
		    const char *, long, struct cmd_match *, struct err *);
/* Was "| json" given? */
int		 pipe_json(const struct pipe *);
/* Command output, filtered by the modifiers. */
void		 pipe_vprintf(struct pipe *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
/* Text that bypasses the modifiers (errors), still paged. */
void		 pipe_raw(struct pipe *, const char *);
/* Before a prompt: the partial line goes out, the page starts anew. */
void		 pipe_flush(struct pipe *);
/* The command ended: its last partial line, and count's figure. */
void		 pipe_end(struct pipe *);

#endif
