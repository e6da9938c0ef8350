/*
 * fuzz_tftp: what TFTP enrollment reads from outside: a file from the
 * server (.ca, .crt: DER certificate, DER PKCS#7 or text) through
 * tftp_certs_parse, and the enrollment URL through tftp_target_parse and
 * the file names built from it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "err.h"
#include "tftp_enroll.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509)		*sk = NULL;
	struct tftp_target	 t;
	struct err		 e;
	char			*url, file[TFTP_NAMEMAX + 16], buf[1600];

	if (tftp_certs_parse(&sk, data, size, &e) == 0)
		sk_X509_pop_free(sk, X509_free);
	if (size > 2048 || (url = malloc(size + 1)) == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (tftp_is_url(url) && tftp_target_parse(&t, url, "r1.example.net",
	    &e) == 0 && tftp_file(file, sizeof(file), &t, "req", TP_KIND_SIGN,
	    1) == 0)
		(void)tftp_url(buf, sizeof(buf), &t, file);
	free(url);
	return 0;
}
