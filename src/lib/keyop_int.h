/*
 * keyop internals shared by keyop.c (the file backend, the key holder),
 * keyop_peer.c (the user's side of the wire) and keyop_prov.c (the
 * provider that makes a remote key an EVP_PKEY).
 */
#ifndef NETPKI_KEYOP_INT_H
#define NETPKI_KEYOP_INT_H

#include <stddef.h>

#include <openssl/provider.h>

#define KEYOP_PROV_NAME		"netpki-keyop"
/* Import-only key parameters: the connection pool and the key slot. */
#define KEYOP_PARAM_PEER	"netpki-keyop-peer"
#define KEYOP_PARAM_SLOT	"netpki-keyop-slot"

void	 keyop_put32(unsigned char *, size_t);
size_t	 keyop_get32(const unsigned char *);
int	 keyop_write_full(int, const unsigned char *, size_t);

/* keyop_prov.c: the provider's entry point (OSSL_provider_init_fn). */
int	 keyop_prov_init(const OSSL_CORE_HANDLE *, const OSSL_DISPATCH *,
	    const OSSL_DISPATCH **, void **);

#endif
