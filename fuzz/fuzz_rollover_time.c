/*
 * Fuzz target: netpki-ca rollover --at (ca_rollover_time).  A UTC time
 * that parses prints back as the same text; "+N" stays within its bound
 * after now.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	1800000000
#define FUZZ_AHEAD	(3660L * 86400)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 s[64], back[32];
	struct tm	 tm;
	time_t		 t;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ca_rollover_time(&t, s, FUZZ_NOW) != 0)
		return 0;
	if (s[0] == '+') {
		if (t < FUZZ_NOW || t > FUZZ_NOW + FUZZ_AHEAD)
			abort();
		return 0;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(back, sizeof(back), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		abort();
	if (strcmp(back, s) != 0)
		abort();
	return 0;
}
