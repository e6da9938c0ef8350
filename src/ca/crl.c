/*
 * cacrl: the CA's CRL (RFC 5280 section 5), signed from the store's
 * revocations and published as DIR/crl.der (atomic replace, so a reader
 * sees the old CRL or the new one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "crl.h"
#include "db.h"
#include "err.h"
#include "store.h"

struct cacrl_fill {
	X509_CRL	*crl;
	int		 gen;		/* the CA generation signing it */
	struct err	*e;
};

static int
cacrl_add_entry(const struct db_cert *c, void *arg)
{
	struct cacrl_fill		*f = arg;
	X509_REVOKED		*r = NULL;
	ASN1_INTEGER		*sn = NULL;
	ASN1_TIME		*t = NULL;
	ASN1_ENUMERATED		*reason = NULL;
	int			 rc = 0;

	/* Each generation's CRL lists the certificates it issued. */
	if ((c->gen > 1 ? c->gen : 1) != f->gen)
		return 0;
	if ((rc = issue_serial_parse(&sn, c->serial, f->e)) != 0)
		return rc;
	if ((r = X509_REVOKED_new()) == NULL ||
	    (t = ASN1_TIME_set(NULL, c->revoked)) == NULL ||
	    !X509_REVOKED_set_serialNumber(r, sn) ||
	    !X509_REVOKED_set_revocationDate(r, t)) {
		rc = err_openssl(f->e, ERR_CRYPTO, "CRL entry %s", c->serial);
		goto out;
	}
	/* RFC 5280 5.3.1: omit the reason rather than say unspecified. */
	if (c->reason > 0 && ((reason = ASN1_ENUMERATED_new()) == NULL ||
	    !ASN1_ENUMERATED_set(reason, c->reason) ||
	    !X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0,
	    X509V3_ADD_DEFAULT))) {
		rc = err_openssl(f->e, ERR_CRYPTO, "CRL reason %s", c->serial);
		goto out;
	}
	if (!X509_CRL_add0_revoked(f->crl, r)) {
		rc = err_openssl(f->e, ERR_CRYPTO, "CRL entry %s", c->serial);
		goto out;
	}
	r = NULL;
 out:
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(sn);
	X509_REVOKED_free(r);
	return rc;
}

static int
cacrl_sign(X509_CRL **out, const struct ca *ca, struct db *db, struct err *e)
{
	struct cacrl_fill	 f;
	X509_CRL	*crl = NULL;
	ASN1_TIME	*t = NULL;
	ASN1_INTEGER	*num = NULL;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*aki = NULL;
	int64_t		 n;
	time_t		 now = clock_now();
	int		 rc;

	*out = NULL;
	if ((rc = db_crl_number(db, &n, e)) != 0)
		return rc;
	if ((crl = X509_CRL_new()) == NULL || (num = ASN1_INTEGER_new()) ==
	    NULL || (t = ASN1_TIME_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    X509_time_adj_ex(t, 0, 0, &now) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    X509_time_adj_ex(t, CA_CRL_DAYS, 0, &now) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t) ||
	    !ASN1_INTEGER_set_int64(num, n) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0)) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot make CRL");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((aki = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    !X509_CRL_add_ext(crl, aki, -1)) {
		rc = err_openssl(e, ERR_CRYPTO, "CRL authorityKeyIdentifier");
		goto out;
	}
	f.crl = crl;
	f.gen = ca->gen > 1 ? ca->gen : 1;
	f.e = e;
	if ((rc = db_cert_list(db, 1, cacrl_add_entry, &f, e)) != 0)
		goto out;
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot sign CRL");
		goto out;
	}
	*out = crl;
	crl = NULL;
 out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rc;
}

int
cacrl_ended(const struct ca *g, const struct ca *cur, time_t now)
{
	return g->gen < cur->gen &&
	    X509_cmp_time(X509_get0_notAfter(g->cert), &now) < 0;
}

/* crl.der for generation 1, as always; crl-N.der for the later ones. */
static void
cacrl_path(char *path, size_t sz, const struct ca *ca)
{
	char	 name[32];

	if (ca->gen > 1)
		snprintf(name, sizeof(name), "crl-%d.der", ca->gen);
	else
		snprintf(name, sizeof(name), "crl.der");
	ca_path(path, sz, ca, name);
}

int
cacrl_update(const struct ca *ca, struct db *db, struct err *e)
{
	X509_CRL	*crl = NULL;
	unsigned char	*der = NULL;
	char		 path[4096];
	size_t		 n;
	int		 rc;

	if ((rc = cacrl_sign(&crl, ca, db, e)) != 0)
		return rc;
	if ((rc = cert_der_dup(&der, &n, crl, ASN1_ITEM_rptr(X509_CRL), "CRL",
	    e)) != 0)
		goto out;
	cacrl_path(path, sizeof(path), ca);
	rc = store_file_write(path, der, n, STORE_PUBLIC, e);
 out:
	free(der);
	X509_CRL_free(crl);
	return rc;
}

/*
 * The published CRL serves until its nextUpdate, unless the store holds
 * more revocations than it lists: another instance sharing the database
 * (or an admin command) revoked since, so a new one is signed now.
 */
static int
cacrl_fresh(const unsigned char *der, size_t len, int64_t revoked)
{
	const unsigned char	*p = der;
	X509_CRL		*crl;
	time_t			 now = clock_now();
	int			 ok, n;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	/* An empty CRL has no revokedCertificates: the count is -1 then. */
	if ((n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl))) < 0)
		n = 0;
	ok = X509_CRL_get0_nextUpdate(crl) != NULL &&
	    X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &now) > 0 &&
	    n >= revoked;
	X509_CRL_free(crl);
	return ok;
}

int
cacrl_current(unsigned char **out, size_t *outlen, const struct ca *ca,
    struct db *db, struct err *e)
{
	char	 path[4096], *buf = NULL;
	size_t	 len = 0;
	int64_t	 revoked;
	int	 rc;

	*out = NULL;
	if ((rc = db_cert_revoked_count_gen(db, ca->gen > 1 ? ca->gen : 1,
	    &revoked, e)) != 0)
		return rc;
	cacrl_path(path, sizeof(path), ca);
	rc = store_file_read(path, &buf, &len, CRL_MAXSIZE, e);
	if (rc == 0 && cacrl_fresh((unsigned char *)buf, len, revoked)) {
		*out = (unsigned char *)buf;
		*outlen = len;
		return 0;
	}
	free(buf);
	buf = NULL;
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	if ((rc = cacrl_update(ca, db, e)) != 0 ||
	    (rc = store_file_read(path, &buf, &len, CRL_MAXSIZE, e)) != 0)
		return rc;
	*out = (unsigned char *)buf;
	*outlen = len;
	return 0;
}
