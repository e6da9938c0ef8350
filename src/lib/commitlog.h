/*
 * commitlog: the commit history of the running configuration (IOS XR's
 * commit database) and the trial of `commit confirmed`.
 *
 * Each commit gets an ID (1000000001, 1000000002 ... as IOS XR numbers
 * them) and a file commits/ID holding who made it (user, line, client,
 * time) and the saved configuration it replaced: the rollback point.  The
 * last COMMITLOG_KEEP are kept.  A commit writes the configuration file,
 * its history entry, the trial file and the removal of the oldest entry as
 * one store_batch under the state directory's lock, so a crash leaves all
 * of it or none of it.
 *
 * A confirmed commit (a trial) also writes commits/trial: its deadline and
 * the saved configuration to restore.  A later plain commit ends the
 * trial; once the deadline has passed, whoever sees it first (the shell,
 * the agent) restores that configuration as a new commit.
 *
 * The library handles saved configuration text only ("!generation N" then
 * canonical CLI text); turning it into statements is the front end's.
 */
#ifndef NETPKI_COMMITLOG_H
#define NETPKI_COMMITLOG_H

#include <stddef.h>
#include <time.h>

struct err;
struct store;

#define COMMITLOG_CONFIG	"config"	/* the running configuration */
#define COMMITLOG_KEEP		20
#define COMMITLOG_FIRST		1000000001UL

struct commitlog_entry {
	unsigned long	 id;
	time_t		 time;
	char		 user[33];
	char		 line[33];
	char		 client[17];	/* "CLI", "Rollback" */
	char		*before;	/* the saved configuration replaced */
};

struct commitlog_trial {
	unsigned long	 id;		/* the first commit of the trial */
	time_t		 deadline;
	char		*restore;	/* saved configuration before it */
};

/*
 * Commit: replace the configuration file with after and record who (its
 * id is ignored, before is the text being replaced).  deadline 0 is a
 * plain commit (it ends a trial); otherwise the commit is on trial until
 * then (a trial already running keeps its restore point and first ID and
 * takes the new deadline).  Needs the lock.  *id is the new commit's ID.
 */
int	commitlog_commit(struct store *, const struct commitlog_entry *,
	    const char *, time_t, unsigned long *, struct err *);

/* The history, newest first, without the texts (before is NULL). */
int	commitlog_list(struct store *, struct commitlog_entry **, size_t *,
	    struct err *);
void	commitlog_list_free(struct commitlog_entry *, size_t);
/*
 * The saved configuration from before the last n commits (n from 1 to
 * the number kept): what `rollback configuration last n` restores.
 */
int	commitlog_before(struct store *, unsigned, char **, struct err *);

/* The running trial: 0, ERR_NOTFOUND when none. */
int	commitlog_trial_get(struct store *, struct commitlog_trial *,
	    struct err *);
void	commitlog_trial_clear(struct commitlog_trial *);
/* Ends a trial without a new commit (a plain commit with no changes). */
int	commitlog_trial_end(struct store *, struct err *);

/* The generation number on a saved configuration's first line, or 0. */
unsigned long commitlog_generation(const char *);

#endif
