/*
 * fuzz_nextca: the GetNextCACert answer parser and its judgement
 * (tp_nextca_parse) on arbitrary bytes, against a fixed current CA whose
 * key signed the corpus' good answers (fuzz/corpus/nextca/); the same
 * bytes' certificates as an EST /cacerts answer (tp_nextca_from_cacerts).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "tp_rollover.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* CN=Fuzz Old CA, P-256, 2026-12-05 to 2036-12-02. */
static const char fuzz_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkDCCATegAwIBAgIUP3P7BkcvrLEET9/6N+o3lVhWJ3UwCgYIKoZIzj0EAwIw\n"
    "FjEUMBIGA1UEAwwLRnV6eiBPbGQgQ0EwHhcNMjYxMjA1MDgwNTU5WhcNMzYxMjAy\n"
    "MDgwNTU5WjAWMRQwEgYDVQQDDAtGdXp6IE9sZCBDQTBZMBMGByqGSM49AgEGCCqG\n"
    "SM49AwEHA0IABCUuLHEZSf11MpjBTdGVlWh4lY1wahYCjjXpIWiUWFrRZupdwNHA\n"
    "ojweux84+2FG8Eq0MdhKmCZ3AAcWODZWDVyjYzBhMB0GA1UdDgQWBBSlYag7x9Wb\n"
    "H8z5VfE8iqVQudkX/DAfBgNVHSMEGDAWgBSlYag7x9WbH8z5VfE8iqVQudkX/DAP\n"
    "BgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNHADBE\n"
    "AiBQfOM96JsvbB7nMHwIkiU30Uka25nX7G6gO6OewBvmnAIgGke8Jw24JgrlcQ2Q\n"
    "cPf1TghuJxgcsGTbvIhQxI+4CPQ=\n"
    "-----END CERTIFICATE-----\n"
    ;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_nextca n;
	struct err	 e;
	STACK_OF(X509)	*certs = NULL, *chain = NULL;
	BIO		*bio;
	X509		*ca;

	if ((bio = BIO_new_mem_buf(fuzz_ca_pem, -1)) == NULL)
		return 0;
	ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (ca == NULL)
		return 0;
	/* 2027-01-15: both the current and the corpus' next CA are valid. */
	if (tp_nextca_parse(&n, data, size, ca, 1800000000, &e) == 0)
		tp_nextca_clear(&n);
	if (cert_parse_any(&certs, data, size, TP_NEXTCA_CERTMAX, &e) == 0 &&
	    (chain = sk_X509_new_null()) != NULL && sk_X509_push(chain, ca) &&
	    tp_nextca_from_cacerts(&n, certs, chain, 1800000000, &e) == 0)
		tp_nextca_clear(&n);
	sk_X509_free(chain);
	sk_X509_pop_free(certs, X509_free);
	X509_free(ca);
	return 0;
}
