/*
 * work: a fixed set of threads taking jobs from one FIFO queue.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ca.h"
#include "db.h"
#include "err.h"
#include "work.h"

#define WORK_MAXTHREADS	64

struct work {
	const struct ca	*ca;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a job queued, or stop */
	struct work_job	*head, **tail;
	int		 stop;
	int		 nthreads;
	pthread_t	 th[WORK_MAXTHREADS];
};

static struct work_job *
work_take(struct work *w)
{
	struct work_job	*j;

	pthread_mutex_lock(&w->mu);
	while (w->head == NULL && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	if ((j = w->head) != NULL && (w->head = j->next) == NULL)
		w->tail = &w->head;
	pthread_mutex_unlock(&w->mu);
	return j;
}

static void *
work_main(void *arg)
{
	struct work	*w = arg;
	struct work_job	*j;
	struct db	*db = NULL;
	struct err	 e;

	while ((j = work_take(w)) != NULL) {
		/* Opened on first use, and again after a failure. */
		if (db == NULL && ca_db_open(&db, w->ca, &e) != 0)
			db = NULL;
		j->next = NULL;
		j->fn(j, db, db == NULL ? &e : NULL);
	}
	db_close(db);
	return NULL;
}

int
work_new(struct work **out, const struct ca *ca, int n, struct err *e)
{
	struct work	*w;

	*out = NULL;
	if (n < 1 || n > WORK_MAXTHREADS)
		return err_set(e, ERR_INVAL, "--threads: 1 to %d",
		    WORK_MAXTHREADS);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return err_nomem(e);
	w->ca = ca;
	w->tail = &w->head;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (; w->nthreads < n; w->nthreads++)
		if (pthread_create(&w->th[w->nthreads], NULL, work_main, w) !=
		    0) {
			work_free(w);
			return err_set(e, ERR_NOMEM, "cannot start worker "
			    "threads");
		}
	*out = w;
	return 0;
}

int
work_push(struct work *w, struct work_job *j)
{
	int	 rc = 0;

	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->stop)
		rc = -1;
	else {
		*w->tail = j;
		w->tail = &j->next;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
work_stop(struct work *w)
{
	int	 i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->th[i], NULL);
	w->nthreads = 0;
}

void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	work_stop(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
