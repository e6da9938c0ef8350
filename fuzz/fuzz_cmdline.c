/*
 * Fuzz target: the command-line parser (matching, '?' help, completion) in
 * every mode, over the real command tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdtree.h"
#include "commands.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd_tree	*t;
	struct cmd_match	*m;
	char			*line, *add, *choices;
	char			 msg[256];
	FILE			*null;
	int			 mode;

	if (t == NULL && cmdtree_new(&t, cmd_tables, msg, sizeof(msg)) != 0)
		abort();
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	m = malloc(sizeof(*m));
	null = fopen("/dev/null", "w");
	for (mode = 0; mode < MODE__MAX && m != NULL && null != NULL; mode++) {
		cmdtree_match(t, (enum cmd_mode)mode, line, m);
		if (m->status == CMDM_OK && m->def == NULL)
			abort();
		cmdtree_help(t, (enum cmd_mode)mode, line, null, 20);
		choices = NULL;
		add = cmdtree_complete(t, (enum cmd_mode)mode, line, &choices);
		free(add);
		free(choices);
	}
	if (null != NULL)
		fclose(null);
	free(m);
	free(line);
	return 0;
}
