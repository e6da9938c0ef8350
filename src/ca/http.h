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

/*
 * Bind and listen on "127.0.0.1:8080" or "[::1]:8080" (port 0: any free
 * port); *port is the bound port, known before serving starts so that
 * issued certificates can name it in their CRL distribution point.
 */
int	 http_listen(int *, int *, const char *, struct err *);
/* Serve on the listening socket (http_stop closes it). */
int	 http_start(struct http **, const struct scep_server *, int, int,
	    struct err *);
void	 http_stop(struct http *);

#endif
