/*
 * bench_ca_pipeline: netpki-ca's PKIOperation pipeline without HTTP, to
 * show how much of the server's time is the SCEP work itself (and so what
 * the HTTP front costs).  Runs
 * scep_server_pkiop over pre-made PKCSReq messages (files *.der in MSGDIR,
 * made for the CA in CADIR with `scepreq gen`) on THREADS threads, with
 * the same group commit as `serve`, and prints certificates per second
 * and CPU milliseconds per certificate.
 *
 *   bench_ca_pipeline CADIR MSGDIR THREADS CHALLENGE
 */
#include <sys/resource.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "db.h"
#include "err.h"
#include "scep_server.h"
#include "store.h"

#define BP_MAXMSGS	100000
#define BP_MAXTHREADS	64

struct bp {
	struct scep_server	 srv;
	struct ca		*ca;
	char			**msg;
	size_t			*len;
	int			 n, nthreads;
	int			 ok[BP_MAXTHREADS];
};

struct bp_arg {
	struct bp	*bp;
	int		 t;
};

static void __attribute__((noreturn))
bp_die(const struct err *e, const char *what)
{
	fprintf(stderr, "bench_ca_pipeline: %s: %s\n", what, e->msg);
	exit(1);
}

static double
bp_secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void *
bp_run(void *arg)
{
	struct bp_arg		*a = arg;
	struct bp		*bp = a->bp;
	struct scep_reply	 r;
	struct db		*db;
	struct err		 e;
	int			 i;

	if (ca_db_open(&db, bp->ca, &e) != 0)
		bp_die(&e, "database");
	for (i = a->t; i < bp->n; i += bp->nthreads) {
		memset(&r, 0, sizeof(r));
		if (scep_server_pkiop(&bp->srv, db, (unsigned char *)bp->msg[i],
		    bp->len[i], &r) == 0 && r.http == 200 &&
		    strstr(r.note, "SUCCESS") != NULL)
			bp->ok[a->t]++;
		scep_reply_clear(&r);
	}
	db_close(db);
	return NULL;
}

static void
bp_load(struct bp *bp, const char *dir)
{
	struct dirent	*de;
	struct err	 e;
	DIR		*d;
	char		 path[4096];

	if ((bp->msg = calloc(BP_MAXMSGS, sizeof(*bp->msg))) == NULL ||
	    (bp->len = calloc(BP_MAXMSGS, sizeof(*bp->len))) == NULL ||
	    (d = opendir(dir)) == NULL) {
		fprintf(stderr, "bench_ca_pipeline: %s: cannot read\n", dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL && bp->n < BP_MAXMSGS) {
		if (strstr(de->d_name, ".der") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (store_file_read(path, &bp->msg[bp->n], &bp->len[bp->n], 0,
		    &e) != 0)
			bp_die(&e, path);
		bp->n++;
	}
	closedir(d);
}

int
main(int argc, char *argv[])
{
	static struct bp	 bp;
	struct bp_arg		 arg[BP_MAXTHREADS];
	pthread_t		 th[BP_MAXTHREADS];
	struct rusage		 u0, u1;
	struct timespec		 t0, t1;
	struct db		*gdb;
	struct err		 e;
	double			 secs, cpu;
	int			 i, ok = 0;

	if (argc != 5 || (bp.nthreads = atoi(argv[3])) < 1 ||
	    bp.nthreads > BP_MAXTHREADS) {
		fprintf(stderr, "usage: bench_ca_pipeline CADIR MSGDIR THREADS "
		    "CHALLENGE\n");
		return 2;
	}
	if (ca_load(&bp.ca, argv[1], &e) != 0)
		bp_die(&e, argv[1]);
	if (scep_server_init(&bp.srv, bp.ca, &e) != 0)
		bp_die(&e, "server");
	bp.srv.challenge = argv[4];
	bp.srv.challenge_len = strlen(argv[4]);
	bp.srv.issue.days = CA_CERT_DAYS;
	bp.srv.issue.crl_url = "http://127.0.0.1/crl";
	if (ca_db_open(&gdb, bp.ca, &e) != 0 ||
	    db_group_new(&bp.srv.issue.group, gdb, &e) != 0)
		bp_die(&e, "database");
	bp_load(&bp, argv[2]);
	getrusage(RUSAGE_SELF, &u0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < bp.nthreads; i++) {
		arg[i].bp = &bp;
		arg[i].t = i;
		pthread_create(&th[i], NULL, bp_run, &arg[i]);
	}
	for (i = 0; i < bp.nthreads; i++) {
		pthread_join(th[i], NULL);
		ok += bp.ok[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &u1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = bp_secs(&u1.ru_utime) - bp_secs(&u0.ru_utime) +
	    bp_secs(&u1.ru_stime) - bp_secs(&u0.ru_stime);
	printf("threads=%d requests=%d issued=%d seconds=%.3f rate=%.1f "
	    "cpu_ms=%.3f\n", bp.nthreads, bp.n, ok, secs, (double)ok / secs,
	    bp.n > 0 ? cpu * 1000 / bp.n : 0.0);
	db_group_free(bp.srv.issue.group);
	bp.srv.challenge = NULL;
	scep_server_clear(&bp.srv);
	ca_free(bp.ca);
	for (i = 0; i < bp.n; i++)
		free(bp.msg[i]);
	free(bp.msg);
	free(bp.len);
	return ok == bp.n ? 0 : 1;
}
