/*
 * cmdtree: builds one token tree per mode from the syntax strings of the
 * command tables, and matches typed lines against it.
 *
 * Optional and alternative tokens are expanded into every concrete token
 * sequence when the tree is built, so matching is a plain walk; the "no"
 * forms of configuration statements are generated here too, so a table
 * row never spells them out.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdtree.h"
#include "pipe.h"

enum cmd_ptype {
	PT_KEYWORD = 0,
	PT_RANGE,
	PT_IPV4,
	PT_HOSTNAME,
	PT_DOMAIN,
	PT_LABEL,
	PT_NAME,
	PT_URL,
	PT_FILE,
	PT_WORD,
	PT_HEX,		/* rest of line */
	PT_DN,		/* rest of line */
	PT_LINE,	/* rest of line */
};

struct cmd_node {
	char			*word;	/* keyword, or parameter spec */
	enum cmd_ptype		 type;
	long			 lo, hi;
	char			*help;
	/*
	 * A later definition's different help for this word, which '?'
	 * never shows (the first one wins): cmdtree_help_conflict().
	 */
	char			*clash;
	const struct cmd_def	*def;	/* command that may end here */
	int			 neg;	/* ... as its "no" form */
	int			 rank;
	struct cmd_node		**kids;
	size_t			 nkids, cap;
};

struct cmd_tree {
	struct cmd_node		*root[MODE__MAX];
	struct cmd_node		*pipe;	/* output modifiers (pipe_defs) */
};

/* Parameter types: spec token, type, priority among parameters. */
static const struct {
	const char	*spec;
	enum cmd_ptype	 type;
} cmd_ptypes[] = {
	{ "A.B.C.D",	PT_IPV4 },
	{ "HOSTNAME",	PT_HOSTNAME },
	{ "DOMAIN",	PT_DOMAIN },
	{ "LABEL",	PT_LABEL },
	{ "NAME",	PT_NAME },
	{ "URL",	PT_URL },
	{ "FILE",	PT_FILE },
	{ "WORD",	PT_WORD },
	{ "HEX",	PT_HEX },
	{ "DN",		PT_DN },
	{ "LINE",	PT_LINE },
};

static int
cmd_rest_type(enum cmd_ptype t)
{
	return t == PT_LINE || t == PT_HEX || t == PT_DN;
}

const char *
cmd_arg(const struct cmd_args *a, const char *spec)
{
	int	 i;

	for (i = 0; i < a->argc; i++)
		if (strcmp(a->spec[i], spec) == 0)
			return a->argv[i];
	return NULL;
}

int
cmd_has(const struct cmd_args *a, const char *kw)
{
	return cmd_arg(a, kw) != NULL;
}

/* RFC 1123 label: letters, digits, hyphen; not at either end; 1-63. */
static int
cmd_valid_label(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
cmdtree_valid_hostname(const char *s)
{
	return cmd_valid_label(s, strlen(s));
}

int
cmdtree_valid_domain(const char *s)
{
	const char	*dot;
	size_t		 n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	while ((dot = strchr(s, '.')) != NULL) {
		if (!cmd_valid_label(s, (size_t)(dot - s)))
			return 0;
		s = dot + 1;
	}
	return cmd_valid_label(s, strlen(s));
}

static int
cmd_valid_chars(const char *s, size_t max)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static int
cmd_valid_url(const char *s)
{
	static const char	*schemes[] = { "http://", "https://",
				    "tftp://", "ldap://", "ldaps://",
				    "file://" };
	size_t			 i, n = strlen(s);

	if (n == 0 || n > 1024)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
			return n > strlen(schemes[i]) ||
			    strcmp(schemes[i], "ldap://") == 0;
	/* The reference's "tftp-address;vrf-name/ca-name" form. */
	return strchr(s, ';') != NULL;
}

static int
cmd_valid_hex(const char *s)
{
	int	 digits = 0;

	for (; *s != '\0'; s++) {
		if (isxdigit((unsigned char)*s))
			digits++;
		else if (*s != ' ' && *s != ':')
			return 0;
	}
	return digits == 32 || digits == 40 || digits == 64;
}

static int
cmd_param_ok(const struct cmd_node *n, const char *w)
{
	char		*end;
	long		 v;
	struct in_addr	 in;

	switch (n->type) {
	case PT_RANGE:
		if (!isdigit((unsigned char)w[0]))
			return 0;
		errno = 0;
		v = strtol(w, &end, 10);
		return errno == 0 && *end == '\0' && v >= n->lo && v <= n->hi;
	case PT_IPV4:
		return inet_pton(AF_INET, w, &in) == 1;
	case PT_HOSTNAME:
		return cmdtree_valid_hostname(w);
	case PT_DOMAIN:
		return cmdtree_valid_domain(w);
	case PT_LABEL:
	case PT_NAME:
		return cmd_valid_chars(w, 64);
	case PT_URL:
		return cmd_valid_url(w);
	case PT_FILE:
	case PT_WORD:
		return *w != '\0' && strlen(w) <= 1024;
	case PT_HEX:
		return cmd_valid_hex(w);
	case PT_DN:
	case PT_LINE:
		return *w != '\0' && strlen(w) <= 1024;
	default:
		return 0;
	}
}

static void
cmd_node_free(struct cmd_node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		cmd_node_free(n->kids[i]);
	free(n->kids);
	free(n->word);
	free(n->help);
	free(n->clash);
	free(n);
}

void
cmdtree_free(struct cmd_tree *t)
{
	int	 m;

	if (t == NULL)
		return;
	for (m = 0; m < MODE__MAX; m++)
		cmd_node_free(t->root[m]);
	cmd_node_free(t->pipe);
	free(t);
}

static int
cmd_spec_type(const char *spec, enum cmd_ptype *type, long *lo, long *hi)
{
	size_t	 i;
	char	*end;

	*lo = *hi = 0;
	if (spec[0] == '<') {
		*type = PT_RANGE;
		*lo = strtol(spec + 1, &end, 10);
		if (*end != '-')
			return -1;
		*hi = strtol(end + 1, &end, 10);
		return strcmp(end, ">") == 0 && *lo <= *hi ? 0 : -1;
	}
	if (!isupper((unsigned char)spec[0])) {
		*type = PT_KEYWORD;
		return 0;
	}
	for (i = 0; i < sizeof(cmd_ptypes) / sizeof(cmd_ptypes[0]); i++)
		if (strcmp(spec, cmd_ptypes[i].spec) == 0) {
			*type = cmd_ptypes[i].type;
			return 0;
		}
	return -1;
}

static struct cmd_node *
cmd_node_new(const char *word, const char *help, size_t helplen)
{
	struct cmd_node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->word = strdup(word)) == NULL ||
	    (n->help = strndup(help, helplen)) == NULL ||
	    cmd_spec_type(word, &n->type, &n->lo, &n->hi) != 0) {
		cmd_node_free(n);
		return NULL;
	}
	return n;
}

static struct cmd_node *
cmd_node_kid(struct cmd_node *p, const char *word, const char *help,
    size_t helplen)
{
	struct cmd_node	**nv, *n;
	size_t		  i, ncap;

	for (i = 0; i < p->nkids; i++) {
		if (strcmp(p->kids[i]->word, word) != 0)
			continue;
		n = p->kids[i];
		if (n->clash == NULL && (strncmp(n->help, help, helplen) != 0 ||
		    n->help[helplen] != '\0') &&
		    (n->clash = strndup(help, helplen)) == NULL)
			return NULL;
		return n;
	}
	if (p->nkids == p->cap) {
		ncap = p->cap ? p->cap * 2 : 4;
		if ((nv = reallocarray(p->kids, ncap, sizeof(*nv))) == NULL)
			return NULL;
		p->kids = nv;
		p->cap = ncap;
	}
	if ((n = cmd_node_new(word, help, helplen)) == NULL)
		return NULL;
	p->kids[p->nkids++] = n;
	return n;
}

/* One syntax element: a token, or a group of alternatives. */
#define CMD_MAXELEM	24
#define CMD_MAXALT	8
struct cmd_elem {
	int		 optional;
	int		 nalt;
	char		 alt[CMD_MAXALT][64];
	const char	*help[CMD_MAXALT];
	size_t		 helplen[CMD_MAXALT];
};

struct cmd_syntax {
	struct cmd_elem	 e[CMD_MAXELEM];
	int		 n;
};

static int
cmd_help_next(const char **hp, const char **line, size_t *len)
{
	const char	*nl;

	if (*hp == NULL || **hp == '\0')
		return -1;
	*line = *hp;
	if ((nl = strchr(*hp, '\n')) != NULL) {
		*len = (size_t)(nl - *hp);
		*hp = nl + 1;
	} else {
		*len = strlen(*hp);
		*hp += *len;
	}
	return 0;
}

static int
cmd_syntax_parse(struct cmd_syntax *sx, const struct cmd_def *d)
{
	const char	*p = d->syntax, *hp = d->help;
	char		 tok[256], *a, *bar;
	size_t		 n;
	struct cmd_elem	*el;

	/* Each element is cleared when taken: all 24 cost 15 KB a command. */
	sx->n = 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " ");
		if (n >= sizeof(tok) || sx->n == CMD_MAXELEM)
			return -1;
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		el = &sx->e[sx->n++];
		el->optional = 0;
		el->nalt = 0;
		a = tok;
		if (tok[0] == '[' || tok[0] == '{') {
			if (tok[n - 1] != (tok[0] == '[' ? ']' : '}'))
				return -1;
			el->optional = tok[0] == '[';
			tok[n - 1] = '\0';
			a = tok + 1;
		}
		for (;;) {
			if (el->nalt == CMD_MAXALT)
				return -1;
			if ((bar = strchr(a, '|')) != NULL)
				*bar = '\0';
			if (*a == '\0' || strlen(a) >= sizeof(el->alt[0]))
				return -1;
			strcpy(el->alt[el->nalt], a);
			if (cmd_help_next(&hp, &el->help[el->nalt],
			    &el->helplen[el->nalt]) != 0)
				return -1;
			el->nalt++;
			if (bar == NULL)
				break;
			a = bar + 1;
		}
	}
	return (hp == NULL || *hp == '\0') && sx->n > 0 ? 0 : -1;
}

/* A concrete sequence: element index and alternative, -1 when skipped. */
struct cmd_seq {
	int	 alt[CMD_MAXELEM];
};

static int
cmd_insert_seq(struct cmd_node *root, const struct cmd_syntax *sx,
    const struct cmd_seq *sq, int upto, const struct cmd_def *d, int rank,
    int neg)
{
	struct cmd_node	*n = root;
	int		 i, used = 0;

	for (i = 0; i < sx->n && used < upto; i++) {
		const struct cmd_elem	*el = &sx->e[i];
		int			 a = sq->alt[i];

		if (a < 0)
			continue;
		n = cmd_node_kid(n, el->alt[a], el->help[a], el->helplen[a]);
		if (n == NULL)
			return -1;
		used++;
	}
	if (n->def != NULL && n->def != d)
		return n->neg == neg ? -2 : 0;
	n->def = d;
	n->neg = neg;
	n->rank = rank;
	return 0;
}

/*
 * Every concrete sequence of a syntax: an odometer over the elements, where
 * an optional element has one more state than alternatives (skipped).
 */
static int
cmd_insert_all(struct cmd_node *root, enum cmd_mode mode,
    const struct cmd_syntax *sx, const struct cmd_def *d, int rank)
{
	struct cmd_seq	 sq;
	struct cmd_node	*no;
	int		 st[CMD_MAXELEM];
	int		 i, rc;

	memset(st, 0, sizeof(st));
	for (;;) {
		for (i = 0; i < sx->n; i++)
			sq.alt[i] = st[i] < sx->e[i].nalt ? st[i] : -1;
		if ((rc = cmd_insert_seq(root, sx, &sq, INT_MAX, d,
		    rank, 0)) != 0)
			return rc;
		if (d->keylen > 0 && !(d->flags & CMD_NONO) &&
		    mode != MODE_EXEC) {
			no = cmd_node_kid(root, "no",
			    "Negate a command or set its defaults", 36);
			if (no == NULL)
				return -1;
			if (cmd_insert_seq(no, sx, &sq, d->keylen, d, rank,
			    1) == -1 || cmd_insert_seq(no, sx, &sq, INT_MAX, d,
			    rank, 1) == -1)
				return -1;
		}
		for (i = sx->n - 1; i >= 0; i--) {
			if (++st[i] < sx->e[i].nalt + sx->e[i].optional)
				break;
			st[i] = 0;
		}
		if (i < 0)
			break;
	}
	return 0;
}

/* Adds d to the tree of its mode(s), or to root when root is not NULL. */
static int
cmd_add_def(struct cmd_tree *t, struct cmd_node *root,
    const struct cmd_def *d, int rank, char *errbuf, size_t errlen)
{
	struct cmd_syntax	 sx;
	int			 m, rc = 0;

	if (cmd_syntax_parse(&sx, d) != 0) {
		snprintf(errbuf, errlen, "bad syntax or help count: \"%s\"",
		    d->syntax);
		return -1;
	}
	if (root != NULL)
		rc = cmd_insert_all(root, MODE_EXEC, &sx, d, rank);
	else if (d->flags & CMD_ANYMODE) {
		for (m = MODE_CONFIG; m < MODE__MAX && rc == 0; m++)
			rc = cmd_insert_all(t->root[m], (enum cmd_mode)m, &sx,
			    d, rank);
	} else
		rc = cmd_insert_all(t->root[d->mode], d->mode, &sx, d, rank);
	if (rc != 0)
		snprintf(errbuf, errlen, "%s: \"%s\"", rc == -2 ?
		    "duplicate command" : "out of memory", d->syntax);
	return rc;
}

int
cmdtree_new(struct cmd_tree **out, const struct cmd_def *const *tables,
    char *errbuf, size_t errlen)
{
	struct cmd_tree	*t;
	int		 m, rank = 0;
	size_t		 i, j;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	for (m = 0; m < MODE__MAX; m++)
		if ((t->root[m] = cmd_node_new("", "", 0)) == NULL)
			goto fail;
	if ((t->pipe = cmd_node_new("", "", 0)) == NULL)
		goto fail;
	for (i = 0; tables[i] != NULL; i++)
		for (j = 0; tables[i][j].syntax != NULL; j++)
			if (cmd_add_def(t, NULL, &tables[i][j], rank++, errbuf,
			    errlen) != 0)
				goto fail;
	for (j = 0; pipe_defs[j].syntax != NULL; j++)
		if (cmd_add_def(t, t->pipe, &pipe_defs[j], (int)j, errbuf,
		    errlen) != 0)
			goto fail;
	*out = t;
	return 0;
 fail:
	cmdtree_free(t);
	return -1;
}

/*
 * Depth first, the first node with a clash below n; path holds the words
 * leading to it.
 */
static const struct cmd_node *
cmd_clash_find(const struct cmd_node *n, char *path, size_t len)
{
	const struct cmd_node	*c;
	size_t			 i, at = strlen(path);

	for (i = 0; i < n->nkids; i++) {
		snprintf(path + at, len - at, "%s%s", at > 0 ? " " : "",
		    n->kids[i]->word);
		if (n->kids[i]->clash != NULL)
			return n->kids[i];
		if ((c = cmd_clash_find(n->kids[i], path, len)) != NULL)
			return c;
	}
	path[at] = '\0';
	return NULL;
}

int
cmdtree_help_conflict(const struct cmd_def *const *tables, char *buf,
    size_t len)
{
	struct cmd_tree		*t;
	const struct cmd_node	*c = NULL;
	char			 path[CMD_LINEMAX];
	int			 m;

	if (cmdtree_new(&t, tables, buf, len) != 0)
		return -1;
	for (m = 0; m < MODE__MAX && c == NULL; m++) {
		path[0] = '\0';
		c = cmd_clash_find(t->root[m], path, sizeof(path));
	}
	if (c != NULL)
		snprintf(buf, len, "\"%s\": \"%s\" and \"%s\"", path,
		    c->help, c->clash);
	cmdtree_free(t);
	return c != NULL;
}

/* Words of a line with their offsets; '!' starts a comment. */
struct cmd_words {
	int	 n;
	size_t	 off[CMD_MAXARGS + 1];
	size_t	 len[CMD_MAXARGS + 1];
	int	 toomany;
};

static void
cmd_split(const char *line, struct cmd_words *w)
{
	size_t	 i = 0;

	memset(w, 0, sizeof(*w));
	for (;;) {
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i] == '\0')
			break;
		if (w->n == CMD_MAXARGS) {
			w->toomany = 1;
			break;
		}
		w->off[w->n] = i;
		while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t')
			i++;
		w->len[w->n] = i - w->off[w->n];
		w->n++;
	}
}

/*
 * The child that word matches: an exact keyword, else a unique keyword
 * prefix, else the first parameter (by type priority) that accepts it.
 * For rest-of-line parameters, rest is the whole remaining text.
 */
static struct cmd_node *
cmd_step(const struct cmd_node *n, const char *word, const char *rest,
    int *ambiguous)
{
	struct cmd_node	*kw = NULL, *par = NULL;
	size_t		 i, wl = strlen(word);
	int		 nkw = 0;

	*ambiguous = 0;
	for (i = 0; i < n->nkids; i++) {
		struct cmd_node	*k = n->kids[i];

		if (k->type == PT_KEYWORD) {
			if (strcmp(k->word, word) == 0)
				return k;
			if (strncmp(k->word, word, wl) == 0) {
				kw = k;
				nkw++;
			}
		} else if (cmd_param_ok(k, cmd_rest_type(k->type) ? rest :
		    word) && (par == NULL || k->type < par->type))
			par = k;
	}
	if (nkw == 1)
		return kw;
	if (nkw > 1) {
		*ambiguous = 1;
		return NULL;
	}
	return par;
}

static void
cmd_rtrim(char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
}

static void
cmd_match_root(const struct cmd_node *n, const char *line,
    struct cmd_match *m)
{
	struct cmd_node		*k;
	struct cmd_words	 w;
	char			 word[CMD_LINEMAX], *rest;
	int			 i, amb;

	memset(m, 0, offsetof(struct cmd_match, buf));
	if (strlen(line) >= sizeof(m->buf)) {
		m->status = CMDM_INVALID;
		m->errpos = sizeof(m->buf) - 1;
		return;
	}
	strcpy(m->buf, line);
	cmd_rtrim(m->buf);
	cmd_split(m->buf, &w);
	if (w.n == 0 || m->buf[w.off[0]] == '!') {
		m->status = CMDM_EMPTY;
		return;
	}
	if (w.toomany) {
		m->status = CMDM_INVALID;
		m->errpos = w.off[CMD_MAXARGS - 1];
		return;
	}
	for (i = 0; i < w.n; i++) {
		rest = m->buf + w.off[i];
		/* Words fit: the whole line fits in buf. */
		memcpy(word, rest, w.len[i]);
		word[w.len[i]] = '\0';
		k = cmd_step(n, word, rest, &amb);
		if (k == NULL) {
			m->status = amb ? CMDM_AMBIGUOUS : CMDM_INVALID;
			m->errpos = w.off[i];
			snprintf(m->word, sizeof(m->word), "%.*s",
			    (int)(sizeof(m->word) - 1), word);
			return;
		}
		m->args.spec[m->args.argc] = k->word;
		if (cmd_rest_type(k->type)) {
			m->args.argv[m->args.argc++] = rest;
			n = k;
			break;
		}
		m->args.argv[m->args.argc++] = k->type == PT_KEYWORD ?
		    k->word : rest;
		if (k->type != PT_KEYWORD && i + 1 < w.n)
			rest[w.len[i]] = '\0';
		n = k;
	}
	if (n->def == NULL) {
		m->status = CMDM_INCOMPLETE;
		m->errpos = strlen(m->buf);
		return;
	}
	m->args.negated = n->neg;
	m->def = n->def;
	m->rank = n->rank;
	m->status = CMDM_OK;
}

void
cmdtree_match(const struct cmd_tree *t, enum cmd_mode mode, const char *line,
    struct cmd_match *m)
{
	cmd_match_root(t->root[mode], line, m);
}

void
cmdtree_pipe_match(const struct cmd_tree *t, const char *seg,
    struct cmd_match *m)
{
	cmd_match_root(t->pipe, seg, m);
}

int
cmdtree_pipeable(const struct cmd_def *d)
{
	return d != NULL && strncmp(d->syntax, "show ", 5) == 0;
}

/*
 * A "|" that stands as a word ends the command's words; inside a word
 * ("a|b", a regular expression's alternation) it is text.
 */
long
cmdtree_pipe_at(const char *line, size_t from)
{
	size_t	 i = from, n;

	for (;;) {
		i += strspn(line + i, " \t");
		if (line[i] == '\0')
			return -1;
		n = strcspn(line + i, " \t");
		if (n == 1 && line[i] == '|')
			return (long)i;
		i += n;
	}
}

static int
cmd_help_cmp(const void *a, const void *b)
{
	const struct cmd_node	*x = *(struct cmd_node *const *)a;
	const struct cmd_node	*y = *(struct cmd_node *const *)b;

	if ((x->type == PT_KEYWORD) != (y->type == PT_KEYWORD))
		return x->type == PT_KEYWORD ? -1 : 1;
	return strcmp(x->word, y->word);
}

static int
cmd_hidden(const struct cmd_node *n)
{
	size_t	 i;

	if (n->def != NULL && (n->def->flags & CMD_HIDDEN))
		return n->nkids == 0;
	for (i = 0; i < n->nkids; i++)
		if (!cmd_hidden(n->kids[i]))
			return 0;
	return n->nkids > 0 || (n->def != NULL &&
	    (n->def->flags & CMD_HIDDEN));
}

/*
 * Walk all complete words; returns the node reached or NULL, with the
 * offset of the failing word in *bad.
 */
static const struct cmd_node *
cmd_walk(const struct cmd_node *n, char *buf, const struct cmd_words *w,
    int nwords, size_t *bad, int *amb)
{
	char			 word[CMD_LINEMAX];
	int			 i;

	*amb = 0;
	for (i = 0; i < nwords; i++) {
		const struct cmd_node	*k;

		memcpy(word, buf + w->off[i], w->len[i]);
		word[w->len[i]] = '\0';
		k = cmd_step(n, word, buf + w->off[i], amb);
		if (k == NULL) {
			*bad = w->off[i];
			return NULL;
		}
		if (cmd_rest_type(k->type))
			return k;
		n = k;
	}
	return n;
}

/*
 * Where '?' and TAB look: the mode's tree, or after a "|" the modifiers'
 * tree for the text after the last "|" (*off: where it begins).  NULL
 * when what comes before that "|" is not a show command and modifiers:
 * *bad is where it fails, *incomplete when it ends too soon.
 */
static const struct cmd_node *
cmd_help_root(const struct cmd_tree *t, enum cmd_mode mode, const char *line,
    size_t *off, size_t *bad, int *incomplete)
{
	const struct cmd_node	*root = t->root[mode];
	struct cmd_match	*m;
	char			*seg = NULL;
	long			 p = cmdtree_pipe_at(line, 0), q = 0, from = 0;

	*off = *bad = 0;
	*incomplete = 0;
	if (p < 0)
		return root;
	if ((m = malloc(sizeof(*m))) == NULL)
		return NULL;
	for (; p >= 0; from = p + 1, p = cmdtree_pipe_at(line, (size_t)p + 1)) {
		free(seg);
		if ((seg = strndup(line + from, (size_t)(p - from))) == NULL) {
			root = NULL;
			break;
		}
		cmd_match_root(root, seg, m);
		if (m->status != CMDM_OK || (root != t->pipe &&
		    !cmdtree_pipeable(m->def))) {
			*incomplete = m->status == CMDM_INCOMPLETE;
			*bad = (size_t)from + (m->status == CMDM_OK ?
			    (size_t)(p - from) : m->errpos);
			root = NULL;
			break;
		}
		root = t->pipe;
		q = p + 1;
	}
	free(seg);
	free(m);
	*off = (size_t)q;
	return root;
}

static int
cmd_help_at(const struct cmd_tree *t, const struct cmd_node *root,
    const char *line, FILE *f, size_t promptlen)
{
	struct cmd_words	 w;
	const struct cmd_node	*n;
	struct cmd_node		*list[256];
	char			 buf[CMD_LINEMAX];
	const char		*partial = NULL;
	size_t			 i, nl = 0, width = 4, bad = 0, plen = 0;
	int			 full, amb;

	if (strlen(line) >= sizeof(buf))
		return -1;
	strcpy(buf, line);
	cmd_split(buf, &w);
	full = w.n;
	if (w.n > 0 && buf[strlen(buf) - 1] != ' ' &&
	    buf[strlen(buf) - 1] != '\t') {
		full = w.n - 1;
		partial = buf + w.off[w.n - 1];
		plen = w.len[w.n - 1];
	}
	if ((n = cmd_walk(root, buf, &w, full, &bad, &amb)) == NULL) {
		if (amb)
			fprintf(f, "%% Ambiguous command: \"%.*s\"\n",
			    (int)strcspn(buf + bad, " \t"), buf + bad);
		else
			fprintf(f, "%*s^\n%% Invalid input detected at '^' "
			    "marker.\n", (int)(promptlen + bad), "");
		return -1;
	}
	for (i = 0; i < n->nkids && nl < 256; i++) {
		struct cmd_node	*k = n->kids[i];

		if (cmd_hidden(k))
			continue;
		if (partial != NULL && (k->type != PT_KEYWORD ||
		    strncmp(k->word, partial, plen) != 0))
			continue;
		list[nl++] = k;
	}
	if (partial != NULL && nl == 0) {
		fprintf(f, "%*s^\n%% Invalid input detected at '^' marker.\n",
		    (int)(promptlen + (size_t)(partial - buf)), "");
		return -1;
	}
	qsort(list, nl, sizeof(list[0]), cmd_help_cmp);
	for (i = 0; i < nl; i++)
		if (strlen(list[i]->word) > width)
			width = strlen(list[i]->word);
	for (i = 0; i < nl; i++)
		fprintf(f, "  %-*s  %s\n", (int)width, list[i]->word,
		    list[i]->help);
	if (partial == NULL && (root == t->pipe ? n->def != NULL :
	    cmdtree_pipeable(n->def)))
		fprintf(f, "  %-*s  Output Modifiers\n", (int)width, "|");
	if (partial == NULL && n->def != NULL)
		fprintf(f, "  <cr>\n");
	return 0;
}

int
cmdtree_help(const struct cmd_tree *t, enum cmd_mode mode, const char *line,
    FILE *f, size_t promptlen)
{
	const struct cmd_node	*root;
	size_t			 off, bad;
	int			 incomplete;

	root = cmd_help_root(t, mode, line, &off, &bad, &incomplete);
	if (root == NULL) {
		if (incomplete)
			fprintf(f, "%% Incomplete command.\n");
		else
			fprintf(f, "%*s^\n%% Invalid input detected at '^' "
			    "marker.\n", (int)(promptlen + bad), "");
		return -1;
	}
	return cmd_help_at(t, root, line + off, f, promptlen + off);
}

char *
cmdtree_complete(const struct cmd_tree *t, enum cmd_mode mode,
    const char *line, char **choices)
{
	struct cmd_words	 w;
	const struct cmd_node	*n, *k, *first = NULL;
	char			 buf[CMD_LINEMAX];
	const struct cmd_node	*root;
	const char		*partial = "";
	size_t			 i, plen = 0, common = 0, bad, clen = 0, off;
	int			 full, amb, count = 0;
	char			*out, *c = NULL;

	*choices = NULL;
	if ((root = cmd_help_root(t, mode, line, &off, &bad, &amb)) == NULL)
		return strdup("");
	line += off;
	if (strlen(line) >= sizeof(buf))
		return strdup("");
	strcpy(buf, line);
	cmd_split(buf, &w);
	full = w.n;
	if (w.n > 0 && buf[strlen(buf) - 1] != ' ') {
		full = w.n - 1;
		partial = buf + w.off[w.n - 1];
		plen = w.len[w.n - 1];
	}
	if ((n = cmd_walk(root, buf, &w, full, &bad, &amb)) == NULL)
		return strdup("");
	for (i = 0; i < n->nkids; i++) {
		k = n->kids[i];
		if (k->type != PT_KEYWORD || cmd_hidden(k) ||
		    strncmp(k->word, partial, plen) != 0)
			continue;
		if (first == NULL) {
			first = k;
			common = strlen(k->word);
		} else {
			size_t	 j = 0;

			while (j < common && k->word[j] == first->word[j])
				j++;
			common = j;
		}
		count++;
		clen += strlen(k->word) + 2;
	}
	if (first == NULL)
		return strdup("");
	if (count == 1) {
		if (asprintf(&out, "%s ", first->word + plen) == -1)
			return NULL;
		return out;
	}
	if ((c = calloc(1, clen + 1)) != NULL)
		for (i = 0; i < n->nkids; i++) {
			k = n->kids[i];
			if (k->type != PT_KEYWORD || cmd_hidden(k) ||
			    strncmp(k->word, partial, plen) != 0)
				continue;
			strcat(c, k->word);
			strcat(c, "  ");
		}
	*choices = c;
	return strndup(first->word + plen, common - plen);
}
