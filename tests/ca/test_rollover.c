/*
 * rollover (netpki-ca) against netpki's own client parser: the
 * GetNextCACert answer that scep_server makes after `rollover` is judged
 * good by tp_nextca_parse (signed by the current CA, next CA first, the
 * old-signed-new link found); a generation that exists only as files
 * (no database row) is never announced; once the switch-over is past,
 * nothing is announced and GetCACert answers the new CA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "ca.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "helpers.h"
#include "scep_server.h"
#include "tp_rollover.h"

struct fixture {
	char		*dir;
	struct ca	*ca;
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	struct ca_init_opts io = { NULL, "rsa:2048", 0, 0, NULL };
	struct err	 e;

	f->dir = th_tmpdir();
	assert_int_equal(ca_init(f->dir, &io, &e), 0);
	assert_int_equal(ca_load(&f->ca, f->dir, &e), 0);
	assert_int_equal(ca_db_open(&f->db, f->ca, &e), 0);
	assert_int_equal(ca_gens_sync(f->ca, f->db, &e), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	db_close(f->db);
	ca_free(f->ca);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Reload the directory (as serve does after a rollover). */
static void
reload(struct fixture *f)
{
	struct err	 e;

	ca_free(f->ca);
	assert_int_equal(ca_load(&f->ca, f->dir, &e), 0);
	assert_int_equal(ca_gens_sync(f->ca, f->db, &e), 0);
}

/* A server for f's CA; GetCACaps lists GetNextCACert or not. */
static void
server(struct scep_server *s, struct fixture *f, int next)
{
	struct scep_reply	 r;
	struct err		 e;

	memset(s, 0, sizeof(*s));
	memset(&r, 0, sizeof(r));
	assert_int_equal(scep_server_init(s, f->ca, &e), 0);
	assert_int_equal(scep_server_getcacaps(s, f->db, &r), 0);
	assert_int_equal(strstr((char *)r.body, "GetNextCACert\n") != NULL,
	    next);
	scep_reply_clear(&r);
}

static void
test_nextca_client(void **state)
{
	struct fixture		*f = *state;
	struct ca_rollover_opts	 ro = { NULL, NULL, 0, 0 };
	struct scep_server	 s;
	struct scep_reply	 r;
	struct tp_nextca	 n;
	struct err		 e;
	const struct ca		*g2;
	time_t			 now = clock_now();
	int			 gen;

	ro.at = now + 3600;
	assert_int_equal(ca_rollover(&gen, f->ca, f->db, NULL, &ro, &e), 0);
	assert_int_equal(gen, 2);
	reload(f);
	assert_non_null(g2 = ca_gen(f->ca, 2));
	server(&s, f, 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(scep_server_getnextcacert(&s, f->db, &r), 0);
	assert_int_equal(r.http, 200);
	assert_string_equal(r.type, "application/x-x509-next-ca-cert");
	assert_int_equal(tp_nextca_parse(&n, r.body, r.len, f->ca->cert, now,
	    &e), 0);
	assert_int_equal(n.signed_by_ca, 1);
	assert_int_equal(X509_cmp(n.ca, g2->cert), 0);
	assert_non_null(n.link);
	assert_int_equal(X509_cmp(n.link, g2->link_new), 0);
	tp_nextca_clear(&n);
	/* Judged against another CA (the new one itself): refused. */
	assert_int_not_equal(tp_nextca_parse(&n, r.body, r.len, g2->cert, now,
	    &e), 0);
	scep_reply_clear(&r);
	scep_server_clear(&s);
}

static void
test_files_without_row(void **state)
{
	struct fixture		*f = *state;
	struct ca_rollover_opts	 ro = { NULL, NULL, 0, 0 };
	struct scep_server	 s;
	struct scep_reply	 r;
	struct err		 e;
	char			 path[4096];
	int			 gen;

	ro.at = clock_now() + 3600;
	assert_int_equal(ca_rollover(&gen, f->ca, f->db, NULL, &ro, &e), 0);
	/* Another database: the files of generation 2 have no row there. */
	db_close(f->db);
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(db_open(&f->db, path, &e), 0);
	reload(f);
	assert_int_equal(ca_gen(f->ca, 2)->in_db, 0);
	server(&s, f, 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(scep_server_getnextcacert(&s, f->db, &r), 0);
	assert_int_equal(r.http, 404);
	scep_reply_clear(&r);
	scep_server_clear(&s);
}

static void
test_switched(void **state)
{
	struct fixture		*f = *state;
	struct ca_rollover_opts	 ro = { NULL, NULL, 0, 0 };
	struct scep_server	 s;
	struct scep_reply	 r;
	struct err		 e;
	unsigned char		*der = NULL;
	int			 gen, len;

	/* Switch-over now: the new CA is in force at once. */
	assert_int_equal(ca_rollover(&gen, f->ca, f->db, NULL, &ro, &e), 0);
	reload(f);
	server(&s, f, 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(scep_server_getcacert(&s, f->db, &r), 0);
	len = i2d_X509(ca_gen(f->ca, 2)->cert, &der);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, der, (size_t)len);
	OPENSSL_free(der);
	scep_reply_clear(&r);
	/* A second rollover right after is allowed: none is pending. */
	assert_int_equal(ca_rollover(&gen, f->ca, f->db, NULL, &ro, &e), 0);
	assert_int_equal(gen, 3);
	scep_server_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nextca_client, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_files_without_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_switched, setup, teardown),
	};

	return cmocka_run_group_tests_name("rollover", tests, NULL, NULL);
}
