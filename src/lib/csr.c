/*
 * csr: PKCS#10 requests (RFC 2986) as IOS builds them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "csr.h"
#include "err.h"

/*
 * Attribute names as people type them, in any case (the reference prints
 * them lowercase).  A table rather than OBJ_txt2nid() so that checking a
 * subject-name while the configuration loads costs no OpenSSL work.
 */
static const struct {
	const char	*name;
	int		 nid;
	int		 len;		/* exact length required, 0 if any */
} csr_attrs[] = {
	{ "CN",			NID_commonName,			0 },
	{ "commonName",		NID_commonName,			0 },
	{ "C",			NID_countryName,		2 },
	{ "countryName",	NID_countryName,		2 },
	{ "O",			NID_organizationName,		0 },
	{ "OU",			NID_organizationalUnitName,	0 },
	{ "L",			NID_localityName,		0 },
	{ "ST",			NID_stateOrProvinceName,	0 },
	{ "street",		NID_streetAddress,		0 },
	{ "DC",			NID_domainComponent,		0 },
	{ "UID",		NID_userId,			0 },
	{ "E",			NID_pkcs9_emailAddress,		0 },
	{ "emailAddress",	NID_pkcs9_emailAddress,		0 },
	{ "serialNumber",	NID_serialNumber,		0 },
	{ "unstructuredName",	NID_pkcs9_unstructuredName,	0 },
	{ "unstructuredAddress", NID_pkcs9_unstructuredAddress,	0 },
	{ "title",		NID_title,			0 },
	{ "GN",			NID_givenName,			0 },
	{ "SN",			NID_surname,			0 },
	{ "initials",		NID_initials,			0 },
	{ "pseudonym",		NID_pseudonym,			0 },
	{ "postalCode",		NID_postalCode,			0 },
	{ "name",		NID_name,			0 },
};

static int
csr_attr(const char *name, int *len)
{
	size_t	 i;

	for (i = 0; i < sizeof(csr_attrs) / sizeof(csr_attrs[0]); i++)
		if (strcasecmp(name, csr_attrs[i].name) == 0) {
			*len = csr_attrs[i].len;
			return csr_attrs[i].nid;
		}
	return NID_undef;
}

/* One "attr=value" with RFC 4514 escapes; *pp moves past the separator. */
static int
csr_parse_rdn(const char **pp, char *attr, size_t asz, char *val,
    size_t vsz, struct err *e)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while (*p == ' ')
		p++;
	while (*p != '\0' && *p != '=' && n < asz - 1)
		attr[n++] = *p++;
	while (n > 0 && attr[n - 1] == ' ')
		n--;
	attr[n] = '\0';
	if (*p != '=' || n == 0)
		return err_set(e, ERR_INVAL, "subject-name: expected "
		    "attribute=value near \"%.20s\"", *pp);
	p++;
	while (*p == ' ')
		p++;
	n = 0;
	while (*p != '\0' && *p != ',' && *p != ';' && *p != '+') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n >= vsz - 1)
			return err_set(e, ERR_TOOBIG, "subject-name: value of "
			    "%s too long", attr);
		val[n++] = *p++;
	}
	while (n > 0 && val[n - 1] == ' ' && (n < 2 || val[n - 2] != '\\'))
		n--;
	val[n] = '\0';
	if (n == 0)
		return err_set(e, ERR_INVAL, "subject-name: empty value for "
		    "%s", attr);
	if (*p != '\0')
		p++;
	*pp = p;
	return 0;
}

/*
 * Walk a DN: syntax, attribute names, value lengths; when name is not
 * NULL, add each RDN to it.  RFC 4514 writes the most specific RDN first,
 * so each one is prepended.
 */
static int
csr_walk_dn(X509_NAME *name, const char *dn, struct err *e)
{
	const char	*p = dn;
	char		 attr[64], val[CSR_DNMAX];
	int		 rc, nid, len, count = 0;

	if (strlen(dn) > CSR_DNMAX)
		return err_set(e, ERR_TOOBIG, "subject-name longer than %d",
		    CSR_DNMAX);
	while (*p != '\0') {
		if (++count > CSR_RDNMAX)
			return err_set(e, ERR_TOOBIG, "subject-name: more than "
			    "%d attributes", CSR_RDNMAX);
		if ((rc = csr_parse_rdn(&p, attr, sizeof(attr), val,
		    sizeof(val), e)) != 0)
			return rc;
		if ((nid = csr_attr(attr, &len)) == NID_undef)
			return err_set(e, ERR_INVAL, "subject-name: unknown "
			    "attribute %s", attr);
		if (len != 0 && strlen(val) != (size_t)len)
			return err_set(e, ERR_INVAL, "subject-name: %s must be "
			    "%d characters", attr, len);
		if (name != NULL && !X509_NAME_add_entry_by_NID(name, nid,
		    MBSTRING_UTF8, (unsigned char *)val, -1, 0, 0))
			return err_openssl(e, ERR_INVAL, "subject-name: bad "
			    "value for %s", attr);
	}
	if (count == 0)
		return err_set(e, ERR_INVAL, "subject-name is empty");
	return 0;
}

int
csr_check_dn(const char *dn, struct err *e)
{
	return csr_walk_dn(NULL, dn, e);
}

int
csr_parse_dn(X509_NAME **out, const char *dn, struct err *e)
{
	X509_NAME	*name;
	int		 rc;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL)
		return err_nomem(e);
	if ((rc = csr_walk_dn(name, dn, e)) != 0) {
		X509_NAME_free(name);
		return rc;
	}
	*out = name;
	return 0;
}

static int
csr_add_entry(X509_NAME *name, int nid, const char *v, struct err *e)
{
	/* Appended: more specific than the subject-name RDNs. */
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
	    (const unsigned char *)v, -1, -1, 0))
		return err_openssl(e, ERR_INVAL, "subject: bad %s \"%s\"",
		    OBJ_nid2sn(nid), v);
	return 0;
}

static int
csr_subject(X509_NAME **out, const struct csr_opts *o, struct err *e)
{
	X509_NAME	*name = NULL;
	int		 rc;

	*out = NULL;
	if (o->subject != NULL && *o->subject != '\0') {
		if ((rc = csr_parse_dn(&name, o->subject, e)) != 0)
			return rc;
	} else if ((name = X509_NAME_new()) == NULL)
		return err_nomem(e);
	if (o->ip_address != NULL && (rc = csr_add_entry(name,
	    NID_pkcs9_unstructuredAddress, o->ip_address, e)) != 0)
		goto out;
	if (o->serial != NULL && (rc = csr_add_entry(name, NID_serialNumber,
	    o->serial, e)) != 0)
		goto out;
	if (o->fqdn != NULL && *o->fqdn != '\0' && (rc = csr_add_entry(name,
	    NID_pkcs9_unstructuredName, o->fqdn, e)) != 0)
		goto out;
	*out = name;
	name = NULL;
 out:
	X509_NAME_free(name);
	return rc;
}

static int
csr_add_usage(X509_REQ *req, enum csr_usage usage, struct err *e)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509_EXTENSION			*ext = NULL;
	const char			*ku;
	int				 rc = 0;

	if (usage == CSR_USAGE_NONE)
		return 0;
	ku = usage == CSR_USAGE_SIGN ? "critical,digitalSignature" :
	    "critical,keyEncipherment";
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, ku)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext)) {
		rc = err_openssl(e, ERR_CRYPTO, "key usage extension");
		goto out;
	}
	ext = NULL;
	if (!X509_REQ_add_extensions(req, exts))
		rc = err_openssl(e, ERR_CRYPTO, "extension request");
 out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int
csr_build(X509_REQ **out, EVP_PKEY *key, const struct csr_opts *o,
    struct err *e)
{
	X509_REQ	*req = NULL;
	X509_NAME	*name = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = csr_subject(&name, o, e)) != 0)
		return rc;
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key)) {
		rc = err_openssl(e, ERR_CRYPTO, "building the request");
		goto out;
	}
	if (o->challenge != NULL && *o->challenge != '\0' &&
	    !X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
	    MBSTRING_UTF8, (const unsigned char *)o->challenge, -1)) {
		rc = err_openssl(e, ERR_INVAL, "challenge password");
		goto out;
	}
	if ((rc = csr_add_usage(req, o->usage, e)) != 0)
		goto out;
	if (X509_REQ_sign(req, key, o->md ? o->md : EVP_sha256()) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "signing the request");
		goto out;
	}
	*out = req;
	req = NULL;
 out:
	X509_NAME_free(name);
	X509_REQ_free(req);
	return rc;
}

char *
csr_fingerprint(X509_REQ *req)
{
	unsigned char	*der = NULL;
	char		*fp;
	int		 n;

	if ((n = i2d_X509_REQ(req, &der)) <= 0)
		return NULL;
	fp = cert_fingerprint(der, (size_t)n, "MD5", 'w');
	OPENSSL_free(der);
	return fp;
}

char *
csr_pem(X509_REQ *req)
{
	BIO	*bio;
	char	*p, *out = NULL;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509_REQ(bio, req) &&
	    (n = BIO_get_mem_data(bio, &p)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	return out;
}
