/*
 * keyproc: netpki-ca serve's key process (acme-client's keyproc is the
 * model).  serve forks it first, before any thread exists and before it
 * reads anything: the child loads DIR/ca.key (and the RA keys), stops
 * being dumpable, drops to nobody when it runs as root, closes every other
 * descriptor and answers sign and decrypt requests (keyop.h) on one
 * connection per worker thread, one thread each.  The network process
 * loads only the certificates and uses remote keys: it never maps a key.
 *
 * The child ignores SIGINT, SIGTERM and SIGHUP (serve finishes its
 * requests first) and exits when serve closes the connections or dies.
 */
#ifndef NETPKI_CA_KEYPROC_H
#define NETPKI_CA_KEYPROC_H

#include <sys/types.h>

#include <stddef.h>

struct ca;
struct err;

#define KEYPROC_USER		"nobody"	/* when serve runs as root */
#define KEYPROC_SLOT_CA		0
#define KEYPROC_SLOT_RA_SIGN	1
#define KEYPROC_SLOT_RA_ENC	2
/* CA generation n > 1 (rollover), n <= CA_GENMAX: slots 3 to 7. */
#define KEYPROC_SLOT_GEN(n)	(KEYPROC_SLOT_RA_ENC + (n) - 1)
#define KEYPROC_CONN_MAX	128

/*
 * Start the key process for DIR with nconn connections and load the CA
 * (certificates here, keys there) into *ca, whose keys are remote.
 * *pid: the key process, for keyproc_wait after ca_free.
 */
int	 keyproc_ca_load(struct ca **, pid_t *, const char *, size_t,
	    struct err *);
/* Reap the key process (it exits once ca_free closed its connections). */
void	 keyproc_wait(pid_t);

#endif
