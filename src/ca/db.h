/*
 * db: the CA's store of requests, certificates and revocations.
 *
 * The interface is narrow on purpose (rows in, rows out, no SQL in the
 * callers) so that a PostgreSQL backend for several `netpki-ca serve`
 * instances sharing one database can sit beside the SQLite one.  The
 * schema needs no single writer: serials are random and a UNIQUE
 * constraint refuses a collision (the caller draws again); the CRL number
 * is taken inside a transaction.  Every call that changes something has
 * committed durably (SQLite: WAL, synchronous=FULL; PostgreSQL: a COMMIT
 * with the server's synchronous_commit) when it returns.
 *
 * The backend is chosen by db_open's argument: a file path (SQLite) or a
 * postgresql:// URI (db_pg.c: several servers may share the database).
 *
 * One struct db per thread: a connection is not shared between threads.
 */
#ifndef NETPKI_CA_DB_H
#define NETPKI_CA_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;
struct db;

/* Request states. */
#define DB_PENDING	"pending"
#define DB_ISSUED	"issued"
#define DB_REJECTED	"rejected"

struct db_request {
	int64_t		 id;
	char		 transid[129];
	int		 msgtype;	/* SCEP_MT_PKCSREQ or _RENEWALREQ */
	char		 state[16];	/* DB_PENDING, DB_ISSUED, DB_REJECTED */
	char		*subject;	/* RFC 4514-style text */
	unsigned char	*csr;		/* PKCS#10 DER */
	size_t		 csr_len;
	char		 serial[48];	/* issued: uppercase hex, else "" */
	/*
	 * hex SHA-256 of the stored request and the certificate that signed
	 * its message: a resend is this same pair ("" before schema 1).
	 */
	char		 reqhash[65];
	time_t		 created, updated;
};

struct db_cert {
	char		 serial[48];	/* uppercase hex, as openssl prints */
	char		*subject;
	time_t		 not_before, not_after, issued;
	time_t		 revoked;	/* 0: not revoked */
	int		 reason;	/* CRL reason code when revoked */
	int64_t		 request_id;	/* 0: none (sign-csr) */
	int		 gen;		/* CA generation that issued it (0: 1) */
	unsigned char	*der;
	size_t		 der_len;
};

/* 1 when the string is a PostgreSQL URI (postgresql:// or postgres://). */
int	 db_uri(const char *);
/*
 * A file path or a URI; a URI with a password is refused (DIR/database
 * would hold it: libpq reads it from PGPASSFILE or ~/.pgpass instead).
 */
int	 db_open(struct db **, const char *, struct err *);
void	 db_close(struct db *);

/* Insert a request; *id is its new ID. */
int	 db_request_add(struct db *, const struct db_request *, int64_t *,
	    struct err *);
/* The newest request with this transactionID: 0, or ERR_NOTFOUND. */
int	 db_request_by_transid(struct db *, const char *, struct db_request *,
	    struct err *);
int	 db_request_by_id(struct db *, int64_t, struct db_request *,
	    struct err *);
/* The newest request with this reqhash (a resend): 0, or ERR_NOTFOUND. */
int	 db_request_by_reqhash(struct db *, const char *, struct db_request *,
	    struct err *);
/*
 * Pending -> rejected.  ERR_NOTFOUND when there is no such request,
 * ERR_BUSY when it is not pending (any more).
 */
int	 db_request_reject(struct db *, int64_t, struct err *);
typedef int (*db_request_cb)(const struct db_request *, void *);
int	 db_request_list(struct db *, int, db_request_cb, void *,
	    struct err *);
void	 db_request_clear(struct db_request *);

/*
 * Store an issued certificate in one transaction with its request: req
 * NULL (sign-csr), req->id 0 (a new request, stored as issued: automatic
 * approval), or the ID of a pending request, which becomes issued.
 * ERR_EXISTS when the serial is already taken (draw another); ERR_BUSY
 * when the request is no longer pending (issued or rejected meanwhile).
 * On success with a new request, *id (when not NULL) is its ID.
 */
int	 db_cert_add(struct db *, const struct db_cert *,
	    const struct db_request *, int64_t *, struct err *);
/*
 * Group commit for `serve`: the group's own thread commits every row
 * queued while its previous COMMIT was being written, in one transaction
 * (one fsync).  Each row sits in its own savepoint, so one row's failure
 * (a serial collision) does not undo the others.  db_group_new takes the
 * connection.
 *
 * db_group_submit queues a row and returns at once, so the caller can
 * build its reply while the row goes to the disk; c and req must stay
 * valid until db_group_wait, which returns once the row is durable (or
 * failed) with the same contract as db_cert_add, and frees the ticket.
 * Nothing that depends on the row may leave the process before then.
 */
struct db_group;
struct db_pending;
int	 db_group_new(struct db_group **, struct db *, struct err *);
void	 db_group_free(struct db_group *);
int	 db_group_submit(struct db_group *, const struct db_cert *,
	    const struct db_request *, struct db_pending **, struct err *);
int	 db_group_wait(struct db_group *, struct db_pending *, int64_t *,
	    struct err *);
int	 db_cert_by_serial(struct db *, const char *, struct db_cert *,
	    struct err *);
typedef int (*db_cert_cb)(const struct db_cert *, void *);
/* All certificates (revoked_only: those revoked), oldest first. */
int	 db_cert_list(struct db *, int, db_cert_cb, void *, struct err *);
/* ERR_NOTFOUND, or ERR_EXISTS when already revoked. */
int	 db_cert_revoke(struct db *, const char *, time_t, int,
	    struct err *);
void	 db_cert_clear(struct db_cert *);
/*
 * How many certificates are revoked: revocations are never undone, so a
 * CRL with fewer entries is stale (another instance revoked since).
 */
int	 db_cert_revoked_count(struct db *, int64_t *, struct err *);

/* Next CRL number (1, 2, ...), durably counted. */
int	 db_crl_number(struct db *, int64_t *, struct err *);

/*
 * One-time enrollment challenges (challenge.c): the store keeps a salted
 * hash, never the secret.  Schema version DB_SCHEMA_VERSION added them.
 */
#define DB_SCHEMA_VERSION	2
struct db_challenge {
	char		 id[17];	/* 16 hex digits */
	char		 salt[33];	/* hex */
	char		 hash[65];	/* hex SHA-256(salt || secret) */
	char		 subject[256];	/* bound to this DN, or "" */
	char		 cn[256];	/* or to CNs matching this glob, or "" */
	time_t		 created, expires;
	int		 uses;		/* left */
	int		 max_uses;
	int		 revoked;
};
int	 db_challenge_add(struct db *, const struct db_challenge *,
	    struct err *);
int	 db_challenge_get(struct db *, const char *, struct db_challenge *,
	    struct err *);
/*
 * Atomically: delta -1 takes one use of a live challenge (unrevoked,
 * unexpired at now, a use left), +1 gives one back, 0 revokes it.
 * ERR_REFUSED when no live challenge had a use to take, ERR_NOTFOUND
 * when there is no such challenge (revoke).
 */
int	 db_challenge_update(struct db *, const char *, int, time_t,
	    struct err *);
typedef int (*db_challenge_cb)(const struct db_challenge *, void *);
int	 db_challenge_list(struct db *, db_challenge_cb, void *, struct err *);
/* Requests in a state (DB_PENDING ...), for /metrics. */
int	 db_request_count(struct db *, const char *, int64_t *, struct err *);

/*
 * CA generations (schema version 2; `netpki-ca rollover`): generation 1
 * is DIR/ca.crt and has no row; each rollover adds the next one, with the
 * time new issuance moves to it.  The rows are the one truth every serve
 * instance reads: they never change once added.
 */
struct db_cagen {
	int		 gen;		/* 2, 3 ... */
	unsigned char	*cert;		/* its self-signed certificate, DER */
	size_t		 cert_len;
	time_t		 switch_at;	/* issuance moves to it at this time */
	time_t		 created;
};
/*
 * Add generation c->gen, which must follow the newest, in one statement:
 * ERR_EXISTS when a rollover is still pending at now (switch_at > now)
 * or another one took the number meanwhile.
 */
int	 db_cagen_add(struct db *, const struct db_cagen *, time_t,
	    struct err *);
/*
 * At now: *cur the generation in force (1 before any rollover), *next
 * the one waiting for its switch-over, or 0.
 */
int	 db_cagen_state(struct db *, time_t, int *, int *, struct err *);
typedef int (*db_cagen_cb)(const struct db_cagen *, void *);
int	 db_cagen_list(struct db *, db_cagen_cb, void *, struct err *);
void	 db_cagen_clear(struct db_cagen *);
/* Revoked certificates issued by one CA generation (its CRL's size). */
int	 db_cert_revoked_count_gen(struct db *, int, int64_t *, struct err *);

/* Small settings shared by serve and the admin commands ("crl_url"). */
int	 db_meta_set(struct db *, const char *, const char *, struct err *);
/* *out: malloc'd value; ERR_NOTFOUND when unset. */
int	 db_meta_get(struct db *, const char *, char **, struct err *);

#endif
