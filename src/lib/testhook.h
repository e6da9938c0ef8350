/*
 * testhook: the test-only knobs, in one place.
 *
 * Tests move the clock (NETPKI_NOW), swap the built-in trust pool bundle
 * (NETPKI_BUILTIN_BUNDLE) and shorten the enrollment retry minute
 * (NETPKI_MINUTE) through the environment.  Those variables are read only
 * when this file is compiled with NETPKI_TEST_HOOKS (meson -Dtest_hooks=true,
 * which `make` sets); the installed binaries are built without it, so there
 * testhook_get always answers NULL and the names are not even in the binary.
 * Only testhook.c is compiled both ways: every other object is the same in a
 * test build and a release build.
 */
#ifndef NETPKI_TESTHOOK_H
#define NETPKI_TESTHOOK_H

enum testhook {
	TESTHOOK_NOW,		/* seconds since the epoch: clock_now() */
	TESTHOOK_BUILTIN_BUNDLE, /* PEM file: the built-in trust pool */
	TESTHOOK_MINUTE,	/* ms: the enrollment retry period's minute */
	TESTHOOK_CRASH,		/* a kill point's name: testhook_crash() */
};

/* The knob's value, or NULL when unset, empty or compiled out. */
const char	*testhook_get(enum testhook);
/*
 * A kill point: when NETPKI_TEST_CRASH names point, the process kills
 * itself there with SIGKILL (crash-safety tests: kill -9 at a named step).
 * Compiled out, it does nothing.
 */
void		 testhook_crash(const char *);

#endif
