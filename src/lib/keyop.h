/*
 * keyop: the one seam through which private keys are used.
 *
 * A key reference resolves to an EVP_PKEY that protocol code signs and
 * decrypts with (X509_sign, X509_REQ_sign, X509_CRL_sign, CMS_add1_signer,
 * CMS_decrypt) without knowing where the private half lives:
 *
 *   file	a PEM (PKCS#8 or traditional) file read into this process
 *		(keystore.c, netpki-ca's offline commands);
 *   remote	a key held by another process (netpki-ca's key process,
 *		src/ca/keyproc.c): the EVP_PKEY carries only the public half,
 *		and its private operations (a digest to sign, an RSA
 *		key-transport block to decrypt) go over a socket to the key
 *		holder, which parses nothing else from the network.  The
 *		remote key is implemented as a small built-in OpenSSL provider
 *		(keyop_prov.c) in a library context of its own.
 *
 * The wire (keyop_wire.c): every frame is a 4-byte big-endian length and
 * at most KEYOP_FRAME_MAX bytes.  A request: version, op, slot, the length
 * of a digest name, the name, then the operand.  A reply: a status byte
 * (0 ok) and the result or a short error text.
 */
#ifndef NETPKI_KEYOP_H
#define NETPKI_KEYOP_H

#include <stddef.h>

#include <openssl/evp.h>

struct err;

#define KEYOP_VERSION		1
#define KEYOP_SLOTS		8	/* keys one holder serves */
#define KEYOP_MDNAME_MAX	16	/* "SHA512" and the like */
#define KEYOP_DATA_MAX		1024	/* an RSA-8192 block, a SPKI */
#define KEYOP_FRAME_MAX		(4 + KEYOP_MDNAME_MAX + KEYOP_DATA_MAX)
#define KEYOP_ERRTEXT_MAX	200
#define KEYOP_FILEMAX		(1024 * 1024)	/* a key file */
#define KEYOP_TIMEOUT_MS	30000	/* a key holder that stops answering */

enum keyop_op {
	KEYOP_OP_PUBKEY = 1,	/* operand empty; result: SPKI DER */
	KEYOP_OP_SIGN = 2,	/* operand: a digest; result: the signature */
	KEYOP_OP_DECRYPT = 3,	/* operand: RSA PKCS#1 v1.5 block */
};

/* A parsed request; name and data point into the frame. */
struct keyop_req {
	int			 op;		/* enum keyop_op */
	unsigned int		 slot;		/* < KEYOP_SLOTS */
	char			 mdname[KEYOP_MDNAME_MAX + 1];	/* SIGN */
	const unsigned char	*data;		/* the operand */
	size_t			 datalen;
};

/*
 * The file backend: read a PEM private key from bytes (which the caller
 * cleanses; type, "RSA" or "EC", is the type the caller expects, or NULL;
 * failmsg is the message when they hold no key) or from a file ("PATH:
 * not a private key").  Never prompts for a pass phrase.  Caller frees
 * *out.
 */
int	 keyop_pem_parse(EVP_PKEY **, const char *, size_t, const char *,
	    const char *, struct err *);
int	 keyop_file_load(EVP_PKEY **, const char *, struct err *);

/*
 * The key holder's side: keys by slot, answering requests.  The holder
 * owns the keys given to keyop_holder_set.
 */
struct keyop_holder;
int	 keyop_holder_new(struct keyop_holder **, struct err *);
void	 keyop_holder_free(struct keyop_holder *);
int	 keyop_holder_set(struct keyop_holder *, unsigned int, EVP_PKEY *,
	    struct err *);
/* Parse one request body (the frame without its length). */
int	 keyop_req_parse(struct keyop_req *, const unsigned char *, size_t,
	    struct err *);
/*
 * Answer one request body: *outlen bytes of reply body (status byte
 * first) in out, which holds KEYOP_FRAME_MAX.  Bad requests get an error
 * reply, never a failure of this call.
 */
void	 keyop_holder_answer(struct keyop_holder *, const unsigned char *,
	    size_t, unsigned char *, size_t *);
/*
 * Serve one connection until the peer closes it (0), or a frame breaks
 * the framing (ERR_PROTO: the connection cannot be resynchronised).
 * Safe to run on several fds at once from several threads.
 */
int	 keyop_holder_serve(struct keyop_holder *, int, struct err *);
/*
 * Serve n connections, one thread each, until every one is closed; the
 * fds are closed.  Requests on different connections run in parallel.
 */
int	 keyop_holder_serve_all(struct keyop_holder *, const int *, size_t,
	    struct err *);
/*
 * The holder's first frame on its first connection, before any request:
 * ready (rc 0), or why not (e's message).  keyop_hello_recv returns 0 or
 * the holder's message as an error.
 */
int	 keyop_hello_send(int, int, const struct err *);
int	 keyop_hello_recv(int, struct err *);

/*
 * The user's side: a pool of connections to one key holder, shared by
 * threads (a call takes a free connection for its request and reply).
 * The pool owns the fds.  Once a connection fails the pool is marked
 * dead and every later operation fails at once.
 */
struct keyop_peer;
int	 keyop_peer_new(struct keyop_peer **, const int *, size_t,
	    struct err *);
void	 keyop_peer_free(struct keyop_peer *);
/* 1 while the holder answers (no hang-up seen on an idle connection). */
int	 keyop_peer_alive(struct keyop_peer *);
/* One exchange: *out malloc'd result. */
int	 keyop_peer_call(struct keyop_peer *, int, unsigned int, const char *,
	    const unsigned char *, size_t, unsigned char **, size_t *,
	    struct err *);

/*
 * A remote key: the public half is asked of the holder (slot), checked
 * against cert's key when cert is given, and the EVP_PKEY returned signs
 * and decrypts through peer, which must outlive it.  RSA and EC P-256/
 * P-384.  Caller frees *out.
 */
int	 keyop_remote_new(EVP_PKEY **, struct keyop_peer *, unsigned int,
	    const EVP_PKEY *, struct err *);

#endif
