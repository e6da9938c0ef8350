/*
 * tp_rollover: the CA's next certificate, fetched, judged, kept as the
 * shadow CA and switched to at the current CA's expiry (tp_rollover.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "cert.h"
#include "config.h"
#include "err.h"
#include "est_client.h"
#include "fetch.h"
#include "scep_client.h"
#include "store.h"
#include "text.h"
#include "tp_rollover.h"
#include "transport.h"
#include "trustpoint.h"

#define TP_NEXT_FILE	"ca-next.pem"

void
tp_nextca_clear(struct tp_nextca *n)
{
	if (n == NULL)
		return;
	sk_X509_pop_free(n->certs, X509_free);
	X509_free(n->link);
	memset(n, 0, sizeof(*n));
}

/* The outer CMS message: one SignedData, nothing after it. */
static int
tp_nextca_cms(CMS_ContentInfo **out, const unsigned char *der, size_t len,
    struct err *e)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*cms;

	*out = NULL;
	if (len > TP_NEXTCA_MAX)
		return err_set(e, ERR_TOOBIG, "RFC 8894 4.7: GetNextCACert: "
		    "answer of %zu bytes, more than %u", len, TP_NEXTCA_MAX);
	if (len == 0 || (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) ==
	    NULL)
		return err_openssl(e, ERR_PROTO, "RFC 8894 4.7: GetNextCACert: "
		    "the answer is not a CMS message");
	if (p != der + len) {
		CMS_ContentInfo_free(cms);
		return err_set(e, ERR_PROTO, "RFC 8894 4.7: GetNextCACert: "
		    "trailing data after the SignedData");
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		return err_set(e, ERR_PROTO, "RFC 8894 4.7: GetNextCACert: "
		    "the answer is not a SignedData");
	}
	*out = cms;
	return 0;
}

/*
 * A signed answer: its one signer must be cur (by SignerIdentifier) and
 * the signature must verify with cur's key; the content comes out in bag.
 */
static int
tp_nextca_signed(struct buf *bag, CMS_ContentInfo *cms, X509 *cur,
    struct err *e)
{
	CMS_SignerInfo		*si;
	STACK_OF(X509)		*trusted = NULL;
	ASN1_OCTET_STRING	**pos;
	BIO			*out = NULL;
	char			*p;
	long			 n;
	int			 rc = 0;
	const unsigned int	 fl = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY |
				    CMS_NOINTERN;

	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if (CMS_SignerInfo_cert_cmp(si, cur) != 0)
		return err_set(e, ERR_REFUSED, "RFC 8894 4.7: GetNextCACert: "
		    "the SignedData's signer certificate is not the current "
		    "CA certificate");
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data ||
	    (pos = CMS_get0_content(cms)) == NULL || *pos == NULL)
		return err_set(e, ERR_PROTO, "RFC 8894 4.7: GetNextCACert: the "
		    "SignedData holds no id-data content");
	if ((trusted = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(trusted, cur) ||
	    (out = BIO_new(BIO_s_mem())) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (CMS_verify(cms, trusted, NULL, NULL, out, fl) != 1) {
		rc = err_openssl(e, ERR_REFUSED, "RFC 8894 4.7: GetNextCACert: "
		    "the signature does not verify with the current CA "
		    "certificate's key");
		goto out;
	}
	n = BIO_get_mem_data(out, &p);
	if (n <= 0 || buf_add(bag, p, (size_t)n) != 0)
		rc = err_set(e, n <= 0 ? ERR_PROTO : bag->err, "RFC 8894 4.7: "
		    "GetNextCACert: %s content", n <= 0 ? "empty" :
		    "oversized");
 out:
	sk_X509_free(trusted);
	BIO_free(out);
	return rc;
}

/* The certificates the answer carries, and whether cur signed them. */
static int
tp_nextca_bag(STACK_OF(X509) **out, int *signed_by_ca,
    const unsigned char *der, size_t len, X509 *cur, struct err *e)
{
	CMS_ContentInfo	*cms = NULL;
	struct buf	 bag;
	int		 rc, nsi;

	*out = NULL;
	*signed_by_ca = 0;
	buf_init(&bag, TP_NEXTCA_MAX);
	if ((rc = tp_nextca_cms(&cms, der, len, e)) != 0)
		goto out;
	nsi = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
	if (nsi > 1) {
		rc = err_set(e, ERR_REFUSED, "RFC 8894 4.7: GetNextCACert: %d "
		    "signers, not one (the current CA)", nsi);
		goto out;
	}
	if (nsi <= 0) {
		/* Certificates only: a link certificate must vouch. */
		if ((*out = CMS_get1_certs(cms)) == NULL)
			rc = err_set(e, ERR_PROTO, "RFC 8894 4.7: "
			    "GetNextCACert: an unsigned answer without "
			    "certificates");
		else if (sk_X509_num(*out) > TP_NEXTCA_CERTMAX)
			rc = err_set(e, ERR_TOOBIG, "RFC 8894 4.7: "
			    "GetNextCACert: more than %d certificates",
			    TP_NEXTCA_CERTMAX);
		goto out;
	}
	if ((rc = tp_nextca_signed(&bag, cms, cur, e)) != 0)
		goto out;
	*signed_by_ca = 1;
	if ((rc = cert_parse_any(out, buf_uptr(&bag), buf_len(&bag),
	    TP_NEXTCA_CERTMAX, e)) != 0)
		err_prefix(e, "RFC 8894 4.7: GetNextCACert: the signed "
		    "certificates-only content");
 out:
	if (rc != 0) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
	buf_free(&bag);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* x is signed by issuer's key and names it as its issuer. */
static int
tp_signed_by(X509 *x, X509 *issuer)
{
	int	 ok;

	ok = X509_check_issued(issuer, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(issuer)) == 1;
	ERR_clear_error();
	return ok;
}

/*
 * The one new CA key in the bag: CA certificates whose key is not cur's.
 * Several keys are several candidates, which no rule can choose between.
 */
static int
tp_nextca_key(EVP_PKEY **key, STACK_OF(X509) *bag, X509 *cur,
    struct err *e)
{
	X509	*x;
	int	 i, notca = 0;

	*key = NULL;
	for (i = 0; i < sk_X509_num(bag); i++) {
		x = sk_X509_value(bag, i);
		if (cert_sigalg_check(x, e) != 0)
			return err_prefix(e, "RFC 8894 4.7: GetNextCACert");
		if (EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(cur)) ==
		    1)
			continue;
		if (!cert_is_ca(x)) {
			notca++;
			continue;
		}
		if (*key != NULL && EVP_PKEY_eq(*key, X509_get0_pubkey(x)) != 1)
			return err_set(e, ERR_REFUSED, "RFC 8894 4.7: "
			    "GetNextCACert holds several candidate CA "
			    "certificates (different keys): refusing to choose");
		*key = X509_get0_pubkey(x);
	}
	if (*key == NULL && notca > 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 4.2.1.9: the next CA "
		    "certificate is not a CA certificate (basicConstraints cA "
		    "is not set)");
	if (*key == NULL)
		return err_set(e, ERR_REFUSED, "RFC 8894 4.7: GetNextCACert "
		    "holds no CA certificate besides the current one");
	return 0;
}

/*
 * Among the certificates of key: the self-signed next CA, and the link
 * certificate cur signed for it.  The next CA is the self-signed one, else
 * the link, else one signed by the current chain (a new subordinate CA).
 */
static int
tp_nextca_pick(struct tp_nextca *n, STACK_OF(X509) *bag, EVP_PKEY *key,
    STACK_OF(X509) *chain, struct err *e)
{
	X509	*x, *self = NULL, *sub = NULL;
	int	 i, j, cands = 0;

	for (i = 0; i < sk_X509_num(bag); i++) {
		x = sk_X509_value(bag, i);
		if (!cert_is_ca(x) || EVP_PKEY_eq(X509_get0_pubkey(x), key) !=
		    1)
			continue;
		cands++;
		if (self == NULL && cert_is_self_signed(x))
			self = x;
		if (n->link == NULL && tp_signed_by(x, sk_X509_value(chain, 0)))
			n->link = x;
		for (j = 1; sub == NULL && j < sk_X509_num(chain); j++)
			if (tp_signed_by(x, sk_X509_value(chain, j)))
				sub = x;
	}
	ERR_clear_error();
	if (n->link != NULL && !X509_up_ref(n->link)) {
		n->link = NULL;
		return err_nomem(e);
	}
	if ((x = self ? self : n->link ? n->link : sub) == NULL)
		return err_set(e, ERR_REFUSED, "RFC 8894 4.7: the next CA "
		    "certificate is signed by another key: it is neither "
		    "self-signed nor signed by the current CA chain "
		    "(%d candidate%s)", cands, cands == 1 ? "" : "s");
	if ((n->certs = sk_X509_new_null()) == NULL || !X509_up_ref(x))
		return err_nomem(e);
	if (!sk_X509_push(n->certs, x)) {
		X509_free(x);
		return err_nomem(e);
	}
	n->ca = x;
	return 0;
}

/* A CA that signs certificates and outlives the current one, no gap. */
static int
tp_nextca_sane(X509 *x, X509 *cur, time_t now, struct err *e)
{
	time_t		 nb, na, cna;
	uint32_t	 ku;
	char		 b1[48], b2[48];

	ku = X509_get_key_usage(x);
	if (ku != UINT32_MAX && (ku & KU_KEY_CERT_SIGN) == 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 4.2.1.3: the next CA "
		    "certificate's key usage lacks keyCertSign");
	if (cert_asn1_time(X509_get0_notBefore(x), &nb) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(x), &na) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(cur), &cna) != 0)
		return err_set(e, ERR_REFUSED, "RFC 5280 4.1.2.5: the next CA "
		    "certificate's validity is unreadable");
	cert_fmt_time(b1, sizeof(b1), na);
	cert_fmt_time(b2, sizeof(b2), cna);
	if (na < now || nb > na)
		return err_set(e, ERR_REFUSED, "RFC 5280 4.1.2.5: the next CA "
		    "certificate has expired (valid until %s)", b1);
	if (na <= cna)
		return err_set(e, ERR_REFUSED, "RFC 5280 4.1.2.5: the next CA "
		    "certificate expires (%s) no later than the current CA "
		    "(%s)", b1, b2);
	if (nb > cna + TP_CLOCK_SKEW) {
		cert_fmt_time(b1, sizeof(b1), nb);
		return err_set(e, ERR_REFUSED, "RFC 5280 4.1.2.5: the next CA "
		    "certificate becomes valid (%s) only after the current CA "
		    "expires (%s)", b1, b2);
	}
	return 0;
}

/* The RA certificates the next CA issued, after it in n->certs. */
static int
tp_nextca_ras(struct tp_nextca *n, STACK_OF(X509) *bag, struct err *e)
{
	X509	*x;
	int	 i;

	for (i = 0; i < sk_X509_num(bag); i++) {
		x = sk_X509_value(bag, i);
		if (cert_is_ca(x) || !tp_signed_by(x, n->ca))
			continue;
		if (!X509_up_ref(x))
			return err_nomem(e);
		if (!sk_X509_push(n->certs, x)) {
			X509_free(x);
			return err_nomem(e);
		}
	}
	return 0;
}

static int
tp_nextca_judge(struct tp_nextca *n, STACK_OF(X509) *bag,
    STACK_OF(X509) *chain, time_t now, struct err *e)
{
	X509		*cur = sk_X509_value(chain, 0);
	EVP_PKEY	*key;
	int		 rc;

	if ((rc = tp_nextca_key(&key, bag, cur, e)) != 0 ||
	    (rc = tp_nextca_pick(n, bag, key, chain, e)) != 0)
		return rc;
	if (!n->signed_by_ca && n->link == NULL)
		return err_set(e, ERR_REFUSED, "RFC 8894 4.7: the current CA "
		    "does not vouch for the next CA certificate: the answer "
		    "is unsigned and holds no link certificate signed by the "
		    "current CA");
	if ((rc = tp_nextca_sane(n->ca, cur, now, e)) != 0)
		return rc;
	return tp_nextca_ras(n, bag, e);
}

/* The judgement against a whole current chain (ca.pem, cur first). */
static int
tp_nextca_parse_chain(struct tp_nextca *n, const unsigned char *der,
    size_t len, STACK_OF(X509) *chain, time_t now, struct err *e)
{
	STACK_OF(X509)	*bag = NULL;
	int		 rc;

	memset(n, 0, sizeof(*n));
	if (sk_X509_num(chain) < 1)
		return err_set(e, ERR_INVAL, "no current CA certificate");
	if ((rc = tp_nextca_bag(&bag, &n->signed_by_ca, der, len,
	    sk_X509_value(chain, 0), e)) == 0)
		rc = tp_nextca_judge(n, bag, chain, now, e);
	sk_X509_pop_free(bag, X509_free);
	if (rc != 0)
		tp_nextca_clear(n);
	return rc;
}

int
tp_nextca_parse(struct tp_nextca *n, const unsigned char *der, size_t len,
    X509 *cur, time_t now, struct err *e)
{
	STACK_OF(X509)	*chain;
	int		 rc;

	memset(n, 0, sizeof(*n));
	if (cur == NULL)
		return err_set(e, ERR_INVAL, "no current CA certificate");
	if ((chain = sk_X509_new_null()) == NULL || !sk_X509_push(chain, cur)) {
		sk_X509_free(chain);
		return err_nomem(e);
	}
	rc = tp_nextca_parse_chain(n, der, len, chain, now, e);
	sk_X509_free(chain);
	return rc;
}

/* x's key is one of sk's. */
static int
tp_key_in(X509 *x, STACK_OF(X509) *sk)
{
	int	 i, in = 0;

	for (i = 0; i < sk_X509_num(sk) && !in; i++)
		in = EVP_PKEY_eq(X509_get0_pubkey(x),
		    X509_get0_pubkey(sk_X509_value(sk, i))) == 1;
	ERR_clear_error();
	return in;
}

/*
 * An earlier CA's certificates: self-signed ones in certs that end no
 * later than cur (a device that trusts the new CA already still gets
 * OldWithOld and OldWithNew, which its CA signed, during the overlap).
 */
static int
tp_older_cas(STACK_OF(X509) **out, STACK_OF(X509) *certs, X509 *cur)
{
	X509	*x;
	int	 i;

	if ((*out = sk_X509_new_null()) == NULL)
		return -1;
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (cert_is_self_signed(x) && ASN1_TIME_compare(
		    X509_get0_notAfter(x), X509_get0_notAfter(cur)) <= 0 &&
		    !sk_X509_push(*out, x))
			return -1;
	}
	return 0;
}

/*
 * EST (RFC 7030 4.1.3): the answer is unsigned, so only NewWithOld, the
 * link certificate the current CA signed for the new key, vouches for the
 * next CA.  The keys of the current chain (OldWithOld, OldWithNew, its
 * intermediates) and of an earlier CA are set aside first: what remains
 * is the next CA or nothing (ERR_NOTFOUND).
 */
int
tp_nextca_from_cacerts(struct tp_nextca *n, STACK_OF(X509) *certs,
    STACK_OF(X509) *chain, time_t now, struct err *e)
{
	STACK_OF(X509)	*bag = NULL, *older = NULL;
	X509		*x;
	int		 i, rc = 0;

	memset(n, 0, sizeof(*n));
	if (sk_X509_num(chain) < 1)
		return err_set(e, ERR_INVAL, "no current CA certificate");
	if (sk_X509_num(certs) > TP_NEXTCA_CERTMAX)
		return err_set(e, ERR_TOOBIG, "RFC 7030 4.1.3: cacerts: more "
		    "than %d certificates", TP_NEXTCA_CERTMAX);
	if ((bag = sk_X509_new_null()) == NULL ||
	    tp_older_cas(&older, certs, sk_X509_value(chain, 0)) != 0) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs) && rc == 0; i++) {
		x = sk_X509_value(certs, i);
		if (!tp_key_in(x, chain) && !tp_key_in(x, older) &&
		    !sk_X509_push(bag, x))
			rc = err_nomem(e);
	}
	if (rc == 0 && sk_X509_num(bag) == 0)
		rc = err_set(e, ERR_NOTFOUND, "RFC 7030 4.1.3: cacerts holds "
		    "no CA certificate besides the current one");
	else if (rc == 0 && (rc = tp_nextca_judge(n, bag, chain, now, e)) !=
	    0)
		err_prefix(e, "RFC 7030 4.1.3: cacerts");
 out:
	sk_X509_free(older);
	sk_X509_free(bag);
	if (rc != 0)
		tp_nextca_clear(n);
	return rc;
}

int
tp_ca_next_load_all(STACK_OF(X509) **out, struct store *st, const char *name,
    struct err *e)
{
	char	 rel[256], *pem = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (tp_path(rel, sizeof(rel), name, TP_NEXT_FILE) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "trustpoint %s: no next CA "
		    "certificate", name);
	if ((rc = store_read(st, rel, &pem, &len, TP_NEXTCA_MAX, e)) != 0)
		return rc;
	if ((rc = cert_parse_any(out, (unsigned char *)pem, len,
	    TP_NEXTCA_CERTMAX, e)) != 0)
		err_prefix(e, "Trustpoint %s: %s", name, TP_NEXT_FILE);
	free(pem);
	return rc;
}

int
tp_ca_next_load(X509 **out, struct store *st, const char *name,
    struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = tp_ca_next_load_all(&sk, st, name, e)) != 0)
		return rc;
	*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}

int
tp_ca_next_store(struct store *st, const char *name, X509 *cur,
    const struct tp_nextca *n, struct err *e)
{
	struct tp_certs	 tc;
	char		 rel[256], *pem = NULL;
	size_t		 len = 0;
	int		 rc;

	memset(&tc, 0, sizeof(tc));
	if (tp_path(rel, sizeof(rel), name, TP_NEXT_FILE) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if ((rc = tp_pem(&pem, &len, n->certs, NULL, e)) != 0)
		return rc;
	if ((rc = store_lock(st, e)) != 0)
		goto out;
	/* The next CA is the successor of the CA it was judged against. */
	if ((rc = tp_certs_load(&tc, st, name, e)) == 0 && (tc.ca == NULL ||
	    X509_cmp(tc.ca, cur) != 0))
		rc = err_set(e, ERR_BUSY, "trustpoint %s: the CA certificate "
		    "changed while its next certificate was fetched", name);
	if (rc == 0)
		rc = store_write(st, rel, pem, len, STORE_PUBLIC, e);
	store_unlock(st);
 out:
	tp_certs_clear(&tc);
	free(pem);
	return rc;
}

time_t
tp_rollover_start(X509 *ca, int percent)
{
	time_t	 nb, na, t;

	if (cert_asn1_time(X509_get0_notBefore(ca), &nb) != 0 ||
	    cert_asn1_time(X509_get0_notAfter(ca), &na) != 0 || na <= nb)
		return 0;
	if (percent > 0 && percent < 100)
		t = nb + (time_t)(((long double)(na - nb) * percent) / 100);
	else
		t = na - (time_t)TP_ROLLOVER_DAYS * 86400;
	return t < nb ? nb : t;
}

int
tp_anchors_add_next(STACK_OF(X509) *anchors, struct store *st,
    const char *name, struct err *e)
{
	X509	*x = NULL;
	int	 rc;

	if ((rc = tp_ca_next_load(&x, st, name, e)) == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (!sk_X509_push(anchors, x)) {
		X509_free(x);
		return err_nomem(e);
	}
	return 0;
}

int
tp_rollover_renew_now(struct store *st, const char *name, X509 *cur,
    X509 *shadow)
{
	X509	*next = NULL;
	int	 due;

	if (cur == NULL || tp_ca_next_load(&next, st, name, NULL) != 0)
		return 0;
	due = !tp_signed_by(cur, next) && (shadow == NULL ||
	    !tp_signed_by(shadow, next));
	X509_free(next);
	return due;
}

/*
 * A new subordinate CA keeps the current chain's upper part: append the
 * certificates of old (ca.pem) from the one that issued chain's last.
 */
static int
tp_rollover_upper(STACK_OF(X509) *chain, STACK_OF(X509) *old, struct err *e)
{
	X509	*last = sk_X509_value(chain, sk_X509_num(chain) - 1);
	int	 i, j;

	if (cert_is_self_signed(last))
		return 0;
	for (i = 1; i < sk_X509_num(old); i++)
		if (tp_signed_by(last, sk_X509_value(old, i)))
			break;
	for (j = i; j < sk_X509_num(old) && sk_X509_num(chain) < TP_CHAINMAX;
	    j++) {
		if (!X509_up_ref(sk_X509_value(old, j)))
			return err_nomem(e);
		if (!sk_X509_push(chain, sk_X509_value(old, j))) {
			X509_free(sk_X509_value(old, j));
			return err_nomem(e);
		}
	}
	return 0;
}

/* Under the lock: ca-next.pem into ca.pem and the RA files. */
static int
tp_rollover_switch_locked(struct store *st, const char *name, time_t now,
    struct err *e)
{
	struct tp_certs		 tc;
	struct scep_cacert	 sel;
	STACK_OF(X509)		*next = NULL;
	time_t			 cna;
	int			 rc;

	memset(&sel, 0, sizeof(sel));
	if ((rc = tp_certs_load(&tc, st, name, e)) != 0)
		return rc;
	if (tc.ca == NULL ||
	    cert_asn1_time(X509_get0_notAfter(tc.ca), &cna) != 0 || now < cna)
		goto out;
	if ((rc = tp_ca_next_load_all(&next, st, name, e)) != 0) {
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			rc = 0;
		}
		goto out;
	}
	if ((rc = scep_cacert_select(&sel, next, e)) != 0 ||
	    (rc = tp_rollover_upper(sel.chain, tc.chain, e)) != 0)
		goto out;
	if ((rc = tp_store_ca(st, name, sel.chain, sel.ra_sign, sel.ra_encr,
	    e)) == 0)
		rc = 1;
 out:
	scep_cacert_clear(&sel);
	sk_X509_pop_free(next, X509_free);
	tp_certs_clear(&tc);
	return rc;
}

int
tp_rollover_switch(struct store *st, const char *name, time_t now,
    struct err *e)
{
	int	 rc;

	if ((rc = store_lock(st, e)) != 0)
		return rc;
	rc = tp_rollover_switch_locked(st, name, now, e);
	store_unlock(st);
	if (rc < 0)
		err_prefix(e, "trustpoint %s: CA rollover", name);
	return rc;
}

/* GET operation=GetNextCACert, judged against the current chain. */
static int
tp_rollover_fetch(struct tp_nextca *n, const char *url,
    const struct fetch_opts *fo, STACK_OF(X509) *chain, time_t now,
    struct err *e)
{
	struct fetch_result	 r;
	char			*u;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if ((u = scep_url(url, "GetNextCACert", NULL)) == NULL)
		return err_nomem(e);
	if ((rc = fetch_get_max(&r, u, fo, TP_NEXTCA_MAX, 0, e)) != 0) {
		err_prefix(e, "RFC 8894 4.7: GetNextCACert");
		goto out;
	}
	if (r.content_type[0] != '\0' && strncasecmp(r.content_type,
	    "application/x-x509-next-ca-cert", 31) != 0) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 4.7: GetNextCACert: "
		    "content type is not application/x-x509-next-ca-cert");
		goto out;
	}
	rc = tp_nextca_parse_chain(n, (unsigned char *)r.body, r.len, chain,
	    now, e);
 out:
	fetch_result_free(&r);
	free(u);
	return rc;
}

/*
 * An expired CA's key vouches for nothing: a key that leaked after its
 * certificate's end must not bring in a CA of its choosing.
 */
static int
tp_rollover_vouches(STACK_OF(X509) *chain, time_t now, struct err *e)
{
	if (tp_check_validity(sk_X509_value(chain, 0), now, "", NULL) == 0)
		return 0;
	return err_set(e, ERR_REFUSED, "the CA certificate is not valid now "
	    "and no next CA was kept: its key vouches for none; authenticate "
	    "the new CA (crypto ca authenticate)");
}

int
tp_rollover_est(struct store *st, const struct trustpoint *tp,
    const struct fetch_opts *fo, STACK_OF(X509) *chain, time_t now,
    struct err *e)
{
	struct est_conn		 conn;
	struct tp_nextca	 n;
	STACK_OF(X509)		*certs = NULL;
	int			 implicit, rc;

	memset(&conn, 0, sizeof(conn));
	memset(&n, 0, sizeof(n));
	conn.base = tp->url;
	conn.label = tp->est_label;
	conn.fo = fo;
	if ((rc = tp_rollover_vouches(chain, now, e)) != 0 ||
	    (rc = est_cacerts(&certs, &implicit, &conn, e)) != 0)
		goto out;
	/* Unattended: from a server the device's anchors verify (4.1.1). */
	if (!implicit) {
		rc = err_set(e, ERR_REFUSED, "RFC 7030 4.1.1: the EST server's "
		    "TLS certificate is not verified by the trustpoint's CA or "
		    "the trust pool: no next CA is taken from it");
		goto out;
	}
	if ((rc = tp_nextca_from_cacerts(&n, certs, chain, now, e)) == 0)
		rc = tp_ca_next_store(st, tp->name, sk_X509_value(chain, 0),
		    &n, e);
 out:
	tp_nextca_clear(&n);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* EST: a server that offers no next CA yet is asked again the next day. */
static int
tp_rollover_ask_est(struct tp_rollover *r, struct store *st,
    const struct trustpoint *tp, const struct fetch_opts *fo,
    STACK_OF(X509) *chain, time_t now, struct err *e)
{
	int	 rc;

	r->est = 1;
	if ((rc = tp_rollover_est(st, tp, fo, chain, now, e)) == ERR_NOTFOUND) {
		r->nocap = 1;
		r->next = now + TP_ROLLOVER_NOCAP;
		return 0;
	}
	if (rc == 0) {
		r->fetched = 1;
		r->next = 0;
	}
	return rc;
}

/* The window is open and no shadow CA is kept: ask the CA for one. */
static int
tp_rollover_ask(struct tp_rollover *r, struct store *st,
    const struct trustpoint *tp, const struct fetch_opts *fo,
    STACK_OF(X509) *chain, time_t now, struct err *e)
{
	struct tp_nextca	 n;
	unsigned		 caps = 0;
	int			 rc;

	memset(&n, 0, sizeof(n));
	r->next = now + TP_ROLLOVER_RETRY;
	if ((rc = tp_rollover_vouches(chain, now, e)) != 0) {
		r->next = now + TP_ROLLOVER_NOCAP;
		return rc;
	}
	if (tp->method == TP_METHOD_EST)
		return tp_rollover_ask_est(r, st, tp, fo, chain, now, e);
	if ((rc = scep_getcacaps(&caps, tp->url, fo, e)) != 0)
		return rc;
	if ((caps & SCEP_CAP_NEXTCA) == 0) {
		r->nocap = 1;
		r->next = now + TP_ROLLOVER_NOCAP;
		return 0;
	}
	if ((rc = tp_rollover_fetch(&n, tp->url, fo, chain, now, e)) == 0 &&
	    (rc = tp_ca_next_store(st, tp->name, sk_X509_value(chain, 0), &n,
	    e)) == 0) {
		r->fetched = 1;
		r->next = 0;
	}
	tp_nextca_clear(&n);
	return rc;
}

int
tp_rollover_state_load(struct tp_rollover_state *s, struct store *st,
    const char *name, struct err *e)
{
	char		 rel[256], *txt = NULL, *nl;
	size_t		 len;
	long long	 last, next;
	int		 rc, off = 0;

	memset(s, 0, sizeof(*s));
	if (tp_path(rel, sizeof(rel), name, "rollover") != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if (!store_exists(st, rel))
		return err_set(e, ERR_NOTFOUND, "never asked");
	if ((rc = store_read(st, rel, &txt, &len, 4096, e)) != 0)
		return rc;
	if (sscanf(txt, "last %lld\nnext %lld\nerror %n", &last, &next,
	    &off) != 2 || off == 0) {
		free(txt);
		return err_set(e, ERR_PROTO, "trustpoint %s: rollover: "
		    "unreadable state", name);
	}
	if ((nl = strchr(txt + off, '\n')) != NULL)
		*nl = '\0';
	snprintf(s->error, sizeof(s->error), "%s", txt + off);
	s->last = (time_t)last;
	s->next = (time_t)next;
	free(txt);
	return 0;
}

static int
tp_rollover_state_save(struct store *st, const char *name,
    const struct tp_rollover_state *s, struct err *e)
{
	struct buf	 b;
	char		 rel[256];
	int		 rc;

	if (tp_path(rel, sizeof(rel), name, "rollover") != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	buf_init(&b, 1024);
	/* The message is escaped already; a line break would end it. */
	if (buf_addf(&b, "last %lld\nnext %lld\nerror %.*s\n",
	    (long long)s->last, (long long)s->next,
	    (int)strcspn(s->error, "\n"), s->error) != 0)
		rc = err_set(e, b.err, "rollover state");
	else
		rc = store_write(st, rel, buf_ptr(&b), buf_len(&b),
		    STORE_PUBLIC, e);
	buf_free(&b);
	return rc;
}

/* The router certificate's renewal percentage applies to the CA too. */
static int
tp_rollover_percent(const struct trustpoint *tp)
{
	return tp->auto_enroll;
}

time_t
tp_rollover_window(const struct trustpoint *tp, X509 *ca)
{
	return tp_rollover_start(ca, tp_rollover_percent(tp));
}

/* Ask when due, and remember the outcome for the next round. */
static int
tp_rollover_ask_memo(struct tp_rollover *r, struct store *st,
    const struct config *cfg, const struct trustpoint *tp,
    STACK_OF(X509) *chain, time_t now, struct err *e)
{
	struct tp_rollover_state s;
	struct fetch_opts	 fo;
	struct err		 e2;
	int			 rc;

	memset(&fo, 0, sizeof(fo));
	if (tp_rollover_state_load(&s, st, tp->name, NULL) == 0 &&
	    now < s.next) {
		r->next = s.next;
		return 0;
	}
	r->asked = 1;
	if (cfg == NULL || (rc = transport_opts(&fo, cfg, st, tp->vrf,
	    tp->name, tp->url, e)) == 0)
		rc = tp_rollover_ask(r, st, tp, &fo, chain, now, e);
	transport_opts_clear(&fo);
	memset(&s, 0, sizeof(s));
	s.last = now;
	s.next = r->fetched ? now : r->next;
	if (rc != 0)
		text_esc(s.error, sizeof(s.error), e->msg);
	else if (r->nocap)
		snprintf(s.error, sizeof(s.error), "%s", r->est ? "the EST "
		    "server's cacerts offers no next CA" : "the CA does not "
		    "list GetNextCACert");
	if (tp_rollover_state_save(st, tp->name, &s, &e2) != 0 && rc == 0)
		rc = err_set(e, e2.code, "%s", e2.msg);
	return rc;
}

int
tp_rollover_run(struct tp_rollover *r, struct store *st,
    const struct config *cfg, const struct trustpoint *tp, time_t now,
    struct err *e)
{
	struct tp_certs	 tc;
	char		 rel[256];
	time_t		 cna;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (tp_path(rel, sizeof(rel), tp->name, TP_NEXT_FILE) != 0)
		return err_set(e, ERR_INVAL, "bad trustpoint name");
	if ((rc = tp_certs_load(&tc, st, tp->name, e)) != 0)
		return rc;
	if (tc.ca == NULL ||
	    cert_asn1_time(X509_get0_notAfter(tc.ca), &cna) != 0)
		goto out;
	r->start = tp_rollover_window(tp, tc.ca);
	if (store_exists(st, rel)) {
		if (now < cna)
			r->next = cna;
		else if ((rc = tp_rollover_switch(st, tp->name, now, e)) == 1) {
			r->switched = 1;
			rc = 0;
		}
		goto out;
	}
	if (now < r->start)
		r->next = r->start;
	else if ((tp->method == TP_METHOD_URL || tp->method ==
	    TP_METHOD_EST) && tp->url != NULL)
		rc = tp_rollover_ask_memo(r, st, cfg, tp, tc.chain, now, e);
 out:
	tp_certs_clear(&tc);
	return rc;
}

static void
tp_rollover_notef(void (*note)(void *, int, const char *), void *arg,
    int prio, const char *fmt, ...)
{
	char	 msg[ERR_MSGMAX + 256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note(arg, prio, msg);
}

/* What a round did, in words for the log. */
static void
tp_rollover_tell(struct store *st, const char *name,
    const struct tp_rollover *r, void (*note)(void *, int, const char *),
    void *arg)
{
	X509	*x = NULL;
	char	*dn = NULL, when[48] = "";
	time_t	 na;

	if (r->asked && r->nocap)
		tp_rollover_notef(note, arg, LOG_WARNING, "trustpoint %s: CA "
		    "rollover: the CA certificate is in its rollover window "
		    "and %s", name, r->est ? "the EST server's cacerts "
		    "offers no next CA (RFC 7030 4.1.3)" : "the CA does not "
		    "list GetNextCACert");
	if (!r->fetched && !r->switched)
		return;
	if (tp_ca_next_load(&x, st, name, NULL) != 0) {
		struct tp_certs	 tc;

		if (tp_certs_load(&tc, st, name, NULL) == 0 && tc.ca != NULL &&
		    X509_up_ref(tc.ca))
			x = tc.ca;
		tp_certs_clear(&tc);
	}
	if (x != NULL) {
		dn = cert_dn(X509_get_subject_name(x), CERT_DN_LOWER);
		if (cert_asn1_time(X509_get0_notAfter(x), &na) == 0)
			cert_fmt_time(when, sizeof(when), na);
	}
	tp_rollover_notef(note, arg, LOG_NOTICE, "trustpoint %s: CA "
	    "rollover: %s %s (valid until %s)", name, r->fetched ?
	    "stored the next CA certificate" : "switched to the next CA "
	    "certificate", dn ? dn : "?", when);
	free(dn);
	X509_free(x);
}

time_t
tp_rollover_all(struct store *st, const struct config *cfg, time_t now,
    void (*note)(void *, int, const char *), void *arg)
{
	static const char	 prefix[] = "crypto ca trustpoint ";
	const char		**blocks = NULL;
	struct trustpoint	*tp;
	struct tp_rollover	 r;
	struct err		 e;
	size_t			 i, n = 0;
	time_t			 next = 0;

	if (cfg == NULL || config_list(cfg, prefix, &blocks, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (tp_load(&tp, cfg, blocks[i] + sizeof(prefix) - 1, &e) != 0)
			continue;
		if (tp_rollover_run(&r, st, cfg, tp, now, &e) != 0)
			tp_rollover_notef(note, arg, LOG_ERR,
			    "trustpoint %s: CA rollover: %s", tp->name, e.msg);
		tp_rollover_tell(st, tp->name, &r, note, arg);
		if (r.next != 0 && (next == 0 || r.next < next))
			next = r.next;
		tp_free(tp);
	}
	free(blocks);
	return next;
}
