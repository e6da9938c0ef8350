/*
 * keystore: the device's key pairs (RSA general purpose, RSA special usage
 * sign+encr, ECDSA) and the imported RSA authentication public keys.
 *
 * A label names one key pair set of any type: generating under a label that
 * exists replaces the whole set.  Each key is one file in the state
 * directory (see docs/architecture.md), PKCS#8 PEM, mode 0600, written
 * atomically, with its creation time on a line before the PEM block so that
 * "Created" survives restarts and `openssl pkey` still reads the file.
 */
#ifndef NETPKI_KEYSTORE_H
#define NETPKI_KEYSTORE_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

struct err;
struct store;

#define KEYSTORE_LABEL_MAX	64
#define KEYSTORE_DEFAULT_LABEL	"the_default"
#define KEYSTORE_RSA_MIN	512
#define KEYSTORE_RSA_MAX	4096
#define KEYSTORE_RSA_DEFAULT	2048
/* Pasted public keys: input and modulus caps. */
#define KEYSTORE_PASTE_MAX	(64u * 1024)
#define KEYSTORE_AUTH_RSA_MIN	512
#define KEYSTORE_AUTH_RSA_MAX	16384
/* Cap on keys listed from one directory, against a flooded state dir. */
#define KEYSTORE_LIST_MAX	4096

enum keystore_kind { KEYSTORE_GENERAL, KEYSTORE_SIGN, KEYSTORE_ENCR };

/* What keystore_list() and keystore_auth_list() report per key. */
struct keystore_info {
	char			 label[KEYSTORE_LABEL_MAX + 1];
	enum keystore_kind	 kind;	/* GENERAL for EC and auth keys */
	int			 type;	/* EVP_PKEY_RSA or EVP_PKEY_EC */
	int			 bits;	/* modulus or field size */
	char			 curve[16];	/* "nistp256"; "" for RSA */
	time_t			 created;	/* or imported */
	unsigned char		*spki;	/* DER SubjectPublicKeyInfo */
	size_t			 spkilen;
	/*
	 * The file could not be read as a key (bits, curve and spki are
	 * empty; type is the directory's).  Listed so that it can still be
	 * seen, replaced and zeroized.
	 */
	int			 broken;
};

/* 1 if label is 1-64 of [A-Za-z0-9._-] and does not start with '.'. */
int	 keystore_label_valid(const char *);

/*
 * 1 if a key pair set named label exists (RSA or EC), 0 if not; *usage
 * (may be NULL) = 1 for a special-usage (sign+encr) pair.
 */
int	 keystore_exists(struct store *, const char *, int *);
/*
 * The private key of label: GENERAL is the general-purpose RSA pair or
 * the EC key; SIGN and ENCR the halves of a special-usage pair.
 * ERR_NOTFOUND when absent.  Caller frees *out with EVP_PKEY_free.
 */
int	 keystore_load(EVP_PKEY **, struct store *, const char *,
	    enum keystore_kind, struct err *);
/* Creation time of the key that keystore_load would return. */
int	 keystore_created(time_t *, struct store *, const char *,
	    enum keystore_kind, struct err *);

/*
 * Generate and store; replaces any set under label (the old files are
 * scrubbed after the new one is in place).  GENERAL: one pair.  SIGN or
 * ENCR: that half of a special-usage pair (the other half is kept).
 */
int	 keystore_generate_rsa(struct store *, const char *,
	    enum keystore_kind, int, struct err *);
/*
 * Add pk as label's key of kind to the change b (the label's other files
 * of that kind removed, an old private key scrubbed when b commits): a key
 * that must change together with other files (a renewal's switch-over).
 */
struct store_batch;
int	 keystore_batch_put(struct store_batch *, struct store *, const char *,
	    EVP_PKEY *, enum keystore_kind, struct err *);
/* Both halves of a special-usage pair, generated before anything is written. */
int	 keystore_generate_rsa_usage(struct store *, const char *, int, int,
	    struct err *);
/* curve: "nistp256", "nistp384" or "nistp521". */
int	 keystore_generate_ec(struct store *, const char *, const char *,
	    struct err *);

/*
 * Every key of type (EVP_PKEY_RSA, EVP_PKEY_EC, or 0 for both), sorted by
 * label then kind; unreadable files are listed with broken set.  Free
 * with keystore_list_free.
 */
int	 keystore_list(struct keystore_info **, size_t *, struct store *, int,
	    struct err *);
void	 keystore_list_free(struct keystore_info *, size_t);

/*
 * Remove label's keys of type (NULL label: all keys of type), each file
 * overwritten before it is unlinked.  *count (may be NULL): files removed.
 * ERR_NOTFOUND when there was nothing to remove.
 */
int	 keystore_zeroize(struct store *, const char *, int, size_t *,
	    struct err *);

/*
 * Parse a pasted public key: PEM "PUBLIC KEY", PEM "RSA PUBLIC KEY", or
 * one OpenSSH "ssh-rsa BASE64 [comment]" line.  Private keys are refused
 * (ERR_REFUSED) so that the caller can say so; anything else that is not
 * exactly one public key is ERR_INVAL.  Caller frees *out.
 */
int	 keystore_pubkey_parse(EVP_PKEY **, const char *, size_t,
	    struct err *);

/* Authentication (imported RSA public) keys, by label. */
int	 keystore_auth_import(struct store *, const char *, const char *,
	    size_t, struct err *);
int	 keystore_auth_exists(struct store *, const char *);
int	 keystore_auth_list(struct keystore_info **, size_t *, struct store *,
	    struct err *);
int	 keystore_auth_zeroize(struct store *, const char *, size_t *,
	    struct err *);

/* "nistp256" for an EC key, NULL otherwise. */
const char *keystore_curve_name(const EVP_PKEY *);

#endif
