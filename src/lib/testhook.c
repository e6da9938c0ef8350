/*
 * testhook: compiled twice (see testhook.h and src/lib/meson.build), with
 * and without NETPKI_TEST_HOOKS.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "testhook.h"

#ifdef NETPKI_TEST_HOOKS
const char *
testhook_get(enum testhook h)
{
	static const char *const	 names[] = {
		[TESTHOOK_NOW] = "NETPKI_NOW",
		[TESTHOOK_BUILTIN_BUNDLE] = "NETPKI_BUILTIN_BUNDLE",
		[TESTHOOK_MINUTE] = "NETPKI_MINUTE",
		[TESTHOOK_CRASH] = "NETPKI_TEST_CRASH",
	};
	const char			*s;

	if ((size_t)h >= sizeof(names) / sizeof(names[0]) ||
	    (s = getenv(names[h])) == NULL || *s == '\0')
		return NULL;
	return s;
}

void
testhook_crash(const char *point)
{
	const char	*s = testhook_get(TESTHOOK_CRASH);

	if (s != NULL && strcmp(s, point) == 0)
		raise(SIGKILL);
}
#else
const char *
testhook_get(enum testhook h)
{
	(void)h;
	return NULL;
}

void
testhook_crash(const char *point)
{
	(void)point;
}
#endif
