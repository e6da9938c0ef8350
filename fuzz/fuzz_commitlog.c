/*
 * Fuzz target: the commit history's records (commits/ID and commits/trial
 * in the state directory), read by show configuration commit list,
 * rollback configuration and every start of the shell.  The files are on
 * disk, so they may be damaged or edited: whatever they say, reading them
 * must give a record or an error, never a crash.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commitlog.h"
#include "err.h"
#include "store.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 fc_top[64];

static void
fc_cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fc_top);
	if (system(cmd) != 0)
		return;
}

static void
fc_put(const char *rel, const uint8_t *data, size_t size)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/commits/%s", fc_top, rel);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct commitlog_entry	*v = NULL;
	struct commitlog_trial	 t;
	struct store		*st = NULL;
	struct err		 e;
	char			 path[128], *text = NULL, *str;
	size_t			 n = 0;

	if (fc_top[0] == '\0') {
		snprintf(fc_top, sizeof(fc_top),
		    "/tmp/netpki-fuzz-commitlog-XXXXXX");
		if (mkdtemp(fc_top) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/commits", fc_top);
		if (mkdir(path, 0700) != 0)
			abort();
		atexit(fc_cleanup);
	}
	fc_put("1000000001", data, size);
	fc_put("trial", data, size);
	if (store_open(&st, fc_top, &e) != 0)
		abort();
	if (commitlog_list(st, &v, &n, &e) == 0)
		commitlog_list_free(v, n);
	if (commitlog_before(st, 1, &text, &e) == 0)
		free(text);
	if (commitlog_trial_get(st, &t, &e) == 0)
		commitlog_trial_clear(&t);
	/* The generation is read from a file's text, which is terminated. */
	if ((str = malloc(size + 1)) == NULL)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	(void)commitlog_generation(str);
	free(str);
	store_free(st);
	return 0;
}
