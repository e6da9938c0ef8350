/*
 * keyop: remote keys served by a key process started here over
 * socketpairs.  Certificates, CRLs and CMS signed remotely verify with the
 * public key; a CMS envelope decrypts; a dead key process is an error,
 * not a crash; the holder refuses bad frames and bad digests.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "keyop.h"

#define NCONN	3

struct kp {
	pid_t			 pid;
	struct keyop_peer	*peer;
	EVP_PKEY		*local;		/* the same key, in process */
	X509			*cert;		/* self-signed with local */
};

static X509 *
make_cert(EVP_PKEY *pub, EVP_PKEY *signer)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"keyop test", -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pub);
	X509_NAME_free(n);
	if (signer != NULL)
		assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

/* A key process holding key in slot 1, NCONN connections. */
static void
kp_start(struct kp *k, EVP_PKEY *key)
{
	struct keyop_holder	*h;
	struct err		 e;
	int			 sv[NCONN][2], mine[NCONN], theirs[NCONN], i;

	memset(k, 0, sizeof(*k));
	k->local = key;
	k->cert = make_cert(key, key);
	for (i = 0; i < NCONN; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		mine[i] = sv[i][0];
		theirs[i] = sv[i][1];
	}
	if ((k->pid = fork()) == 0) {
		for (i = 0; i < NCONN; i++)
			close(mine[i]);
		if (keyop_holder_new(&h, &e) != 0 ||
		    !EVP_PKEY_up_ref(key) ||
		    keyop_holder_set(h, 1, key, &e) != 0)
			_exit(1);
		keyop_holder_serve_all(h, theirs, NCONN, &e);
		keyop_holder_free(h);
		_exit(0);
	}
	assert_true(k->pid > 0);
	for (i = 0; i < NCONN; i++)
		close(theirs[i]);
	assert_int_equal(keyop_peer_new(&k->peer, mine, NCONN, &e), 0);
}

static void
kp_stop(struct kp *k)
{
	int	 st;

	keyop_peer_free(k->peer);
	assert_int_equal(waitpid(k->pid, &st, 0), k->pid);
	X509_free(k->cert);
	EVP_PKEY_free(k->local);
}

static void
check_sign_x509_crl(EVP_PKEY *key)
{
	struct kp	 k;
	struct err	 e;
	EVP_PKEY	*rk = NULL;
	X509		*x;
	X509_CRL	*crl;

	kp_start(&k, key);
	assert_int_equal(keyop_remote_new(&rk, k.peer, 1,
	    X509_get0_pubkey(k.cert), &e), 0);
	assert_int_equal(keyop_peer_alive(k.peer), 1);
	assert_int_equal(X509_check_private_key(k.cert, rk), 1);

	x = make_cert(k.local, NULL);
	assert_true(X509_sign(x, rk, EVP_sha256()) > 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(k.cert)), 1);
	assert_int_equal(X509_get_signature_nid(x), EVP_PKEY_is_a(key,
	    "RSA") ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
	X509_free(x);

	assert_non_null(crl = X509_CRL_new());
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(k.cert));
	assert_true(X509_CRL_sign(crl, rk, EVP_sha384()) > 0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(k.cert)), 1);
	X509_CRL_free(crl);

	EVP_PKEY_free(rk);
	kp_stop(&k);
}

static void
test_sign_rsa(void **state)
{
	(void)state;
	check_sign_x509_crl(EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048));
}

static void
test_sign_ec(void **state)
{
	(void)state;
	check_sign_x509_crl(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
}

/* A key that is not the certificate's is refused when it is made. */
static void
test_mismatch(void **state)
{
	struct kp	 k;
	struct err	 e;
	EVP_PKEY	*rk = NULL, *other;

	(void)state;
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	kp_start(&k, EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(keyop_remote_new(&rk, k.peer, 1, other, &e),
	    ERR_INVAL);
	assert_null(rk);
	assert_int_equal(keyop_remote_new(&rk, k.peer, 2, NULL, &e),
	    ERR_CRYPTO);
	assert_non_null(strstr(e.msg, "no key in slot 2"));
	EVP_PKEY_free(other);
	kp_stop(&k);
}

/* CMS signed with the remote key, and an envelope decrypted with it. */
static void
test_cms(void **state)
{
	struct kp		 k;
	struct err		 e;
	EVP_PKEY		*rk = NULL;
	CMS_ContentInfo		*cms;
	STACK_OF(X509)		*to;
	BIO			*in, *out;
	char			*p;
	unsigned char		*der = NULL;
	const unsigned char	*q;
	long			 n;
	const unsigned int	 fl = CMS_BINARY | CMS_PARTIAL;

	(void)state;
	kp_start(&k, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	assert_int_equal(keyop_remote_new(&rk, k.peer, 1,
	    X509_get0_pubkey(k.cert), &e), 0);

	in = BIO_new_mem_buf("signed content", -1);
	assert_non_null(cms = CMS_sign(NULL, NULL, NULL, NULL, fl));
	assert_non_null(CMS_add1_signer(cms, k.cert, rk, EVP_sha256(), fl));
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	/* As a peer sees it: the signer's key comes from its certificate. */
	assert_true((n = i2d_CMS_ContentInfo(cms, &der)) > 0);
	CMS_ContentInfo_free(cms);
	q = der;
	assert_non_null(cms = d2i_CMS_ContentInfo(NULL, &q, n));
	OPENSSL_free(der);
	out = BIO_new(BIO_s_mem());
	assert_int_equal(CMS_verify(cms, NULL, NULL, NULL, out,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY), 1);
	n = BIO_get_mem_data(out, &p);
	assert_int_equal(n, 14);
	assert_memory_equal(p, "signed content", 14);
	BIO_free(out);
	BIO_free(in);
	CMS_ContentInfo_free(cms);

	to = sk_X509_new_null();
	sk_X509_push(to, k.cert);
	in = BIO_new_mem_buf("enveloped secret", -1);
	assert_non_null(cms = CMS_encrypt(to, in, EVP_aes_128_cbc(),
	    CMS_BINARY));
	out = BIO_new(BIO_s_mem());
	assert_int_equal(CMS_decrypt(cms, rk, k.cert, NULL, out, CMS_BINARY),
	    1);
	n = BIO_get_mem_data(out, &p);
	assert_int_equal(n, 16);
	assert_memory_equal(p, "enveloped secret", 16);
	BIO_free(out);
	BIO_free(in);
	sk_X509_free(to);
	CMS_ContentInfo_free(cms);

	EVP_PKEY_free(rk);
	kp_stop(&k);
}

/* The key process killed: operations fail, nothing crashes. */
static void
test_dead(void **state)
{
	struct kp	 k;
	struct err	 e;
	EVP_PKEY	*rk = NULL;
	X509		*x;
	unsigned char	*res;
	size_t		 len;
	int		 st;

	(void)state;
	kp_start(&k, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	assert_int_equal(keyop_remote_new(&rk, k.peer, 1,
	    X509_get0_pubkey(k.cert), &e), 0);
	kill(k.pid, SIGKILL);
	assert_int_equal(waitpid(k.pid, &st, 0), k.pid);
	assert_int_equal(keyop_peer_alive(k.peer), 0);
	x = make_cert(k.local, NULL);
	assert_true(X509_sign(x, rk, EVP_sha256()) <= 0);
	ERR_clear_error();
	X509_free(x);
	assert_int_equal(keyop_peer_call(k.peer, KEYOP_OP_PUBKEY, 1, NULL,
	    NULL, 0, &res, &len, &e), ERR_IO);
	assert_string_equal(e.msg, "key process is not running");
	EVP_PKEY_free(rk);
	keyop_peer_free(k.peer);
	X509_free(k.cert);
	EVP_PKEY_free(k.local);
}

/* Killed between two requests, seen only by the next exchange. */
static void
test_dead_midway(void **state)
{
	struct kp	 k;
	struct err	 e;
	unsigned char	*res = NULL, d[32] = { 0 };
	size_t		 len;
	int		 st;

	(void)state;
	kp_start(&k, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	kill(k.pid, SIGKILL);
	assert_int_equal(waitpid(k.pid, &st, 0), k.pid);
	assert_int_equal(keyop_peer_call(k.peer, KEYOP_OP_SIGN, 1, "SHA256",
	    d, sizeof(d), &res, &len, &e), ERR_IO);
	assert_string_equal(e.msg, "key process is not answering");
	assert_null(res);
	keyop_peer_free(k.peer);
	X509_free(k.cert);
	EVP_PKEY_free(k.local);
}

/* Request bodies the holder refuses, each with an error reply. */
static void
test_bad_requests(void **state)
{
	static const struct {
		const char	*what;
		unsigned char	 req[48];
		size_t		 len;
	} bad[] = {
		{ "short", { 1, 2, 1 }, 3 },
		{ "version", { 2, 1, 1, 0 }, 4 },
		{ "operation", { 1, 9, 1, 0 }, 4 },
		{ "slot", { 1, 1, 8, 0 }, 4 },
		{ "pubkey with data", { 1, 1, 1, 0, 'x' }, 5 },
		{ "sign without digest name", { 1, 2, 1, 0, 1, 2 }, 6 },
		{ "digest name too long", { 1, 2, 1, 40 }, 20 },
		{ "digest name bytes", { 1, 2, 1, 3, 'M', 'D', 0, 1 }, 8 },
		{ "MD5", { 1, 2, 1, 3, 'M', 'D', '5', 1, 2, 3, 4, 5, 6, 7,
		    8, 9, 10, 11, 12, 13, 14, 15, 16 }, 23 },
		{ "digest size", { 1, 2, 1, 6, 'S', 'H', 'A', '2', '5', '6',
		    1, 2, 3 }, 13 },
		{ "empty slot", { 1, 1, 3, 0 }, 4 },
		{ "decrypt block size", { 1, 3, 1, 0, 1, 2, 3 }, 7 },
	};
	struct keyop_holder	*h;
	struct err		 e;
	unsigned char		 out[KEYOP_FRAME_MAX];
	size_t			 i, n;

	(void)state;
	assert_int_equal(keyop_holder_new(&h, &e), 0);
	assert_int_equal(keyop_holder_set(h, 1, EVP_PKEY_Q_keygen(NULL, NULL,
	    "RSA", (size_t)2048), &e), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		keyop_holder_answer(h, bad[i].req, bad[i].len, out, &n);
		if (out[0] != 1)
			fail_msg("%s: accepted", bad[i].what);
		assert_true(n > 1 && n <= 1 + KEYOP_ERRTEXT_MAX);
	}
	keyop_holder_answer(h, (const unsigned char *)"\1\1\1\0", 4, out, &n);
	assert_int_equal(out[0], 0);
	keyop_holder_free(h);
}

/* An oversize length cannot be resynchronised: the connection ends. */
static void
test_bad_frames(void **state)
{
	struct keyop_holder	*h;
	struct err		 e;
	unsigned char		 big[4] = { 0, 0, 0x10, 0 }, reply[64];
	unsigned char		 junk[8] = { 0, 0, 0, 4, 7, 7, 7, 7 };
	int			 sv[2];

	(void)state;
	assert_int_equal(keyop_holder_new(&h, &e), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], big, 4), 4);
	assert_int_equal(keyop_holder_serve(h, sv[1], &e), ERR_PROTO);
	close(sv[0]);
	close(sv[1]);

	/* Garbage of a sane length: an error reply, then end of file. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], junk, sizeof(junk)), sizeof(junk));
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(keyop_holder_serve(h, sv[1], &e), 0);
	assert_true(read(sv[0], reply, sizeof(reply)) > 5);
	assert_int_equal(reply[4], 1);
	close(sv[0]);
	close(sv[1]);

	/* A frame cut short. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], junk, 6), 6);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(keyop_holder_serve(h, sv[1], &e), ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
	keyop_holder_free(h);
}

/* The file backend: PEM PKCS#8 read, anything else refused. */
static void
test_file(void **state)
{
	struct err	 e;
	EVP_PKEY	*pk;

	(void)state;
	assert_int_equal(keyop_pem_parse(&pk, "junk", 4, NULL, "junk.pem: no key", &e),
	    ERR_CRYPTO);
	assert_null(pk);
	assert_non_null(strstr(e.msg, "junk.pem: no key: "));
	assert_int_equal(keyop_file_load(&pk, "/nonexistent/ca.key", &e),
	    ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_rsa),
		cmocka_unit_test(test_sign_ec),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_cms),
		cmocka_unit_test(test_dead),
		cmocka_unit_test(test_dead_midway),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_file),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
