/*
 * config: the configuration model.  A configuration is an ordered tree of
 * statements in canonical CLI text: top-level statements, some of which
 * open a block ("crypto ca trustpoint myca") holding indented statements.
 * Each statement has a key (the words that identify the setting, so that
 * setting "hostname b" replaces "hostname a") and a rank (its grammar
 * position) that orders `show running-config`, so the printed text loads
 * back to the same configuration.
 *
 * The running configuration lives in the state directory as text, with a
 * generation number; each shell session edits a private candidate and
 * commits it as a change set (see config_commit).  The grammar that turns
 * text into statements is the front end's (src/cli/cmdtree.c); library
 * modules only read statements by block and key.
 */
#ifndef NETPKI_CONFIG_H
#define NETPKI_CONFIG_H

#include <stddef.h>

struct err;
struct config;

struct config	*config_new(void);
void		 config_free(struct config *);
struct config	*config_dup(const struct config *);

/* Generation: incremented by every commit; read from the saved file. */
unsigned long	 config_generation(const struct config *);
void		 config_set_generation(struct config *, unsigned long);

/*
 * Set a statement.  block: NULL for top level, else the key of a top-level
 * block statement.  Replaces a statement with the same key.  A top-level
 * statement becomes a block when something is set inside it.
 */
int		 config_set(struct config *, const char *, const char *,
		    const char *, int, struct err *);
/* Set a top-level statement that opens a block (printed with "!"). */
int		 config_set_block(struct config *, const char *, const char *,
		    int, struct err *);
/* Remove a statement (and, for a block, everything in it). 0 or ERR_NOTFOUND. */
int		 config_unset(struct config *, const char *, const char *);

/* The full line of a statement, or NULL. */
const char	*config_get(const struct config *, const char *, const char *);
/*
 * The words after the key ("" when none), or NULL when the statement is
 * absent: config_value(c, "crypto ca trustpoint x", "enrollment url").
 */
const char	*config_value(const struct config *, const char *,
		    const char *);
int		 config_has(const struct config *, const char *, const char *);
/*
 * Keys of top-level statements starting with prefix, in running-config
 * order; *out is an array of borrowed pointers the caller frees.
 */
int		 config_list(const struct config *, const char *,
		    const char ***, size_t *);

/*
 * Canonical text (what show running-config prints after its header):
 * blocks' statements indented by one space and followed by "!".
 * filter: only top-level statements starting with it (NULL: all).
 * Caller frees.
 */
char		*config_text(const struct config *, const char *);
/* The longest text config_text and config_diff_text make (else NULL). */
#define CONFIG_TEXTMAX	(64u * 1024 * 1024)	/* what the store reads */
/*
 * The statements config_text prints, in its order, to fn(arg, depth,
 * block, line): a top-level statement at depth 0 (block: it opens a
 * block), then the statements of its block at depth 1.  0 or ERR_NOMEM.
 */
int		 config_walk(const struct config *, const char *,
		    void (*)(void *, int, int, const char *), void *);
/* The change set from base to cand as CLI text ("no ..." for removals). */
char		*config_diff_text(const struct config *, const struct config *);
int		 config_equal(const struct config *, const struct config *);

/*
 * Three-way commit: apply the change set base -> cand onto cur (the
 * running configuration as it is now on disk).  When another session
 * committed since base, changes that touch different statements are
 * merged; a statement both changed is a conflict: ERR_BUSY, a message
 * naming it, and *out untouched.  On success *out is the new running
 * configuration (generation cur + 1).
 */
int		 config_merge(struct config **, const struct config *,
		    const struct config *, const struct config *,
		    struct err *);

#endif
