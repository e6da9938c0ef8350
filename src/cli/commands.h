/* commands: every command table of the shell, in running-config order. */
#ifndef NETPKI_COMMANDS_H
#define NETPKI_COMMANDS_H

#include "cmd.h"

extern const struct cmd_def *const cmd_tables[];

#endif
