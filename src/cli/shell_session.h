/*
 * shell_session: a shell session as a program that only needs the
 * running configuration and the state directory sees it (the agent):
 * created, the configuration's timers (an unconfirmed commit) run, freed.
 * Commands and input are shell_priv.h's.
 */
#ifndef NETPKI_SHELL_SESSION_H
#define NETPKI_SHELL_SESSION_H

struct commitlog_trial;
struct err;
struct shell;

int	 shell_new(struct shell **, const char *, struct err *);
void	 shell_free(struct shell *);

/*
 * A confirmed commit whose time ran out is rolled back, under the lock, as
 * a new commit (client "Rollback").  1 when it did (*trial: the trial,
 * which the caller clears; *id: the rollback's commit ID), 0 when nothing
 * was due, a negative ERR_* code with e filled on failure.
 */
int	 shell_trial_expire(struct shell *, struct commitlog_trial *,
	    unsigned long *, struct err *);

#endif
