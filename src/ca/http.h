/*
 * http: netpki-ca's HTTP front (libmicrohttpd, thread pool): routes, the
 * request-size cap, timeouts and the one log line per request.
 */
#ifndef NETPKI_CA_HTTP_H
#define NETPKI_CA_HTTP_H

#include <stddef.h>

struct err;
struct http;
struct scep_server;

#define HTTP_BODYMAX		(64u * 1024)	/* request body cap */
#define HTTP_TIMEOUT		15		/* seconds idle per connection */
#define HTTP_MAXCONN		256

struct http_opts {
	const char	*listen;	/* "127.0.0.1:8080" ("[::1]:8080") */
	int		 threads;
};

/* Starts serving; *port is the bound port (useful with port 0). */
int	 http_start(struct http **, const struct scep_server *,
	    const struct http_opts *, int *, struct err *);
void	 http_stop(struct http *);

#endif
