/*
 * keystore: key pairs and authentication keys in the state directory.
 *
 * Layout (one file per key, the label is the file name):
 *   keys/rsa/LABEL.pem        RSA general purpose
 *   keys/rsa-sign/LABEL.pem   RSA special usage, signature half
 *   keys/rsa-encr/LABEL.pem   RSA special usage, encryption half
 *   keys/ec/LABEL.pem         ECDSA
 *   authkeys/LABEL.pem        imported RSA authentication public keys
 * Each file starts with "netpki-created: SECONDS" and then one PEM block
 * (PKCS#8 PRIVATE KEY, or PUBLIC KEY for authkeys); PEM readers skip the
 * first line, so `openssl pkey -in` reads the files as they are.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "clock.h"
#include "err.h"
#include "keyop.h"
#include "keystore.h"
#include "store.h"
#include "text.h"

#define KEYSTORE_TIMETAG	"netpki-created: "
/* A key file is a few KiB; anything larger is not ours. */
#define KEYSTORE_FILEMAX	(64u * 1024)
/* ssh-rsa blob: three length-prefixed strings, 16384-bit modulus at most. */
#define KEYSTORE_SSHBLOB_MAX	4096

struct keystore_dir {
	const char		*dir;
	int			 type;
	enum keystore_kind	 kind;
};

static const struct keystore_dir keystore_dirs[] = {
	{ "keys/rsa",		EVP_PKEY_RSA,	KEYSTORE_GENERAL },
	{ "keys/rsa-sign",	EVP_PKEY_RSA,	KEYSTORE_SIGN },
	{ "keys/rsa-encr",	EVP_PKEY_RSA,	KEYSTORE_ENCR },
	{ "keys/ec",		EVP_PKEY_EC,	KEYSTORE_GENERAL },
};
#define KEYSTORE_NDIRS	(sizeof(keystore_dirs) / sizeof(keystore_dirs[0]))
#define KEYSTORE_AUTHDIR	"authkeys"

/* Our names and OpenSSL's for the curves the CLI offers. */
static const struct {
	const char	*name;
	const char	*ossl;
	int		 bits;
} keystore_curves[] = {
	{ "nistp256", "P-256", 256 },
	{ "nistp384", "P-384", 384 },
	{ "nistp521", "P-521", 521 },
};

int
keystore_label_valid(const char *label)
{
	size_t	 i;

	if (label == NULL || label[0] == '\0' || label[0] == '.')
		return 0;
	for (i = 0; label[i] != '\0'; i++) {
		if (i >= KEYSTORE_LABEL_MAX)
			return 0;
		if (!isalnum((unsigned char)label[i]) && label[i] != '.' &&
		    label[i] != '_' && label[i] != '-')
			return 0;
	}
	return 1;
}

static int
keystore_check_label(const char *label, struct err *e)
{
	if (!keystore_label_valid(label))
		return err_set(e, ERR_INVAL, "invalid key label \"%.80s\": "
		    "1-64 letters, digits, '-', '_' or '.', not starting "
		    "with '.'", label ? label : "");
	return 0;
}

static const struct keystore_dir *
keystore_dir_of(int type, enum keystore_kind kind)
{
	size_t	 i;

	for (i = 0; i < KEYSTORE_NDIRS; i++)
		if (keystore_dirs[i].type == type &&
		    keystore_dirs[i].kind == kind)
			return &keystore_dirs[i];
	return NULL;
}

static int
keystore_path(char *buf, size_t sz, const char *dir, const char *label,
    struct err *e)
{
	int	 n;

	n = snprintf(buf, sz, "%s/%s.pem", dir, label);
	if (n < 0 || (size_t)n >= sz)
		return err_set(e, ERR_INVAL, "key label too long");
	return 0;
}

static int
keystore_file_exists(struct store *st, const char *dir, const char *label)
{
	char	 rel[PATH_MAX];

	if (keystore_path(rel, sizeof(rel), dir, label, NULL) != 0)
		return 0;
	return store_exists(st, rel);
}

int
keystore_exists(struct store *st, const char *label, int *usage)
{
	int	 sign, encr;

	if (usage != NULL)
		*usage = 0;
	if (!keystore_label_valid(label))
		return 0;
	sign = keystore_file_exists(st, "keys/rsa-sign", label);
	encr = keystore_file_exists(st, "keys/rsa-encr", label);
	if (sign || encr) {
		if (usage != NULL)
			*usage = 1;
		return 1;
	}
	return keystore_file_exists(st, "keys/rsa", label) ||
	    keystore_file_exists(st, "keys/ec", label);
}

/* Never prompt for a pass phrase: stored keys are not encrypted. */
static int
keystore_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The creation time line, or 0 when the file has none (placed by hand). */
static time_t
keystore_parse_time(const char *buf)
{
	const char		*p;
	char			*end;
	unsigned long long	 v;

	if (strncmp(buf, KEYSTORE_TIMETAG, strlen(KEYSTORE_TIMETAG)) != 0)
		return 0;
	p = buf + strlen(KEYSTORE_TIMETAG);
	if (!isdigit((unsigned char)*p))
		return 0;
	v = strtoull(p, &end, 10);
	if (*end != '\n' || v > (unsigned long long)INT64_MAX)
		return 0;
	return (time_t)v;
}

/*
 * Read one key file: the private key (or public key when pub), and its
 * creation time.  The file bytes are cleansed before they are freed.
 */
static int
keystore_read(EVP_PKEY **out, time_t *created, struct store *st,
    const char *rel, int pub, struct err *e)
{
	char		*buf = NULL, msg[PATH_MAX + 64];
	size_t		 len = 0;
	BIO		*bio = NULL;
	EVP_PKEY	*pk = NULL;
	time_t		 t;
	int		 rc;

	*out = NULL;
	if ((rc = store_read(st, rel, &buf, &len, KEYSTORE_FILEMAX, e)) != 0)
		goto out;
	snprintf(msg, sizeof(msg), "key file %s/%s: no readable %s key",
	    store_dir(st), rel, pub ? "public" : "private");
	/* Private keys through the one seam (keyop.h). */
	if (!pub) {
		if ((rc = keyop_pem_parse(&pk, buf, len,
		    strncmp(rel, "keys/ec/", 8) == 0 ? "EC" : "RSA", msg,
		    e)) != 0)
			goto out;
	} else if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = err_openssl(e, ERR_NOMEM, "%s", rel);
		goto out;
	} else if ((pk = PEM_read_bio_PUBKEY(bio, NULL, keystore_nopass,
	    NULL)) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "%s", msg);
		goto out;
	}
	if ((t = keystore_parse_time(buf)) == 0 && store_mtime(st, rel, &t))
		t = 0;
	if (created != NULL)
		*created = t;
	*out = pk;
	pk = NULL;
 out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	return rc;
}

/* Which file keystore_load(label, kind) reads. */
static int
keystore_locate(char *rel, size_t sz, struct store *st, const char *label,
    enum keystore_kind kind, struct err *e)
{
	int	 rc;

	if ((rc = keystore_check_label(label, e)) != 0)
		return rc;
	switch (kind) {
	case KEYSTORE_GENERAL:
		if (keystore_file_exists(st, "keys/rsa", label))
			return keystore_path(rel, sz, "keys/rsa", label, e);
		if (keystore_file_exists(st, "keys/ec", label))
			return keystore_path(rel, sz, "keys/ec", label, e);
		return err_set(e, ERR_NOTFOUND, "no general purpose key pair "
		    "named %s", label);
	case KEYSTORE_SIGN:
	case KEYSTORE_ENCR:
		if ((rc = keystore_path(rel, sz, kind == KEYSTORE_SIGN ?
		    "keys/rsa-sign" : "keys/rsa-encr", label, e)) != 0)
			return rc;
		if (!store_exists(st, rel))
			return err_set(e, ERR_NOTFOUND, "no special usage %s "
			    "key pair named %s", kind == KEYSTORE_SIGN ?
			    "signature" : "encryption", label);
		return 0;
	}
	return err_set(e, ERR_INVAL, "key %s: unknown key kind", label);
}

int
keystore_load(EVP_PKEY **out, struct store *st, const char *label,
    enum keystore_kind kind, struct err *e)
{
	EVP_PKEY	*pk = NULL;
	char		 rel[PATH_MAX];
	int		 rc, want;

	*out = NULL;
	if ((rc = keystore_locate(rel, sizeof(rel), st, label, kind, e)) != 0)
		return rc;
	if ((rc = keystore_read(&pk, NULL, st, rel, 0, e)) != 0)
		return rc;
	/* A file moved by hand into the wrong directory is not used. */
	want = strncmp(rel, "keys/ec/", 8) == 0 ? EVP_PKEY_EC : EVP_PKEY_RSA;
	if (EVP_PKEY_get_base_id(pk) != want) {
		EVP_PKEY_free(pk);
		return err_set(e, ERR_INVAL, "key file %s/%s: not an %s key",
		    store_dir(st), rel, want == EVP_PKEY_EC ? "EC" : "RSA");
	}
	*out = pk;
	return 0;
}

int
keystore_created(time_t *out, struct store *st, const char *label,
    enum keystore_kind kind, struct err *e)
{
	char		 rel[PATH_MAX];
	EVP_PKEY	*pk = NULL;
	int		 rc;

	*out = 0;
	if ((rc = keystore_locate(rel, sizeof(rel), st, label, kind, e)) != 0)
		return rc;
	rc = keystore_read(&pk, out, st, rel, 0, e);
	EVP_PKEY_free(pk);
	return rc;
}

/*
 * Serialise a key with its time line and write it atomically, into the
 * change b when given.  The PEM is built in a secure-heap BIO, which is
 * cleansed when freed; a replaced private key's file is overwritten.
 */
static int
keystore_write(struct store *st, struct store_batch *b, const char *rel,
    EVP_PKEY *pk, int pub, time_t created, struct err *e)
{
	BIO	*bio = NULL;
	char	*data;
	long	 len;
	int	 rc = 0;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		rc = err_openssl(e, ERR_NOMEM, "%s", rel);
		goto out;
	}
	if (BIO_printf(bio, "%s%lld\n", KEYSTORE_TIMETAG,
	    (long long)created) <= 0 ||
	    (pub ? PEM_write_bio_PUBKEY(bio, pk) :
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "%s: encode key", rel);
		goto out;
	}
	if ((len = BIO_get_mem_data(bio, &data)) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "%s: encode key", rel);
		goto out;
	}
	rc = b != NULL ? store_batch_write(b, rel, data, (size_t)len,
	    pub ? STORE_PUBLIC : STORE_SECRET, !pub, e) : store_write(st, rel,
	    data, (size_t)len, pub ? STORE_PUBLIC : STORE_SECRET, e);
 out:
	BIO_free(bio);
	return rc;
}

static int
keystore_keygen_rsa(EVP_PKEY **out, int bits, struct err *e)
{
	*out = NULL;
	if (bits < KEYSTORE_RSA_MIN || bits > KEYSTORE_RSA_MAX)
		return err_set(e, ERR_INVAL, "RSA modulus of %d bits is outside "
		    "the range of %d to %d", bits, KEYSTORE_RSA_MIN,
		    KEYSTORE_RSA_MAX);
	if ((*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) ==
	    NULL)
		return err_openssl(e, ERR_CRYPTO, "RSA-%d key generation",
		    bits);
	return 0;
}

/*
 * Add to the change b: pk under label as (type, kind), and the removal of
 * the label's other files (keep2 names one more directory to leave alone).
 * The change replaces them all at once; the old private keys' files are
 * overwritten then, not before, so a failure loses no key.
 */
static int
keystore_put(struct store_batch *b, struct store *st, const char *label,
    EVP_PKEY *pk, int type, enum keystore_kind kind, const char *keep2,
    struct err *e)
{
	const struct keystore_dir	*d;
	char				 rel[PATH_MAX];
	size_t				 i;
	int				 rc;

	if ((d = keystore_dir_of(type, kind)) == NULL)
		return err_set(e, ERR_INVAL, "key %s: unknown key kind", label);
	if ((rc = keystore_path(rel, sizeof(rel), d->dir, label, e)) != 0 ||
	    (rc = keystore_write(st, b, rel, pk, 0, clock_now(), e)) != 0)
		return rc;
	for (i = 0; i < KEYSTORE_NDIRS; i++) {
		if (&keystore_dirs[i] == d || (keep2 != NULL &&
		    strcmp(keystore_dirs[i].dir, keep2) == 0))
			continue;
		if ((rc = keystore_path(rel, sizeof(rel), keystore_dirs[i].dir,
		    label, e)) != 0)
			return rc;
		if (store_exists(st, rel) &&
		    (rc = store_batch_remove(b, rel, 1, e)) != 0)
			return rc;
	}
	return 0;
}

/* Store one key (or a usage pair: sign and encr both set) as one change. */
static int
keystore_store(struct store *st, const char *label, EVP_PKEY *pk, int type,
    enum keystore_kind kind, EVP_PKEY *encr, struct err *e)
{
	struct store_batch	*b = NULL;
	const char		*other = NULL;
	int			 rc;

	if (kind == KEYSTORE_SIGN)
		other = "keys/rsa-encr";
	else if (kind == KEYSTORE_ENCR)
		other = "keys/rsa-sign";
	if ((rc = store_change_begin(&b, st, e)) != 0)
		return rc;
	if ((rc = keystore_put(b, st, label, pk, type, kind, other, e)) == 0 &&
	    encr != NULL)
		rc = keystore_put(b, st, label, encr, EVP_PKEY_RSA,
		    KEYSTORE_ENCR, "keys/rsa-sign", e);
	return store_change_end(b, rc, e);
}

int
keystore_batch_put(struct store_batch *b, struct store *st,
    const char *label, EVP_PKEY *pk, enum keystore_kind kind, struct err *e)
{
	int	 rc;

	if ((rc = keystore_check_label(label, e)) != 0)
		return rc;
	return keystore_put(b, st, label, pk, EVP_PKEY_get_base_id(pk), kind,
	    kind == KEYSTORE_SIGN ? "keys/rsa-encr" : kind == KEYSTORE_ENCR ?
	    "keys/rsa-sign" : NULL, e);
}

int
keystore_generate_rsa(struct store *st, const char *label,
    enum keystore_kind kind, int bits, struct err *e)
{
	EVP_PKEY	*pk = NULL;
	int		 rc;

	if ((rc = keystore_check_label(label, e)) != 0 ||
	    (rc = keystore_keygen_rsa(&pk, bits, e)) != 0)
		goto out;
	rc = keystore_store(st, label, pk, EVP_PKEY_RSA, kind, NULL, e);
 out:
	EVP_PKEY_free(pk);
	return rc;
}

int
keystore_generate_rsa_usage(struct store *st, const char *label,
    int signbits, int encrbits, struct err *e)
{
	EVP_PKEY	*sign = NULL, *encr = NULL;
	int		 rc;

	if ((rc = keystore_check_label(label, e)) != 0 ||
	    (rc = keystore_keygen_rsa(&sign, signbits, e)) != 0 ||
	    (rc = keystore_keygen_rsa(&encr, encrbits, e)) != 0)
		goto out;
	rc = keystore_store(st, label, sign, EVP_PKEY_RSA, KEYSTORE_SIGN, encr,
	    e);
 out:
	EVP_PKEY_free(sign);
	EVP_PKEY_free(encr);
	return rc;
}

int
keystore_generate_ec(struct store *st, const char *label, const char *curve,
    struct err *e)
{
	EVP_PKEY	*pk = NULL;
	const char	*ossl = NULL;
	size_t		 i;
	int		 rc;

	if ((rc = keystore_check_label(label, e)) != 0)
		goto out;
	for (i = 0; i < sizeof(keystore_curves) / sizeof(keystore_curves[0]);
	    i++)
		if (curve != NULL && strcmp(curve, keystore_curves[i].name) == 0)
			ossl = keystore_curves[i].ossl;
	if (ossl == NULL) {
		rc = err_set(e, ERR_INVAL, "unknown curve \"%.40s\": "
		    "nistp256, nistp384 or nistp521", curve ? curve : "");
		goto out;
	}
	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ossl)) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "%s key generation", curve);
		goto out;
	}
	rc = keystore_store(st, label, pk, EVP_PKEY_EC, KEYSTORE_GENERAL, NULL,
	    e);
 out:
	EVP_PKEY_free(pk);
	return rc;
}

const char *
keystore_curve_name(const EVP_PKEY *pk)
{
	char	 name[64];
	size_t	 i, len;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    name, sizeof(name), &len))
		return NULL;
	for (i = 0; i < sizeof(keystore_curves) / sizeof(keystore_curves[0]);
	    i++)
		if (strcasecmp(name, keystore_curves[i].ossl) == 0)
			return keystore_curves[i].name;
	if (strcmp(name, "prime256v1") == 0)
		return "nistp256";
	if (strcmp(name, "secp384r1") == 0)
		return "nistp384";
	if (strcmp(name, "secp521r1") == 0)
		return "nistp521";
	return NULL;
}

/* Fill one list entry from a key; info->label is set by the caller. */
static int
keystore_info_fill(struct keystore_info *info, EVP_PKEY *pk,
    const char *rel, struct err *e)
{
	unsigned char	*der = NULL;
	const char	*curve;
	int		 len;

	info->type = EVP_PKEY_get_base_id(pk);
	info->bits = EVP_PKEY_get_bits(pk);
	if ((curve = keystore_curve_name(pk)) != NULL)
		snprintf(info->curve, sizeof(info->curve), "%s", curve);
	if ((len = i2d_PUBKEY(pk, &der)) <= 0)
		return err_openssl(e, ERR_CRYPTO, "%s: encode public key", rel);
	info->spki = der;
	info->spkilen = (size_t)len;
	return 0;
}

static int
keystore_info_cmp(const void *a, const void *b)
{
	const struct keystore_info	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->label, y->label)) != 0)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/* Append the keys of one directory to *v. */
/* "LABEL.pem" -> "LABEL" in place; 0 for any other file name. */
static int
keystore_file_label(char *name)
{
	size_t	 nl = strlen(name);

	if (nl <= 4 || strcmp(name + nl - 4, ".pem") != 0)
		return 0;
	name[nl - 4] = '\0';
	return keystore_label_valid(name);
}

static int
keystore_list_dir(struct keystore_info **v, size_t *n, struct store *st,
    const char *dir, int type, enum keystore_kind kind, int pub, struct err *e)
{
	struct keystore_info	*nv, *info;
	EVP_PKEY		*pk = NULL;
	char			**names = NULL, rel[PATH_MAX];
	size_t			 nnames = 0, i;
	int			 rc;

	if ((rc = store_list(st, dir, &names, &nnames, e)) != 0)
		goto out;
	for (i = 0; i < nnames; i++) {
		if (!keystore_file_label(names[i]))
			continue;
		if (*n >= KEYSTORE_LIST_MAX) {
			rc = err_set(e, ERR_TOOBIG, "%s: more than %d keys",
			    dir, KEYSTORE_LIST_MAX);
			goto out;
		}
		if ((rc = keystore_path(rel, sizeof(rel), dir, names[i], e)))
			goto out;
		if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
			rc = err_nomem(e);
			goto out;
		}
		*v = nv;
		info = &nv[*n];
		memset(info, 0, sizeof(*info));
		(*n)++;
		snprintf(info->label, sizeof(info->label), "%s", names[i]);
		info->kind = kind;
		info->type = type;
		/* One bad file must not hide the others or block zeroize. */
		if (keystore_read(&pk, &info->created, st, rel, pub, NULL) != 0 ||
		    keystore_info_fill(info, pk, rel, NULL) != 0 ||
		    info->type != type) {
			OPENSSL_free(info->spki);
			memset(info, 0, sizeof(*info));
			snprintf(info->label, sizeof(info->label), "%s",
			    names[i]);
			info->kind = kind;
			info->type = type;
			info->broken = 1;
		}
		EVP_PKEY_free(pk);
		pk = NULL;
	}
 out:
	EVP_PKEY_free(pk);
	store_list_free(names, nnames);
	return rc;
}

int
keystore_list(struct keystore_info **out, size_t *outn, struct store *st,
    int type, struct err *e)
{
	struct keystore_info	*v = NULL;
	size_t			 n = 0, i;
	int			 rc = 0;

	*out = NULL;
	*outn = 0;
	for (i = 0; i < KEYSTORE_NDIRS; i++) {
		if (type != 0 && keystore_dirs[i].type != type)
			continue;
		if ((rc = keystore_list_dir(&v, &n, st, keystore_dirs[i].dir,
		    keystore_dirs[i].type, keystore_dirs[i].kind, 0, e)) != 0)
			goto out;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), keystore_info_cmp);
	*out = v;
	*outn = n;
	v = NULL;
	n = 0;
 out:
	keystore_list_free(v, n);
	return rc;
}

void
keystore_list_free(struct keystore_info *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		OPENSSL_free(v[i].spki);
	free(v);
}

/* Remove label (or every key when label is NULL) from one directory. */
static int
keystore_zeroize_dir(struct store *st, const char *dir, const char *label,
    size_t *count, struct err *e)
{
	char	**names = NULL, rel[PATH_MAX];
	size_t	 nnames = 0, i;
	int	 rc = 0;

	if (label != NULL) {
		if ((rc = keystore_path(rel, sizeof(rel), dir, label, e)) != 0)
			return rc;
		if (!store_exists(st, rel))
			return 0;
		if ((rc = store_remove(st, rel, 1, e)) == 0)
			(*count)++;
		return rc;
	}
	if ((rc = store_list(st, dir, &names, &nnames, e)) != 0)
		goto out;
	for (i = 0; i < nnames; i++) {
		if (!keystore_file_label(names[i]))
			continue;
		if ((rc = keystore_path(rel, sizeof(rel), dir, names[i], e)))
			goto out;
		if ((rc = store_remove(st, rel, 1, e)) != 0)
			goto out;
		(*count)++;
	}
 out:
	store_list_free(names, nnames);
	return rc;
}

/*
 * Remove label (every key when NULL) from each of dirs under the lock;
 * *count: how many files went, also when a removal failed.
 */
static int
keystore_zeroize_in(struct store *st, const char *const *dirs, size_t ndirs,
    const char *label, size_t *count, struct err *e)
{
	size_t	 i;
	int	 rc;

	*count = 0;
	if (label != NULL && (rc = keystore_check_label(label, e)) != 0)
		return rc;
	if ((rc = store_lock(st, e)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < ndirs; i++)
		rc = keystore_zeroize_dir(st, dirs[i], label, count, e);
	store_unlock(st);
	return rc;
}

int
keystore_zeroize(struct store *st, const char *label, int type,
    size_t *count, struct err *e)
{
	const char	*dirs[KEYSTORE_NDIRS];
	size_t		 i, nd = 0, n;
	int		 rc;

	for (i = 0; i < KEYSTORE_NDIRS; i++)
		if (type == 0 || keystore_dirs[i].type == type)
			dirs[nd++] = keystore_dirs[i].dir;
	if ((rc = keystore_zeroize_in(st, dirs, nd, label, &n, e)) == 0 &&
	    n == 0)
		rc = err_set(e, ERR_NOTFOUND, "no %s keys%s%s",
		    type == EVP_PKEY_RSA ? "RSA" : type == EVP_PKEY_EC ?
		    "ECDSA" : "", label ? " named " : "", label ? label : "");
	if (count != NULL)
		*count = n;
	return rc;
}

/* ---- pasted public keys ---- */

static int
keystore_blank(const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Sanity of an accepted public key: sizes the rest of the system handles. */
static int
keystore_pubkey_check(EVP_PKEY *pk, struct err *e)
{
	BIGNUM	*bn = NULL;
	int	 bits, rc = 0;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pk);
		if (bits < KEYSTORE_AUTH_RSA_MIN || bits > KEYSTORE_AUTH_RSA_MAX) {
			rc = err_set(e, ERR_INVAL, "RSA modulus of %d bits is "
			    "outside %d to %d", bits, KEYSTORE_AUTH_RSA_MIN,
			    KEYSTORE_AUTH_RSA_MAX);
			break;
		}
		if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &bn) ||
		    !BN_is_odd(bn) || BN_is_one(bn)) {
			rc = err_set(e, ERR_INVAL, "RSA public exponent must be "
			    "odd and greater than 1");
			break;
		}
		break;
	case EVP_PKEY_EC:
		if (keystore_curve_name(pk) == NULL)
			rc = err_set(e, ERR_INVAL, "unsupported EC curve");
		break;
	default:
		rc = err_set(e, ERR_INVAL, "unsupported public key type");
		break;
	}
	BN_free(bn);
	return rc;
}

/* One PEM block: PUBLIC KEY or RSA PUBLIC KEY, and nothing after it. */
static int
keystore_pubkey_pem(EVP_PKEY **out, const char *p, size_t len, struct err *e)
{
	BIO			*bio = NULL;
	char			*name = NULL, *hdr = NULL, *rest, nm[48];
	unsigned char		*der = NULL;
	const unsigned char	*q;
	long			 derlen = 0, restlen;
	EVP_PKEY		*pk = NULL;
	int			 rc = 0;

	*out = NULL;
	if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL) {
		rc = err_openssl(e, ERR_NOMEM, "public key");
		goto out;
	}
	if (!PEM_read_bio(bio, &name, &hdr, &der, &derlen)) {
		rc = err_openssl(e, ERR_INVAL, "public key: malformed PEM");
		goto out;
	}
	if (strstr(name, "PRIVATE KEY") != NULL) {
		rc = err_set(e, ERR_REFUSED, "a private key (%.40s) was pasted; "
		    "only public keys are accepted and nothing was stored",
		    text_esc(nm, sizeof(nm), name));
		goto out;
	}
	if (hdr != NULL && *hdr != '\0') {
		rc = err_set(e, ERR_INVAL, "public key: PEM headers are not "
		    "allowed");
		goto out;
	}
	/* Text after the block is ignored (the shell notes it); a key not. */
	restlen = BIO_get_mem_data(bio, &rest);
	if (restlen > 0 && memmem(rest, (size_t)restlen, "-----BEGIN ", 11)) {
		rc = err_set(e, ERR_INVAL, "public key: more than one PEM "
		    "block");
		goto out;
	}
	q = der;
	if (strcmp(name, "PUBLIC KEY") == 0)
		pk = d2i_PUBKEY(NULL, &q, derlen);
	else if (strcmp(name, "RSA PUBLIC KEY") == 0)
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, derlen);
	else {
		rc = err_set(e, ERR_INVAL, "public key: PEM type \"%s\" is "
		    "not PUBLIC KEY or RSA PUBLIC KEY", text_esc(nm, sizeof(nm),
		    name));
		goto out;
	}
	if (pk == NULL) {
		rc = err_openssl(e, ERR_INVAL, "public key: bad %s DER", name);
		goto out;
	}
	if (q != der + derlen) {
		rc = err_set(e, ERR_INVAL, "public key: trailing bytes after "
		    "the DER");
		goto out;
	}
	*out = pk;
	pk = NULL;
 out:
	EVP_PKEY_free(pk);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

/* RFC 4251 5: uint32 length then that many bytes. */
static int
keystore_ssh_string(const unsigned char **p, size_t *left,
    const unsigned char **s, size_t *slen)
{
	uint32_t	 n;

	if (*left < 4)
		return -1;
	n = ((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) |
	    ((uint32_t)(*p)[2] << 8) | (uint32_t)(*p)[3];
	*p += 4;
	*left -= 4;
	if (n > *left)
		return -1;
	*s = *p;
	*slen = n;
	*p += n;
	*left -= n;
	return 0;
}

/* RFC 4251 5 mpint, positive only (an RSA n or e). */
static BIGNUM *
keystore_ssh_mpint(const unsigned char **p, size_t *left)
{
	const unsigned char	*s;
	size_t			 n;

	if (keystore_ssh_string(p, left, &s, &n) != 0 || n == 0 ||
	    (s[0] & 0x80) != 0)
		return NULL;
	return BN_bin2bn(s, (int)n, NULL);
}

static int
keystore_rsa_from_ne(EVP_PKEY **out, const BIGNUM *n, const BIGNUM *ex,
    struct err *e)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	int		 rc = 0;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ex) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		rc = err_openssl(e, ERR_INVAL, "public key: bad ssh-rsa key");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/* "ssh-rsa BASE64 [comment]" on one line (RFC 4253 6.6 blob). */
static int
keystore_pubkey_ssh(EVP_PKEY **out, const char *p, size_t len, struct err *e)
{
	EVP_ENCODE_CTX		*ectx = NULL;
	unsigned char		 blob[KEYSTORE_SSHBLOB_MAX + 64];
	const unsigned char	*q, *s;
	const char		*b64, *end, *nl;
	size_t			 left, slen, b64len;
	BIGNUM			*n = NULL, *ex = NULL;
	int			 outl = 0, fin = 0, rc = 0;

	*out = NULL;
	if ((nl = memchr(p, '\n', len)) != NULL &&
	    !keystore_blank(nl, len - (size_t)(nl - p))) {
		rc = err_set(e, ERR_INVAL, "public key: more than one line "
		    "after ssh-rsa");
		goto out;
	}
	end = nl != NULL ? nl : p + len;
	b64 = p + strlen("ssh-rsa");
	while (b64 < end && (*b64 == ' ' || *b64 == '\t'))
		b64++;
	for (q = (const unsigned char *)b64; (const char *)q < end &&
	    !isspace(*q); q++)
		;
	b64len = (size_t)((const char *)q - b64);
	if (b64len == 0 || b64len > KEYSTORE_SSHBLOB_MAX / 3 * 4) {
		rc = err_set(e, ERR_INVAL, "public key: ssh-rsa key data "
		    "missing or longer than %d bytes", KEYSTORE_SSHBLOB_MAX);
		goto out;
	}
	if ((ectx = EVP_ENCODE_CTX_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	EVP_DecodeInit(ectx);
	if (EVP_DecodeUpdate(ectx, blob, &outl, (const unsigned char *)b64,
	    (int)b64len) < 0 || EVP_DecodeFinal(ectx, blob + outl, &fin) != 1) {
		rc = err_set(e, ERR_INVAL, "public key: bad base64 in ssh-rsa "
		    "key");
		goto out;
	}
	q = blob;
	left = (size_t)outl + (size_t)fin;
	if (keystore_ssh_string(&q, &left, &s, &slen) != 0 || slen != 7 ||
	    memcmp(s, "ssh-rsa", 7) != 0) {
		rc = err_set(e, ERR_INVAL, "public key: RFC 4253 6.6: key blob "
		    "does not start with \"ssh-rsa\"");
		goto out;
	}
	if ((ex = keystore_ssh_mpint(&q, &left)) == NULL ||
	    (n = keystore_ssh_mpint(&q, &left)) == NULL || left != 0) {
		rc = err_set(e, ERR_INVAL, "public key: RFC 4253 6.6: bad "
		    "ssh-rsa e, n or trailing bytes");
		goto out;
	}
	rc = keystore_rsa_from_ne(out, n, ex, e);
 out:
	BN_free(n);
	BN_free(ex);
	EVP_ENCODE_CTX_free(ectx);
	return rc;
}

int
keystore_pubkey_parse(EVP_PKEY **out, const char *text, size_t len,
    struct err *e)
{
	EVP_PKEY	*pk = NULL;
	const char	*p = text, *q;
	int		 rc;

	*out = NULL;
	if (len > KEYSTORE_PASTE_MAX)
		return err_set(e, ERR_TOOBIG, "public key: longer than %u "
		    "bytes", KEYSTORE_PASTE_MAX);
	if (text == NULL || memchr(text, '\0', len) != NULL)
		return err_set(e, ERR_INVAL, "public key: not text");
	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	/* Text before a BEGIN line is ignored, as after the END line. */
	q = len >= 11 ? memmem(p, len, "-----BEGIN ", 11) : NULL;
	if (q != NULL && (q == p || q[-1] == '\n'))
		rc = keystore_pubkey_pem(&pk, q, len - (size_t)(q - p), e);
	else if (len > 8 && memcmp(p, "ssh-rsa", 7) == 0 &&
	    (p[7] == ' ' || p[7] == '\t'))
		rc = keystore_pubkey_ssh(&pk, p, len, e);
	else
		rc = err_set(e, ERR_INVAL, "public key: not a PEM public key "
		    "or an ssh-rsa line");
	if (rc == 0 && (rc = keystore_pubkey_check(pk, e)) == 0) {
		*out = pk;
		pk = NULL;
	}
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- authentication keys ---- */

int
keystore_auth_exists(struct store *st, const char *label)
{
	if (!keystore_label_valid(label))
		return 0;
	return keystore_file_exists(st, KEYSTORE_AUTHDIR, label);
}

int
keystore_auth_import(struct store *st, const char *label, const char *text,
    size_t len, struct err *e)
{
	EVP_PKEY	*pk = NULL;
	char		 rel[PATH_MAX];
	int		 rc, locked = 0;

	if ((rc = keystore_check_label(label, e)) != 0)
		goto out;
	if ((rc = keystore_pubkey_parse(&pk, text, len, e)) != 0)
		goto out;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		rc = err_set(e, ERR_INVAL, "public key: not an RSA key");
		goto out;
	}
	if ((rc = keystore_path(rel, sizeof(rel), KEYSTORE_AUTHDIR, label,
	    e)) != 0)
		goto out;
	if ((rc = store_lock(st, e)) != 0)
		goto out;
	locked = 1;
	rc = keystore_write(st, NULL, rel, pk, 1, clock_now(), e);
 out:
	if (locked)
		store_unlock(st);
	EVP_PKEY_free(pk);
	return rc;
}

int
keystore_auth_list(struct keystore_info **out, size_t *outn, struct store *st,
    struct err *e)
{
	struct keystore_info	*v = NULL;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*outn = 0;
	if ((rc = keystore_list_dir(&v, &n, st, KEYSTORE_AUTHDIR,
	    EVP_PKEY_RSA, KEYSTORE_GENERAL, 1, e)) != 0) {
		keystore_list_free(v, n);
		return rc;
	}
	*out = v;
	*outn = n;
	return 0;
}

int
keystore_auth_zeroize(struct store *st, const char *label, size_t *count,
    struct err *e)
{
	static const char *const dirs[] = { KEYSTORE_AUTHDIR };
	size_t	 n;
	int	 rc;

	if ((rc = keystore_zeroize_in(st, dirs, 1, label, &n, e)) == 0 &&
	    n == 0)
		rc = err_set(e, ERR_NOTFOUND, "no authentication keys%s%s",
		    label ? " named " : "", label ? label : "");
	if (count != NULL)
		*count = n;
	return rc;
}
