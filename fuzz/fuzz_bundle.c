/*
 * fuzz_bundle: the trust pool bundle parser (PEM, PKCS#7 degenerate and
 * signed) on arbitrary bytes.  A signed bundle is checked against one
 * fixed anchor so that the signature path runs too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "trustpool.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* rootA of tests/data/trustpool: the signer of bundle-signed.p7b chains to it. */
static const char	fuzz_anchor[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpjCCAUygAwIBAgIQX/h7KCtU3I1CoxW1aMmt/zAKBggqhkjOPQQDAjAzMRQw\n"
    "EgYDVQQKDAtOZXRQS0kgVGVzdDEbMBkGA1UEAwwSTmV0UEtJIFRlc3QgUm9vdCBB\n"
    "MB4XDTIzMDEwMTAwMDAwMFoXDTMzMDEwMTAwMDAwMFowMzEUMBIGA1UECgwLTmV0\n"
    "UEtJIFRlc3QxGzAZBgNVBAMMEk5ldFBLSSBUZXN0IFJvb3QgQTBZMBMGByqGSM49\n"
    "AgEGCCqGSM49AwEHA0IABP46AUCqfjWr58ocNKAPPX+OgR387KHVQpxQKCrrW4zw\n"
    "UGMMh6ImPMJjC1eLbAKuV3KVPp2hhCKaFHLJGzAfMlOjQjBAMA8GA1UdEwEB/wQF\n"
    "MAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSER9X3U48KAJR9R94wqEov\n"
    "s5SP+TAKBggqhkjOPQQDAgNIADBFAiA2bpmyjU06yeVVxpIpDEvegDV6hLGaEHus\n"
    "IH15OEt2gwIhAMqtKz5rNpv4W4SLgQUBU/SbIycq+hc2lXmZjPb5xTL9\n"
    "-----END CERTIFICATE-----\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trustpool_bundle	*b = NULL;
	STACK_OF(X509)		*anchors = NULL;
	struct err		 e;
	BIO			*bio;
	X509			*x = NULL;

	if ((bio = BIO_new_mem_buf(fuzz_anchor, -1)) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x != NULL && (anchors = sk_X509_new_null()) != NULL &&
	    sk_X509_push(anchors, x) > 0)
		x = NULL;
	X509_free(x);
	if (trustpool_bundle_parse(&b, data, size, anchors, 1700000000,
	    &e) == 0 && sk_X509_num(b->certs) == 0)
		__builtin_trap();	/* an accepted bundle has a CA */
	trustpool_bundle_free(b);
	sk_X509_pop_free(anchors, X509_free);
	return 0;
}
