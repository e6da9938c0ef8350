/*
 * throttle (netpki-ca's failed-challenge throttling), with time as an
 * argument: N failures start a cool-down that refuses every request from
 * the address, logs once, and ends on time; old failures are forgotten;
 * addresses are counted apart (IPv6 per /64); a flood of addresses keeps
 * the table at its size and recycles its oldest entries.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "throttle.h"

/* An address as the server sees it: IPv4, or IPv6 when it has a colon. */
static struct throttle_addr
addr(const char *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct throttle_addr	 a;

	memset(&ss, 0, sizeof(ss));
	if (strchr(s, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	} else {
		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	}
	throttle_addr_set(&a, (struct sockaddr *)&ss);
	return a;
}

static void
test_cooldown(void **state)
{
	struct throttle		*t;
	struct throttle_addr	 a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct err		 e;
	int			 first;

	(void)state;
	assert_int_equal(throttle_new(&t, 3, 60, 16, &e), 0);
	assert_int_equal(throttle_fail(t, &a, 1000), 0);
	assert_int_equal(throttle_fail(t, &a, 1001), 0);
	assert_int_equal(throttle_check(t, &a, 1001, &first), 0);
	assert_int_equal(throttle_fail(t, &a, 1002), 1);
	/* Refused for 60 s, the first refusal marked for the log. */
	assert_int_equal(throttle_check(t, &a, 1002, &first), 60);
	assert_int_equal(first, 1);
	assert_int_equal(throttle_check(t, &a, 1030, &first), 32);
	assert_int_equal(first, 0);
	/* Another address is not concerned. */
	assert_int_equal(throttle_check(t, &b, 1030, &first), 0);
	/* Failures of requests already in flight do not renew it. */
	assert_int_equal(throttle_fail(t, &a, 1031), 0);
	assert_int_equal(throttle_check(t, &a, 1061, &first), 1);
	assert_int_equal(throttle_check(t, &a, 1062, &first), 0);
	/* A new cool-down after N more failures, logged again. */
	assert_int_equal(throttle_fail(t, &a, 1100), 0);
	assert_int_equal(throttle_fail(t, &a, 1101), 0);
	assert_int_equal(throttle_fail(t, &a, 1102), 1);
	assert_true(throttle_check(t, &a, 1103, &first) > 0);
	assert_int_equal(first, 1);
	throttle_free(t);
}

static void
test_forget(void **state)
{
	struct throttle		*t;
	struct throttle_addr	 a = addr("192.0.2.1");
	struct err		 e;
	int			 first;

	(void)state;
	assert_int_equal(throttle_new(&t, 3, 60, 16, &e), 0);
	assert_int_equal(throttle_fail(t, &a, 1000), 0);
	assert_int_equal(throttle_fail(t, &a, 1001), 0);
	/* A cool-down's length later, those two are forgotten. */
	assert_int_equal(throttle_fail(t, &a, 1061), 0);
	assert_int_equal(throttle_fail(t, &a, 1062), 0);
	assert_int_equal(throttle_check(t, &a, 1062, &first), 0);
	assert_int_equal(throttle_fail(t, &a, 1063), 1);
	throttle_free(t);
}

static void
test_addresses(void **state)
{
	struct throttle		*t;
	struct throttle_addr	 a = addr("2001:db8:1:2::1");
	struct throttle_addr	 same64 = addr("2001:db8:1:2:ffff::9");
	struct throttle_addr	 other64 = addr("2001:db8:1:3::1");
	struct throttle_addr	 mapped = addr("::ffff:192.0.2.1");
	struct throttle_addr	 mapped2 = addr("::ffff:192.0.2.2");
	struct throttle_addr	 four = addr("192.0.2.1");
	struct err		 e;
	int			 first;

	(void)state;
	assert_true(throttle_addr_eq(&a, &same64));
	assert_false(throttle_addr_eq(&a, &other64));
	/* IPv4 and IPv4-mapped IPv6 are the same address, not one /64. */
	assert_true(throttle_addr_eq(&mapped, &four));
	assert_false(throttle_addr_eq(&mapped, &mapped2));
	assert_int_equal(throttle_new(&t, 1, 60, 16, &e), 0);
	assert_int_equal(throttle_fail(t, &a, 1000), 1);
	assert_true(throttle_check(t, &same64, 1000, &first) > 0);
	assert_int_equal(throttle_check(t, &other64, 1000, &first), 0);
	throttle_free(t);
}

static void
test_flood(void **state)
{
	struct throttle		*t;
	struct throttle_addr	 a;
	struct err		 e;
	char			 s[32];
	int			 i, first;

	(void)state;
	assert_int_equal(throttle_new(&t, 2, 60, 8, &e), 0);
	/* 1000 addresses fail once within 50 s: the table stays at 8. */
	for (i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "10.0.%d.%d", i / 256, i % 256);
		a = addr(s);
		assert_int_equal(throttle_fail(t, &a, 1000 + i / 20), 0);
	}
	/* The newest are still remembered, the oldest were recycled. */
	a = addr("10.0.3.231");		/* i = 999 */
	assert_int_equal(throttle_fail(t, &a, 1050), 1);
	assert_true(throttle_check(t, &a, 1050, &first) > 0);
	a = addr("10.0.0.0");		/* i = 0, failed at 1000 */
	assert_int_equal(throttle_fail(t, &a, 1050), 0);
	throttle_free(t);
}

static void
test_off(void **state)
{
	struct throttle		*t;
	struct throttle_addr	 a = addr("192.0.2.1");
	struct err		 e;
	int			 i, first;

	(void)state;
	assert_int_equal(throttle_new(&t, 0, 60, 8, &e), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(throttle_fail(t, &a, 1000), 0);
	assert_int_equal(throttle_check(t, &a, 1000, &first), 0);
	throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
