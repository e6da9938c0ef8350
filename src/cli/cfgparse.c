/*
 * cfgparse: configuration text to statements through the grammar (see
 * cfgparse.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "cmd.h"
#include "cmdtree.h"
#include "config.h"
#include "err.h"
#include "text.h"

/* Words from .. from + count - 1 of a, joined by spaces; caller frees. */
static char *
cfgparse_join(const struct cmd_args *a, int from, int count)
{
	size_t	 len = 1, n, off = 0;
	int	 i;
	char	*s;

	for (i = from; i < a->argc && i < from + count; i++)
		len += strlen(a->argv[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (i = from; i < a->argc && i < from + count; i++) {
		if (i > from)
			s[off++] = ' ';
		n = strlen(a->argv[i]);
		memcpy(s + off, a->argv[i], n);
		off += n;
	}
	s[off] = '\0';
	return s;
}

char *
cfgparse_key(const struct cmd_def *d, const struct cmd_args *a)
{
	return d->key != NULL ? strdup(d->key) : cfgparse_join(a,
	    a->negated ? 1 : 0, d->keylen);
}

int
cfgparse_set(struct config *c, const struct cfgparse_stmt *s,
    char **blockkey, struct err *e)
{
	const struct cmd_def	*d = s->def;
	char			*line = NULL, *key = NULL;
	int			 rc;

	if (blockkey != NULL)
		*blockkey = NULL;
	if ((line = cfgparse_join(s->args, s->args->negated ? 1 : 0,
	    CMD_MAXARGS)) == NULL || (key = cfgparse_key(d, s->args)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (s->args->negated) {
		config_unset(c, s->block, key);
		rc = 0;
	} else if (d->flags & CMD_SUBMODE) {
		if ((rc = config_set_block(c, key, line, s->rank, e)) == 0 &&
		    blockkey != NULL) {
			*blockkey = key;
			key = NULL;
		}
	} else
		rc = config_set(c, s->block, key, line, s->rank, e);
 out:
	free(line);
	free(key);
	return rc;
}

/* A line the grammar matched that is no configuration statement. */
static int
cfgparse_not_statement(const struct cmd_match *m)
{
	return m->status != CMDM_OK || m->def->mode == MODE_EXEC ||
	    (m->def->fn != NULL && m->def->keylen == 0);
}

static void
cfgparse_bad(const char *origin, int lineno, const char *why,
    const char *line)
{
	char	 esc[512];

	fprintf(stderr, "netpki: %s line %d: %s: %s\n", origin, lineno, why,
	    text_esc(esc, sizeof(esc), line));
}

/*
 * One statement line, in the block *block when indented.  1 when it was
 * skipped, 0 when taken (*block then follows a statement that opens one).
 */
static int
cfgparse_line(const struct cmd_tree *tree, struct config *c, char *line,
    char **block, enum cmd_mode *submode, struct cmd_match *m,
    int (*fn)(void *, struct config *, const struct cfgparse_stmt *),
    void *arg)
{
	struct cfgparse_stmt	 s;
	struct err		 e;
	enum cmd_mode		 mode = MODE_CONFIG;
	int			 rc;

	if (line[0] == ' ' && *block != NULL)
		mode = *submode;
	else {
		free(*block);
		*block = NULL;
	}
	cmdtree_match(tree, mode, line, m);
	if (cfgparse_not_statement(m))
		return -1;
	s.def = m->def;
	s.args = &m->args;
	s.rank = m->rank;
	s.block = m->def->mode == MODE_CONFIG ? NULL : *block;
	rc = fn != NULL ? fn(arg, c, &s) : cfgparse_set(c, &s, NULL, &e);
	if (m->def->flags & CMD_SUBMODE)
		*submode = m->def->submode;
	if (rc != 0)
		return 1;
	if (m->def->flags & CMD_SUBMODE && !m->args.negated) {
		free(*block);
		*block = cfgparse_key(m->def, &m->args);
	}
	return 0;
}

int
cfgparse_text(const struct cmd_tree *tree, struct config *c,
    const char *text, const char *origin,
    int (*fn)(void *, struct config *, const struct cfgparse_stmt *),
    void *arg)
{
	struct cmd_match	*m;
	enum cmd_mode		 submode = MODE_CONFIG;
	char			*copy, *line, *next, *block = NULL;
	int			 lineno = 0, bad = 0, rc;

	if ((m = malloc(sizeof(*m))) == NULL || (copy = strdup(text)) == NULL) {
		free(m);
		return -1;
	}
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (line[0] == '!' || line[strspn(line, " \t\r")] == '\0' ||
		    strcmp(line, "end") == 0)
			continue;
		if ((rc = cfgparse_line(tree, c, line, &block, &submode, m, fn,
		    arg)) == 0)
			continue;
		cfgparse_bad(origin, lineno, rc < 0 ? "not a configuration "
		    "statement, ignored" : "rejected", line);
		bad++;
	}
	free(block);
	free(copy);
	free(m);
	return bad;
}
