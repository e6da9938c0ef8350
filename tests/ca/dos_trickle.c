/*
 * dos_trickle: a slowloris client for netpki-ca's denial-of-service tests
 * and bench/ca-throughput.  It opens CONNS connections from SRC to
 * HOST:PORT, starts a request on each and then sends one more header
 * byte every INTERVAL milliseconds, never finishing; a connection the
 * server closes is opened again INTERVAL later with --reconnect.  After
 * DURATION milliseconds (or, without --reconnect, once the server has
 * closed them all, or on SIGTERM) it prints what the server did:
 *
 *   opened=N still_open=N closed=N closed_fast=N closed_slow=N
 *   held_min_ms=N held_max_ms=N
 *
 * closed_fast: closed within 500 ms of connecting (refused at accept);
 * held_*: how long the closed_slow ones were held.
 *
 *   dos_trickle HOST PORT SRC CONNS INTERVAL DURATION [--reconnect]
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRICKLE_MAX	4096
#define TRICKLE_HEAD	"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: x\r\n" \
			"X-Slow: "

struct trickle {
	int	 fd;		/* -1: closed, waiting to reconnect */
	long	 opened;	/* ms */
	long	 next;		/* ms: next byte, or next connect */
};

struct stats {
	int	 opened, closed, fast, slow;
	long	 held_min, held_max;
};

static volatile sig_atomic_t	 stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
trickle_open(const struct sockaddr_in *dst, const struct sockaddr_in *src)
{
	struct timeval	 tv = { 1, 0 };
	int		 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A server that stops accepting must not stall the others. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (const struct sockaddr *)src, sizeof(*src)) == -1 ||
	    connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == -1 ||
	    send(fd, TRICKLE_HEAD, strlen(TRICKLE_HEAD), MSG_NOSIGNAL) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
trickle_closed(struct trickle *t, struct stats *st, long now, long interval)
{
	long	 held = now - t->opened;

	close(t->fd);
	t->fd = -1;
	t->next = now + interval;
	st->closed++;
	if (held < 500) {
		st->fast++;
		return;
	}
	st->slow++;
	if (st->held_min < 0 || held < st->held_min)
		st->held_min = held;
	if (held > st->held_max)
		st->held_max = held;
}

/* Closes seen: one poll(2) over the open connections until a byte is due. */
static void
trickle_wait(struct trickle *t, int n, struct stats *st, long interval)
{
	struct pollfd	 pfd[TRICKLE_MAX];
	int		 map[TRICKLE_MAX];
	char		 buf[512];
	long		 now = now_ms(), wait = 100;
	ssize_t		 r;
	int		 i, k, np = 0;

	for (i = 0; i < n; i++) {
		if (t[i].next - now < wait)
			wait = t[i].next - now;
		if (t[i].fd == -1)
			continue;
		pfd[np].fd = t[i].fd;
		pfd[np].events = POLLIN;
		map[np++] = i;
	}
	if (poll(pfd, (nfds_t)np, wait > 0 ? (int)wait : 0) <= 0)
		return;
	now = now_ms();
	for (k = 0; k < np; k++)
		if (pfd[k].revents != 0 && ((r = recv(pfd[k].fd, buf,
		    sizeof(buf), 0)) == 0 || (r < 0 && errno != EAGAIN)))
			trickle_closed(&t[map[k]], st, now, interval);
}

/* Bytes due, reconnects due. */
static void
trickle_step(struct trickle *t, int n, struct stats *st, long interval,
    int reconnect, const struct sockaddr_in *dst,
    const struct sockaddr_in *src)
{
	long		 now = now_ms();
	int		 i;

	for (i = 0; i < n; i++) {
		if (now < t[i].next)
			continue;
		if (t[i].fd != -1) {
			if (send(t[i].fd, "a", 1, MSG_NOSIGNAL) == -1 &&
			    errno != EAGAIN)
				trickle_closed(&t[i], st, now, interval);
			else
				t[i].next = now + interval;
			continue;
		}
		if (!reconnect)
			continue;
		if ((t[i].fd = trickle_open(dst, src)) != -1) {
			st->opened++;
			t[i].opened = now_ms();
		}
		t[i].next = now + interval;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 dst, src;
	struct trickle		*t;
	struct stats		 st = { 0, 0, 0, 0, -1, 0 };
	long			 interval, end;
	int			 n, i, open, reconnect;

	if (argc < 7) {
		fprintf(stderr, "usage: dos_trickle HOST PORT SRC CONNS "
		    "INTERVAL_MS DURATION_MS [--reconnect]\n");
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	memset(&src, 0, sizeof(src));
	dst.sin_family = src.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &src.sin_addr) != 1) {
		fprintf(stderr, "dos_trickle: IPv4 addresses expected\n");
		return 2;
	}
	n = atoi(argv[4]);
	interval = atol(argv[5]);
	end = now_ms() + atol(argv[6]);
	reconnect = argc > 7 && strcmp(argv[7], "--reconnect") == 0;
	signal(SIGTERM, on_term);
	if (n < 1 || n > TRICKLE_MAX || interval < 1 ||
	    (t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		t[i].opened = now_ms();
		t[i].next = t[i].opened + interval;
		if ((t[i].fd = trickle_open(&dst, &src)) != -1)
			st.opened++;
	}
	do {
		trickle_wait(t, n, &st, interval);
		trickle_step(t, n, &st, interval, reconnect, &dst, &src);
		for (i = open = 0; i < n; i++)
			open += t[i].fd != -1;
	} while (!stop && now_ms() < end && (open > 0 || reconnect));
	/* Closes already on their way are not open connections. */
	if (stop)
		trickle_wait(t, n, &st, interval);
	printf("opened=%d still_open=%d closed=%d closed_fast=%d "
	    "closed_slow=%d held_min_ms=%ld held_max_ms=%ld\n", st.opened,
	    open, st.closed, st.fast, st.slow, st.held_min, st.held_max);
	for (i = 0; i < n; i++)
		if (t[i].fd != -1)
			close(t[i].fd);
	free(t);
	return 0;
}
