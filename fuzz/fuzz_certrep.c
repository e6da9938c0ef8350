/*
 * fuzz_certrep: the client's CertRep path on arbitrary bytes: CMS parse,
 * signer check against the trustpoint's CA, decryption with the device
 * key, the SCEP attribute checks, and the reply checks (transactionID,
 * nonce).  The seeds in fuzz/corpus/certrep/ are real CertReps built for
 * the key and CA below (SUCCESS, PENDING, FAILURE).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "scep_msg.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Test-only material from tests/data/scep/bad (ca.pem, notca.pem/.key). */
static const char fuzz_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDgzCCAmugAwIBAgIBATANBgkqhkiG9w0BAQsFADBiMQswCQYDVQQGEwJVUzEW\n"
    "MBQGA1UECgwNQ2lzY28gU3lzdGVtczEMMAoGA1UECwwDSEZSMS0wKwYDVQQDDCRS\n"
    "b290IG5ldHBraS10ZXN0IENlcnRpZmljYXRlIE1hbmFnZXIwIBcNMjAwMTAxMDAw\n"
    "MDAwWhgPMjA1MDAxMDEwMDAwMDBaMGIxCzAJBgNVBAYTAlVTMRYwFAYDVQQKDA1D\n"
    "aXNjbyBTeXN0ZW1zMQwwCgYDVQQLDANIRlIxLTArBgNVBAMMJFJvb3QgbmV0cGtp\n"
    "LXRlc3QgQ2VydGlmaWNhdGUgTWFuYWdlcjCCASIwDQYJKoZIhvcNAQEBBQADggEP\n"
    "ADCCAQoCggEBALlELQX29nVjAzTCbB5YUQL01ejM6h2O/AYvQY6IZG/tW4Ubb4u2\n"
    "XGD74NuhisYthUAHLTuonlNYfRi1ar2DsuO2WZC7kcexaeiotrP9tfyrCatffoRr\n"
    "X738Z0TNsGpyZy2Wz/rpDV3LvC/FoqQgt5bZqjyRmrLLE2EistrJMtiWn8Fq9O6I\n"
    "c5bnMuSnbLy5Dq1DEUPaV2L8FY06a4WT8tRgybsw5J6KtuOnSC/8jlUM7lULXc4o\n"
    "FTZo4m+L/MC0lEmj4QBEFGyVqYhVNlFUt6cUhDIgUH1SAdXTQzV9pehuShXirqPt\n"
    "u0xgWKulfO3vGt6LpUGqbEwck2+2WdJAQ7kCAwEAAaNCMEAwDwYDVR0TAQH/BAUw\n"
    "AwEB/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFNZfROPV7oR5+x54Zhr6ygw3\n"
    "DLm4MA0GCSqGSIb3DQEBCwUAA4IBAQAPS5xkiI2OH9WDBrLf/3VLOP/NODYZ66ig\n"
    "Lrnn2zNVgSNG12wl0bKlylLSGKkC1yU1Gkp3RKaLBShsYmFzujVQD7wMzoxxZZ0+\n"
    "QmW2Bk9SCtorWvxY9qeFKoYGax6U4FHQJxal6T+usmz4lyRb6C+SLPAztKFGTxG1\n"
    "N1ZhZKD5gvx8Mh6N+6N5uMIlTphho30lW1/yWQ/zNoAsLYSo884g8LhK1lRL/Y95\n"
    "H+ECk6UwBttXmrZExVrH/J0qjzKRA2S9IGHgmIz/+dOg+6b6ku8jXecil7B1bnKj\n"
    "RUPuFYRdLMHvO/EaGbAeHoX4zIO1FeCGdKeTQZkCV08sFKCuqHbZ\n"
    "-----END CERTIFICATE-----\n";
static const char fuzz_me_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDHjCCAgagAwIBAgIBBjANBgkqhkiG9w0BAQsFADA4MQswCQYDVQQGEwJVUzEW\n"
    "MBQGA1UECgwNQ2lzY28gU3lzdGVtczERMA8GA1UEAwwIbm90IGEgQ0EwIBcNMjAw\n"
    "MTAxMDAwMDAwWhgPMjA1MDAxMDEwMDAwMDBaMDgxCzAJBgNVBAYTAlVTMRYwFAYD\n"
    "VQQKDA1DaXNjbyBTeXN0ZW1zMREwDwYDVQQDDAhub3QgYSBDQTCCASIwDQYJKoZI\n"
    "hvcNAQEBBQADggEPADCCAQoCggEBAMQ5b8B3ros6GOfO9xiR5xuJsR/La+jSTSki\n"
    "ekfn+C7uObgWXUbVoRvqTKqrcCCQV7dZHRCOP4HivUq+HVQHF7WLXMlAalL7T75j\n"
    "tnFovenU8XCkNrdfXeokR363/Ajoa7bWnd25KqkBZOuRxbyTbTPapp7VRimES53N\n"
    "kiPBQD4jlQ67aFPj6ivdqhHAcClss6DJq1eXfrg6mizfbGBrpjeCi3U4lww2eTCj\n"
    "HbsrKcWnRgRXfP6EDviwzqPmRNQeV9GdJFDMQSkSSE8ozN7/9K4zzQvd24cLnADo\n"
    "m08GB6zOOeinFOCNXM51Nbdw+G2TXHs9SqiE/bI/imFvg9lCYasCAwEAAaMxMC8w\n"
    "DgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBT5QP+yTdso2wkH0sOK0H56UqdR2zAN\n"
    "BgkqhkiG9w0BAQsFAAOCAQEACeFkxP6qQod20/Ir15fTPp8M9MVhRgd6j1mgzIpA\n"
    "CUE4NocRU+xcSEXnQx4tl0SBe5JO4xgRIgCoPnpaedFxH4e59Ww2eV6OcOOVqsF+\n"
    "SYd0XAUGzls317LSWCdlj5onziWZNXKVXvxrfF81kCRyUYzrA5xtnRfjKiBDfiJZ\n"
    "FE3+teV8AvHW1Bu19nboNKXMBvRGTyDv+hsu2kMgh/yMXgpgYgg5sno2eHRqLVdW\n"
    "0aj3b/Q89jZez53ih6rbOLC14iQYHwXDfRXzzlYbzxLkMXaivzZiyMwTi2hQG7QH\n"
    "GXvTVHb7NZR5FYxSm4ua0fypt7sLyYSrGvNbin9MitQ2/Q==\n"
    "-----END CERTIFICATE-----\n";
static const char fuzz_me_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDEOW/Ad66LOhjn\n"
    "zvcYkecbibEfy2vo0k0pInpH5/gu7jm4Fl1G1aEb6kyqq3AgkFe3WR0Qjj+B4r1K\n"
    "vh1UBxe1i1zJQGpS+0++Y7ZxaL3p1PFwpDa3X13qJEd+t/wI6Gu21p3duSqpAWTr\n"
    "kcW8k20z2qae1UYphEudzZIjwUA+I5UOu2hT4+or3aoRwHApbLOgyatXl364Opos\n"
    "32xga6Y3got1OJcMNnkwox27KynFp0YEV3z+hA74sM6j5kTUHlfRnSRQzEEpEkhP\n"
    "KMze//SuM80L3duHC5wA6JtPBgeszjnopxTgjVzOdTW3cPhtk1x7PUqohP2yP4ph\n"
    "b4PZQmGrAgMBAAECggEABXf+U9RiEnJHkGpVu6MRWFShkZvHQaFe0icqVkeyRIiS\n"
    "Jj3FUryQdWk1wsntYZL0RuFebIAyZ+nMUcFzqsxZzk74golfjTmA0vMPeiCrrlEn\n"
    "e3awKbMoOGbTcUYqaYskuV9I3g2TkUs/J0uUQbmwIPJWk3WpM24C935rtMBljHW/\n"
    "6rWj/853sxwEObLx12XEoHvs48qW9I0YOazZgH2uFnny7nGxS0izjaRJ+qbAT84I\n"
    "BfbhoaImHJSKsNQh4vZDYlO5srene7hwIKh7PaxSvQKgYjUrEpMdiXAzObQPzS93\n"
    "aK3F+gS0gy1X1ygiKr7t8IoY9gXB6/m42SWK0MBRFQKBgQDjW9yYJBFHw/SctzfC\n"
    "ZPFXLrjxP2ZfWMZkPVikXaVlKL4gePhJXLhW3su/Py0G9pEAX9hxF51mZiUg/lt8\n"
    "iBKqvnI4Pn0LMD20yUk9fof/HknELJI896HKjabXwq5l/nqsnoqcAuQxCgXb9egL\n"
    "VevZf4P5bn2Yp0vrAc2DnE/cjQKBgQDc8YNmg7ZkPBSYOIWFAN/934WjE/1wgUuY\n"
    "kdHhrqdWjNW9jcnn7vw6zKR5eShCREgfYTvBwYJpHlUeWjtIP7DN/+FnxQhVGtR1\n"
    "GFLsxV+5YycEwsQL64qZhPQpvMwIYfjtEVJFdO/OghcMUXtJDbCGobycZ7Ck7Cqo\n"
    "2kl++HYVFwKBgFkXeSTBFWhq2CLFBPuO9Kd2LpCSiHoaXnuPMnoOHC68vWwaGykc\n"
    "RTv9SBfkGK/e1Mkxxa3jVBF5O1lnctAkvjPcNwPlMLi+qZ97NND9ESueYceWs6Ni\n"
    "YiruQQ/RQOfExat44NXrqCGzTMJ55Pj0LVxoRH3slxjHjc9EQJUvHnhNAoGAO1MJ\n"
    "4jPJfH55VSoQB9dlTWiAHHqYmWXOI4g736oiumWUWpJAvWr5BNy/6PH0Ml7dMrfL\n"
    "8MmBt7HyTvURZ+PaGGX1YwSPqTJMC6jdUz/n5QJPjsKxGzZCf9goKzDLZBDSYu08\n"
    "tvOgFEXv5FnYjZQEaxHwb9qTnqTfC3mZNGOIaT8CgYEAxlEM2jic+H3Csq7GIM6Z\n"
    "tFI8BnP4vcuX0WeaSfXm/KbQ1PP5k1CkakfTq78wsYVxGThmcpj9q6iqi+axLvpz\n"
    "f582tlHjK4uaUOTYGHgaY0VUeBGl4ntpR998rut+i2spQGHxRxbBaT/PyRfCZVKc\n"
    "0NXaIKBm3vdN5ZljTbZrUS0=\n"
    "-----END PRIVATE KEY-----\n";

#define FUZZ_TRANSID	"FUZZ-TRANSACTION"
static const unsigned char fuzz_nonce[SCEP_NONCE_LEN] = "0123456789abcdef";

static void *
fuzz_pem(const char *pem, int key)
{
	BIO	*b = BIO_new_mem_buf(pem, -1);
	void	*out;

	out = key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) :
	    (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509		*ca, *me;
	static EVP_PKEY		*key;
	static STACK_OF(X509)	*trusted;
	struct scep_msg		*m = NULL;
	struct err		 e;

	if (trusted == NULL) {
		ca = fuzz_pem(fuzz_ca_pem, 0);
		me = fuzz_pem(fuzz_me_pem, 0);
		key = fuzz_pem(fuzz_me_key, 1);
		trusted = sk_X509_new_null();
		sk_X509_push(trusted, ca);
	}
	if (scep_msg_parse(&m, data, size, trusted, key, me, &e) == 0) {
		(void)scep_msg_check_reply(m, FUZZ_TRANSID, fuzz_nonce, &e);
		scep_msg_free(m);
	}
	return 0;
}
