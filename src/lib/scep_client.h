/*
 * scep_client: the client side of SCEP (RFC 8894) over fetch (libcurl):
 * GetCACaps, GetCACert with CA/RA selection, PKIOperation by POST or GET,
 * and the enrollment exchange (PKCSReq, then CertPoll while PENDING).
 * Messages themselves are built and checked by scep_msg.
 */
#ifndef NETPKI_SCEP_CLIENT_H
#define NETPKI_SCEP_CLIENT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct err;
struct fetch_opts;

#define SCEP_RESPMAX		(1024u * 1024)	/* every HTTP response */
#define SCEP_CACERTMAX		16		/* certificates in GetCACert */
#define SCEP_CAPSMAX		64		/* capability lines */

/* GetCACaps keywords (RFC 8894 3.5.2). */
#define SCEP_CAP_POST		0x0001	/* POSTPKIOperation */
#define SCEP_CAP_AES		0x0002
#define SCEP_CAP_DES3		0x0004
#define SCEP_CAP_SHA1		0x0008
#define SCEP_CAP_SHA256		0x0010
#define SCEP_CAP_SHA512		0x0020
#define SCEP_CAP_RENEWAL	0x0040
#define SCEP_CAP_NEXTCA		0x0080	/* GetNextCACert */
#define SCEP_CAP_STANDARD	0x0100	/* SCEPStandard: AES, POST, SHA-256 */

/* Parse a GetCACaps body (one keyword a line; unknown ones ignored). */
int		 scep_caps_parse(unsigned *, const char *, size_t,
		    struct err *);
/* "AES POST SHA-256 ..." for messages; static buffer of the caller. */
void		 scep_caps_str(char *, size_t, unsigned);

/* What GetCACert selected (RFC 8894 3.5.1, 4.2). */
struct scep_cacert {
	STACK_OF(X509)	*chain;		/* issuing CA first, then up */
	X509		*ca;		/* borrowed: chain[0] */
	X509		*ra_sign;	/* CertRep signer, or NULL */
	X509		*ra_encr;	/* request recipient, or NULL */
	int		 ncerts;	/* certificates the server sent */
};

/*
 * Parse a GetCACert response: one DER certificate, or a degenerate
 * PKCS#7 with the CA chain and RA certificates.  The issuing CA is the CA
 * certificate that issued the RA certificates (or, without RA, the one no
 * other CA certificate in the set was issued by); RA certificates are
 * told apart by key usage (digitalSignature: signer, keyEncipherment:
 * recipient; one certificate may be both), as NDES and OpenXPKI serve
 * them.  HTML answers, trailing data and more than SCEP_CACERTMAX
 * certificates are refused.  Free with scep_cacert_clear.
 */
int		 scep_cacert_parse(struct scep_cacert *, const unsigned char *,
		    size_t, const char *, struct err *);
/*
 * The same selection over certificates already parsed (pasted by the
 * operator for enrollment terminal); all stays the caller's.
 */
int		 scep_cacert_select(struct scep_cacert *, STACK_OF(X509) *,
		    struct err *);
void		 scep_cacert_clear(struct scep_cacert *);
/*
 * Checks before the CA is shown to the user: the CA certificate is a CA
 * and valid at now, the chain verifies, the RA certificates are issued by
 * the CA and valid.
 */
int		 scep_cacert_check(const struct scep_cacert *, time_t,
		    struct err *);

/*
 * Transport.  url is the trustpoint's enrollment URL (path included).
 * Responses are capped at SCEP_RESPMAX.
 */
int		 scep_getcacaps(unsigned *, const char *,
		    const struct fetch_opts *, struct err *);
int		 scep_getcacert(struct scep_cacert *, const char *,
		    const char *, const struct fetch_opts *, struct err *);
/*
 * Send a pkiMessage: POST when caps offer POSTPKIOperation or
 * SCEPStandard, else GET with base64 and URL escaping.  *out is the
 * response body (caller frees).
 */
int		 scep_pkiop(unsigned char **, size_t *, const char *, unsigned,
		    const unsigned char *, size_t, const struct fetch_opts *,
		    struct err *);
/* "<url>?operation=<op>[&message=<msg>]"; caller frees. */
char		*scep_url(const char *, const char *, const char *);

/*
 * One enrollment exchange for one key (RFC 8894 3.3): PKCSReq, then
 * CertPoll while the CA answers PENDING.  The caller fills the inputs;
 * the functions fill the outputs.  Nothing here touches the disk.
 */
struct scep_enroll {
	/* inputs, borrowed */
	const char		*url;
	unsigned		 caps;		/* from GetCACaps */
	const struct fetch_opts	*fopts;
	STACK_OF(X509)		*trusted;	/* CA and RA: may sign CertReps */
	X509			*ca;		/* the issuing CA */
	X509			*ca_next;	/* CA rollover: the next CA
						   may issue too, or NULL */
	X509			*recipient;	/* RA encryption cert or the CA */
	EVP_PKEY		*key;		/* the device key */
	X509			*signer;	/* self-signed, for key; or
						   the current certificate */
	/*
	 * A renewal (RFC 8894 3.3.1.2): type SCEP_MT_RENEWALREQ (0 is
	 * PKCSReq), signed with the current certificate and key, and
	 * reqkey the new key pair the request is for (NULL: key).
	 */
	int			 type;
	EVP_PKEY		*reqkey;
	const X509_NAME		*subject;	/* the request's subject */
	time_t			 now;
	/* kept between calls (set by scep_enroll_request) */
	char			 transid[128 + 1];	/* SCEP_TRANSID_MAX */
	/* outputs */
	X509			*cert;		/* SUCCESS: the certificate */
	int			 ca_failed;	/* the CA answered FAILURE */
	int			 failinfo;	/* FAILURE: SCEP_FAIL_* or -1 */
	char			 failtext[256];	/* FAILURE: failInfoText */
	int			 weak_cipher;	/* reply used single DES ... */
	char			 cipher[32];	/* ... named here */
	char			 md[16];	/* digest the reply was signed with */
};

/* Cipher and digest the caps allow; *weak set when not AES / SHA-2. */
int		 scep_pick_cipher(unsigned, int *);
const char	*scep_pick_md(unsigned, int *);
/*
 * Send a PKCSReq (or the RenewalReq of type) with req (DER).  A PKCSReq's
 * transactionID is derived from the public key (a resend is the same
 * transaction); a RenewalReq's is fresh, so that a renewal with the same
 * key is not taken for a resend of the first enrollment.  0: e->cert set; ERR_PENDING: poll
 * later; ERR_REFUSED: the CA said FAILURE (failinfo, failtext); others:
 * a transport or protocol error, the message names the check.
 */
int		 scep_enroll_request(struct scep_enroll *, X509_REQ *,
		    struct err *);
/* Send a CertPoll for transid; same results. */
int		 scep_enroll_poll(struct scep_enroll *, struct err *);
void		 scep_enroll_clear(struct scep_enroll *);

#endif
