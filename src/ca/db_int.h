/*
 * db_int: what db.c (the interface, the group-commit thread) needs from a
 * backend (db_sqlite.c, db_pg.c).  Every backend's connection starts with
 * a struct db, whose ops table says how to run each call; db.c holds what
 * does not depend on the SQL dialect.
 */
#ifndef NETPKI_CA_DB_INT_H
#define NETPKI_CA_DB_INT_H

#include <stdint.h>
#include <time.h>

#include "db.h"

struct err;

/* Tries of a transaction that lost a race (serialization, deadlock). */
#define DB_RETRIES	5

struct db_ops {
	void	(*close)(struct db *);
	/* BEGIN (the backend's flavour), COMMIT, ROLLBACK, SAVEPOINT row ... */
	int	(*begin)(struct db *, struct err *);
	int	(*exec)(struct db *, const char *, struct err *);
	/* Did the last failure come from a race another try can win? */
	int	(*transient)(const struct db *);
	/*
	 * Inside a transaction: the request (none, new or pending) and the
	 * certificate, as db_cert_add describes; *reqid the request's ID.
	 */
	int	(*cert_rows)(struct db *, const struct db_cert *,
		    const struct db_request *, int64_t *, struct err *);
	int	(*request_add)(struct db *, const struct db_request *,
		    int64_t *, struct err *);
	int	(*request_by_transid)(struct db *, const char *,
		    struct db_request *, struct err *);
	int	(*request_by_id)(struct db *, int64_t, struct db_request *,
		    struct err *);
	int	(*request_by_reqhash)(struct db *, const char *,
		    struct db_request *, struct err *);
	int	(*request_reject)(struct db *, int64_t, struct err *);
	int	(*request_list)(struct db *, int, db_request_cb, void *,
		    struct err *);
	int	(*cert_by_serial)(struct db *, const char *, struct db_cert *,
		    struct err *);
	int	(*cert_list)(struct db *, int, db_cert_cb, void *,
		    struct err *);
	int	(*cert_revoke)(struct db *, const char *, time_t, int,
		    struct err *);
	int	(*revoked_count)(struct db *, int64_t *, struct err *);
	int	(*crl_number)(struct db *, int64_t *, struct err *);
	int	(*meta_set)(struct db *, const char *, const char *,
		    struct err *);
	int	(*meta_get)(struct db *, const char *, char **, struct err *);
	int	(*challenge_add)(struct db *, const struct db_challenge *,
		    struct err *);
	int	(*challenge_get)(struct db *, const char *,
		    struct db_challenge *, struct err *);
	int	(*challenge_update)(struct db *, const char *, int, time_t,
		    struct err *);
	int	(*challenge_list)(struct db *, db_challenge_cb, void *,
		    struct err *);
	int	(*request_count)(struct db *, const char *, int64_t *,
		    struct err *);
	int	(*cagen_add)(struct db *, const struct db_cagen *, time_t,
		    struct err *);
	int	(*cagen_state)(struct db *, time_t, int *, int *,
		    struct err *);
	int	(*cagen_list)(struct db *, db_cagen_cb, void *, struct err *);
	int	(*revoked_count_gen)(struct db *, int, int64_t *,
		    struct err *);
};

struct db {
	const struct db_ops	*ops;
};

/* db_sqlite.c: path of the database file. */
int	 db_sqlite_open(struct db **, const char *, struct err *);
/* db_pg.c: a postgresql:// URI without a password. */
int	 db_pg_open(struct db **, const char *, struct err *);

#endif
