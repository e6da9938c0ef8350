/*
 * est_msg: EST's (RFC 7030) messages, without the network: the base64
 * bodies, the certs-only PKCS#7 of /cacerts and /simpleenroll, the
 * CsrAttrs of /csrattrs, Retry-After, the tls-unique channel binding and
 * the operation URLs.  Every parser takes bytes from a hostile server:
 * OpenSSL's decoders and an ASN.1 template only, trailing data refused,
 * sizes and counts capped (fuzz/fuzz_est_reply.c).
 */
#ifndef NETPKI_EST_MSG_H
#define NETPKI_EST_MSG_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct err;

#define EST_RESPMAX	(256u * 1024)	/* any EST response body */
#define EST_CERTSMAX	16		/* certificates in one reply */
#define EST_ATTRSMAX	64		/* entries of a CsrAttrs */
#define EST_RETRYMAX	86400L		/* Retry-After beyond: a day */
#define EST_LABELMAX	64
#define EST_TLSUNIQUE_B64 64		/* base64 of a Finished, with NUL */
#define EST_PATH	"/.well-known/est"

/*
 * The base64 body of an EST reply (RFC 7030 4.1.3, 4.2.3, 4.5.2): line
 * breaks and spaces allowed, anything else outside the alphabet refused.
 * what names the operation in messages.  Caller frees *out.
 */
int	 est_b64_decode(unsigned char **, size_t *, const char *, size_t,
	    const char *, struct err *);
/*
 * A certs-only PKCS#7 (a SignedData with no signer, RFC 7030 4.1.3): its
 * certificates, at most EST_CERTSMAX, at least one.  Caller frees *out
 * with sk_X509_pop_free(.., X509_free).
 */
int	 est_certs_parse(STACK_OF(X509) **, const unsigned char *, size_t,
	    const char *, struct err *);
/* The certificates of a base64 certs-only body: both steps above. */
int	 est_certs_b64(STACK_OF(X509) **, const char *, size_t, const char *,
	    struct err *);

#define EST_CURVE_P256	0x01
#define EST_CURVE_P384	0x02
#define EST_CURVE_P521	0x04
/* EST_CURVE_* of a curve NID, 0 for one netpki does not generate. */
unsigned est_curve_bit(int);

/*
 * A /serverkeygen reply (RFC 7030 4.4.2): multipart/mixed (ctype is the
 * reply's Content-Type, with its boundary) of exactly two parts, the
 * private key as base64 PKCS#8 (application/pkcs8, unencrypted: TLS
 * protects it) and the certificate as base64 certs-only PKCS#7.  The
 * caller checks that they belong together.  Caller frees both.
 */
int	 est_skg_parse(EVP_PKEY **, STACK_OF(X509) **, const char *,
	    const char *, size_t, struct err *);

/* What a CsrAttrs (RFC 7030 4.5.2) asks of the request, as far as known. */
struct est_csrattrs {
	int	 challenge;	/* challengePassword: the tls-unique */
	int	 key_nid;	/* NID_rsaEncryption, NID_X9_62_id_ecPublicKey,
				   or NID_undef: any */
	unsigned curves;	/* EC: the curves allowed (EST_CURVE_*), 0:
				   any */
	int	 md_nid;	/* a (signature algorithm's) digest, or
				   NID_undef (SHA-256) */
	int	 serial;	/* serialNumber in the subject */
	int	 other;		/* entries netpki does not act on */
};
/* From the DER (after est_b64_decode); an empty body asks nothing. */
int	 est_csrattrs_parse(struct est_csrattrs *, const unsigned char *,
	    size_t, struct err *);
/*
 * Retry-After (RFC 9110 10.2.3): delta-seconds or an HTTP-date, as
 * seconds from now, capped at EST_RETRYMAX.  -1 when malformed.
 */
long	 est_retry_after(const char *, time_t);
/*
 * tls-unique (RFC 5929 3) of a TLS 1.2 connection in base64, as RFC 7030
 * 3.5 puts it in the challengePassword: ERR_PROTO for TLS 1.3, which has
 * none.
 */
int	 est_tls_unique(char *, size_t, SSL *, struct err *);
/*
 * The channel binding a connection has, in base64: tls-unique on TLS 1.2,
 * tls-exporter (RFC 9266: 32 bytes of "EXPORTER-Channel-Binding", no
 * context) on TLS 1.3, which netpki-ca checks where RFC 7030 has none.
 */
int	 est_channel_binding(char *, size_t, SSL *, struct err *);
/*
 * base/[label/]op; base is the trustpoint's EST URL (trailing '/'
 * ignored).  Caller frees.
 */
char	*est_url(const char *, const char *, const char *);
/* A label is a path segment: 1-64 of [A-Za-z0-9._~-], not "." or "..". */
int	 est_label_ok(const char *);

#endif
