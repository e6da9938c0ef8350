/*
 * cmd_system: the session commands (configure, commit, end, show
 * running-config ...) and the system statements (hostname, domain name).
 */
#include <stddef.h>

#include "cmd.h"
#include "shell.h"
#include "shell_priv.h"

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
	  .help = "Show running system information\n"
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

	/* Every configuration mode */
	{ .mode = MODE_CONFIG, .syntax = "commit",
	  .help = "Commit the configuration changes to running",
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
	  .help = "Show contents of configuration\n"
	    "Uncommitted changes made during this session",
	  .fn = shell_cmd_show_config, .flags = CMD_ANYMODE },
	{ .mode = MODE_CONFIG, .syntax = "show running-config [LINE]",
	  .help = "Show contents of configuration\n"
	    "Current operating configuration\n"
	    "Only statements starting with these words",
	  .fn = shell_cmd_show_running, .flags = CMD_ANYMODE },
	{ .syntax = NULL }
};
