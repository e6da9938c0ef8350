/*
 * db: the SQLite backend (WAL, synchronous=FULL: a commit is on disk
 * before the call returns, so a certificate is durable before the CertRep
 * that carries it is sent).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "err.h"

#define DB_NCACHE	24

/*
 * A connection and its prepared statements, cached by the address of
 * their SQL text (string literals), so that the hot path does not parse
 * SQL for every request.
 */
struct db {
	sqlite3		*sq;
	char		*path;
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
	}		 cache[DB_NCACHE];
};

#define DB_BUSY_MS	15000
#define DB_GROUPMAX	64	/* rows per group commit */

/* One queued row of a group commit. */
struct db_pending {
	const struct db_cert	*cert;
	const struct db_request	*req;
	int64_t			 newid;
	int			 rc;
	struct err		 err;
	int			 done;
	struct db_pending	*next;
};

/*
 * The group's committer thread owns its connection; the request threads
 * only queue rows and wait on donecv.
 */
struct db_group {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* rows queued, or stop */
	pthread_cond_t		 donecv;	/* a batch is done */
	struct db_pending	*head, **tail;
	int			 stop;
	struct db		*db;
	pthread_t		 th;
};

static const char db_schema[] =
	"CREATE TABLE IF NOT EXISTS requests ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" transid TEXT NOT NULL,"
	" msgtype INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','issued','rejected')),"
	" subject TEXT NOT NULL,"
	" csr BLOB NOT NULL,"
	" serial TEXT,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS requests_transid ON requests (transid);"
	"CREATE INDEX IF NOT EXISTS requests_state ON requests (state);"
	"CREATE TABLE IF NOT EXISTS certs ("
	" serial TEXT PRIMARY KEY NOT NULL UNIQUE,"
	" subject TEXT NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" issued INTEGER NOT NULL,"
	" request_id INTEGER,"
	" revoked INTEGER,"
	" reason INTEGER,"
	" der BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL);";

static int
db_fail(struct db *db, struct err *e, const char *what)
{
	int	 ext = sqlite3_extended_errcode(db->sq);
	int	 code = ERR_IO;

	if (ext == SQLITE_CONSTRAINT_UNIQUE ||
	    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		code = ERR_EXISTS;
	else if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		code = ERR_BUSY;
	return err_set(e, code, "database %s: %s: %s", db->path, what,
	    sqlite3_errmsg(db->sq));
}

static int
db_prepare(struct db *db, sqlite3_stmt **st, const char *sql, struct err *e)
{
	int	 i;

	for (i = 0; i < DB_NCACHE && db->cache[i].sql != NULL; i++)
		if (db->cache[i].sql == sql) {
			*st = db->cache[i].st;
			return 0;
		}
	if (sqlite3_prepare_v3(db->sq, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK) {
		*st = NULL;
		return db_fail(db, e, "prepare");
	}
	if (i < DB_NCACHE) {
		db->cache[i].sql = sql;
		db->cache[i].st = *st;
	}
	return 0;
}

/* Done with a statement: reset a cached one, finalize any other. */
static void
db_release(struct db *db, sqlite3_stmt *st)
{
	int	 i;

	if (st == NULL)
		return;
	for (i = 0; i < DB_NCACHE && db->cache[i].sql != NULL; i++)
		if (db->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

/* One statement without results (BEGIN, COMMIT, SAVEPOINT ...). */
static int
db_exec(struct db *db, const char *sql, struct err *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = db_prepare(db, &st, sql, e)) != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, sql);
	db_release(db, st);
	return rc;
}

/* Several statements, once (the schema, pragmas). */
static int
db_exec_multi(struct db *db, const char *sql, struct err *e)
{
	if (sqlite3_exec(db->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, e, "schema");
	return 0;
}

/*
 * SQLite's own busy handler sleeps up to 100 ms between tries, which
 * stalls concurrent writers; retry every 0.5 ms instead, for DB_BUSY_MS.
 */
static int
db_busy(void *arg, int n)
{
	struct timespec	 ts = { 0, 500000 };

	(void)arg;
	if (n >= DB_BUSY_MS * 2)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

int
db_open(struct db **out, const char *path, struct err *e)
{
	struct db	*db;
	int		 rc;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = strdup(path)) == NULL) {
		free(db);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = db_fail(db, e, "open");
		goto out;
	}
	sqlite3_busy_handler(db->sq, db_busy, NULL);
	if ((rc = db_exec_multi(db, "PRAGMA journal_mode=WAL;", e)) != 0 ||
	    (rc = db_exec_multi(db, "PRAGMA synchronous=FULL;", e)) != 0 ||
	    (rc = db_exec_multi(db, db_schema, e)) != 0)
		goto out;
	*out = db;
	db = NULL;
 out:
	db_close(db);
	return rc;
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_NCACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->sq);
	free(db->path);
	free(db);
}

static char *
db_textdup(sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	return strdup(t != NULL ? (const char *)t : "");
}

static void
db_textcpy(char *buf, size_t sz, sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	snprintf(buf, sz, "%s", t != NULL ? (const char *)t : "");
}

static unsigned char *
db_blobdup(sqlite3_stmt *st, int col, size_t *len)
{
	const void	*b = sqlite3_column_blob(st, col);
	int		 n = sqlite3_column_bytes(st, col);
	unsigned char	*p;

	*len = 0;
	if ((p = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, b, (size_t)n);
	*len = (size_t)n;
	return p;
}

void
db_request_clear(struct db_request *r)
{
	if (r == NULL)
		return;
	free(r->subject);
	free(r->csr);
	memset(r, 0, sizeof(*r));
}

void
db_cert_clear(struct db_cert *c)
{
	if (c == NULL)
		return;
	free(c->subject);
	free(c->der);
	memset(c, 0, sizeof(*c));
}

#define DB_REQ_COLS "id, transid, msgtype, state, subject, csr, " \
	"COALESCE(serial, ''), created, updated"

static int
db_request_row(sqlite3_stmt *st, struct db_request *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	db_textcpy(r->transid, sizeof(r->transid), st, 1);
	r->msgtype = sqlite3_column_int(st, 2);
	db_textcpy(r->state, sizeof(r->state), st, 3);
	r->subject = db_textdup(st, 4);
	r->csr = db_blobdup(st, 5, &r->csr_len);
	db_textcpy(r->serial, sizeof(r->serial), st, 6);
	r->created = (time_t)sqlite3_column_int64(st, 7);
	r->updated = (time_t)sqlite3_column_int64(st, 8);
	if (r->subject == NULL || r->csr == NULL) {
		db_request_clear(r);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

#define DB_CERT_COLS "serial, subject, not_before, not_after, issued, " \
	"COALESCE(request_id, 0), COALESCE(revoked, 0), COALESCE(reason, 0), der"

static int
db_cert_row(sqlite3_stmt *st, struct db_cert *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	db_textcpy(c->serial, sizeof(c->serial), st, 0);
	c->subject = db_textdup(st, 1);
	c->not_before = (time_t)sqlite3_column_int64(st, 2);
	c->not_after = (time_t)sqlite3_column_int64(st, 3);
	c->issued = (time_t)sqlite3_column_int64(st, 4);
	c->request_id = sqlite3_column_int64(st, 5);
	c->revoked = (time_t)sqlite3_column_int64(st, 6);
	c->reason = sqlite3_column_int(st, 7);
	c->der = db_blobdup(st, 8, &c->der_len);
	if (c->subject == NULL || c->der == NULL) {
		db_cert_clear(c);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int
db_request_insert(struct db *db, const struct db_request *r,
    const char *state, const char *serial, int64_t *id, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	time_t		 now = clock_now();
	int		 rc;

	if ((rc = db_prepare(db, &st, "INSERT INTO requests (transid, "
	    "msgtype, state, subject, csr, serial, created, updated) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, r->transid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->msgtype);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->subject ? r->subject : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, r->csr, (int)r->csr_len, SQLITE_STATIC);
	if (serial != NULL)
		sqlite3_bind_text(st, 6, serial, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "insert request");
	else if (id != NULL)
		*id = sqlite3_last_insert_rowid(db->sq);
	db_release(db, st);
	return rc;
}

int
db_request_add(struct db *db, const struct db_request *r, int64_t *id,
    struct err *e)
{
	return db_request_insert(db, r, DB_PENDING, NULL, id, e);
}

static int
db_request_one(struct db *db, const char *sql, const char *text, int64_t num,
    struct db_request *r, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, s;

	memset(r, 0, sizeof(*r));
	if ((rc = db_prepare(db, &st, sql, e)) != 0)
		return rc;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		rc = db_request_row(st, r, e);
	else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "no such request");
	else
		rc = db_fail(db, e, "find request");
	db_release(db, st);
	return rc;
}

int
db_request_by_transid(struct db *db, const char *tid, struct db_request *r,
    struct err *e)
{
	return db_request_one(db, "SELECT " DB_REQ_COLS " FROM requests "
	    "WHERE transid = ? ORDER BY id DESC LIMIT 1", tid, 0, r, e);
}

int
db_request_by_id(struct db *db, int64_t id, struct db_request *r,
    struct err *e)
{
	return db_request_one(db, "SELECT " DB_REQ_COLS " FROM requests "
	    "WHERE id = ?", NULL, id, r, e);
}

int
db_request_reject(struct db *db, int64_t id, struct err *e)
{
	sqlite3_stmt		*st = NULL;
	struct db_request	 r;
	int			 rc;

	if ((rc = db_prepare(db, &st, "UPDATE requests SET state = "
	    "'rejected', updated = ? WHERE id = ? AND state = 'pending'", e)) !=
	    0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)clock_now());
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "reject request");
	db_release(db, st);
	if (rc != 0 || sqlite3_changes(db->sq) == 1)
		return rc;
	if ((rc = db_request_by_id(db, id, &r, e)) != 0)
		return err_set(e, ERR_NOTFOUND, "request %lld: no such request",
		    (long long)id);
	rc = err_set(e, ERR_BUSY, "request %lld is %s, not pending",
	    (long long)id, r.state);
	db_request_clear(&r);
	return rc;
}

int
db_request_list(struct db *db, int pending_only, db_request_cb cb, void *arg,
    struct err *e)
{
	sqlite3_stmt		*st = NULL;
	struct db_request	 r;
	int			 rc, s;

	if ((rc = db_prepare(db, &st, pending_only ?
	    "SELECT " DB_REQ_COLS " FROM requests WHERE state = 'pending' "
	    "ORDER BY id" : "SELECT " DB_REQ_COLS " FROM requests ORDER BY id",
	    e)) != 0)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = db_request_row(st, &r, e)) != 0)
			break;
		rc = cb(&r, arg);
		db_request_clear(&r);
		if (rc != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_fail(db, e, "list requests");
	db_release(db, st);
	return rc;
}

static int
db_cert_insert(struct db *db, const struct db_cert *c, int64_t reqid,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = db_prepare(db, &st, "INSERT INTO certs (serial, subject, "
	    "not_before, not_after, issued, request_id, der) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?)", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->subject ? c->subject : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->not_before);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->not_after);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)c->issued);
	if (reqid != 0)
		sqlite3_bind_int64(st, 6, reqid);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_blob(st, 7, c->der, (int)c->der_len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "insert certificate");
	db_release(db, st);
	return rc;
}

static int
db_request_mark_issued(struct db *db, int64_t id, const char *serial,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = db_prepare(db, &st, "UPDATE requests SET state = 'issued', "
	    "serial = ?, updated = ? WHERE id = ? AND state = 'pending'", e)) !=
	    0)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)clock_now());
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "update request");
	else if (sqlite3_changes(db->sq) != 1)
		rc = err_set(e, ERR_BUSY, "request %lld is no longer pending",
		    (long long)id);
	db_release(db, st);
	return rc;
}

int
db_cert_add(struct db *db, const struct db_cert *c,
    const struct db_request *req, int64_t *newid, struct err *e)
{
	int64_t	 reqid = 0;
	int	 rc;

	if ((rc = db_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if (req != NULL && req->id == 0)
		rc = db_request_insert(db, req, DB_ISSUED, c->serial, &reqid, e);
	else if (req != NULL) {
		reqid = req->id;
		rc = db_request_mark_issued(db, reqid, c->serial, e);
	}
	if (rc == 0)
		rc = db_cert_insert(db, c, reqid, e);
	if (rc == 0)
		rc = db_exec(db, "COMMIT", e);
	if (rc != 0) {
		db_exec(db, "ROLLBACK", NULL);
		return rc;
	}
	if (newid != NULL)
		*newid = reqid;
	return 0;
}

/* One row inside the group's transaction, in its own savepoint. */
static void
db_group_row(struct db *db, struct db_pending *it)
{
	int64_t	 reqid = 0;
	int	 rc = 0;

	err_clear(&it->err);
	if ((rc = db_exec(db, "SAVEPOINT row", &it->err)) != 0) {
		it->rc = rc;
		return;
	}
	if (it->req != NULL && it->req->id == 0)
		rc = db_request_insert(db, it->req, DB_ISSUED, it->cert->serial,
		    &reqid, &it->err);
	else if (it->req != NULL) {
		reqid = it->req->id;
		rc = db_request_mark_issued(db, reqid, it->cert->serial,
		    &it->err);
	}
	if (rc == 0)
		rc = db_cert_insert(db, it->cert, reqid, &it->err);
	if (rc != 0)
		db_exec(db, "ROLLBACK TO row", NULL);
	db_exec(db, "RELEASE row", NULL);
	it->rc = rc;
	it->newid = reqid;
}

/* Commit a batch; every row fails if the COMMIT does. */
static void
db_group_commit(struct db *db, struct db_pending *batch)
{
	struct db_pending	*it;
	struct err		 e;
	int			 rc;

	if ((rc = db_exec(db, "BEGIN IMMEDIATE", &e)) == 0) {
		for (it = batch; it != NULL; it = it->next)
			db_group_row(db, it);
		if ((rc = db_exec(db, "COMMIT", &e)) != 0)
			db_exec(db, "ROLLBACK", NULL);
	}
	if (rc == 0)
		return;
	for (it = batch; it != NULL; it = it->next) {
		it->rc = rc;
		it->err = e;
	}
}

/*
 * Whatever queued while the previous COMMIT was on its way to the disk
 * goes into the next transaction, up to DB_GROUPMAX rows.
 */
static void *
db_group_main(void *arg)
{
	struct db_group		*g = arg;
	struct db_pending	*batch, *it, **tail;
	int			 n;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->head == NULL && !g->stop)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->head == NULL)
			break;
		batch = g->head;
		for (n = 1, tail = &batch->next; *tail != NULL &&
		    n < DB_GROUPMAX; n++)
			tail = &(*tail)->next;
		g->head = *tail;
		*tail = NULL;
		if (g->head == NULL)
			g->tail = &g->head;
		pthread_mutex_unlock(&g->mu);
		db_group_commit(g->db, batch);
		pthread_mutex_lock(&g->mu);
		for (it = batch; it != NULL; it = it->next)
			it->done = 1;
		pthread_cond_broadcast(&g->donecv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int
db_group_new(struct db_group **out, struct db *db, struct err *e)
{
	struct db_group	*g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		db_close(db);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	pthread_cond_init(&g->donecv, NULL);
	g->tail = &g->head;
	g->db = db;
	if (pthread_create(&g->th, NULL, db_group_main, g) != 0) {
		g->stop = -1;	/* no thread to join */
		db_group_free(g);
		return err_set(e, ERR_NOMEM, "cannot start the commit thread");
	}
	*out = g;
	return 0;
}

void
db_group_free(struct db_group *g)
{
	if (g == NULL)
		return;
	if (g->stop == 0) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->th, NULL);
	}
	db_close(g->db);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	pthread_cond_destroy(&g->donecv);
	free(g);
}

int
db_group_submit(struct db_group *g, const struct db_cert *c,
    const struct db_request *req, struct db_pending **out, struct err *e)
{
	struct db_pending	*p;

	if ((*out = p = calloc(1, sizeof(*p))) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory");
	p->cert = c;
	p->req = req;
	pthread_mutex_lock(&g->mu);
	*g->tail = p;
	g->tail = &p->next;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

int
db_group_wait(struct db_group *g, struct db_pending *p, int64_t *newid,
    struct err *e)
{
	int	 rc;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&g->mu);
	while (!p->done)
		pthread_cond_wait(&g->donecv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	if ((rc = p->rc) != 0) {
		if (e != NULL)
			*e = p->err;
	} else if (newid != NULL)
		*newid = p->newid;
	free(p);
	return rc;
}

int
db_cert_by_serial(struct db *db, const char *serial, struct db_cert *c,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, s;

	memset(c, 0, sizeof(*c));
	if ((rc = db_prepare(db, &st, "SELECT " DB_CERT_COLS " FROM certs "
	    "WHERE serial = ?", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		rc = db_cert_row(st, c, e);
	else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "no certificate with serial %s",
		    serial);
	else
		rc = db_fail(db, e, "find certificate");
	db_release(db, st);
	return rc;
}

int
db_cert_list(struct db *db, int revoked_only, db_cert_cb cb, void *arg,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	struct db_cert	 c;
	int		 rc, s;

	if ((rc = db_prepare(db, &st, revoked_only ?
	    "SELECT " DB_CERT_COLS " FROM certs WHERE revoked IS NOT NULL "
	    "ORDER BY revoked, serial" :
	    "SELECT " DB_CERT_COLS " FROM certs ORDER BY issued, rowid", e)) !=
	    0)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = db_cert_row(st, &c, e)) != 0)
			break;
		rc = cb(&c, arg);
		db_cert_clear(&c);
		if (rc != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_fail(db, e, "list certificates");
	db_release(db, st);
	return rc;
}

int
db_cert_revoke(struct db *db, const char *serial, time_t when, int reason,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	struct db_cert	 c;
	int		 rc;

	if ((rc = db_cert_by_serial(db, serial, &c, e)) != 0)
		return rc;
	if (c.revoked != 0) {
		db_cert_clear(&c);
		return err_set(e, ERR_EXISTS, "certificate %s is already "
		    "revoked", serial);
	}
	db_cert_clear(&c);
	if ((rc = db_prepare(db, &st, "UPDATE certs SET revoked = ?, "
	    "reason = ? WHERE serial = ? AND revoked IS NULL", e)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)when);
	sqlite3_bind_int(st, 2, reason);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "revoke");
	else if (sqlite3_changes(db->sq) != 1)
		rc = err_set(e, ERR_EXISTS, "certificate %s is already revoked",
		    serial);
	db_release(db, st);
	return rc;
}

int
db_meta_set(struct db *db, const char *key, const char *value,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = db_prepare(db, &st, "INSERT INTO meta (key, value) VALUES "
	    "(?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	    e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(db, e, "set meta");
	db_release(db, st);
	return rc;
}

int
db_meta_get(struct db *db, const char *key, char **out, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, s;

	*out = NULL;
	if ((rc = db_prepare(db, &st, "SELECT value FROM meta WHERE key = ?",
	    e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((*out = db_textdup(st, 0)) == NULL)
			rc = err_set(e, ERR_NOMEM, "out of memory");
	} else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "%s is not set", key);
	else
		rc = db_fail(db, e, "get meta");
	db_release(db, st);
	return rc;
}

int
db_crl_number(struct db *db, int64_t *out, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = db_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = db_exec(db, "INSERT INTO meta (key, value) VALUES "
	    "('crl_number', '1') ON CONFLICT (key) DO UPDATE SET value = "
	    "CAST(value AS INTEGER) + 1", e)) != 0)
		goto out;
	if ((rc = db_prepare(db, &st, "SELECT CAST(value AS INTEGER) FROM meta "
	    "WHERE key = 'crl_number'", e)) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = db_fail(db, e, "crl number");
	else
		*out = sqlite3_column_int64(st, 0);
	db_release(db, st);
	if (rc == 0)
		rc = db_exec(db, "COMMIT", e);
 out:
	if (rc != 0)
		db_exec(db, "ROLLBACK", NULL);
	return rc;
}
