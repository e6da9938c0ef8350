/*
 * enroll: an SCEP enrollment in flight, outside any prompt: what the agent
 * needs to poll a pending request when no shell waits on it.  The shell's
 * interactive enrollment (src/cli/cmd_trustpoint.c) uses the same
 * trustpoint, pending-request and SCEP exchange calls.
 */
#ifndef NETPKI_ENROLL_H
#define NETPKI_ENROLL_H

#include <openssl/x509.h>

#include "fetch.h"
#include "scep_client.h"
#include "trustpoint.h"

struct config;
struct err;
struct store;

struct enroll_ctx {
	struct store		*st;		/* borrowed */
	struct trustpoint	*tp;
	struct tp_certs		 certs;
	struct fetch_opts	 fo;
	unsigned		 caps;		/* GetCACaps, once fetched */
	int			 have_caps;
	STACK_OF(X509)		*trusted;	/* CA and RA: may sign CertReps */
};

/* Load an authenticated SCEP trustpoint; ERR_NOTFOUND when it is not one. */
int	 enroll_open(struct enroll_ctx *, struct store *, const struct config *,
	    const char *, struct err *);
void	 enroll_close(struct enroll_ctx *);

/*
 * One CertPoll for the pending request of kind.  0: the certificate is
 * stored and the request forgotten; ERR_PENDING: still pending;
 * ERR_REFUSED: the CA said FAILURE (the request is forgotten; the message
 * names failInfo); others: transport or protocol errors (the request
 * stays).  *weak is set to a description of a weak algorithm the CA used
 * in its reply, or NULL.
 */
int	 enroll_poll_once(struct enroll_ctx *, enum tp_kind, const char **,
	    struct err *);

#endif
