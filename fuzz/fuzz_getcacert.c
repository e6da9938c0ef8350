/*
 * fuzz_getcacert: the GetCACert response parser and the CA/RA selection
 * (scep_cacert_parse, scep_cacert_check) on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "scep_client.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scep_cacert	 c;
	struct err		 e;
	unsigned		 caps;

	if (scep_cacert_parse(&c, data, size, NULL, &e) == 0) {
		(void)scep_cacert_check(&c, 1700000000, &e);
		scep_cacert_clear(&c);
	}
	/* The same bytes as a GetCACaps body. */
	(void)scep_caps_parse(&caps, (const char *)data, size, &e);
	return 0;
}
