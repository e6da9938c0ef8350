/*
 * crl_fetch: CRLs from distribution points (http, https, ldap, file) into
 * the cache.
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
#include "clock.h"
#include "crl.h"
#include "crl_int.h"
#include "err.h"
#include "fetch.h"
#include "store.h"

/*
 * curl prints an LDAP search result as LDIF-like text; a binary attribute
 * (";binary") arrives base64-encoded after "attr:: " or "attr: ".  Return
 * the decoded certificateRevocationList value.
 */
int
crl_from_ldap(unsigned char **out, size_t *outlen, const char *body,
    size_t len, struct err *e)
{
	const char	*p, *end = body + len, *v, *eol;
	unsigned char	*buf = NULL;
	EVP_ENCODE_CTX	*ctx = NULL;
	int		 n, m, rc = 0;

	*out = NULL;
	if ((p = memmem(body, len, "certificateRevocationList", 25)) == NULL)
		return err_set(e, ERR_PROTO, "LDAP: no "
		    "certificateRevocationList attribute in the answer");
	if ((v = memchr(p, ':', (size_t)(end - p))) == NULL)
		return err_set(e, ERR_PROTO, "LDAP: bad answer");
	while (v < end && (*v == ':' || *v == ' '))
		v++;
	for (eol = v; eol < end && *eol != '\n' && *eol != '\r'; eol++)
		;
	if ((buf = malloc((size_t)(eol - v) / 4 * 3 + 4)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)v,
	    (int)(eol - v)) < 0 || EVP_DecodeFinal(ctx, buf + n, &m) != 1) {
		rc = err_set(e, ERR_PROTO, "LDAP: CRL value is not base64");
		goto out;
	}
	*out = buf;
	*outlen = (size_t)(n + m);
	buf = NULL;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return rc;
}

/* The CRL bytes at url; *der is malloc'd. */
static int
crl_fetch_bytes(unsigned char **der, size_t *len, const char *url,
    const struct fetch_opts *fo, struct err *e)
{
	struct fetch_result	 r;
	int			 rc;

	*der = NULL;
	if ((rc = fetch_get_max(&r, url, fo, CRL_MAXSIZE, 0, e)) != 0)
		return rc;
	if (strncasecmp(url, "ldap", 4) == 0)
		rc = crl_from_ldap(der, len, r.body, r.len, e);
	else {
		*der = (unsigned char *)r.body;
		*len = r.len;
		r.body = NULL;
	}
	fetch_result_free(&r);
	return rc;
}

/*
 * The time a fetched CRL is judged at: the caller's, or (0) the clock when
 * the bytes arrived.  A CA may sign its CRL when asked, and the fetch takes
 * as long as the network does: a clock read before it would find that CRL
 * in the future.
 */
static time_t
crl_fetch_time(time_t at)
{
	return at != 0 ? at : clock_now();
}

int
crl_cache_fetch(struct crl_cache *c, const char *url, X509 *issuer,
    const struct fetch_opts *fo, time_t at, struct err *e)
{
	unsigned char	*der = NULL;
	size_t		 len = 0;
	int		 rc;

	/* Transport errors name the URL already. */
	if ((rc = crl_fetch_bytes(&der, &len, url, fo, e)) == 0 &&
	    (rc = crl_cache_put(c, der, len, issuer, url, crl_fetch_time(at),
	    e)) != 0)
		err_prefix(e, "CRL %s", url);
	free(der);
	return rc;
}

int
crl_cache_request(struct crl_cache *c, const char *url,
    STACK_OF(X509) *cands, const struct fetch_opts *fo, time_t at,
    struct crl_info *info, int *verified, struct err *e)
{
	unsigned char		*der = NULL, *pem = NULL, *idx = NULL;
	size_t			 len = 0, idxlen;
	struct crl_der		*d = NULL;
	X509			*issuer = NULL, *x;
	struct crl_index	*ix = NULL;
	int			 i, rc;

	if (verified != NULL)
		*verified = 0;
	if ((rc = crl_fetch_bytes(&der, &len, url, fo, e)) != 0)
		return rc;
	at = crl_fetch_time(at);
	if ((rc = crl_walk(&d, &pem, der, len, e)) != 0)
		goto out;
	/* The candidate of the CRL's issuer name whose key signed it. */
	for (i = 0; i < sk_X509_num(cands) && issuer == NULL; i++) {
		x = sk_X509_value(cands, i);
		if (X509_NAME_cmp(X509_get_subject_name(x), d->issuer) == 0 &&
		    crl_check_sig(d, x, NULL) == 0)
			issuer = x;
	}
	ERR_clear_error();
	if ((rc = crl_put_parsed(c, d, issuer, 1, url, at, e)) != 0)
		goto out;
	if (verified != NULL)
		*verified = issuer != NULL;
	if (info != NULL) {
		/* Header only (no signer, no table): cheap at any size. */
		if ((rc = crl_index_build(&idx, &idxlen, d, NULL, url,
		    e)) != 0 || (rc = crl_index_open_mem(&ix, idx, idxlen,
		    e)) != 0)
			goto out;
		crl_index_info(ix, info);
	}
 out:
	if (rc != 0)
		err_prefix(e, "CRL %s", url);
	crl_index_free(ix);
	free(idx);
	crl_der_free(d);
	OPENSSL_free(pem);
	free(der);
	return rc;
}
