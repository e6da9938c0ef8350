/*
 * rollover: the CA's next generation (RFC 8894 3.5.2's "next CA").
 *
 * A rollover makes generation N+1 beside generation N: a new key (0600),
 * its self-signed certificate, and the two link certificates a relying
 * party needs during the overlap (RFC 4210 4.4's NewWithOld and
 * OldWithNew): the new key certified by the old CA and the old key
 * certified by the new one.  The files come first and the database row
 * last: the row is what makes the generation exist (ca_gens_sync), so a
 * rollover that dies before it leaves files that the next rollover
 * overwrites and nothing ever used.  The row carries the switch-over
 * time, which every serve instance sharing the database reads.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "policy.h"
#include "store.h"

#define ROLLOVER_BC	"critical,CA:TRUE"
#define ROLLOVER_KU	"critical,digitalSignature,keyCertSign,cRLSign"
#define ROLLOVER_MAXAHEAD	(3660L * 86400)	/* --at: ten years ahead */

int
ca_rollover_time(time_t *out, const char *s, time_t now)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm	 tm, want;
	char		 unit, tail;
	long		 n;
	int		 len = 0;

	if (s[0] == '+') {
		if (s[1] < '0' || s[1] > '9' ||
		    sscanf(s + 1, "%ld%c%c", &n, &unit, &tail) != 2 || n < 0 ||
		    n > ROLLOVER_MAXAHEAD)
			return -1;
		n *= unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 :
		    unit == 'd' ? 86400 : -1;
		if (n < 0 || n > ROLLOVER_MAXAHEAD)
			return -1;
		*out = now + n;
		return 0;
	}
	/* sscanf alone would take " 1" or "+1" for a field. */
	for (len = 0; shape[len] != '\0'; len++)
		if (shape[len] == 'd' ? !isdigit((unsigned char)s[len]) :
		    s[len] != shape[len])
			return -1;
	len = 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &len) != 6 ||
	    len != 20 || s[len] != '\0' || tm.tm_year < 1970 ||
	    tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	want = tm;
	/* timegm normalises February 30th: such a day is refused. */
	if ((*out = timegm(&tm)) == (time_t)-1 || tm.tm_mday != want.tm_mday ||
	    tm.tm_mon != want.tm_mon)
		return -1;
	return 0;
}

/* The current CA's kind of key, so that a rollover keeps it by default. */
static void
rollover_keyspec(char *buf, size_t sz, const X509 *cur)
{
	EVP_PKEY	*pk = X509_get0_pubkey(cur);
	char		 curve[64] = "";
	size_t		 len;
	int		 bits;

	if (pk != NULL && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve),
	    &len) == 1 && strcmp(curve, "secp384r1") == 0) {
		snprintf(buf, sz, "ec:p384");
		return;
	}
	if (pk != NULL && EVP_PKEY_is_a(pk, "EC")) {
		snprintf(buf, sz, "ec:p256");
		return;
	}
	bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
	snprintf(buf, sz, "rsa:%d", bits >= 4096 ? 4096 : bits >= 3072 ?
	    3072 : 2048);
}

/* The policy's key rules (rsa-min, curves) hold for the CA's key too. */
static int
rollover_key_ok(const struct policy *pol, EVP_PKEY *key, const char *spec,
    struct err *e)
{
	char	 curve[64] = "";
	size_t	 len;
	int	 i, nid;

	if (pol == NULL)
		return 0;
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bits(key) >= pol->rsa_min)
			return 0;
		return err_set(e, ERR_REFUSED, "--key %s: weaker than the "
		    "policy's rsa-min %d", spec, pol->rsa_min);
	}
	if (EVP_PKEY_get_utf8_string_param(key, "group", curve,
	    sizeof(curve), &len) == 1 && (nid = OBJ_sn2nid(curve)) !=
	    NID_undef)
		for (i = 0; i < pol->ncurves; i++)
			if (pol->curves[i] == nid)
				return 0;
	return err_set(e, ERR_REFUSED, "--key %s: the policy's curves do not "
	    "include it", spec);
}

/*
 * The new key: the policy's rules, and RSA when the current CA's is and
 * there is no RA (RFC 8894 3.1: requests are encrypted to the CA's key).
 */
static int
rollover_key(EVP_PKEY **out, const char *spec, EVP_PKEY *oldpub, int ra,
    const struct policy *pol, struct err *e)
{
	int	 rc;

	if ((rc = ca_keygen(out, spec, e)) != 0)
		return rc;
	if (EVP_PKEY_is_a(*out, "EC") && EVP_PKEY_is_a(oldpub, "RSA") &&
	    !ra)
		rc = err_set(e, ERR_REFUSED, "--key %s: SCEP clients encrypt "
		    "their requests to the CA's RSA key (RFC 8894 3.1), and "
		    "this CA has no RA: the next CA would take no request",
		    spec);
	else
		rc = rollover_key_ok(pol, *out, spec, e);
	if (rc != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Whole days from now until x expires, at least 1. */
static int
rollover_days_left(const X509 *x, time_t now)
{
	time_t	 na;

	if (cert_asn1_time(X509_get0_notAfter(x), &na) != 0 || na <= now)
		return 1;
	return (na - now) / 86400 > 36500 ? 36500 :
	    (int)((na - now) / 86400) + ((na - now) % 86400 != 0);
}

/* The new generation's certificates, made in memory. */
struct rollover_made {
	EVP_PKEY	*key;
	X509		*cert;		/* self-signed */
	X509		*link_new;	/* new key, signed by the old CA */
	X509		*link_old;	/* old key, signed by the new CA */
	X509		*ra_sign;	/* with an RA: its keys, certified */
	X509		*ra_enc;	/* by the new CA */
};

static void
rollover_made_clear(struct rollover_made *m)
{
	EVP_PKEY_free(m->key);
	X509_free(m->cert);
	X509_free(m->link_new);
	X509_free(m->link_old);
	X509_free(m->ra_sign);
	X509_free(m->ra_enc);
	memset(m, 0, sizeof(*m));
}

/* The RA's keys and names, certified by the new CA (ca_init_ra's KUs). */
static int
rollover_make_ra(struct rollover_made *m, const struct ca *old, int days,
    struct err *e)
{
	int	 rc;

	if (old->ra_sign == NULL)
		return 0;
	if ((rc = ca_make_cert(&m->ra_sign, X509_get0_pubkey(old->ra_sign),
	    X509_get_subject_name(old->ra_sign), m->cert, m->key, days,
	    "critical,CA:FALSE", "critical,digitalSignature", e)) != 0)
		return rc;
	return ca_make_cert(&m->ra_enc, X509_get0_pubkey(old->ra_enc),
	    X509_get_subject_name(old->ra_enc), m->cert, m->key, days,
	    "critical,CA:FALSE", "critical,keyEncipherment,dataEncipherment",
	    e);
}

static int
rollover_make(struct rollover_made *m, const struct ca *old,
    const struct policy *pol, const struct ca_rollover_opts *o,
    struct err *e)
{
	X509_NAME	*n = NULL;
	EVP_PKEY	*oldpub;
	char		 spec[32];
	time_t		 now = clock_now();
	int		 days = o->days > 0 ? o->days : CA_DEFAULT_DAYS, left, rc;

	memset(m, 0, sizeof(*m));
	rollover_keyspec(spec, sizeof(spec), old->cert);
	if (o->keyspec != NULL)
		snprintf(spec, sizeof(spec), "%s", o->keyspec);
	if (o->subject != NULL && (rc = ca_parse_dn(&n, o->subject, e)) != 0)
		return rc;
	if (n == NULL && (n = X509_NAME_dup(X509_get_subject_name(
	    old->cert))) == NULL)
		return err_nomem(e);
	left = rollover_days_left(old->cert, now);
	oldpub = X509_get0_pubkey(old->cert);
	/* The next CA outlives the current one, or rolling over is moot. */
	if (o->days <= 0 && days <= left)
		days = left + 1;
	if (days <= left) {
		X509_NAME_free(n);
		return err_set(e, ERR_INVAL, "--days %d: the new CA would expire "
		    "before the current one (in %d days)", days, left);
	}
	if ((rc = rollover_key(&m->key, spec, oldpub, old->ra_enc != NULL,
	    pol, e)) != 0 ||
	    (rc = ca_make_cert(&m->cert, m->key, n, NULL, NULL, days,
	    ROLLOVER_BC, ROLLOVER_KU, e)) != 0 ||
	    (rc = ca_make_cert(&m->link_new, m->key, n, old->cert, old->key,
	    days < left ? days : left, ROLLOVER_BC, ROLLOVER_KU, e)) != 0 ||
	    (rc = ca_make_cert(&m->link_old, oldpub, X509_get_subject_name(
	    old->cert), m->cert, m->key, left, ROLLOVER_BC, ROLLOVER_KU,
	    e)) != 0 || (rc = rollover_make_ra(m, old, days, e)) != 0)
		rollover_made_clear(m);
	X509_NAME_free(n);
	return rc;
}

static int
rollover_write_cert(const char *dir, const char *name, X509 *x,
    struct err *e)
{
	BIO	*b;
	char	 path[4096], *p;
	long	 n;
	int	 rc;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	if (!PEM_write_bio_X509(b, x))
		rc = err_openssl(e, ERR_CRYPTO, "cannot encode %s", name);
	else {
		n = BIO_get_mem_data(b, &p);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		rc = store_file_write(path, p, (size_t)n, STORE_PUBLIC, e);
	}
	BIO_free(b);
	return rc;
}

/* The files of generation gen: remove 1 to undo a rollover. */
static int
rollover_files(const char *dir, int gen, const struct rollover_made *m,
    int remove, struct err *e)
{
	char	 name[64], path[4096];
	int	 rc;

	if (remove) {
		static const char *const fmt[] = { "%s/ca-%d.crt",
		    "%s/ca-%d.key" };

		for (size_t i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), fmt[i], dir, gen);
			(void)unlink(path);
		}
		snprintf(path, sizeof(path), "%s/link-%d-%d.crt", dir, gen - 1,
		    gen);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/link-%d-%d.crt", dir, gen,
		    gen - 1);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/ra-sign-%d.crt", dir, gen);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/ra-enc-%d.crt", dir, gen);
		(void)unlink(path);
		return 0;
	}
	snprintf(name, sizeof(name), "link-%d-%d.crt", gen - 1, gen);
	if ((rc = rollover_write_cert(dir, name, m->link_new, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "link-%d-%d.crt", gen, gen - 1);
	if ((rc = rollover_write_cert(dir, name, m->link_old, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "ra-sign-%d.crt", gen);
	if (m->ra_sign != NULL &&
	    (rc = rollover_write_cert(dir, name, m->ra_sign, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "ra-enc-%d.crt", gen);
	if (m->ra_enc != NULL &&
	    (rc = rollover_write_cert(dir, name, m->ra_enc, e)) != 0)
		return rc;
	/* ca-N.crt last (ca_write_pair: the key first): it marks the set. */
	snprintf(name, sizeof(name), "ca-%d", gen);
	return ca_write_pair(dir, name, m->key, m->cert, e);
}

/* Which generation follows, and from which one. */
static int
rollover_which(int *gen, const struct ca **old, const struct ca *ca,
    struct db *db, time_t now, struct err *e)
{
	const struct ca	*g;
	struct tm	 tm;
	char		 when[32] = "unknown";
	int		 cur, next, rc;

	if ((rc = db_cagen_state(db, now, &cur, &next, e)) != 0)
		return rc;
	if (next != 0) {
		if ((g = ca_gen(ca, next)) != NULL && g->in_db &&
		    gmtime_r(&g->switch_at, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		return err_set(e, ERR_EXISTS, "a rollover to CA generation %d "
		    "is already pending (switch-over at %s); one at a time",
		    next, when);
	}
	if (cur + 1 > CA_GENMAX)
		return err_set(e, ERR_TOOBIG, "CA generation %d would be more "
		    "than %d", cur + 1, CA_GENMAX);
	if ((*old = ca_gen(ca, cur)) == NULL || !(*old)->in_db ||
	    (*old)->key == NULL)
		return err_set(e, ERR_NOTFOUND, "CA generation %d is in force "
		    "but its files are not in %s", cur, ca->dir);
	*gen = cur + 1;
	return 0;
}

static int
rollover_record(struct db *db, int gen, const struct rollover_made *m,
    time_t at, time_t now, struct err *e)
{
	struct db_cagen	 g;
	int		 rc;

	memset(&g, 0, sizeof(g));
	g.gen = gen;
	g.switch_at = at;
	g.created = now;
	if ((rc = cert_der_dup(&g.cert, &g.cert_len, m->cert,
	    ASN1_ITEM_rptr(X509), "the new CA certificate", e)) != 0)
		return rc;
	rc = db_cagen_add(db, &g, now, e);
	db_cagen_clear(&g);
	return rc;
}

int
ca_rollover(int *out, const struct ca *ca, struct db *db,
    const struct policy *pol, const struct ca_rollover_opts *o,
    struct err *e)
{
	struct rollover_made	 m;
	const struct ca		*old = NULL;
	time_t			 now = clock_now();
	time_t			 at = o->at != 0 ? o->at : now;
	int			 fd = -1, gen = 0, rc;

	memset(&m, 0, sizeof(m));
	if (at < now)
		return err_set(e, ERR_INVAL, "--at: the switch-over time is in "
		    "the past");
	/* One rollover at a time in this directory (two would share files). */
	if ((rc = ca_lock(&fd, ca->dir, e)) != 0)
		return rc;
	if ((rc = rollover_which(&gen, &old, ca, db, now, e)) != 0 ||
	    (rc = rollover_make(&m, old, pol, o, e)) != 0 ||
	    (rc = rollover_files(ca->dir, gen, &m, 0, e)) != 0)
		goto out;
	if ((rc = rollover_record(db, gen, &m, at, now, e)) != 0) {
		(void)rollover_files(ca->dir, gen, &m, 1, NULL);
		goto out;
	}
	*out = gen;
 out:
	rollover_made_clear(&m);
	close(fd);
	return rc;
}
