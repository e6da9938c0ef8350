/*
 * fetch: every URL the device opens (http, https, tftp, ldap, file) goes
 * through libcurl here, with size caps, timeouts, VRF binding and proxy.
 */
#ifndef NETPKI_FETCH_H
#define NETPKI_FETCH_H

#include <stddef.h>

#include <openssl/types.h>

struct buf;

struct err;

#define FETCH_MAXDEFAULT	(1024u * 1024)	/* 1 MiB, SCEP responses */

struct fetch_opts {
	const char	*vrf;		/* bind to this device (SO_BINDTODEVICE) */
	const char	*proxy;		/* "host:port" HTTP proxy, or NULL */
	const char	*ca_pem;	/* PEM trust anchors for https, or NULL */
	size_t		 ca_pem_len;
	/*
	 * The same anchors parsed once (transport_opts()), or NULL: with it,
	 * ca_pem may hold only a subset, and every TLS connection uses this
	 * store instead of parsing ca_pem again.
	 */
	X509_STORE	*ca_store;
	const char	*content_type;	/* request body type (POST/PUT) */
	size_t		 maxsize;	/* response cap; 0 = FETCH_MAXDEFAULT */
	long		 connect_timeout; /* seconds; 0 = 10 */
	long		 timeout;	/* seconds; 0 = 60 */
};

struct fetch_result {
	long		 status;	/* HTTP status, 0 for non-HTTP */
	char		*body;		/* NUL-terminated copy of the body */
	size_t		 len;		/* body length, without the NUL */
	char		 content_type[128]; /* response Content-Type, or "" */
	char		 scheme[16];	/* lower case: what was really used,
					   after redirects ("http", "https") */
	/* fetch_http only: */
	char		 retry_after[64]; /* the final response's Retry-After */
	struct stack_st_X509 *peer_chain; /* with fetch_http.unverified */
};

/* 1 when the transport that delivered a result protects its integrity. */
int	 fetch_integrity(const struct fetch_result *);

int	 fetch_get(struct fetch_result *, const char *,
	    const struct fetch_opts *, struct err *);
/*
 * fetch_get with the caller's options (NULL: the defaults) but the
 * response cap of the document fetched (a CRL, a trust pool bundle) and,
 * when not 0, its timeout in seconds.
 */
int	 fetch_get_max(struct fetch_result *, const char *,
	    const struct fetch_opts *, size_t, long, struct err *);
int	 fetch_post(struct fetch_result *, const char *, const void *, size_t,
	    const struct fetch_opts *, struct err *);
int	 fetch_put(const char *, const void *, size_t,
	    const struct fetch_opts *, struct err *);
/*
 * The host part of a URL as libcurl reads it (an IPv6 literal without its
 * brackets), for checking a server certificate against it.
 */
int	 fetch_url_host(char *, size_t, const char *, struct err *);
/* The PEM certificates a TLS server presents (https only, unverified). */
int	 fetch_peer_chain_pem(char **, size_t *, const char *,
	    const struct fetch_opts *, struct err *);
/*
 * An HTTP(S) request with what EST (RFC 7030) needs beyond fetch_get and
 * fetch_post: HTTP basic credentials, a TLS client certificate whose key
 * comes from the key seam (keyop.h; installed with SSL_CTX_use_PrivateKey,
 * never copied), TLS capped at 1.2, a body built on the connection that
 * carries it (body_cb sees its SSL after the handshake: the tls-unique
 * channel binding, RFC 7030 3.5), the Retry-After header, no redirects
 * followed, and any HTTP status returned to the caller (r->status).
 * unverified: bootstrap only (RFC 7030 4.1.1): the server is not
 * verified, its chain comes back in r->peer_chain for the caller to judge.
 */
struct fetch_http {
	const void	*body;		/* POST body, or NULL (GET unless
					   body_cb is set) */
	size_t		 len;
	const char	*content_type;	/* of the body */
	const char	*user;		/* HTTP basic: user and password, */
	const char	*password;	/* or NULL */
	X509		*client_cert;	/* TLS client certificate, its key */
	EVP_PKEY	*client_key;	/* (borrowed), or NULL */
	struct stack_st_X509 *client_chain; /* sent after it, or NULL */
	int		 tls12;		/* at most TLS 1.2 */
	int		 unverified;
	/* POST body made on the request's own connection (ssl NULL: no TLS). */
	int		(*body_cb)(void *, SSL *, struct buf *, struct err *);
	void		*arg;
};
int	 fetch_http(struct fetch_result *, const char *,
	    const struct fetch_http *, const struct fetch_opts *,
	    struct err *);
void	 fetch_result_free(struct fetch_result *);
char	*fetch_escape(const char *, size_t);
int	 fetch_vrf_check(const char *, struct err *);

#endif
