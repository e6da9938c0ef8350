/*
 * trustpoint: one "crypto ca trustpoint NAME" block.  Its settings come
 * from the running configuration; its certificates live in the state
 * directory under trustpoints/<name>/:
 *
 *   ca.pem            the issuing CA first, then the rest of its chain
 *   ra-sign.pem       RA certificate that signs CertReps (optional)
 *   ra-encr.pem       RA certificate requests are encrypted for (optional)
 *   cert-general.pem  the device certificate (general purpose keys), or
 *   cert-sign.pem     + cert-encr.pem (usage keys)
 *   pending/<kind>    an enrollment the CA has not decided yet
 *
 * A trustpoint is "authenticated" when ca.pem exists.
 */
#ifndef NETPKI_TRUSTPOINT_H
#define NETPKI_TRUSTPOINT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "keystore.h"

struct config;
struct err;
struct store;

#define TP_NAMEMAX		64	/* trustpoint names, like key labels */
#define TP_DEFAULT_KEY		"the_default"
#define TP_DEFAULT_PERIOD	1	/* minutes */
#define TP_DEFAULT_COUNT	10
#define TP_DEFAULT_PATH		"/cgi-bin/pkiclient.exe"
#define TP_CHAINMAX		16	/* certificates in ca.pem */
#define TP_CLOCK_SKEW		300	/* seconds a notBefore may be ahead */
#define TP_AUTO_PERCENT		80	/* auto-enroll without PERCENT */

enum tp_method {
	TP_METHOD_NONE = 0,	/* no enrollment statement */
	TP_METHOD_URL,		/* enrollment url: SCEP */
	TP_METHOD_TERMINAL,	/* enrollment terminal: cut-and-paste */
	TP_METHOD_TFTP,		/* enrollment url tftp://...: tftp_enroll.h */
	TP_METHOD_EST,		/* enrollment url + method-est: RFC 7030 */
};

/* Which device key a certificate or a request belongs to. */
enum tp_kind {
	TP_KIND_GENERAL = 0,
	TP_KIND_SIGN,
	TP_KIND_ENCR,
	TP_KIND__MAX
};

enum tp_serial {
	TP_SERIAL_UNSET = 0,	/* no statement: not included */
	TP_SERIAL_YES,		/* "serial-number": include it */
	TP_SERIAL_NONE,		/* "serial-number none" */
};

struct trustpoint {
	char		*name;
	enum tp_method	 method;
	char		*url;		/* SCEP URL with the default path added;
					   TFTP: the URL as configured; EST:
					   with /.well-known/est when it has
					   no path */
	char		*query_url;	/* LDAP URL, or NULL */
	int		 retry_period;	/* minutes, 1-60 */
	int		 retry_count;	/* 1-100 */
	char		*keylabel;	/* rsakeypair, or TP_DEFAULT_KEY */
	int		 keylabel_set;	/* rsakeypair was configured */
	char		*vrf;		/* or NULL */
	char		*subject;	/* subject-name DN, or NULL */
	char		*ip_address;	/* A.B.C.D, "none", or NULL */
	enum tp_serial	 serial;
	int		 crl_optional;
	char		*description;	/* or NULL */
	/* fingerprint pin: uppercase hex without spaces, or NULL */
	char		*fingerprint;
	/* EST: est-label, the http-auth username (its password is asked at
	   enroll time, never stored) and the trustpoint whose router
	   certificate is the TLS client certificate; each NULL when unset */
	char		*est_label;
	char		*est_user;
	char		*est_cred;
	char		*est_cred_key;	/* est_cred's key pair label */
	int		 auto_enroll;	/* renew at this percent, 0: off */
	int		 auto_regenerate; /* auto-enroll ... regenerate */
};

/* The configuration block key of a trustpoint ("crypto ca trustpoint X"). */
int		 tp_block(char *, size_t, const char *);
int		 tp_name_ok(const char *);
/*
 * Read a trustpoint's settings from a configuration.  ERR_NOTFOUND with
 * "trustpoint X is not configured" when there is no such block.
 */
int		 tp_load(struct trustpoint **, const struct config *,
		    const char *, struct err *);
void		 tp_free(struct trustpoint *);
/*
 * Normalise a fingerprint as typed ("58 71 FB 94 ..." or "5871fb94...")
 * to uppercase hex without spaces; it must be an MD5, SHA-1 or SHA-256
 * length.  Caller frees.
 */
int		 tp_fingerprint_norm(char **, const char *, struct err *);
/* The digest name for a normalised pin ("MD5", "SHA1", "SHA256"). */
const char	*tp_fingerprint_md(const char *);
/* Add TP_DEFAULT_PATH to a URL that has no path.  Caller frees. */
char		*tp_url_default_path(const char *);

/* Certificates of a trustpoint, all NULL when absent. */
struct tp_certs {
	X509		*ca;		/* the issuing CA */
	STACK_OF(X509)	*chain;		/* ca.pem in full (ca first) */
	X509		*ra_sign;
	X509		*ra_encr;
	X509		*dev[TP_KIND__MAX];	/* device certificates */
};

const char	*tp_kind_name(enum tp_kind);	/* "general", "sign", "encr" */
int		 tp_certs_load(struct tp_certs *, struct store *,
		    const char *, struct err *);
void		 tp_certs_clear(struct tp_certs *);
/*
 * Store the CA chain (ca first) and the RA certificates (either may be
 * NULL), replacing what authenticate stored before, and the shadow CA
 * (ca-next.pem, tp_rollover.h) with it.  Device certificates
 * stay unless they no longer chain to the new CA (they are then removed).
 */
int		 tp_store_ca(struct store *, const char *, STACK_OF(X509) *,
		    X509 *, X509 *, struct err *);
int		 tp_store_cert(struct store *, const char *, enum tp_kind,
		    X509 *, struct err *);
/* PEM of sk's certificates, then one (either may be NULL); caller frees. */
int		 tp_pem(char **, size_t *, STACK_OF(X509) *, X509 *,
		    struct err *);
/* Forget everything stored for a trustpoint (no crypto ca trustpoint). */
int		 tp_remove_all(struct store *, const char *, struct err *);
/* trustpoints/<name>/<file> into buf. */
int		 tp_path(char *, size_t, const char *, const char *);

/*
 * Checks on a certificate about to be stored as the device certificate:
 * valid at now, issued (and signed) by ca.  The message names the rule.
 */
int		 tp_check_issued(X509 *, X509 *, time_t, const char *,
		    struct err *);
int		 tp_check_validity(X509 *, time_t, const char *, struct err *);

/*
 * An enrollment waiting for the CA (trustpoints/<name>/pending/<kind>,
 * 0600).  It holds what CertPoll needs and nothing secret: the request
 * itself (which carries the challenge password) is not kept.
 */
struct tp_pending {
	char		 transid[129];	/* RFC 8894 transactionID */
	char		 keylabel[65];	/* the key the request is for */
	time_t		 created;	/* when the request was first sent */
	X509_NAME	*subject;	/* the request's subject */
	X509		*signer;	/* the self-signed signer certificate,
					   or a renewal's current one */
	int		 renewal;	/* TP_RENEWAL_*: a RenewalReq */
	time_t		 not_before;	/* no poll before (the server's
					   Retry-After), or 0 */
};
#define TP_RENEWAL_SAMEKEY	1	/* for the current key pair */
#define TP_RENEWAL_NEWKEY	2	/* for the shadow key pair (renew.h) */

int		 tp_pending_save(struct store *, const char *, enum tp_kind,
		    const struct tp_pending *, struct err *);
/* 0 with *p filled, ERR_NOTFOUND when nothing is pending. */
int		 tp_pending_load(struct tp_pending *, struct store *,
		    const char *, enum tp_kind, struct err *);
int		 tp_pending_exists(struct store *, const char *, enum tp_kind);
int		 tp_pending_remove(struct store *, const char *, enum tp_kind,
		    struct err *);
void		 tp_pending_clear(struct tp_pending *);

/*
 * What a stored device certificate is good for now, worst first: its key
 * pair gone (zeroized) or replaced (generated again), listed on a cached
 * CRL, outside its validity.  Show commands print it as the certificate's
 * Status, so that "Available" means usable.
 */
enum tp_cert_state {
	TP_CERT_AVAILABLE = 0,
	TP_CERT_KEY_MISSING,
	TP_CERT_KEY_MISMATCH,
	TP_CERT_REVOKED,
	TP_CERT_EXPIRED,
	TP_CERT_NOT_YET_VALID,
};

/* The key store's half for a device key of kind. */
enum keystore_kind tp_keystore_kind(enum tp_kind);
/*
 * The state of device certificate x of kind, for key pair label, issued
 * by ca (NULL: no revocation check), at now.  Revocation comes from the
 * CRL cache under the store (no network).
 */
enum tp_cert_state tp_cert_state(struct store *, const char *, enum tp_kind,
		    X509 *, X509 *, time_t);
/* "Available", "Key missing", "Key mismatch", "Revoked", ... */
const char	*tp_cert_state_name(enum tp_cert_state);

/*
 * The shadow certificate (renew.h): a renewed router certificate waiting
 * for its switch-over, trustpoints/<tp>/shadow-<kind>.pem (tp_shadow.c).
 * ERR_NOTFOUND when none.
 */
int		 tp_shadow_load(X509 **, struct store *, const char *,
		    enum tp_kind, struct err *);
int		 tp_shadow_store(struct store *, const char *, enum tp_kind,
		    X509 *, struct err *);

#endif
