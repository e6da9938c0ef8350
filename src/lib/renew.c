/*
 * renew: the renewal state, the schedule (pure functions of times and
 * counts), the shadow key pair and the switch-over (renew.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "keyop.h"
#include "keystore.h"
#include "renew.h"
#include "store.h"
#include "text.h"
#include "trustpoint.h"

#define RENEW_STATEMAX	(8u * 1024)	/* a renewal-<kind> file */
#define RENEW_KEYMAX	(64u * 1024)	/* a shadow key file */
#define RENEW_LINES	16		/* lines read from a state file */

static int
renew_rel(char *rel, size_t sz, const char *name, const char *what,
    enum tp_kind kind)
{
	char	 file[64];

	if ((unsigned)kind >= TP_KIND__MAX)
		return ERR_INVAL;
	snprintf(file, sizeof(file), "%s%s%s", what, tp_kind_name(kind),
	    strcmp(what, "renewal-") == 0 ? "" : ".pem");
	return tp_path(rel, sz, name, file);
}

/* One "key value" line of a state file into s; unknown keys are skipped. */
static void
renew_state_line(struct renew_state *s, const char *key, const char *val)
{
	long long	 v = strtoll(val, NULL, 10);

	if (strcmp(key, "last-attempt") == 0)
		s->last_attempt = (time_t)v;
	else if (strcmp(key, "last-success") == 0)
		s->last_success = (time_t)v;
	else if (strcmp(key, "last-ok") == 0)
		s->last_ok = v != 0;
	else if (strcmp(key, "failures-total") == 0)
		s->failures_total = v > 0 ? (unsigned long)v : 0;
	else if (strcmp(key, "failures-run") == 0)
		s->failures_run = v > 0 ? (unsigned long)v : 0;
	else if (strcmp(key, "next") == 0)
		s->next = (time_t)v;
	else if (strcmp(key, "needs-operator") == 0)
		s->needs_operator = v != 0;
	else if (strcmp(key, "certificate") == 0)
		snprintf(s->cert_fp, sizeof(s->cert_fp), "%s",
		    strcmp(val, "-") != 0 ? val : "");
	else if (strcmp(key, "last-error") == 0)
		snprintf(s->last_error, sizeof(s->last_error), "%s", val);
}

int
renew_state_load(struct renew_state *s, struct store *st, const char *name,
    enum tp_kind kind, struct err *e)
{
	char	 rel[256], *buf = NULL, *p, *line, *sp;
	size_t	 len;
	int	 rc, n;

	memset(s, 0, sizeof(*s));
	if (renew_rel(rel, sizeof(rel), name, "renewal-", kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "trustpoint %s: never renewed",
		    name);
	if ((rc = store_read(st, rel, &buf, &len, RENEW_STATEMAX, e)) != 0)
		return rc;
	p = buf;
	for (n = 0; n < RENEW_LINES && (line = strsep(&p, "\n")) != NULL;
	    n++) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		renew_state_line(s, line, sp + 1);
	}
	free(buf);
	return 0;
}

int
renew_state_save(struct store *st, const char *name, enum tp_kind kind,
    const struct renew_state *s, struct err *e)
{
	char	 rel[256], why[sizeof(s->last_error)], buf[1024];
	int	 n;

	if (renew_rel(rel, sizeof(rel), name, "renewal-", kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	/* One line: the message may quote a peer (escaped, no newline). */
	text_esc(why, sizeof(why), s->last_error);
	n = snprintf(buf, sizeof(buf), "last-attempt %lld\nlast-success %lld\n"
	    "last-ok %d\nfailures-total %lu\nfailures-run %lu\nnext %lld\n"
	    "needs-operator %d\ncertificate %s\nlast-error %s\n",
	    (long long)s->last_attempt, (long long)s->last_success,
	    s->last_ok, s->failures_total, s->failures_run, (long long)s->next,
	    s->needs_operator, s->cert_fp[0] ? s->cert_fp : "-", why);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(e, ERR_INVAL, "renewal state too long");
	return store_write(st, rel, buf, (size_t)n, STORE_PUBLIC, e);
}

void
renew_cert_fp(char *buf, X509 *x)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	buf[0] = '\0';
	if (x == NULL || !X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return;
	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[md[i] >> 4];
		buf[2 * i + 1] = hex[md[i] & 15];
	}
	buf[2 * n] = '\0';
}

int
renew_record(struct store *st, const struct trustpoint *tp, enum tp_kind kind,
    X509 *cur, int rc, const char *why, int needs_operator, time_t now,
    struct err *e)
{
	struct renew_state	 s;
	struct err		 e2;
	char			 fp[65];
	time_t			 na = 0;

	if (renew_state_load(&s, st, tp->name, kind, &e2) != 0)
		memset(&s, 0, sizeof(s));
	renew_cert_fp(fp, cur);
	if (strcmp(fp, s.cert_fp) != 0) {
		/* Another certificate: its own count and schedule. */
		s.failures_run = 0;
		s.needs_operator = 0;
		snprintf(s.cert_fp, sizeof(s.cert_fp), "%s", fp);
	}
	s.last_attempt = now;
	s.last_ok = rc == 0;
	s.needs_operator = needs_operator;
	s.next = 0;
	s.last_error[0] = '\0';
	if (rc == 0) {
		s.last_success = now;
		s.failures_run = 0;
	} else if (rc == ERR_PENDING)
		snprintf(s.last_error, sizeof(s.last_error), "pending: %s",
		    why != NULL ? why : "");
	else {
		s.failures_total++;
		s.failures_run++;
		snprintf(s.last_error, sizeof(s.last_error), "%s",
		    why != NULL ? why : "");
		if (cur != NULL &&
		    cert_asn1_time(X509_get0_notAfter(cur), &na) != 0)
			na = 0;
		s.next = renew_retry_next(now, s.failures_run,
		    tp->retry_period, tp->retry_count, na);
	}
	return renew_state_save(st, tp->name, kind, &s, e);
}

time_t
renew_due(time_t nb, time_t na, int percent)
{
	if (percent < 1 || percent > 100)
		percent = RENEW_PERCENT_DEFAULT;
	if (na <= nb)
		return nb;
	/* 64-bit arithmetic: a lifetime of centuries times 100 fits. */
	return nb + (time_t)(((int64_t)(na - nb) * percent) / 100);
}

time_t
renew_activation(X509 *cur, X509 *shadow)
{
	time_t	 na = 0, nb = 0;

	if (cur != NULL && cert_asn1_time(X509_get0_notAfter(cur), &na) != 0)
		na = 0;
	if (cert_asn1_time(X509_get0_notBefore(shadow), &nb) != 0)
		nb = 0;
	return na > nb ? na : nb;
}

time_t
renew_retry_next(time_t now, unsigned long run, int period, int count,
    time_t expiry)
{
	time_t	 next;

	if (period < 1)
		period = 1;
	if (run <= (unsigned long)(count > 0 ? count : 0))
		next = now + (time_t)period * 60;
	else if (run <= (unsigned long)count + RENEW_HOURLY_TRIES)
		next = now + RENEW_HOUR;
	else
		next = now + RENEW_DAY;
	if (expiry != 0 && next >= expiry)
		return now < expiry ? expiry - 1 : 0;
	return next;
}

int
renew_shadow_key_load(EVP_PKEY **out, struct store *st, const char *name,
    enum tp_kind kind, struct err *e)
{
	char	 rel[256], msg[320], *buf = NULL;
	size_t	 len = 0;
	int	 rc;

	*out = NULL;
	if (renew_rel(rel, sizeof(rel), name, "shadow-key-", kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "trustpoint %s: no shadow key "
		    "pair", name);
	if ((rc = store_read(st, rel, &buf, &len, RENEW_KEYMAX, e)) != 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s: no readable private key", rel);
	rc = keyop_pem_parse(out, buf, len, NULL, msg, e);
	OPENSSL_clear_free(buf, len);
	return rc;
}

int
renew_shadow_key_store(struct store *st, const char *name, enum tp_kind kind,
    EVP_PKEY *pk, struct err *e)
{
	BIO	*bio = NULL;
	char	 rel[256], *data;
	long	 n;
	int	 rc;

	if (renew_rel(rel, sizeof(rel), name, "shadow-key-", kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	/* A secure-heap BIO: cleansed when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the shadow key pair");
		goto out;
	}
	rc = store_write(st, rel, data, (size_t)n, STORE_SECRET, e);
 out:
	BIO_free(bio);
	return rc;
}

int
renew_keygen(EVP_PKEY **out, EVP_PKEY *cur, struct err *e)
{
	char	 group[64];
	size_t	 glen = 0;

	*out = NULL;
	if (EVP_PKEY_get_base_id(cur) == EVP_PKEY_RSA)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)EVP_PKEY_get_bits(cur));
	else if (EVP_PKEY_get_base_id(cur) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(cur, "group", group, sizeof(group),
	    &glen) == 1)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	else
		return err_set(e, ERR_INVAL, "cannot make a key pair like the "
		    "current one (neither RSA nor EC)");
	if (*out == NULL)
		return err_openssl(e, ERR_CRYPTO, "key generation");
	return 0;
}

/* The switch-over's files into one change. */
static int
renew_switch_batch(struct store_batch *b, struct store *st, const char *name,
    const char *label, enum tp_kind kind, struct err *e)
{
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	BIO		*bio = NULL;
	char		 rel[256], file[64], *data;
	long		 n;
	int		 rc;

	if ((rc = tp_shadow_load(&x, st, name, kind, e)) != 0)
		return rc;
	if ((rc = renew_shadow_key_load(&pk, st, name, kind, e)) != 0 &&
	    rc != ERR_NOTFOUND)
		goto out;
	err_clear(e);
	if (pk != NULL && ((rc = keystore_batch_put(b, st, label, pk,
	    tp_keystore_kind(kind), e)) != 0 || (rc = renew_rel(rel,
	    sizeof(rel), name, "shadow-key-", kind)) != 0 ||
	    (rc = store_batch_remove(b, rel, 1, e)) != 0))
		goto out;
	snprintf(file, sizeof(file), "cert-%s.pem", tp_kind_name(kind));
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, x)) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the certificate");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if ((rc = tp_path(rel, sizeof(rel), name, file)) != 0 ||
	    (rc = store_batch_write(b, rel, data, (size_t)n, STORE_PUBLIC, 0,
	    e)) != 0 || (rc = renew_rel(rel, sizeof(rel), name, "shadow-",
	    kind)) != 0 || (rc = store_batch_remove(b, rel, 0, e)) != 0)
		goto out;
 out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

int
renew_switch(struct store *st, const char *name, const char *label,
    enum tp_kind kind, struct err *e)
{
	struct store_batch	*b = NULL;
	int			 rc;

	if ((rc = store_change_begin(&b, st, e)) != 0)
		return rc;
	rc = renew_switch_batch(b, st, name, label, kind, e);
	return store_change_end(b, rc, e);
}

time_t
renew_due_cert(X509 *x, int percent)
{
	time_t	 nb, na;

	if (x == NULL || cert_asn1_time(X509_get0_notBefore(x), &nb) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(x), &na) != 0)
		return 0;
	return renew_due(nb, na, percent);
}

time_t
renew_when(const struct renew_state *s, int have, X509 *cur, int percent)
{
	char	 fp[65];
	time_t	 due;

	due = renew_due_cert(cur, percent);
	if (!have)
		return due;
	renew_cert_fp(fp, cur);
	/* Only failures of this very certificate move its schedule. */
	if (strcmp(fp, s->cert_fp) != 0 || s->last_ok)
		return due;
	if (s->next > due)
		return s->next;
	if (s->next == 0 && s->failures_run > 0)
		return 0;	/* failed up to its expiry */
	return due;
}

int
renew_status_get(struct renew_status *rs, struct store *st,
    const struct trustpoint *tp, enum tp_kind kind, X509 *cur, struct err *e)
{
	struct tp_pending	 p;
	EVP_PKEY		*k = NULL;
	char			 fp[65];
	int			 rc;

	memset(rs, 0, sizeof(*rs));
	rs->percent = tp->auto_enroll;
	rs->regenerate = tp->auto_regenerate;
	if ((rc = tp_shadow_load(&rs->shadow, st, tp->name, kind, e)) != 0 &&
	    rc != ERR_NOTFOUND)
		return rc;
	if (rs->shadow != NULL)
		rs->activation = renew_activation(cur, rs->shadow);
	if (renew_shadow_key_load(&k, st, tp->name, kind, e) == 0)
		rs->shadow_newkey = 1;
	EVP_PKEY_free(k);
	if (tp_pending_load(&p, st, tp->name, kind, e) == 0) {
		rs->pending = p.renewal != 0;
		tp_pending_clear(&p);
	}
	rs->has_state = renew_state_load(&rs->state, st, tp->name, kind,
	    e) == 0;
	err_clear(e);
	/* A certificate enrolled since (by hand) owes nothing to the state. */
	renew_cert_fp(fp, cur);
	if (rs->has_state && strcmp(fp, rs->state.cert_fp) != 0)
		rs->state.needs_operator = 0;
	if (rs->percent != 0 && rs->shadow == NULL && !rs->pending &&
	    cur != NULL)
		rs->next = renew_when(&rs->state, rs->has_state, cur,
		    rs->percent);
	return 0;
}

void
renew_status_clear(struct renew_status *rs)
{
	if (rs == NULL)
		return;
	X509_free(rs->shadow);
	memset(rs, 0, sizeof(*rs));
}

int
renew_check_shadow(X509 *cur, X509 *shadow, struct err *e)
{
	time_t	 cna, snb, sna;
	char	 a[48], b[48];

	if (cur == NULL)
		return 0;
	if (cert_asn1_time(X509_get0_notAfter(cur), &cna) != 0 ||
	    cert_asn1_time(X509_get0_notBefore(shadow), &snb) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(shadow), &sna) != 0)
		return err_set(e, ERR_PROTO, "the renewed certificate has an "
		    "unreadable validity");
	/* A hostile CA could leave the device without a valid certificate. */
	if (snb > cna + TP_CLOCK_SKEW) {
		cert_fmt_time(a, sizeof(a), snb);
		cert_fmt_time(b, sizeof(b), cna);
		return err_set(e, ERR_PROTO, "the renewed certificate starts "
		    "(%s) after the current one ends (%s)", a, b);
	}
	if (sna < cna) {
		cert_fmt_time(a, sizeof(a), sna);
		cert_fmt_time(b, sizeof(b), cna);
		return err_set(e, ERR_PROTO, "the renewed certificate ends "
		    "(%s) before the current one (%s)", a, b);
	}
	return 0;
}

int
renew_drop_shadow(struct store *st, const char *name, enum tp_kind kind,
    struct err *e)
{
	struct store_batch	*b = NULL;
	char			 rel[256];
	int			 rc;

	if ((rc = store_lock(st, e)) != 0)
		return rc;
	if ((rc = store_batch_new(&b, st, e)) != 0 ||
	    (rc = renew_rel(rel, sizeof(rel), name, "shadow-", kind)) != 0 ||
	    (rc = store_batch_remove(b, rel, 0, e)) != 0 ||
	    (rc = renew_rel(rel, sizeof(rel), name, "shadow-key-", kind)) != 0 ||
	    (rc = store_batch_remove(b, rel, 1, e)) != 0)
		goto out;
	rc = store_batch_commit(b, e);
 out:
	store_batch_free(b);
	store_unlock(st);
	return rc;
}
