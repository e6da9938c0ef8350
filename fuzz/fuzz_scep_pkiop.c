/*
 * fuzz_scep_pkiop: the server's PKIOperation parser.  Input: a pkiMessage
 * as netpki-ca receives it.  It is parsed (signature, attribute
 * allow-list), decrypted with a fixed test CA key (the corpus seeds were
 * encrypted for it, so fuzzing reaches the envelope and the inner
 * content), and the inner content is decoded as the server would: a
 * PKCS#10, an IssuerAndSubject, an IssuerAndSerialNumber.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "scep_msg.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A throwaway test CA made with `netpki-ca init --subject "CN=Fuzz CA"`. */
static const char fuzz_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEugIBADANBgkqhkiG9w0BAQEFAASCBKQwggSgAgEAAoIBAQC9+k26HHn5Zd37\n"
	"Z3vyGY4DLG62WZ9+XnRuRpR2Uaujj0qbA7Q7gkOxW27xxHa2ExEugxlOga1LeAQi\n"
	"tNnHJzLgK/S0QXdoShTncEYlucaczcxK1xSEGdofo2ZXg9gF9lE6W/9l24mzDnWe\n"
	"f5K5jgGz2s5b7eSsOOA8ZCUhY/DgIKlBfzWVRtC3p2FnxvreAkUso2M9AX4ahy6c\n"
	"qrn7SgQx33TJol4hpcJDH3k2RrJOAArxsqwLCIY6II761k1AyGN9/Qk8fPJ10Uv7\n"
	"8rzWE+lvUlLsQlaXe8yZz2A+vE8XzFOp3W7DZFAw6bFTbLfj8KUQhRNsYz+3H/8H\n"
	"JwR5sahRAgMBAAECgf5e/MfgRly2VjinexZ99kkLTSwOAMG+bXvJp4CTqEIphXvI\n"
	"BhIXrwopo43VVGYGo4Hzv5jnp+79zQREViiNawwFCfVQK2uIuYG6NmjcdAbaYAvF\n"
	"X8TiSArHxutk1ocsc/wpMdaBF0PCQ3iLxz2ViWtQghar4EZ11fpIN8pY55+Ib+1+\n"
	"F3mgEuo8R2l/o7ND3fHWtRpeoprjvmnsIO8dkGkc9zu8Rmv9DLu4BZMHNxn5FlFe\n"
	"3KPPZX0dGHdaoxfb8FdpsAj19h1rjSGeHpXVwmpGCr7z6xVzzPYxvE84mD3DiJ33\n"
	"BS/RNZ/fEb0Jod1C9DrYE8TK2xJxB3Javl93oQKBgQD9r0nxXCznSDLuzzQZD4pB\n"
	"YkugaOBWPB9sYyQZHpJ3YGxB5JGr9YMV2+VqvL8DWDnbUMKyNDXvRpe8qArJ3QkW\n"
	"YtbKa10BH2t7l+wIbEJEYmnchJqy6gx3ydh4grMNy3Z/7fce13AcmN+jI2FTzVAg\n"
	"yA6SRarXApslmvTiskp0OQKBgQC/titUygDU0REnCnh7/1WYYQngrKc00bUm5HDq\n"
	"X7h/drKBfgxhpTE63bd4X/NslWWatpP0fr/97l2pbJaeZa7mZxdZhSHKkxC2DYZM\n"
	"gSEk+/5salOQ76qA0pHl0jpUlMkQvKACPylRbqbV+U2WTP2Ir9lHaXiuHFESp9Ct\n"
	"W2ZE2QKBgGnpIcTLh8+zW9hJ12VTEJSFli9NOcOm7DOTHIIEOn/uWKQV6h9Rq72X\n"
	"hatPS6v4zIbcq7w8gfv4i+bufTqTtnSLJUNzGWwbkwMRhTBrCiuErs+q6O8jObtV\n"
	"ILQHVPvAYyO71L0ikqLNzChO4BZdlENrYnH89fs4Ek/b5rsyVlU5AoGAIEwvdqRl\n"
	"iXUDX8Fq1PEKWZaXlGth7AscasX3o/SmX4r+vcQfj9/FsHYj77qyhuuQZ4U03e7w\n"
	"p3Yd/2oU4fCdi6F4lJNSQw+NtC4JHyBuFg4CKf+rvnIyFmvjOoW1YASE7zXn+xjq\n"
	"/BYZM1lB0f18hSejAl3pf+OzYOI2zM3mJ9kCgYEAr/zPHv+opm1Hp9rQUJWJDJSH\n"
	"jv75Iw71LnuWHmOJ2t5kZ7tAbn/cpSDHfNn2lNOLRGT20goit+PkRcWy2vy+SgPb\n"
	"ZRrLBlkWXXgVpRzvSElVl4ZIrvUirBeubvI0ZPCAj9RsUeko3K+bed4A3Y+WSukB\n"
	"rsSFXt1i31jInmHjhH8=\n"
	"-----END PRIVATE KEY-----\n";
static const char fuzz_crt[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDEjCCAfqgAwIBAgIRAPCtJ7UYz87zfhY1bQMDFgYwDQYJKoZIhvcNAQELBQAw\n"
	"EjEQMA4GA1UEAwwHRnV6eiBDQTAeFw0yNjExMjYyMzA2NDJaFw0zNjExMjMyMzA2\n"
	"NDJaMBIxEDAOBgNVBAMMB0Z1enogQ0EwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw\n"
	"ggEKAoIBAQC9+k26HHn5Zd37Z3vyGY4DLG62WZ9+XnRuRpR2Uaujj0qbA7Q7gkOx\n"
	"W27xxHa2ExEugxlOga1LeAQitNnHJzLgK/S0QXdoShTncEYlucaczcxK1xSEGdof\n"
	"o2ZXg9gF9lE6W/9l24mzDnWef5K5jgGz2s5b7eSsOOA8ZCUhY/DgIKlBfzWVRtC3\n"
	"p2FnxvreAkUso2M9AX4ahy6cqrn7SgQx33TJol4hpcJDH3k2RrJOAArxsqwLCIY6\n"
	"II761k1AyGN9/Qk8fPJ10Uv78rzWE+lvUlLsQlaXe8yZz2A+vE8XzFOp3W7DZFAw\n"
	"6bFTbLfj8KUQhRNsYz+3H/8HJwR5sahRAgMBAAGjYzBhMA8GA1UdEwEB/wQFMAMB\n"
	"Af8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBT0ZS5fpzd3d3YOo3HFmP62z6CZ\n"
	"QjAfBgNVHSMEGDAWgBT0ZS5fpzd3d3YOo3HFmP62z6CZQjANBgkqhkiG9w0BAQsF\n"
	"AAOCAQEAHkwiBVRyF29ccV3XK0J3U995n4iHSPf2IrHxdnqT9JslrP7r3rRRzizQ\n"
	"qXLFizbmcIVrgnzGO4bieF2QM70mGKLjqKJZAPeRrsHGCcNCkVZmb8PcFisjMIvZ\n"
	"uxn4MdB0UjC0no76xhMMCHaEuz0SMgwv4VXEyIbHbJxjNIUNBEyRz/nGZw5sFUf4\n"
	"08C5y1upf/n2G47sASX1xM/Uritg4cVwBbcdqeC2PQfqLYZgngcm9f0yNB7vUS2o\n"
	"Pg24XIhJuKEqztFuHK7wOB2/yrERaVT+heFGy7cEh58klb774Nk1u0zplW/ZBWvL\n"
	"F2Vx/0Ow+KEBAklQlRjPrzepmwkH5g==\n"
	"-----END CERTIFICATE-----\n";

static void
fuzz_inner(const struct scep_msg *m)
{
	const unsigned char	*p = m->content;
	X509_REQ		*req;
	X509_NAME		*a, *b;
	ASN1_INTEGER		*sn;
	struct err		 e;

	if (m->content == NULL || m->encrypted)
		return;
	switch (m->type) {
	case SCEP_MT_PKCSREQ:
	case SCEP_MT_RENEWALREQ:
		if ((req = d2i_X509_REQ(NULL, &p, (long)m->content_len)) !=
		    NULL) {
			X509_REQ_verify(req, X509_REQ_get0_pubkey(req));
			X509_REQ_free(req);
		}
		break;
	case SCEP_MT_CERTPOLL:
		if (scep_issuer_and_subject_parse(&a, &b, m->content,
		    m->content_len, &e) == 0) {
			X509_NAME_free(a);
			X509_NAME_free(b);
		}
		break;
	default:
		if (scep_issuer_and_serial_parse(&a, &sn, m->content,
		    m->content_len, &e) == 0) {
			X509_NAME_free(a);
			ASN1_INTEGER_free(sn);
		}
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct scep_msg	*m = NULL;
	struct err	 e;
	BIO		*b;
	EVP_PKEY	*key = NULL;
	X509		*crt = NULL;

	b = BIO_new_mem_buf(fuzz_key, -1);
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(fuzz_crt, -1);
	crt = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (key == NULL || crt == NULL)
		abort();
	/* The server's two steps: attributes, then the envelope. */
	if (scep_msg_parse(&m, data, len, NULL, NULL, NULL, &e) == 0) {
		if (m->encrypted && scep_msg_decrypt(m, key, crt, &e) == 0)
			fuzz_inner(m);
		scep_msg_free(m);
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(crt);
	return 0;
}
