/*
 * Fuzz target: the state directory's journal (.journal), read by
 * store_lock after a crash.  The file is on disk, so it may be damaged or
 * edited: whatever it says, the replay must stay inside the directory and
 * never crash.  Each input runs in a fresh directory holding a few files;
 * afterwards nothing may exist outside it (the sentinel beside it stays).
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fj_put(const char *dir, const char *rel, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static char	 fj_top[64];

static void
fj_cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fj_top);
	if (system(cmd) != 0)
		return;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*top = fj_top;
	char		 dir[128], path[256], cmd[300];
	struct store	*st = NULL;
	struct err	 e;
	struct stat	 sb;
	FILE		*f;

	if (top[0] == '\0') {
		snprintf(fj_top, sizeof(fj_top),
		    "/tmp/netpki-fuzz-journal-XXXXXX");
		if (mkdtemp(fj_top) == NULL)
			abort();
		atexit(fj_cleanup);
	}
	snprintf(dir, sizeof(dir), "%s/state", top);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0 || mkdir(dir, 0700) != 0 ||
	    mkdir(strcat(strcpy(path, dir), "/tp"), 0700) != 0)
		abort();
	fj_put(top, "sentinel", "x");
	fj_put(dir, "tp/ca.pem", "ca");
	fj_put(dir, "tp/.ca.pem.AAAAAA", "new");
	snprintf(path, sizeof(path), "%s/.journal", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	if (store_open(&st, dir, &e) != 0)
		abort();
	if (store_lock(st, &e) == 0)
		store_unlock(st);
	store_free(st);
	snprintf(path, sizeof(path), "%s/sentinel", top);
	if (stat(path, &sb) != 0)
		abort();
	return 0;
}
