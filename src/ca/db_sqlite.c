/*
 * db_sqlite: the SQLite backend (WAL, synchronous=FULL: a commit is on
 * disk before the call returns, so a certificate is durable before the
 * CertRep that carries it is sent).  One writer at a time: BEGIN
 * IMMEDIATE takes the lock, and other connections wait for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "db_int.h"
#include "err.h"

#define DB_NCACHE	32

/*
 * A connection and its prepared statements, cached by the address of
 * their SQL text (string literals), so that the hot path does not parse
 * SQL for every request.
 */
struct db_sqlite {
	struct db	 base;		/* first: the ops table */
	sqlite3		*sq;
	char		*path;
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
	}		 cache[DB_NCACHE];
};

#define DB_BUSY_MS	15000

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
	"CREATE INDEX IF NOT EXISTS certs_revoked ON certs (revoked)"
	" WHERE revoked IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL);"
	/* Schema version 1 (user_version): one-time challenges. */
	"CREATE TABLE IF NOT EXISTS challenges ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" salt TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" cn TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" uses INTEGER NOT NULL,"
	" max_uses INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0);";

/* Version 0 to 1, after db_schema (which made any missing table). */
static const char db_schema_v1[] =
	"ALTER TABLE requests ADD COLUMN reqhash TEXT;"
	"CREATE INDEX IF NOT EXISTS requests_reqhash ON requests (reqhash);";

/* Version 1 to 2: CA generations (rollover); NULL ca_gen is 1. */
static const char db_schema_v2[] =
	"ALTER TABLE certs ADD COLUMN ca_gen INTEGER;"
	"CREATE TABLE IF NOT EXISTS ca_generations ("
	" gen INTEGER PRIMARY KEY NOT NULL,"
	" cert BLOB NOT NULL,"
	" switch_at INTEGER NOT NULL,"
	" created INTEGER NOT NULL);";

static int
sq_fail(struct db_sqlite *db, struct err *e, const char *what)
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
sq_prepare(struct db_sqlite *db, sqlite3_stmt **st, const char *sql,
    struct err *e)
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
		return sq_fail(db, e, "prepare");
	}
	if (i < DB_NCACHE) {
		db->cache[i].sql = sql;
		db->cache[i].st = *st;
	}
	return 0;
}

/* Done with a statement: reset a cached one, finalize any other. */
static void
sq_release(struct db_sqlite *db, sqlite3_stmt *st)
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
sq_exec(struct db_sqlite *db, const char *sql, struct err *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sq_prepare(db, &st, sql, e)) != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, sql);
	sq_release(db, st);
	return rc;
}

/* Several statements, once (the schema, pragmas). */
static int
sq_exec_multi(struct db_sqlite *db, const char *sql, struct err *e)
{
	if (sqlite3_exec(db->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(db, e, "schema");
	return 0;
}

/*
 * SQLite's own busy handler sleeps up to 100 ms between tries, which
 * stalls concurrent writers; retry every 0.5 ms instead, for DB_BUSY_MS.
 */
static int
sq_busy(void *arg, int n)
{
	struct timespec	 ts = { 0, 500000 };

	(void)arg;
	if (n >= DB_BUSY_MS * 2)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static void
sq_close(struct db *d)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	int			 i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_NCACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->sq);
	free(db->path);
	free(db);
}

static char *
sq_textdup(sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	return strdup(t != NULL ? (const char *)t : "");
}

static void
sq_textcpy(char *buf, size_t sz, sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	snprintf(buf, sz, "%s", t != NULL ? (const char *)t : "");
}

static unsigned char *
sq_blobdup(sqlite3_stmt *st, int col, size_t *len)
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

#define DB_REQ_COLS "id, transid, msgtype, state, subject, csr, " \
	"COALESCE(serial, ''), created, updated, COALESCE(reqhash, '')"

static int
sq_request_row(sqlite3_stmt *st, struct db_request *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	sq_textcpy(r->transid, sizeof(r->transid), st, 1);
	r->msgtype = sqlite3_column_int(st, 2);
	sq_textcpy(r->state, sizeof(r->state), st, 3);
	r->subject = sq_textdup(st, 4);
	r->csr = sq_blobdup(st, 5, &r->csr_len);
	sq_textcpy(r->serial, sizeof(r->serial), st, 6);
	r->created = (time_t)sqlite3_column_int64(st, 7);
	r->updated = (time_t)sqlite3_column_int64(st, 8);
	sq_textcpy(r->reqhash, sizeof(r->reqhash), st, 9);
	if (r->subject == NULL || r->csr == NULL) {
		db_request_clear(r);
		return err_nomem(e);
	}
	return 0;
}

#define DB_CERT_COLS "serial, subject, not_before, not_after, issued, " \
	"COALESCE(request_id, 0), COALESCE(revoked, 0), COALESCE(reason, 0), " \
	"der, COALESCE(ca_gen, 1)"

static int
sq_cert_row(sqlite3_stmt *st, struct db_cert *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	sq_textcpy(c->serial, sizeof(c->serial), st, 0);
	c->subject = sq_textdup(st, 1);
	c->not_before = (time_t)sqlite3_column_int64(st, 2);
	c->not_after = (time_t)sqlite3_column_int64(st, 3);
	c->issued = (time_t)sqlite3_column_int64(st, 4);
	c->request_id = sqlite3_column_int64(st, 5);
	c->revoked = (time_t)sqlite3_column_int64(st, 6);
	c->reason = sqlite3_column_int(st, 7);
	c->der = sq_blobdup(st, 8, &c->der_len);
	c->gen = sqlite3_column_int(st, 9);
	if (c->subject == NULL || c->der == NULL) {
		db_cert_clear(c);
		return err_nomem(e);
	}
	return 0;
}

static int
sq_request_insert(struct db_sqlite *db, const struct db_request *r,
    const char *state, const char *serial, int64_t *id, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	time_t		 now = clock_now();
	int		 rc;

	if ((rc = sq_prepare(db, &st, "INSERT INTO requests (transid, "
	    "msgtype, state, subject, csr, serial, created, updated, reqhash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e)) != 0)
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
	sqlite3_bind_text(st, 9, r->reqhash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "insert request");
	else if (id != NULL)
		*id = sqlite3_last_insert_rowid(db->sq);
	sq_release(db, st);
	return rc;
}

static int
sq_request_add(struct db *d, const struct db_request *r, int64_t *id,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;

	return sq_request_insert(db, r, DB_PENDING, NULL, id, e);
}

static int
sq_request_one(struct db_sqlite *db, const char *sql, const char *text,
    int64_t num, struct db_request *r, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, s;

	memset(r, 0, sizeof(*r));
	if ((rc = sq_prepare(db, &st, sql, e)) != 0)
		return rc;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		rc = sq_request_row(st, r, e);
	else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "no such request");
	else
		rc = sq_fail(db, e, "find request");
	sq_release(db, st);
	return rc;
}

static int
sq_request_by_transid(struct db *d, const char *tid, struct db_request *r,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;

	return sq_request_one(db, "SELECT " DB_REQ_COLS " FROM requests "
	    "WHERE transid = ? ORDER BY id DESC LIMIT 1", tid, 0, r, e);
}

static int
sq_request_by_reqhash(struct db *d, const char *h, struct db_request *r,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;

	return sq_request_one(db, "SELECT " DB_REQ_COLS " FROM requests "
	    "WHERE reqhash = ? ORDER BY id DESC LIMIT 1", h, 0, r, e);
}

static int
sq_request_by_id(struct db *d, int64_t id, struct db_request *r,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;

	return sq_request_one(db, "SELECT " DB_REQ_COLS " FROM requests "
	    "WHERE id = ?", NULL, id, r, e);
}

static int
sq_request_reject(struct db *d, int64_t id, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	struct db_request	 r;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "UPDATE requests SET state = "
	    "'rejected', updated = ? WHERE id = ? AND state = 'pending'", e)) !=
	    0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)clock_now());
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "reject request");
	sq_release(db, st);
	if (rc != 0 || sqlite3_changes(db->sq) == 1)
		return rc;
	if ((rc = sq_request_by_id(&db->base, id, &r, e)) != 0)
		return err_set(e, ERR_NOTFOUND, "request %lld: no such request",
		    (long long)id);
	rc = err_set(e, ERR_BUSY, "request %lld is %s, not pending",
	    (long long)id, r.state);
	db_request_clear(&r);
	return rc;
}

static int
sq_request_list(struct db *d, int pending_only, db_request_cb cb, void *arg,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	struct db_request	 r;
	int			 rc, s;

	if ((rc = sq_prepare(db, &st, pending_only ?
	    "SELECT " DB_REQ_COLS " FROM requests WHERE state = 'pending' "
	    "ORDER BY id" : "SELECT " DB_REQ_COLS " FROM requests ORDER BY id",
	    e)) != 0)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = sq_request_row(st, &r, e)) != 0)
			break;
		rc = cb(&r, arg);
		db_request_clear(&r);
		if (rc != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sq_fail(db, e, "list requests");
	sq_release(db, st);
	return rc;
}

static int
sq_cert_insert(struct db_sqlite *db, const struct db_cert *c, int64_t reqid,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = sq_prepare(db, &st, "INSERT INTO certs (serial, subject, "
	    "not_before, not_after, issued, request_id, der, ca_gen) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", e)) != 0)
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
	sqlite3_bind_int(st, 8, c->gen > 1 ? c->gen : 1);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "insert certificate");
	sq_release(db, st);
	return rc;
}

static int
sq_request_mark_issued(struct db_sqlite *db, int64_t id, const char *serial,
    struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if ((rc = sq_prepare(db, &st, "UPDATE requests SET state = 'issued', "
	    "serial = ?, updated = ? WHERE id = ? AND state = 'pending'", e)) !=
	    0)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)clock_now());
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "update request");
	else if (sqlite3_changes(db->sq) != 1)
		rc = err_set(e, ERR_BUSY, "request %lld is no longer pending",
		    (long long)id);
	sq_release(db, st);
	return rc;
}

static int
sq_cert_by_serial(struct db *d, const char *serial, struct db_cert *c,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc, s;

	memset(c, 0, sizeof(*c));
	if ((rc = sq_prepare(db, &st, "SELECT " DB_CERT_COLS " FROM certs "
	    "WHERE serial = ?", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		rc = sq_cert_row(st, c, e);
	else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "no certificate with serial %s",
		    serial);
	else
		rc = sq_fail(db, e, "find certificate");
	sq_release(db, st);
	return rc;
}

static int
sq_cert_list(struct db *d, int revoked_only, db_cert_cb cb, void *arg,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	struct db_cert		 c;
	int			 rc, s;

	if ((rc = sq_prepare(db, &st, revoked_only ?
	    "SELECT " DB_CERT_COLS " FROM certs WHERE revoked IS NOT NULL "
	    "ORDER BY revoked, serial" :
	    "SELECT " DB_CERT_COLS " FROM certs ORDER BY issued, rowid", e)) !=
	    0)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = sq_cert_row(st, &c, e)) != 0)
			break;
		rc = cb(&c, arg);
		db_cert_clear(&c);
		if (rc != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sq_fail(db, e, "list certificates");
	sq_release(db, st);
	return rc;
}

static int
sq_cert_revoke(struct db *d, const char *serial, time_t when, int reason,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	struct db_cert		 c;
	int			 rc;

	if ((rc = sq_cert_by_serial(&db->base, serial, &c, e)) != 0)
		return rc;
	if (c.revoked != 0) {
		db_cert_clear(&c);
		return err_set(e, ERR_EXISTS, "certificate %s is already "
		    "revoked", serial);
	}
	db_cert_clear(&c);
	if ((rc = sq_prepare(db, &st, "UPDATE certs SET revoked = ?, "
	    "reason = ? WHERE serial = ? AND revoked IS NULL", e)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)when);
	sqlite3_bind_int(st, 2, reason);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "revoke");
	else if (sqlite3_changes(db->sq) != 1)
		rc = err_set(e, ERR_EXISTS, "certificate %s is already revoked",
		    serial);
	sq_release(db, st);
	return rc;
}

static int
sq_meta_set(struct db *d, const char *key, const char *value,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "INSERT INTO meta (key, value) VALUES "
	    "(?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	    e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "set meta");
	sq_release(db, st);
	return rc;
}

static int
sq_meta_get(struct db *d, const char *key, char **out, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc, s;

	*out = NULL;
	if ((rc = sq_prepare(db, &st, "SELECT value FROM meta WHERE key = ?",
	    e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((*out = sq_textdup(st, 0)) == NULL)
			rc = err_nomem(e);
	} else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "%s is not set", key);
	else
		rc = sq_fail(db, e, "get meta");
	sq_release(db, st);
	return rc;
}

static int
sq_crl_number(struct db *d, int64_t *out, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = sq_exec(db, "INSERT INTO meta (key, value) VALUES "
	    "('crl_number', '1') ON CONFLICT (key) DO UPDATE SET value = "
	    "CAST(value AS INTEGER) + 1", e)) != 0)
		goto out;
	if ((rc = sq_prepare(db, &st, "SELECT CAST(value AS INTEGER) FROM meta "
	    "WHERE key = 'crl_number'", e)) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "crl number");
	else
		*out = sqlite3_column_int64(st, 0);
	sq_release(db, st);
	if (rc == 0)
		rc = sq_exec(db, "COMMIT", e);
 out:
	if (rc != 0)
		sq_exec(db, "ROLLBACK", NULL);
	return rc;
}

static int
sq_begin(struct db *d, struct err *e)
{
	/* Take the write lock now, not at the first write: no deadlock. */
	return sq_exec((struct db_sqlite *)d, "BEGIN IMMEDIATE", e);
}

static int
sq_op_exec(struct db *d, const char *sql, struct err *e)
{
	return sq_exec((struct db_sqlite *)d, sql, e);
}

/* BEGIN IMMEDIATE serialises writers: a lost race is never retried. */
static int
sq_transient(const struct db *d)
{
	(void)d;
	return 0;
}

static int
sq_cert_rows(struct db *d, const struct db_cert *c,
    const struct db_request *req, int64_t *reqid, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	int			 rc = 0;

	*reqid = 0;
	if (req != NULL && req->id == 0)
		rc = sq_request_insert(db, req, DB_ISSUED, c->serial, reqid, e);
	else if (req != NULL) {
		*reqid = req->id;
		rc = sq_request_mark_issued(db, req->id, c->serial, e);
	}
	if (rc == 0)
		rc = sq_cert_insert(db, c, *reqid, e);
	return rc;
}

static int
sq_revoked_count(struct db *d, int64_t *out, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "SELECT COUNT(*) FROM certs WHERE "
	    "revoked IS NOT NULL", e)) != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "count revocations");
	else
		*out = sqlite3_column_int64(st, 0);
	sq_release(db, st);
	return rc;
}

#define DB_CH_COLS "id, salt, hash, subject, cn, created, expires, uses, " \
	"max_uses, revoked"

static int
sq_challenge_add(struct db *d, const struct db_challenge *c, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "INSERT INTO challenges (" DB_CH_COLS
	    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->salt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->cn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)c->created);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)c->expires);
	sqlite3_bind_int(st, 8, c->uses);
	sqlite3_bind_int(st, 9, c->max_uses);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "add challenge");
	sq_release(db, st);
	return rc;
}

static void
sq_challenge_row(sqlite3_stmt *st, struct db_challenge *c)
{
	memset(c, 0, sizeof(*c));
	sq_textcpy(c->id, sizeof(c->id), st, 0);
	sq_textcpy(c->salt, sizeof(c->salt), st, 1);
	sq_textcpy(c->hash, sizeof(c->hash), st, 2);
	sq_textcpy(c->subject, sizeof(c->subject), st, 3);
	sq_textcpy(c->cn, sizeof(c->cn), st, 4);
	c->created = (time_t)sqlite3_column_int64(st, 5);
	c->expires = (time_t)sqlite3_column_int64(st, 6);
	c->uses = sqlite3_column_int(st, 7);
	c->max_uses = sqlite3_column_int(st, 8);
	c->revoked = sqlite3_column_int(st, 9);
}

static int
sq_challenge_get(struct db *d, const char *id, struct db_challenge *c,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc, s;

	if ((rc = sq_prepare(db, &st, "SELECT " DB_CH_COLS " FROM challenges "
	    "WHERE id = ?", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		sq_challenge_row(st, c);
	else if (s == SQLITE_DONE)
		rc = err_set(e, ERR_NOTFOUND, "no such challenge");
	else
		rc = sq_fail(db, e, "find challenge");
	sq_release(db, st);
	return rc;
}

static int
sq_challenge_update(struct db *d, const char *id, int delta, time_t now,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	const char		*sql;
	int			 rc;

	/* One statement: atomic against every other connection. */
	if (delta < 0)
		sql = "UPDATE challenges SET uses = uses - 1 WHERE id = ? AND "
		    "uses > 0 AND revoked = 0 AND expires > ?";
	else if (delta > 0)
		sql = "UPDATE challenges SET uses = uses + 1 WHERE id = ? AND "
		    "uses < max_uses AND ? >= 0";
	else
		sql = "UPDATE challenges SET revoked = 1 WHERE id = ? AND "
		    "? >= 0";
	if ((rc = sq_prepare(db, &st, sql, e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "update challenge");
	else if (sqlite3_changes(db->sq) != 1)
		rc = delta == 0 ? err_set(e, ERR_NOTFOUND, "no such challenge") :
		    err_set(e, ERR_REFUSED, "challenge used up, expired or "
		    "revoked");
	sq_release(db, st);
	return rc;
}

static int
sq_challenge_list(struct db *d, db_challenge_cb cb, void *arg,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	struct db_challenge	 c;
	sqlite3_stmt		*st = NULL;
	int			 rc, s;

	if ((rc = sq_prepare(db, &st, "SELECT " DB_CH_COLS " FROM challenges "
	    "ORDER BY created, id", e)) != 0)
		return rc;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		sq_challenge_row(st, &c);
		rc = cb(&c, arg);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sq_fail(db, e, "list challenges");
	sq_release(db, st);
	return rc;
}

static int
sq_request_count(struct db *d, const char *state, int64_t *out,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "SELECT COUNT(*) FROM requests WHERE "
	    "state = ?", e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "count requests");
	else
		*out = sqlite3_column_int64(st, 0);
	sq_release(db, st);
	return rc;
}

static int
sq_user_version(struct db_sqlite *db, int *v, struct err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = 0;

	if (sqlite3_prepare_v2(db->sq, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "schema version");
	else
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Make or upgrade the schema to DB_SCHEMA_VERSION in one transaction: a
 * CA directory made before version 1 (user_version 0) or 2 gains the
 * tables and columns added since, its rows untouched.  A newer schema
 * is refused.
 */
static int
sq_schema(struct db_sqlite *db, struct err *e)
{
	char	 set[64];
	int	 v = 0, rc;

	if ((rc = sq_user_version(db, &v, e)) != 0 || v == DB_SCHEMA_VERSION)
		return rc;
	if ((rc = sq_exec_multi(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	/* Another process may have upgraded it while this one waited. */
	if ((rc = sq_user_version(db, &v, e)) == 0 && v > DB_SCHEMA_VERSION)
		rc = err_set(e, ERR_INVAL, "database %s: schema version %d is "
		    "newer than this netpki-ca's (%d)", db->path, v,
		    DB_SCHEMA_VERSION);
	snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	    DB_SCHEMA_VERSION);
	if (rc == 0 && v < 1 && (rc = sq_exec_multi(db, db_schema, e)) == 0)
		rc = sq_exec_multi(db, db_schema_v1, e);
	if (rc == 0 && v < 2)
		rc = sq_exec_multi(db, db_schema_v2, e);
	if (rc == 0 && v < DB_SCHEMA_VERSION)
		rc = sq_exec_multi(db, set, e);
	if (rc == 0)
		return sq_exec_multi(db, "COMMIT", e);
	sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
sq_cagen_add(struct db *d, const struct db_cagen *g, time_t now,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	/* One statement: the check and the row under one write lock. */
	if ((rc = sq_prepare(db, &st, "INSERT INTO ca_generations (gen, cert, "
	    "switch_at, created) SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS "
	    "(SELECT 1 FROM ca_generations WHERE switch_at > ?4) AND ?1 = "
	    "(SELECT COALESCE(MAX(gen), 1) + 1 FROM ca_generations)", e)) != 0)
		return rc;
	sqlite3_bind_int(st, 1, g->gen);
	sqlite3_bind_blob(st, 2, g->cert, (int)g->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)g->switch_at);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(db, e, "add CA generation");
	else if (sqlite3_changes(db->sq) != 1)
		rc = err_set(e, ERR_EXISTS, "CA generation %d: another rollover "
		    "is pending or was made meanwhile", g->gen);
	sq_release(db, st);
	return rc;
}

static int
sq_cagen_state(struct db *d, time_t now, int *cur, int *next,
    struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "SELECT COALESCE(MAX(CASE WHEN "
	    "switch_at <= ?1 THEN gen END), 1), COALESCE(MIN(CASE WHEN "
	    "switch_at > ?1 THEN gen END), 0) FROM ca_generations", e)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "CA generations");
	else {
		*cur = sqlite3_column_int(st, 0);
		*next = sqlite3_column_int(st, 1);
	}
	sq_release(db, st);
	return rc;
}

static int
sq_cagen_list(struct db *d, db_cagen_cb cb, void *arg, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	struct db_cagen		 g;
	int			 rc, s;

	if ((rc = sq_prepare(db, &st, "SELECT gen, cert, switch_at, created "
	    "FROM ca_generations ORDER BY gen", e)) != 0)
		return rc;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&g, 0, sizeof(g));
		g.gen = sqlite3_column_int(st, 0);
		g.switch_at = (time_t)sqlite3_column_int64(st, 2);
		g.created = (time_t)sqlite3_column_int64(st, 3);
		if ((g.cert = sq_blobdup(st, 1, &g.cert_len)) == NULL)
			rc = err_nomem(e);
		else
			rc = cb(&g, arg);
		db_cagen_clear(&g);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sq_fail(db, e, "list CA generations");
	sq_release(db, st);
	return rc;
}

static int
sq_revoked_count_gen(struct db *d, int gen, int64_t *out, struct err *e)
{
	struct db_sqlite	*db = (struct db_sqlite *)d;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if ((rc = sq_prepare(db, &st, "SELECT COUNT(*) FROM certs WHERE "
	    "revoked IS NOT NULL AND COALESCE(ca_gen, 1) = ?", e)) != 0)
		return rc;
	sqlite3_bind_int(st, 1, gen);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sq_fail(db, e, "count revocations");
	else
		*out = sqlite3_column_int64(st, 0);
	sq_release(db, st);
	return rc;
}

static const struct db_ops sq_ops = {
	.close = sq_close,
	.begin = sq_begin,
	.exec = sq_op_exec,
	.transient = sq_transient,
	.cert_rows = sq_cert_rows,
	.request_add = sq_request_add,
	.request_by_transid = sq_request_by_transid,
	.request_by_reqhash = sq_request_by_reqhash,
	.request_by_id = sq_request_by_id,
	.request_reject = sq_request_reject,
	.request_list = sq_request_list,
	.cert_by_serial = sq_cert_by_serial,
	.cert_list = sq_cert_list,
	.cert_revoke = sq_cert_revoke,
	.revoked_count = sq_revoked_count,
	.crl_number = sq_crl_number,
	.meta_set = sq_meta_set,
	.meta_get = sq_meta_get,
	.challenge_add = sq_challenge_add,
	.challenge_get = sq_challenge_get,
	.challenge_update = sq_challenge_update,
	.challenge_list = sq_challenge_list,
	.request_count = sq_request_count,
	.cagen_add = sq_cagen_add,
	.cagen_state = sq_cagen_state,
	.cagen_list = sq_cagen_list,
	.revoked_count_gen = sq_revoked_count_gen,
};

int
db_sqlite_open(struct db **out, const char *path, struct err *e)
{
	struct db_sqlite	*db;
	int			 rc;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = strdup(path)) == NULL) {
		free(db);
		return err_nomem(e);
	}
	db->base.ops = &sq_ops;
	if (sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = sq_fail(db, e, "open");
		goto out;
	}
	sqlite3_busy_handler(db->sq, sq_busy, NULL);
	if ((rc = sq_exec_multi(db, "PRAGMA journal_mode=WAL;", e)) != 0 ||
	    (rc = sq_exec_multi(db, "PRAGMA synchronous=FULL;", e)) != 0 ||
	    (rc = sq_schema(db, e)) != 0)
		goto out;
	*out = &db->base;
	db = NULL;
 out:
	if (db != NULL)
		sq_close(&db->base);
	return rc;
}
