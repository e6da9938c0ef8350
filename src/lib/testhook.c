/*
 * testhook: compiled twice (see testhook.h and src/lib/meson.build), with
 * and without NETPKI_TEST_HOOKS.
 */
#include <stddef.h>
#include <stdlib.h>

#include "testhook.h"

#ifdef NETPKI_TEST_HOOKS
const char *
testhook_get(enum testhook h)
{
	static const char *const	 names[] = {
		[TESTHOOK_NOW] = "NETPKI_NOW",
		[TESTHOOK_BUILTIN_BUNDLE] = "NETPKI_BUILTIN_BUNDLE",
		[TESTHOOK_MINUTE] = "NETPKI_MINUTE",
	};
	const char			*s;

	if ((size_t)h >= sizeof(names) / sizeof(names[0]) ||
	    (s = getenv(names[h])) == NULL || *s == '\0')
		return NULL;
	return s;
}
#else
const char *
testhook_get(enum testhook h)
{
	(void)h;
	return NULL;
}
#endif
