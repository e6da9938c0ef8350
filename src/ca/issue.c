/*
 * issue: the certificate profile of netpki-ca and its serial numbers.
 *
 * Serials are 128 random bits (top bit set, so always 32 hex digits);
 * uniqueness comes from the store's UNIQUE constraint, not from a counter,
 * so several threads or servers can issue at once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "policy.h"

#define ISSUE_CSRMAX		(64 * 1024)
#define ISSUE_CHALLENGEMAX	255

int
issue_csr_parse(X509_REQ **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	X509_REQ		*req = NULL;
	const unsigned char	*p = buf;
	BIO			*b = NULL;
	EVP_PKEY		*pk;
	int			 rc = 0;

	*out = NULL;
	if (len == 0 || len > ISSUE_CSRMAX)
		return err_set(e, ERR_TOOBIG, "certificate request: empty or "
		    "over %d bytes", ISSUE_CSRMAX);
	if (memmem(buf, len, "-----BEGIN", 10) != NULL) {
		if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return err_nomem(e);
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		BIO_free(b);
	} else if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL &&
	    p != buf + len) {
		rc = err_set(e, ERR_INVAL, "RFC 2986: trailing data after the "
		    "certificate request");
		goto out;
	}
	if (req == NULL)
		return err_openssl(e, ERR_INVAL, "not a PKCS#10 certificate "
		    "request");
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pk) != 1) {
		rc = err_openssl(e, ERR_REFUSED, "RFC 2986: the certificate "
		    "request's signature does not verify with its public key");
		goto out;
	}
	*out = req;
	req = NULL;
 out:
	X509_REQ_free(req);
	return rc;
}

int
issue_csr_strip(unsigned char **out, size_t *outlen, X509_REQ *req,
    struct err *e)
{
	int	 i;

	/*
	 * In place: a copy would decode the public key again, which is
	 * slow in OpenSSL 3.  The caller has verified the request already.
	 */
	while ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
	    -1)) >= 0)
		X509_ATTRIBUTE_free(X509_REQ_delete_attr(req, i));
	return cert_der_dup(out, outlen, req, ASN1_ITEM_rptr(X509_REQ),
	    "the request", e);
}

int
issue_csr_stored(X509_REQ **out, const unsigned char *der, size_t len,
    struct err *e)
{
	const unsigned char	*p = der;

	if ((*out = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		return err_openssl(e, ERR_INVAL, "stored request is unreadable");
	if (p != der + len) {
		X509_REQ_free(*out);
		*out = NULL;
		return err_set(e, ERR_INVAL, "stored request has trailing data");
	}
	return 0;
}

int
issue_csr_challenge(char **out, X509_REQ *req, struct err *e)
{
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*t;
	unsigned char	*u = NULL;
	int		 i, n;

	*out = NULL;
	if ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
	    -1)) < 0)
		return 0;
	a = X509_REQ_get_attr(req, i);
	if (X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	    t->type != V_ASN1_IA5STRING && t->type != V_ASN1_T61STRING &&
	    t->type != V_ASN1_BMPSTRING))
		return err_set(e, ERR_INVAL, "RFC 2985 5.4.1: challengePassword "
		    "must be one DirectoryString");
	if ((n = ASN1_STRING_to_UTF8(&u, t->value.asn1_string)) < 0 ||
	    n > ISSUE_CHALLENGEMAX) {
		OPENSSL_free(u);
		return err_set(e, ERR_INVAL, "challengePassword: bad or longer "
		    "than %d bytes", ISSUE_CHALLENGEMAX);
	}
	if ((*out = strndup((char *)u, (size_t)n)) == NULL) {
		OPENSSL_cleanse(u, (size_t)n);
		OPENSSL_free(u);
		return err_nomem(e);
	}
	OPENSSL_cleanse(u, (size_t)n);
	OPENSSL_free(u);
	return 0;
}

char *
issue_serial_hex(const ASN1_INTEGER *ai)
{
	BIGNUM	*bn;
	char	*hex, *out = NULL;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return NULL;
	if ((hex = BN_bn2hex(bn)) != NULL)
		out = strdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

/* Hex as `openssl x509 -serial` prints it; colons and "0x" tolerated. */
int
issue_serial_parse(ASN1_INTEGER **out, const char *s, struct err *e)
{
	BIGNUM	*bn = NULL;
	char	 hex[128];
	size_t	 n = 0;
	int	 rc = 0;

	*out = NULL;
	if (strncmp(s, "serial=", 7) == 0)
		s += 7;
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)
		s += 2;
	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof(hex))
			return err_set(e, ERR_INVAL, "serial: hex digits "
			    "expected (as openssl x509 -serial prints it)");
		hex[n++] = *s;
	}
	hex[n] = '\0';
	if (n == 0 || BN_hex2bn(&bn, hex) == 0)
		return err_set(e, ERR_INVAL, "serial: hex digits expected");
	if ((*out = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		rc = err_openssl(e, ERR_NOMEM, "serial");
	BN_free(bn);
	return rc;
}

static int
issue_serial_random(ASN1_INTEGER **out, struct err *e)
{
	BIGNUM	*bn;
	int	 rc = 0;

	if ((bn = BN_new()) == NULL)
		return err_nomem(e);
	if (!BN_rand(bn, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    (*out = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		rc = err_openssl(e, ERR_CRYPTO, "no random serial");
	BN_free(bn);
	return rc;
}

int
issue_cert_new(X509 **out, const X509_NAME *subject, const X509_NAME *issuer,
    int days, struct err *e)
{
	X509		*x = NULL;
	ASN1_INTEGER	*sn = NULL;
	time_t		 now = clock_now();
	int		 rc;

	*out = NULL;
	if ((x = X509_new()) == NULL)
		return err_nomem(e);
	if ((rc = issue_serial_random(&sn, e)) != 0)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot make certificate");
		goto out;
	}
	*out = x;
	x = NULL;
 out:
	ASN1_INTEGER_free(sn);
	X509_free(x);
	return rc;
}

int
issue_cert_sign(X509 **out, X509 *x, X509 *issuer, EVP_PKEY *key,
    const char *crl_url, struct err *e)
{
	char	 cdp[600];
	int	 rc;

	*out = NULL;
	if ((rc = issue_ext(x, issuer, NID_subject_key_identifier, "hash",
	    e)) != 0 || (rc = issue_ext(x, issuer,
	    NID_authority_key_identifier, "keyid:always", e)) != 0)
		goto out;
	if (crl_url != NULL && crl_url[0] != '\0') {
		snprintf(cdp, sizeof(cdp), "URI:%s", crl_url);
		if ((rc = issue_ext(x, issuer, NID_crl_distribution_points,
		    cdp, e)) != 0)
			goto out;
	}
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot sign certificate");
		goto out;
	}
	*out = x;
	x = NULL;
 out:
	X509_free(x);
	return rc;
}

int
issue_ext(X509 *x, X509 *issuer, int nid, const char *value, struct err *e)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return err_openssl(e, ERR_CRYPTO, "extension %s=%s",
		    OBJ_nid2sn(nid), value);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return err_openssl(e, ERR_CRYPTO, "cannot add extension %s",
		    OBJ_nid2sn(nid));
	return 0;
}

/*
 * The request's SubjectPublicKeyInfo, copied as bytes: X509_set_pubkey()
 * would encode and decode the key again, which in OpenSSL 3 costs as much
 * as an RSA signature.
 */
static int
issue_copy_pubkey(X509 *x, X509_REQ *req)
{
	X509_PUBKEY		*src = X509_REQ_get_X509_PUBKEY(req);
	ASN1_OBJECT		*alg;
	const ASN1_OBJECT	*pobj;
	const unsigned char	*pk;
	const void		*pval;
	X509_ALGOR		*pa;
	void			*pdup = NULL;
	unsigned char		*penc = NULL;
	ASN1_OBJECT		*adup = NULL;
	int			 pklen, ptype;

	if (src == NULL ||
	    !X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, src))
		return 0;
	X509_ALGOR_get0(&pobj, &ptype, &pval, pa);
	if (ptype == V_ASN1_OBJECT)
		pdup = OBJ_dup(pval);
	else if (ptype == V_ASN1_SEQUENCE)
		pdup = ASN1_STRING_dup(pval);
	else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return 0;
	if ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE) &&
	    pdup == NULL)
		return 0;
	if ((adup = OBJ_dup(alg)) == NULL ||
	    (penc = OPENSSL_memdup(pk, (size_t)pklen)) == NULL ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), adup, ptype,
	    pdup, penc, pklen)) {
		ASN1_OBJECT_free(adup);
		OPENSSL_free(penc);
		if (ptype == V_ASN1_OBJECT)
			ASN1_OBJECT_free(pdup);
		else
			ASN1_STRING_free(pdup);
		return 0;
	}
	return 1;
}

static int
issue_build(X509 **out, const struct ca *ca, X509_REQ *req,
    const struct issue_opts *o, struct err *e)
{
	X509		*x = NULL;
	struct policy	 defpol;
	const struct policy *pol = o->policy;
	const char	*crl = o->crl_url;
	char		 cdp[560];
	int		 rc;

	*out = NULL;
	if (pol == NULL) {
		policy_default(&defpol);
		pol = &defpol;
	}
	if ((rc = issue_cert_new(&x, X509_REQ_get_subject_name(req),
	    X509_get_subject_name(ca->cert), policy_days(pol, o->days > 0 ?
	    o->days : CA_CERT_DAYS), e)) != 0)
		return rc;
	if (!issue_copy_pubkey(x, req)) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot make certificate");
		goto out;
	}
	/* Never outlive the CA. */
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca->cert)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(ca->cert))) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot set notAfter");
		goto out;
	}
	/* A CA at its end would issue certificates that are never valid. */
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notBefore(x)) <= 0) {
		rc = err_set(e, ERR_INVAL, "the CA certificate (generation %d) "
		    "has expired: nothing can be issued under it (netpki-ca "
		    "rollover makes the next CA)", ca->gen);
		goto out;
	}
	/* The extensions the policy grants, not what the request says. */
	if ((rc = policy_apply(pol, req, x, ca->cert, o->trusted, e)) != 0)
		goto out;
	/* Generation N > 1 publishes its CRL at /crl/N (http.c). */
	if (o->crl_url != NULL && o->crl_url[0] != '\0' && ca->gen > 1) {
		snprintf(cdp, sizeof(cdp), "%s/%d", o->crl_url, ca->gen);
		crl = cdp;
	}
	return issue_cert_sign(out, x, ca->cert, ca->key, crl, e);
 out:
	X509_free(x);
	return rc;
}

static int
issue_row(struct db_cert *c, X509 *x, int gen, struct err *e)
{
	char		*hex;
	int		 rc;

	memset(c, 0, sizeof(*c));
	if ((hex = issue_serial_hex(X509_get0_serialNumber(x))) == NULL)
		return err_nomem(e);
	snprintf(c->serial, sizeof(c->serial), "%s", hex);
	free(hex);
	if ((c->subject = cert_dn(X509_get_subject_name(x), CERT_DN_UPPER)) ==
	    NULL)
		return err_nomem(e);
	cert_asn1_time(X509_get0_notBefore(x), &c->not_before);
	cert_asn1_time(X509_get0_notAfter(x), &c->not_after);
	c->issued = clock_now();
	c->gen = gen;
	/* db_cert_clear frees der with free(): cert_der_dup's allocator. */
	if ((rc = cert_der_dup(&c->der, &c->der_len, x, ASN1_ITEM_rptr(X509),
	    "the certificate", e)) != 0)
		db_cert_clear(c);
	return rc;
}

int
issue_start(struct issue_pending *p, const struct ca *ca, X509_REQ *req,
    const struct db_request *r, const struct issue_opts *o, struct err *e)
{
	int	 rc;

	memset(p, 0, sizeof(*p));
	p->req = r;
	p->group = o->group;
	if ((rc = issue_build(&p->cert, ca, req, o, e)) != 0 ||
	    (rc = issue_row(&p->row, p->cert, ca->gen, e)) != 0 ||
	    (p->group != NULL && (rc = db_group_submit(p->group, &p->row, r,
	    &p->queued, e)) != 0)) {
		issue_pending_clear(p);
		return rc;
	}
	return 0;
}

int
issue_finish(struct issue_pending *p, struct db *db, int64_t *newid,
    struct err *e)
{
	struct db_pending	*q = p->queued;

	if (q == NULL)
		return db_cert_add(db, &p->row, p->req, newid, e);
	p->queued = NULL;
	return db_group_wait(p->group, q, newid, e);
}

void
issue_pending_clear(struct issue_pending *p)
{
	/* The commit thread may still be reading the row. */
	if (p->queued != NULL)
		(void)issue_finish(p, NULL, NULL, NULL);
	X509_free(p->cert);
	db_cert_clear(&p->row);
	memset(p, 0, sizeof(*p));
}

int
issue_cert(X509 **out, const struct ca *ca, struct db *db, X509_REQ *req,
    const struct db_request *r, int64_t *newid, const struct issue_opts *o,
    struct err *e)
{
	struct issue_pending	 p;
	int			 tries, rc = ERR_EXISTS;

	*out = NULL;
	for (tries = 0; tries < CA_SERIAL_TRIES && rc == ERR_EXISTS;
	    tries++) {
		if ((rc = issue_start(&p, ca, req, r, o, e)) != 0)
			break;
		if ((rc = issue_finish(&p, db, newid, e)) == 0) {
			*out = p.cert;
			p.cert = NULL;
		}
		issue_pending_clear(&p);
	}
	return rc;
}
