/*
 * keyop: the file backend and the key holder's side of the wire (see
 * keyop.h).  The holder answers three questions about a key slot: its
 * public key, a signature over a digest, the RSA decryption of one block.
 * It never sees a certificate, a CMS structure or anything else a client
 * sent, so the code that holds the key parses only the frames below.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "err.h"
#include "keyop.h"
#include "keyop_int.h"
#include "store.h"

struct keyop_holder {
	EVP_PKEY	*keys[KEYOP_SLOTS];	/* NULL: empty slot */
};

/* Never prompt for a pass phrase: key files are not encrypted. */
static int
keyop_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * A decoder told the expected key type costs a third of
 * PEM_read_bio_PrivateKey's search through every decoder OpenSSL 3.0 has
 * (bench/README.md); bytes that do not decode so (another type, a damaged
 * or encrypted file) go to the general reader, so errors read as before.
 */
static EVP_PKEY *
keyop_pem_typed(BIO *bio, const char *type)
{
	OSSL_DECODER_CTX	*dctx;
	EVP_PKEY		*pk = NULL;

	ERR_set_mark();
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, "PEM", NULL, type,
	    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL ||
	    !OSSL_DECODER_CTX_set_pem_password_cb(dctx, keyop_nopass, NULL) ||
	    !OSSL_DECODER_from_bio(dctx, bio)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_pop_to_mark();
	return pk;
}

int
keyop_pem_parse(EVP_PKEY **out, const char *buf, size_t len,
    const char *type, const char *failmsg, struct err *e)
{
	BIO	*bio;

	*out = NULL;
	if (len > KEYOP_FILEMAX)
		return err_set(e, ERR_TOOBIG, "%s: too large", failmsg);
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return err_openssl(e, ERR_NOMEM, "%s", failmsg);
	if (type != NULL && (*out = keyop_pem_typed(bio, type)) == NULL)
		(void)BIO_reset(bio);
	if (*out == NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, keyop_nopass, NULL);
	BIO_free(bio);
	if (*out == NULL)
		return err_openssl(e, ERR_CRYPTO, "%s", failmsg);
	return 0;
}

int
keyop_file_load(EVP_PKEY **out, const char *path, struct err *e)
{
	char	*buf = NULL, msg[PATH_MAX + 32];
	size_t	 len = 0;
	int	 rc;

	*out = NULL;
	if ((rc = store_file_read(path, &buf, &len, KEYOP_FILEMAX, e)) != 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s: not a private key", path);
	rc = keyop_pem_parse(out, buf, len, NULL, msg, e);
	OPENSSL_clear_free(buf, len);
	return rc;
}

int
keyop_holder_new(struct keyop_holder **out, struct err *e)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return err_nomem(e);
	return 0;
}

void
keyop_holder_free(struct keyop_holder *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < KEYOP_SLOTS; i++)
		EVP_PKEY_free(h->keys[i]);
	free(h);
}

int
keyop_holder_set(struct keyop_holder *h, unsigned int slot, EVP_PKEY *pk,
    struct err *e)
{
	if (slot >= KEYOP_SLOTS)
		return err_set(e, ERR_INVAL, "key slot %u: at most %d slots",
		    slot, KEYOP_SLOTS);
	EVP_PKEY_free(h->keys[slot]);
	h->keys[slot] = pk;
	return 0;
}

int
keyop_req_parse(struct keyop_req *r, const unsigned char *p, size_t len,
    struct err *e)
{
	size_t	 mdlen, i;

	memset(r, 0, sizeof(*r));
	if (len < 4 || len > KEYOP_FRAME_MAX)
		return err_set(e, ERR_PROTO, "frame of %zu bytes", len);
	if (p[0] != KEYOP_VERSION)
		return err_set(e, ERR_PROTO, "version %u", p[0]);
	r->op = p[1];
	r->slot = p[2];
	mdlen = p[3];
	if (r->op != KEYOP_OP_PUBKEY && r->op != KEYOP_OP_SIGN &&
	    r->op != KEYOP_OP_DECRYPT)
		return err_set(e, ERR_PROTO, "unknown operation %d", r->op);
	if (r->slot >= KEYOP_SLOTS)
		return err_set(e, ERR_PROTO, "slot %u", r->slot);
	if (mdlen > KEYOP_MDNAME_MAX || mdlen > len - 4 ||
	    (mdlen == 0) != (r->op != KEYOP_OP_SIGN))
		return err_set(e, ERR_PROTO, "digest name of %zu bytes", mdlen);
	for (i = 0; i < mdlen; i++) {
		unsigned char	 c = p[4 + i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return err_set(e, ERR_PROTO, "digest name");
		r->mdname[i] = (char)c;
	}
	r->data = p + 4 + mdlen;
	r->datalen = len - 4 - mdlen;
	if (r->datalen > KEYOP_DATA_MAX ||
	    (r->op == KEYOP_OP_PUBKEY) != (r->datalen == 0))
		return err_set(e, ERR_PROTO, "operand of %zu bytes",
		    r->datalen);
	return 0;
}

/* Only the SHA-1 and SHA-2 digests are signed, and only at their size. */
static int
keyop_sign_md(EVP_MD **out, const struct keyop_req *r, struct err *e)
{
	static const char *const ok[] = { "SHA1", "SHA224", "SHA256",
	    "SHA384", "SHA512" };
	EVP_MD	*md;
	size_t	 i;

	*out = NULL;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(r->mdname, ok[i]) == 0)
			break;
	if (i == sizeof(ok) / sizeof(ok[0]))
		return err_set(e, ERR_REFUSED, "digest %s is not signed",
		    r->mdname);
	if ((md = EVP_MD_fetch(NULL, ok[i], NULL)) == NULL)
		return err_openssl(e, ERR_CRYPTO, "digest %s", ok[i]);
	if ((size_t)EVP_MD_get_size(md) != r->datalen) {
		EVP_MD_free(md);
		return err_set(e, ERR_PROTO, "a %s digest of %zu bytes",
		    r->mdname, r->datalen);
	}
	*out = md;
	return 0;
}

/* Set up ctx for SIGN (PKCS#1 v1.5 or ECDSA) or DECRYPT (PKCS#1 v1.5). */
static int
keyop_holder_init(EVP_PKEY_CTX *ctx, const struct keyop_req *r,
    EVP_PKEY *pk, struct err *e)
{
	EVP_MD	*md = NULL;
	int	 rsa = EVP_PKEY_is_a(pk, "RSA"), rc;

	if (r->op == KEYOP_OP_DECRYPT) {
		if (!rsa)
			return err_set(e, ERR_REFUSED, "not an RSA key");
		if (EVP_PKEY_decrypt_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
			return err_openssl(e, ERR_CRYPTO, "decrypt");
		/* As CMS_decrypt does for a local key (OpenSSL >= 3.2). */
		ERR_set_mark();
		EVP_PKEY_CTX_ctrl_str(ctx, "rsa_pkcs1_implicit_rejection", "0");
		ERR_pop_to_mark();
		return 0;
	}
	if ((rc = keyop_sign_md(&md, r, e)) != 0)
		return rc;
	if (EVP_PKEY_sign_init(ctx) <= 0 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <=
	    0) || EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		rc = err_openssl(e, ERR_CRYPTO, "sign");
	EVP_MD_free(md);
	return rc;
}

/* SIGN or DECRYPT: the result into out (KEYOP_DATA_MAX bytes). */
static int
keyop_holder_op(unsigned char *out, size_t *outlen, EVP_PKEY *pk,
    const struct keyop_req *r, struct err *e)
{
	EVP_PKEY_CTX	*ctx;
	int		 rc;

	*outlen = KEYOP_DATA_MAX;
	if ((size_t)EVP_PKEY_get_size(pk) > KEYOP_DATA_MAX)
		return err_set(e, ERR_TOOBIG, "key too large");
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return err_nomem(e);
	if ((rc = keyop_holder_init(ctx, r, pk, e)) != 0)
		goto out;
	if (r->op == KEYOP_OP_SIGN ? EVP_PKEY_sign(ctx, out, outlen, r->data,
	    r->datalen) <= 0 : EVP_PKEY_decrypt(ctx, out, outlen, r->data,
	    r->datalen) <= 0)
		rc = err_openssl(e, ERR_CRYPTO, r->op == KEYOP_OP_SIGN ?
		    "signature failed" : "decryption failed");
 out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
keyop_holder_pubkey(unsigned char *out, size_t *outlen, EVP_PKEY *pk,
    struct err *e)
{
	unsigned char	*p = out;
	int		 n;

	*outlen = 0;
	if ((n = i2d_PUBKEY(pk, NULL)) <= 0 || n > KEYOP_DATA_MAX)
		return err_openssl(e, ERR_CRYPTO, "cannot encode the public "
		    "key");
	if (i2d_PUBKEY(pk, &p) != n)
		return err_openssl(e, ERR_CRYPTO, "cannot encode the public "
		    "key");
	*outlen = (size_t)n;
	return 0;
}

void
keyop_holder_answer(struct keyop_holder *h, const unsigned char *req,
    size_t len, unsigned char *out, size_t *outlen)
{
	struct keyop_req	 r;
	struct err		 e;
	EVP_PKEY		*pk;
	size_t			 n = 0;
	int			 rc;

	err_clear(&e);
	if ((rc = keyop_req_parse(&r, req, len, &e)) == 0) {
		if ((pk = h->keys[r.slot]) == NULL)
			rc = err_set(&e, ERR_NOTFOUND, "no key in slot %u",
			    r.slot);
		else if (r.op == KEYOP_OP_PUBKEY)
			rc = keyop_holder_pubkey(out + 1, &n, pk, &e);
		else
			rc = keyop_holder_op(out + 1, &n, pk, &r, &e);
	}
	if (rc != 0) {
		out[0] = 1;
		n = strnlen(e.msg, KEYOP_ERRTEXT_MAX);
		memcpy(out + 1, e.msg, n);
		ERR_clear_error();
	} else
		out[0] = 0;
	*outlen = 1 + n;
}

/*
 * Read exactly len bytes: 1 done, 0 end of file before the first byte,
 * -1 error or a short read.
 */
static int
keyop_read_full(int fd, unsigned char *p, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		if ((n = read(fd, p + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

int
keyop_write_full(int fd, const unsigned char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The 4-byte length in front of every frame. */
void
keyop_put32(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

size_t
keyop_get32(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	    p[3];
}

int
keyop_holder_serve(struct keyop_holder *h, int fd, struct err *e)
{
	unsigned char	 in[4 + KEYOP_FRAME_MAX], out[4 + KEYOP_FRAME_MAX];
	size_t		 len, outlen;
	int		 rc = 0, r;

	for (;;) {
		if ((r = keyop_read_full(fd, in, 4)) == 0)
			break;
		len = r == 1 ? keyop_get32(in) : 0;
		if (r == -1 || len > KEYOP_FRAME_MAX) {
			rc = err_set(e, ERR_PROTO, "key request: bad frame "
			    "length");
			break;
		}
		if (keyop_read_full(fd, in + 4, len) != 1) {
			rc = err_set(e, ERR_PROTO, "key request: short frame");
			break;
		}
		keyop_holder_answer(h, in + 4, len, out + 4, &outlen);
		keyop_put32(out, outlen);
		r = keyop_write_full(fd, out, 4 + outlen);
		OPENSSL_cleanse(out, sizeof(out));
		if (r != 0)
			break;
	}
	OPENSSL_cleanse(in, sizeof(in));
	return rc;
}

struct keyop_serve_arg {
	struct keyop_holder	*h;
	int			 fd;
};

static void *
keyop_serve_thread(void *v)
{
	struct keyop_serve_arg	*a = v;
	struct err		 e;

	keyop_holder_serve(a->h, a->fd, &e);
	close(a->fd);
	return NULL;
}

int
keyop_holder_serve_all(struct keyop_holder *h, const int *fds, size_t n,
    struct err *e)
{
	struct keyop_serve_arg	*a;
	pthread_t		*t;
	size_t			 i, started = 0;
	int			 rc = 0;

	a = calloc(n, sizeof(*a));
	t = calloc(n, sizeof(*t));
	if (a == NULL || t == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		a[i].h = h;
		a[i].fd = fds[i];
		if (pthread_create(&t[i], NULL, keyop_serve_thread, &a[i]) !=
		    0) {
			rc = err_set(e, ERR_IO, "cannot start a key thread");
			close(fds[i]);
			continue;
		}
		started++;
		t[started - 1] = t[i];
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
 out:
	free(a);
	free(t);
	return rc;
}

int
keyop_hello_send(int fd, int rc, const struct err *e)
{
	unsigned char	 out[4 + 1 + KEYOP_ERRTEXT_MAX];
	size_t		 n = rc != 0 ? strnlen(e->msg, KEYOP_ERRTEXT_MAX) : 0;

	keyop_put32(out, 1 + n);
	out[4] = rc != 0;
	memcpy(out + 5, e->msg, n);
	return keyop_write_full(fd, out, 5 + n);
}

int
keyop_hello_recv(int fd, struct err *e)
{
	unsigned char	 in[1 + KEYOP_ERRTEXT_MAX];
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	size_t		 len;
	int		 r;

	/* The holder loads its keys first: a few milliseconds. */
	if (poll(&pfd, 1, KEYOP_TIMEOUT_MS) != 1 ||
	    (r = keyop_read_full(fd, in, 4)) != 1)
		return err_set(e, ERR_IO, "key process exited before it was "
		    "ready");
	if ((len = keyop_get32(in)) == 0 || len > sizeof(in) ||
	    keyop_read_full(fd, in, len) != 1)
		return err_set(e, ERR_PROTO, "key process: bad hello");
	if (in[0] == 0)
		return 0;
	return err_set(e, ERR_INVAL, "%.*s", (int)len - 1, (char *)in + 1);
}
