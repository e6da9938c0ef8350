/*
 * fuzz_paste: pasted text as crypto ca authenticate and crypto ca import
 * read it: paste_certs, then the CA selection of authenticate, then the
 * import checks against a target made from the input itself (its first
 * certificate as the CA, its last one's public key as the device key), so
 * that every check runs without a key generated per input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/x509.h>

#include "err.h"
#include "paste.h"
#include "scep_client.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509)		*sk = NULL;
	struct scep_cacert	 c;
	struct paste_target	 t;
	struct err		 e;
	enum tp_kind		 kind;
	X509			*x = NULL;

	if (paste_certs(&sk, (const char *)data, size, &e) != 0)
		return 0;
	(void)paste_check_cas(sk, &e);
	if (scep_cacert_select(&c, sk, &e) == 0) {
		(void)scep_cacert_check(&c, 1800000000, &e);
		scep_cacert_clear(&c);
	}
	memset(&t, 0, sizeof(t));
	t.name = "fuzz";
	t.keylabel = "fuzz";
	t.ca = sk_X509_value(sk, 0);
	t.key[TP_KIND_ENCR] = X509_get0_pubkey(sk_X509_value(sk,
	    sk_X509_num(sk) - 1));
	t.have[TP_KIND_GENERAL] = t.ca;
	if (paste_match(&x, &kind, sk, &t, 1800000000, &e) == 0)
		X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}
