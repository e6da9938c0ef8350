/*
 * est_server: the EST operations of netpki-ca (RFC 7030 section 4),
 * independent of HTTP like scep_server: a parsed path, the request's
 * credentials (TLS client certificate, HTTP basic, channel binding) and
 * body in, an HTTP status and body out (struct scep_reply).  Issuance and
 * its authorisation are SCEP's (scep_server.h, issue.c, challenge.h): the
 * same challenges, identity rule for renewal, policy, records and
 * metrics.
 */
#ifndef NETPKI_CA_EST_SERVER_H
#define NETPKI_CA_EST_SERVER_H

#include <stddef.h>

#include <openssl/x509.h>

struct ca;
struct db;
struct err;
struct policy;
struct scep_reply;
struct scep_server;

#define EST_PREFIX	"/.well-known/est/"
#define EST_LABELMAX	64	/* RFC 7030 3.2.2: a label's length */
#define EST_CBMAX	64	/* channel binding bytes (tls-unique: 12) */
#define EST_BASICMAX	256	/* an Authorization header's length */
#define EST_RETRY	60	/* Retry-After of a 202, seconds */
#define EST_TYPE_CERTS	"application/pkcs7-mime; smime-type=certs-only"
#define EST_TYPE_PKCS10	"application/pkcs10"
#define EST_TYPE_ATTRS	"application/csrattrs"
#define EST_BOUNDARY	"netpki-est-serverkeygen"
#define EST_TYPE_MULTI	"multipart/mixed; boundary=" EST_BOUNDARY

enum est_op {
	EST_OP_NONE = 0,
	EST_OP_CACERTS,
	EST_OP_CSRATTRS,
	EST_OP_ENROLL,
	EST_OP_REENROLL,
	EST_OP_SERVERKEYGEN,	/* 4.4: the server makes the key */
};

/* What the channel binding in a CSR's challengePassword is made of. */
enum est_cb {
	EST_CB_NONE = 0,	/* not over TLS, or none known */
	EST_CB_TLS_UNIQUE,	/* TLS 1.2: RFC 5929 tls-unique */
	EST_CB_TLS_EXPORTER,	/* TLS 1.3: RFC 9266 tls-exporter */
};

/* Read-only while serving: threads share it. */
struct est_server {
	const struct scep_server *scep;	/* CA, challenges, approval, issue */
	unsigned char		*cacerts;	/* base64 certs-only PKCS#7 */
	size_t			 cacerts_len;
	int			 binding;	/* the CSR must carry it */
};

/* One EST request, as the HTTP front found it. */
struct est_req {
	enum est_op		 op;
	const struct policy	*policy;	/* the label's; NULL: default */
	const char		*ctype;		/* Content-Type, or NULL */
	const char		*authz;		/* Authorization, or NULL */
	const unsigned char	*body;
	size_t			 len;
	X509			*peer;		/* TLS client cert, or NULL */
	enum est_cb		 cbtype;
	unsigned char		 cb[EST_CBMAX];
	size_t			 cblen;
};

int	 est_server_init(struct est_server *, const struct scep_server *,
	    struct err *);
void	 est_server_clear(struct est_server *);
/*
 * The path after EST_PREFIX: "OP" or "LABEL/OP".  0 and *op, *policy
 * (the label's, from policy.conf's `label NAME` sections; NULL for the
 * default); ERR_NOTFOUND: no such label or operation.
 */
int	 est_server_path(enum est_op *, const struct policy **,
	    const struct est_server *, const char *);
/* GET /cacerts, /csrattrs: always fills the reply; -1 on OOM. */
int	 est_server_get(const struct est_server *, const struct est_req *,
	    struct scep_reply *);
/*
 * POST /simpleenroll, /simplereenroll, /serverkeygen: the same; in a
 * worker.  serverkeygen (RFC 7030 4.4): a new key of the CSR's type (the
 * CSR is the template: subject, extensions), never stored or logged,
 * returned with its certificate as multipart/mixed (application/pkcs8,
 * then the certs-only PKCS#7); refused under manual approval, which would
 * have to keep the key until `approve`.
 */
int	 est_server_enroll(const struct est_server *, struct db *,
	    const struct est_req *, struct scep_reply *);

/*
 * est_tls.c.  serve --est-listen without --tls-cert: the CA's own TLS server
 * certificate for CN=name (an IP address or DNS name, which the policy
 * turns into the subjectAltName), DIR/est-tls.crt and DIR/est-tls.key
 * (0600): reused while a generation of this CA issued it, it names name
 * and has more than EST_TLS_RENEW seconds left; else a new P-256 key and
 * a certificate the generation in force issues as sign-csr issues (in
 * the store: `list` shows it, `revoke` works).  *cert, *key: PEM text,
 * malloc'd.
 */
#define EST_TLS_FILE	"est-tls"
#define EST_TLS_RENEW	(30 * 86400)
struct issue_opts;
int	 est_tls_self(char **, char **, const struct ca *,
	    struct db *, const char *, const struct issue_opts *,
	    struct err *);

/* The parsers, for the fuzz target. */
/*
 * "Basic BASE64(user:password)" to the challenge text: "ID-SECRET" when
 * the user is a one-time challenge's ID and the password its secret or
 * the whole challenge, else the password.  0, or ERR_INVAL.
 */
int	 est_basic_parse(char *, size_t, const char *);
/*
 * base64 (whitespace allowed) to DER, malloc'd: EST's bodies and
 * SCEP's GET PKIOperation.
 */
int	 est_base64_decode(unsigned char **, size_t *, const unsigned char *,
	    size_t);
/* Is the Content-Type this media type (parameters allowed)? */
int	 est_ctype_is(const char *, const char *);
/* The CsrAttrs (RFC 7030 4.5.2) the policy asks for; DER, malloc'd. */
int	 est_csrattrs_der(unsigned char **, size_t *, const struct policy *,
	    int, struct err *);

#endif
