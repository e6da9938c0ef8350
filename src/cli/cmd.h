/*
 * cmd: the grammar.  Every command of the shell is one struct cmd_def in a
 * table (src/cli/cmd_*.c, gathered by commands.c).  The same table parses
 * typed lines, drives '?' help and TAB completion, generates the 'no' forms
 * of configuration statements, loads the saved configuration and orders
 * `show running-config`.
 *
 * Syntax strings are space-separated tokens:
 *   keyword        lowercase literal, unique prefixes accepted ("conf t")
 *   WORD           any word            LINE    the rest of the line
 *   <1-60>         integer range       A.B.C.D IPv4 address
 *   HOSTNAME DOMAIN LABEL NAME URL HEX DN FILE  typed parameters
 *                  (validated by cmdtree.c; see cmd_param_types there)
 *   [a|b|X]        optional: one of the alternatives, or nothing
 *   {a|b}          required: one of the alternatives
 * Alternatives are single tokens.  The help string has one line per token,
 * in order, one per alternative inside [] or {}.
 */
#ifndef NETPKI_CMD_H
#define NETPKI_CMD_H

#include <stddef.h>

enum cmd_mode {
	MODE_EXEC = 0,
	MODE_CONFIG,
	MODE_TRUSTP,		/* crypto ca trustpoint NAME */
	MODE_TRUSTPOOL,		/* crypto ca trustpool policy */
	MODE__MAX
};

#define CMD_MAXARGS	32

/* What a typed line matched: one entry per token of the line. */
struct cmd_args {
	int		 argc;
	const char	*argv[CMD_MAXARGS];	/* keywords in full, values */
	const char	*spec[CMD_MAXARGS];	/* the syntax token matched */
	int		 negated;		/* line began with "no" */
};

struct shell;
typedef int	(*cmd_fn)(struct shell *, const struct cmd_args *);

/* struct cmd_def flags */
#define CMD_SUBMODE	0x01	/* config: opens a block and enters submode */
#define CMD_NONO	0x02	/* config: has no "no" form */
#define CMD_HIDDEN	0x04	/* not listed by '?' */
#define CMD_ANYMODE	0x08	/* exec-style command valid in config modes too */

struct cmd_def {
	enum cmd_mode	 mode;
	const char	*syntax;
	const char	*help;
	/*
	 * Exec commands: the handler.  Configuration statements: NULL for a
	 * plain statement stored as typed (canonical words), or a handler
	 * that validates and then calls shell_config_set() itself.
	 */
	cmd_fn		 fn;
	/*
	 * Configuration statements: how many leading words identify the
	 * setting, so that "hostname a" replaces "hostname b" and "no
	 * hostname" removes it.  0 for exec commands.
	 */
	int		 keylen;
	int		 flags;
	enum cmd_mode	 submode;	/* with CMD_SUBMODE */
	/*
	 * Optional: a key shared by exclusive statements ("enrollment url"
	 * and "enrollment terminal" both set "enrollment method").
	 */
	const char	*key;
};

/*
 * Help lines of the words that begin commands in several tables.  '?'
 * shows one line per word, the first definition's, so every table spells
 * a shared word with these (test_cmdtree fails on a table that does not:
 * cmdtree_help_conflict()).  Each ends in the newline that separates it
 * from the next word's line.
 */
#define CMD_HELP_SHOW		"Show running system information\n"
#define CMD_HELP_SHOW_CONFIG	"Show contents of configuration\n"
#define CMD_HELP_CRYPTO		"Encryption module commands\n"
#define CMD_HELP_CRYPTO_CONFIG	"Encryption module configuration commands\n"
#define CMD_HELP_CA		"Certification authority\n"

const char	*cmd_arg(const struct cmd_args *, const char *);
int		 cmd_has(const struct cmd_args *, const char *);

#endif
