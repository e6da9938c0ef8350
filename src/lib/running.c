/*
 * running: the running configuration loaded, committed and rolled back
 * (see running.h); the statements come from the front end's grammar.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "commitlog.h"
#include "config.h"
#include "err.h"
#include "running.h"
#include "store.h"
#include "trustpoint.h"

int
running_parse(struct config **out, const struct running_grammar *g,
    const char *text, const char *origin, struct err *e)
{
	struct config	*c;
	const char	*body = text, *nl;

	*out = NULL;
	if ((c = config_new()) == NULL)
		return err_nomem(e);
	if (strncmp(text, "!generation ", 12) == 0)
		body = (nl = strchr(text, '\n')) != NULL ? nl + 1 :
		    text + strlen(text);
	if (g->parse(g->arg, c, body, origin) < 0) {
		config_free(c);
		return err_nomem(e);
	}
	config_set_generation(c, commitlog_generation(text));
	*out = c;
	return 0;
}

#define RUNNING_HOSTNAME	"router"	/* IOS XR's default */

const char *
running_hostname(const struct config *c)
{
	const char	*v;

	if (c != NULL && (v = config_value(c, NULL, "hostname")) != NULL &&
	    *v != '\0')
		return v;
	return RUNNING_HOSTNAME;
}

const char *
running_domain(const struct config *c)
{
	return c != NULL ? config_value(c, NULL, "domain name") : NULL;
}

int
running_load(struct config **out, struct store *st,
    const struct running_grammar *g, struct err *e)
{
	char	*text = NULL;
	int	 rc;

	*out = NULL;
	rc = store_read(st, COMMITLOG_CONFIG, &text, NULL, 0, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		if ((*out = config_new()) == NULL)
			return err_nomem(e);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = running_parse(out, g, text, "saved configuration", e);
	free(text);
	return rc;
}

char *
running_file_text(const struct config *c)
{
	char	*text, *file = NULL;

	if ((text = config_text(c, NULL)) == NULL)
		return NULL;
	if (asprintf(&file, "!generation %lu\n%s", config_generation(c),
	    text) == -1)
		file = NULL;
	free(text);
	return file;
}

void
running_who(struct commitlog_entry *w, const char *line, const char *client)
{
	struct passwd	*pw = getpwuid(geteuid());

	memset(w, 0, sizeof(*w));
	w->time = clock_now();
	snprintf(w->user, sizeof(w->user), "%s", pw != NULL ?
	    pw->pw_name : "-");
	snprintf(w->line, sizeof(w->line), "%s", line);
	snprintf(w->client, sizeof(w->client), "%s", client);
}

int
running_prune(struct store *st, const struct config *old,
    const struct config *cur, struct err *e)
{
	static const char	 prefix[] = "crypto ca trustpoint ";
	const char		**v = NULL;
	const char		*name;
	struct err		 e1;
	size_t			 i, n = 0;
	int			 rc = 0;

	err_clear(e);
	if (old == NULL)
		return 0;
	if (config_list(old, prefix, &v, &n) != 0)
		return err_nomem(e);
	for (i = 0; i < n; i++) {
		if (config_get(cur, NULL, v[i]) != NULL)
			continue;
		name = v[i] + sizeof(prefix) - 1;
		if (tp_remove_all(st, name, &e1) != 0 && rc == 0)
			rc = err_set(e, e1.code, "Trustpoint %s removed from "
			    "the configuration, but its files remain: %s",
			    name, e1.msg);
	}
	free(v);
	return rc;
}

/* Under the lock: the trial t, due, restored as a new commit. */
static int
running_rollback(struct store *st, const struct running_grammar *g,
    const char *line, const struct commitlog_trial *t, unsigned long *id,
    struct err *e)
{
	struct commitlog_entry	 w;
	struct config		*cur = NULL, *restore = NULL;
	char			*after = NULL;
	int			 rc;

	running_who(&w, line, "Rollback");
	if (running_load(&cur, st, g, e) != 0 || running_parse(&restore, g,
	    t->restore, "trial", e) != 0) {
		rc = err_prefix(e, "cannot read the configuration");
		goto out;
	}
	config_set_generation(restore, config_generation(cur) + 1);
	if ((w.before = running_file_text(cur)) == NULL ||
	    (after = running_file_text(restore)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = commitlog_commit(st, &w, after, 0, id, e)) != 0) {
		err_prefix(e, "the rollback of commit %010lu failed", t->id);
		goto out;
	}
	running_prune(st, cur, restore, e);
	rc = 1;
 out:
	free(w.before);
	free(after);
	config_free(cur);
	config_free(restore);
	return rc;
}

int
running_trial_expire(struct store *st, const struct running_grammar *g,
    const char *line, struct commitlog_trial *t, unsigned long *id,
    struct err *e)
{
	int	 rc;

	memset(t, 0, sizeof(*t));
	if ((rc = commitlog_trial_get(st, t, e)) != 0 ||
	    clock_now() < t->deadline)
		goto out;
	if ((rc = store_lock(st, e)) != 0)
		goto out;
	/* Another process may have decided it while we waited. */
	commitlog_trial_clear(t);
	if ((rc = commitlog_trial_get(st, t, e)) == 0 &&
	    clock_now() >= t->deadline)
		rc = running_rollback(st, g, line, t, id, e);
	store_unlock(st);
 out:
	if (rc == ERR_NOTFOUND || (rc == 0 && t->deadline > clock_now())) {
		err_clear(e);
		rc = 0;
	}
	if (rc != 1)
		commitlog_trial_clear(t);
	return rc;
}
