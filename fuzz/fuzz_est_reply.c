/*
 * fuzz_est_reply: EST's response parsers (est_msg.h) on arbitrary bytes:
 * the base64 certs-only body of /cacerts and /simpleenroll, the DER
 * certs-only PKCS#7, the CsrAttrs of /csrattrs (base64 and DER), the
 * multipart/mixed reply of /serverkeygen (boundary "est") and Retry-After.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "err.h"
#include "est_msg.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509)		*certs = NULL;
	struct est_csrattrs	 ca;
	struct err		 e;
	unsigned char		*der = NULL;
	char			 ra[64];
	size_t			 len;

	if (est_certs_b64(&certs, (const char *)data, size, "fuzz", &e) == 0)
		sk_X509_pop_free(certs, X509_free);
	if (est_certs_parse(&certs, data, size, "fuzz", &e) == 0)
		sk_X509_pop_free(certs, X509_free);
	(void)est_csrattrs_parse(&ca, data, size, &e);
	if (est_b64_decode(&der, &len, (const char *)data, size, "fuzz",
	    &e) == 0) {
		(void)est_csrattrs_parse(&ca, der, len, &e);
		free(der);
	}
	{
		EVP_PKEY	*k = NULL;

		if (est_skg_parse(&k, &certs, "multipart/mixed; boundary=est",
		    (const char *)data, size, &e) == 0) {
			EVP_PKEY_free(k);
			sk_X509_pop_free(certs, X509_free);
		}
	}
	len = size < sizeof(ra) - 1 ? size : sizeof(ra) - 1;
	memcpy(ra, data, len);
	ra[len] = '\0';
	(void)est_retry_after(ra, 1700000000);
	return 0;
}
