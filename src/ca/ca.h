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
 *	bundle/				extra PEM/DER certificates for /bundle.*
 */
#ifndef NETPKI_CA_CA_H
#define NETPKI_CA_CA_H

#include <stddef.h>
#include <stdint.h>

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
/*
 * bundle 0: what GetCACert serves (the CA, then the RA certificates);
 * bundle 1: the trust bundle (the CA, then DIR/bundle/'s certificates).
 */
int		 ca_bundle(STACK_OF(X509) **, const struct ca *, int,
		    struct err *);

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
/* The current CRL (DER), made first when missing or past nextUpdate. */
int		 cacrl_current(unsigned char **, size_t *, const struct ca *,
		    struct db *, struct err *);
#endif
