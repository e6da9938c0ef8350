/*
 * throttle: failed-challenge throttling per source address for `serve`.
 *
 * An address that gets its challenge wrong `failures` times (failures
 * older than the cool-down are forgotten) is refused every PKIOperation
 * for `cooldown` seconds, the right challenge included, so guessing costs
 * a cool-down per `failures` guesses.  Only addresses that failed are
 * tracked, in a table of fixed size: when it is full the entry least
 * recently failed gives way, so a flood of source addresses costs no
 * memory (it only buys those addresses their own first guesses).
 *
 * IPv6 addresses count per /64 (one host usually holds a whole /64);
 * IPv4 (and IPv4-mapped IPv6) per address.  Time is an argument, so that
 * the caller's clock (clock_now, NETPKI_NOW) is the one that counts.
 * Thread-safe.
 */
#ifndef NETPKI_CA_THROTTLE_H
#define NETPKI_CA_THROTTLE_H

#include <stddef.h>
#include <time.h>

struct err;
struct sockaddr;
struct throttle;

/* A source address as the limits count it (see above). */
struct throttle_addr {
	unsigned char	 b[16];
};

#define THROTTLE_TABLE	4096	/* addresses tracked at most */

/* Unknown families (and NULL) all map to one address: ::. */
void	 throttle_addr_set(struct throttle_addr *, const struct sockaddr *);
int	 throttle_addr_eq(const struct throttle_addr *,
	    const struct throttle_addr *);

/* failures 0: never throttle (check always says go ahead). */
int	 throttle_new(struct throttle **, int, int, size_t, struct err *);
void	 throttle_free(struct throttle *);
/*
 * Before a PKIOperation: 0 to go ahead, else the seconds left of the
 * address's cool-down (at least 1); then *first is 1 for the cool-down's
 * first refusal (the one worth a log line), 0 for the others.
 */
long	 throttle_check(struct throttle *, const struct throttle_addr *,
	    time_t, int *);
/* A failed challenge: 1 when it starts a cool-down, else 0. */
int	 throttle_fail(struct throttle *, const struct throttle_addr *,
	    time_t);

#endif
