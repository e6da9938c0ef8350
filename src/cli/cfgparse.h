/*
 * cfgparse: configuration text to statements through the grammar (the
 * command tables): the saved configuration, a commit's restore point,
 * `show running-config` pasted back.  The shell parses with its
 * statement handlers (which validate, then store); the agent, which has
 * no session, stores each statement as the grammar keys it (the saved
 * file was validated when it was committed).
 */
#ifndef NETPKI_CFGPARSE_H
#define NETPKI_CFGPARSE_H

#include "cmd.h"

struct cmd_tree;
struct config;
struct err;

/* One statement matched by the grammar. */
struct cfgparse_stmt {
	const struct cmd_def	*def;
	const struct cmd_args	*args;
	int			 rank;	/* the def's position: print order */
	const char		*block;	/* the block it is in, NULL: top */
};

/*
 * Store a statement as its canonical line under its key (the first
 * keylen words, or the def's shared key); a "no" form removes it.  A
 * statement that opens a block sets *blockkey (when not NULL) to the
 * block's key, which the caller frees.
 */
int	 cfgparse_set(struct config *, const struct cfgparse_stmt *, char **,
	    struct err *);
/* The statement's key (caller frees), NULL when out of memory. */
char	*cfgparse_key(const struct cmd_def *, const struct cmd_args *);

/*
 * Parse text into c, statement by statement.  Indented lines belong to
 * the last block.  Each statement goes to fn(arg, c, stmt) (0: taken),
 * or to cfgparse_set when fn is NULL.  Lines that are not configuration
 * statements or are rejected are reported on stderr (the saved file is
 * not a session's output) and skipped, so one damaged line does not lose
 * the rest.  Returns the number of lines skipped, -1 when out of memory.
 */
int	 cfgparse_text(const struct cmd_tree *, struct config *, const char *,
	    const char *, int (*)(void *, struct config *,
	    const struct cfgparse_stmt *), void *);

#endif
