/*
 * http: netpki-ca's HTTP front (libmicrohttpd, thread pool): routes, the
 * request-size cap, timeouts and the one log line per request; the limits
 * that keep it answering under abuse (connections per address, a reserve
 * of the global cap, a deadline for the whole request, failed-challenge
 * throttling), GET /metrics and GET /healthz.
 */
#ifndef NETPKI_CA_HTTP_H
#define NETPKI_CA_HTTP_H

#include <stddef.h>

struct err;
struct http;
struct scep_server;

#define HTTP_BODYMAX		(64u * 1024)	/* request body cap */
#define HTTP_TIMEOUT		15		/* seconds idle per connection */

/* serve's limits (man netpki-ca, LIMITS); http_limits_init's defaults. */
struct http_limits {
	int	 max_conn;		/* connections at once */
	int	 max_conn_per_ip;	/* per address (IPv6: per /64) */
	int	 request_timeout;	/* seconds for a whole request */
	int	 challenge_failures;	/* before a cool-down; 0: never */
	int	 challenge_cooldown;	/* seconds */
};

#define HTTP_MAXCONN		256
#define HTTP_MAXCONN_PER_IP	16
#define HTTP_REQUEST_TIMEOUT	30
#define HTTP_CHALLENGE_FAILURES	5
#define HTTP_CHALLENGE_COOLDOWN	60

void	 http_limits_init(struct http_limits *);

/*
 * Bind and listen on "127.0.0.1:8080" or "[::1]:8080" (port 0: any free
 * port); *port is the bound port, known before serving starts so that
 * issued certificates can name it in their CRL distribution point.
 */
int	 http_listen(int *, int *, const char *, struct err *);
/*
 * Serve on the listening socket (http_stop closes it) with that many
 * workers (0: two per CPU) and those limits (NULL: the defaults).
 */
int	 http_start(struct http **, const struct scep_server *, int, int,
	    const struct http_limits *, struct err *);
/*
 * EST (est_server.h) over HTTPS on a second listening socket (from
 * http_listen), after http_start: the server's certificate (chain) and
 * key as PEM.  Client certificates are asked for, not required; TLS 1.2
 * and 1.3 only.
 */
struct est_server;
#define HTTP_TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
int	 http_est_start(struct http *, const struct est_server *, int,
	    const char *, const char *, struct err *);
/* The default number of workers. */
int	 http_workers(void);
void	 http_stop(struct http *);

#endif
