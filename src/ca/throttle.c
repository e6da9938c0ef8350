/*
 * throttle: a fixed table of the addresses that recently failed their
 * challenge.  It is small and only touched by PKIOperations, so a linear
 * scan under one mutex costs less than the RSA operations around it.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "throttle.h"

struct throttle_ent {
	struct throttle_addr	 addr;
	int			 fails;		/* since the last cool-down */
	int			 logged;	/* this cool-down's refusal */
	time_t			 last;		/* last failure */
	time_t			 until;		/* end of the cool-down */
};

struct throttle {
	pthread_mutex_t		 mu;
	int			 failures, cooldown;
	size_t			 cap, n;
	struct throttle_ent	*ent;
};

void
throttle_addr_set(struct throttle_addr *a, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(a, 0, sizeof(*a));
	if (sa != NULL && sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &sin->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(a->b, &sin6->sin6_addr, 16);
		if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			memset(a->b + 8, 0, 8);		/* the /64 */
	}
}

int
throttle_addr_eq(const struct throttle_addr *a, const struct throttle_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

int
throttle_new(struct throttle **out, int failures, int cooldown, size_t cap,
    struct err *e)
{
	struct throttle	*t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ent = calloc(cap > 0 ? cap : 1, sizeof(*t->ent))) == NULL) {
		free(t);
		return err_nomem(e);
	}
	pthread_mutex_init(&t->mu, NULL);
	t->failures = failures;
	t->cooldown = cooldown;
	t->cap = cap > 0 ? cap : 1;
	*out = t;
	return 0;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->ent);
	free(t);
}

/* Nothing left to remember: no cool-down, failures all forgotten. */
static int
throttle_stale(const struct throttle *t, const struct throttle_ent *x,
    time_t now)
{
	return x->until <= now && x->last + t->cooldown <= now;
}

static struct throttle_ent *
throttle_find(struct throttle *t, const struct throttle_addr *a)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (throttle_addr_eq(&t->ent[i].addr, a))
			return &t->ent[i];
	return NULL;
}

/* A slot for a: a new one, a stale one, or the least recent failure's. */
static struct throttle_ent *
throttle_slot(struct throttle *t, const struct throttle_addr *a, time_t now)
{
	struct throttle_ent	*x = NULL;
	size_t			 i;

	if (t->n < t->cap)
		x = &t->ent[t->n++];
	else
		for (i = 0; i < t->n; i++) {
			if (throttle_stale(t, &t->ent[i], now)) {
				x = &t->ent[i];
				break;
			}
			if (x == NULL || t->ent[i].last < x->last)
				x = &t->ent[i];
		}
	memset(x, 0, sizeof(*x));
	x->addr = *a;
	return x;
}

long
throttle_check(struct throttle *t, const struct throttle_addr *a, time_t now,
    int *first)
{
	struct throttle_ent	*x;
	long			 left = 0;

	*first = 0;
	if (t->failures == 0)
		return 0;
	pthread_mutex_lock(&t->mu);
	if ((x = throttle_find(t, a)) != NULL && x->until > now) {
		left = (long)(x->until - now);
		*first = !x->logged;
		x->logged = 1;
	}
	pthread_mutex_unlock(&t->mu);
	return left;
}

int
throttle_fail(struct throttle *t, const struct throttle_addr *a, time_t now)
{
	struct throttle_ent	*x;
	int			 started = 0;

	if (t->failures == 0)
		return 0;
	pthread_mutex_lock(&t->mu);
	if ((x = throttle_find(t, a)) == NULL)
		x = throttle_slot(t, a, now);
	else if (x->last + t->cooldown <= now)
		x->fails = 0;		/* old failures are forgotten */
	x->last = now;
	/* Failures of requests let in before a cool-down began do not renew it. */
	if (x->until <= now && ++x->fails >= t->failures) {
		x->until = now + t->cooldown;
		x->fails = 0;
		x->logged = 0;
		started = 1;
	}
	pthread_mutex_unlock(&t->mu);
	return started;
}
