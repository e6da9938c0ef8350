/*
 * Fuzz target: DIR/policy.conf (netpki-ca's request policy; a file the
 * administrator edits by hand).  Whatever parses must print as a policy
 * file that parses back to the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "err.h"
#include "policy.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy	*p, *q;
	struct err	 e;
	char		*t1 = NULL, *t2 = NULL;

	if ((p = malloc(sizeof(*p))) == NULL ||
	    (q = malloc(sizeof(*q))) == NULL) {
		free(p);
		return 0;
	}
	policy_default(q);
	if (policy_parse(p, (const char *)data, size, &e) == 0) {
		if ((t1 = policy_format(p)) == NULL)
			abort();
		if (policy_parse(q, t1, strlen(t1), &e) != 0) {
			fprintf(stderr, "printed policy does not parse: %s\n%s",
			    e.msg, t1);
			abort();
		}
		if ((t2 = policy_format(q)) == NULL || strcmp(t1, t2) != 0)
			abort();
	}
	free(t1);
	free(t2);
	policy_free(p);
	policy_free(q);
	free(p);
	free(q);
	return 0;
}
