/*
 * Fuzz target: the configuration loader (saved config files are
 * untrusted: hand edits, disk damage).  Whatever loads must print and load
 * back to the same configuration, and the agent, which loads it without a
 * session (cfgparse.h, no handlers), must read that text the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "cmdtree.h"
#include "commands.h"
#include "config.h"
#include "err.h"
#include "shell_priv.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shell	*sh;
	static struct cmd_tree	*tree;
	struct config		*c = NULL, *c2 = NULL, *c3 = NULL;
	struct err		 e;
	char			*text = NULL, *out = NULL, msg[256];

	if (sh == NULL && (shell_new(&sh, "/nonexistent/netpki-fuzz",
	    &e) != 0 || cmdtree_new(&tree, cmd_tables, msg, sizeof(msg)) != 0))
		abort();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((c = config_new()) == NULL || (c2 = config_new()) == NULL ||
	    (c3 = config_new()) == NULL)
		goto out;
	shell_config_parse(sh, c, text);
	if ((out = config_text(c, NULL)) == NULL)
		goto out;
	if (shell_config_parse(sh, c2, out) != 0 || !config_equal(c, c2))
		abort();
	if (cfgparse_text(tree, c3, out, "fuzz", NULL, NULL) != 0 ||
	    !config_equal(c, c3))
		abort();
 out:
	config_free(c);
	config_free(c2);
	config_free(c3);
	free(out);
	free(text);
	return 0;
}
