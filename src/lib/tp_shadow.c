/*
 * tp_shadow: a trustpoint's shadow certificate, the renewed router
 * certificate that waits beside the current one for its switch-over
 * (renew.h): trustpoints/<tp>/shadow-<kind>.pem.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"
#include "store.h"
#include "trustpoint.h"

/* A shadow file is one certificate; anything much larger is not ours. */
#define TP_SHADOW_MAX	(256u * 1024)

static int
tp_shadow_rel(char *rel, size_t sz, const char *name, enum tp_kind kind)
{
	char	 file[64];

	if ((unsigned)kind >= TP_KIND__MAX)
		return ERR_INVAL;
	snprintf(file, sizeof(file), "shadow-%s.pem", tp_kind_name(kind));
	return tp_path(rel, sz, name, file);
}

int
tp_shadow_load(X509 **out, struct store *st, const char *name,
    enum tp_kind kind, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	char		 rel[256], *buf = NULL;
	size_t		 len;
	int		 rc;

	*out = NULL;
	if (tp_shadow_rel(rel, sizeof(rel), name, kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "trustpoint %s: no shadow "
		    "certificate", name);
	if ((rc = store_read(st, rel, &buf, &len, TP_SHADOW_MAX, e)) != 0)
		return rc;
	if ((rc = cert_parse_any(&sk, (unsigned char *)buf, len, 1,
	    e)) != 0) {
		err_prefix(e, "Trustpoint %s: %s", name, rel);
		goto out;
	}
	if (sk_X509_num(sk) != 1) {
		rc = err_set(e, ERR_INVAL, "Trustpoint %s: %s: not one "
		    "certificate", name, rel);
		goto out;
	}
	*out = sk_X509_shift(sk);
 out:
	sk_X509_pop_free(sk, X509_free);
	free(buf);
	return rc;
}

int
tp_shadow_store(struct store *st, const char *name, enum tp_kind kind,
    X509 *x, struct err *e)
{
	BIO	*bio = NULL;
	char	 rel[256], *data;
	long	 n;
	int	 rc;

	if (tp_shadow_rel(rel, sizeof(rel), name, kind) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, x)) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the shadow "
		    "certificate");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	rc = store_write(st, rel, data, (size_t)n, STORE_PUBLIC, e);
 out:
	BIO_free(bio);
	return rc;
}
