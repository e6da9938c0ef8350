/* commands: every command table of the shell, in running-config order. */
#ifndef NETPKI_COMMANDS_H
#define NETPKI_COMMANDS_H

#include "cmd.h"

extern const struct cmd_def *const cmd_tables[];

struct config;
struct shell;

/*
 * After a commit: state that belongs to configuration that is gone is
 * removed (the certificates and pending requests of a deleted trustpoint,
 * so a trustpoint of the same name made later must authenticate anew).
 */
void	 commands_committed(struct shell *, const struct config *,
	    const struct config *);

#endif
