/*
 * paste: cut-and-paste enrollment ("enrollment terminal").  What the
 * operator pastes is untrusted text: PEM blocks, the base64 body of one
 * without its BEGIN/END lines, or a PKCS#7 chain in either form.  paste
 * decodes it with OpenSSL's decoders only, tells a private key or a
 * request apart from a certificate so that the message can say what was
 * pasted, and decides which of a trustpoint's key pairs a pasted device
 * certificate is for.
 */
#ifndef NETPKI_PASTE_H
#define NETPKI_PASTE_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustpoint.h"

struct err;
struct store;

#define PASTE_MAX	(256u * 1024)	/* pasted text, bytes */
#define PASTE_CERTMAX	16		/* certificates in one paste */

/*
 * The certificates in pasted text.  ERR_REFUSED when the text is a
 * private key or a certificate request (the message says which);
 * ERR_INVAL when it is not PEM or base64 or holds no certificate;
 * ERR_TOOBIG over PASTE_MAX bytes or PASTE_CERTMAX certificates.
 * *out is a new stack; free with sk_X509_pop_free(.., X509_free).
 */
int		 paste_certs(STACK_OF(X509) **, const char *, size_t,
		    struct err *);

/*
 * Non-blank lines outside the PEM blocks of text (0 when it holds none).
 * OpenSSL's PEM reader skips them; a front end says that they were ignored
 * ("% Note: ...") rather than let them pass unseen.
 */
size_t		 paste_outside_lines(const char *, size_t);

/*
 * A pasted CA chain holds CA certificates only: a device certificate in
 * it would otherwise be taken for an RA certificate (ERR_REFUSED).  A
 * single certificate is left to the CA checks, which say "not a CA".
 */
int		 paste_check_cas(STACK_OF(X509) *, struct err *);

/* The trustpoint a certificate is imported into (all borrowed). */
struct paste_target {
	const char	*name;			/* trustpoint */
	const char	*keylabel;		/* its rsakeypair */
	EVP_PKEY	*key[TP_KIND__MAX];	/* its keys, NULL where none */
	X509		*ca;			/* its authenticated CA */
	X509		*have[TP_KIND__MAX];	/* certificates stored now */
};

/*
 * The target of a trustpoint: its stored CA and device certificates
 * (borrowed from certs) and its key pair's keys (loaded; ERR_NOTFOUND
 * with a hint when there is none).  paste_target_clear in every case.
 */
int		 paste_target_load(struct paste_target *, struct store *,
		    const struct trustpoint *, const struct tp_certs *,
		    struct err *);
void		 paste_target_clear(struct paste_target *);

/*
 * The device certificate among pasted certificates, checked for import:
 * exactly one that is not a CA certificate; its public key is one of the
 * target's keys (that key's slot goes to *kind); issued and signed by the
 * target's CA and valid at now; not the certificate already in that slot
 * (ERR_EXISTS).  *out is a new reference the caller frees.
 */
int		 paste_match(X509 **, enum tp_kind *, STACK_OF(X509) *,
		    const struct paste_target *, time_t, struct err *);

#endif
