/*
 * Fuzz target: the agent's alarm memory (DIR/alarms, expiry.h), a state
 * file that disk damage or a hand edit may leave in any shape.  Whatever
 * it holds loads within its caps, each certificate once.
 */
#include <stdint.h>
#include <stdlib.h>

#include "err.h"
#include "expiry.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expiry_memo	*m = NULL;
	struct err		 e;

	if (size > EXPIRY_MEMOMAX)
		return 0;
	if (expiry_memo_parse(&m, (const char *)data, size, &e) != 0)
		return 0;
	if (expiry_memo_count(m) > size / 4)
		abort();	/* no entry without its bytes */
	expiry_memo_free(m);
	return 0;
}
