/*
 * scep_server: the SCEP operations of netpki-ca (RFC 8894 section 4),
 * independent of HTTP: GetCACaps, GetCACert and PKIOperation (PKCSReq,
 * RenewalReq, CertPoll, GetCert, GetCRL) in, an HTTP status and body out.
 */
#ifndef NETPKI_CA_SCEP_SERVER_H
#define NETPKI_CA_SCEP_SERVER_H

#include <stddef.h>

#include "ca.h"

struct db;

#define SCEP_SERVER_CAPS \
	"AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\nSHA-512\n" \
	"SCEPStandard\n"

/* Read-only while serving: threads share it. */
struct scep_server {
	const struct ca		*ca;
	char			*challenge;	/* NULL: no challenge needed */
	size_t			 challenge_len;
	int			 manual;	/* PENDING until approve */
	int			 onetime;	/* one-time challenges required */
	struct issue_opts	 issue;
	unsigned char		*cacert;	/* GetCACert body */
	size_t			 cacert_len;
	const char		*cacert_type;
	/*
	 * GetNextCACert bodies by the next generation's number, signed
	 * once at start (a request costs the key process nothing).
	 */
	unsigned char		*nextca[CA_GENMAX + 1];
	size_t			 nextca_len[CA_GENMAX + 1];
};

/*
 * What a PKIOperation came to, for metrics and throttling (http.c): set by
 * scep_server.c, read by the HTTP front.  The log line says the details.
 */
enum scep_outcome {
	SCEP_OUT_NONE = 0,	/* not a PKIOperation, or not decided */
	SCEP_OUT_MALFORMED,	/* HTTP 400: not a verifiable pkiMessage */
	SCEP_OUT_ISSUED,	/* SUCCESS with a newly issued certificate */
	SCEP_OUT_RESENT,	/* SUCCESS with an earlier certificate */
	SCEP_OUT_PENDING,	/* PENDING (manual approval) */
	SCEP_OUT_SUCCESS,	/* SUCCESS of CertPoll/GetCert/GetCRL */
	SCEP_OUT_FAILED,	/* FAILURE for any other reason */
	SCEP_OUT_BADCHALLENGE,	/* FAILURE: challenge missing or wrong */
	SCEP_OUT_POLICY,	/* FAILURE: refused by the request policy */
	SCEP_OUT_UNAVAILABLE,	/* HTTP 503: the store did not answer */
};

struct scep_reply {
	int		 http;		/* HTTP status */
	enum scep_outcome outcome;
	int		 msgtype;	/* SCEP_MT_*, 0 before parsing */
	const char	*type;		/* Content-Type */
	unsigned char	*body;		/* malloc'd */
	size_t		 len;
	char		 note[4096];	/* what the log line says; no secrets */
	long		 retry;		/* Retry-After (EST 202), or 0 */
	const char	*authn;		/* WWW-Authenticate (401), or NULL */
};

/* Append to the reply's note (printf). */
void	 scep_reply_note(struct scep_reply *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Store errors that mean "no answer", as opposed to "no such row". */
int	 scep_store_down(const struct err *);

int	 scep_server_init(struct scep_server *, const struct ca *,
	    struct err *);
void	 scep_server_clear(struct scep_server *);
void	 scep_reply_clear(struct scep_reply *);

/*
 * db: the store, read for the CA generation in force (rollover); NULL:
 * the generations as read at start (serve's HTTP GETs).  GetCACaps adds
 * GetNextCACert while a next CA waits for its switch-over; GetCACert
 * answers the CA in force.
 */
int	 scep_server_getcacaps(const struct scep_server *, struct db *,
	    struct scep_reply *);
int	 scep_server_getcacert(const struct scep_server *, struct db *,
	    struct scep_reply *);
/*
 * RFC 8894 4.7: the next CA certificate (and the link certificate that
 * certifies its key with the current one) in a degenerate PKCS#7, inside
 * a SignedData signed by the current CA's key; HTTP 404 without one.
 */
int	 scep_server_getnextcacert(const struct scep_server *, struct db *,
	    struct scep_reply *);
/* Always fills the reply (HTTP 400 or a CertRep); returns 0 or -1 on OOM. */
int	 scep_server_pkiop(const struct scep_server *, struct db *,
	    const unsigned char *, size_t, struct scep_reply *);

/*
 * The authorisation rules SCEP and EST (est_server.c) share.
 * cert_ok: was x issued by a generation of this CA (root's list, up to
 * cur, the one in force; NULL: any), valid now and not revoked?  1 yes,
 * 0 no, -1 the store did not answer (*e).
 */
int	 scep_server_cert_ok(const struct ca *, const struct ca *,
	    struct db *, X509 *, struct err *);
/* A certificate renews only its own identity (RFC 8894 3.3.1.2). */
int	 scep_server_same_identity(const struct policy *, struct scep_reply *,
	    X509 *, X509_REQ *);
/* The challenge (static or one-time) opens: 1, 0, -1 (store down). */
int	 scep_server_challenge_ok(const struct scep_server *, struct db *,
	    struct scep_reply *, const char *, X509_NAME *, int, int *,
	    struct err *);
/* The request's hash for resends: CSR and signer (or NULL). */
int	 scep_server_reqhash(char *, const struct db_request *, X509 *);

/* Issue the certificate of a pending request (`approve`). */
int	 scep_server_approve(const struct ca *, struct db *, int64_t,
	    const struct issue_opts *, char *, size_t, struct err *);

#endif
