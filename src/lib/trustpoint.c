/*
 * trustpoint: settings from the configuration block, certificates from
 * the state directory.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "config.h"
#include "crl.h"
#include "err.h"
#include "keystore.h"
#include "store.h"
#include "tftp_enroll.h"
#include "est_msg.h"
#include "trustpoint.h"

static const char *const tp_kinds[TP_KIND__MAX] = {
	"general", "sign", "encr"
};

const char *
tp_kind_name(enum tp_kind k)
{
	return (unsigned)k < TP_KIND__MAX ? tp_kinds[k] : "?";
}

int
tp_name_ok(const char *name)
{
	size_t	 i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n > TP_NAMEMAX)
		return 0;
	/* The name is a directory under trustpoints/: no separators. */
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_' && name[i] != '.')
			return 0;
	return name[0] != '.';
}

int
tp_block(char *buf, size_t sz, const char *name)
{
	int	 n;

	n = snprintf(buf, sz, "crypto ca trustpoint %s", name);
	return (n < 0 || (size_t)n >= sz) ? ERR_INVAL : 0;
}

int
tp_path(char *buf, size_t sz, const char *name, const char *file)
{
	int	 n;

	if (!tp_name_ok(name))
		return ERR_INVAL;
	n = snprintf(buf, sz, "trustpoints/%s/%s", name, file);
	return (n < 0 || (size_t)n >= sz) ? ERR_INVAL : 0;
}

void
tp_free(struct trustpoint *tp)
{
	if (tp == NULL)
		return;
	free(tp->name);
	free(tp->url);
	free(tp->query_url);
	free(tp->keylabel);
	free(tp->vrf);
	free(tp->subject);
	free(tp->ip_address);
	free(tp->description);
	free(tp->fingerprint);
	free(tp->est_label);
	free(tp->est_user);
	free(tp->est_cred);
	free(tp->est_cred_key);
	free(tp);
}

/* The text after the first nwords words of a statement line. */
static const char *
tp_after(const char *line, int nwords)
{
	const char	*p = line;

	while (nwords-- > 0) {
		while (*p == ' ')
			p++;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	return p;
}

static const char *
tp_stmt(const struct config *c, const char *block, const char *key,
    int nwords)
{
	const char	*line;

	if ((line = config_get(c, block, key)) == NULL)
		return NULL;
	return tp_after(line, nwords);
}

static int
tp_dupval(char **out, const struct config *c, const char *block,
    const char *key, int nwords)
{
	const char	*v;

	*out = NULL;
	if ((v = tp_stmt(c, block, key, nwords)) == NULL)
		return 0;
	if ((*out = strdup(v)) == NULL)
		return ERR_NOMEM;
	return 0;
}

char *
tp_url_default_path(const char *url)
{
	const char	*host;
	char		*out;
	size_t		 n;

	if ((host = strstr(url, "://")) == NULL)
		return strdup(url);
	host += 3;
	if (strpbrk(host, "/?") != NULL)
		return strdup(url);
	n = strlen(url) + sizeof(TP_DEFAULT_PATH);
	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%s%s", url, TP_DEFAULT_PATH);
	return out;
}

/* EST: RFC 7030 3.2.2's /.well-known/est when the URL names no path. */
static int
tp_url_est(char **out, const char *url)
{
	const char	*host;
	size_t		 n;

	n = strlen(url);
	if ((host = strstr(url, "://")) != NULL &&
	    ((host = strchr(host + 3, '/')) == NULL || strcmp(host, "/") == 0)) {
		if (host != NULL)
			n--;
		if ((*out = malloc(n + sizeof(EST_PATH))) == NULL)
			return ERR_NOMEM;
		snprintf(*out, n + sizeof(EST_PATH), "%.*s%s", (int)n, url,
		    EST_PATH);
		return 0;
	}
	return (*out = strdup(url)) == NULL ? ERR_NOMEM : 0;
}

static int
tp_load_method(struct trustpoint *tp, const struct config *c,
    const char *block)
{
	const char	*line;

	/* "enrollment url" and "enrollment terminal" share one key. */
	if ((line = config_get(c, block, "enrollment method")) == NULL &&
	    (line = config_get(c, block, "enrollment url")) == NULL &&
	    (line = config_get(c, block, "enrollment terminal")) == NULL)
		return 0;
	if (strncmp(line, "enrollment terminal", 19) == 0) {
		tp->method = TP_METHOD_TERMINAL;
		return 0;
	}
	if (strncmp(line, "enrollment url ", 15) != 0)
		return 0;
	if (tftp_is_url(tp_after(line, 2))) {
		tp->method = TP_METHOD_TFTP;
		if ((tp->url = strdup(tp_after(line, 2))) == NULL)
			return ERR_NOMEM;
		return 0;
	}
	if (config_get(c, block, "method-est") != NULL) {
		tp->method = TP_METHOD_EST;
		return tp_url_est(&tp->url, tp_after(line, 2));
	}
	tp->method = TP_METHOD_URL;
	if ((tp->url = tp_url_default_path(tp_after(line, 2))) == NULL)
		return ERR_NOMEM;
	return 0;
}

static int
tp_load_int(const struct config *c, const char *block, const char *key,
    int def, int lo, int hi)
{
	const char	*v;
	char		*end;
	long		 n;

	if ((v = tp_stmt(c, block, key, 3)) == NULL)
		return def;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < lo || n > hi)
		return def;
	return (int)n;
}

/* The key pair of the trustpoint named by enrollment credential. */
static int
tp_load_cred_key(struct trustpoint *tp, const struct config *c,
    struct err *e)
{
	const char	*v = NULL;
	char		 block[128];

	if (tp_name_ok(tp->est_cred) &&
	    tp_block(block, sizeof(block), tp->est_cred) == 0)
		v = tp_stmt(c, block, "rsakeypair", 1);
	if ((tp->est_cred_key = strdup(v != NULL && *v != '\0' ? v :
	    TP_DEFAULT_KEY)) == NULL)
		return err_nomem(e);
	return 0;
}

/* "auto-enroll [PERCENT] [regenerate]": the words after auto-enroll. */
static void
tp_load_auto(struct trustpoint *tp, const char *v)
{
	char	*end;
	long	 n;

	if (v == NULL)
		return;
	tp->auto_enroll = TP_AUTO_PERCENT;
	n = strtol(v, &end, 10);
	if (end != v && n >= 1 && n <= 100)
		tp->auto_enroll = (int)n;
	tp->auto_regenerate = strstr(v, "regenerate") != NULL;
}

int
tp_load(struct trustpoint **out, const struct config *c, const char *name,
    struct err *e)
{
	struct trustpoint	*tp = NULL;
	char			 block[128];
	const char		*v;
	int			 rc = 0;

	*out = NULL;
	if (!tp_name_ok(name) || tp_block(block, sizeof(block), name) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (c == NULL || config_get(c, NULL, block) == NULL)
		return err_set(e, ERR_NOTFOUND, "Trustpoint %s is not "
		    "configured", name);
	if ((tp = calloc(1, sizeof(*tp))) == NULL ||
	    (tp->name = strdup(name)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = tp_load_method(tp, c, block)) != 0 ||
	    (rc = tp_dupval(&tp->query_url, c, block, "query url", 2)) != 0 ||
	    (rc = tp_dupval(&tp->keylabel, c, block, "rsakeypair", 1)) != 0 ||
	    (rc = tp_dupval(&tp->vrf, c, block, "vrf", 1)) != 0 ||
	    (rc = tp_dupval(&tp->subject, c, block, "subject-name", 1)) != 0 ||
	    (rc = tp_dupval(&tp->ip_address, c, block, "ip-address", 1)) != 0 ||
	    (rc = tp_dupval(&tp->description, c, block, "description",
	    1)) != 0 ||
	    (rc = tp_dupval(&tp->est_label, c, block, "est-label", 1)) != 0 ||
	    (rc = tp_dupval(&tp->est_user, c, block, "enrollment http-auth",
	    3)) != 0 ||
	    (rc = tp_dupval(&tp->est_cred, c, block, "enrollment credential",
	    2)) != 0) {
		rc = err_nomem(e);
		goto out;
	}
	if (tp->est_cred != NULL && (rc = tp_load_cred_key(tp, c, e)) != 0)
		goto out;
	tp->retry_period = tp_load_int(c, block, "enrollment retry period",
	    TP_DEFAULT_PERIOD, 1, 60);
	tp->retry_count = tp_load_int(c, block, "enrollment retry count",
	    TP_DEFAULT_COUNT, 1, 100);
	tp->keylabel_set = tp->keylabel != NULL;
	if (tp->keylabel == NULL &&
	    (tp->keylabel = strdup(TP_DEFAULT_KEY)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((v = tp_stmt(c, block, "serial-number", 1)) != NULL)
		tp->serial = strcmp(v, "none") == 0 ? TP_SERIAL_NONE :
		    TP_SERIAL_YES;
	tp->crl_optional = config_get(c, block, "crl") != NULL;
	tp_load_auto(tp, tp_stmt(c, block, "auto-enroll", 1));
	if ((v = tp_stmt(c, block, "fingerprint", 1)) != NULL &&
	    (rc = tp_fingerprint_norm(&tp->fingerprint, v, e)) != 0) {
		err_prefix(e, "Trustpoint %s: fingerprint", name);
		goto out;
	}
	*out = tp;
	tp = NULL;
 out:
	tp_free(tp);
	return rc;
}

int
tp_fingerprint_norm(char **out, const char *in, struct err *e)
{
	char	*s;
	size_t	 n = 0;

	*out = NULL;
	if ((s = malloc(strlen(in) + 1)) == NULL)
		return err_nomem(e);
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == ':')
			continue;
		if (!isxdigit((unsigned char)*in)) {
			free(s);
			return err_set(e, ERR_INVAL, "'%c' is not a hex digit",
			    *in);
		}
		s[n++] = (char)toupper((unsigned char)*in);
	}
	s[n] = '\0';
	if (tp_fingerprint_md(s) == NULL) {
		free(s);
		return err_set(e, ERR_INVAL, "%zu hex digits: an MD5, SHA-1 "
		    "or SHA-256 fingerprint has 32, 40 or 64", n);
	}
	*out = s;
	return 0;
}

const char *
tp_fingerprint_md(const char *hex)
{
	switch (strlen(hex)) {
	case 32:
		return "MD5";
	case 40:
		return "SHA1";
	case 64:
		return "SHA256";
	default:
		return NULL;
	}
}

void
tp_certs_clear(struct tp_certs *tc)
{
	int	 k;

	if (tc == NULL)
		return;
	sk_X509_pop_free(tc->chain, X509_free);
	X509_free(tc->ra_sign);
	X509_free(tc->ra_encr);
	for (k = 0; k < TP_KIND__MAX; k++)
		X509_free(tc->dev[k]);
	memset(tc, 0, sizeof(*tc));
}

/* Load trustpoints/<name>/<file>: 0 and *out NULL when absent. */
static int
tp_read_certs(STACK_OF(X509) **out, struct store *st, const char *name,
    const char *file, size_t max, struct err *e)
{
	char	 rel[256], *buf = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (tp_path(rel, sizeof(rel), name, file) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return 0;
	if ((rc = store_read(st, rel, &buf, &len, 1024 * 1024, e)) != 0)
		return rc;
	rc = cert_parse_any(out, (unsigned char *)buf, len, max, e);
	free(buf);
	if (rc != 0)
		err_prefix(e, "Trustpoint %s: %s", name, file);
	return rc;
}

static int
tp_read_one(X509 **out, struct store *st, const char *name,
    const char *file, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = tp_read_certs(&sk, st, name, file, 1, e)) != 0 ||
	    sk == NULL)
		return rc;
	*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}

int
tp_certs_load(struct tp_certs *tc, struct store *st, const char *name,
    struct err *e)
{
	char	 file[64];
	int	 rc, k;

	memset(tc, 0, sizeof(*tc));
	if ((rc = tp_read_certs(&tc->chain, st, name, "ca.pem", TP_CHAINMAX,
	    e)) != 0)
		goto out;
	if (tc->chain != NULL)
		tc->ca = sk_X509_value(tc->chain, 0);
	if ((rc = tp_read_one(&tc->ra_sign, st, name, "ra-sign.pem", e)) != 0 ||
	    (rc = tp_read_one(&tc->ra_encr, st, name, "ra-encr.pem", e)) != 0)
		goto out;
	for (k = 0; k < TP_KIND__MAX; k++) {
		snprintf(file, sizeof(file), "cert-%s.pem", tp_kinds[k]);
		if ((rc = tp_read_one(&tc->dev[k], st, name, file, e)) != 0)
			goto out;
	}
 out:
	if (rc != 0)
		tp_certs_clear(tc);
	return rc;
}

int
tp_pem(char **out, size_t *outlen, STACK_OF(X509) *sk, X509 *one,
    struct err *e)
{
	BIO	*bio;
	char	*p;
	long	 n;
	int	 i, rc = 0;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	for (i = 0; sk != NULL && i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(sk, i))) {
			rc = err_openssl(e, ERR_CRYPTO, "PEM encoding");
			goto out;
		}
	if (one != NULL && !PEM_write_bio_X509(bio, one)) {
		rc = err_openssl(e, ERR_CRYPTO, "PEM encoding");
		goto out;
	}
	n = BIO_get_mem_data(bio, &p);
	if ((*out = malloc((size_t)n + 1)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*outlen = (size_t)n;
 out:
	BIO_free(bio);
	return rc;
}

/* A trustpoint file into a change: written, or removed (sk, one NULL). */
static int
tp_batch_x509(struct store_batch *b, const char *name, const char *file,
    STACK_OF(X509) *sk, X509 *one, struct err *e)
{
	char	 rel[256], *pem = NULL;
	size_t	 len = 0;
	int	 rc;

	if (tp_path(rel, sizeof(rel), name, file) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (sk == NULL && one == NULL)
		return store_batch_remove(b, rel, 0, e);
	if ((rc = tp_pem(&pem, &len, sk, one, e)) != 0)
		return rc;
	rc = store_batch_write(b, rel, pem, len, STORE_PUBLIC, 0, e);
	free(pem);
	return rc;
}

/*
 * The CA, the RA certificates and the device certificates it drops change
 * as one (store_batch): a crash never leaves a new CA beside an old RA.
 */
int
tp_store_ca(struct store *st, const char *name, STACK_OF(X509) *chain,
    X509 *ra_sign, X509 *ra_encr, struct err *e)
{
	struct store_batch	*b = NULL;
	struct tp_certs		 old;
	X509			*ca;
	char			 file[64];
	int			 rc, k;

	memset(&old, 0, sizeof(old));
	if (chain == NULL || sk_X509_num(chain) < 1)
		return err_set(e, ERR_INVAL, "no CA certificate");
	ca = sk_X509_value(chain, 0);
	if ((rc = store_change_begin(&b, st, e)) != 0)
		return rc;
	/* A failure to read old state is not a reason to keep the new CA out. */
	if (tp_certs_load(&old, st, name, e) != 0)
		err_clear(e);
	if ((rc = tp_batch_x509(b, name, "ca.pem", chain, NULL, e)) != 0 ||
	    (rc = tp_batch_x509(b, name, "ra-sign.pem", NULL, ra_sign,
	    e)) != 0 ||
	    (rc = tp_batch_x509(b, name, "ra-encr.pem", NULL, ra_encr,
	    e)) != 0 ||
	    (rc = tp_batch_x509(b, name, "ca-next.pem", NULL, NULL, e)) != 0)
		goto out;
	/*
	 * A device certificate from another CA would never verify.  Names
	 * alone do not tell (a new CA may reuse the old one's subject): the
	 * signature must verify with the new CA's key.
	 */
	for (k = 0; k < TP_KIND__MAX; k++) {
		if (old.dev[k] == NULL || (X509_check_issued(ca, old.dev[k]) ==
		    X509_V_OK && X509_verify(old.dev[k],
		    X509_get0_pubkey(ca)) == 1))
			continue;
		snprintf(file, sizeof(file), "cert-%s.pem", tp_kinds[k]);
		if ((rc = tp_batch_x509(b, name, file, NULL, NULL, e)) != 0)
			goto out;
	}
 out:
	tp_certs_clear(&old);
	return store_change_end(b, rc, e);
}

int
tp_store_cert(struct store *st, const char *name, enum tp_kind kind,
    X509 *x, struct err *e)
{
	struct store_batch	*b = NULL;
	char			 file[64];
	int			 rc;

	if ((unsigned)kind >= TP_KIND__MAX)
		return err_set(e, ERR_INVAL, "bad key kind");
	snprintf(file, sizeof(file), "cert-%s.pem", tp_kinds[kind]);
	if ((rc = store_change_begin(&b, st, e)) != 0)
		return rc;
	if ((rc = tp_batch_x509(b, name, file, NULL, x, e)) != 0)
		goto out;
	/* General purpose and usage certificates exclude each other. */
	if (kind == TP_KIND_GENERAL) {
		if ((rc = tp_batch_x509(b, name, "cert-sign.pem", NULL, NULL,
		    e)) == 0)
			rc = tp_batch_x509(b, name, "cert-encr.pem", NULL,
			    NULL, e);
	} else
		rc = tp_batch_x509(b, name, "cert-general.pem", NULL, NULL, e);
 out:
	return store_change_end(b, rc, e);
}

int
tp_remove_all(struct store *st, const char *name, struct err *e)
{
	static const char *const files[] = {
		"ca.pem", "ra-sign.pem", "ra-encr.pem", "cert-general.pem",
		"cert-sign.pem", "cert-encr.pem", "pending/general",
		"pending/sign", "pending/encr", "shadow-general.pem",
		"shadow-sign.pem", "shadow-encr.pem", "shadow-key-general.pem",
		"shadow-key-sign.pem", "shadow-key-encr.pem",
		"renewal-general", "renewal-sign", "renewal-encr", "ca-next.pem",
		"rollover",
	};
	char			 rel[256];
	struct store_batch	*b = NULL;
	size_t			 i;
	int			 rc = 0;

	if ((rc = store_change_begin(&b, st, e)) != 0)
		return rc;
	/* Only what is there: the list is longer than one change holds. */
	for (i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++)
		if (tp_path(rel, sizeof(rel), name, files[i]) == 0 &&
		    store_exists(st, rel))
			rc = tp_batch_x509(b, name, files[i], NULL, NULL, e);
	return store_change_end(b, rc, e);
}

int
tp_check_validity(X509 *x, time_t now, const char *what, struct err *e)
{
	time_t	 nb, na;
	char	 buf[48];

	if (cert_asn1_time(X509_get0_notBefore(x), &nb) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(x), &na) != 0)
		return err_set(e, ERR_INVAL, "%s: unreadable validity", what);
	/* A CA whose clock runs a little ahead is not an error. */
	if (now + TP_CLOCK_SKEW < nb) {
		cert_fmt_time(buf, sizeof(buf), nb);
		return err_set(e, ERR_REFUSED, "%s is not valid yet (valid "
		    "from %s)", what, buf);
	}
	if (now > na) {
		cert_fmt_time(buf, sizeof(buf), na);
		return err_set(e, ERR_REFUSED, "%s has expired (valid until "
		    "%s)", what, buf);
	}
	return 0;
}

int
tp_check_issued(X509 *x, X509 *ca, time_t now, const char *what,
    struct err *e)
{
	EVP_PKEY	*pk;
	int		 rc;

	if ((rc = tp_check_validity(x, now, what, e)) != 0)
		return rc;
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca)) != 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 6.1.3: %s is not "
		    "issued by the trustpoint's CA (issuer name differs)", what);
	if ((pk = X509_get0_pubkey(ca)) == NULL || X509_verify(x, pk) != 1) {
		ERR_clear_error();
		return err_set(e, ERR_REFUSED, "RFC 5280 6.1.3: %s: signature "
		    "does not verify with the CA's key", what);
	}
	return 0;
}

void
tp_pending_clear(struct tp_pending *p)
{
	if (p == NULL)
		return;
	X509_NAME_free(p->subject);
	X509_free(p->signer);
	memset(p, 0, sizeof(*p));
}

static int
tp_pending_rel(char *rel, size_t sz, const char *name, enum tp_kind kind)
{
	char	 file[64];

	if ((unsigned)kind >= TP_KIND__MAX)
		return ERR_INVAL;
	snprintf(file, sizeof(file), "pending/%s", tp_kinds[kind]);
	return tp_path(rel, sz, name, file);
}

int
tp_pending_exists(struct store *st, const char *name, enum tp_kind kind)
{
	char	 rel[256];

	if (tp_pending_rel(rel, sizeof(rel), name, kind) != 0)
		return 0;
	return store_exists(st, rel);
}

int
tp_pending_remove(struct store *st, const char *name, enum tp_kind kind,
    struct err *e)
{
	char	 rel[256];
	int	 rc;

	if (tp_pending_rel(rel, sizeof(rel), name, kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if ((rc = store_remove(st, rel, 1, e)) == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	return rc;
}

/*
 * Format: "transaction-id HEX", "key-label L", "created N", "subject HEX"
 * (DER of the name), for a renewal "renewal N" (TP_RENEWAL_*), then the
 * signer certificate in PEM.
 */
int
tp_pending_save(struct store *st, const char *name, enum tp_kind kind,
    const struct tp_pending *p, struct err *e)
{
	BIO		*bio = NULL;
	unsigned char	*der = NULL;
	char		 rel[256], *hex = NULL, *data;
	long		 n;
	int		 dlen, rc;

	if (tp_pending_rel(rel, sizeof(rel), name, kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if ((dlen = i2d_X509_NAME(p->subject, &der)) < 0) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the subject");
		goto out;
	}
	if ((hex = malloc((size_t)dlen * 2 + 1)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (OPENSSL_buf2hexstr_ex(hex, (size_t)dlen * 2 + 1, NULL, der,
	    (long)dlen, '\0') != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the subject");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    BIO_printf(bio, "transaction-id %s\nkey-label %s\ncreated %lld\n"
	    "subject %s\n", p->transid, p->keylabel, (long long)p->created,
	    dlen ? hex : "-") <= 0 || (p->renewal != 0 &&
	    BIO_printf(bio, "renewal %d\n", p->renewal) <= 0) ||
	    (p->not_before != 0 && BIO_printf(bio, "not-before %lld\n",
	    (long long)p->not_before) <= 0) ||
	    !PEM_write_bio_X509(bio, p->signer)) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the pending request");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	rc = store_write(st, rel, data, (size_t)n, STORE_SECRET, e);
 out:
	BIO_free(bio);
	OPENSSL_free(der);
	free(hex);
	return rc;
}

static int
tp_pending_field(const char **pp, const char *key, char *val, size_t sz)
{
	const char	*p = *pp, *eol;
	size_t		 kl = strlen(key), n;

	if (strncmp(p, key, kl) != 0 || p[kl] != ' ')
		return -1;
	p += kl + 1;
	if ((eol = strchr(p, '\n')) == NULL || (n = (size_t)(eol - p)) >= sz)
		return -1;
	memcpy(val, p, n);
	val[n] = '\0';
	*pp = eol + 1;
	return 0;
}

int
tp_pending_load(struct tp_pending *p, struct store *st, const char *name,
    enum tp_kind kind, struct err *e)
{
	char		 rel[256], *buf = NULL, created[32], subj[4096];
	const char	*cur;
	unsigned char	*der = NULL;
	const unsigned char *dp;
	BIO		*bio = NULL;
	long		 dlen;
	size_t		 len;
	int		 rc;

	memset(p, 0, sizeof(*p));
	if (tp_pending_rel(rel, sizeof(rel), name, kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "no pending request");
	if ((rc = store_read(st, rel, &buf, &len, 64 * 1024, e)) != 0)
		return rc;
	cur = buf;
	if (tp_pending_field(&cur, "transaction-id", p->transid,
	    sizeof(p->transid)) != 0 ||
	    tp_pending_field(&cur, "key-label", p->keylabel,
	    sizeof(p->keylabel)) != 0 ||
	    tp_pending_field(&cur, "created", created, sizeof(created)) != 0 ||
	    tp_pending_field(&cur, "subject", subj, sizeof(subj)) != 0) {
		rc = err_set(e, ERR_INVAL, "Trustpoint %s: %s: unreadable",
		    name, rel);
		goto out;
	}
	p->created = (time_t)strtoll(created, NULL, 10);
	/* Optional: a renewal (older files have no such line). */
	if (tp_pending_field(&cur, "renewal", created, sizeof(created)) == 0)
		p->renewal = (int)strtol(created, NULL, 10);
	/* Optional: the server's Retry-After, as a time. */
	if (tp_pending_field(&cur, "not-before", created, sizeof(created)) ==
	    0)
		p->not_before = (time_t)strtoll(created, NULL, 10);
	if (p->not_before < 0)
		p->not_before = 0;
	if (strcmp(subj, "-") == 0)
		p->subject = X509_NAME_new();
	else if ((der = OPENSSL_hexstr2buf(subj, &dlen)) != NULL) {
		dp = der;
		p->subject = d2i_X509_NAME(NULL, &dp, dlen);
	}
	if (p->subject == NULL ||
	    (bio = BIO_new_mem_buf(cur, (int)(len - (size_t)(cur - buf)))) ==
	    NULL || (p->signer = PEM_read_bio_X509(bio, NULL, NULL,
	    NULL)) == NULL) {
		rc = err_openssl(e, ERR_INVAL, "Trustpoint %s: %s: unreadable",
		    name, rel);
		goto out;
	}
 out:
	if (rc != 0)
		tp_pending_clear(p);
	BIO_free(bio);
	OPENSSL_free(der);
	free(buf);
	return rc;
}

enum keystore_kind
tp_keystore_kind(enum tp_kind k)
{
	return k == TP_KIND_SIGN ? KEYSTORE_SIGN : k == TP_KIND_ENCR ?
	    KEYSTORE_ENCR : KEYSTORE_GENERAL;
}

/* Listed on a cached CRL of ca (verified with ca's key when cached). */
static int
tp_cert_revoked(struct store *st, X509 *x, X509 *ca, time_t now)
{
	struct crl_cache	*cache = NULL;
	struct crl_answer	 ans;
	struct err		 e;
	char			 dir[PATH_MAX];
	int			 revoked = 0;

	if (ca == NULL || snprintf(dir, sizeof(dir), "%s/crl",
	    store_dir(st)) >= (int)sizeof(dir) ||
	    crl_cache_open(&cache, dir, &e) != 0)
		return 0;
	memset(&ans, 0, sizeof(ans));
	if (crl_cache_lookup(cache, x, ca, now, &ans, &e) == 0 &&
	    ans.status == CRL_REVOKED)
		revoked = 1;
	crl_cache_free(cache);
	return revoked;
}

enum tp_cert_state
tp_cert_state(struct store *st, const char *label, enum tp_kind kind,
    X509 *x, X509 *ca, time_t now)
{
	EVP_PKEY	*key = NULL;
	struct err	 e;
	time_t		 nb, na;
	int		 same;

	if (keystore_load(&key, st, label, tp_keystore_kind(kind), &e) != 0)
		return TP_CERT_KEY_MISSING;
	same = EVP_PKEY_eq(key, X509_get0_pubkey(x)) == 1;
	EVP_PKEY_free(key);
	if (!same)
		return TP_CERT_KEY_MISMATCH;
	if (tp_cert_revoked(st, x, ca, now))
		return TP_CERT_REVOKED;
	if (cert_asn1_time(X509_get0_notAfter(x), &na) != 0 || now > na)
		return TP_CERT_EXPIRED;
	/* The skew enrollment accepts: a CA clock a little ahead. */
	if (cert_asn1_time(X509_get0_notBefore(x), &nb) != 0 ||
	    now + TP_CLOCK_SKEW < nb)
		return TP_CERT_NOT_YET_VALID;
	return TP_CERT_AVAILABLE;
}

const char *
tp_cert_state_name(enum tp_cert_state s)
{
	switch (s) {
	case TP_CERT_AVAILABLE:		return "Available";
	case TP_CERT_KEY_MISSING:	return "Key missing";
	case TP_CERT_KEY_MISMATCH:	return "Key mismatch";
	case TP_CERT_REVOKED:		return "Revoked";
	case TP_CERT_EXPIRED:		return "Expired";
	case TP_CERT_NOT_YET_VALID:	return "Not yet valid";
	}
	return "?";
}
