/*
 * shell_priv: the session as main.c and the session commands
 * (cmd_system.c) see it.  Other command files use shell.h only.
 */
#ifndef NETPKI_SHELL_PRIV_H
#define NETPKI_SHELL_PRIV_H

#include <signal.h>
#include <stdio.h>

#include "cmd.h"

struct config;
struct err;
struct shell;

int	 shell_new(struct shell **, const char *, struct err *);
void	 shell_free(struct shell *);
void	 shell_set_intr(struct shell *, volatile sig_atomic_t *);
/* -y: yes/no confirmations are answered yes (not trust decisions). */
void	 shell_set_yes(struct shell *, int);
/* Scripted mode over a stream; returns the exit status. */
int	 shell_run_stream(struct shell *, FILE *);
/* Scripted mode over -c arguments: stops at the first failure. */
int	 shell_run_lines(struct shell *, char **, int);
/* Interactive mode with libedit. */
int	 shell_run_tty(struct shell *);

/*
 * Parse configuration text (as saved, or as show running-config prints it)
 * into a configuration; returns the number of lines rejected.
 */
int	 shell_config_parse(struct shell *, struct config *, const char *);

/*
 * A confirmed commit whose time ran out is rolled back (running.h), and
 * the session says so (a % line).
 */
void	 shell_trial_check(struct shell *);

/* Session commands (table rows in cmd_system.c). */
int	 shell_cmd_configure(struct shell *, const struct cmd_args *);
int	 shell_cmd_commit(struct shell *, const struct cmd_args *);
int	 shell_cmd_rollback(struct shell *, const struct cmd_args *);
int	 shell_cmd_end(struct shell *, const struct cmd_args *);
int	 shell_cmd_exit(struct shell *, const struct cmd_args *);
int	 shell_cmd_abort(struct shell *, const struct cmd_args *);
int	 shell_cmd_do(struct shell *, const struct cmd_args *);
int	 shell_cmd_show_running(struct shell *, const struct cmd_args *);
int	 shell_cmd_show_config(struct shell *, const struct cmd_args *);
/* terminal length N: this session's pager (not configuration). */
int	 shell_cmd_terminal_length(struct shell *, const struct cmd_args *);

#endif
