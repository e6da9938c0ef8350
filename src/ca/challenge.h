/*
 * challenge: one-time enrollment challenges (`netpki-ca challenge`).
 *
 * A challenge is "ID-SECRET" (16 and 32 uppercase hex digits): the ID
 * finds its row, the secret is checked against the row's salted SHA-256,
 * so the store never holds a usable secret.  A challenge may be bound to one
 * subject or to CNs matching a glob, expires, and has a number of uses;
 * a use is taken atomically (one UPDATE) when a certificate is issued or
 * a request is queued for approval, so two `serve` instances sharing
 * PostgreSQL cannot both issue on the last use.
 */
#ifndef NETPKI_CA_CHALLENGE_H
#define NETPKI_CA_CHALLENGE_H

#include <time.h>

#include <openssl/x509.h>

#include "db.h"

struct err;

#define CHALLENGE_IDLEN		16	/* hex digits */
#define CHALLENGE_SECRETLEN	32	/* hex digits: 128 bits */
#define CHALLENGE_LEN		(CHALLENGE_IDLEN + 1 + CHALLENGE_SECRETLEN)
#define CHALLENGE_TTL		3600	/* default --ttl */
#define CHALLENGE_TTLMAX	(366 * 86400)
#define CHALLENGE_USESMAX	100000

struct challenge_opts {
	const char	*subject;	/* bound to this DN, or NULL */
	const char	*cn;		/* or to CNs matching this glob */
	int		 ttl;		/* seconds */
	int		 uses;
};

/*
 * Make and store a challenge; out (at least CHALLENGE_LEN + 1 bytes)
 * receives the text to hand to the device, c (when not NULL) the row.
 */
int	 challenge_new(char *, struct db_challenge *, struct db *,
	    const struct challenge_opts *, struct err *);
/* "90s", "15m", "1h", "7d" -> seconds; -1 when malformed or too long. */
int	 challenge_ttl(const char *);
/* Has pw the form of a one-time challenge?  *id: its ID. */
int	 challenge_form(const char *, char *, size_t);
/*
 * Does pw open the store's challenge for this subject?  consume: take a
 * use now (ERR_REFUSED when none is left, it expired or was revoked);
 * otherwise only the secret, the binding and revocation count (a
 * resend of the request that used it up).  0 yes; ERR_REFUSED no, with
 * *e saying why; other codes: the store did not answer.
 */
int	 challenge_check(struct db *, const char *, X509_NAME *, int,
	    struct err *);
/* Give a taken use back (the certificate could not be stored). */
void	 challenge_release(struct db *, const char *);

#endif
