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
#include "shell.h"
#include "trustpoint.h"

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
	static const char	 prefix[] = "crypto ca trustpoint ";
	struct store		*st;
	struct err		 e;
	const char		**v = NULL;
	size_t			 i, n = 0;

	if (old == NULL || config_list(old, prefix, &v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (config_get(cur, NULL, v[i]) != NULL)
			continue;
		if ((st = shell_store(sh)) == NULL)
			break;
		if (tp_remove_all(st, v[i] + sizeof(prefix) - 1, &e) != 0)
			shell_error(sh, "Trustpoint %s removed from the "
			    "configuration, but its files remain: %s",
			    v[i] + sizeof(prefix) - 1, e.msg);
	}
	free(v);
}
