/*
 * netpki-ca internals: the CA's key material (ca.c), the certificate
 * profile and serials (issue.c), CRLs (crl.c), the SCEP operations
 * (scep_server.c) and the HTTP front (http.c).  The store is db.h.
 *
 * DIR layout:
 *	ca.key ca.crt			the CA (key 0600)
 *	ra-sign.key ra-sign.crt		RA signing certificate (--ra)
 *	ra-enc.key ra-enc.crt		RA encryption certificate (--ra)
 *	ca.db				SQLite (WAL): requests, certificates
 *	database			or: a postgresql:// URI (init --db)
 *	crl.der				the current CRL
 *	ca-N.key ca-N.crt		CA generation N > 1 (rollover)
 *	link-M-N.crt			generation N's key certified by M
 *					(N-1 and N, both ways)
 *	crl-N.der			generation N's CRL
 *	ra-sign-N.crt ra-enc-N.crt	the RA's keys, certified by N
 *	bundle/				extra PEM/DER certificates for /bundle.*
 */
#ifndef NETPKI_CA_CA_H
#define NETPKI_CA_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "db.h"
struct err;
struct keyop_peer;
struct policy;

#define CA_DEFAULT_SUBJECT	"CN=netpki CA"
#define CA_DEFAULT_DAYS		3650
#define CA_CERT_DAYS		365	/* issued certificates */
#define CA_CRL_DAYS		7	/* CRL nextUpdate */
#define CA_MAXBUNDLE		256	/* certificates in DIR/bundle */
#define CA_SERIAL_TRIES		8	/* fresh serials after collisions */
#define CA_DBURIMAX		4096	/* DIR/database */
#define CA_GENMAX		6	/* CA generations (key process slots) */

/*
 * Loaded once; read-only afterwards, so threads share it.  The keys are
 * used only to sign and decrypt (keyop.h): from the key files for the
 * offline commands, remote keys in the key process for serve (keyproc.h).
 * Signatures are checked with the certificates, never with a key.
 */
struct ca {
	char		*dir;
	X509		*cert;		/* the CA certificate */
	EVP_PKEY	*key;
	X509		*ra_sign;	/* NULL without an RA */
	EVP_PKEY	*ra_sign_key;
	X509		*ra_enc;
	EVP_PKEY	*ra_enc_key;
	struct keyop_peer *keys;	/* serve: the key process; or NULL */
	/*
	 * Generations (rollover): this struct is generation 1 and owns the
	 * next ones, which share its directory, key process and RA keys
	 * (with RA certificates of their own).  in_db and switch_at come from the database (ca_gens_sync):
	 * a generation whose files have no row yet is never used.
	 */
	int		 gen;		/* 1, 2 ... */
	int		 in_db;		/* the database lists this generation */
	time_t		 switch_at;	/* issuance moves to it then */
	X509		*link_new;	/* N > 1: this key certified by N-1 */
	X509		*link_old;	/* N > 1: N-1's key certified by this */
	struct ca	*next;		/* generation N+1, or NULL */
};

struct ca_init_opts {
	const char	*subject;	/* "CN=x,O=y" or "/O=y/CN=x" */
	const char	*keyspec;	/* rsa:2048 rsa:3072 rsa:4096 ec:p256 */
	int		 days;
	int		 ra;
	const char	*db;		/* postgresql:// URI; NULL: SQLite */
};

/* ca.c */
int		 ca_init(const char *, const struct ca_init_opts *,
		    struct err *);
int		 ca_load(struct ca **, const char *, struct err *);
/* The certificates without the keys (serve; see keyproc.h). */
int		 ca_load_public(struct ca **, const char *, struct err *);
/* 1 when the keys are a key process's that no longer answers. */
int		 ca_keys_down(const struct ca *);
void		 ca_free(struct ca *);
/* The certificate and key that sign CertReps: the RA's, else the CA's. */
X509		*ca_reply_cert(const struct ca *);
EVP_PKEY	*ca_reply_key(const struct ca *);
/* The certificate and key requests are encrypted for. */
X509		*ca_decrypt_cert(const struct ca *);
EVP_PKEY	*ca_decrypt_key(const struct ca *);
int		 ca_path(char *, size_t, const struct ca *, const char *);
int		 ca_parse_dn(X509_NAME **, const char *, struct err *);
int		 ca_db_open(struct db **, const struct ca *, struct err *);
/* DIR/NAME.key (0600) and DIR/NAME.crt, each replaced atomically. */
int		 ca_write_pair(const char *, const char *, EVP_PKEY *, X509 *,
		    struct err *);
/*
 * bundle 0: what GetCACert serves (the CA, then the RA certificates);
 * bundle 1: the trust bundle (the CA, then DIR/bundle/'s certificates).
 */
int		 ca_bundle(STACK_OF(X509) **, const struct ca *, int,
		    struct err *);
/* Shared with rollover.c. */
int		 ca_keygen(EVP_PKEY **, const char *, struct err *);
int		 ca_make_cert(X509 **, EVP_PKEY *, const X509_NAME *, X509 *,
		    EVP_PKEY *, int, const char *, const char *, struct err *);
int		 ca_write_pair(const char *, const char *, EVP_PKEY *, X509 *,
		    struct err *);
int		 ca_lock(int *, const char *, struct err *);
/* Give generation g generation 1's RA keys (once they are set). */
int		 ca_gen_ra_keys(struct ca *, const struct ca *);
/* Generation n (1 is the CA itself), or NULL when not loaded. */
const struct ca	*ca_gen(const struct ca *, int);
/*
 * Check the loaded generations against the database's rows (the same
 * certificate, or refused) and take their switch-over times.  Before
 * the struct is shared between threads.
 */
int		 ca_gens_sync(struct ca *, struct db *, struct err *);
/*
 * At now, from the database (NULL: from what ca_gens_sync read): *cur
 * the generation that issues, *next the one announced by GetNextCACert
 * or NULL.  ERR_NOTFOUND when the database's current generation is not
 * loaded (made elsewhere or after this process started).
 */
int		 ca_gens_now(const struct ca **, const struct ca **,
		    const struct ca *, struct db *, time_t, struct err *);

/* rollover.c */
struct ca_rollover_opts {
	const char	*keyspec;	/* NULL: the current CA's kind */
	const char	*subject;	/* NULL: the current CA's subject */
	int		 days;		/* 0: CA_DEFAULT_DAYS */
	time_t		 at;		/* the switch-over; 0: now */
};
/*
 * Make generation N+1 (key, self-signed certificate, link certificates)
 * and record it with its switch-over time.  *gen: its number.
 */
int		 ca_rollover(int *, const struct ca *, struct db *,
		    const struct policy *, const struct ca_rollover_opts *,
		    struct err *);
/* "2026-12-05T10:00:00Z", or "+90s", "+15m", "+1h", "+7d" from now. */
int		 ca_rollover_time(time_t *, const char *, time_t);

/* issue.c */
struct issue_opts {
	int		 days;		/* validity of issued certificates */
	const char	*crl_url;	/* CRL distribution point, or NULL */
	struct db_group	*group;		/* serve: group commit, else NULL */
	const struct policy *policy;	/* NULL: the defaults (policy.h) */
	int		 trusted;	/* sign-csr: subject, SAN rules waived */
};
/* Parse a PKCS#10 (DER or PEM), no trailing data, self-signature valid. */
int		 issue_csr_parse(X509_REQ **, const unsigned char *, size_t,
		    struct err *);
/*
 * A request as stored: already verified on receipt, and without its
 * challengePassword (secrets never reach the disk), so its signature no
 * longer verifies and it is parsed without checking it.
 */
int		 issue_csr_strip(unsigned char **, size_t *, X509_REQ *,
		    struct err *);
int		 issue_csr_stored(X509_REQ **, const unsigned char *, size_t,
		    struct err *);
/* The challengePassword attribute; *out malloc'd, NULL when absent. */
int		 issue_csr_challenge(char **, X509_REQ *, struct err *);
char		*issue_serial_hex(const ASN1_INTEGER *);
int		 issue_serial_parse(ASN1_INTEGER **, const char *,
		    struct err *);
/*
 * Issue a certificate for the request, store it durably with its
 * request (see db_cert_add: req NULL, new, or pending), drawing a new
 * random serial on a collision.  *out: the certificate.
 */
int		 issue_cert(X509 **, const struct ca *, struct db *,
		    X509_REQ *, const struct db_request *, int64_t *,
		    const struct issue_opts *, struct err *);
/*
 * The same in two halves, so that a reply can be made while the row goes
 * to the disk: issue_start signs the certificate and, with a group,
 * queues its row; issue_finish stores it (or waits for the group).
 * ERR_EXISTS from issue_finish: the serial was taken, start again.  The
 * request must stay valid until issue_finish, and nothing carrying the
 * certificate may leave before it returns 0.
 */
struct issue_pending {
	X509			*cert;
	struct db_cert		 row;
	const struct db_request	*req;
	struct db_group		*group;
	struct db_pending	*queued;
};
int		 issue_start(struct issue_pending *, const struct ca *,
		    X509_REQ *, const struct db_request *,
		    const struct issue_opts *, struct err *);
int		 issue_finish(struct issue_pending *, struct db *, int64_t *,
		    struct err *);
void		 issue_pending_clear(struct issue_pending *);
/*
 * Every certificate this CA makes (issued ones, ca.c's CA and RA ones):
 * issue_cert_new, a version 3 certificate with a random 128-bit serial,
 * subject and issuer name, valid from now for days (the caller sets the
 * key and its own extensions); then issue_cert_sign, the key identifiers
 * (issuer: the issuer's certificate, x itself when self-signed), the CRL
 * distribution point when crl_url is set, and the SHA-256 signature; it
 * takes x: the signed certificate goes to *out, or x is freed.
 */
int		 issue_cert_new(X509 **, const X509_NAME *, const X509_NAME *,
		    int, struct err *);
int		 issue_cert_sign(X509 **, X509 *, X509 *, EVP_PKEY *,
		    const char *, struct err *);
int		 issue_ext(X509 *, X509 *, int, const char *, struct err *);

/*
 * crl.c: cacrl_, the CRL this CA signs (the library's crl_ checks other
 * CAs' CRLs).  Reason names are cert.h's cert_reason_name/code.
 */
/* Sign a new CRL from the store and write DIR/crl.der. */
int		 cacrl_update(const struct ca *, struct db *, struct err *);
/*
 * 1 when generation g's CRL has ended: a rollover superseded g (cur, the
 * generation in force, is later) and g's certificate has expired, so has
 * every certificate it issued (issue_cert caps them at its notAfter).
 */
int		 cacrl_ended(const struct ca *g, const struct ca *cur, time_t);
/* The current CRL (DER), made first when missing or past nextUpdate. */
int		 cacrl_current(unsigned char **, size_t *, const struct ca *,
		    struct db *, struct err *);
#endif
