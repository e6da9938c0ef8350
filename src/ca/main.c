/*
 * netpki-ca: the SCEP CA/RA server and its administration commands.
 * See man/netpki-ca.8.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
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
#include "est_server.h"
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
	int		 help;		/* --help, -h: usage on stdout */
	/* init */
	const char	*subject, *keyspec;
	int		 days, ra;
	const char	*db;
	/* serve */
	const char	*listen, *challenge, *challenge_file, *approve, *url;
	int		 cert_days, threads, onetime;
	const char	*est_listen, *tls_cert, *tls_key, *tls_name;
	int		 est_binding;
	/* challenge new */
	const char	*cn;
	int		 ttl, uses;
	struct http_limits lim;
	/* requests, revoke */
	int		 pending;
	const char	*reason;
	/* rollover */
	const char	*at;
	/* the command's name and its operands (nargs counts all of them) */
	const char	*cmd, *arg, *arg2;
	int		 nargs;
};

/* How an option's value lands in struct opts. */
enum opt_kind {
	OPT_STR,	/* const char *, as given */
	OPT_FLAG,	/* int set to 1; takes no value */
	OPT_NUM,	/* int from lo to hi */
	OPT_TTL,	/* int: challenge_ttl's seconds */
};

struct opt_def {
	const char	*name;		/* without the leading "--" */
	enum opt_kind	 kind;
	size_t		 off;		/* of the field in struct opts */
	int		 lo, hi;	/* OPT_NUM's range */
};

/*
 * Every option, whichever command it is for: a command ignores those it
 * has no use for, as netpki-ca always did.  getopt_long's table is made
 * from this one (opts_parse).
 */
#define OPT_BASE	256	/* getopt_long's value for opt_defs[0] */
#define O(f)		offsetof(struct opts, f)
static const struct opt_def opt_defs[] = {
	{ "dir",		OPT_STR,  O(dir), 0, 0 },
	{ "json",		OPT_FLAG, O(json), 0, 0 },
	{ "help",		OPT_FLAG, O(help), 0, 0 },
	{ "subject",		OPT_STR,  O(subject), 0, 0 },
	{ "key",		OPT_STR,  O(keyspec), 0, 0 },
	{ "days",		OPT_NUM,  O(days), 1, 36500 },
	{ "ra",			OPT_FLAG, O(ra), 0, 0 },
	{ "db",			OPT_STR,  O(db), 0, 0 },
	{ "listen",		OPT_STR,  O(listen), 0, 0 },
	{ "challenge",		OPT_STR,  O(challenge), 0, 0 },
	{ "challenge-file",	OPT_STR,  O(challenge_file), 0, 0 },
	{ "approve",		OPT_STR,  O(approve), 0, 0 },
	{ "cert-days",		OPT_NUM,  O(cert_days), 1, 36500 },
	{ "url",		OPT_STR,  O(url), 0, 0 },
	{ "threads",		OPT_NUM,  O(threads), 1, 64 },
	/* serve's limits (man netpki-ca, LIMITS) */
	{ "max-conn",		OPT_NUM,  O(lim.max_conn), 1, 10000 },
	{ "max-conn-per-ip",	OPT_NUM,  O(lim.max_conn_per_ip), 1, 10000 },
	{ "request-timeout",	OPT_NUM,  O(lim.request_timeout), 1, 3600 },
	{ "challenge-failures",	OPT_NUM,  O(lim.challenge_failures), 0, 1000 },
	{ "challenge-cooldown",	OPT_NUM,  O(lim.challenge_cooldown), 1, 86400 },
	{ "one-time-challenges", OPT_FLAG, O(onetime), 0, 0 },
	{ "est-listen",		OPT_STR,  O(est_listen), 0, 0 },
	{ "tls-cert",		OPT_STR,  O(tls_cert), 0, 0 },
	{ "tls-key",		OPT_STR,  O(tls_key), 0, 0 },
	{ "tls-name",		OPT_STR,  O(tls_name), 0, 0 },
	{ "est-channel-binding", OPT_FLAG, O(est_binding), 0, 0 },
	{ "pending",		OPT_FLAG, O(pending), 0, 0 },
	{ "cn",			OPT_STR,  O(cn), 0, 0 },
	{ "ttl",		OPT_TTL,  O(ttl), 0, 0 },
	{ "uses",		OPT_NUM,  O(uses), 1, CHALLENGE_USESMAX },
	{ "reason",		OPT_STR,  O(reason), 0, 0 },
	{ "at",			OPT_STR,  O(at), 0, 0 },
};
#undef O
#define NOPTS	(sizeof(opt_defs) / sizeof(opt_defs[0]))

/* What a command has opened for it before it runs (cadir_open). */
#define NEED_POLICY	0x01	/* DIR/policy.conf, or the defaults */
#define NEED_KEYS	0x02	/* the CA: certificates and keys from DIR */
#define NEED_KEYPROC	0x04	/* the CA with its keys in a key process */
#define NEED_DB		0x08	/* the database (with one of the three) */
#define NEED_CERTS	0x10	/* the CA's certificates; no key is read */

struct cadir {
	struct ca	*ca;
	struct db	*db;
	struct policy	 pol;
	pid_t		 kpid;		/* the key process, or -1 */
};

struct cmd {
	const char	*name;
	/* Usage checks before anything is opened: 0 or the exit status. */
	int		(*check)(const struct opts *, const struct cmd *);
	int		(*run)(const struct opts *, struct cadir *);
	int		 need;		/* NEED_* */
	int		 args_min, args_max;	/* operands after the name */
	const char	*usage;		/* its lines in the usage text */
	const char	*about;		/* one line for CMD --help */
};

static int	usage_error(const struct cmd *);

static int
fail(const struct err *e)
{
	fprintf(stderr, "netpki-ca: %s\n", e->msg);
	return 1;
}

static int
num(int *out, const char *s, const struct opt_def *d)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < d->lo || v > d->hi) {
		fprintf(stderr, "netpki-ca: --%s: a number from %d to %d is "
		    "expected\n", d->name, d->lo, d->hi);
		return 2;
	}
	*out = (int)v;
	return 0;
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
	/* Which CA generation issued it (rollover). */
	printf(", \"ca_generation\": %d", c->gen > 1 ? c->gen : 1);
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

/* A listing opens with a header line for people, or as a JSON array. */
static void
list_open(const struct lister *l, const char *header)
{
	if (l->json)
		printf("[");
	else
		printf("%s\n", header);
}

static void
list_close(const struct lister *l)
{
	if (l->json)
		printf("%s]\n", l->n ? "\n" : "");
}

static int
cmd_init(const struct opts *o, struct cadir *cd)
{
	struct ca_init_opts	 io = { o->subject, o->keyspec, o->days, o->ra,
	    o->db };
	struct err		 e;

	(void)cd;
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
cmd_requests(const struct opts *o, struct cadir *cd)
{
	struct lister	 l = { o->json, 0 };
	struct err	 e;
	int		 rc;

	list_open(&l, "# ID\tSTATE\tSUBJECT\tCREATED");
	rc = db_request_list(cd->db, o->pending, print_request, &l, &e);
	list_close(&l);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_list(const struct opts *o, struct cadir *cd)
{
	struct lister	 l = { o->json, 0 };
	struct err	 e;
	int		 rc;

	list_open(&l, "# SERIAL\tSTATE\tSUBJECT\tEXPIRES");
	rc = db_cert_list(cd->db, 0, print_cert, &l, &e);
	list_close(&l);
	return rc != 0 ? fail(&e) : 0;
}

/* What serve recorded for approve and sign-csr: CRL URL, validity. */
static void
issue_settings(struct issue_opts *io, char **url, const struct cadir *cd,
    const struct opts *o)
{
	struct err	 e;
	char		*days = NULL;

	memset(io, 0, sizeof(*io));
	io->policy = &cd->pol;
	*url = NULL;
	db_meta_get(cd->db, "crl_url", url, &e);
	io->crl_url = *url;
	io->days = o->cert_days;
	if (io->days == 0 && db_meta_get(cd->db, "cert_days", &days, &e) == 0)
		io->days = atoi(days);
	free(days);
}

/* approve, reject: the operand is a request ID. */
static int
check_id(const struct opts *o, const struct cmd *c)
{
	(void)c;
	if (o->arg[strspn(o->arg, "0123456789")] != '\0' ||
	    strlen(o->arg) > 18) {
		fprintf(stderr, "netpki-ca: %s: a request ID (a number) is "
		    "expected\n", o->arg);
		return 2;
	}
	return 0;
}

/* The CA generation that issues now (rollover). */
static int
issuing_ca(const struct ca **out, const struct cadir *cd, struct err *e)
{
	const struct ca	*next;

	return ca_gens_now(out, &next, cd->ca, cd->db, clock_now(), e);
}

static int
cmd_approve(const struct opts *o, struct cadir *cd)
{
	const struct ca		*ca = NULL;
	struct issue_opts	 io;
	struct err		 e;
	char			 serial[64] = "", *url = NULL;
	int			 rc;

	issue_settings(&io, &url, cd, o);
	rc = issuing_ca(&ca, cd, &e);
	if (rc == 0)
		rc = scep_server_approve(ca, cd->db, strtoll(o->arg, NULL, 10),
		    &io, serial, sizeof(serial), &e);
	if (rc == 0)
		printf("request %s approved: serial %s\n", o->arg, serial);
	free(url);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_reject(const struct opts *o, struct cadir *cd)
{
	struct err	 e;

	if (db_request_reject(cd->db, strtoll(o->arg, NULL, 10), &e) != 0)
		return fail(&e);
	printf("request %s rejected\n", o->arg);
	return 0;
}

static int
check_revoke(const struct opts *o, const struct cmd *c)
{
	(void)c;
	if (o->reason != NULL && cert_reason_code(o->reason) < 0) {
		fprintf(stderr, "netpki-ca: --reason %s: use unspecified, "
		    "keyCompromise, cACompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, certificateHold or "
		    "privilegeWithdrawn\n", o->reason);
		return 2;
	}
	return 0;
}

/* The CRL of the generation that issued the certificate. */
static int
revoke_crl(const struct cadir *cd, const char *serial, struct err *e)
{
	const struct ca	*g;
	struct db_cert	 c;
	int		 rc, gen;

	if ((rc = db_cert_by_serial(cd->db, serial, &c, e)) != 0)
		return rc;
	gen = c.gen > 1 ? c.gen : 1;
	db_cert_clear(&c);
	if ((g = ca_gen(cd->ca, gen)) == NULL || g->key == NULL)
		return err_set(e, ERR_NOTFOUND, "CA generation %d that issued "
		    "%s is not in %s: its CRL is not updated", gen, serial,
		    cd->ca->dir);
	return cacrl_update(g, cd->db, e);
}

static int
cmd_revoke(const struct opts *o, struct cadir *cd)
{
	ASN1_INTEGER	*sn = NULL;
	struct err	 e;
	char		*hex;
	int		 rc, reason;

	reason = o->reason != NULL ? cert_reason_code(o->reason) : 0;
	if (issue_serial_parse(&sn, o->arg, &e) != 0)
		return fail(&e);
	hex = issue_serial_hex(sn);
	ASN1_INTEGER_free(sn);
	if (hex == NULL)
		rc = err_nomem(&e);
	else if ((rc = db_cert_revoke(cd->db, hex, clock_now(), reason,
	    &e)) == 0 && (rc = revoke_crl(cd, hex, &e)) == 0)
		printf("certificate %s revoked (%s); CRL updated\n", hex,
		    cert_reason_name(reason));
	free(hex);
	return rc != 0 ? fail(&e) : 0;
}

static int
cmd_crl(const struct opts *o, struct cadir *cd)
{
	const struct ca	*g, *cur, *next;
	struct err	 e;

	if (ca_gens_now(&cur, &next, cd->ca, cd->db, clock_now(), &e) != 0)
		return fail(&e);
	/* Every generation up to the current one (rollover). */
	for (g = cd->ca; g != NULL && g->gen <= cur->gen; g = g->next) {
		if (cacrl_ended(g, cur, clock_now())) {
			printf("CA generation %d has expired, and every "
			    "certificate it issued: no CRL\n", g->gen);
			continue;
		}
		if (cacrl_update(g, cd->db, &e) != 0)
			return fail(&e);
		if (g->gen == 1)
			printf("CRL written to %s/crl.der\n", o->dir);
		else
			printf("CRL written to %s/crl-%d.der\n", o->dir,
			    g->gen);
	}
	return 0;
}

static int
check_rollover(const struct opts *o, const struct cmd *c)
{
	time_t	 at;

	(void)c;
	if (o->at != NULL && ca_rollover_time(&at, o->at, clock_now()) != 0) {
		fprintf(stderr, "netpki-ca: --at %.64s: a UTC time such as "
		    "2027-01-31T00:00:00Z, or +90s, +15m, +1h, +7d from now, is "
		    "expected\n", o->at);
		return 2;
	}
	return 0;
}

static int
cmd_rollover(const struct opts *o, struct cadir *cd)
{
	struct ca_rollover_opts	 ro = { o->keyspec, o->subject, o->days, 0 };
	struct ca		*ca = NULL;
	char			 when[32];
	struct err		 e;
	int			 gen, rc;

	if (o->at != NULL)
		(void)ca_rollover_time(&ro.at, o->at, clock_now());
	if (ca_rollover(&gen, cd->ca, cd->db, &cd->pol, &ro, &e) != 0)
		return fail(&e);
	/* Its first (empty) CRL, signed by the new key. */
	if ((rc = ca_load(&ca, o->dir, &e)) == 0 &&
	    (rc = ca_gens_sync(ca, cd->db, &e)) == 0)
		rc = cacrl_update(ca_gen(ca, gen), cd->db, &e);
	ca_free(ca);
	if (rc != 0)
		return fail(&e);
	fmt_time(when, sizeof(when), ro.at != 0 ? ro.at : clock_now());
	printf("CA generation %d created: %s/ca-%d.crt, link-%d-%d.crt, "
	    "link-%d-%d.crt\nswitch-over at %s\n", gen, o->dir, gen, gen - 1,
	    gen, gen, gen - 1, when);
	return 0;
}

static int
cmd_sign_csr(const struct opts *o, struct cadir *cd)
{
	const struct ca		*ca = NULL;
	struct issue_opts	 io;
	X509_REQ		*req = NULL;
	X509			*x = NULL;
	struct err		 e;
	char			*buf = NULL, *url = NULL;
	size_t			 len;
	int			 rc;

	if ((rc = store_file_read(o->arg, &buf, &len, 64 * 1024, &e)) == 0 &&
	    (rc = issue_csr_parse(&req, (unsigned char *)buf, len, &e)) == 0) {
		issue_settings(&io, &url, cd, o);
		/* The administrator vouches for the subject and its names. */
		io.trusted = 1;
		if ((rc = issuing_ca(&ca, cd, &e)) == 0 &&
		    (rc = issue_cert(&x, ca, cd->db, req, NULL, NULL, &io,
		    &e)) == 0)
			PEM_write_X509(stdout, x);
	}
	free(url);
	free(buf);
	X509_free(x);
	X509_REQ_free(req);
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
		list_open(&l, "# ID\tSTATE\tUSES\tEXPIRES\tBOUND TO");
		rc = db_challenge_list(db, print_challenge, &l, e);
		list_close(&l);
		return rc;
	}
	if ((rc = db_challenge_update(db, o->arg2, 0, clock_now(), e)) == 0)
		printf("challenge %s revoked\n", o->arg2);
	else if (rc == ERR_NOTFOUND)
		err_set(e, rc, "challenge %.64s: no such challenge", o->arg2);
	return rc;
}

/* challenge new|list|revoke ID: only revoke takes a second operand. */
static int
check_challenge(const struct opts *o, const struct cmd *c)
{
	if ((strcmp(o->arg, "new") != 0 && strcmp(o->arg, "list") != 0 &&
	    strcmp(o->arg, "revoke") != 0) ||
	    (strcmp(o->arg, "revoke") == 0) != (o->arg2 != NULL))
		return usage_error(c);
	return 0;
}

/* challenge new|list|revoke ID: one-time enrollment challenges. */
static int
cmd_challenge(const struct opts *o, struct cadir *cd)
{
	struct err	 e;

	return challenge_run(o, cd->db, &e) != 0 ? fail(&e) : 0;
}

/* The policy in force: DIR/policy.conf, or the defaults. */
static int
cmd_policy(const struct opts *o, struct cadir *cd)
{
	char	*text;

	if ((text = policy_format(&cd->pol)) == NULL) {
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
check_serve(const struct opts *o, const struct cmd *c)
{
	(void)c;
	if (o->challenge != NULL && o->challenge_file != NULL) {
		fprintf(stderr, "netpki-ca: --challenge or --challenge-file, "
		    "not both\n");
		return 2;
	}
	if (serve_nodump() != 0)
		return 1;
	if (o->listen == NULL) {
		fprintf(stderr, "netpki-ca: serve needs --listen ADDR:PORT\n");
		return 2;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "netpki-ca: --tls-cert and --tls-key go "
		    "together\n");
		return 2;
	}
	if (o->approve != NULL && strcmp(o->approve, "auto") != 0 &&
	    strcmp(o->approve, "manual") != 0) {
		fprintf(stderr, "netpki-ca: --approve auto|manual\n");
		return 2;
	}
	return 0;
}

struct serve {
	struct scep_server	 s;
	struct est_server	 est;
	char			*tls_cert, *tls_key;	/* PEM */
	struct http		*h;
	int			 fd, port;	/* the listening socket */
	char			 host[300];
	char			 url[600];	/* the CRL's */
};

/*
 * Listen, and fix the CRL URL before the first certificate is issued;
 * approve and sign-csr read it and the validity back from the database.
 */
static int
serve_listen(struct serve *sv, const struct opts *o, struct db *db,
    struct err *e)
{
	const char	*colon;
	char		 days[16];
	int		 rc;

	if ((rc = http_listen(&sv->fd, &sv->port, o->listen, e)) != 0)
		return rc;
	colon = strrchr(o->listen, ':');
	snprintf(sv->host, sizeof(sv->host), "%.*s", (int)(colon - o->listen),
	    o->listen);
	if (o->url != NULL)
		snprintf(sv->url, sizeof(sv->url), "%s/crl", o->url);
	else
		snprintf(sv->url, sizeof(sv->url), "http://%s:%d/crl",
		    sv->host, sv->port);
	sv->s.issue.crl_url = sv->url;
	snprintf(days, sizeof(days), "%d", sv->s.issue.days);
	if ((rc = db_meta_set(db, "crl_url", sv->url, e)) == 0)
		rc = db_meta_set(db, "cert_days", days, e);
	return rc;
}

/*
 * EST's TLS certificate and key, in the network process (the CA's key
 * stays in the key process): --tls-cert and --tls-key, or the CA's own
 * (est_tls_self), made before the store goes to the commit
 * thread.
 */
static int
serve_tls(struct serve *sv, const struct opts *o, struct db *db,
    struct err *e)
{
	char	 name[300] = "";
	size_t	 len;
	int	 rc;

	if (o->est_listen == NULL)
		return 0;
	if (o->tls_cert != NULL) {
		if ((rc = store_file_read(o->tls_cert, &sv->tls_cert, &len,
		    256 * 1024, e)) != 0)
			return rc;
		return store_file_read(o->tls_key, &sv->tls_key, &len,
		    64 * 1024, e);
	}
	if (o->tls_name != NULL)
		snprintf(name, sizeof(name), "%s", o->tls_name);
	else if (strrchr(o->est_listen, ':') != NULL)
		snprintf(name, sizeof(name), "%.*s", (int)(strrchr(
		    o->est_listen, ':') - o->est_listen), o->est_listen);
	/* "[::1]:443": the address without its brackets. */
	if (name[0] == '[' && (len = strlen(name)) > 2 &&
	    name[len - 1] == ']') {
		memmove(name, name + 1, len - 2);
		name[len - 2] = '\0';
	}
	return est_tls_self(&sv->tls_cert, &sv->tls_key, sv->s.ca, db,
	    name, &sv->s.issue, e);
}

/* EST over HTTPS (--est-listen) beside the HTTP listener. */
static int
serve_est(struct serve *sv, const struct opts *o, struct err *e)
{
	int	 fd = -1, port, rc;

	if (o->est_listen == NULL)
		return 0;
	if ((rc = est_server_init(&sv->est, &sv->s, e)) != 0 ||
	    (rc = http_listen(&fd, &port, o->est_listen, e)) != 0)
		goto out;
	sv->est.binding = o->est_binding;
	if ((rc = http_est_start(sv->h, &sv->est, fd, sv->tls_cert,
	    sv->tls_key, e)) != 0)
		goto out;
	fd = -1;
	fprintf(stderr, "netpki-ca: EST on %.*s:%d (TLS 1.2, 1.3%s%s)\n",
	    (int)(strrchr(o->est_listen, ':') - o->est_listen), o->est_listen,
	    port, o->tls_cert == NULL ? ", certificate " EST_TLS_FILE ".crt" :
	    "", o->est_binding ? ", channel binding required" : "");
 out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* Until SIGTERM or SIGINT: the signal. */
static int
serve_wait(const sigset_t *set)
{
	int	 sig = 0;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
	}
}

static int
cmd_serve(const struct opts *o, struct cadir *cd)
{
	struct serve	 sv;
	struct err	 e;
	sigset_t	 set;
	int		 sig, rc;

	memset(&sv, 0, sizeof(sv));
	sv.fd = -1;
	if ((rc = read_challenge(&sv.s, o, &e)) != 0 ||
	    (rc = scep_server_init(&sv.s, cd->ca, &e)) != 0)
		goto out;
	sv.s.manual = o->approve != NULL && strcmp(o->approve, "manual") == 0;
	sv.s.issue.policy = &cd->pol;
	sv.s.onetime = o->onetime;
	sv.s.issue.days = o->cert_days > 0 ? o->cert_days : CA_CERT_DAYS;
	/* Signals go to sigwait() here, not to the server's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = serve_listen(&sv, o, cd->db, &e)) != 0 ||
	    (rc = serve_tls(&sv, o, cd->db, &e)) != 0)
		goto out;
	/* The commit thread takes the connection. */
	rc = db_group_new(&sv.s.issue.group, cd->db, &e);
	cd->db = NULL;
	if (rc != 0 || (rc = http_start(&sv.h, &sv.s, sv.fd, o->threads,
	    &o->lim, &e)) != 0)
		goto out;
	sv.fd = -1;
	if ((rc = serve_est(&sv, o, &e)) != 0) {
		http_stop(sv.h);
		goto out;
	}
	fprintf(stderr, "netpki-ca: serving %s on %s:%d (%s approval%s%s)\n",
	    o->dir, sv.host, sv.port, sv.s.manual ? "manual" : "automatic",
	    cd->ca->ra_sign ? ", RA" : "", sv.s.challenge ?
	    ", challenge set" : "");
	sig = serve_wait(&set);
	fprintf(stderr, "netpki-ca: %s: stopping\n", sig == SIGTERM ?
	    "SIGTERM" : "SIGINT");
	http_stop(sv.h);
 out:
	if (sv.fd != -1)
		close(sv.fd);
	db_group_free(sv.s.issue.group);
	if (sv.tls_key != NULL)
		OPENSSL_cleanse(sv.tls_key, strlen(sv.tls_key));
	free(sv.tls_key);
	free(sv.tls_cert);
	est_server_clear(&sv.est);
	scep_server_clear(&sv.s);
	return rc != 0 ? fail(&e) : 0;
}

/*
 * The commands, in the usage text's order.  init makes DIR itself, under
 * DIR's lock (ca_init), so it needs nothing opened; every other command
 * works on what cadir_open opened, and the database takes care of two
 * commands at once (db.h).
 */
static const struct cmd cmds[] = {
	{ "init", NULL, cmd_init, 0, 0, 0,
	    "init [--subject DN] [--key rsa:2048|rsa:3072|rsa:4096|ec:p256]\n"
	    "       [--days N] [--ra] [--db postgresql://USER@HOST:PORT/DBNAME]",
	    "Create the CA key and certificate (with --ra, the RA "
	    "certificates), the database and an empty CRL." },
	{ "serve", check_serve, cmd_serve, NEED_KEYPROC | NEED_POLICY |
	    NEED_DB, 0, 0,
	    "serve --listen ADDR:PORT [--challenge SECRET | --challenge-file "
	    "F]\n"
	    "        [--approve auto|manual] [--cert-days N] [--url BASE] "
	    "[--threads N]\n"
	    "        [--max-conn N] [--max-conn-per-ip N] [--request-timeout "
	    "SECONDS]\n"
	    "        [--challenge-failures N] [--challenge-cooldown SECONDS]\n"
	    "        [--one-time-challenges]\n"
	    "        [--est-listen ADDR:PORT [--tls-cert FILE --tls-key FILE | "
	    "--tls-name NAME]\n"
	    "         [--est-channel-binding]]",
	    "Answer SCEP, /crl, the trust bundle and /metrics over HTTP (and "
	    "EST over HTTPS) until SIGTERM or SIGINT." },
	{ "requests", NULL, cmd_requests, NEED_CERTS | NEED_DB, 0, 0,
	    "requests [--pending]",
	    "List the requests (--pending: those waiting for approve or "
	    "reject)." },
	{ "approve", check_id, cmd_approve, NEED_POLICY | NEED_KEYS |
	    NEED_DB, 1, 1,
	    "approve ID",
	    "Issue the certificate of a pending request." },
	{ "reject", check_id, cmd_reject, NEED_CERTS | NEED_DB, 1, 1,
	    "reject ID",
	    "Reject a pending request." },
	{ "list", NULL, cmd_list, NEED_CERTS | NEED_DB, 0, 0,
	    "list",
	    "List the certificates issued." },
	{ "revoke", check_revoke, cmd_revoke, NEED_KEYS | NEED_DB, 1, 1,
	    "revoke SERIAL [--reason R]",
	    "Revoke a certificate and sign a new CRL." },
	{ "crl", NULL, cmd_crl, NEED_KEYS | NEED_DB, 0, 0,
	    "crl",
	    "Sign a new CRL into DIR/crl.der (and crl-N.der, after a "
	    "rollover)." },
	{ "rollover", check_rollover, cmd_rollover, NEED_POLICY | NEED_KEYS |
	    NEED_DB, 0, 0,
	    "rollover [--key rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384] "
	    "[--days N]\n"
	    "           [--at 2027-01-31T00:00:00Z|+7d] [--subject DN]",
	    "Create the next CA generation (key, certificate, link "
	    "certificates); issuance moves to it at --at (default: now)." },
	{ "sign-csr", NULL, cmd_sign_csr, NEED_POLICY | NEED_KEYS | NEED_DB,
	    1, 1,
	    "sign-csr FILE [--cert-days N]",
	    "Issue a certificate for a PKCS#10 file (PEM on stdout)." },
	{ "policy", NULL, cmd_policy, NEED_POLICY, 0, 0,
	    "policy",
	    "Print the policy in force (DIR/policy.conf, or the defaults)." },
	{ "challenge", check_challenge, cmd_challenge, NEED_CERTS | NEED_DB,
	    1, 2,
	    "challenge new [--subject DN | --cn PATTERN] [--ttl 1h] "
	    "[--uses N]\n"
	    "  challenge list\n"
	    "  challenge revoke ID",
	    "Make, list or revoke one-time enrollment challenges." },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL },
};

static void
usage_print(FILE *f, const struct cmd *only)
{
	const struct cmd	*c;

	fprintf(f, "usage: netpki-ca --dir DIR [--json] COMMAND [options]\n");
	for (c = cmds; c->name != NULL; c++)
		if (only == NULL || only == c)
			fprintf(f, "  %s\n", c->usage);
	if (only != NULL)
		fprintf(f, "%s\n", only->about);
	else
		fprintf(f, "DIR may come from NETPKI_CA_DIR instead.\n"
		    "netpki-ca COMMAND --help: one command; netpki-ca(8): "
		    "the rest.\n");
}

/* A usage error: the usage text (of one command) on stderr, status 2. */
static int
usage_error(const struct cmd *c)
{
	usage_print(stderr, c);
	return 2;
}

static const struct cmd *
cmd_find(const char *name)
{
	const struct cmd	*c;

	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Open DIR for a command as need says: the policy, the CA (its keys
 * here, or in a key process) and the database.  cadir_close undoes what
 * was done, after a failure too.
 */
static int
cadir_open(struct cadir *cd, int need, const struct opts *o, struct err *e)
{
	size_t	 nconn;
	int	 rc = 0;

	memset(cd, 0, sizeof(*cd));
	cd->kpid = -1;
	/* The key process first: no thread exists, no key has been read. */
	if (need & NEED_KEYPROC) {
		nconn = (size_t)(o->threads > 0 ? o->threads :
		    http_workers()) + 1;
		rc = keyproc_ca_load(&cd->ca, &cd->kpid, o->dir, nconn, e);
	}
	if (rc == 0 && (need & NEED_POLICY))
		rc = policy_load(&cd->pol, o->dir, e);
	if (rc == 0 && (need & NEED_KEYS))
		rc = ca_load(&cd->ca, o->dir, e);
	else if (rc == 0 && (need & NEED_CERTS))
		rc = ca_load_public(&cd->ca, o->dir, e);
	if (rc == 0 && (need & NEED_DB))
		rc = ca_db_open(&cd->db, cd->ca, e);
	/* Before serve's threads share the CA. */
	if (rc == 0 && (need & NEED_DB))
		rc = ca_gens_sync(cd->ca, cd->db, e);
	return rc;
}

static void
cadir_close(struct cadir *cd)
{
	db_close(cd->db);
	ca_free(cd->ca);
	keyproc_wait(cd->kpid);
	policy_free(&cd->pol);
	memset(cd, 0, sizeof(*cd));
}

/* An operand: the command's name first, then its arguments. */
static void
operand(struct opts *o, const char *a)
{
	if (o->cmd == NULL)
		o->cmd = a;
	else if (o->nargs++ == 0)
		o->arg = a;
	else if (o->nargs == 2)
		o->arg2 = a;
}

/* 0, or the exit status of a usage error. */
static int
opt_set(struct opts *o, const struct opt_def *d, const char *arg)
{
	char	*field = (char *)o + d->off;

	switch (d->kind) {
	case OPT_STR:
		*(const char **)(void *)field = arg;
		return 0;
	case OPT_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case OPT_NUM:
		return num((int *)(void *)field, arg, d);
	case OPT_TTL:
		if ((*(int *)(void *)field = challenge_ttl(arg)) >= 0)
			return 0;
		fprintf(stderr, "netpki-ca: --ttl: a duration such as 90s, "
		    "15m, 1h or 7d, at most 366d, is expected\n");
		return 2;
	}
	return 2;
}

/*
 * Options and operands in any order, as netpki-ca always took them: 0,
 * or the exit status of a usage error (reported).
 */
static int
opts_parse(struct opts *o, int argc, char *argv[])
{
	struct option	 lo[NOPTS + 1];
	size_t		 i;
	int		 c, rc = 0;

	for (i = 0; i < NOPTS; i++)
		lo[i] = (struct option){ opt_defs[i].name,
		    opt_defs[i].kind == OPT_FLAG ? no_argument :
		    required_argument, NULL, OPT_BASE + (int)i };
	lo[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	/* "-": operands come back in their place, as 1 with optarg. */
	while (rc == 0 &&
	    (c = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
		if (c == 1)
			operand(o, optarg);
		else if (c == 'h')
			o->help = 1;
		else if (c >= OPT_BASE)
			rc = opt_set(o, &opt_defs[c - OPT_BASE], optarg);
		else if (c == ':') {
			fprintf(stderr, "netpki-ca: %s needs a value\n",
			    argv[optind - 1]);
			rc = 2;
		} else {
			if (optopt > 0 && optopt < OPT_BASE)
				fprintf(stderr, "netpki-ca: unknown option "
				    "-%c\n", optopt);
			else
				fprintf(stderr, "netpki-ca: unknown option "
				    "%s\n", argv[optind - 1]);
			rc = usage_error(NULL);
		}
	}
	/* What follows "--". */
	for (; rc == 0 && optind < argc; optind++)
		operand(o, argv[optind]);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct opts		 o;
	struct cadir		 cd;
	const struct cmd	*c = NULL;
	struct err		 e;
	int			 rc;

	/* Keys, the database and its WAL are the CA's business only. */
	umask(077);
	memset(&o, 0, sizeof(o));
	http_limits_init(&o.lim);
	o.dir = getenv("NETPKI_CA_DIR");
	if ((rc = opts_parse(&o, argc, argv)) != 0)
		return rc;
	if (o.cmd != NULL && (c = cmd_find(o.cmd)) == NULL) {
		fprintf(stderr, "netpki-ca: %s: no such command\n", o.cmd);
		return usage_error(NULL);
	}
	if (o.help) {
		usage_print(stdout, c);
		return 0;
	}
	if (c == NULL || o.nargs < c->args_min || o.nargs > c->args_max)
		return usage_error(c);
	if (o.dir == NULL) {
		fprintf(stderr, "netpki-ca: --dir DIR is required\n");
		return 2;
	}
	if (c->check != NULL && (rc = c->check(&o, c)) != 0)
		return rc;
	if (cadir_open(&cd, c->need, &o, &e) != 0)
		rc = fail(&e);
	else
		rc = c->run(&o, &cd);
	cadir_close(&cd);
	return rc;
}
