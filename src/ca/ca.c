/*
 * ca: creating and loading the CA's keys and certificates (and the RA's,
 * which sign CertReps and receive requests the way NDES does).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "keyop.h"
#include "store.h"

int
ca_path(char *buf, size_t sz, const struct ca *ca, const char *name)
{
	int	 n = snprintf(buf, sz, "%s/%s", ca->dir, name);

	return n < 0 || (size_t)n >= sz ? ERR_INVAL : 0;
}

X509 *
ca_reply_cert(const struct ca *ca)
{
	return ca->ra_sign != NULL ? ca->ra_sign : ca->cert;
}

EVP_PKEY *
ca_reply_key(const struct ca *ca)
{
	return ca->ra_sign != NULL ? ca->ra_sign_key : ca->key;
}

X509 *
ca_decrypt_cert(const struct ca *ca)
{
	return ca->ra_enc != NULL ? ca->ra_enc : ca->cert;
}

EVP_PKEY *
ca_decrypt_key(const struct ca *ca)
{
	return ca->ra_enc != NULL ? ca->ra_enc_key : ca->key;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->dir);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	X509_free(ca->ra_sign);
	EVP_PKEY_free(ca->ra_sign_key);
	X509_free(ca->ra_enc);
	EVP_PKEY_free(ca->ra_enc_key);
	X509_free(ca->link_new);
	X509_free(ca->link_old);
	/* At most CA_GENMAX deep; before the key process that serves them. */
	ca_free(ca->next);
	/* After the keys that use it. */
	keyop_peer_free(ca->keys);
	free(ca);
}

int
ca_keys_down(const struct ca *ca)
{
	return ca->keys != NULL && !keyop_peer_alive(ca->keys);
}

/*
 * "CN=x,O=y,C=US" (RFC 4514: most specific first) or "/C=US/O=y/CN=x"
 * (OpenSSL's -subj: encoding order).  Backslash escapes the separator.
 */
int
ca_parse_dn(X509_NAME **out, const char *s, struct err *e)
{
	X509_NAME	*n = NULL;
	char		*buf = NULL, *parts[32], *p, *w, *eq;
	int		 np = 0, i, slash, rc = 0;
	char		 sep;

	*out = NULL;
	slash = s[0] == '/';
	sep = slash ? '/' : ',';
	if ((buf = strdup(s + slash)) == NULL || (n = X509_NAME_new()) ==
	    NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (p = w = buf, parts[np++] = buf; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			*w++ = *++p;
			continue;
		}
		if (*p == sep) {
			*w++ = '\0';
			if (np == (int)(sizeof(parts) / sizeof(parts[0]))) {
				rc = err_set(e, ERR_TOOBIG, "subject %s: too "
				    "many attributes", s);
				goto out;
			}
			parts[np++] = w;
			continue;
		}
		*w++ = *p;
	}
	*w = '\0';
	for (i = 0; i < np; i++) {
		char	*a = parts[slash ? i : np - 1 - i];

		while (*a == ' ')
			a++;
		if ((eq = strchr(a, '=')) == NULL || eq == a || eq[1] == '\0') {
			rc = err_set(e, ERR_INVAL, "subject %s: \"%s\" is not "
			    "attribute=value", s, a);
			goto out;
		}
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(n, a, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0)) {
			rc = err_openssl(e, ERR_INVAL, "subject %s: bad "
			    "attribute %s", s, a);
			goto out;
		}
	}
	*out = n;
	n = NULL;
 out:
	X509_NAME_free(n);
	free(buf);
	return rc;
}

int
ca_keygen(EVP_PKEY **out, const char *spec, struct err *e)
{
	if (strcmp(spec, "rsa:2048") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(spec, "rsa:3072") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(spec, "rsa:4096") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else if (strcmp(spec, "ec:p256") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(spec, "ec:p384") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else
		return err_set(e, ERR_INVAL, "key %s: use rsa:2048, rsa:3072, "
		    "rsa:4096, ec:p256 or ec:p384", spec);
	if (*out == NULL)
		return err_openssl(e, ERR_CRYPTO, "key generation failed");
	return 0;
}

/* A certificate for key, signed by issuer (NULL: self-signed). */
int
ca_make_cert(X509 **out, EVP_PKEY *key, const X509_NAME *subject,
    X509 *issuer, EVP_PKEY *ikey, int days, const char *bc, const char *ku,
    struct err *e)
{
	X509		*x = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = issue_cert_new(&x, subject, issuer ?
	    X509_get_subject_name(issuer) : subject, days, e)) != 0)
		return rc;
	if (!X509_set_pubkey(x, key)) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot make certificate");
		goto out;
	}
	if ((rc = issue_ext(x, issuer ? issuer : x, NID_basic_constraints, bc,
	    e)) != 0 ||
	    (rc = issue_ext(x, issuer ? issuer : x, NID_key_usage, ku, e)) != 0)
		goto out;
	return issue_cert_sign(out, x, issuer ? issuer : x, ikey ? ikey : key,
	    NULL, e);
 out:
	X509_free(x);
	return rc;
}

int
ca_write_pair(const char *dir, const char *name, EVP_PKEY *key, X509 *x,
    struct err *e)
{
	BIO	*b = NULL;
	char	 path[4096], *p;
	long	 n;
	int	 rc = 0;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return err_nomem(e);
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot encode %s key", name);
		goto out;
	}
	n = BIO_get_mem_data(b, &p);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if ((rc = store_file_write(path, p, (size_t)n, STORE_SECRET, e)) != 0)
		goto out;
	OPENSSL_cleanse(p, (size_t)n);
	BIO_reset(b);
	if (!PEM_write_bio_X509(b, x)) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot encode %s", name);
		goto out;
	}
	n = BIO_get_mem_data(b, &p);
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	rc = store_file_write(path, p, (size_t)n, STORE_PUBLIC, e);
 out:
	BIO_free(b);
	return rc;
}

/* The RA's names: the CA's, with " RA signing" appended to the CN. */
static int
ca_ra_name(X509_NAME **out, X509 *ca, const char *suffix, struct err *e)
{
	X509_NAME	*n;
	char		 cn[256] = "netpki";
	int		 i;

	if ((n = X509_NAME_dup(X509_get_subject_name(ca))) == NULL)
		return err_nomem(e);
	if ((i = X509_NAME_get_index_by_NID(n, NID_commonName, -1)) >= 0) {
		X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn) -
		    32);
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	}
	strcat(cn, suffix);
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return err_openssl(e, ERR_CRYPTO, "RA name");
	}
	*out = n;
	return 0;
}

static int
ca_init_ra(const char *dir, X509 *ca, EVP_PKEY *cakey, int days,
    struct err *e)
{
	static const struct {
		const char	*file, *suffix, *ku;
	} ras[] = {
		{ "ra-sign", " RA Signing", "critical,digitalSignature" },
		{ "ra-enc", " RA Encryption",
		    "critical,keyEncipherment,dataEncipherment" },
	};
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	X509_NAME	*n = NULL;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < sizeof(ras) / sizeof(ras[0]); i++) {
		/* SCEP encrypts to RSA keys: RA keys are RSA whatever the CA. */
		if ((rc = ca_keygen(&key, "rsa:2048", e)) != 0 ||
		    (rc = ca_ra_name(&n, ca, ras[i].suffix, e)) != 0 ||
		    (rc = ca_make_cert(&x, key, n, ca, cakey, days,
		    "critical,CA:FALSE", ras[i].ku, e)) != 0 ||
		    (rc = ca_write_pair(dir, ras[i].file, key, x, e)) != 0)
			break;
		EVP_PKEY_free(key);
		X509_free(x);
		X509_NAME_free(n);
		key = NULL;
		x = NULL;
		n = NULL;
	}
	EVP_PKEY_free(key);
	X509_free(x);
	X509_NAME_free(n);
	return rc;
}

/*
 * One database per CA: a CA made on a database another CA uses would
 * mix their certificates and revocations (and CRLs).  The CRL number is
 * set by the first CRL, which every init signs.
 */
static int
ca_db_unused(struct db **out, const char *uri, struct err *e)
{
	char	*v = NULL;
	int	 rc;

	if ((rc = db_open(out, uri, e)) != 0)
		return rc;
	if ((rc = db_meta_get(*out, "crl_number", &v, e)) == ERR_NOTFOUND)
		return 0;
	free(v);
	if (rc == 0)
		rc = err_set(e, ERR_EXISTS, "--db: that database already "
		    "belongs to a CA; for another instance of it, copy its "
		    "directory instead");
	db_close(*out);
	*out = NULL;
	return rc;
}

/*
 * The directory's lock for init: two `init` runs on one directory would
 * both find no CA and write one over the other.  Not waiting: the one
 * that loses is refused (the other one is making the CA).
 */
int
ca_lock(int *fd, const char *dir, struct err *e)
{
	int	 rc;

	if ((rc = store_mkdirs(dir, 0700, e)) != 0)
		return rc;
	if ((*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return err_errno(e, ERR_IO, "%s", dir);
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	rc = errno == EWOULDBLOCK ? err_set(e, ERR_BUSY, "%s: another "
	    "netpki-ca init is making a CA there", dir) :
	    err_errno(e, ERR_IO, "lock %s", dir);
	close(*fd);
	*fd = -1;
	return rc;
}

static int	ca_init_locked(const char *, const struct ca_init_opts *,
		    struct err *);

int
ca_init(const char *dir, const struct ca_init_opts *o, struct err *e)
{
	struct stat	 sb;
	int		 fd = -1, rc, made = stat(dir, &sb) != 0;

	if ((rc = ca_lock(&fd, dir, e)) != 0)
		return rc;
	rc = ca_init_locked(dir, o, e);
	/* A refused init leaves no directory it made (if still empty). */
	if (rc != 0 && made)
		(void)rmdir(dir);
	close(fd);
	return rc;
}

static int
ca_init_locked(const char *dir, const struct ca_init_opts *o, struct err *e)
{
	struct ca	*ca = NULL;
	struct db	*db = NULL;
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	X509_NAME	*n = NULL;
	char		 path[4096];
	struct stat	 sb;
	int		 days = o->days > 0 ? o->days : CA_DEFAULT_DAYS, rc;

	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if (stat(path, &sb) == 0)
		return err_set(e, ERR_EXISTS, "%s: a CA already exists there; "
		    "refusing to overwrite it", dir);
	/* A shared database is reachable before anything is created. */
	if (o->db != NULL && !db_uri(o->db))
		return err_set(e, ERR_INVAL, "--db %.200s: a postgresql:// URI "
		    "is expected", o->db);
	if (o->db != NULL && (rc = ca_db_unused(&db, o->db, e)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/bundle", dir);
	if ((rc = store_mkdirs(path, 0700, e)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/database", dir);
	if (o->db != NULL && (rc = store_file_write(path, o->db,
	    strlen(o->db), STORE_SECRET, e)) != 0)
		goto out;
	if ((rc = ca_parse_dn(&n, o->subject ? o->subject :
	    CA_DEFAULT_SUBJECT, e)) != 0 ||
	    (rc = ca_keygen(&key, o->keyspec ? o->keyspec : "rsa:2048",
	    e)) != 0)
		goto out;
	/* digitalSignature: this certificate signs CertReps without an RA. */
	if ((rc = ca_make_cert(&x, key, n, NULL, NULL, days,
	    "critical,CA:TRUE", "critical,digitalSignature,keyCertSign,cRLSign",
	    e)) != 0)
		goto out;
	if (o->ra && (rc = ca_init_ra(dir, x, key, days, e)) != 0)
		goto out;
	/* The key last: its presence is what marks an initialised CA. */
	if ((rc = ca_write_pair(dir, "ca", key, x, e)) != 0)
		goto out;
	if ((rc = ca_load(&ca, dir, e)) != 0 ||
	    (db == NULL && (rc = ca_db_open(&db, ca, e)) != 0) ||
	    (rc = cacrl_update(ca, db, e)) != 0)
		goto out;
 out:
	db_close(db);
	ca_free(ca);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int
ca_read_cert(X509 **out, const char *dir, const char *name, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	char		 path[4096], *buf = NULL;
	size_t		 len;
	int		 rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = store_file_read(path, &buf, &len, 1024 * 1024, e)) != 0)
		return rc;
	if ((rc = cert_parse_any(&sk, (unsigned char *)buf, len, 1, e)) != 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	*out = sk_X509_shift(sk);
 out:
	sk_X509_pop_free(sk, X509_free);
	free(buf);
	return rc;
}

/* Through the key seam's file backend (keyop.h). */
static int
ca_read_key(EVP_PKEY **out, const char *dir, const char *name, X509 *x,
    struct err *e)
{
	char	 path[4096];
	int	 rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = keyop_file_load(out, path, e)) != 0)
		return rc;
	if (X509_check_private_key(x, *out) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		rc = err_openssl(e, ERR_CRYPTO, "%s does not match its "
		    "certificate", path);
	}
	return rc;
}

/*
 * With an RA: the same RA keys, certified anew by each generation
 * (ra-sign-N.crt, ra-enc-N.crt), so that GetCACert's RA chains to the
 * CA it names.  The keys are generation 1's, shared (up_ref).
 */
static int
ca_open_gen_ra(struct ca *g, const struct ca *root, struct err *e)
{
	char	 name[64];
	int	 rc;

	if (root->ra_sign == NULL)
		return 0;
	snprintf(name, sizeof(name), "ra-sign-%d.crt", g->gen);
	if ((rc = ca_read_cert(&g->ra_sign, g->dir, name, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "ra-enc-%d.crt", g->gen);
	if ((rc = ca_read_cert(&g->ra_enc, g->dir, name, e)) != 0)
		return rc;
	if (X509_cmp(g->ra_sign, root->ra_sign) == 0 ||
	    EVP_PKEY_eq(X509_get0_pubkey(g->ra_sign),
	    X509_get0_pubkey(root->ra_sign)) != 1 ||
	    EVP_PKEY_eq(X509_get0_pubkey(g->ra_enc),
	    X509_get0_pubkey(root->ra_enc)) != 1)
		return err_set(e, ERR_INVAL, "%s/ra-*-%d.crt: not the RA's keys",
		    g->dir, g->gen);
	return ca_gen_ra_keys(g, root);
}

/* Generation 1's RA keys, for a later generation (remote or from files). */
int
ca_gen_ra_keys(struct ca *g, const struct ca *root)
{
	if (root->ra_sign_key == NULL || g->ra_sign_key != NULL)
		return 0;
	if (!EVP_PKEY_up_ref(root->ra_sign_key))
		return ERR_NOMEM;
	g->ra_sign_key = root->ra_sign_key;
	if (!EVP_PKEY_up_ref(root->ra_enc_key))
		return ERR_NOMEM;
	g->ra_enc_key = root->ra_enc_key;
	return 0;
}

/* One generation N > 1 from DIR/ca-N.* and its link certificates. */
static int
ca_open_gen(struct ca *g, const struct ca *root, int keys, struct err *e)
{
	char	 name[64];
	int	 n = g->gen, rc;

	snprintf(name, sizeof(name), "ca-%d.crt", n);
	if ((rc = ca_read_cert(&g->cert, g->dir, name, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "ca-%d.key", n);
	if (keys && (rc = ca_read_key(&g->key, g->dir, name, g->cert, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "link-%d-%d.crt", n - 1, n);
	if ((rc = ca_read_cert(&g->link_new, g->dir, name, e)) != 0)
		return rc;
	snprintf(name, sizeof(name), "link-%d-%d.crt", n, n - 1);
	if ((rc = ca_read_cert(&g->link_old, g->dir, name, e)) != 0)
		return rc;
	return ca_open_gen_ra(g, root, e);
}

/* The generations rollover made, while DIR/ca-N.crt exists. */
static int
ca_open_gens(struct ca *ca, int keys, struct err *e)
{
	struct ca	*prev = ca, *g;
	char		 path[4096];
	struct stat	 sb;
	int		 n, rc;

	ca->gen = 1;
	ca->in_db = 1;
	for (n = 2; n <= CA_GENMAX; n++) {
		snprintf(path, sizeof(path), "%s/ca-%d.crt", ca->dir, n);
		if (stat(path, &sb) != 0)
			return 0;
		if ((g = calloc(1, sizeof(*g))) == NULL)
			return err_nomem(e);
		/* Linked first: ca_free(ca) frees it on a failure. */
		prev->next = g;
		g->gen = n;
		if ((g->dir = strdup(ca->dir)) == NULL)
			return err_nomem(e);
		if ((rc = ca_open_gen(g, ca, keys, e)) != 0)
			return rc;
		prev = g;
	}
	return 0;
}

const struct ca *
ca_gen(const struct ca *ca, int n)
{
	for (; ca != NULL; ca = ca->next)
		if (ca->gen == n)
			return ca;
	return NULL;
}

struct ca_sync {
	struct ca	*ca;
	int		 bad;		/* the generation that differs */
};

static int
ca_gens_sync_one(const struct db_cagen *row, void *arg)
{
	struct ca_sync	*cs = arg;
	struct ca	*ca = cs->ca, *g;
	unsigned char	*der = NULL;
	int		 len, same;

	for (g = ca; g != NULL && g->gen != row->gen; g = g->next)
		;
	if (g == NULL)
		return 0;
	if ((len = i2d_X509(g->cert, &der)) < 0)
		return ERR_NOMEM;
	same = (size_t)len == row->cert_len && memcmp(der, row->cert,
	    row->cert_len) == 0;
	OPENSSL_free(der);
	if (!same) {
		cs->bad = row->gen;
		return ERR_INVAL;
	}
	g->in_db = 1;
	g->switch_at = row->switch_at;
	return 0;
}

int
ca_gens_sync(struct ca *ca, struct db *db, struct err *e)
{
	struct ca_sync	 cs = { ca, 0 };
	struct err	 dbe;
	int		 rc;

	err_clear(&dbe);
	rc = db_cagen_list(db, ca_gens_sync_one, &cs, &dbe);
	if (rc == ERR_INVAL && cs.bad != 0)
		return err_set(e, rc, "%s/ca-%d.crt is not the database's CA "
		    "generation %d (a rollover the database does not know): "
		    "copy ca-%d.* and link-*.crt from the directory that made "
		    "it", ca->dir, cs.bad, cs.bad, cs.bad);
	if (rc != 0 && dbe.msg[0] != '\0')
		*e = dbe;
	else if (rc != 0)
		err_nomem(e);
	return rc;
}

int
ca_gens_now(const struct ca **cur, const struct ca **next,
    const struct ca *ca, struct db *db, time_t now, struct err *e)
{
	const struct ca	*g;
	int		 c = 1, n = 0, rc;

	*cur = *next = NULL;
	if (db != NULL && (rc = db_cagen_state(db, now, &c, &n, e)) != 0)
		return rc;
	if (db == NULL)
		for (g = ca->next; g != NULL; g = g->next) {
			if (g->in_db && g->switch_at <= now)
				c = g->gen;
			else if (g->in_db && n == 0)
				n = g->gen;
		}
	if ((*cur = ca_gen(ca, c)) == NULL || !(*cur)->in_db)
		return err_set(e, ERR_NOTFOUND, "CA generation %d is in force "
		    "but not loaded: copy DIR/ca-%d.*, link-*.crt from the "
		    "directory that made it and restart", c, c);
	if (n != 0 && (g = ca_gen(ca, n)) != NULL && g->in_db)
		*next = g;
	return 0;
}

/* keys 0: the certificates only (serve: the keys are the key process's). */
static int
ca_open(struct ca **out, const char *dir, int keys, struct err *e)
{
	struct ca	*ca;
	char		 path[4096];
	struct stat	 sb;
	int		 rc;

	*out = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->dir = strdup(dir)) == NULL) {
		free(ca);
		return err_nomem(e);
	}
	if ((rc = ca_read_cert(&ca->cert, dir, "ca.crt", e)) != 0 ||
	    (keys && (rc = ca_read_key(&ca->key, dir, "ca.key", ca->cert,
	    e)) != 0))
		goto out;
	snprintf(path, sizeof(path), "%s/ra-sign.crt", dir);
	if (stat(path, &sb) == 0) {
		if ((rc = ca_read_cert(&ca->ra_sign, dir, "ra-sign.crt", e)) !=
		    0 || (keys && (rc = ca_read_key(&ca->ra_sign_key, dir,
		    "ra-sign.key", ca->ra_sign, e)) != 0) ||
		    (rc = ca_read_cert(&ca->ra_enc, dir, "ra-enc.crt", e)) != 0 ||
		    (keys && (rc = ca_read_key(&ca->ra_enc_key, dir,
		    "ra-enc.key", ca->ra_enc, e)) != 0))
			goto out;
	}
	if ((rc = ca_open_gens(ca, keys, e)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
 out:
	ca_free(ca);
	return rc;
}

int
ca_load(struct ca **out, const char *dir, struct err *e)
{
	return ca_open(out, dir, 1, e);
}

int
ca_load_public(struct ca **out, const char *dir, struct err *e)
{
	return ca_open(out, dir, 0, e);
}

/*
 * DIR/database names a shared PostgreSQL database (written by `init
 * --db`); without it the store is SQLite in DIR/ca.db.
 */
int
ca_db_open(struct db **out, const struct ca *ca, struct err *e)
{
	char	 path[4096], *uri = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (ca_path(path, sizeof(path), ca, "database") != 0)
		return err_set(e, ERR_INVAL, "path too long");
	rc = store_file_read(path, &uri, &len, CA_DBURIMAX, e);
	if (rc == ERR_NOTFOUND) {
		if (ca_path(path, sizeof(path), ca, "ca.db") != 0)
			return err_set(e, ERR_INVAL, "path too long");
		return db_open(out, path, e);
	}
	if (rc != 0)
		return rc;
	while (len > 0 && (uri[len - 1] == '\n' || uri[len - 1] == '\r' ||
	    uri[len - 1] == ' '))
		uri[--len] = '\0';
	if (!db_uri(uri) || memchr(uri, '\0', len) != NULL)
		rc = err_set(e, ERR_INVAL, "%s: a postgresql:// URI is "
		    "expected", path);
	else
		rc = db_open(out, uri, e);
	free(uri);
	return rc;
}

static int
ca_bundle_add(STACK_OF(X509) *sk, X509 *x, struct err *e)
{
	int	 i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), x) == 0)
			return 0;
	if (sk_X509_num(sk) >= CA_MAXBUNDLE)
		return err_set(e, ERR_TOOBIG, "bundle: more than %d "
		    "certificates", CA_MAXBUNDLE);
	if (!X509_up_ref(x) || !sk_X509_push(sk, x))
		return err_nomem(e);
	return 0;
}

static int
ca_bundle_dir(STACK_OF(X509) *sk, const struct ca *ca, struct err *e)
{
	STACK_OF(X509)	*got = NULL;
	DIR		*d;
	struct dirent	*de;
	char		 dir[4096], path[8192], *buf = NULL;
	size_t		 len;
	int		 i, rc = 0;

	snprintf(dir, sizeof(dir), "%s/bundle", ca->dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_errno(e, ERR_IO, "%s", dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((rc = store_file_read(path, &buf, &len, 4 * 1024 * 1024,
		    e)) != 0)
			break;
		if ((rc = cert_parse_any(&got, (unsigned char *)buf, len,
		    CA_MAXBUNDLE, e)) != 0)
			err_prefix(e, "%s", path);
		for (i = 0; rc == 0 && i < sk_X509_num(got); i++)
			rc = ca_bundle_add(sk, sk_X509_value(got, i), e);
		sk_X509_pop_free(got, X509_free);
		got = NULL;
		free(buf);
		buf = NULL;
	}
	closedir(d);
	return rc;
}

int
ca_bundle(STACK_OF(X509) **out, const struct ca *ca, int with_dir,
    struct err *e)
{
	STACK_OF(X509)	*sk;
	int		 rc;

	if ((sk = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	if ((rc = ca_bundle_add(sk, ca->cert, e)) == 0 && !with_dir &&
	    ca->ra_sign != NULL)
		rc = ca_bundle_add(sk, ca->ra_sign, e);
	if (rc == 0 && !with_dir && ca->ra_enc != NULL)
		rc = ca_bundle_add(sk, ca->ra_enc, e);
	if (rc == 0 && with_dir)
		rc = ca_bundle_dir(sk, ca, e);
	if (rc != 0) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return 0;
}
