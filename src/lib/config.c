/*
 * config: the configuration tree, its canonical text, and the three-way
 * merge that lets two shells commit to one state directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "err.h"

struct cfg_stmt;

/* Statements of one level, sorted by key for lookups. */
struct cfg_list {
	struct cfg_stmt	**v;
	size_t		  n;
	size_t		  cap;
};

struct cfg_stmt {
	char		*key;	/* identifying words */
	char		*line;	/* full canonical line */
	int		 rank;	/* grammar position: print order */
	int		 block;	/* opens a submode; printed with "!" */
	struct cfg_list	 kids;	/* statements inside the block */
};

struct config {
	unsigned long	 gen;
	struct cfg_list	 top;
};

static void	cfg_list_clear(struct cfg_list *);

static void
cfg_stmt_free(struct cfg_stmt *s)
{
	if (s == NULL)
		return;
	cfg_list_clear(&s->kids);
	free(s->key);
	free(s->line);
	free(s);
}

static void
cfg_list_clear(struct cfg_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		cfg_stmt_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Index of key, or of the insertion point with *found = 0. */
static size_t
cfg_list_find(const struct cfg_list *l, const char *key, int *found)
{
	size_t	 lo = 0, hi = l->n, mid;
	int	 c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(l->v[mid]->key, key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static struct cfg_stmt *
cfg_list_get(const struct cfg_list *l, const char *key)
{
	size_t	 i;
	int	 found;

	if (key == NULL)
		return NULL;
	i = cfg_list_find(l, key, &found);
	return found ? l->v[i] : NULL;
}

static int
cfg_list_insert(struct cfg_list *l, size_t at, struct cfg_stmt *s)
{
	struct cfg_stmt	**nv;
	size_t		  ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 8;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return ERR_NOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = s;
	l->n++;
	return 0;
}

struct config *
config_new(void)
{
	return calloc(1, sizeof(struct config));
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	cfg_list_clear(&c->top);
	free(c);
}

static struct cfg_stmt *
cfg_stmt_dup(const struct cfg_stmt *s)
{
	struct cfg_stmt	*d;
	size_t		 i;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->rank = s->rank;
	d->block = s->block;
	if ((d->key = strdup(s->key)) == NULL ||
	    (d->line = strdup(s->line)) == NULL)
		goto fail;
	if (s->kids.n > 0) {
		if ((d->kids.v = calloc(s->kids.n, sizeof(*d->kids.v))) == NULL)
			goto fail;
		d->kids.cap = s->kids.n;
		for (i = 0; i < s->kids.n; i++) {
			if ((d->kids.v[i] = cfg_stmt_dup(s->kids.v[i])) == NULL)
				goto fail;
			d->kids.n++;
		}
	}
	return d;
 fail:
	cfg_stmt_free(d);
	return NULL;
}

struct config *
config_dup(const struct config *c)
{
	struct config	*d;
	size_t		 i;

	if ((d = config_new()) == NULL)
		return NULL;
	d->gen = c->gen;
	if (c->top.n == 0)
		return d;
	if ((d->top.v = calloc(c->top.n, sizeof(*d->top.v))) == NULL)
		goto fail;
	d->top.cap = c->top.n;
	for (i = 0; i < c->top.n; i++) {
		if ((d->top.v[i] = cfg_stmt_dup(c->top.v[i])) == NULL)
			goto fail;
		d->top.n++;
	}
	return d;
 fail:
	config_free(d);
	return NULL;
}

unsigned long
config_generation(const struct config *c)
{
	return c->gen;
}

void
config_set_generation(struct config *c, unsigned long gen)
{
	c->gen = gen;
}

static int
cfg_set(struct cfg_list *l, const char *key, const char *line, int rank,
    int block, struct err *e)
{
	struct cfg_stmt	*s;
	char		*nl;
	size_t		 i;
	int		 found;

	i = cfg_list_find(l, key, &found);
	if (found) {
		s = l->v[i];
		if ((nl = strdup(line)) == NULL)
			return err_nomem(e);
		free(s->line);
		s->line = nl;
		s->rank = rank;
		s->block |= block;
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_nomem(e);
	s->rank = rank;
	s->block = block;
	if ((s->key = strdup(key)) == NULL || (s->line = strdup(line)) == NULL ||
	    cfg_list_insert(l, i, s) != 0) {
		cfg_stmt_free(s);
		return err_nomem(e);
	}
	return 0;
}

int
config_set(struct config *c, const char *block, const char *key,
    const char *line, int rank, struct err *e)
{
	struct cfg_stmt	*b;

	if (key == NULL || *key == '\0' || line == NULL || *line == '\0')
		return err_set(e, ERR_INVAL, "empty configuration statement");
	if (strchr(line, '\n') != NULL || strchr(key, '\n') != NULL)
		return err_set(e, ERR_INVAL, "configuration statement holds a "
		    "line break");
	if (block == NULL)
		return cfg_set(&c->top, key, line, rank, 0, e);
	if ((b = cfg_list_get(&c->top, block)) == NULL)
		return err_set(e, ERR_NOTFOUND, "no block \"%s\"", block);
	b->block = 1;
	return cfg_set(&b->kids, key, line, rank, 0, e);
}

int
config_set_block(struct config *c, const char *key, const char *line,
    int rank, struct err *e)
{
	if (key == NULL || *key == '\0' || line == NULL || *line == '\0')
		return err_set(e, ERR_INVAL, "empty configuration statement");
	return cfg_set(&c->top, key, line, rank, 1, e);
}

static int
cfg_unset(struct cfg_list *l, const char *key)
{
	size_t	 i;
	int	 found;

	i = cfg_list_find(l, key, &found);
	if (!found)
		return ERR_NOTFOUND;
	cfg_stmt_free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
	return 0;
}

int
config_unset(struct config *c, const char *block, const char *key)
{
	struct cfg_stmt	*b;

	if (block == NULL)
		return cfg_unset(&c->top, key);
	if ((b = cfg_list_get(&c->top, block)) == NULL)
		return ERR_NOTFOUND;
	return cfg_unset(&b->kids, key);
}

static const struct cfg_list *
cfg_level(const struct config *c, const char *block)
{
	const struct cfg_stmt	*b;

	if (block == NULL)
		return &c->top;
	if ((b = cfg_list_get(&c->top, block)) == NULL)
		return NULL;
	return &b->kids;
}

const char *
config_get(const struct config *c, const char *block, const char *key)
{
	const struct cfg_list	*l;
	const struct cfg_stmt	*s;

	if ((l = cfg_level(c, block)) == NULL ||
	    (s = cfg_list_get(l, key)) == NULL)
		return NULL;
	return s->line;
}

/*
 * By key, else by the words the line starts with, so that statements
 * stored under a shared key ("enrollment method") are found by their own
 * words ("enrollment url").
 */
const char *
config_value(const struct config *c, const char *block, const char *key)
{
	const struct cfg_list	*l;
	const struct cfg_stmt	*s;
	size_t			 i, kl = strlen(key);

	if ((l = cfg_level(c, block)) == NULL)
		return NULL;
	if ((s = cfg_list_get(l, key)) != NULL &&
	    strncmp(s->line, key, kl) == 0 &&
	    (s->line[kl] == '\0' || s->line[kl] == ' '))
		return s->line[kl] ? s->line + kl + 1 : s->line + kl;
	for (i = 0; i < l->n; i++) {
		s = l->v[i];
		if (strncmp(s->line, key, kl) == 0 &&
		    (s->line[kl] == '\0' || s->line[kl] == ' '))
			return s->line[kl] ? s->line + kl + 1 : s->line + kl;
	}
	return NULL;
}

int
config_has(const struct config *c, const char *block, const char *key)
{
	return config_value(c, block, key) != NULL;
}

static int
cfg_order(const void *a, const void *b)
{
	const struct cfg_stmt	*x = *(struct cfg_stmt *const *)a;
	const struct cfg_stmt	*y = *(struct cfg_stmt *const *)b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The statements of a level in print order; caller frees the array. */
static struct cfg_stmt **
cfg_sorted(const struct cfg_list *l)
{
	struct cfg_stmt	**v;

	if ((v = calloc(l->n + 1, sizeof(*v))) == NULL)
		return NULL;
	if (l->n > 0)
		memcpy(v, l->v, l->n * sizeof(*v));
	qsort(v, l->n, sizeof(*v), cfg_order);
	return v;
}

static int
cfg_prefix(const char *s, const char *prefix)
{
	size_t	 n;

	if (prefix == NULL || *prefix == '\0')
		return 1;
	n = strlen(prefix);
	return strncmp(s, prefix, n) == 0;
}

int
config_list(const struct config *c, const char *prefix, const char ***out,
    size_t *outn)
{
	struct cfg_stmt	**v;
	const char	**r;
	size_t		  i, n = 0;

	*out = NULL;
	*outn = 0;
	if ((v = cfg_sorted(&c->top)) == NULL)
		return ERR_NOMEM;
	if ((r = calloc(c->top.n + 1, sizeof(*r))) == NULL) {
		free(v);
		return ERR_NOMEM;
	}
	for (i = 0; i < c->top.n; i++)
		if (cfg_prefix(v[i]->key, prefix))
			r[n++] = v[i]->key;
	free(v);
	*out = r;
	*outn = n;
	return 0;
}

char *
config_text(const struct config *c, const char *filter)
{
	struct buf	  b;
	struct cfg_stmt	**v, **k;
	size_t		  i, j;

	buf_init(&b, CONFIG_TEXTMAX);
	if ((v = cfg_sorted(&c->top)) == NULL)
		return NULL;
	for (i = 0; i < c->top.n; i++) {
		if (!cfg_prefix(v[i]->line, filter))
			continue;
		buf_adds(&b, v[i]->line);
		buf_adds(&b, "\n");
		if (!v[i]->block && v[i]->kids.n == 0)
			continue;
		if ((k = cfg_sorted(&v[i]->kids)) == NULL) {
			buf_free(&b);
			free(v);
			return NULL;
		}
		for (j = 0; j < v[i]->kids.n; j++) {
			buf_adds(&b, " ");
			buf_adds(&b, k[j]->line);
			buf_adds(&b, "\n");
		}
		free(k);
		buf_adds(&b, "!\n");
	}
	free(v);
	return buf_take(&b, NULL);
}

int
config_walk(const struct config *c, const char *filter,
    void (*fn)(void *, int, int, const char *), void *arg)
{
	struct cfg_stmt	**v, **k;
	size_t		  i, j;
	int		  rc = 0;

	if ((v = cfg_sorted(&c->top)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->top.n && rc == 0; i++) {
		if (!cfg_prefix(v[i]->line, filter))
			continue;
		fn(arg, 0, v[i]->block || v[i]->kids.n > 0, v[i]->line);
		if (v[i]->kids.n == 0)
			continue;
		if ((k = cfg_sorted(&v[i]->kids)) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		for (j = 0; j < v[i]->kids.n; j++)
			fn(arg, 1, 0, k[j]->line);
		free(k);
	}
	free(v);
	return rc;
}

int
config_equal(const struct config *a, const struct config *b)
{
	char	*x = config_text(a, NULL), *y = config_text(b, NULL);
	int	 eq = x != NULL && y != NULL && strcmp(x, y) == 0;

	free(x);
	free(y);
	return eq;
}

/*
 * A change set: what turns one configuration into another, statement by
 * statement.  line == NULL removes.
 */
struct cfg_op {
	const char		*block;	/* NULL: top level */
	const struct cfg_stmt	*stmt;	/* the new statement, or NULL */
	const char		*key;
};

struct cfg_ops {
	struct cfg_op	*v;
	size_t		 n, cap;
	int		 oom;
};

static void
cfg_ops_add(struct cfg_ops *o, const char *block, const char *key,
    const struct cfg_stmt *s)
{
	struct cfg_op	*nv;
	size_t		 ncap;

	if (o->oom)
		return;
	if (o->n == o->cap) {
		ncap = o->cap ? o->cap * 2 : 16;
		if ((nv = reallocarray(o->v, ncap, sizeof(*nv))) == NULL) {
			o->oom = 1;
			return;
		}
		o->v = nv;
		o->cap = ncap;
	}
	o->v[o->n].block = block;
	o->v[o->n].key = key;
	o->v[o->n].stmt = s;
	o->n++;
}

static void
cfg_diff_level(struct cfg_ops *o, const char *block, const struct cfg_list *a,
    const struct cfg_list *b)
{
	size_t			 i = 0, j = 0;
	int			 c;

	while (i < a->n || j < b->n) {
		if (i == a->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = strcmp(a->v[i]->key, b->v[j]->key);
		if (c < 0) {
			cfg_ops_add(o, block, a->v[i]->key, NULL);
			i++;
		} else if (c > 0) {
			cfg_ops_add(o, block, b->v[j]->key, b->v[j]);
			if (block == NULL)
				cfg_diff_level(o, b->v[j]->key,
				    &(struct cfg_list){ NULL, 0, 0 },
				    &b->v[j]->kids);
			j++;
		} else {
			if (strcmp(a->v[i]->line, b->v[j]->line) != 0 ||
			    a->v[i]->block != b->v[j]->block)
				cfg_ops_add(o, block, b->v[j]->key, b->v[j]);
			if (block == NULL)
				cfg_diff_level(o, b->v[j]->key,
				    &a->v[i]->kids, &b->v[j]->kids);
			i++;
			j++;
		}
	}
}

static int
cfg_diff(struct cfg_ops *o, const struct config *a, const struct config *b)
{
	memset(o, 0, sizeof(*o));
	cfg_diff_level(o, NULL, &a->top, &b->top);
	if (o->oom) {
		free(o->v);
		o->v = NULL;
		return ERR_NOMEM;
	}
	return 0;
}

struct cfg_pair {
	const struct config	*base, *cand;
};

static const struct cfg_stmt *
cfg_find2(const struct cfg_pair *p, const char *block, const char *key)
{
	const struct cfg_list	*l;
	const struct cfg_stmt	*s = NULL;

	if ((l = cfg_level(p->cand, block)) != NULL)
		s = cfg_list_get(l, key);
	if (s == NULL && (l = cfg_level(p->base, block)) != NULL)
		s = cfg_list_get(l, key);
	return s;
}

/* Change sets print in running-config order: block, then its statements. */
static int
cfg_op_order(const void *a, const void *b, void *arg)
{
	const struct cfg_op	*x = a, *y = b;
	const struct cfg_pair	*p = arg;
	const struct cfg_stmt	*tx, *ty, *sx, *sy;
	const char		*bx = x->block ? x->block : x->key;
	const char		*by = y->block ? y->block : y->key;
	int			 c;

	tx = cfg_find2(p, NULL, bx);
	ty = cfg_find2(p, NULL, by);
	if (tx && ty && tx->rank != ty->rank)
		return tx->rank < ty->rank ? -1 : 1;
	if ((c = strcmp(bx, by)) != 0)
		return c;
	if ((x->block == NULL) != (y->block == NULL))
		return x->block == NULL ? -1 : 1;
	sx = cfg_find2(p, x->block, x->key);
	sy = cfg_find2(p, y->block, y->key);
	if (sx && sy && sx->rank != sy->rank)
		return sx->rank < sy->rank ? -1 : 1;
	return strcmp(x->key, y->key);
}

char *
config_diff_text(const struct config *base, const struct config *cand)
{
	struct cfg_pair	 pair = { base, cand };
	struct cfg_ops	 o;
	struct buf	 b;
	const char	*open = NULL, *line;
	size_t		 i;

	buf_init(&b, CONFIG_TEXTMAX);
	if (cfg_diff(&o, base, cand) != 0)
		return NULL;
	if (o.n > 1)
		qsort_r(o.v, o.n, sizeof(*o.v), cfg_op_order, &pair);
	for (i = 0; i < o.n; i++) {
		const struct cfg_op	*op = &o.v[i];

		if (op->block == NULL) {
			if (open != NULL)
				buf_adds(&b, "!\n");
			open = NULL;
			if (op->stmt == NULL) {
				line = config_get(base, NULL, op->key);
				buf_adds(&b, "no ");
				buf_adds(&b, line ? line : op->key);
				buf_adds(&b, "\n");
			} else {
				buf_adds(&b, op->stmt->line);
				buf_adds(&b, "\n");
				if (op->stmt->block)
					open = op->key;
			}
			continue;
		}
		if (open == NULL || strcmp(open, op->block) != 0) {
			if (open != NULL)
				buf_adds(&b, "!\n");
			line = config_get(cand, NULL, op->block);
			buf_adds(&b, line ? line : op->block);
			buf_adds(&b, "\n");
			open = op->block;
		}
		if (op->stmt == NULL) {
			line = config_get(base, op->block, op->key);
			buf_adds(&b, " no ");
			buf_adds(&b, line ? line : op->key);
		} else {
			buf_adds(&b, " ");
			buf_adds(&b, op->stmt->line);
		}
		buf_adds(&b, "\n");
	}
	if (open != NULL)
		buf_adds(&b, "!\n");
	free(o.v);
	return buf_take(&b, NULL);
}

static int
cfg_same_result(const struct cfg_op *x, const struct cfg_op *y)
{
	if (x->stmt == NULL || y->stmt == NULL)
		return x->stmt == y->stmt;
	return strcmp(x->stmt->line, y->stmt->line) == 0;
}

static int
cfg_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The statement that two change sets both touch differently, or NULL. */
static const struct cfg_op *
cfg_conflict(const struct cfg_ops *ours, const struct cfg_ops *theirs)
{
	size_t	 i, j;

	for (i = 0; i < ours->n; i++) {
		const struct cfg_op	*a = &ours->v[i];

		for (j = 0; j < theirs->n; j++) {
			const struct cfg_op	*b = &theirs->v[j];

			if (cfg_streq(a->block, b->block) &&
			    strcmp(a->key, b->key) == 0 &&
			    !cfg_same_result(a, b))
				return a;
			/* A change inside a block the other removed. */
			if (a->block != NULL && b->block == NULL &&
			    b->stmt == NULL && strcmp(a->block, b->key) == 0)
				return a;
			if (b->block != NULL && a->block == NULL &&
			    a->stmt == NULL && strcmp(b->block, a->key) == 0)
				return a;
		}
	}
	return NULL;
}

static int
cfg_apply(struct config *c, const struct cfg_ops *o, struct err *e)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < o->n; i++) {
		const struct cfg_op	*op = &o->v[i];

		if (op->stmt == NULL) {
			config_unset(c, op->block, op->key);
			continue;
		}
		if (op->block == NULL && op->stmt->block)
			rc = config_set_block(c, op->key, op->stmt->line,
			    op->stmt->rank, e);
		else
			rc = config_set(c, op->block, op->key, op->stmt->line,
			    op->stmt->rank, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
config_merge(struct config **out, const struct config *base,
    const struct config *cand, const struct config *cur, struct err *e)
{
	struct cfg_ops		 ours, theirs;
	const struct cfg_op	*bad;
	struct config		*n = NULL;
	int			 rc;

	*out = NULL;
	memset(&theirs, 0, sizeof(theirs));
	if ((rc = cfg_diff(&ours, base, cand)) != 0)
		return err_nomem(e);
	if (cur->gen != base->gen &&
	    (rc = cfg_diff(&theirs, base, cur)) != 0) {
		rc = err_nomem(e);
		goto out;
	}
	if ((bad = cfg_conflict(&ours, &theirs)) != NULL) {
		rc = err_set(e, ERR_BUSY, "another session committed a change "
		    "to \"%s%s%s\" since this session started",
		    bad->block ? bad->block : "", bad->block ? " / " : "",
		    bad->key);
		goto out;
	}
	if ((n = config_dup(cur)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = cfg_apply(n, &ours, e)) != 0)
		goto out;
	n->gen = cur->gen + 1;
	*out = n;
	n = NULL;
 out:
	config_free(n);
	free(ours.v);
	free(theirs.v);
	return rc;
}
