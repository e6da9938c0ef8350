/*
 * crl: parse and check CRLs, and the small helpers the other crl modules
 * share (crl_int.h): crl_index.c the index, crl_cache.c and
 * crl_cache_files.c the on-disk cache, crl_fetch.c distribution points.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "crl.h"
#include "crl_int.h"
#include "err.h"
#include "fetch.h"
#include "store.h"
#include "text.h"

/*
 * The DER inside PEM ("X509 CRL"), *der OPENSSL_malloc'd; *der NULL when
 * buf is not PEM.
 */
int
crl_pem_der(unsigned char **der, size_t *derlen, const unsigned char *buf,
    size_t len, struct err *e)
{
	unsigned char	*data = NULL;
	char		*name = NULL, *hdr = NULL, nm[72];
	long		 dlen;
	BIO		*bio;
	int		 rc = 0;

	*der = NULL;
	*derlen = 0;
	if (!crl_is_pem(buf, len))
		return 0;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return err_nomem(e);
	if (PEM_read_bio(bio, &name, &hdr, &data, &dlen) != 1)
		rc = err_openssl(e, ERR_INVAL, "CRL: bad PEM");
	else if (strcmp(name, PEM_STRING_X509_CRL) != 0)
		rc = err_set(e, ERR_INVAL, "CRL: PEM block is a %s, not an "
		    "X509 CRL", text_esc(nm, sizeof(nm), name));
	else {
		*der = data;
		*derlen = (size_t)dlen;
		data = NULL;
	}
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	return rc;
}

/* DER or PEM bytes walked in place; *pem: the DER of PEM input, or NULL. */
int
crl_walk(struct crl_der **d, unsigned char **pem, const unsigned char *buf,
    size_t len, struct err *e)
{
	size_t	 n;
	int	 rc;

	*d = NULL;
	if (len > CRL_MAXSIZE)
		return err_set(e, ERR_TOOBIG, "CRL: larger than %u bytes",
		    CRL_MAXSIZE);
	if ((rc = crl_pem_der(pem, &n, buf, len, e)) != 0)
		return rc;
	if ((rc = crl_der_parse(d, *pem ? *pem : buf, *pem ? n : len, e)) !=
	    0) {
		OPENSSL_free(*pem);
		*pem = NULL;
	}
	return rc;
}

int
crl_parse(X509_CRL **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	const unsigned char	*p;
	unsigned char		*data = NULL;
	size_t			 dlen;
	X509_CRL		*crl = NULL;
	int			 rc = 0;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVAL, "CRL: empty input");
	if (len > CRL_MAXSIZE)
		return err_set(e, ERR_TOOBIG, "CRL: larger than %u bytes",
		    CRL_MAXSIZE);
	if ((rc = crl_pem_der(&data, &dlen, buf, len, e)) != 0)
		return rc;
	if (data != NULL) {
		buf = data;
		len = dlen;
	}
	p = buf;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		rc = err_openssl(e, ERR_INVAL, "CRL: not a DER X.509 CRL");
		goto out;
	}
	if (p != buf + len) {
		rc = err_set(e, ERR_INVAL, "CRL: %zu bytes of trailing data",
		    (size_t)(buf + len - p));
		goto out;
	}
	if ((rc = cert_der_sigalg_check(buf, len, "CRL", e)) != 0)
		goto out;
	if (sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) >
	    (int)CRL_MAXENTRIES) {
		rc = err_set(e, ERR_TOOBIG, "CRL: more than %u entries",
		    CRL_MAXENTRIES);
		goto out;
	}
	*out = crl;
	crl = NULL;
 out:
	X509_CRL_free(crl);
	OPENSSL_free(data);
	return rc;
}

/*
 * The critical extensions OpenSSL's CRL code handles; anything else that is
 * critical makes the CRL unusable (RFC 5280 5.2, 5.3).
 */
static int
crl_critical_ok(const struct crl_der *d, struct err *e)
{
	const X509_EXTENSION	*ext;
	int			 i, nid;

	for (i = 0; i < sk_X509_EXTENSION_num(d->exts); i++) {
		ext = sk_X509_EXTENSION_value(d->exts, i);
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(
		    (X509_EXTENSION *)ext));
		if (nid != NID_issuing_distribution_point &&
		    nid != NID_authority_key_identifier &&
		    nid != NID_delta_crl)
			return err_set(e, ERR_REFUSED, "RFC 5280 5.2: CRL has "
			    "an unhandled critical extension");
	}
	if (d->entry_critical)
		return err_set(e, ERR_REFUSED, "RFC 5280 5.3: CRL entry has "
		    "an unhandled critical extension");
	return 0;
}

/* thisUpdate <= at <= nextUpdate. */
int
crl_check_times(const struct crl_der *d, time_t at, struct err *e)
{
	if (X509_cmp_time(d->this_update, &at) > 0)
		return err_set(e, ERR_REFUSED, "CRL is not yet valid "
		    "(thisUpdate is in the future)");
	if (d->next_update != NULL && X509_cmp_time(d->next_update, &at) < 0)
		return err_set(e, ERR_REFUSED, "CRL has expired (nextUpdate "
		    "has passed)");
	return 0;
}

/* crl_check without the signature (for a CRL whose signature was checked). */
int
crl_check_fields(const struct crl_der *d, X509 *issuer, time_t at,
    struct err *e)
{
	int	 rc;

	if (X509_NAME_cmp(d->issuer, X509_get_subject_name(issuer)) != 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 6.3.3(b): CRL issuer "
		    "is not the certificate issuer");
	if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(issuer) & KU_CRL_SIGN))
		return err_set(e, ERR_REFUSED, "RFC 5280 6.3.3(f): CRL issuer "
		    "key usage lacks cRLSign");
	if ((rc = crl_critical_ok(d, e)) != 0)
		return rc;
	return crl_check_times(d, at, e);
}

int
crl_check_sig(const struct crl_der *d, X509 *issuer, struct err *e)
{
	EVP_PKEY	*pk;

	if ((pk = X509_get0_pubkey(issuer)) == NULL)
		return err_openssl(e, ERR_CRYPTO, "CRL issuer public key");
	if (crl_der_verify(d, pk) != 1)
		return err_openssl(e, ERR_REFUSED, "RFC 5280 6.3.3(g): CRL "
		    "signature does not verify with the issuer's key");
	return 0;
}

int
crl_check(const struct crl_der *d, X509 *issuer, time_t at, struct err *e)
{
	int	 rc;

	/* Name and extensions first: cheap, and say more than a signature. */
	if ((rc = crl_check_fields(d, issuer, at, e)) != 0)
		return rc;
	return crl_check_sig(d, issuer, e);
}

void
crl_sha256(uint8_t out[32], const void *buf, size_t len)
{
	unsigned int	 n = 32;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

void
crl_hex(char *out, const uint8_t *in, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * The issuer directory name: OpenSSL's hash of the canonical name
 * encoding, so that names differing only in case or spacing (RFC 5280
 * 7.1) share a directory.  A collision only puts two issuers' CRLs side by
 * side; each is still used only with the key that verified it.
 */
int
crl_name_hash(uint8_t out[32], const X509_NAME *name)
{
	unsigned long	 h;
	int		 ok = 0;

	memset(out, 0, 32);
	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok)
		return ERR_CRYPTO;
	out[0] = (uint8_t)(h >> 24);
	out[1] = (uint8_t)(h >> 16);
	out[2] = (uint8_t)(h >> 8);
	out[3] = (uint8_t)h;
	return 0;
}

void
crl_key_hash(uint8_t out[32], X509 *x)
{
	const ASN1_BIT_STRING	*bs = X509_get0_pubkey_bitstr(x);

	if (bs == NULL) {
		memset(out, 0, 32);
		return;
	}
	crl_sha256(out, ASN1_STRING_get0_data(bs),
	    (size_t)ASN1_STRING_length(bs));
}

/*
 * Serial magnitude without leading zeros.  -1 for what the index cannot
 * hold: negative or longer than CRL_MAXSERIAL.
 */
int
crl_serial_bytes(const ASN1_INTEGER *s, const unsigned char **out)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 n = ASN1_STRING_length(s);

	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER)
		return -1;
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n > CRL_MAXSERIAL)
		return -1;
	*out = p;
	return n;
}

/*
 * Seconds since the epoch of a broken-down UTC time, by arithmetic (days
 * from the civil date): timegm(3) costs more than the rest of an entry.
 */
static long long
crl_epoch(const struct tm *tm)
{
	long long	 y = tm->tm_year + 1900, m = tm->tm_mon + 1, era, doe;
	long long	 yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + tm->tm_mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + tm->tm_hour * 3600 +
	    tm->tm_min * 60 + tm->tm_sec;
}

uint32_t
crl_time32(const ASN1_TIME *t)
{
	struct tm	 tm;
	long long	 v;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	if ((v = crl_epoch(&tm)) < 0)
		return 0;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Whether a distribution point's full name lists exactly this URI. */
int
crl_names_have_uri(const GENERAL_NAMES *names, const char *url)
{
	const GENERAL_NAME	*gn;
	size_t			 len = strlen(url);
	int			 i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_URI && (size_t)ASN1_STRING_length(
		    gn->d.uniformResourceIdentifier) == len &&
		    memcmp(ASN1_STRING_get0_data(
		    gn->d.uniformResourceIdentifier), url, len) == 0)
			return 1;
	}
	return 0;
}


int
crl_has_suffix(const char *s, const char *suf)
{
	size_t	 n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

int
crl_is_pem(const unsigned char *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}
