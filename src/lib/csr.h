/*
 * csr: the PKCS#10 request a device sends, shared by SCEP and
 * cut-and-paste enrollment, built the way IOS builds it: the subject holds
 * unstructuredName=<hostname>.<domain> (after the subject-name RDNs, plus
 * serialNumber and unstructuredAddress when configured), the challenge
 * password travels as the PKCS#9 challengePassword attribute, usage keys
 * get a key usage extension, and the request is signed with SHA-256.
 */
#ifndef NETPKI_CSR_H
#define NETPKI_CSR_H

#include <openssl/evp.h>
#include <openssl/x509.h>

struct err;

#define CSR_DNMAX	1024	/* subject-name text */
#define CSR_RDNMAX	32	/* attributes in a subject-name */

/* Key usage extension for a usage key; CSR_USAGE_NONE for general keys. */
enum csr_usage {
	CSR_USAGE_NONE = 0,
	CSR_USAGE_SIGN,		/* digitalSignature */
	CSR_USAGE_ENCR,		/* keyEncipherment */
};

struct csr_opts {
	const char	*fqdn;		/* unstructuredName, or NULL */
	const char	*subject;	/* subject-name DN text, or NULL */
	const char	*serial;	/* serialNumber, or NULL */
	const char	*ip_address;	/* unstructuredAddress, or NULL */
	const char	*challenge;	/* challengePassword, or NULL */
	enum csr_usage	 usage;
	const EVP_MD	*md;		/* signature digest; NULL: SHA-256 */
};

/* A signed request for key.  Caller frees with X509_REQ_free. */
int		 csr_build(X509_REQ **, EVP_PKEY *, const struct csr_opts *,
		    struct err *);
/*
 * Parse an RFC 4514 style DN ("CN=r1,O=Example\, Inc.,C=US", most
 * specific first; attribute names in any case).  Caller frees.
 */
int		 csr_parse_dn(X509_NAME **, const char *, struct err *);
/* The same checks without building anything (no OpenSSL calls). */
int		 csr_check_dn(const char *, struct err *);
/* "17D8B38D ED2BDF2E ..." (MD5 of the DER request, as IOS prints it). */
char		*csr_fingerprint(X509_REQ *);
/* PEM text of the request, NUL-terminated.  Caller frees. */
char		*csr_pem(X509_REQ *);

#endif
