/*
 * Fuzz target: CRL parsing (the in-place DER walk of crl_der.c and
 * OpenSSL's decoder), checking, indexing, the cache and verified-once
 * promotion.  Input is tried as a CRL (DER or PEM) and, separately, as an
 * index file, since
 * both come from outside: CRLs from the network, index files from a disk
 * that may be damaged.  Every serial the CRL lists must be found in the
 * index built from it.  The signature over the raw TBS (crl_der_verify)
 * runs with a CA named as the CRL's issuer, and the cache's readers (list,
 * lookup, OpenSSL's load) read what the put wrote.  The input is also an
 * LDAP answer (a distribution point's, from the network).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"
#include "crl.h"
#include "crl_int.h"
#include "err.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A throwaway signer so that the "verified" index paths run too. */
static X509 *
fuzz_signer(void)
{
	static X509	*x;
	EVP_PKEY	*k;
	X509_NAME	*n;

	if (x != NULL)
		return x;
	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    (n = X509_NAME_new()) == NULL)
		abort();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	ASN1_TIME_set(X509_getm_notBefore(x), 0);
	ASN1_TIME_set(X509_getm_notAfter(x), 0x7fffffff);
	X509_sign(x, k, EVP_sha256());
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

/*
 * fuzz_signer's key under the CRL issuer's name, so that crl_check gets
 * past the name to the signature with whatever algorithm the CRL names.
 */
static X509 *
fuzz_issuer(const X509_NAME *name)
{
	X509	*x;

	if ((x = X509_dup(fuzz_signer())) != NULL &&
	    (!X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, name))) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void
fuzz_index(const unsigned char *buf, size_t len, X509_CRL *crl)
{
	struct crl_index	*ix;
	struct crl_info		 info;
	STACK_OF(X509_REVOKED)	*rev;
	time_t			 d;
	int			 i, r;

	if (crl_index_open_mem(&ix, buf, len, NULL) != 0)
		return;
	crl_index_info(ix, &info);
	rev = crl != NULL ? X509_CRL_get_REVOKED(crl) : NULL;
	for (i = 0; i < sk_X509_REVOKED_num(rev) && i < 64; i++) {
		r = crl_index_lookup(ix, X509_REVOKED_get0_serialNumber(
		    sk_X509_REVOKED_value(rev, i)), &d, NULL);
		if (info.modelled && r == 0)
			abort();	/* a listed serial the index lost */
	}
	crl_index_free(ix);
}

/*
 * The in-place walk and OpenSSL's decoder on the same bytes: when both
 * take a CRL they must agree on its entries, and every serial OpenSSL
 * lists must be in the index the walk built.
 */
static void
fuzz_der(const uint8_t *data, size_t size)
{
	struct crl_der		*d = NULL;
	X509_CRL		*crl = NULL;
	unsigned char		*idx = NULL;
	size_t			 idxlen;
	struct crl_info		 info;
	struct crl_index	*ix;
	struct err		 e;
	int			 n;

	time_t			 at = time(NULL);
	X509			*ca;

	if (crl_der_parse(&d, data, size, &e) != 0)
		return;
	crl_check(d, fuzz_signer(), at, &e);
	cert_asn1_time(d->this_update, &at);
	if ((ca = fuzz_issuer(d->issuer)) != NULL) {
		crl_check(d, ca, at, &e);
		X509_free(ca);
	}
	if (crl_index_build(&idx, &idxlen, d, fuzz_signer(),
	    "http://fuzz.example/a.crl", &e) != 0)
		goto out;
	if (crl_parse(&crl, data, size, NULL) == 0 &&
	    crl_index_open_mem(&ix, idx, idxlen, NULL) == 0) {
		crl_index_info(ix, &info);
		n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
		if (info.count != (uint64_t)(n < 0 ? 0 : n))
			abort();	/* the walk and OpenSSL disagree */
		crl_index_free(ix);
	}
	fuzz_index(idx, idxlen, crl);
 out:
	free(idx);
	X509_CRL_free(crl);
	crl_der_free(d);
}

/* What the cache's readers make of the files the put wrote. */
static void
fuzz_cache_read(struct crl_cache *cache, X509_CRL *crl, time_t at)
{
	STACK_OF(X509_CRL)	*sk;
	STACK_OF(X509_REVOKED)	*rev;
	struct crl_info		*v;
	struct crl_answer	 a;
	X509			*x;
	size_t			 n;
	struct err		 e;

	if (crl_cache_list(cache, &v, &n, &e) == 0)
		free(v);
	if (crl == NULL)
		return;
	if ((sk = sk_X509_CRL_new_null()) != NULL) {
		crl_cache_load(cache, X509_CRL_get_issuer(crl), sk, &e);
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
	}
	/* A certificate of the CRL's issuer: its first listed serial. */
	if ((x = fuzz_issuer(X509_CRL_get_issuer(crl))) == NULL)
		return;
	rev = X509_CRL_get_REVOKED(crl);
	if (sk_X509_REVOKED_num(rev) > 0)
		X509_set_serialNumber(x, (ASN1_INTEGER *)
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev,
		    0)));
	crl_cache_lookup(cache, x, fuzz_signer(), at, &a, &e);
	X509_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 dir[64];
	struct crl_cache	*cache = NULL;
	X509_CRL		*crl = NULL;
	unsigned char		*copy = NULL;
	time_t			 at = time(NULL);
	size_t			 len;
	struct err		 e;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/netpki-fuzz-crl-%ld",
		    (long)getpid());
	}
	/* As an index file (8-byte aligned copy, as mmap gives). */
	if ((copy = malloc(size + 8)) != NULL) {
		memcpy(copy, data, size);
		fuzz_index(copy, size, NULL);
		free(copy);
	}
	fuzz_der(data, size);
	if (crl_from_ldap(&copy, &len, (const char *)data, size, &e) == 0) {
		fuzz_der(copy, len);
		free(copy);
		copy = NULL;
	}
	/* Put it at its own thisUpdate so that the files get written. */
	if (crl_parse(&crl, data, size, &e) == 0)
		cert_asn1_time(X509_CRL_get0_lastUpdate(crl), &at);
	if (crl_cache_open(&cache, dir, &e) == 0) {
		crl_cache_put(cache, data, size, NULL, NULL, at, &e);
		crl_cache_promote(cache, fuzz_signer(), at, &e);
		fuzz_cache_read(cache, crl, at);
		crl_cache_clear(cache, NULL, &e);
		rmdir(dir);
	}
	crl_cache_free(cache);
	X509_CRL_free(crl);
	return 0;
}
