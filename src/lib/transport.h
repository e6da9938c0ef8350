/*
 * transport: what every connection of a trustpoint or of the trust pool
 * carries besides its URL (issue 8):
 *   - the VRF: the trustpoint's (or the pool policy's) `vrf NAME`, a
 *     Linux VRF master device or any interface; fetch binds to it;
 *   - the HTTP proxy: the global `crypto ca http-proxy HOST port PORT`,
 *     used for http and https URLs only;
 *   - for https: the trust anchors, as PEM for fetch_opts.ca_pem: the
 *     trust pool's active certificates (the reference text: the pool
 *     authenticates "sessions such as HTTPS") and the trustpoint's own CA
 *     chain.  libcurl's system store is never used.
 */
#ifndef NETPKI_TRANSPORT_H
#define NETPKI_TRANSPORT_H

#include <stddef.h>

struct config;
struct err;
struct fetch_opts;
struct store;

#define TRANSPORT_PROXY_KEY	"crypto ca http-proxy"
#define TRANSPORT_HOSTMAX	255	/* proxy host name */

/*
 * The configured proxy as libcurl takes it ("host:port", IPv6 in
 * brackets), or *out = NULL when none.  Caller frees.
 */
int		 transport_proxy(char **, const struct config *, struct err *);
/* Syntax check of a proxy host: a host name, IPv4 or IPv6 address. */
int		 transport_host_ok(const char *);

/*
 * The https trust anchors: the pool's active certificates (built-in and
 * downloaded, from st) and, when tpname is not NULL, the trustpoint's
 * ca.pem chain.  *pem is NUL-terminated; caller frees.  ERR_NOTFOUND when
 * there is not a single anchor.
 */
int		 transport_anchors(char **, size_t *, struct store *,
		    const char *, struct err *);

/* 1 when a URL needs TLS trust anchors (https, ldaps). */
int		 transport_url_tls(const char *);

/*
 * Fill *fo for connections to url (NULL: any URL, anchors always built)
 * of trustpoint tpname (NULL: the trust pool): vrf (borrowed, may be
 * NULL; not for a file:// url, which no VRF applies to), the proxy
 * from c, and the anchors when url needs TLS (ca_store with all of them,
 * ca_pem with the first).  proxy, ca_pem and ca_store
 * are owned by *fo until transport_opts_clear(); the other fields are
 * left as the caller set them.
 */
int		 transport_opts(struct fetch_opts *, const struct config *,
		    struct store *, const char *, const char *, const char *,
		    struct err *);
/* Free what transport_opts allocated; fo may be NULL or empty. */
void		 transport_opts_clear(struct fetch_opts *);

#endif
