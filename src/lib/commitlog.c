/*
 * commitlog: commit history and the `commit confirmed` trial (see
 * commitlog.h).  Files: commits/ID ("key value" header lines, a blank
 * line, then the configuration the commit replaced) and commits/trial
 * (the same layout: the trial's first ID, its deadline, the configuration
 * to restore).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commitlog.h"
#include "err.h"
#include "store.h"

#define COMMITLOG_DIR		"commits"
#define COMMITLOG_TRIAL		"commits/trial"
#define COMMITLOG_IDLEN		10
#define COMMITLOG_READMAX	(8u * 1024 * 1024)

unsigned long
commitlog_generation(const char *text)
{
	unsigned long	 gen = 0;

	if (text == NULL || sscanf(text, "!generation %lu", &gen) != 1)
		return 0;
	return gen;
}

/* A header value as written: printable, no spaces, bounded. */
static void
commitlog_field(char *dst, size_t sz, const char *src)
{
	size_t	 i;

	if (src == NULL || *src == '\0')
		src = "-";
	for (i = 0; i + 1 < sz && src[i] != '\0'; i++)
		dst[i] = isgraph((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

static int
commitlog_is_id(const char *name, unsigned long *id)
{
	char	*end;

	if (strlen(name) != COMMITLOG_IDLEN || !isdigit((unsigned char)*name))
		return 0;
	*id = strtoul(name, &end, 10);
	return *end == '\0';
}

/* The IDs kept, oldest first. */
static int
commitlog_ids(struct store *st, unsigned long **out, size_t *outn,
    struct err *e)
{
	char		**v = NULL;
	unsigned long	*ids = NULL;
	size_t		 n = 0, i, k = 0;
	int		 rc;

	*out = NULL;
	*outn = 0;
	if ((rc = store_list(st, COMMITLOG_DIR, &v, &n, e)) != 0)
		return rc;
	if (n > 0 && (ids = calloc(n, sizeof(*ids))) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	/* store_list sorts by name: equal-length IDs sort by number. */
	for (i = 0; i < n; i++)
		if (commitlog_is_id(v[i], &ids[k]))
			k++;
	*out = ids;
	*outn = k;
	ids = NULL;
 out:
	free(ids);
	store_list_free(v, n);
	return rc;
}

/* Splits "key value" lines from the body after the first blank line. */
static int
commitlog_parse(char *text, struct commitlog_entry *ent, time_t *deadline,
    const char **body)
{
	char		*p = text, *line, *val;
	long long	 n;

	while ((line = strsep(&p, "\n")) != NULL && *line != '\0') {
		if ((val = strchr(line, ' ')) == NULL)
			return -1;
		*val++ = '\0';
		if (strcmp(line, "id") == 0)
			ent->id = strtoul(val, NULL, 10);
		else if (strcmp(line, "time") == 0 ||
		    strcmp(line, "deadline") == 0) {
			n = strtoll(val, NULL, 10);
			if (strcmp(line, "time") == 0)
				ent->time = (time_t)n;
			else if (deadline != NULL)
				*deadline = (time_t)n;
		} else if (strcmp(line, "user") == 0)
			commitlog_field(ent->user, sizeof(ent->user), val);
		else if (strcmp(line, "line") == 0)
			commitlog_field(ent->line, sizeof(ent->line), val);
		else if (strcmp(line, "client") == 0)
			commitlog_field(ent->client, sizeof(ent->client), val);
	}
	if (line == NULL)
		return -1;
	*body = p != NULL ? p : "";
	return 0;
}

static int
commitlog_read(struct store *st, const char *rel, struct commitlog_entry *ent,
    time_t *deadline, int want_body, struct err *e)
{
	char		*text = NULL;
	const char	*body;
	int		 rc;

	memset(ent, 0, sizeof(*ent));
	if ((rc = store_read(st, rel, &text, NULL, COMMITLOG_READMAX, e)) != 0)
		return rc;
	if (commitlog_parse(text, ent, deadline, &body) != 0) {
		rc = err_set(e, ERR_INVAL, "%s/%s: damaged commit record",
		    store_dir(st), rel);
		goto out;
	}
	if (want_body && (ent->before = strdup(body)) == NULL)
		rc = err_nomem(e);
 out:
	free(text);
	return rc;
}

static int
commitlog_entry_rel(char *buf, size_t sz, unsigned long id)
{
	return snprintf(buf, sz, "%s/%010lu", COMMITLOG_DIR, id) >= (int)sz ?
	    -1 : 0;
}

/* The trial file for this commit: an earlier trial keeps its start. */
static int
commitlog_trial_write(struct store_batch *b, struct store *st,
    const char *before, unsigned long id, time_t deadline, struct err *e)
{
	struct commitlog_trial	 old;
	char			*text = NULL;
	int			 rc;

	memset(&old, 0, sizeof(old));
	if ((rc = commitlog_trial_get(st, &old, e)) == 0) {
		id = old.id;
		before = old.restore;
	} else if (rc != ERR_NOTFOUND)
		return rc;
	if (asprintf(&text, "id %010lu\ndeadline %lld\n\n%s", id,
	    (long long)deadline, before) == -1) {
		rc = err_nomem(e);
		goto out;
	}
	rc = store_batch_write(b, COMMITLOG_TRIAL, text, strlen(text),
	    STORE_PUBLIC, 0, e);
 out:
	free(text);
	commitlog_trial_clear(&old);
	return rc;
}

/* The history entry: who, and the configuration it replaced. */
static int
commitlog_entry_write(struct store_batch *b, const struct commitlog_entry *w,
    unsigned long id, struct err *e)
{
	char	 rel[64], user[33], line[33], client[17], *text = NULL;
	int	 rc;

	commitlog_field(user, sizeof(user), w->user);
	commitlog_field(line, sizeof(line), w->line);
	commitlog_field(client, sizeof(client), w->client);
	if (commitlog_entry_rel(rel, sizeof(rel), id) != 0 ||
	    asprintf(&text, "id %010lu\ntime %lld\nuser %s\nline %s\n"
	    "client %s\n\n%s", id, (long long)w->time, user, line, client,
	    w->before != NULL ? w->before : "") == -1)
		return err_nomem(e);
	rc = store_batch_write(b, rel, text, strlen(text), STORE_PUBLIC, 0, e);
	free(text);
	return rc;
}

int
commitlog_commit(struct store *st, const struct commitlog_entry *who,
    const char *after, time_t deadline, unsigned long *id, struct err *e)
{
	struct store_batch	*b = NULL;
	unsigned long		*ids = NULL, next;
	size_t			 n = 0, i;
	char			 rel[64];
	int			 rc;

	if ((rc = commitlog_ids(st, &ids, &n, e)) != 0 ||
	    (rc = store_batch_new(&b, st, e)) != 0)
		goto out;
	next = n > 0 ? ids[n - 1] + 1 : COMMITLOG_FIRST;
	if ((rc = store_batch_write(b, COMMITLOG_CONFIG, after, strlen(after),
	    STORE_PUBLIC, 0, e)) != 0 ||
	    (rc = commitlog_entry_write(b, who, next, e)) != 0)
		goto out;
	if (deadline != 0)
		rc = commitlog_trial_write(b, st, who->before, next, deadline,
		    e);
	else if (store_exists(st, COMMITLOG_TRIAL))
		rc = store_batch_remove(b, COMMITLOG_TRIAL, 0, e);
	if (rc != 0)
		goto out;
	/* Keep the newest COMMITLOG_KEEP, this one included. */
	for (i = 0; i + COMMITLOG_KEEP < n + 1; i++) {
		commitlog_entry_rel(rel, sizeof(rel), ids[i]);
		if ((rc = store_batch_remove(b, rel, 0, e)) != 0)
			goto out;
	}
	if ((rc = store_batch_commit(b, e)) != 0)
		goto out;
	*id = next;
 out:
	store_batch_free(b);
	free(ids);
	return rc;
}

int
commitlog_list(struct store *st, struct commitlog_entry **out, size_t *outn,
    struct err *e)
{
	struct commitlog_entry	*v = NULL;
	unsigned long		*ids = NULL;
	size_t			 n = 0, i;
	char			 rel[64];
	int			 rc;

	*out = NULL;
	*outn = 0;
	if ((rc = commitlog_ids(st, &ids, &n, e)) != 0)
		return rc;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		commitlog_entry_rel(rel, sizeof(rel), ids[n - 1 - i]);
		if ((rc = commitlog_read(st, rel, &v[i], NULL, 0, e)) != 0)
			goto out;
		v[i].id = ids[n - 1 - i];
	}
	*out = v;
	*outn = n;
	v = NULL;
 out:
	commitlog_list_free(v, n);
	free(ids);
	return rc;
}

void
commitlog_list_free(struct commitlog_entry *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].before);
	free(v);
}

int
commitlog_before(struct store *st, unsigned last, char **out, struct err *e)
{
	struct commitlog_entry	 ent;
	unsigned long		*ids = NULL;
	size_t			 n = 0;
	char			 rel[64];
	int			 rc;

	*out = NULL;
	if ((rc = commitlog_ids(st, &ids, &n, e)) != 0)
		return rc;
	if (last == 0 || last > n) {
		rc = err_set(e, ERR_INVAL, "there are %zu commits to roll back "
		    "(the last %d are kept): cannot roll back %u", n,
		    COMMITLOG_KEEP, last);
		goto out;
	}
	commitlog_entry_rel(rel, sizeof(rel), ids[n - last]);
	if ((rc = commitlog_read(st, rel, &ent, NULL, 1, e)) != 0)
		goto out;
	*out = ent.before;
 out:
	free(ids);
	return rc;
}

int
commitlog_trial_get(struct store *st, struct commitlog_trial *t,
    struct err *e)
{
	struct commitlog_entry	 ent;
	time_t			 deadline = 0;
	int			 rc;

	memset(t, 0, sizeof(*t));
	if (!store_exists(st, COMMITLOG_TRIAL))
		return err_set(e, ERR_NOTFOUND, "no confirmed commit pending");
	if ((rc = commitlog_read(st, COMMITLOG_TRIAL, &ent, &deadline, 1,
	    e)) != 0)
		return rc;
	t->id = ent.id;
	t->deadline = deadline;
	t->restore = ent.before;
	return 0;
}

void
commitlog_trial_clear(struct commitlog_trial *t)
{
	if (t == NULL)
		return;
	free(t->restore);
	memset(t, 0, sizeof(*t));
}

int
commitlog_trial_end(struct store *st, struct err *e)
{
	int	 rc;

	rc = store_remove(st, COMMITLOG_TRIAL, 0, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	return rc;
}
