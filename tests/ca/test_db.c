/*
 * db (netpki-ca's store): what the end-to-end tests cannot provoke with
 * random 128-bit serials: a serial collision inside a group commit fails
 * that one row and no other, a request is issued once, rows survive
 * reopening, and many threads committing at once all get their rows.
 * The cases run on SQLite, then again on PostgreSQL when
 * NETPKI_TEST_PG_URI names a database (tests/ca/postgres.sh sets it; its
 * tables are dropped before each case).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "db.h"
#include "err.h"
#include "helpers.h"

#define THREADS		8
#define PER_THREAD	25
#define QUEUED		150	/* more than one transaction takes */

struct fixture {
	char	*dir;		/* NULL for PostgreSQL */
	char	 path[2048];	/* a file, or the PostgreSQL URI */
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	f->dir = th_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/ca.db", f->dir);
	*state = f;
	return 0;
}

static int
setup_pg(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	const char	*uri = getenv("NETPKI_TEST_PG_URI");
	PGconn		*c;
	PGresult	*res;

	assert_non_null(f);
	assert_non_null(uri);
	snprintf(f->path, sizeof(f->path), "%s", uri);
	c = PQconnectdb(uri);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "SET client_min_messages = warning; "
	    "DROP TABLE IF EXISTS requests, certs, meta, ca_generations");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	if (f->dir != NULL) {
		th_rmtree(f->dir);
		free(f->dir);
	}
	free(f);
	return 0;
}

static void
mkcert(struct db_cert *c, const char *serial)
{
	static unsigned char	 der[] = { 0x30, 0x00 };

	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	c->subject = (char *)"CN=test";
	c->not_before = 1;
	c->not_after = 2;
	c->issued = 1;
	c->der = der;
	c->der_len = sizeof(der);
}

static void
mkreq(struct db_request *r, const char *tid)
{
	static unsigned char	 csr[] = { 0x30, 0x00 };

	memset(r, 0, sizeof(*r));
	snprintf(r->transid, sizeof(r->transid), "%s", tid);
	r->msgtype = 19;
	r->subject = (char *)"CN=test";
	r->csr = csr;
	r->csr_len = sizeof(csr);
}

static int
count_cb(const struct db_cert *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
count(struct db *db)
{
	struct err	 e;
	int		 n = 0;

	assert_int_equal(db_cert_list(db, 0, count_cb, &n, &e), 0);
	return n;
}

/* Queue a row and wait until it is durable. */
static int
group_add(struct db_group *g, const struct db_cert *c,
    const struct db_request *r, int64_t *id, struct err *e)
{
	struct db_pending	*p;
	int			 rc;

	if ((rc = db_group_submit(g, c, r, &p, e)) != 0)
		return rc;
	return db_group_wait(g, p, id, e);
}

/* The group's thread has its own connection. */
static void
group_open(struct db_group **g, const char *path)
{
	struct db	*db;
	struct err	 e;

	assert_int_equal(db_open(&db, path, &e), 0);
	assert_int_equal(db_group_new(g, db, &e), 0);
}

static void
test_collision_and_pending(void **state)
{
	struct fixture		*f = *state;
	struct db		*db, *db2;
	struct db_group		*g;
	struct db_cert		 c;
	struct db_request	 r, got;
	struct err		 e;
	int64_t			 id, n;
	char			*v;

	assert_int_equal(db_open(&db, f->path, &e), 0);
	group_open(&g, f->path);
	mkcert(&c, "AA01");
	mkreq(&r, "T1");
	assert_int_equal(group_add(g, &c, &r, &id, &e), 0);
	assert_true(id > 0);
	/* The same serial again: ERR_EXISTS, and its request is not stored. */
	mkreq(&r, "T2");
	assert_int_equal(group_add(g, &c, &r, NULL, &e),
	    ERR_EXISTS);
	assert_int_equal(db_request_by_transid(db, "T2", &got, &e),
	    ERR_NOTFOUND);
	assert_int_equal(count(db), 1);

	/* A pending request is issued once; a second issue is refused. */
	mkreq(&r, "T3");
	assert_int_equal(db_request_add(db, &r, &r.id, &e), 0);
	mkcert(&c, "AA02");
	assert_int_equal(group_add(g, &c, &r, NULL, &e), 0);
	mkcert(&c, "AA03");
	assert_int_equal(group_add(g, &c, &r, NULL, &e), ERR_BUSY);
	assert_int_equal(db_request_by_id(db, r.id, &got, &e), 0);
	assert_string_equal(got.state, DB_ISSUED);
	assert_string_equal(got.serial, "AA02");
	db_request_clear(&got);
	assert_int_equal(db_request_reject(db, r.id, &e), ERR_BUSY);
	assert_int_equal(count(db), 2);

	/* Revocation and reopening. */
	assert_int_equal(db_cert_revoked_count(db, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_cert_revoke(db, "AA01", 5, 1, &e), 0);
	assert_int_equal(db_cert_revoke(db, "AA01", 6, 1, &e), ERR_EXISTS);
	assert_int_equal(db_cert_revoke(db, "FFFF", 6, 1, &e), ERR_NOTFOUND);
	assert_int_equal(db_cert_revoked_count(db, &n, &e), 0);
	assert_int_equal(n, 1);
	/* The CRL number counts up, and two connections never share one. */
	assert_int_equal(db_crl_number(db, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_open(&db2, f->path, &e), 0);
	assert_int_equal(db_crl_number(db2, &n, &e), 0);
	assert_int_equal(n, 2);
	db_close(db2);
	/* Settings: set twice, the last one wins. */
	assert_int_equal(db_meta_get(db, "crl_url", &v, &e), ERR_NOTFOUND);
	assert_int_equal(db_meta_set(db, "crl_url", "http://a/crl", &e), 0);
	assert_int_equal(db_meta_set(db, "crl_url", "http://b/crl", &e), 0);
	assert_int_equal(db_meta_get(db, "crl_url", &v, &e), 0);
	assert_string_equal(v, "http://b/crl");
	free(v);
	db_group_free(g);
	db_close(db);
	assert_int_equal(db_open(&db, f->path, &e), 0);
	assert_int_equal(count(db), 2);
	assert_int_equal(db_cert_by_serial(db, "AA01", &c, &e), 0);
	assert_int_equal(c.revoked, 5);
	assert_int_equal(c.reason, 1);
	/* Binary columns come back byte for byte, NUL included. */
	assert_int_equal(c.der_len, 2);
	assert_memory_equal(c.der, "\x30\x00", 2);
	assert_string_equal(c.subject, "CN=test");
	assert_int_equal(c.not_after, 2);
	db_cert_clear(&c);
	db_close(db);
}

struct worker {
	const char	*path;
	struct db_group	*g;
	int		 id;
	int		 ok, exists;
};

/* Every thread issues PER_THREAD rows; every fifth reuses serial "DUP". */
static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	struct db_cert	 c;
	struct db_request r;
	struct err	 e;
	char		 serial[32], tid[32];
	int		 i, rc;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(serial, sizeof(serial), i % 5 == 4 ? "DUP" : "%02X%04X",
		    w->id, i);
		snprintf(tid, sizeof(tid), "W%d-%d", w->id, i);
		mkcert(&c, serial);
		mkreq(&r, tid);
		rc = group_add(w->g, &c, &r, NULL, &e);
		if (rc == 0)
			w->ok++;
		else if (rc == ERR_EXISTS)
			w->exists++;
	}
	return NULL;
}

static void
test_group_threads(void **state)
{
	struct fixture	*f = *state;
	struct worker	 w[THREADS];
	pthread_t	 th[THREADS];
	struct db_group	*g;
	struct db	*db;
	struct err	 e;
	int		 i, ok = 0, exists = 0;

	assert_int_equal(db_open(&db, f->path, &e), 0);
	group_open(&g, f->path);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].path = f->path;
		w[i].g = g;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]),
		    0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		exists += w[i].exists;
	}
	/* One "DUP" wins; every other row commits. */
	assert_int_equal(ok + exists, THREADS * PER_THREAD);
	assert_int_equal(ok, THREADS * PER_THREAD - THREADS * PER_THREAD / 5 +
	    1);
	assert_int_equal(count(db), ok);
	db_group_free(g);
	db_close(db);
}

/*
 * One thread queues more rows than one transaction takes before waiting
 * for any: all are stored, each with its own request, and a collision
 * among them fails that row alone.
 */
static void
test_group_queue(void **state)
{
	struct fixture		*f = *state;
	struct db_group		*g;
	struct db		*db;
	struct db_pending	*p[QUEUED];
	struct db_cert		 c[QUEUED];
	struct db_request	 r[QUEUED];
	struct err		 e;
	char			 serial[32], tid[32];
	int64_t			 id, last = 0;
	int			 i, rc, ok = 0;

	assert_int_equal(db_open(&db, f->path, &e), 0);
	group_open(&g, f->path);
	for (i = 0; i < QUEUED; i++) {
		snprintf(serial, sizeof(serial), i == QUEUED - 1 ? "0000" :
		    "%04X", i);
		snprintf(tid, sizeof(tid), "Q%d", i);
		mkcert(&c[i], serial);
		mkreq(&r[i], tid);
		assert_int_equal(db_group_submit(g, &c[i], &r[i], &p[i], &e),
		    0);
	}
	for (i = 0; i < QUEUED; i++) {
		rc = db_group_wait(g, p[i], &id, &e);
		if (i == QUEUED - 1) {
			assert_int_equal(rc, ERR_EXISTS);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(id > last);
		last = id;
		ok++;
	}
	assert_int_equal(count(db), ok);
	db_group_free(g);
	db_close(db);
}

/* PostgreSQL only: a connection of the test's own, with its result. */
static void
sql_ok(PGconn *c, const char *sql)
{
	PGresult	*res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

struct adder {
	const char		*path;
	const struct db_request	*req;
	int			 rc;
	struct err		 e;
};

static void *
adder_run(void *arg)
{
	struct adder	*a = arg;
	struct db	*db;
	struct db_cert	 c;

	if ((a->rc = db_open(&db, a->path, &a->e)) != 0)
		return NULL;
	mkcert(&c, "DEAD");
	a->rc = db_cert_add(db, &c, a->req, NULL, &a->e);
	db_close(db);
	return NULL;
}

/*
 * A transaction that deadlocks with another client (40P01) is run
 * again: db_cert_add takes the request's row and then waits for serial
 * DEAD, which another connection inserted; that one then asks for the
 * request's row.  db_cert_add's backend started waiting first, so its
 * deadlock check fires first and it is the one aborted; the retry then
 * succeeds once the other rolls back.
 */
static void
test_pg_deadlock_retry(void **state)
{
	struct fixture		*f = *state;
	struct adder		 a;
	struct db		*db;
	struct db_request	 r, got;
	struct err		 e;
	pthread_t		 th;
	PGconn			*x, *y;
	PGresult		*res;
	char			 sql[128];
	int			 i, waiting = 0;

	assert_int_equal(db_open(&db, f->path, &e), 0);
	mkreq(&r, "DL");
	assert_int_equal(db_request_add(db, &r, &r.id, &e), 0);
	x = PQconnectdb(f->path);
	y = PQconnectdb(f->path);
	assert_int_equal(PQstatus(x), CONNECTION_OK);
	assert_int_equal(PQstatus(y), CONNECTION_OK);
	sql_ok(x, "BEGIN");
	sql_ok(x, "INSERT INTO certs (serial, subject, not_before, not_after, "
	    "issued, der) VALUES ('DEAD', 'CN=x', 1, 2, 1, '\\x3000')");
	memset(&a, 0, sizeof(a));
	a.path = f->path;
	a.req = &r;
	assert_int_equal(pthread_create(&th, NULL, adder_run, &a), 0);
	/* Until db_cert_add waits for DEAD (5 s at most). */
	for (i = 0; i < 500 && !waiting; i++) {
		res = PQexec(y, "SELECT count(*) FROM pg_stat_activity WHERE "
		    "wait_event_type = 'Lock' AND application_name = "
		    "'netpki-ca'");
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		waiting = atoi(PQgetvalue(res, 0, 0)) > 0;
		PQclear(res);
		if (!waiting)
			usleep(10000);
	}
	assert_true(waiting);
	snprintf(sql, sizeof(sql), "UPDATE requests SET updated = 0 WHERE "
	    "id = %lld", (long long)r.id);
	/* Succeeds once the deadlock check aborted the other side. */
	sql_ok(x, sql);
	sql_ok(x, "ROLLBACK");
	pthread_join(th, NULL);
	if (a.rc != 0)
		fail_msg("db_cert_add after a deadlock: %s", a.e.msg);
	assert_int_equal(db_request_by_id(db, r.id, &got, &e), 0);
	assert_string_equal(got.state, DB_ISSUED);
	assert_string_equal(got.serial, "DEAD");
	db_request_clear(&got);
	PQfinish(x);
	PQfinish(y);
	db_close(db);
}

static int
cagen_count(const struct db_cagen *g, void *arg)
{
	assert_int_equal(g->cert_len, 3);
	assert_memory_equal(g->cert, "\x30\x01\x00", 3);
	(*(int *)arg)++;
	return 0;
}

/*
 * CA generations (rollover): one pending at a time, numbers in order,
 * the state at a time, and the certificates' generation with their own
 * revocation counts.
 */
static void
test_cagen(void **state)
{
	struct fixture	*f = *state;
	struct db	*db;
	struct db_cagen	 g = { 2, (unsigned char *)"\x30\x01\x00", 3, 200,
	    100 };
	struct db_cert	 c, got;
	struct err	 e;
	int64_t		 n;
	int		 cur, next, rows = 0;

	assert_int_equal(db_open(&db, f->path, &e), 0);
	assert_int_equal(db_cagen_state(db, 100, &cur, &next, &e), 0);
	assert_int_equal(cur, 1);
	assert_int_equal(next, 0);
	assert_int_equal(db_cagen_add(db, &g, 100, &e), 0);
	g.gen = 3;
	assert_int_equal(db_cagen_add(db, &g, 150, &e), ERR_EXISTS);
	assert_int_equal(db_cagen_state(db, 150, &cur, &next, &e), 0);
	assert_int_equal(cur, 1);
	assert_int_equal(next, 2);
	assert_int_equal(db_cagen_state(db, 200, &cur, &next, &e), 0);
	assert_int_equal(cur, 2);
	assert_int_equal(next, 0);
	/* Past the switch-over: 2 again, or 4, is not the next one. */
	g.gen = 2;
	assert_int_equal(db_cagen_add(db, &g, 250, &e), ERR_EXISTS);
	g.gen = 4;
	assert_int_equal(db_cagen_add(db, &g, 250, &e), ERR_EXISTS);
	g.gen = 3;
	g.switch_at = 250;
	assert_int_equal(db_cagen_add(db, &g, 250, &e), 0);
	assert_int_equal(db_cagen_state(db, 250, &cur, &next, &e), 0);
	assert_int_equal(cur, 3);
	assert_int_equal(db_cagen_list(db, cagen_count, &rows, &e), 0);
	assert_int_equal(rows, 2);

	mkcert(&c, "BB01");
	assert_int_equal(db_cert_add(db, &c, NULL, NULL, &e), 0);
	mkcert(&c, "BB02");
	c.gen = 2;
	assert_int_equal(db_cert_add(db, &c, NULL, NULL, &e), 0);
	assert_int_equal(db_cert_by_serial(db, "BB01", &got, &e), 0);
	assert_int_equal(got.gen, 1);
	db_cert_clear(&got);
	assert_int_equal(db_cert_by_serial(db, "BB02", &got, &e), 0);
	assert_int_equal(got.gen, 2);
	db_cert_clear(&got);
	assert_int_equal(db_cert_revoke(db, "BB02", 260, 0, &e), 0);
	assert_int_equal(db_cert_revoked_count_gen(db, 2, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_cert_revoked_count_gen(db, 1, &n, &e), 0);
	assert_int_equal(n, 0);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_collision_and_pending,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cagen, setup, teardown),
	};
	const struct CMUnitTest pg[] = {
		cmocka_unit_test_setup_teardown(test_collision_and_pending,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_group_threads, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_queue, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pg_deadlock_retry,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_cagen, setup_pg, teardown),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
	if (getenv("NETPKI_TEST_PG_URI") != NULL)
		rc += cmocka_run_group_tests_name("postgresql", pg, NULL, NULL);
	return rc;
}
