/*
 * cmd_system: the session commands (configure, commit, end, show
 * running-config ...) and the system statements (hostname, domain name).
 */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "cert.h"
#include "cmd.h"
#include "commitlog.h"
#include "err.h"
#include "shell.h"
#include "shell_priv.h"

static int	system_commit_list(struct shell *, const struct cmd_args *);

const struct cmd_def cmd_system_defs[] = {
	/* Configuration statements, in running-config order. */
	{ .mode = MODE_CONFIG, .syntax = "hostname HOSTNAME",
	  .help = "Set system's network name\n"
	    "This system's network name (RFC 1123 label)",
	  .keylen = 1 },
	{ .mode = MODE_CONFIG, .syntax = "domain name DOMAIN",
	  .help = "Domain service configuration commands\n"
	    "Define the default domain name\n"
	    "Default domain name (RFC 1123)",
	  .keylen = 2 },

	/* EXEC */
	{ .mode = MODE_EXEC, .syntax = "configure [terminal]",
	  .help = "Enter configuration mode\n"
	    "Configure from the terminal",
	  .fn = shell_cmd_configure },
	{ .mode = MODE_EXEC, .syntax = "show running-config [LINE]",
	  .help = CMD_HELP_SHOW
	    "Current operating configuration\n"
	    "Only statements starting with these words",
	  .fn = shell_cmd_show_running },
	{ .mode = MODE_EXEC, .syntax = "exit",
	  .help = "Exit from the EXEC",
	  .fn = shell_cmd_exit },
	{ .mode = MODE_EXEC, .syntax = "terminal length <0-512>",
	  .help = "Set terminal line parameters\n"
	    "Set number of lines on a screen\n"
	    "Number of lines on screen (0 for no pausing)",
	  .fn = shell_cmd_terminal_length },
	{ .mode = MODE_EXEC, .syntax = "show configuration commit list",
	  .help = CMD_HELP_SHOW
	    "Contents of the configuration\n"
	    "Configuration commit database\n"
	    "The commits kept, newest first",
	  .fn = system_commit_list },
	{ .mode = MODE_EXEC, .syntax = "rollback configuration last <1-20>",
	  .help = "Roll back configuration changes\n"
	    "The running configuration\n"
	    "Roll back the last commits\n"
	    "How many commits to roll back",
	  .fn = shell_cmd_rollback },

	/* Every configuration mode */
	{ .mode = MODE_CONFIG, .syntax = "commit",
	  .help = "Commit the configuration changes to running",
	  .fn = shell_cmd_commit, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "commit confirmed [<30-65535>]",
	  .help = "Commit the configuration changes to running\n"
	    "Roll back automatically unless confirmed by 'commit' in time\n"
	    "Seconds until the rollback (default 30)",
	  .fn = shell_cmd_commit, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "commit confirmed minutes <1-65535>",
	  .help = "Commit the configuration changes to running\n"
	    "Roll back automatically unless confirmed by 'commit' in time\n"
	    "Time given in minutes\n"
	    "Minutes until the rollback",
	  .fn = shell_cmd_commit, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "end",
	  .help = "Exit from configure mode",
	  .fn = shell_cmd_end, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "exit",
	  .help = "Exit from this submode",
	  .fn = shell_cmd_exit, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "abort",
	  .help = "Discard all uncommitted changes and exit from configure "
	    "mode",
	  .fn = shell_cmd_abort, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "do LINE",
	  .help = "Run an exec command\n"
	    "Exec command",
	  .fn = shell_cmd_do, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "show configuration",
	  .help = CMD_HELP_SHOW_CONFIG
	    "Uncommitted changes made during this session",
	  .fn = shell_cmd_show_config, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "show configuration commit list",
	  .help = CMD_HELP_SHOW_CONFIG
	    "Uncommitted changes made during this session\n"
	    "Configuration commit database\n"
	    "The commits kept, newest first",
	  .fn = system_commit_list, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "show running-config [LINE]",
	  .help = CMD_HELP_SHOW_CONFIG
	    "Current operating configuration\n"
	    "Only statements starting with these words",
	  .fn = shell_cmd_show_running, .flags = CMD_ANYMODE },
	{ .syntax = NULL }
};

/* show configuration commit list: IOS XR's columns, newest first. */
static int
system_commit_list(struct shell *sh, const struct cmd_args *a)
{
	struct commitlog_entry	*v = NULL;
	struct commitlog_trial	 t;
	struct store		*st;
	struct err		 e;
	struct tm		 tm;
	size_t			 n = 0, i;
	char			 when[64];

	(void)a;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	shell_trial_check(sh);
	if (commitlog_list(st, &v, &n, &e) != 0)
		return shell_err(sh, &e);
	if (n == 0)
		shell_printf(sh, "No commits found.\n");
	else
		shell_printf(sh, "SNo. Label/ID              User      Line"
		    "                Client      Time Stamp\n"
		    "~~~~ ~~~~~~~~              ~~~~      ~~~~"
		    "                ~~~~~~      ~~~~~~~~~~\n");
	for (i = 0; i < n; i++) {
		gmtime_r(&v[i].time, &tm);
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		shell_printf(sh, "%-4zu %010lu            %-9s %-19s %-11s "
		    "%s\n", i + 1, v[i].id, v[i].user, v[i].line,
		    v[i].client, when);
	}
	commitlog_list_free(v, n);
	if (commitlog_trial_get(st, &t, &e) == 0) {
		cert_fmt_time(when, sizeof(when), t.deadline);
		shell_printf(sh, "Commit %010lu is on trial: rolled back at %s "
		    "unless confirmed with 'commit'\n", t.id, when);
		commitlog_trial_clear(&t);
	}
	return 0;
}
