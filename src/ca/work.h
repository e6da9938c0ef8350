/*
 * work: the threads that run PKIOperations for the HTTP front.
 *
 * libmicrohttpd ties a connection to the thread that accepted it, so two
 * busy clients could queue behind one thread while another core idles.
 * The HTTP thread instead suspends the connection and queues the job
 * here; any free worker takes it, and resumes the connection when the
 * reply is ready.  The number of workers bounds the CPU-heavy work in
 * flight whatever the number of connections.  Each worker keeps its own
 * database connection.
 */
#ifndef NETPKI_CA_WORK_H
#define NETPKI_CA_WORK_H

struct ca;
struct db;
struct err;
struct work;

/*
 * A job, owned by the caller until its fn has run.  db is the worker's
 * connection, or NULL with dberr saying why it could not be opened.
 */
struct work_job {
	void		(*fn)(struct work_job *, struct db *,
			    const struct err *);
	struct work_job	*next;
};

int	 work_new(struct work **, const struct ca *, int, struct err *);
/* Queue a job; -1 once work_stop has begun (run it elsewhere, or refuse). */
int	 work_push(struct work *, struct work_job *);
/* Runs every job already queued, then joins the workers. */
void	 work_stop(struct work *);
/* work_stop if not done yet, and free. */
void	 work_free(struct work *);

#endif
