/*
 * cert: certificate helpers shared by every module that shows or checks
 * certificates: names and times in the reference text's formats,
 * fingerprints, PEM/DER loading with caps.
 */
#ifndef NETPKI_CERT_H
#define NETPKI_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

struct err;

/* "07:00:00 UTC Tue Aug 19 2003" (buf >= 32) */
void		 cert_fmt_time(char *, size_t, time_t);
int		 cert_asn1_time(const ASN1_TIME *, time_t *);
/*
 * Name as the reference text prints it.  CERT_DN_LOWER: "cn=Root,ou=HFR,
 * o=Cisco Systems,c=US" (trustpoints); CERT_DN_UPPER: "CN=Cisco Root CA
 * 2048,O=Cisco Systems" (trust pool).  Most specific RDN first, like
 * RFC 4514.  Caller frees.
 */
#define CERT_DN_LOWER	0
#define CERT_DN_UPPER	1
char		*cert_dn(const X509_NAME *, int);
/*
 * Fingerprint of DER bytes with md ("MD5", "SHA1", "SHA256").  sep: 0 for
 * plain hex, ' ' or ':' between bytes, or 'w' for groups of four bytes
 * separated by spaces ("17D8B38D ED2BDF2E ...").  Caller frees.
 */
char		*cert_fingerprint(const unsigned char *, size_t, const char *,
		    int);
char		*cert_x509_fingerprint(X509 *, const char *, int);
/*
 * The DER encoding of obj, an OpenSSL object of ASN.1 type it (e.g.
 * ASN1_ITEM_rptr(X509), ASN1_ITEM_rptr(PKCS7)), in *out from malloc():
 * the caller frees it with free(), never OPENSSL_free().  what names the
 * object in the error: "cannot encode <what>".
 */
int		 cert_der_dup(unsigned char **out, size_t *outlen,
		    const void *obj, const ASN1_ITEM *it, const char *what,
		    struct err *e);
/* Serial as the reference prints it: "01", "6E" (uppercase hex, even). */
char		*cert_serial_hex(const X509 *, int);

/*
 * Parse one or more certificates from PEM (any number of CERTIFICATE
 * blocks), DER, or a degenerate PKCS#7 (DER or PEM).  Caps: input size
 * and maxcount.  *out is a new stack the caller frees with
 * sk_X509_pop_free(.., X509_free).
 */
int		 cert_parse_any(STACK_OF(X509) **, const unsigned char *,
		    size_t, size_t, struct err *);
int		 cert_is_ca(X509 *);
/*
 * RFC 5280 4.1.1.2 and 5.1.1.2: the signatureAlgorithm outside the signed
 * part must be the one inside it, or a verifier may be talked into one
 * algorithm while the signer meant another.  cert_sigalg_check for a
 * parsed certificate; cert_der_sigalg_check for the DER of any SIGNED{}
 * structure (certificate, CRL), compared byte for byte; what names it in
 * the message ("certificate", "CRL").  0 or ERR_INVAL.
 */
int		 cert_sigalg_check(const X509 *, struct err *);
int		 cert_der_sigalg_check(const unsigned char *, size_t,
		    const char *, struct err *);
int		 cert_is_self_signed(X509 *);

#endif
