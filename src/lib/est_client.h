/*
 * est_client: EST (RFC 7030) operations over fetch_http (fetch.h): how a
 * request reaches an EST server and what its answer means.  The messages
 * are est_msg.c's; the enrollment state machine is enroll.c's
 * (enroll_est.c is EST's protocol table).
 */
#ifndef NETPKI_EST_CLIENT_H
#define NETPKI_EST_CLIENT_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "est_msg.h"

struct err;
struct fetch_opts;

/* What every request to one EST server carries; all borrowed. */
struct est_conn {
	const char		*base;		/* the trustpoint's EST URL */
	const char		*label;		/* or NULL */
	const struct fetch_opts	*fo;		/* VRF, proxy, anchors */
	const char		*user;		/* HTTP basic, or NULL */
	const char		*password;
	X509			*cert;		/* TLS client certificate */
	EVP_PKEY		*key;		/* its key (keyop), or NULL */
	STACK_OF(X509)		*chain;		/* its CA chain, or NULL */
};

/*
 * GET /cacerts (RFC 7030 4.1).  The server is first checked against the
 * anchors of conn->fo (the trust pool): *implicit = 1, RFC 7030 4.1.1's
 * implicit trust anchor.  A server they do not vouch for is asked again
 * without verification (bootstrap, *implicit = 0): its TLS chain must
 * then be issued by the certificates it sent, and the caller has the
 * operator accept them.  Caller frees *out.
 */
int	 est_cacerts(STACK_OF(X509) **, int *, const struct est_conn *,
	    struct err *);
/* GET /csrattrs (RFC 7030 4.5); 404/501: nothing asked. */
int	 est_csrattrs(struct est_csrattrs *, const struct est_conn *,
	    struct err *);

/* Builds the request on the connection that will carry it (ssl). */
typedef int (*est_csr_fn)(void *, SSL *, X509_REQ **, struct err *);
/*
 * POST /simpleenroll or /simplereenroll (op) with the request csr_fn
 * makes.  0 with *certs (the certs-only reply, the caller picks and
 * checks its certificate); ERR_PENDING for 202 (*retry: Retry-After in
 * seconds, -1 when absent or malformed); ERR_REFUSED with *ca_said_no = 1
 * for a 4xx answer; ERR_NET for what a later attempt may get past (5xx,
 * the network); others: the exchange broke a rule.
 */
int	 est_enroll(STACK_OF(X509) **, long *, int *, const struct est_conn *,
	    const char *, est_csr_fn, void *, struct err *);

/*
 * POST /serverkeygen (RFC 7030 4.4): the server generates the key pair;
 * the request (from csr_fn, signed with any key: the server ignores it)
 * only names the subject.  0 with *key and *certs (the caller checks that
 * they belong together); a 202 is ERR_PENDING (not polled: the reply
 * would carry a private key to a request that is not kept).
 */
int	 est_serverkeygen(EVP_PKEY **, STACK_OF(X509) **,
	    const struct est_conn *, est_csr_fn, void *, struct err *);

#endif
