/*
 * keyop_peer: the user's side of the key holder's wire (keyop.h), a pool
 * of connections shared by threads, and the remote keys built on it.
 * One connection carries one request at a time; with one connection per
 * thread that may sign, threads never wait for each other here.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "err.h"
#include "keyop.h"
#include "keyop_int.h"

struct keyop_peer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a connection was given back */
	int		*fd;		/* the connections, owned */
	unsigned char	*busy;		/* fd[i] carries a request */
	size_t		 n;
	int		 dead;		/* a connection failed: no holder */
	OSSL_LIB_CTX	*libctx;	/* where the remote keys live */
	OSSL_PROVIDER	*prov;		/* keyop_prov.c, loaded there */
};

int
keyop_peer_new(struct keyop_peer **out, const int *fds, size_t n,
    struct err *e)
{
	struct keyop_peer	*p;
	size_t			 i;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if (n == 0)
		return err_set(e, ERR_INVAL, "key holder: no connection");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_nomem(e);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((p->fd = calloc(n, sizeof(*p->fd))) == NULL ||
	    (p->busy = calloc(n, 1)) == NULL) {
		err_nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++)
		p->fd[i] = -1;
	p->n = n;
	if ((p->libctx = OSSL_LIB_CTX_new()) == NULL ||
	    !OSSL_PROVIDER_add_builtin(p->libctx, KEYOP_PROV_NAME,
	    keyop_prov_init) ||
	    (p->prov = OSSL_PROVIDER_load(p->libctx, KEYOP_PROV_NAME)) ==
	    NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot load the remote key "
		    "provider");
		goto out;
	}
	/* The fds are ours only once nothing else can fail. */
	memcpy(p->fd, fds, n * sizeof(*fds));
	*out = p;
	p = NULL;
	rc = 0;
 out:
	keyop_peer_free(p);
	return rc;
}

void
keyop_peer_free(struct keyop_peer *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; p->fd != NULL && i < p->n; i++)
		if (p->fd[i] != -1)
			close(p->fd[i]);
	OSSL_PROVIDER_unload(p->prov);
	OSSL_LIB_CTX_free(p->libctx);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->fd);
	free(p->busy);
	free(p);
}

static void
keyop_peer_kill(struct keyop_peer *p)
{
	pthread_mutex_lock(&p->mu);
	p->dead = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * An idle connection that polls readable or hung up means the holder
 * closed it (it never speaks unasked): the holder is gone.
 */
int
keyop_peer_alive(struct keyop_peer *p)
{
	struct pollfd	 pfd;
	size_t		 i;
	int		 alive;

	pthread_mutex_lock(&p->mu);
	for (i = 0; !p->dead && i < p->n; i++) {
		if (p->busy[i])
			continue;
		pfd.fd = p->fd[i];
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 0)
			p->dead = 1;
		break;
	}
	alive = !p->dead;
	pthread_mutex_unlock(&p->mu);
	return alive;
}

/* A free connection's index, waiting for one; -1 when the holder is gone. */
static int
keyop_peer_take(struct keyop_peer *p)
{
	size_t	 i;
	int	 got = -1;

	pthread_mutex_lock(&p->mu);
	while (!p->dead) {
		for (i = 0; i < p->n && p->busy[i]; i++)
			;
		if (i < p->n) {
			p->busy[i] = 1;
			got = (int)i;
			break;
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

static void
keyop_peer_give(struct keyop_peer *p, int i)
{
	pthread_mutex_lock(&p->mu);
	p->busy[i] = 0;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Exactly len bytes, each wait at most KEYOP_TIMEOUT_MS: 0 or -1. */
static int
keyop_read_timed(int fd, unsigned char *buf, size_t len)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	ssize_t		 n;

	while (len > 0) {
		if (poll(&pfd, 1, KEYOP_TIMEOUT_MS) != 1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((n = read(fd, buf, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One request and its reply body (status byte first) on fd. */
static int
keyop_peer_xfer(int fd, const unsigned char *req, size_t reqlen,
    unsigned char *rep, size_t *replen)
{
	unsigned char	 hdr[4];

	if (keyop_write_full(fd, req, reqlen) != 0 ||
	    keyop_read_timed(fd, hdr, 4) != 0)
		return -1;
	*replen = keyop_get32(hdr);
	if (*replen == 0 || *replen > KEYOP_FRAME_MAX ||
	    keyop_read_timed(fd, rep, *replen) != 0)
		return -1;
	return 0;
}

/* The reply body: the result, or the holder's message (made printable). */
static int
keyop_peer_result(unsigned char **out, size_t *outlen,
    const unsigned char *rep, size_t len, struct err *e)
{
	char	 msg[KEYOP_ERRTEXT_MAX + 1];
	size_t	 i;

	if (rep[0] != 0) {
		for (i = 0; i + 1 < len && i < KEYOP_ERRTEXT_MAX; i++)
			msg[i] = rep[i + 1] >= 0x20 && rep[i + 1] < 0x7f ?
			    (char)rep[i + 1] : '?';
		msg[i] = '\0';
		return err_set(e, ERR_CRYPTO, "key process: %s", msg);
	}
	if ((*out = malloc(len - 1 + 1)) == NULL)
		return err_nomem(e);
	memcpy(*out, rep + 1, len - 1);
	*outlen = len - 1;
	return 0;
}

int
keyop_peer_call(struct keyop_peer *p, int op, unsigned int slot,
    const char *mdname, const unsigned char *in, size_t inlen,
    unsigned char **out, size_t *outlen, struct err *e)
{
	unsigned char	 req[4 + KEYOP_FRAME_MAX], rep[KEYOP_FRAME_MAX];
	size_t		 mdlen = mdname != NULL ? strlen(mdname) : 0, replen;
	int		 i, rc;

	*out = NULL;
	*outlen = 0;
	if (mdlen > KEYOP_MDNAME_MAX || inlen > KEYOP_DATA_MAX ||
	    slot >= KEYOP_SLOTS)
		return err_set(e, ERR_TOOBIG, "key request too large");
	keyop_put32(req, 4 + mdlen + inlen);
	req[4] = KEYOP_VERSION;
	req[5] = (unsigned char)op;
	req[6] = (unsigned char)slot;
	req[7] = (unsigned char)mdlen;
	memcpy(req + 8, mdname != NULL ? mdname : "", mdlen);
	if (inlen > 0)
		memcpy(req + 8 + mdlen, in, inlen);
	if ((i = keyop_peer_take(p)) == -1)
		return err_set(e, ERR_IO, "key process is not running");
	if (keyop_peer_xfer(p->fd[i], req, 8 + mdlen + inlen, rep,
	    &replen) != 0) {
		keyop_peer_kill(p);
		return err_set(e, ERR_IO, "key process is not answering");
	}
	keyop_peer_give(p, i);
	rc = keyop_peer_result(out, outlen, rep, replen, e);
	OPENSSL_cleanse(rep, sizeof(rep));
	return rc;
}

/* The public half as import parameters, with the pool and the slot. */
static int
keyop_remote_params(OSSL_PARAM **out, EVP_PKEY *pub, struct keyop_peer **pp,
    unsigned int slot, struct err *e)
{
	OSSL_PARAM_BLD	*b = NULL;
	BIGNUM		*n = NULL, *x = NULL;
	unsigned char	 pt[256];
	char		 group[64];
	size_t		 ptlen = 0;
	int		 ok;

	if ((b = OSSL_PARAM_BLD_new()) == NULL)
		return err_nomem(e);
	if (EVP_PKEY_is_a(pub, "RSA"))
		ok = EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) &&
		    EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &x) &&
		    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
		    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, x);
	else
		ok = EVP_PKEY_is_a(pub, "EC") &&
		    EVP_PKEY_get_utf8_string_param(pub,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
		    EVP_PKEY_get_octet_string_param(pub,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen) &&
		    OSSL_PARAM_BLD_push_utf8_string(b,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
		    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY,
		    pt, ptlen);
	ok = ok && OSSL_PARAM_BLD_push_octet_string(b, KEYOP_PARAM_PEER, pp,
	    sizeof(*pp)) && OSSL_PARAM_BLD_push_uint(b, KEYOP_PARAM_SLOT,
	    slot) && (*out = OSSL_PARAM_BLD_to_param(b)) != NULL;
	BN_free(n);
	BN_free(x);
	OSSL_PARAM_BLD_free(b);
	return ok ? 0 : err_openssl(e, ERR_CRYPTO, "key slot %u: not an RSA "
	    "or EC key", slot);
}

int
keyop_remote_new(EVP_PKEY **out, struct keyop_peer *p, unsigned int slot,
    const EVP_PKEY *cert, struct err *e)
{
	EVP_PKEY_CTX		*ctx = NULL;
	EVP_PKEY		*pub = NULL;
	OSSL_PARAM		*params = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*q;
	size_t			 len;
	int			 rc;

	*out = NULL;
	if ((rc = keyop_peer_call(p, KEYOP_OP_PUBKEY, slot, NULL, NULL, 0,
	    &der, &len, e)) != 0)
		return rc;
	q = der;
	if ((pub = d2i_PUBKEY(NULL, &q, (long)len)) == NULL ||
	    q != der + len) {
		rc = err_openssl(e, ERR_PROTO, "key slot %u: bad public key",
		    slot);
		goto out;
	}
	if (cert != NULL && EVP_PKEY_eq(pub, cert) != 1) {
		rc = err_set(e, ERR_INVAL, "key slot %u does not match its "
		    "certificate", slot);
		goto out;
	}
	if ((rc = keyop_remote_params(&params, pub, &p, slot, e)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(p->libctx, EVP_PKEY_is_a(pub,
	    "RSA") ? "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) <= 0)
		rc = err_openssl(e, ERR_CRYPTO, "key slot %u: cannot make the "
		    "remote key", slot);
 out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	EVP_PKEY_free(pub);
	free(der);
	return rc;
}
