/*
 * db: the store's interface (db.h) over its backends, chosen when the
 * database is opened: SQLite for a file path (db_sqlite.c), PostgreSQL
 * for a postgresql:// URI (db_pg.c).  What needs no SQL lives here: the
 * transaction around an issued certificate, with its retries, and the
 * group-commit thread of `serve`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "err.h"

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

int
db_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

int
db_open(struct db **out, const char *where, struct err *e)
{
	*out = NULL;
	if (db_uri(where))
		return db_pg_open(out, where, e);
	if (strstr(where, "://") != NULL)
		return err_set(e, ERR_INVAL, "database %.200s: only "
		    "postgresql:// URIs and file paths are supported", where);
	return db_sqlite_open(out, where, e);
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
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

void
db_cagen_clear(struct db_cagen *g)
{
	if (g == NULL)
		return;
	free(g->cert);
	memset(g, 0, sizeof(*g));
}

int
db_cagen_add(struct db *db, const struct db_cagen *g, time_t now,
    struct err *e)
{
	int	 rc = db->ops->cagen_add(db, g, now, e);

	/* A primary key refusing the row: the same race, one message. */
	if (rc == ERR_EXISTS)
		err_set(e, rc, "CA generation %d: another rollover is pending "
		    "or was made meanwhile", g->gen);
	return rc;
}

int
db_cagen_state(struct db *db, time_t now, int *cur, int *next,
    struct err *e)
{
	return db->ops->cagen_state(db, now, cur, next, e);
}

int
db_cagen_list(struct db *db, db_cagen_cb cb, void *arg, struct err *e)
{
	return db->ops->cagen_list(db, cb, arg, e);
}

int
db_cert_revoked_count_gen(struct db *db, int gen, int64_t *n, struct err *e)
{
	return db->ops->revoked_count_gen(db, gen, n, e);
}

int
db_request_add(struct db *db, const struct db_request *r, int64_t *id,
    struct err *e)
{
	return db->ops->request_add(db, r, id, e);
}

int
db_request_by_transid(struct db *db, const char *tid, struct db_request *r,
    struct err *e)
{
	return db->ops->request_by_transid(db, tid, r, e);
}

int
db_request_by_id(struct db *db, int64_t id, struct db_request *r,
    struct err *e)
{
	return db->ops->request_by_id(db, id, r, e);
}

int
db_request_reject(struct db *db, int64_t id, struct err *e)
{
	return db->ops->request_reject(db, id, e);
}

int
db_request_list(struct db *db, int pending_only, db_request_cb cb, void *arg,
    struct err *e)
{
	return db->ops->request_list(db, pending_only, cb, arg, e);
}

int
db_cert_by_serial(struct db *db, const char *serial, struct db_cert *c,
    struct err *e)
{
	return db->ops->cert_by_serial(db, serial, c, e);
}

int
db_cert_list(struct db *db, int revoked_only, db_cert_cb cb, void *arg,
    struct err *e)
{
	return db->ops->cert_list(db, revoked_only, cb, arg, e);
}

int
db_cert_revoke(struct db *db, const char *serial, time_t when, int reason,
    struct err *e)
{
	return db->ops->cert_revoke(db, serial, when, reason, e);
}

int
db_cert_revoked_count(struct db *db, int64_t *n, struct err *e)
{
	return db->ops->revoked_count(db, n, e);
}

int
db_crl_number(struct db *db, int64_t *n, struct err *e)
{
	return db->ops->crl_number(db, n, e);
}

int
db_meta_set(struct db *db, const char *key, const char *value,
    struct err *e)
{
	return db->ops->meta_set(db, key, value, e);
}

int
db_meta_get(struct db *db, const char *key, char **out, struct err *e)
{
	return db->ops->meta_get(db, key, out, e);
}

int
db_request_by_reqhash(struct db *db, const char *h, struct db_request *r,
    struct err *e)
{
	return db->ops->request_by_reqhash(db, h, r, e);
}

int
db_challenge_add(struct db *db, const struct db_challenge *c, struct err *e)
{
	return db->ops->challenge_add(db, c, e);
}

int
db_challenge_get(struct db *db, const char *id, struct db_challenge *c,
    struct err *e)
{
	return db->ops->challenge_get(db, id, c, e);
}

int
db_challenge_update(struct db *db, const char *id, int delta, time_t now,
    struct err *e)
{
	return db->ops->challenge_update(db, id, delta, now, e);
}

int
db_challenge_list(struct db *db, db_challenge_cb cb, void *arg,
    struct err *e)
{
	return db->ops->challenge_list(db, cb, arg, e);
}

int
db_request_count(struct db *db, const char *state, int64_t *n,
    struct err *e)
{
	return db->ops->request_count(db, state, n, e);
}

/*
 * A transaction that lost a race with another instance (PostgreSQL's
 * serialization failure or deadlock), or whose connection was found dead
 * before its COMMIT was sent (the server restarted), is tried again, a
 * bounded number of times; any other failure is final.
 */
int
db_cert_add(struct db *db, const struct db_cert *c,
    const struct db_request *req, int64_t *newid, struct err *e)
{
	int64_t	 reqid = 0;
	int	 rc, try;

	for (try = 0; try < DB_RETRIES; try++) {
		if ((rc = db->ops->begin(db, e)) != 0) {
			if (db->ops->transient(db))
				continue;
			return rc;
		}
		if ((rc = db->ops->cert_rows(db, c, req, &reqid, e)) == 0 &&
		    (rc = db->ops->exec(db, "COMMIT", e)) == 0)
			break;
		db->ops->exec(db, "ROLLBACK", NULL);
		if (!db->ops->transient(db))
			return rc;
	}
	if (rc == 0 && newid != NULL)
		*newid = reqid;
	return rc;
}

/* One row inside the group's transaction, in its own savepoint. */
static void
db_group_row(struct db *db, struct db_pending *it)
{
	int	 rc;

	err_clear(&it->err);
	it->newid = 0;
	if ((rc = db->ops->exec(db, "SAVEPOINT row", &it->err)) != 0) {
		it->rc = rc;
		return;
	}
	rc = db->ops->cert_rows(db, it->cert, it->req, &it->newid, &it->err);
	if (rc != 0)
		db->ops->exec(db, "ROLLBACK TO row", NULL);
	db->ops->exec(db, "RELEASE row", NULL);
	it->rc = rc;
}

/*
 * Commit a batch; every row fails if the COMMIT does.  A batch that lost
 * a race (a row or the COMMIT failed transiently) is rolled back and run
 * again whole, since its savepoints went with it.
 */
static void
db_group_commit(struct db *db, struct db_pending *batch)
{
	struct db_pending	*it;
	struct err		 e;
	int			 rc, try, lost;

	for (try = 0; try < DB_RETRIES; try++) {
		if ((rc = db->ops->begin(db, &e)) != 0) {
			if (db->ops->transient(db))
				continue;
			break;
		}
		lost = 0;
		for (it = batch; it != NULL && !lost; it = it->next) {
			db_group_row(db, it);
			if (it->rc != 0 && db->ops->transient(db)) {
				lost = 1;
				rc = it->rc;
				e = it->err;
			}
		}
		if (!lost && (rc = db->ops->exec(db, "COMMIT", &e)) == 0)
			return;
		lost = lost || db->ops->transient(db);
		db->ops->exec(db, "ROLLBACK", NULL);
		if (!lost)
			break;
	}
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
		return err_nomem(e);
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
		return err_nomem(e);
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
