/*
 * running: the running configuration as every front end sees it: loaded
 * from the state directory, saved as a commit, the state of configuration
 * that is gone pruned, and an expired `commit confirmed` rolled back.
 * The shell and the agent both call these, so a confirmed commit's
 * rollback is one piece of code whoever notices the deadline first.
 *
 * The grammar that turns saved text into statements stays the front
 * end's (src/cli/cfgparse.c): it is passed in as struct running_grammar.
 */
#ifndef NETPKI_RUNNING_H
#define NETPKI_RUNNING_H

struct commitlog_entry;
struct commitlog_trial;
struct config;
struct err;
struct store;

struct running_grammar {
	/*
	 * Statements of saved configuration text (without its "!generation"
	 * line) into the configuration; origin names the text in messages.
	 * Returns the number of lines rejected, or -1 when out of memory.
	 */
	int	(*parse)(void *, struct config *, const char *, const char *);
	void	*arg;
};

/*
 * Saved configuration text ("!generation N" then statements) to a new
 * configuration with that generation.  Lines the grammar rejects are
 * skipped (it says so), so one damaged line does not lose the rest.
 */
int	 running_parse(struct config **, const struct running_grammar *,
	    const char *, const char *, struct err *);
/* hostname (default "router") and domain name (or NULL) of c. */
const char *running_hostname(const struct config *);
const char *running_domain(const struct config *);
/* The configuration file, read fresh; empty when there is none yet. */
int	 running_load(struct config **, struct store *,
	    const struct running_grammar *, struct err *);
/* The configuration file's text for c ("!generation N" first); NULL: ENOMEM. */
char	*running_file_text(const struct config *);
/* Who commits: the effective user, line and client, time clock_now(). */
void	 running_who(struct commitlog_entry *, const char *, const char *);

/*
 * State of configuration that is gone from old in cur is removed: the
 * certificates and pending requests of a deleted trustpoint, so that a
 * trustpoint of the same name made later must authenticate anew.  Every
 * deleted trustpoint is tried; the first failure is returned.
 */
int	 running_prune(struct store *, const struct config *,
	    const struct config *, struct err *);

/*
 * A confirmed commit whose deadline has passed is rolled back, under the
 * lock, as a new commit (client "Rollback", line as given).  Returns 1
 * when it did (*trial: the trial, which the caller clears; *id: the
 * rollback's commit ID; e: why pruning the removed state failed, code 0
 * when it did not), 0 when nothing was due, a negative ERR_* code with e
 * filled on failure.
 */
int	 running_trial_expire(struct store *, const struct running_grammar *,
	    const char *, struct commitlog_trial *, unsigned long *,
	    struct err *);

#endif
