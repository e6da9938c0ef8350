/*
 * netpki-ca: the SCEP CA/RA server and its administration commands.
 * See man/netpki-ca.8.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "cert.h"
#include "challenge.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "keyproc.h"
#include "policy.h"
#include "scep_server.h"
#include "store.h"
#include "text.h"

#define CHALLENGE_FILEMAX	4096

struct opts {
	const char	*dir;
	int		 json;
	/* init */
	const char	*subject, *keyspec;
	int		 days, ra;
	const char	*db;
	/* serve */
	const char	*listen, *challenge, *challenge_file, *approve, *url;
	int		 cert_days, threads, onetime;
	/* challenge new */
	const char	*cn;
	int		 ttl, uses;
	struct http_limits lim;
	/* requests, revoke */
	int		 pending;
	const char	*reason;
	/* positional after the command */
	const char	*arg, *arg2;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: netpki-ca --dir DIR [--json] COMMAND [options]\n"
	    "  init [--subject DN] [--key rsa:2048|rsa:3072|ec:p256] "
	    "[--days N] [--ra]\n"
	    "       [--db postgresql://USER@HOST:PORT/DBNAME]\n"
	    "  serve --listen ADDR:PORT [--challenge SECRET | --challenge-file "
	    "F]\n"
	    "        [--approve auto|manual] [--cert-days N] [--url BASE] "
	    "[--threads N]\n"
	    "        [--max-conn N] [--max-conn-per-ip N] [--request-timeout "
	    "SECONDS]\n"
	    "        [--challenge-failures N] [--challenge-cooldown SECONDS]\n"
	    "        [--one-time-challenges]\n"
	    "  requests [--pending]\n"
	    "  approve ID\n"
	    "  reject ID\n"
	    "  list\n"
	    "  revoke SERIAL [--reason R]\n"
	    "  crl\n"
	    "  policy\n"
	    "  challenge new [--subject DN | --cn PATTERN] [--ttl 1h] "
	    "[--uses N]\n"
	    "  challenge list\n"
	    "  challenge revoke ID\n"
	    "  sign-csr FILE [--cert-days N]\n");
	exit(2);
}

static int
fail(const struct err *e)
{
	fprintf(stderr, "netpki-ca: %s\n", e->msg);
	return 1;
}

static int
num(const char *s, int lo, int hi, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi) {
		fprintf(stderr, "netpki-ca: %s: a number from %d to %d is "
		    "expected\n", what, lo, hi);
		exit(2);
	}
	return (int)v;
}

static void
fmt_time(char *buf, size_t sz, time_t t)
{
	struct tm	 tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, sz, "-");
	else
		strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct lister {
	int	 json;
	int	 n;
};

static int
print_request(const struct db_request *r, void *arg)
{
	struct lister	*l = arg;
	char		 t[32];

	fmt_time(t, sizeof(t), r->created);
	if (!l->json) {
		printf("%lld\t%s\t%s\t%s\n", (long long)r->id, r->state,
		    r->subject[0] ? r->subject : "-", t);
		return 0;
	}
	printf("%s\n  {\"id\": %lld, \"state\": ", l->n++ ? "," : "",
	    (long long)r->id);
	json_str(r->state);
	printf(", \"subject\": ");
	json_str(r->subject);
	printf(", \"created\": ");
	json_str(t);
	printf(", \"transaction_id\": ");
	json_str(r->transid);
	printf(", \"serial\": ");
	if (r->serial[0])
		json_str(r->serial);
	else
		printf("null");
	printf("}");
	return 0;
}

static const char *
cert_state(const struct db_cert *c)
{
	if (c->revoked != 0)
		return "revoked";
	if (c->not_after < clock_now())
		return "expired";
	return "valid";
}

static int
print_cert(const struct db_cert *c, void *arg)
{
	struct lister	*l = arg;
	char		 na[32], is[32], rv[32];

	fmt_time(na, sizeof(na), c->not_after);
	fmt_time(is, sizeof(is), c->issued);
	fmt_time(rv, sizeof(rv), c->revoked);
	if (!l->json) {
		printf("%s\t%s\t%s\t%s\n", c->serial, cert_state(c),
		    c->subject[0] ? c->subject : "-", na);
		return 0;
	}
	printf("%s\n  {\"serial\": ", l->n++ ? "," : "");
	json_str(c->serial);
	printf(", \"state\": ");
	json_str(cert_state(c));
	printf(", \"subject\": ");
	json_str(c->subject);
	printf(", \"not_after\": ");
	json_str(na);
	printf(", \"issued\": ");
	json_str(is);
	if (c->request_id != 0)
		printf(", \"request\": %lld", (long long)c->request_id);
	if (c->revoked != 0) {
		printf(", \"revoked\": ");
		json_str(rv);
		printf(", \"reason\": ");
		json_str(cert_reason_name(c->reason));
	}
	printf("}");
	return 0;
}

static int
pol_file_exists(const char *dir)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, POLICY_FILE);
	return access(path, F_OK) == 0;
}

static int
open_ca(struct ca **ca, struct db **db, const struct opts *o, struct err *e)
{
	int	 rc;

	if ((rc = ca_load(ca, o->dir, e)) != 0)
		return rc;
	if (db != NULL && (rc = ca_db_open(db, *ca, e)) != 0) {
		ca_free(*ca);
		*ca = NULL;
	}
	return rc;
}

static int
cmd_init(const struct opts *o)
{
	struct ca_init_opts	 io = { o->subject, o->keyspec, o->days, o->ra,
	    o->db };
	struct err		 e;

	if (ca_init(o->dir, &io, &e) != 0)
		return fail(&e);
	if (o->keyspec != NULL && strncmp(o->keyspec, "ec:", 3) == 0 && !o->ra)
		fprintf(stderr, "netpki-ca: warning: SCEP clients encrypt "
		    "requests with RSA; an EC CA needs --ra\n");
	printf("CA created in %s%s\n", o->dir, o->ra ? " (with RA "
	    "certificates)" : "");
	return 0;
}

static int
cmd_requests(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	struct lister	 l = { o->json, 0 };
	struct err	 e;
	int		 rc;

	if (open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	if (o->json)
		printf("[");
	else
		printf("# ID\tSTATE\tSUBJECT\tCREATED\n");
	rc = db_request_list(db, o->pending, print_request, &l, &e);
	if (o->json)
		printf("%s]\n", l.n ? "\n" : "");
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_list(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	struct lister	 l = { o->json, 0 };
	struct err	 e;
	int		 rc;

	if (open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	if (o->json)
		printf("[");
	else
		printf("# SERIAL\tSTATE\tSUBJECT\tEXPIRES\n");
	rc = db_cert_list(db, 0, print_cert, &l, &e);
	if (o->json)
		printf("%s]\n", l.n ? "\n" : "");
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

/* What serve recorded for approve and sign-csr: CRL URL, validity. */
static void
issue_settings(struct issue_opts *io, char **url, struct db *db,
    const struct policy *pol, const struct opts *o)
{
	struct err	 e;
	char		*days = NULL;

	memset(io, 0, sizeof(*io));
	io->policy = pol;
	*url = NULL;
	db_meta_get(db, "crl_url", url, &e);
	io->crl_url = *url;
	io->days = o->cert_days;
	if (io->days == 0 && db_meta_get(db, "cert_days", &days, &e) == 0)
		io->days = atoi(days);
	free(days);
}

static int
cmd_approve(const struct opts *o)
{
	struct ca		*ca = NULL;
	struct db		*db = NULL;
	struct issue_opts	 io;
	struct policy		 pol;
	struct err		 e;
	char			 serial[64] = "", *url = NULL;
	int			 rc;

	if (policy_load(&pol, o->dir, &e) != 0 ||
	    open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	issue_settings(&io, &url, db, &pol, o);
	rc = scep_server_approve(ca, db, strtoll(o->arg, NULL, 10), &io,
	    serial, sizeof(serial), &e);
	if (rc == 0)
		printf("request %s approved: serial %s\n", o->arg, serial);
	free(url);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_reject(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	struct err	 e;
	int		 rc;

	if (open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	rc = db_request_reject(db, strtoll(o->arg, NULL, 10), &e);
	if (rc == 0)
		printf("request %s rejected\n", o->arg);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_revoke(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	ASN1_INTEGER	*sn = NULL;
	struct err	 e;
	char		*hex = NULL;
	int		 rc, reason = 0;

	if (o->reason != NULL && (reason = cert_reason_code(o->reason)) < 0) {
		fprintf(stderr, "netpki-ca: --reason %s: use unspecified, "
		    "keyCompromise, cACompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, certificateHold or "
		    "privilegeWithdrawn\n", o->reason);
		return 2;
	}
	if (issue_serial_parse(&sn, o->arg, &e) != 0)
		return fail(&e);
	hex = issue_serial_hex(sn);
	ASN1_INTEGER_free(sn);
	if (hex == NULL || open_ca(&ca, &db, o, &e) != 0) {
		free(hex);
		return fail(&e);
	}
	if ((rc = db_cert_revoke(db, hex, clock_now(), reason, &e)) == 0 &&
	    (rc = cacrl_update(ca, db, &e)) == 0)
		printf("certificate %s revoked (%s); CRL updated\n", hex,
		    cert_reason_name(reason));
	free(hex);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_crl(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	struct err	 e;
	int		 rc;

	if (open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	if ((rc = cacrl_update(ca, db, &e)) == 0)
		printf("CRL written to %s/crl.der\n", o->dir);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_sign_csr(const struct opts *o)
{
	struct ca		*ca = NULL;
	struct db		*db = NULL;
	struct issue_opts	 io;
	struct policy		 pol;
	X509_REQ		*req = NULL;
	X509			*x = NULL;
	struct err		 e;
	char			*buf = NULL, *url = NULL;
	size_t			 len;
	int			 rc;

	if ((rc = store_file_read(o->arg, &buf, &len, 64 * 1024, &e)) != 0 ||
	    (rc = issue_csr_parse(&req, (unsigned char *)buf, len, &e)) != 0) {
		free(buf);
		return fail(&e);
	}
	if ((rc = policy_load(&pol, o->dir, &e)) == 0 &&
	    (rc = open_ca(&ca, &db, o, &e)) == 0) {
		issue_settings(&io, &url, db, &pol, o);
		/* The administrator vouches for the subject and its names. */
		io.trusted = 1;
		if ((rc = issue_cert(&x, ca, db, req, NULL, NULL, &io, &e)) ==
		    0)
			PEM_write_X509(stdout, x);
	}
	free(url);
	free(buf);
	X509_free(x);
	X509_REQ_free(req);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

static int
print_challenge(const struct db_challenge *c, void *arg)
{
	struct lister	*l = arg;
	char		 ex[32], esc[600];
	const char	*state;

	fmt_time(ex, sizeof(ex), c->expires);
	state = c->revoked ? "revoked" : c->uses == 0 ? "used" :
	    c->expires <= clock_now() ? "expired" : "valid";
	if (!l->json) {
		printf("%s\t%s\t%d/%d\t%s\t%s\n", c->id, state, c->uses,
		    c->max_uses, ex, c->subject[0] ? text_esc(esc, sizeof(esc),
		    c->subject) : c->cn[0] ? text_esc(esc, sizeof(esc),
		    c->cn) : "*");
		return 0;
	}
	printf("%s\n  {\"id\": ", l->n++ ? "," : "");
	json_str(c->id);
	printf(", \"state\": ");
	json_str(state);
	printf(", \"uses_left\": %d, \"uses\": %d, \"expires\": ", c->uses,
	    c->max_uses);
	json_str(ex);
	printf(", \"subject\": ");
	json_str(c->subject);
	printf(", \"cn\": ");
	json_str(c->cn);
	printf("}");
	return 0;
}

static int
challenge_run(const struct opts *o, struct db *db, struct err *e)
{
	struct challenge_opts	 co = { o->subject, o->cn, o->ttl, o->uses };
	struct lister		 l = { o->json, 0 };
	char			 text[CHALLENGE_LEN + 1];
	int			 rc;

	if (strcmp(o->arg, "new") == 0) {
		if ((rc = challenge_new(text, NULL, db, &co, e)) == 0)
			printf("%s\n", text);
		OPENSSL_cleanse(text, sizeof(text));
		return rc;
	}
	if (strcmp(o->arg, "list") == 0) {
		if (o->json)
			printf("[");
		else
			printf("# ID\tSTATE\tUSES\tEXPIRES\tBOUND TO\n");
		rc = db_challenge_list(db, print_challenge, &l, e);
		if (o->json)
			printf("%s]\n", l.n ? "\n" : "");
		return rc;
	}
	if ((rc = db_challenge_update(db, o->arg2, 0, clock_now(), e)) == 0)
		printf("challenge %s revoked\n", o->arg2);
	else if (rc == ERR_NOTFOUND)
		err_set(e, rc, "challenge %.64s: no such challenge", o->arg2);
	return rc;
}

/* challenge new|list|revoke ID: one-time enrollment challenges. */
static int
cmd_challenge(const struct opts *o)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	struct err	 e;
	int		 rc;

	if (o->arg == NULL || (strcmp(o->arg, "new") != 0 &&
	    strcmp(o->arg, "list") != 0 && strcmp(o->arg, "revoke") != 0) ||
	    (strcmp(o->arg, "revoke") == 0) != (o->arg2 != NULL))
		usage();
	if (open_ca(&ca, &db, o, &e) != 0)
		return fail(&e);
	rc = challenge_run(o, db, &e);
	db_close(db);
	ca_free(ca);
	return rc != 0 ? fail(&e) : 0;
}

/* The policy in force: DIR/policy.conf, or the defaults. */
static int
cmd_policy(const struct opts *o)
{
	struct policy	 pol;
	struct err	 e;
	char		*text;

	if (policy_load(&pol, o->dir, &e) != 0)
		return fail(&e);
	if ((text = policy_format(&pol)) == NULL) {
		fprintf(stderr, "netpki-ca: out of memory\n");
		return 1;
	}
	printf("# %s/%s%s\n%s", o->dir, POLICY_FILE, pol_file_exists(o->dir) ?
	    "" : " (absent: the defaults)", text);
	free(text);
	return 0;
}

static int
read_challenge(struct scep_server *s, const struct opts *o, struct err *e)
{
	char	*buf = NULL;
	size_t	 len;
	int	 rc;

	if (o->challenge != NULL) {
		if ((s->challenge = strdup(o->challenge)) == NULL)
			return err_nomem(e);
		s->challenge_len = strlen(s->challenge);
		return 0;
	}
	if (o->challenge_file == NULL)
		return 0;
	if ((rc = store_file_read(o->challenge_file, &buf, &len,
	    CHALLENGE_FILEMAX, e)) != 0)
		return rc;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return err_set(e, ERR_INVAL, "%s: empty or binary challenge",
		    o->challenge_file);
	}
	s->challenge = buf;
	s->challenge_len = len;
	return 0;
}

/* The challenge and the keys are in memory: no core file, no ptrace. */
static int
serve_nodump(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }) != 0) {
		fprintf(stderr, "netpki-ca: cannot disable core dumps: %s\n",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_serve(const struct opts *o)
{
	struct scep_server	 s;
	struct policy		 pol;
	struct http		*h = NULL;
	struct ca		*ca = NULL;
	struct db		*db = NULL;
	struct err		 e;
	sigset_t		 set;
	char			 url[600], days[16], host[300];
	const char		*colon;
	int			 port = 0, fd = -1, sig = 0, rc = 1;
	pid_t			 kpid = -1;

	memset(&s, 0, sizeof(s));
	if (serve_nodump() != 0)
		return 1;
	if (o->listen == NULL) {
		fprintf(stderr, "netpki-ca: serve needs --listen ADDR:PORT\n");
		return 2;
	}
	if (o->approve != NULL && strcmp(o->approve, "auto") != 0 &&
	    strcmp(o->approve, "manual") != 0) {
		fprintf(stderr, "netpki-ca: --approve auto|manual\n");
		return 2;
	}
	/* The key process first: no thread exists, no key has been read. */
	if (keyproc_ca_load(&ca, &kpid, o->dir, (size_t)(o->threads > 0 ?
	    o->threads : http_workers()) + 1, &e) != 0 ||
	    policy_load(&pol, o->dir, &e) != 0 ||
	    ca_db_open(&db, ca, &e) != 0 || read_challenge(&s, o, &e) != 0 ||
	    scep_server_init(&s, ca, &e) != 0) {
		rc = fail(&e);
		goto out;
	}
	s.manual = o->approve != NULL && strcmp(o->approve, "manual") == 0;
	s.issue.policy = &pol;
	s.onetime = o->onetime;
	s.issue.days = o->cert_days > 0 ? o->cert_days : CA_CERT_DAYS;
	/* Signals go to sigwait() here, not to the server's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The CRL URL is fixed before the first certificate is issued. */
	if (http_listen(&fd, &port, o->listen, &e) != 0) {
		rc = fail(&e);
		goto out;
	}
	colon = strrchr(o->listen, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon - o->listen),
	    o->listen);
	if (o->url != NULL)
		snprintf(url, sizeof(url), "%s/crl", o->url);
	else
		snprintf(url, sizeof(url), "http://%s:%d/crl", host, port);
	s.issue.crl_url = url;
	snprintf(days, sizeof(days), "%d", s.issue.days);
	if (db_meta_set(db, "crl_url", url, &e) != 0 ||
	    db_meta_set(db, "cert_days", days, &e) != 0) {
		rc = fail(&e);
		goto out;
	}
	/* The commit thread takes the connection. */
	rc = db_group_new(&s.issue.group, db, &e);
	db = NULL;
	if (rc != 0) {
		rc = fail(&e);
		goto out;
	}
	if (http_start(&h, &s, fd, o->threads, &o->lim, &e) != 0) {
		rc = fail(&e);
		goto out;
	}
	fd = -1;
	fprintf(stderr, "netpki-ca: serving %s on %s:%d (%s approval%s%s)\n",
	    o->dir, host, port, s.manual ? "manual" : "automatic",
	    ca->ra_sign ? ", RA" : "", s.challenge ? ", challenge set" : "");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	fprintf(stderr, "netpki-ca: %s: stopping\n", sig == SIGTERM ?
	    "SIGTERM" : "SIGINT");
	http_stop(h);
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	db_group_free(s.issue.group);
	scep_server_clear(&s);
	db_close(db);
	ca_free(ca);
	keyproc_wait(kpid);
	return rc;
}

static const char *
need(int *i, int argc, char *argv[])
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "netpki-ca: %s needs a value\n", argv[*i]);
		exit(2);
	}
	return argv[++*i];
}

/* serve's limits (man netpki-ca, LIMITS): 1 when argv[*i] was one. */
static int
serve_limit(struct http_limits *l, int *i, int argc, char *argv[])
{
	const char	*a = argv[*i];

	if (strcmp(a, "--max-conn") == 0)
		l->max_conn = num(need(i, argc, argv), 1, 10000, a);
	else if (strcmp(a, "--max-conn-per-ip") == 0)
		l->max_conn_per_ip = num(need(i, argc, argv), 1, 10000, a);
	else if (strcmp(a, "--request-timeout") == 0)
		l->request_timeout = num(need(i, argc, argv), 1, 3600, a);
	else if (strcmp(a, "--challenge-failures") == 0)
		l->challenge_failures = num(need(i, argc, argv), 0, 1000, a);
	else if (strcmp(a, "--challenge-cooldown") == 0)
		l->challenge_cooldown = num(need(i, argc, argv), 1, 86400, a);
	else
		return 0;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	const char	*cmd = NULL;
	int		 i;

	/* Keys, the database and its WAL are the CA's business only. */
	umask(077);
	memset(&o, 0, sizeof(o));
	http_limits_init(&o.lim);
	o.dir = getenv("NETPKI_CA_DIR");
	for (i = 1; i < argc; i++) {
		const char	*a = argv[i];

		if (strcmp(a, "--dir") == 0)
			o.dir = need(&i, argc, argv);
		else if (strcmp(a, "--json") == 0)
			o.json = 1;
		else if (strcmp(a, "--subject") == 0)
			o.subject = need(&i, argc, argv);
		else if (strcmp(a, "--key") == 0)
			o.keyspec = need(&i, argc, argv);
		else if (strcmp(a, "--days") == 0)
			o.days = num(need(&i, argc, argv), 1, 36500, "--days");
		else if (strcmp(a, "--ra") == 0)
			o.ra = 1;
		else if (strcmp(a, "--db") == 0)
			o.db = need(&i, argc, argv);
		else if (strcmp(a, "--listen") == 0)
			o.listen = need(&i, argc, argv);
		else if (strcmp(a, "--challenge") == 0)
			o.challenge = need(&i, argc, argv);
		else if (strcmp(a, "--challenge-file") == 0)
			o.challenge_file = need(&i, argc, argv);
		else if (strcmp(a, "--approve") == 0)
			o.approve = need(&i, argc, argv);
		else if (strcmp(a, "--cert-days") == 0)
			o.cert_days = num(need(&i, argc, argv), 1, 36500,
			    "--cert-days");
		else if (strcmp(a, "--url") == 0)
			o.url = need(&i, argc, argv);
		else if (strcmp(a, "--threads") == 0)
			o.threads = num(need(&i, argc, argv), 1, 64,
			    "--threads");
		else if (serve_limit(&o.lim, &i, argc, argv))
			continue;
		else if (strcmp(a, "--pending") == 0)
			o.pending = 1;
		else if (strcmp(a, "--one-time-challenges") == 0)
			o.onetime = 1;
		else if (strcmp(a, "--cn") == 0)
			o.cn = need(&i, argc, argv);
		else if (strcmp(a, "--ttl") == 0) {
			if ((o.ttl = challenge_ttl(need(&i, argc, argv))) < 0) {
				fprintf(stderr, "netpki-ca: --ttl: a duration "
				    "such as 90s, 15m, 1h or 7d, at most 366d, "
				    "is expected\n");
				return 2;
			}
		} else if (strcmp(a, "--uses") == 0)
			o.uses = num(need(&i, argc, argv), 1,
			    CHALLENGE_USESMAX, "--uses");
		else if (strcmp(a, "--reason") == 0)
			o.reason = need(&i, argc, argv);
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			usage();
		else if (a[0] == '-') {
			fprintf(stderr, "netpki-ca: unknown option %s\n", a);
			usage();
		} else if (cmd == NULL)
			cmd = a;
		else if (o.arg == NULL)
			o.arg = a;
		else if (o.arg2 == NULL && strcmp(cmd, "challenge") == 0)
			o.arg2 = a;
		else
			usage();
	}
	if (cmd == NULL)
		usage();
	if (o.dir == NULL) {
		fprintf(stderr, "netpki-ca: --dir DIR is required\n");
		return 2;
	}
	if (o.challenge != NULL && o.challenge_file != NULL) {
		fprintf(stderr, "netpki-ca: --challenge or --challenge-file, "
		    "not both\n");
		return 2;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&o);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&o);
	if (strcmp(cmd, "requests") == 0)
		return cmd_requests(&o);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(&o);
	if (strcmp(cmd, "crl") == 0)
		return cmd_crl(&o);
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(&o);
	if (strcmp(cmd, "challenge") == 0)
		return cmd_challenge(&o);
	if (o.arg == NULL)
		usage();
	if ((strcmp(cmd, "approve") == 0 || strcmp(cmd, "reject") == 0) &&
	    (o.arg[strspn(o.arg, "0123456789")] != '\0' || strlen(o.arg) > 18)) {
		fprintf(stderr, "netpki-ca: %s: a request ID (a number) is "
		    "expected\n", o.arg);
		return 2;
	}
	if (strcmp(cmd, "approve") == 0)
		return cmd_approve(&o);
	if (strcmp(cmd, "reject") == 0)
		return cmd_reject(&o);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(&o);
	if (strcmp(cmd, "sign-csr") == 0)
		return cmd_sign_csr(&o);
	usage();
	return 2;
}
