/*
 * scep_msg: a PKCSReq built as a client, parsed as the server, answered
 * with CertRep SUCCESS/PENDING/FAILURE and parsed back as the client; then
 * the tampering cases a client or server must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "scep_msg.h"

struct fixture {
	EVP_PKEY	*ca_key, *cl_key, *other_key;
	X509		*ca, *cl_signer, *other;
	X509		*issued;
	STACK_OF(X509)	*trusted;
	unsigned char	*csr;
	size_t		 csr_len;
	char		 tid[SCEP_TRANSID_MAX + 1];
	unsigned char	 nonce[SCEP_NONCE_LEN];
};

static EVP_PKEY *
genrsa(void)
{
	EVP_PKEY	*k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

static X509_NAME *
mkname(const char *cn)
{
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

/* A CA certificate whose key usage includes digitalSignature. */
static X509 *
mkca(EVP_PKEY *key, const char *cn)
{
	X509		*x;
	X509_NAME	*n = mkname(cn);
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;
	struct err	 e;

	assert_int_equal(scep_signer_selfsigned(&x, key, n, 30, &e), 0);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	    "critical,digitalSignature,keyCertSign,cRLSign");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	X509_REQ	*req;
	X509_NAME	*n;
	unsigned char	*der = NULL;
	struct err	 e;
	int		 len;

	assert_non_null(f);
	f->ca_key = genrsa();
	f->cl_key = genrsa();
	f->other_key = genrsa();
	f->ca = mkca(f->ca_key, "Test CA");
	f->other = mkca(f->other_key, "Other CA");
	n = mkname("router.example.com");
	assert_int_equal(scep_signer_selfsigned(&f->cl_signer, f->cl_key, n,
	    1, &e), 0);
	/* The "issued" certificate: the client's key, signed by the CA. */
	f->issued = X509_dup(f->cl_signer);
	X509_set_issuer_name(f->issued, X509_get_subject_name(f->ca));
	assert_true(X509_sign(f->issued, f->ca_key, EVP_sha256()) > 0);
	req = X509_REQ_new();
	X509_REQ_set_subject_name(req, n);
	X509_REQ_set_pubkey(req, f->cl_key);
	X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)"s3cret", -1);
	assert_true(X509_REQ_sign(req, f->cl_key, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	f->csr = malloc((size_t)len);
	memcpy(f->csr, der, (size_t)len);
	f->csr_len = (size_t)len;
	OPENSSL_free(der);
	X509_REQ_free(req);
	X509_NAME_free(n);
	f->trusted = sk_X509_new_null();
	sk_X509_push(f->trusted, f->ca);
	assert_int_equal(scep_transid(f->tid, sizeof(f->tid), f->cl_key, &e),
	    0);
	/* From the request's encoded public key: the same transactionID. */
	{
		char	 tid2[SCEP_TRANSID_MAX + 1];

		req = X509_REQ_new();
		assert_true(X509_REQ_set_pubkey(req, f->cl_key));
		assert_int_equal(scep_transid_spki(tid2, sizeof(tid2),
		    X509_REQ_get_X509_PUBKEY(req), &e), 0);
		assert_string_equal(tid2, f->tid);
		assert_int_equal(strlen(tid2), 64);
		X509_REQ_free(req);
	}
	assert_int_equal(scep_nonce(f->nonce, &e), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	sk_X509_free(f->trusted);
	X509_free(f->ca);
	X509_free(f->other);
	X509_free(f->cl_signer);
	X509_free(f->issued);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->cl_key);
	EVP_PKEY_free(f->other_key);
	free(f->csr);
	free(f);
	return 0;
}

static void
build_pkcsreq(struct fixture *f, int cipher, const char *md,
    unsigned char **der, size_t *len)
{
	struct scep_build	 b;
	struct err		 e;

	memset(&b, 0, sizeof(b));
	b.type = SCEP_MT_PKCSREQ;
	b.content = f->csr;
	b.content_len = f->csr_len;
	b.recipient = f->ca;
	b.cipher = cipher;
	b.signer = f->cl_signer;
	b.signer_key = f->cl_key;
	b.md = md;
	b.transid = f->tid;
	b.sender_nonce = f->nonce;
	assert_int_equal(scep_msg_build(der, len, &b, &e), 0);
}

/* The server's CertRep to req, signed by the CA (or by signkey/signcert). */
static void
build_certrep(struct fixture *f, const struct scep_msg *req, int status,
    X509 *signcert, EVP_PKEY *signkey, unsigned char **der, size_t *len)
{
	struct scep_build	 b;
	STACK_OF(X509)		*certs = sk_X509_new_null();
	unsigned char		 nonce[SCEP_NONCE_LEN], *p7 = NULL;
	size_t			 p7len = 0;
	struct err		 e;

	assert_int_equal(scep_nonce(nonce, &e), 0);
	memset(&b, 0, sizeof(b));
	b.type = SCEP_MT_CERTREP;
	b.status = status;
	if (status == SCEP_STATUS_SUCCESS) {
		sk_X509_push(certs, f->issued);
		assert_int_equal(scep_degenerate_build(&p7, &p7len, certs,
		    NULL, &e), 0);
		b.content = p7;
		b.content_len = p7len;
		b.recipient = req->signer;
		b.cipher = SCEP_CIPHER_AES128;
	}
	if (status == SCEP_STATUS_FAILURE) {
		b.failinfo = SCEP_FAIL_BADREQUEST;
		b.failinfo_text = "challenge password does not match";
	}
	b.signer = signcert ? signcert : f->ca;
	b.signer_key = signkey ? signkey : f->ca_key;
	b.md = req->md;
	b.transid = req->transid;
	b.sender_nonce = nonce;
	b.recipient_nonce = req->sender_nonce;
	assert_int_equal(scep_msg_build(der, len, &b, &e), 0);
	free(p7);
	sk_X509_free(certs);
}

static struct scep_msg *
server_parse(struct fixture *f, const unsigned char *der, size_t len)
{
	struct scep_msg	*m = NULL;
	struct err	 e;
	int		 rc;

	rc = scep_msg_parse(&m, der, len, NULL, f->ca_key, f->ca, &e);
	if (rc != 0)
		fail_msg("server parse: %s", e.msg);
	return m;
}

static void
test_pkcsreq_roundtrip(void **state)
{
	struct fixture	*f = *state;
	struct scep_msg	*req, *rep;
	unsigned char	*der, *rder;
	size_t		 len, rlen;
	struct err	 e;
	int		 ciphers[] = { SCEP_CIPHER_AES128, SCEP_CIPHER_AES256,
			    SCEP_CIPHER_3DES };
	const char	*names[] = { "AES-128-CBC", "AES-256-CBC",
			    "DES-EDE3-CBC" };
	const char	*mds[] = { "SHA256", "SHA1", "SHA512" };
	size_t		 i;

	assert_int_equal(strlen(f->tid), 64);
	for (i = 0; i < 3; i++) {
		build_pkcsreq(f, ciphers[i], mds[i], &der, &len);
		req = server_parse(f, der, len);
		assert_int_equal(req->type, SCEP_MT_PKCSREQ);
		assert_int_equal(req->status, -1);
		assert_string_equal(req->transid, f->tid);
		assert_string_equal(req->md, mds[i]);
		assert_string_equal(req->cipher, names[i]);
		assert_false(req->weak_cipher);
		assert_true(req->has_sender_nonce);
		assert_memory_equal(req->sender_nonce, f->nonce, SCEP_NONCE_LEN);
		assert_int_equal(req->content_len, f->csr_len);
		assert_memory_equal(req->content, f->csr, f->csr_len);
		assert_int_equal(X509_cmp(req->signer, f->cl_signer), 0);

		build_certrep(f, req, SCEP_STATUS_SUCCESS, NULL, NULL, &rder,
		    &rlen);
		assert_int_equal(scep_msg_parse(&rep, rder, rlen, f->trusted,
		    f->cl_key, f->cl_signer, &e), 0);
		assert_int_equal(scep_msg_check_reply(rep, f->tid, f->nonce,
		    &e), 0);
		assert_int_equal(rep->status, SCEP_STATUS_SUCCESS);
		assert_string_equal(rep->md, mds[i]);
		assert_int_equal(sk_X509_num(rep->certs), 1);
		assert_int_equal(X509_cmp(sk_X509_value(rep->certs, 0),
		    f->issued), 0);
		assert_null(rep->crl);
		scep_msg_free(rep);
		scep_msg_free(req);
		free(rder);
		free(der);
	}
}

static void
test_pending_failure(void **state)
{
	struct fixture	*f = *state;
	struct scep_msg	*req, *rep;
	unsigned char	*der, *rder;
	size_t		 len, rlen;
	struct err	 e;

	build_pkcsreq(f, SCEP_CIPHER_AES128, "SHA256", &der, &len);
	req = server_parse(f, der, len);

	build_certrep(f, req, SCEP_STATUS_PENDING, NULL, NULL, &rder, &rlen);
	assert_int_equal(scep_msg_parse(&rep, rder, rlen, f->trusted,
	    f->cl_key, f->cl_signer, &e), 0);
	assert_int_equal(scep_msg_check_reply(rep, f->tid, f->nonce, &e), 0);
	assert_int_equal(rep->status, SCEP_STATUS_PENDING);
	assert_null(rep->content);
	assert_null(rep->certs);
	scep_msg_free(rep);
	free(rder);

	build_certrep(f, req, SCEP_STATUS_FAILURE, NULL, NULL, &rder, &rlen);
	assert_int_equal(scep_msg_parse(&rep, rder, rlen, f->trusted,
	    f->cl_key, f->cl_signer, &e), 0);
	assert_int_equal(scep_msg_check_reply(rep, f->tid, f->nonce, &e), 0);
	assert_int_equal(rep->status, SCEP_STATUS_FAILURE);
	assert_int_equal(rep->failinfo, SCEP_FAIL_BADREQUEST);
	assert_string_equal(scep_failinfo_name(rep->failinfo), "badRequest");
	assert_string_equal(rep->failinfo_text,
	    "challenge password does not match");
	scep_msg_free(rep);
	free(rder);
	scep_msg_free(req);
	free(der);
}

/* A CertRep signed by a key the client does not trust is refused. */
static void
tamper_untrusted_signer(struct fixture *f, const struct scep_msg *req)
{
	struct scep_msg	*rep = NULL;
	unsigned char	*rder;
	size_t		 rlen;
	struct err	 e;

	build_certrep(f, req, SCEP_STATUS_SUCCESS, f->other, f->other_key,
	    &rder, &rlen);
	assert_int_equal(scep_msg_parse(&rep, rder, rlen, f->trusted,
	    f->cl_key, f->cl_signer, &e), ERR_REFUSED);
	assert_null(rep);
	assert_non_null(strstr(e.msg, "not signed by the CA or RA"));
	free(rder);
}

/* Right signer, but the reply answers another nonce or transaction. */
static void
tamper_other_nonce(struct fixture *f, const unsigned char *rder,
    size_t rlen)
{
	struct scep_msg	*rep = NULL;
	unsigned char	 other_nonce[SCEP_NONCE_LEN];
	struct err	 e;

	assert_int_equal(scep_msg_parse(&rep, rder, rlen, f->trusted,
	    f->cl_key, f->cl_signer, &e), 0);
	memcpy(other_nonce, f->nonce, sizeof(other_nonce));
	other_nonce[0] ^= 1;
	assert_int_equal(scep_msg_check_reply(rep, f->tid, other_nonce, &e),
	    ERR_PROTO);
	assert_string_equal(e.msg, "RFC 8894 3.2.1.5: recipientNonce does not "
	    "match the request's senderNonce");
	assert_int_equal(scep_msg_check_reply(rep, "OTHER", f->nonce, &e),
	    ERR_PROTO);
	scep_msg_free(rep);
}

/* A good CertRep with trailing data, truncated, or garbage is refused. */
static void
tamper_framing(struct fixture *f, const unsigned char *rder, size_t rlen)
{
	struct scep_msg	*rep = NULL;
	unsigned char	*bad;
	struct err	 e;

	/* Trailing data. */
	bad = malloc(rlen + 1);
	memcpy(bad, rder, rlen);
	bad[rlen] = 0;
	assert_int_equal(scep_msg_parse(&rep, bad, rlen + 1, f->trusted,
	    f->cl_key, f->cl_signer, &e), ERR_PROTO);
	assert_non_null(strstr(e.msg, "trailing"));
	/* Truncated. */
	assert_int_equal(scep_msg_parse(&rep, rder, rlen - 1, f->trusted,
	    f->cl_key, f->cl_signer, &e), ERR_PROTO);
	/* Garbage. */
	assert_int_equal(scep_msg_parse(&rep, (const unsigned char *)
	    "<html>hello</html>", 18, f->trusted, f->cl_key, f->cl_signer,
	    &e), ERR_PROTO);
	assert_int_equal(scep_msg_parse(&rep, bad, 0, NULL, NULL, NULL, &e),
	    ERR_PROTO);
	free(bad);
}

/* Every single-byte flip of a request is refused, never accepted. */
static void
tamper_byte_flips(struct fixture *f, const unsigned char *der, size_t len)
{
	struct scep_msg	*rep = NULL;
	unsigned char	*bad;
	size_t		 i;
	struct err	 e;
	int		 rc, refused = 0;

	bad = malloc(len);
	for (i = 0; i < len; i += 7) {
		memcpy(bad, der, len);
		bad[i] ^= 0x01;
		rc = scep_msg_parse(&rep, bad, len, NULL, f->ca_key, f->ca, &e);
		if (rc == 0) {
			/* Only unsigned parts (the certificate set) may vary. */
			assert_memory_equal(rep->content, f->csr, f->csr_len);
			scep_msg_free(rep);
			rep = NULL;
		} else
			refused++;
	}
	assert_true(refused > 0);
	free(bad);
}

/* The server cannot decrypt a request encrypted for another CA. */
static void
tamper_other_recipient(struct fixture *f, const unsigned char *der,
    size_t len)
{
	struct scep_msg	*rep = NULL;
	struct err	 e;

	assert_int_equal(scep_msg_parse(&rep, der, len, NULL, f->other_key,
	    f->other, &e), ERR_CRYPTO);
	/* Two steps: attributes first, then the envelope. */
	assert_int_equal(scep_msg_parse(&rep, der, len, NULL, NULL, NULL, &e),
	    0);
	assert_true(rep->encrypted);
	assert_string_equal(rep->transid, f->tid);
	assert_int_equal(scep_msg_decrypt(rep, f->other_key, f->other, &e),
	    ERR_CRYPTO);
	assert_true(rep->encrypted);
	assert_int_equal(scep_msg_decrypt(rep, f->ca_key, f->ca, &e), 0);
	assert_false(rep->encrypted);
	assert_memory_equal(rep->content, f->csr, f->csr_len);
	scep_msg_free(rep);
}

static void
test_tampering(void **state)
{
	struct fixture	*f = *state;
	struct scep_msg	*req;
	unsigned char	*der, *rder;
	size_t		 len, rlen;

	build_pkcsreq(f, SCEP_CIPHER_AES128, "SHA256", &der, &len);
	req = server_parse(f, der, len);
	tamper_untrusted_signer(f, req);
	build_certrep(f, req, SCEP_STATUS_PENDING, NULL, NULL, &rder, &rlen);
	tamper_other_nonce(f, rder, rlen);
	tamper_framing(f, rder, rlen);
	free(rder);
	tamper_byte_flips(f, der, len);
	tamper_other_recipient(f, der, len);
	scep_msg_free(req);
	free(der);
}

/*
 * A degenerate SignedData holding f->issued, enveloped with des for the
 * client; returns its DER (OPENSSL_free) and sets *envlen.
 */
static unsigned char *
des_envelope(struct fixture *f, OSSL_LIB_CTX *ctx, EVP_CIPHER *des,
    int *envlen)
{
	STACK_OF(X509)	*recips = sk_X509_new_null(), *certs = sk_X509_new_null();
	CMS_ContentInfo	*env;
	BIO		*in;
	unsigned char	*p7, *envder = NULL;
	size_t		 p7len;
	struct err	 e;

	sk_X509_push(certs, f->issued);
	assert_int_equal(scep_degenerate_build(&p7, &p7len, certs, NULL, &e),
	    0);
	sk_X509_push(recips, f->cl_signer);
	in = BIO_new_mem_buf(p7, (int)p7len);
	env = CMS_encrypt_ex(recips, in, des, CMS_BINARY, ctx, NULL);
	assert_non_null(env);
	*envlen = i2d_CMS_ContentInfo(env, &envder);
	assert_true(*envlen > 0);
	BIO_free(in);
	CMS_ContentInfo_free(env);
	free(p7);
	sk_X509_free(recips);
	sk_X509_free(certs);
	return envder;
}

/*
 * A CertRep SUCCESS around envder as micromdm signs it (CA key, SHA-1),
 * answering the fixture's transaction; returns its DER (OPENSSL_free)
 * and sets *len.
 */
static unsigned char *
des_certrep(struct fixture *f, unsigned char *envder, int envlen, int *len)
{
	CMS_ContentInfo	*cms;
	CMS_SignerInfo	*si;
	BIO		*data;
	unsigned char	*der = NULL, nonce[SCEP_NONCE_LEN];
	struct err	 e;

	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	si = CMS_add1_signer(cms, f->ca, f->ca_key, EVP_sha1(),
	    CMS_BINARY | CMS_PARTIAL);
	assert_non_null(si);
	scep_nonce(nonce, &e);
	CMS_signed_add1_attr_by_txt(si, "2.16.840.1.113733.1.9.7",
	    V_ASN1_PRINTABLESTRING, f->tid, (int)strlen(f->tid));
	CMS_signed_add1_attr_by_txt(si, "2.16.840.1.113733.1.9.2",
	    V_ASN1_PRINTABLESTRING, "3", 1);
	CMS_signed_add1_attr_by_txt(si, "2.16.840.1.113733.1.9.3",
	    V_ASN1_PRINTABLESTRING, "0", 1);
	CMS_signed_add1_attr_by_txt(si, "2.16.840.1.113733.1.9.5",
	    V_ASN1_OCTET_STRING, nonce, SCEP_NONCE_LEN);
	CMS_signed_add1_attr_by_txt(si, "2.16.840.1.113733.1.9.6",
	    V_ASN1_OCTET_STRING, f->nonce, SCEP_NONCE_LEN);
	data = BIO_new_mem_buf(envder, envlen);
	assert_int_equal(CMS_final(cms, data, NULL, CMS_BINARY), 1);
	*len = i2d_CMS_ContentInfo(cms, &der);
	assert_true(*len > 0);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	return der;
}

/* The DES CertRep is read on both paths, flagged weak, for us only. */
static void
des_reply_check(struct fixture *f, const unsigned char *der, int len)
{
	struct scep_msg	*rep;
	struct err	 e;

	assert_int_equal(scep_msg_parse(&rep, der, (size_t)len, f->trusted,
	    f->cl_key, f->cl_signer, &e), 0);
	assert_int_equal(scep_msg_check_reply(rep, f->tid, f->nonce, &e), 0);
	assert_true(rep->weak_cipher);
	assert_string_equal(rep->cipher, "DES-CBC");
	assert_string_equal(rep->md, "SHA1");
	assert_int_equal(sk_X509_num(rep->certs), 1);
	/* Read as 3DES with one key: the same plaintext as DES-CBC. */
	assert_int_equal(X509_cmp(sk_X509_value(rep->certs, 0), f->issued),
	    0);
	/* The process-wide default context still has no DES. */
	assert_null(EVP_CIPHER_fetch(NULL, "DES-CBC", NULL));
	scep_msg_free(rep);
	/* Without our certificate: the general (CMS) path reads it too. */
	assert_int_equal(scep_msg_parse(&rep, der, (size_t)len, f->trusted,
	    f->cl_key, NULL, &e), 0);
	assert_int_equal(sk_X509_num(rep->certs), 1);
	assert_null(EVP_CIPHER_fetch(NULL, "DES-CBC", NULL));
	scep_msg_free(rep);
	/* Another recipient's key: refused on either path. */
	assert_int_not_equal(scep_msg_parse(&rep, der, (size_t)len,
	    f->trusted, f->ca_key, f->cl_signer, &e), 0);
}

/* micromdm replies with single DES: readable, but flagged as weak. */
static void
test_des_reply(void **state)
{
	struct fixture	*f = *state;
	OSSL_LIB_CTX	*ctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER	*def, *leg;
	EVP_CIPHER	*des;
	unsigned char	*envder, *der;
	int		 envlen, len;

	def = OSSL_PROVIDER_load(ctx, "default");
	leg = OSSL_PROVIDER_load(ctx, "legacy");
	if (leg == NULL)
		skip();
	des = EVP_CIPHER_fetch(ctx, "DES-CBC", NULL);
	assert_non_null(des);
	envder = des_envelope(f, ctx, des, &envlen);
	der = des_certrep(f, envder, envlen, &len);
	des_reply_check(f, der, len);
	OPENSSL_free(der);
	OPENSSL_free(envder);
	EVP_CIPHER_free(des);
	OSSL_PROVIDER_unload(leg);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(ctx);
}

static void
test_inner_encodings(void **state)
{
	struct fixture	*f = *state;
	unsigned char	*der;
	size_t		 len;
	X509_NAME	*iss, *sub;
	ASN1_INTEGER	*sn;
	struct err	 e;

	assert_int_equal(scep_issuer_and_subject(&der, &len,
	    X509_get_subject_name(f->ca), X509_get_subject_name(f->cl_signer),
	    &e), 0);
	assert_int_equal(scep_issuer_and_subject_parse(&iss, &sub, der, len,
	    &e), 0);
	assert_int_equal(X509_NAME_cmp(iss, X509_get_subject_name(f->ca)), 0);
	assert_int_equal(X509_NAME_cmp(sub,
	    X509_get_subject_name(f->cl_signer)), 0);
	X509_NAME_free(iss);
	X509_NAME_free(sub);
	assert_int_equal(scep_issuer_and_subject_parse(&iss, &sub, der,
	    len - 1, &e), ERR_PROTO);
	free(der);

	assert_int_equal(scep_issuer_and_serial(&der, &len,
	    X509_get_issuer_name(f->issued),
	    X509_get0_serialNumber(f->issued), &e), 0);
	assert_int_equal(scep_issuer_and_serial_parse(&iss, &sn, der, len,
	    &e), 0);
	assert_int_equal(ASN1_INTEGER_cmp(sn,
	    X509_get0_serialNumber(f->issued)), 0);
	X509_NAME_free(iss);
	ASN1_INTEGER_free(sn);
	free(der);
}

static void
test_build_refuses(void **state)
{
	struct fixture		*f = *state;
	struct scep_build	 b;
	unsigned char		*der;
	size_t			 len;
	struct err		 e;

	memset(&b, 0, sizeof(b));
	b.type = SCEP_MT_PKCSREQ;
	b.content = f->csr;
	b.content_len = f->csr_len;
	b.recipient = f->ca;
	b.cipher = 99;		/* e.g. a caller asking for single DES */
	b.signer = f->cl_signer;
	b.signer_key = f->cl_key;
	b.transid = f->tid;
	b.sender_nonce = f->nonce;
	assert_int_equal(scep_msg_build(&der, &len, &b, &e), ERR_INVAL);
	b.cipher = SCEP_CIPHER_AES128;
	b.transid = "bad\"id";
	assert_int_equal(scep_msg_build(&der, &len, &b, &e), ERR_INVAL);
	b.transid = f->tid;
	b.type = SCEP_MT_CERTREP;
	b.status = SCEP_STATUS_PENDING;
	assert_int_equal(scep_msg_build(&der, &len, &b, &e), ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkcsreq_roundtrip),
		cmocka_unit_test(test_pending_failure),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_des_reply),
		cmocka_unit_test(test_inner_encodings),
		cmocka_unit_test(test_build_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
