/*
 * fuzz_pubkey: the pasted-public-key parser (PEM PUBLIC KEY, RSA PUBLIC
 * KEY, ssh-rsa lines) on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"
#include "keystore.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	EVP_PKEY	*pk = NULL;
	struct err	 e;

	if (keystore_pubkey_parse(&pk, (const char *)data, len, &e) == 0 &&
	    pk == NULL)
		__builtin_trap();
	EVP_PKEY_free(pk);
	return 0;
}
