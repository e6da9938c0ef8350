/*
 * verify: anchors, flags and revocation around X509_verify_cert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "clock.h"
#include "crl.h"
#include "err.h"
#include "fetch.h"
#include "text.h"
#include "verify.h"

struct verify_set {
	char		*label;
	STACK_OF(X509)	*certs;
	int		 crl_optional;
	char		*query_url;
};

struct verify {
	/* Same anchors twice: OpenSSL sets check_revocation per store. */
	X509_STORE		*store_idx;	/* revocation from the index */
	X509_STORE		*store_ossl;	/* OpenSSL's own CRL code */
	struct verify_set	*sets;
	size_t			 nsets;
	struct crl_cache	*cache;
};

/* One verification in progress, the X509_STORE_CTX's app data. */
struct verify_run {
	struct verify			*v;
	const struct verify_opts	*o;
	struct verify_result		*res;
	time_t				 at;
	int				 fallback;	/* need OpenSSL's CRL path */
	/*
	 * First pass: the path is not verified yet, so revocation is
	 * answered from the cache only and never fails the chain; pending
	 * says a certificate needs more (a fetch, or a failure to report).
	 */
	int				 defer;
	int				 pending;
	char				 fetch_err[384];
};

#define VERIFY_MAXURLS	8	/* distribution points tried per certificate */

static const char *verify_rev_names[] = {
	"not checked", "good", "revoked", "skipped (crl optional)",
	"trust anchor", "unknown", "not checked (path did not verify)",
};

const char *
verify_rev_str(enum verify_rev r)
{
	if ((size_t)r >= sizeof(verify_rev_names) / sizeof(*verify_rev_names))
		return "?";
	return verify_rev_names[r];
}

static void
verify_sets_free(struct verify_set *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(s[i].label);
		free(s[i].query_url);
		sk_X509_pop_free(s[i].certs, X509_free);
	}
	free(s);
}

void
verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	X509_STORE_free(v->store_idx);
	X509_STORE_free(v->store_ossl);
	verify_sets_free(v->sets, v->nsets);
	free(v);
}

static int	 verify_check_revocation(X509_STORE_CTX *);
static int	 verify_cb(int, X509_STORE_CTX *);

static int
verify_copy_set(struct verify_set *d, const struct verify_anchors *s,
    struct err *e)
{
	int	 i;

	memset(d, 0, sizeof(*d));
	if ((d->label = strdup(s->label ? s->label : "")) == NULL ||
	    (s->query_url != NULL &&
	    (d->query_url = strdup(s->query_url)) == NULL) ||
	    (d->certs = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	d->crl_optional = s->crl_optional;
	for (i = 0; i < sk_X509_num(s->certs); i++) {
		X509	*x = sk_X509_value(s->certs, i);

		if (!X509_up_ref(x))
			return err_nomem(e);
		if (sk_X509_push(d->certs, x) <= 0) {
			X509_free(x);
			return err_nomem(e);
		}
	}
	return 0;
}

static int
verify_add_anchors(struct verify *v, struct err *e)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < v->nsets; i++) {
		for (j = 0; j < sk_X509_num(v->sets[i].certs); j++) {
			X509	*x = sk_X509_value(v->sets[i].certs, j);

			/* A CA in two sets is added once; the first set wins. */
			if (X509_STORE_add_cert(v->store_idx, x) != 1 ||
			    X509_STORE_add_cert(v->store_ossl, x) != 1)
				return err_openssl(e, ERR_CRYPTO, "anchor set "
				    "%s: adding certificate %d",
				    v->sets[i].label, j + 1);
		}
	}
	return 0;
}

int
verify_new(struct verify **out, const struct verify_anchors *sets,
    size_t nsets, struct crl_cache *cache, struct err *e)
{
	struct verify	*v;
	size_t		 i, total = 0;
	int		 rc;

	*out = NULL;
	for (i = 0; i < nsets; i++)
		total += (size_t)sk_X509_num(sets[i].certs);
	if (total > VERIFY_MAXANCHORS)
		return err_set(e, ERR_TOOBIG, "more than %d trust anchors",
		    VERIFY_MAXANCHORS);
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (nsets > 0 && (v->sets = calloc(nsets, sizeof(*v->sets))) ==
	    NULL)) {
		free(v);
		return err_nomem(e);
	}
	v->cache = cache;
	for (i = 0; i < nsets; i++) {
		v->nsets++;
		if ((rc = verify_copy_set(&v->sets[i], &sets[i], e)) != 0)
			goto fail;
	}
	if ((v->store_idx = X509_STORE_new()) == NULL ||
	    (v->store_ossl = X509_STORE_new()) == NULL) {
		rc = err_openssl(e, ERR_NOMEM, "X509_STORE_new");
		goto fail;
	}
	if ((rc = verify_add_anchors(v, e)) != 0)
		goto fail;
	X509_STORE_set_check_revocation(v->store_idx, verify_check_revocation);
	X509_STORE_set_verify_cb(v->store_idx, verify_cb);
	X509_STORE_set_verify_cb(v->store_ossl, verify_cb);
	*out = v;
	return 0;
 fail:
	verify_free(v);
	return rc;
}

/* The anchor set the path ends in: the first set holding its anchor. */
static const struct verify_set *
verify_set_of(const struct verify *v, STACK_OF(X509) *chain)
{
	X509	*top;
	size_t	 i;
	int	 j;

	if (sk_X509_num(chain) == 0)
		return NULL;
	top = sk_X509_value(chain, sk_X509_num(chain) - 1);
	for (i = 0; i < v->nsets; i++)
		for (j = 0; j < sk_X509_num(v->sets[i].certs); j++)
			if (X509_cmp(top, sk_X509_value(v->sets[i].certs, j))
			    == 0)
				return &v->sets[i];
	return NULL;
}

/*
 * Store-level verify callback: lets two CRL conditions through, fails
 * everything else.  A trust anchor needs no CRL (RFC 5280 6.1: it is not
 * part of the path), and crl optional passes certificates without one.
 */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_run	*run = X509_STORE_CTX_get_app_data(ctx);
	STACK_OF(X509)		*chain;
	const struct verify_set	*set;
	X509			*x;
	int			 depth;

	if (ok) {
		/*
		 * OpenSSL checks this only where it verifies a signature and
		 * only at some patch levels; anchors are never verified.
		 */
		x = X509_STORE_CTX_get_current_cert(ctx);
		if (x == NULL || cert_sigalg_check(x, NULL) == 0)
			return 1;
		X509_STORE_CTX_set_error(ctx,
		    X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY);
		return 0;
	}
	if (run == NULL)
		return ok;
	if (X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNABLE_TO_GET_CRL)
		return 0;
	chain = X509_STORE_CTX_get0_chain(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (depth < 0 || depth >= VERIFY_MAXDEPTH)
		return 0;
	if (depth == sk_X509_num(chain) - 1) {
		run->res->rev[depth].status = VERIFY_REV_ANCHOR;
		return 1;
	}
	set = verify_set_of(run->v, chain);
	if (set != NULL && set->crl_optional) {
		run->res->rev[depth].status = VERIFY_REV_SKIPPED;
		return 1;
	}
	return 0;
}

static int
verify_fail(X509_STORE_CTX *ctx, int err, int depth)
{
	X509_STORE_CTX_verify_cb	 cb = X509_STORE_CTX_get_verify_cb(ctx);

	X509_STORE_CTX_set_error(ctx, err);
	X509_STORE_CTX_set_error_depth(ctx, depth);
	X509_STORE_CTX_set_current_cert(ctx,
	    sk_X509_value(X509_STORE_CTX_get0_chain(ctx), depth));
	return cb(0, ctx);
}

/*
 * "ldap:///dn" and directory names need the trustpoint's query url.  dn is
 * already in URL form when it came from a URI; a directory name is escaped.
 */
static int
verify_ldap_url(char *out, size_t sz, const char *query, const char *dn,
    int escape)
{
	char	*esc;
	int	 n;

	if (query == NULL || *query == '\0')
		return -1;
	if ((esc = escape ? fetch_escape(dn, strlen(dn)) : strdup(dn)) == NULL)
		return -1;
	n = snprintf(out, sz, "%s%s%s?certificateRevocationList;binary",
	    query, query[strlen(query) - 1] == '/' ? "" : "/", esc);
	free(esc);
	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

/*
 * The one allow-list of CRL distribution point schemes: a certificate's
 * URI makes the device connect where the certificate says, so only what
 * RFC 5280 4.2.1.13 expects (http, ldap) is fetched.  https would need
 * the anchors being decided; file, ftp, gopher, dict, smb, tftp ... are
 * never a CRL's place.
 */
static int
verify_dp_scheme_ok(const char *s, int len)
{
	return (len > 7 && strncasecmp(s, "http://", 7) == 0) ||
	    (len > 7 && strncasecmp(s, "ldap://", 7) == 0);
}

/* Where one distribution point name can be fetched. */
enum verify_dp {
	VERIFY_DP_OK = 0,
	VERIFY_DP_UNUSABLE,	/* too long, NUL, no query url for it */
	VERIFY_DP_REFUSED,	/* a scheme outside the allow-list */
};

static enum verify_dp
verify_dp_uri(char *out, size_t sz, const ASN1_IA5STRING *uri,
    const char *query)
{
	const char	*s = (const char *)ASN1_STRING_get0_data(uri);
	int		 len = ASN1_STRING_length(uri);
	char		 tmp[512];

	if (len <= 0 || (size_t)len >= sz || memchr(s, 0, (size_t)len))
		return VERIFY_DP_UNUSABLE;
	if (len > 8 && strncasecmp(s, "ldap:///", 8) == 0) {
		snprintf(tmp, sizeof(tmp), "%.*s", len - 8, s + 8);
		if (strchr(tmp, '?') != NULL)
			*strchr(tmp, '?') = '\0';
		return verify_ldap_url(out, sz, query, tmp, 0) == 0 ?
		    VERIFY_DP_OK : VERIFY_DP_UNUSABLE;
	}
	snprintf(out, sz, "%.*s", len, s);
	if (!verify_dp_scheme_ok(s, len))
		return VERIFY_DP_REFUSED;
	if (strncasecmp(out, "ldap://", 7) == 0 &&
	    strchr(out, '?') == NULL && strlen(out) + 34 < sz)
		strcat(out, "?certificateRevocationList;binary");
	return VERIFY_DP_OK;
}

static enum verify_dp
verify_dp_url(char *out, size_t sz, const GENERAL_NAME *gn,
    const char *query)
{
	const char	*s;
	char		*dn = NULL;
	BIO		*b;
	int		 len;
	enum verify_dp	 rc = VERIFY_DP_UNUSABLE;

	if (gn->type == GEN_URI)
		return verify_dp_uri(out, sz, gn->d.uniformResourceIdentifier,
		    query);
	if (gn->type != GEN_DIRNAME || (b = BIO_new(BIO_s_mem())) == NULL)
		return VERIFY_DP_UNUSABLE;
	if (X509_NAME_print_ex(b, gn->d.directoryName, 0, XN_FLAG_RFC2253) >= 0
	    && (len = (int)BIO_get_mem_data(b, &s)) > 0 &&
	    (dn = strndup(s, (size_t)len)) != NULL &&
	    verify_ldap_url(out, sz, query, dn, 1) == 0)
		rc = VERIFY_DP_OK;
	free(dn);
	BIO_free(b);
	return rc;
}

/*
 * Where x's CRL can be fetched, in the certificate's order.  The first
 * refused URI goes to refused ("" when none).
 */
static int
verify_dp_urls(char urls[][512], char *refused, size_t rsz, X509 *x,
    const char *query)
{
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	GENERAL_NAMES		*names;
	enum verify_dp		 r;
	int			 i, j, n = 0;

	refused[0] = '\0';
	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	for (i = 0; i < sk_DIST_POINT_num(dps) && n < VERIFY_MAXURLS; i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names) &&
		    n < VERIFY_MAXURLS; j++) {
			r = verify_dp_url(urls[n], 512,
			    sk_GENERAL_NAME_value(names, j), query);
			if (r == VERIFY_DP_OK)
				n++;
			else if (r == VERIFY_DP_REFUSED && refused[0] == '\0')
				text_esc(refused, rsz, urls[n]);
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return n;
}

/* Fetch x's CRL from its distribution points into the cache. */
static void
verify_fetch(struct verify_run *run, X509 *x, X509 *issuer,
    const struct verify_set *set)
{
	char		 urls[VERIFY_MAXURLS][512], refused[256];
	struct err	 e;
	int		 i, n, rc;

	n = verify_dp_urls(urls, refused, sizeof(refused), x,
	    set ? set->query_url : NULL);
	if (n == 0 && refused[0] != '\0') {
		snprintf(run->fetch_err, sizeof(run->fetch_err), "CRL "
		    "distribution point %s refused: only http and ldap are "
		    "fetched", refused);
		return;
	}
	if (n == 0) {
		snprintf(run->fetch_err, sizeof(run->fetch_err), "no usable "
		    "CRL distribution point");
		return;
	}
	for (i = 0; i < n; i++) {
		err_clear(&e);
		rc = crl_cache_fetch(run->v->cache, urls[i], issuer,
		    run->o->fetch, run->o->at, &e);
		/*
		 * Verifying "now": now is after the fetch, which may have
		 * waited on the network while the CA signed a fresh CRL.
		 */
		if (run->o->at == 0)
			run->at = clock_now();
		if (rc == 0) {
			run->fetch_err[0] = '\0';
			return;
		}
		/* The message names the certificate's URL: escaped. */
		text_esc(run->fetch_err, sizeof(run->fetch_err), e.msg);
	}
}

/*
 * First pass (run->defer): what the cache alone says, never a failure.
 * Returns 1 when the cache settled x (good, or a CRL for OpenSSL's path).
 */
static int
verify_one_deferred(struct verify_run *run, const struct crl_answer *a,
    struct verify_certrev *cr)
{
	if (a->status == CRL_GOOD) {
		cr->status = VERIFY_REV_GOOD;
		snprintf(cr->url, sizeof(cr->url), "%.250s", a->url);
		return 1;
	}
	if (a->status == CRL_FALLBACK) {
		run->fallback = 1;
		return 1;
	}
	run->pending = 1;
	return 1;
}

static int
verify_one(struct verify_run *run, X509_STORE_CTX *ctx, int i,
    const struct verify_set *set)
{
	STACK_OF(X509)		*chain = X509_STORE_CTX_get0_chain(ctx);
	X509			*x = sk_X509_value(chain, i);
	X509			*issuer = sk_X509_value(chain, i + 1);
	struct verify_certrev	*cr = &run->res->rev[i];
	struct crl_answer	 a;
	struct err		 e;

	memset(&a, 0, sizeof(a));
	a.status = CRL_NONE;
	if (run->v->cache != NULL &&
	    crl_cache_lookup(run->v->cache, x, issuer, run->at, &a, &e) != 0)
		text_esc(run->fetch_err, sizeof(run->fetch_err), e.msg);
	if (run->defer)
		return verify_one_deferred(run, &a, cr);
	if (run->v->cache != NULL && !(run->o->flags & VERIFY_NOFETCH) &&
	    (a.status == CRL_NONE || a.status == CRL_EXPIRED)) {
		verify_fetch(run, x, issuer, set);
		crl_cache_lookup(run->v->cache, x, issuer, run->at, &a, &e);
	}
	snprintf(cr->url, sizeof(cr->url), "%.250s", a.url);
	switch (a.status) {
	case CRL_GOOD:
		cr->status = VERIFY_REV_GOOD;
		return 1;
	case CRL_REVOKED:
		cr->status = VERIFY_REV_REVOKED;
		cr->reason = a.reason;
		cr->date = a.date;
		return verify_fail(ctx, X509_V_ERR_CERT_REVOKED, i);
	case CRL_FALLBACK:
		run->fallback = 1;
		return 1;
	case CRL_NOTYET:
		return verify_fail(ctx, X509_V_ERR_CRL_NOT_YET_VALID, i);
	case CRL_EXPIRED:
		if (set != NULL && set->crl_optional) {
			cr->status = VERIFY_REV_SKIPPED;
			return 1;
		}
		return verify_fail(ctx, X509_V_ERR_CRL_HAS_EXPIRED, i);
	case CRL_NONE:
		break;
	}
	return verify_fail(ctx, X509_V_ERR_UNABLE_TO_GET_CRL, i);
}

/*
 * Replaces OpenSSL's check_revocation on store_idx: every certificate but
 * the anchor is looked up in the cache's verified index.
 */
static int
verify_check_revocation(X509_STORE_CTX *ctx)
{
	struct verify_run	*run = X509_STORE_CTX_get_app_data(ctx);
	STACK_OF(X509)		*chain = X509_STORE_CTX_get0_chain(ctx);
	const struct verify_set	*set;
	int			 i, n = sk_X509_num(chain);

	if (run == NULL || (run->o->flags & VERIFY_NOREVOCATION))
		return 1;
	if (n > VERIFY_MAXDEPTH)
		return verify_fail(ctx, X509_V_ERR_CERT_CHAIN_TOO_LONG, n - 1);
	set = verify_set_of(run->v, chain);
	run->res->rev[n - 1].status = VERIFY_REV_ANCHOR;
	for (i = 0; i < n - 1; i++)
		if (!verify_one(run, ctx, i, set))
			return 0;
	return 1;
}

static int
verify_set_policy(X509_VERIFY_PARAM *p, const struct verify_opts *o,
    struct err *e)
{
	STACK_OF(ASN1_OBJECT)	*pol = NULL;
	ASN1_OBJECT		*any = NULL;
	unsigned long		 fl = X509_V_FLAG_POLICY_CHECK;
	int			 rc = 0;

	/* OpenSSL 3 needs anyPolicy spelled out for explicit-policy paths. */
	if (o->policies == NULL) {
		if ((pol = sk_ASN1_OBJECT_new_null()) == NULL ||
		    (any = OBJ_nid2obj(NID_any_policy)) == NULL ||
		    sk_ASN1_OBJECT_push(pol, any) <= 0) {
			rc = err_nomem(e);
			goto out;
		}
	}
	if (X509_VERIFY_PARAM_set1_policies(p, pol ? pol : o->policies) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "policy set");
		goto out;
	}
	if (o->explicit_policy)
		fl |= X509_V_FLAG_EXPLICIT_POLICY;
	if (o->inhibit_mapping)
		fl |= X509_V_FLAG_INHIBIT_MAP;
	if (o->inhibit_any)
		fl |= X509_V_FLAG_INHIBIT_ANY;
	X509_VERIFY_PARAM_set_flags(p, fl);
 out:
	sk_ASN1_OBJECT_free(pol);
	return rc;
}

static int
verify_set_host(X509_VERIFY_PARAM *p, const struct verify_opts *o,
    struct err *e)
{
	if (o->host == NULL)
		return 0;
	/* An IP literal is matched as an address, never as a name. */
	if (X509_VERIFY_PARAM_set1_ip_asc(p, o->host) == 1)
		return 0;
	ERR_clear_error();
	X509_VERIFY_PARAM_set_hostflags(p,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(p, o->host, 0) != 1)
		return err_openssl(e, ERR_INVAL, "%s: not a host name",
		    o->host);
	return 0;
}

static int
verify_purpose_id(enum verify_purpose p)
{
	switch (p) {
	case VERIFY_SSL_SERVER:
		return X509_PURPOSE_SSL_SERVER;
	case VERIFY_SSL_CLIENT:
		return X509_PURPOSE_SSL_CLIENT;
	default:
		return X509_PURPOSE_ANY;
	}
}

static void
verify_reason(struct verify_result *res, X509_STORE_CTX *ctx,
    const struct verify_run *run)
{
	X509	*x = X509_STORE_CTX_get_current_cert(ctx);
	char	*dn = NULL;
	int	 crlerr;

	res->error = X509_STORE_CTX_get_error(ctx);
	res->depth = X509_STORE_CTX_get_error_depth(ctx);
	if (x != NULL)
		dn = cert_dn(X509_get_subject_name(x), CERT_DN_LOWER);
	/* Why no (fresh) CRL could be had: the fetch's own error. */
	crlerr = (res->error == X509_V_ERR_UNABLE_TO_GET_CRL ||
	    res->error == X509_V_ERR_CRL_HAS_EXPIRED) && run->fetch_err[0];
	snprintf(res->reason, sizeof(res->reason), "%s (depth %d%s%s)%s%s",
	    X509_verify_cert_error_string(res->error), res->depth,
	    dn ? ", " : "", dn ? dn : "", crlerr ? ": " : "",
	    crlerr ? run->fetch_err : "");
	free(dn);
}

/* OpenSSL's CRL path: every CRL the cache holds for the chain's issuers. */
static int
verify_cached_crls(STACK_OF(X509_CRL) **out, struct verify *v,
    STACK_OF(X509) *chain, struct err *e)
{
	STACK_OF(X509_CRL)	*crls;
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	GENERAL_NAME		*gn;
	int			 i, j, k, rc = 0;

	if ((*out = crls = sk_X509_CRL_new_null()) == NULL)
		return err_nomem(e);
	if (v->cache == NULL)
		return 0;
	for (i = 0; rc == 0 && i < sk_X509_num(chain); i++) {
		X509	*x = sk_X509_value(chain, i);

		rc = crl_cache_load(v->cache, X509_get_issuer_name(x), crls, e);
		/* Indirect CRLs are filed under their cRLIssuer's name. */
		dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL,
		    NULL);
		for (j = 0; rc == 0 && j < sk_DIST_POINT_num(dps); j++) {
			dp = sk_DIST_POINT_value(dps, j);
			for (k = 0; rc == 0 &&
			    k < sk_GENERAL_NAME_num(dp->CRLissuer); k++) {
				gn = sk_GENERAL_NAME_value(dp->CRLissuer, k);
				if (gn->type == GEN_DIRNAME)
					rc = crl_cache_load(v->cache,
					    gn->d.directoryName, crls, e);
			}
		}
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	}
	return rc;
}

static int
verify_run_ctx(struct verify_run *run, X509_STORE *store, X509 *leaf,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, struct err *e)
{
	const struct verify_opts	*o = run->o;
	struct verify_result		*res = run->res;
	X509_STORE_CTX			*ctx = NULL;
	X509_VERIFY_PARAM		*p;
	const struct verify_set		*set;
	int				 rc, i, ok;

	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		rc = err_openssl(e, ERR_NOMEM, "X509_STORE_CTX");
		goto out;
	}
	p = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(p, run->at);
	X509_VERIFY_PARAM_set_depth(p, VERIFY_MAXDEPTH - 2);
	/* A trustpoint may hold a subordinate CA: trusted as given. */
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_CTX_set_purpose(ctx, verify_purpose_id(o->purpose))
	    != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "purpose");
		goto out;
	}
	if ((rc = verify_set_policy(p, o, e)) != 0 ||
	    (rc = verify_set_host(p, o, e)) != 0)
		goto out;
	if (crls != NULL && !(o->flags & VERIFY_NOREVOCATION)) {
		X509_STORE_CTX_set0_crls(ctx, crls);
		X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT |
		    X509_V_FLAG_USE_DELTAS);
	}
	X509_STORE_CTX_set_app_data(ctx, run);
	ok = X509_verify_cert(ctx);
	sk_X509_pop_free(res->chain, X509_free);
	res->chain = X509_STORE_CTX_get1_chain(ctx);
	res->nrev = sk_X509_num(res->chain);
	if (res->nrev > VERIFY_MAXDEPTH)
		res->nrev = VERIFY_MAXDEPTH;
	if ((set = verify_set_of(run->v, res->chain)) != NULL)
		snprintf(res->anchor, sizeof(res->anchor), "%s", set->label);
	if (ok == 1) {
		res->valid = 1;
		res->error = 0;
		res->depth = -1;
		res->reason[0] = '\0';
	} else {
		res->valid = 0;
		verify_reason(res, ctx, run);
		if (res->error == X509_V_ERR_CERT_REVOKED && res->depth >= 0 &&
		    res->depth < VERIFY_MAXDEPTH)
			res->rev[res->depth].status = VERIFY_REV_REVOKED;
	}
	if (crls != NULL && !(o->flags & VERIFY_NOREVOCATION)) {
		/* OpenSSL decided; what it did not flag it found good. */
		res->openssl_crl = 1;
		for (i = 0; i < res->nrev; i++)
			if (res->rev[i].status == VERIFY_REV_UNCHECKED ||
			    res->rev[i].status == VERIFY_REV_UNKNOWN)
				res->rev[i].status = ok == 1 ?
				    (i == res->nrev - 1 ? VERIFY_REV_ANCHOR :
				    VERIFY_REV_GOOD) : VERIFY_REV_UNKNOWN;
	}
	rc = 0;
 out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* Before another run: what was found is asked again (skips stay). */
static void
verify_rev_again(struct verify_result *res)
{
	int	 i;

	for (i = 0; i < VERIFY_MAXDEPTH; i++)
		if (res->rev[i].status != VERIFY_REV_SKIPPED)
			res->rev[i].status = VERIFY_REV_UNCHECKED;
}

/*
 * Verified once: the path just verified (revocation aside), so each of
 * its CA certificates may now check and index the CRLs stored under its
 * name without a verifying key.  How many were indexed.
 */
static int
verify_promote(struct verify_run *run, STACK_OF(X509) *chain)
{
	int	 i, r, n = 0;

	for (i = 1; run->v->cache != NULL && i < sk_X509_num(chain); i++)
		if ((r = crl_cache_promote(run->v->cache,
		    sk_X509_value(chain, i), run->at, NULL)) > 0)
			n += r;
	return n;
}

static void
verify_result_init(struct verify_result *res)
{
	int	 i;

	memset(res, 0, sizeof(*res));
	res->depth = -1;
	for (i = 0; i < VERIFY_MAXDEPTH; i++)
		res->rev[i].reason = -1;
}

/* Every certificate's revocation status back to st. */
static void
verify_rev_reset(struct verify_result *res, enum verify_rev st)
{
	int	 i;

	for (i = 0; i < VERIFY_MAXDEPTH; i++) {
		memset(&res->rev[i], 0, sizeof(res->rev[i]));
		res->rev[i].status = st;
		res->rev[i].reason = -1;
	}
}

/*
 * Supplied CRLs: OpenSSL judges CRLs before signatures, so the path is
 * verified first, without them; *path_ok says whether it was.
 */
static int
verify_supplied(struct verify_run *run, X509 *leaf, STACK_OF(X509) *untrusted,
    int *path_ok, struct err *e)
{
	int	 rc;

	if ((rc = verify_run_ctx(run, run->v->store_ossl, leaf, untrusted,
	    NULL, e)) != 0 || !run->res->valid)
		return rc;
	*path_ok = 1;
	return verify_run_ctx(run, run->v->store_ossl, leaf, untrusted,
	    run->o->crls, e);
}

/*
 * The index: a first pass verifies the path with revocation answered from
 * the cache alone; only a verified path may fetch CRLs (the certificate's
 * URLs are the attacker's choice until its signature chains to an anchor)
 * in the second pass, run when the cache did not settle every certificate.
 */
/* The first pass: the path, with revocation from the cache alone. */
static int
verify_cache_pass(struct verify_run *run, X509 *leaf,
    STACK_OF(X509) *untrusted, struct err *e)
{
	int	 rc;

	run->defer = 1;
	rc = verify_run_ctx(run, run->v->store_idx, leaf, untrusted, NULL, e);
	run->defer = 0;
	return rc;
}

static int
verify_indexed(struct verify_run *run, X509 *leaf, STACK_OF(X509) *untrusted,
    int *path_ok, struct err *e)
{
	struct verify		*v = run->v;
	struct verify_result	*res = run->res;
	STACK_OF(X509_CRL)	*crls = NULL;
	int			 rc;

	if ((rc = verify_cache_pass(run, leaf, untrusted, e)) != 0 ||
	    !res->valid)
		return rc;
	*path_ok = 1;
	if (run->fallback && verify_promote(run, res->chain) > 0) {
		/* The path's CRLs are indexed now: ask the index again. */
		verify_rev_again(res);
		run->fallback = 0;
		run->pending = 0;
		if ((rc = verify_cache_pass(run, leaf, untrusted, e)) != 0 ||
		    !res->valid)
			return rc;
	}
	if (run->pending) {
		verify_rev_reset(res, VERIFY_REV_UNCHECKED);
		run->fallback = 0;
		run->fetch_err[0] = '\0';
		if ((rc = verify_run_ctx(run, v->store_idx, leaf, untrusted,
		    NULL, e)) != 0)
			return rc;
	}
	if (res->valid && run->fallback) {
		/* A CRL the index does not model: OpenSSL decides. */
		if ((rc = verify_cached_crls(&crls, v, res->chain, e)) != 0)
			goto out;
		verify_rev_again(res);
		rc = verify_run_ctx(run, v->store_ossl, leaf, untrusted, crls,
		    e);
	}
 out:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

int
verify_chain(struct verify_result *res, struct verify *v, X509 *leaf,
    STACK_OF(X509) *untrusted, const struct verify_opts *o, struct err *e)
{
	struct verify_run	 run;
	struct verify_opts	 defo;
	int			 rc, i, path_ok = 0;

	verify_result_init(res);
	if (o == NULL) {
		memset(&defo, 0, sizeof(defo));
		o = &defo;
	}
	if (sk_X509_num(untrusted) > VERIFY_MAXDEPTH * 4)
		return err_set(e, ERR_TOOBIG, "more than %d untrusted "
		    "certificates", VERIFY_MAXDEPTH * 4);
	memset(&run, 0, sizeof(run));
	run.v = v;
	run.o = o;
	run.res = res;
	run.at = o->at != 0 ? o->at : clock_now();
	if (o->flags & VERIFY_NOREVOCATION)
		rc = verify_run_ctx(&run, v->store_ossl, leaf, untrusted, NULL,
		    e);
	else if (o->crls != NULL)
		rc = verify_supplied(&run, leaf, untrusted, &path_ok, e);
	else
		rc = verify_indexed(&run, leaf, untrusted, &path_ok, e);
	if (rc != 0)
		return rc;
	if (res->valid)
		return 0;
	if (!path_ok && !(o->flags & VERIFY_NOREVOCATION))
		verify_rev_reset(res, VERIFY_REV_NOPATH);
	for (i = 0; i < res->nrev; i++)
		if (res->rev[i].status == VERIFY_REV_UNCHECKED &&
		    !(o->flags & VERIFY_NOREVOCATION))
			res->rev[i].status = VERIFY_REV_UNKNOWN;
	return err_set(e, ERR_REFUSED, "%s", res->reason);
}

void
verify_result_free(struct verify_result *res)
{
	if (res == NULL)
		return;
	sk_X509_pop_free(res->chain, X509_free);
	res->chain = NULL;
}

/*
 * SSL_CTX certificate verification callback: replaces X509_verify_cert
 * for the handshake with verify_chain over the device's anchors.
 */
static int
verify_tls_cb(X509_STORE_CTX *sctx, void *arg)
{
	struct verify_tls	*t = arg;
	struct err		 e;
	int			 rc;

	verify_result_free(&t->last);
	rc = verify_chain(&t->last, t->v, X509_STORE_CTX_get0_cert(sctx),
	    X509_STORE_CTX_get0_untrusted(sctx), &t->opts, &e);
	if (rc == 0) {
		X509_STORE_CTX_set_error(sctx, X509_V_OK);
		return 1;
	}
	X509_STORE_CTX_set_error(sctx, t->last.error ? t->last.error :
	    X509_V_ERR_UNSPECIFIED);
	return 0;
}

void
verify_tls_attach(SSL_CTX *ssl, struct verify_tls *t)
{
	SSL_CTX_set_cert_verify_callback(ssl, verify_tls_cb, t);
}

void
verify_tls_clear(struct verify_tls *t)
{
	if (t == NULL)
		return;
	verify_result_free(&t->last);
}
