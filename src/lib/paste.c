/*
 * paste: decoding what the operator pastes for cut-and-paste enrollment,
 * and matching a pasted certificate to the trustpoint's keys.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "paste.h"
#include "trustpoint.h"

#define PASTE_LABELMAX	64	/* PEM label we look at */

/* As show crypto ca certificates names the key usages. */
static const char *const paste_usage[TP_KIND__MAX] = {
	"General Purpose", "Signature", "Encryption",
};

static const char paste_keymsg[] = "the pasted text is a private key, not "
    "a certificate (a private key never leaves its device; nothing was "
    "read from it)";
static const char paste_reqmsg[] = "the pasted text is a certificate "
    "request, not a certificate (give the request to the CA "
    "administrator and paste the certificate the CA issues)";

/*
 * What the BEGIN lines say, before any decoding: a private key or a
 * request gets its own message (and a key is never parsed at all).
 */
static int
paste_pem_labels(const char *text, size_t len, struct err *e)
{
	const char	*p = text, *end = text + len, *lab, *q;
	size_t		 n;

	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		lab = p + 11;
		for (q = lab; q < end && *q != '\n' && *q != '-'; q++)
			;
		n = (size_t)(q - lab);
		if (n > PASTE_LABELMAX)
			n = PASTE_LABELMAX;
		if (n >= 11 && memcmp(lab + n - 11, "PRIVATE KEY", 11) == 0)
			return err_set(e, ERR_REFUSED, "%s", paste_keymsg);
		if (memmem(lab, n, "CERTIFICATE REQUEST", 19) != NULL)
			return err_set(e, ERR_REFUSED, "%s", paste_reqmsg);
		p = lab;
	}
	return 0;
}

static int
paste_b64char(int c)
{
	return isalnum(c) || c == '+' || c == '/' || c == '=';
}

/*
 * Base64 without BEGIN/END lines, as IOS accepts it: whitespace and line
 * breaks are ignored; anything else names the line it is on.
 */
static int
paste_base64(unsigned char **out, size_t *outlen, const char *text,
    size_t len, struct err *e)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	char		*clean = NULL;
	unsigned char	*der = NULL;
	size_t		 i, n = 0;
	int		 line = 1, l1 = 0, l2 = 0, rc = 0;

	*out = NULL;
	if ((clean = malloc(len + 1)) == NULL ||
	    (der = malloc(len / 4 * 3 + 3)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		if (isspace((unsigned char)text[i]))
			continue;
		if (!paste_b64char((unsigned char)text[i])) {
			rc = err_set(e, ERR_INVAL, "the pasted text is neither "
			    "PEM nor base64 (line %d)", line);
			goto out;
		}
		clean[n++] = text[i];
	}
	if (n == 0) {
		rc = err_set(e, ERR_INVAL, "nothing was pasted");
		goto out;
	}
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &l1, (unsigned char *)clean,
	    (int)n) < 0 || EVP_DecodeFinal(ctx, der + l1, &l2) != 1 ||
	    n % 4 != 0) {
		rc = err_set(e, ERR_INVAL, "the pasted text is not valid "
		    "base64 (%zu characters, broken padding or cut short)", n);
		goto out;
	}
	*out = der;
	*outlen = (size_t)(l1 + l2);
	der = NULL;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(clean);
	free(der);
	return rc;
}

/* DER that is not a certificate: say what it is when it is a key. */
static int
paste_der_kind(const unsigned char *der, size_t len, struct err *e)
{
	const unsigned char	*p;
	EVP_PKEY		*k;
	X509_SIG		*sig;
	X509_REQ		*req;
	int			 rc = 0;

	p = der;
	if ((k = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
		EVP_PKEY_free(k);
		rc = err_set(e, ERR_REFUSED, "%s", paste_keymsg);
	} else if (p = der, (sig = d2i_X509_SIG(NULL, &p, (long)len)) !=
	    NULL) {
		X509_SIG_free(sig);
		rc = err_set(e, ERR_REFUSED, "%s", paste_keymsg);
	} else if (p = der, (req = d2i_X509_REQ(NULL, &p, (long)len)) !=
	    NULL) {
		X509_REQ_free(req);
		rc = err_set(e, ERR_REFUSED, "%s", paste_reqmsg);
	}
	ERR_clear_error();
	return rc;
}

int
paste_certs(STACK_OF(X509) **out, const char *text, size_t len,
    struct err *e)
{
	unsigned char	*der = NULL;
	size_t		 derlen = 0;
	int		 rc, krc;

	*out = NULL;
	if (len > PASTE_MAX)
		return err_set(e, ERR_TOOBIG, "the pasted text is longer than "
		    "%u bytes", PASTE_MAX);
	if (memmem(text, len, "-----BEGIN ", 11) != NULL) {
		if ((rc = paste_pem_labels(text, len, e)) != 0)
			return rc;
		if ((rc = cert_parse_any(out, (const unsigned char *)text, len,
		    PASTE_CERTMAX, e)) != 0)
			err_prefix(e, "pasted text");
		return rc;
	}
	if ((rc = paste_base64(&der, &derlen, text, len, e)) != 0)
		return rc;
	rc = cert_parse_any(out, der, derlen, PASTE_CERTMAX, e);
	if (rc != 0 && rc != ERR_TOOBIG) {
		if ((krc = paste_der_kind(der, derlen, e)) != 0)
			rc = krc;
		else
			err_prefix(e, "pasted base64");
	}
	free(der);
	return rc;
}

size_t
paste_outside_lines(const char *text, size_t len)
{
	const char	*p = text, *end = text + len, *nl, *q;
	size_t		 n = 0, ll;
	int		 in = 0;

	if (memmem(text, len, "-----BEGIN ", 11) == NULL)
		return 0;
	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl != NULL ? nl : end) - p);
		if (ll >= 11 && memcmp(p, "-----BEGIN ", 11) == 0)
			in = 1;
		else if (in && ll >= 9 && memcmp(p, "-----END ", 9) == 0)
			in = 0;
		else if (!in) {
			for (q = p; q < p + ll && isspace((unsigned char)*q);
			    q++)
				;
			n += q < p + ll;
		}
	}
	return n;
}

int
paste_check_cas(STACK_OF(X509) *certs, struct err *e)
{
	char	*dn;
	int	 i;

	if (sk_X509_num(certs) < 2)
		return 0;
	for (i = 0; i < sk_X509_num(certs); i++) {
		if (cert_is_ca(sk_X509_value(certs, i)))
			continue;
		dn = cert_dn(X509_get_subject_name(sk_X509_value(certs, i)),
		    CERT_DN_LOWER);
		err_set(e, ERR_REFUSED, "pasted certificate %d (%s) is not a "
		    "CA certificate: paste the CA certificates only (a router "
		    "certificate goes to 'crypto ca import')", i + 1,
		    dn ? dn : "?");
		free(dn);
		return ERR_REFUSED;
	}
	return 0;
}

/* The one pasted certificate that is not a CA certificate. */
static int
paste_device_cert(X509 **out, STACK_OF(X509) *certs,
    const struct paste_target *t, struct err *e)
{
	X509	*x;
	int	 i, n = 0;

	*out = NULL;
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (cert_is_ca(x))
			continue;
		*out = x;
		n++;
	}
	if (n == 0)
		return err_set(e, ERR_REFUSED, "the pasted certificate is a CA "
		    "certificate (RFC 5280 4.2.1.9: basicConstraints cA), not "
		    "a certificate for this device: a CA certificate is "
		    "accepted with 'crypto ca authenticate %s'", t->name);
	if (n > 1)
		return err_set(e, ERR_INVAL, "the pasted text holds %d device "
		    "certificates: paste one at a time", n);
	return 0;
}

int
paste_match(X509 **out, enum tp_kind *kind, STACK_OF(X509) *certs,
    const struct paste_target *t, time_t now, struct err *e)
{
	X509		*x;
	EVP_PKEY	*pk;
	int		 k, rc;

	*out = NULL;
	if ((rc = paste_device_cert(&x, certs, t, e)) != 0)
		return rc;
	pk = X509_get0_pubkey(x);
	for (k = 0; k < TP_KIND__MAX; k++)
		if (pk != NULL && t->key[k] != NULL &&
		    EVP_PKEY_eq(pk, t->key[k]) == 1)
			break;
	ERR_clear_error();
	if (k == TP_KIND__MAX)
		return err_set(e, ERR_REFUSED, "the certificate is not for key "
		    "pair %s: its public key is not one of the trustpoint's "
		    "keys", t->keylabel);
	if (t->ca == NULL)
		return err_set(e, ERR_NOTFOUND, "trustpoint %s is not "
		    "authenticated", t->name);
	if ((rc = tp_check_issued(x, t->ca, now, "the certificate", e)) != 0)
		return rc;
	if (t->have[k] != NULL && X509_cmp(t->have[k], x) == 0)
		return err_set(e, ERR_EXISTS, "this certificate is already "
		    "imported for key pair %s (%s): nothing changed",
		    t->keylabel, paste_usage[k]);
	if (!X509_up_ref(x))
		return err_nomem(e);
	*out = x;
	*kind = k;
	return 0;
}

int
paste_target_load(struct paste_target *t, struct store *st,
    const struct trustpoint *tp, const struct tp_certs *certs, struct err *e)
{
	int	 k, rc, usage = 0;

	memset(t, 0, sizeof(*t));
	t->name = tp->name;
	t->keylabel = tp->keylabel;
	t->ca = certs->ca;
	for (k = 0; k < TP_KIND__MAX; k++)
		t->have[k] = certs->dev[k];
	if (!keystore_exists(st, tp->keylabel, &usage))
		return err_set(e, ERR_NOTFOUND, "Key pair %s not found: enter "
		    "'crypto ca enroll %s' first", tp->keylabel, tp->name);
	for (k = usage ? TP_KIND_SIGN : TP_KIND_GENERAL;
	    k <= (usage ? TP_KIND_ENCR : TP_KIND_GENERAL); k++)
		if ((rc = keystore_load(&t->key[k], st, tp->keylabel,
		    tp_keystore_kind(k), e)) != 0)
			return rc;
	return 0;
}

void
paste_target_clear(struct paste_target *t)
{
	int	 k;

	for (k = 0; k < TP_KIND__MAX; k++)
		EVP_PKEY_free(t->key[k]);
	memset(t, 0, sizeof(*t));
}
