/*
 * expiry: the watched certificates, the alarm levels and their memory
 * (see expiry.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "config.h"
#include "err.h"
#include "expiry.h"
#include "renew.h"
#include "store.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "trustpool.h"

#define EXPIRY_MEMO_FILE	"alarms"
#define EXPIRY_MEMO_HEADER	"# netpki expiry alarms raised: " \
				"trustpoint kind sha256 level\n"
#define EXPIRY_MEMO_ENTRIES	(EXPIRY_MEMOMAX / 72)	/* certificates: a
						   line is 72 bytes or more */

static const int expiry_days_tab[EXPIRY_NDAYS] = { 60, 30, 14, 7, 3, 1 };

static const char *const expiry_kind_names[EXPIRY_KIND__MAX] = {
	"router", "router_shadow", "ca", "ca_next", "trustpool",
};

struct expiry_memo_entry {
	char		 tp[TP_NAMEMAX + 1];
	int		 kind;
	char		 fp[65];
	int		 level;
	int		 seen;		/* still watched (expiry_memo_save) */
};

/*
 * A fleet's device may watch tens of thousands of certificates: entries
 * are found through an open-addressing hash index (slot: entry + 1, 0
 * empty; at most half full), not by a scan per certificate.
 */
struct expiry_memo {
	struct expiry_memo_entry	*v;
	size_t				 n, cap;
	size_t				*idx;
	size_t				 nidx;	/* a power of two */
	int				 changed;
};

const char *
expiry_kind_name(enum expiry_kind k)
{
	return (unsigned)k < EXPIRY_KIND__MAX ? expiry_kind_names[k] : "?";
}

int
expiry_days(int level)
{
	return level >= 0 && level < EXPIRY_NDAYS ? expiry_days_tab[level] : 0;
}

int
expiry_level(time_t not_after, time_t now)
{
	int	 i;

	if (now >= not_after)
		return EXPIRY_EXPIRED;
	for (i = EXPIRY_NDAYS - 1; i >= 0; i--)
		if (not_after - now <= (time_t)expiry_days_tab[i] * EXPIRY_DAY)
			return i;
	return -1;
}

time_t
expiry_next(time_t not_after, time_t now)
{
	int	 level = expiry_level(not_after, now);

	if (level == EXPIRY_EXPIRED)
		return 0;
	if (level == EXPIRY_NDAYS - 1)
		return not_after;
	return not_after - (time_t)expiry_days_tab[level + 1] * EXPIRY_DAY;
}

void
expiry_list_clear(struct expiry_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].subject);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Add x (up-referenced) unless the same certificate is there already. */
static int
expiry_add(struct expiry_list *l, const char *tp, enum expiry_kind kind,
    enum tp_kind slot, X509 *x, struct expiry_cert **out, struct err *e)
{
	struct expiry_cert	*c, *v;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	size_t			 j, cap;
	char			 fp[65];

	*out = NULL;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return err_openssl(e, ERR_CRYPTO, "certificate digest");
	for (i = 0; i < mdlen; i++)
		snprintf(fp + 2 * i, 3, "%02x", md[i]);
	/* A trustpoint's certificates are added together, last in l. */
	for (j = l->n; j > 0 && strcmp(l->v[j - 1].tp, tp) == 0; j--)
		if (l->v[j - 1].kind == kind && strcmp(l->v[j - 1].fp, fp) == 0)
			return 0;
	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 64;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return err_nomem(e);
		l->v = v;
		l->cap = cap;
	}
	c = &l->v[l->n];
	memset(c, 0, sizeof(*c));
	if (cert_asn1_time(X509_get0_notAfter(x), &c->not_after) != 0)
		return 0;	/* unreadable: show commands say so */
	if ((c->subject = cert_dn(X509_get_subject_name(x), CERT_DN_UPPER)) ==
	    NULL)
		return err_nomem(e);
	snprintf(c->tp, sizeof(c->tp), "%s", tp);
	c->kind = kind;
	c->slot = slot;
	memcpy(c->fp, fp, sizeof(c->fp));
	l->n++;
	*out = c;
	return 0;
}

/* A successor is valid when it outlives what it replaces and now. */
static int
expiry_successor_ok(X509 *next, time_t cur_after, time_t now)
{
	time_t	 nb, na;

	return cert_asn1_time(X509_get0_notBefore(next), &nb) == 0 &&
	    cert_asn1_time(X509_get0_notAfter(next), &na) == 0 &&
	    na > now && na > cur_after;
}

/* The router certificates of one trustpoint and their shadows. */
static int
expiry_routers(struct expiry_list *l, struct store *st, const char *tp,
    const struct tp_certs *tc, time_t now, struct err *e)
{
	struct expiry_cert	*c, *s;
	struct renew_state	 rs;
	X509			*shadow;
	size_t			 ci;
	int			 k, rc;

	for (k = 0; k < TP_KIND__MAX; k++) {
		if (tc->dev[k] == NULL)
			continue;
		if ((rc = expiry_add(l, tp, EXPIRY_ROUTER, k, tc->dev[k], &c,
		    e)) != 0)
			return rc;
		if (c == NULL)
			continue;
		if (renew_state_load(&rs, st, tp, k, NULL) == 0)
			c->needs_operator = rs.needs_operator;
		if (tp_shadow_load(&shadow, st, tp, k, NULL) != 0)
			continue;
		ci = (size_t)(c - l->v);
		rc = expiry_add(l, tp, EXPIRY_ROUTER_SHADOW, k, shadow, &s, e);
		/* l->v may have moved as it grew: by index. */
		if (rc == 0 && s != NULL && expiry_successor_ok(shadow,
		    l->v[ci].not_after, now))
			l->v[ci].silenced = 1;
		X509_free(shadow);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The trust-pool CAs above the top of a trustpoint's chain, when it is
 * not self-issued: the chain depends on them to verify.
 */
static int
expiry_pool(struct expiry_list *l, struct store *st, const char *tp,
    X509 *top, struct trustpool **poolp, struct err *e)
{
	const struct trustpool	*pool;
	struct expiry_cert	*c;
	X509			*up;
	size_t			 i;
	int			 depth, rc;

	for (depth = 0; depth < EXPIRY_POOLDEPTH; depth++) {
		if (X509_check_issued(top, top) == X509_V_OK)
			return 0;
		/*
		 * Loaded for the first chain that needs it (parsing the pool
		 * is most of a round's cost); without one the chains are
		 * still watched.
		 */
		if (*poolp == NULL && trustpool_load(poolp, st, NULL) != 0)
			*poolp = NULL;
		if ((pool = *poolp) == NULL)
			return 0;
		for (i = 0, up = NULL; i < pool->n && up == NULL; i++)
			if (pool->v[i].active && X509_check_issued(
			    pool->v[i].x509, top) == X509_V_OK)
				up = pool->v[i].x509;
		if (up == NULL)
			return 0;
		if ((rc = expiry_add(l, tp, EXPIRY_TRUSTPOOL, 0, up, &c,
		    e)) != 0)
			return rc;
		top = up;
	}
	return 0;
}

/* The CA chain of one trustpoint, its next CA and the pool above it. */
static int
expiry_cas(struct expiry_list *l, struct store *st, const char *tp,
    const struct tp_certs *tc, struct trustpool **pool, time_t now,
    struct err *e)
{
	struct expiry_cert	*c;
	X509			*x, *next = NULL;
	int			 i, n, rc = 0;

	if (tc->chain == NULL || (n = sk_X509_num(tc->chain)) == 0)
		return 0;
	if (tp_ca_next_load(&next, st, tp, NULL) != 0)
		next = NULL;
	for (i = 0; i < n && i < TP_CHAINMAX; i++) {
		x = sk_X509_value(tc->chain, i);
		if ((rc = expiry_add(l, tp, EXPIRY_CA, 0, x, &c, e)) != 0)
			goto out;
		/* The next CA succeeds the CA of its name. */
		if (c != NULL && next != NULL && X509_NAME_cmp(
		    X509_get_subject_name(next), X509_get_subject_name(x)) ==
		    0 && expiry_successor_ok(next, c->not_after, now))
			c->silenced = 1;
	}
	if (next != NULL && (rc = expiry_add(l, tp, EXPIRY_CA_NEXT, 0, next,
	    &c, e)) != 0)
		goto out;
	rc = expiry_pool(l, st, tp, sk_X509_value(tc->chain, n - 1), pool, e);
 out:
	X509_free(next);
	return rc;
}

int
expiry_collect(struct expiry_list *l, struct store *st,
    const struct config *cfg, time_t now, struct err *e)
{
	static const char	 prefix[] = "crypto ca trustpoint ";
	struct trustpool	*pool = NULL;
	struct tp_certs		 tc;
	const char		**v = NULL, *tp;
	size_t			 i, n = 0;
	int			 rc = 0;

	memset(l, 0, sizeof(*l));
	if (config_list(cfg, prefix, &v, &n) != 0)
		return err_nomem(e);
	for (i = 0; i < n && rc == 0; i++) {
		tp = v[i] + sizeof(prefix) - 1;
		if (tp_certs_load(&tc, st, tp, NULL) != 0)
			continue;
		if ((rc = expiry_routers(l, st, tp, &tc, now, e)) == 0)
			rc = expiry_cas(l, st, tp, &tc, &pool, now, e);
		tp_certs_clear(&tc);
	}
	trustpool_free(pool);
	free(v);
	if (rc != 0)
		expiry_list_clear(l);
	return rc;
}

void
expiry_memo_free(struct expiry_memo *m)
{
	if (m == NULL)
		return;
	free(m->v);
	free(m->idx);
	free(m);
}

/* FNV-1a over the key: the fingerprint is already uniform. */
static size_t
expiry_memo_hash(const char *tp, int kind, const char *fp)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *fp != '\0'; fp++)
		h = (h ^ (unsigned char)*fp) * 0x100000001b3ULL;
	for (; *tp != '\0'; tp++)
		h = (h ^ (unsigned char)*tp) * 0x100000001b3ULL;
	return (size_t)((h ^ (uint64_t)kind) * 0x100000001b3ULL);
}

/* The index slot of the key: its entry's, or the empty one to fill. */
static size_t *
expiry_memo_slot(const struct expiry_memo *m, const char *tp, int kind,
    const char *fp)
{
	const struct expiry_memo_entry	*v;
	size_t				 i, mask = m->nidx - 1, probes;

	i = expiry_memo_hash(tp, kind, fp) & mask;
	/* Bounded: the index is never more than half full. */
	for (probes = 0; probes < m->nidx; probes++, i = (i + 1) & mask) {
		if (m->idx[i] == 0)
			return &m->idx[i];
		v = &m->v[m->idx[i] - 1];
		if (v->kind == kind && strcmp(v->fp, fp) == 0 &&
		    strcmp(v->tp, tp) == 0)
			return &m->idx[i];
	}
	return NULL;
}

static struct expiry_memo_entry *
expiry_memo_find(struct expiry_memo *m, const char *tp, int kind,
    const char *fp)
{
	size_t	*slot;

	if (m->nidx == 0 || (slot = expiry_memo_slot(m, tp, kind, fp)) ==
	    NULL || *slot == 0)
		return NULL;
	return &m->v[*slot - 1];
}

/* Room for one more entry: the array and an index twice its size. */
static int
expiry_memo_grow(struct expiry_memo *m)
{
	struct expiry_memo_entry	*v;
	size_t				 cap, i, *slot;

	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 16;
		if ((v = reallocarray(m->v, cap, sizeof(*v))) == NULL)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	if (2 * (m->n + 1) <= m->nidx)
		return 0;
	free(m->idx);
	m->nidx = m->nidx ? m->nidx * 2 : 64;
	if ((m->idx = calloc(m->nidx, sizeof(*m->idx))) == NULL) {
		m->nidx = 0;
		return -1;
	}
	for (i = 0; i < m->n; i++)
		if ((slot = expiry_memo_slot(m, m->v[i].tp, m->v[i].kind,
		    m->v[i].fp)) != NULL)
			*slot = i + 1;
	return 0;
}

static struct expiry_memo_entry *
expiry_memo_add(struct expiry_memo *m, const char *tp, int kind,
    const char *fp, int level)
{
	struct expiry_memo_entry	*v;
	size_t				*slot;

	if (m->n >= EXPIRY_MEMO_ENTRIES || expiry_memo_grow(m) != 0 ||
	    (slot = expiry_memo_slot(m, tp, kind, fp)) == NULL)
		return NULL;
	v = &m->v[m->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->tp, sizeof(v->tp), "%s", tp);
	v->kind = kind;
	snprintf(v->fp, sizeof(v->fp), "%s", fp);
	v->level = level;
	*slot = m->n;
	return v;
}

/* One line "TP KIND FP LEVEL"; damaged lines are dropped. */
static void
expiry_memo_line(struct expiry_memo *m, const char *line)
{
	char	 tp[TP_NAMEMAX + 1], kind[32], fp[65];
	int	 k, level;

	if (sscanf(line, "%64s %31s %64s %d", tp, kind, fp, &level) != 4 ||
	    !tp_name_ok(tp) || strlen(fp) != 64 || level < 0 ||
	    level > EXPIRY_EXPIRED)
		return;
	for (k = 0; k < EXPIRY_KIND__MAX; k++)
		if (strcmp(kind, expiry_kind_names[k]) == 0 &&
		    expiry_memo_find(m, tp, k, fp) == NULL) {
			expiry_memo_add(m, tp, k, fp, level);
			return;
		}
}

int
expiry_memo_parse(struct expiry_memo **out, const char *text, size_t len,
    struct err *e)
{
	struct expiry_memo	*m;
	char			*buf, *line, *next;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (buf = strndup(text, len)) == NULL) {
		free(m);
		return err_nomem(e);
	}
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] != '#')
			expiry_memo_line(m, line);
	}
	free(buf);
	*out = m;
	return 0;
}

int
expiry_memo_load(struct expiry_memo **out, struct store *st, struct err *e)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	*out = NULL;
	rc = store_read(st, EXPIRY_MEMO_FILE, &buf, &len, EXPIRY_MEMOMAX, e);
	if (rc != 0) {
		/* Absent or unreadable: alarms may repeat once, no more. */
		buf = NULL;
		len = 0;
	}
	rc = expiry_memo_parse(out, buf != NULL ? buf : "", len, e);
	free(buf);
	return rc;
}

/* How many certificates the memory holds (tests, fuzzing). */
size_t
expiry_memo_count(const struct expiry_memo *m)
{
	return m->n;
}

int
expiry_memo_raise(struct expiry_memo *m, const struct expiry_cert *c,
    int level)
{
	struct expiry_memo_entry	*v;

	if ((v = expiry_memo_find(m, c->tp, c->kind, c->fp)) != NULL) {
		if (v->level >= level)
			return 0;
		v->level = level;
	} else
		/* Full (4096 certificates): raised, not remembered. */
		expiry_memo_add(m, c->tp, c->kind, c->fp, level);
	m->changed = 1;
	return 1;
}

/*
 * The entries of certificates still watched, as the file's text; 1 in
 * *stale when some entry is no longer watched.
 */
static char *
expiry_memo_text(struct expiry_memo *m, const struct expiry_list *l,
    size_t *len, int *stale)
{
	struct expiry_memo_entry	*v;
	char				*text = NULL, *p;
	size_t				 i, cap, seen = 0;

	cap = sizeof(EXPIRY_MEMO_HEADER) + m->n * (TP_NAMEMAX + 100);
	if ((text = malloc(cap)) == NULL)
		return NULL;
	p = text + snprintf(text, cap, "%s", EXPIRY_MEMO_HEADER);
	for (i = 0; i < m->n; i++)
		m->v[i].seen = 0;
	for (i = 0; i < l->n; i++) {
		/* l holds each certificate once (expiry_add). */
		v = expiry_memo_find(m, l->v[i].tp, l->v[i].kind, l->v[i].fp);
		if (v == NULL || v->seen)
			continue;
		v->seen = 1;
		seen++;
		p += snprintf(p, cap - (size_t)(p - text), "%s %s %s %d\n",
		    v->tp, expiry_kind_names[v->kind], v->fp, v->level);
	}
	*stale = seen < m->n;
	*len = (size_t)(p - text);
	return text;
}

int
expiry_memo_save(struct expiry_memo *m, struct store *st,
    const struct expiry_list *l, struct err *e)
{
	char	*text;
	size_t	 len;
	int	 rc = 0, stale;

	if ((text = expiry_memo_text(m, l, &len, &stale)) == NULL)
		return err_nomem(e);
	if (m->changed || stale) {
		if ((rc = store_lock(st, e)) == 0) {
			rc = store_write(st, EXPIRY_MEMO_FILE, text, len,
			    STORE_PUBLIC, e);
			store_unlock(st);
		}
		if (rc == 0)
			m->changed = 0;
	}
	free(text);
	return rc;
}
