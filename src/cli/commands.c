/*
 * commands: the list of command tables.  The order of the tables (and of
 * the rows in each) is the order of `show running-config`.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "config.h"
#include "err.h"
#include "running.h"
#include "shell.h"

extern const struct cmd_def cmd_system_defs[];
extern const struct cmd_def cmd_key_defs[];
extern const struct cmd_def cmd_trustpoint_defs[];
extern const struct cmd_def cmd_paste_defs[];
extern const struct cmd_def cmd_trustpool_defs[];
extern const struct cmd_def cmd_transport_defs[];
extern const struct cmd_def cmd_verify_defs[];

const struct cmd_def *const cmd_tables[] = {
	cmd_system_defs,
	cmd_key_defs,
	cmd_trustpoint_defs,
	cmd_paste_defs,
	cmd_trustpool_defs,
	cmd_transport_defs,
	cmd_verify_defs,
	NULL
};

void
commands_committed(struct shell *sh, const struct config *old,
    const struct config *cur)
{
	struct store	*st;
	struct err	 e;

	if (old != NULL && (st = shell_store(sh)) != NULL &&
	    running_prune(st, old, cur, &e) != 0)
		shell_err(sh, &e);
}
