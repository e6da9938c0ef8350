/*
 * cmdtree: the token tree built from the command tables (cmd.h), and the
 * three things done with it: matching a typed line, '?' help and TAB
 * completion.
 */
#ifndef NETPKI_CMDTREE_H
#define NETPKI_CMDTREE_H

#include <stdio.h>

#include "cmd.h"

#define CMD_LINEMAX	4096

struct cmd_tree;

enum cmd_status {
	CMDM_OK = 0,
	CMDM_EMPTY,		/* blank line or comment */
	CMDM_INVALID,		/* no token matches at errpos */
	CMDM_INCOMPLETE,	/* line ended before a command did */
	CMDM_AMBIGUOUS,		/* a prefix matches several keywords */
};

struct cmd_match {
	enum cmd_status		 status;
	const struct cmd_def	*def;
	int			 rank;		/* def's position in the tables */
	struct cmd_args		 args;
	size_t			 errpos;	/* offset of the offending word */
	char			 word[64];	/* the ambiguous word */
	char			 buf[CMD_LINEMAX];
};

/*
 * Output modifiers: cmdtree_pipe_at() is the offset of the first "|"
 * word at or after from (-1: none); show commands take modifiers
 * (cmdtree_pipeable); each modifier between two "|" is matched against
 * pipe_defs (pipe.h) by cmdtree_pipe_match().  '?' and TAB (below)
 * know them too.
 */
long	 cmdtree_pipe_at(const char *, size_t);
int	 cmdtree_pipeable(const struct cmd_def *);
void	 cmdtree_pipe_match(const struct cmd_tree *, const char *,
	    struct cmd_match *);
int	 cmdtree_new(struct cmd_tree **, const struct cmd_def *const *,
	    char *, size_t);
void	 cmdtree_free(struct cmd_tree *);
/*
 * Two definitions that give the same word different help strings: '?'
 * shows only the first.  1 with the first such word and both strings in
 * buf, 0 when the tables agree everywhere, -1 when they do not build (the
 * reason in buf).
 */
int	 cmdtree_help_conflict(const struct cmd_def *const *, char *, size_t);
void	 cmdtree_match(const struct cmd_tree *, enum cmd_mode, const char *,
	    struct cmd_match *);
/*
 * Prints the '?' listing for a line (without the '?') to f; -1 when the
 * line is not valid so far (the '^' marker and message are printed).
 */
int	 cmdtree_help(const struct cmd_tree *, enum cmd_mode, const char *,
	    FILE *, size_t);
/*
 * TAB: the text to append to the line (caller frees, "" when nothing
 * to add) and, when several words are possible, their list in *choices
 * (caller frees) for display.
 */
char	*cmdtree_complete(const struct cmd_tree *, enum cmd_mode,
	    const char *, char **);
int	 cmdtree_valid_hostname(const char *);
int	 cmdtree_valid_domain(const char *);

#endif
