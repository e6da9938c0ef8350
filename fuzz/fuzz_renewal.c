/*
 * Fuzz target: the renewal files of a trustpoint (renew.h), read by the
 * agent's round and the show commands: renewal-<kind> (the schedule's
 * memory), pending/<kind> with its optional renewal and not-before lines, the shadow
 * certificate and the shadow key.  They are on disk, so they may be
 * damaged or edited: whatever they say, reading them gives a value or an
 * error, never a crash.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "renew.h"
#include "store.h"
#include "trustpoint.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 fr_top[64];

static void
fr_cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fr_top);
	if (system(cmd) != 0)
		return;
}

static void
fr_put(const char *rel, const uint8_t *data, size_t size)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/trustpoints/tp/%s", fr_top, rel);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
}

static void
fr_mkdirs(void)
{
	static const char *const dirs[] = { "trustpoints", "trustpoints/tp",
	    "trustpoints/tp/pending" };
	char	 path[128];
	size_t	 i;

	snprintf(fr_top, sizeof(fr_top), "/tmp/netpki-fuzz-renewal-XXXXXX");
	if (mkdtemp(fr_top) == NULL)
		abort();
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fr_top, dirs[i]);
		if (mkdir(path, 0700) != 0)
			abort();
	}
	atexit(fr_cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct renew_state	 s;
	struct tp_pending	 p;
	struct store		*st = NULL;
	struct err		 e;
	EVP_PKEY		*k = NULL;
	X509			*x = NULL;

	if (fr_top[0] == '\0')
		fr_mkdirs();
	fr_put("renewal-general", data, size);
	fr_put("pending/general", data, size);
	fr_put("shadow-general.pem", data, size);
	fr_put("shadow-key-general.pem", data, size);
	if (store_open(&st, fr_top, &e) != 0)
		abort();
	if (renew_state_load(&s, st, "tp", TP_KIND_GENERAL, &e) == 0)
		(void)renew_when(&s, 1, NULL, 80);
	if (tp_pending_load(&p, st, "tp", TP_KIND_GENERAL, &e) == 0)
		tp_pending_clear(&p);
	if (tp_shadow_load(&x, st, "tp", TP_KIND_GENERAL, &e) == 0)
		(void)renew_activation(NULL, x);
	X509_free(x);
	if (renew_shadow_key_load(&k, st, "tp", TP_KIND_GENERAL, &e) == 0)
		EVP_PKEY_free(k);
	store_free(st);
	return 0;
}
