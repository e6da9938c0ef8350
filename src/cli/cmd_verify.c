/*
 * cmd_verify: the CRL cache and certificate chain verification commands.
 *   show crypto ca crls
 *   crypto ca crl request URL
 *   clear crypto ca crl
 *   crypto ca verify FILE|URL [trustpoint NAME] [purpose ssl-server|ssl-client]
 * The last is beyond the reference text (IOS XR has no such command).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "cert.h"
#include "cmd.h"
#include "config.h"
#include "crl.h"
#include "err.h"
#include "json.h"
#include "fetch.h"
#include "shell.h"
#include "store.h"
#include "text.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "transport.h"
#include "trustpool.h"
#include "verify.h"

#define VCLI_MAXSETS	64	/* trustpoints + trust pool sets */
#define VCLI_CHAINMAX	(1024 * 1024)	/* bytes of a chain file */
#define VCLI_MAXCERTS	32		/* certificates in a chain file */

struct vcli_anchors {
	struct verify_anchors	 sets[VCLI_MAXSETS];
	char			 labels[VCLI_MAXSETS][128];
	char			 urls[VCLI_MAXSETS][512];	/* query url */
	size_t			 n;
	STACK_OF(X509)		*all;		/* every anchor, borrowed refs */
};

static void
vcli_anchors_free(struct vcli_anchors *va)
{
	size_t	 i;

	for (i = 0; i < va->n; i++)
		sk_X509_pop_free(va->sets[i].certs, X509_free);
	sk_X509_free(va->all);
	va->n = 0;
	va->all = NULL;
}

/* The anchors of one authenticated trustpoint, with its policy. */
static void
vcli_add_trustpoint(struct shell *sh, struct vcli_anchors *va,
    const struct config *cfg, const char *name, int *found)
{
	struct trustpoint	*tp = NULL;
	struct tp_certs		 certs;
	char			 label[128];
	int			 i;

	memset(&certs, 0, sizeof(certs));
	if (va->n >= VCLI_MAXSETS || tp_load(&tp, cfg, name, NULL) != 0 ||
	    tp_certs_load(&certs, shell_store(sh), name, NULL) != 0 ||
	    certs.chain == NULL)
		goto out;
	/* The shadow CA anchors it too until the switch (tp_rollover.h). */
	if (tp_anchors_add_next(certs.chain, shell_store(sh), name, NULL) != 0)
		goto out;
	snprintf(label, sizeof(label), "trustpoint %s", name);
	snprintf(va->labels[va->n], sizeof(va->labels[va->n]), "%s", label);
	snprintf(va->urls[va->n], sizeof(va->urls[va->n]), "%s",
	    tp->query_url ? tp->query_url : "");
	va->sets[va->n].label = va->labels[va->n];
	va->sets[va->n].certs = certs.chain;
	va->sets[va->n].crl_optional = tp->crl_optional;
	va->sets[va->n].query_url = tp->query_url ? va->urls[va->n] : NULL;
	certs.chain = NULL;
	for (i = 0; i < sk_X509_num(va->sets[va->n].certs); i++)
		sk_X509_push(va->all, sk_X509_value(va->sets[va->n].certs, i));
	va->n++;
	(*found)++;
 out:
	tp_certs_clear(&certs);
	tp_free(tp);
}

/* The trust pool's active anchors, split by origin, with its policy. */
static int
vcli_add_pool(struct shell *sh, struct vcli_anchors *va,
    const struct config *cfg)
{
	static const char	*labels[] = { "Trustpool: Built-In",
				    "Trustpool: Downloaded" };
	struct trustpool_policy	 pol;
	struct trustpool	*pool = NULL;
	STACK_OF(X509)		*sk = NULL;
	const struct trustpool_entry *te;
	struct err		 e;
	int			 i, k;

	if (trustpool_load(&pool, shell_store(sh), &e) != 0 ||
	    trustpool_anchors(&sk, pool, &e) != 0) {
		trustpool_free(pool);
		return shell_err(sh, &e);
	}
	trustpool_policy_get(&pol, cfg);
	for (k = 0; k < 2 && va->n < VCLI_MAXSETS; k++) {
		STACK_OF(X509)	*set = sk_X509_new_null();

		for (i = 0; set != NULL && i < sk_X509_num(sk); i++) {
			X509	*x = sk_X509_value(sk, i);

			te = trustpool_find(pool, x);
			if (te == NULL || (int)te->origin != (k == 0 ?
			    TRUSTPOOL_BUILTIN : TRUSTPOOL_DOWNLOADED) ||
			    !X509_up_ref(x))
				continue;
			sk_X509_push(set, x);
			sk_X509_push(va->all, x);
		}
		if (sk_X509_num(set) <= 0) {
			sk_X509_free(set);
			continue;
		}
		snprintf(va->labels[va->n], sizeof(va->labels[va->n]), "%s",
		    labels[k]);
		va->sets[va->n].label = va->labels[va->n];
		va->sets[va->n].certs = set;
		va->sets[va->n].crl_optional = pol.crl_optional;
		va->n++;
	}
	sk_X509_pop_free(sk, X509_free);
	trustpool_free(pool);
	return 0;
}

/*
 * The configured trustpoints' CA chains, with their "crl optional" and
 * "query url" (only: that one trustpoint).  The trust pool is added by
 * vcli_add_pool when these do not anchor a chain.
 */
static int
vcli_anchors(struct shell *sh, struct vcli_anchors *va, const char *only)
{
	const struct config	*cfg;
	const char		**keys = NULL;
	const char		*prefix = "crypto ca trustpoint ";
	size_t			 n = 0, i;
	int			 found = 0;

	memset(va, 0, sizeof(*va));
	if ((va->all = sk_X509_new_null()) == NULL)
		return shell_nomem(sh);
	if (shell_store(sh) == NULL || (cfg = shell_running(sh)) == NULL)
		return -1;
	if (only != NULL) {
		vcli_add_trustpoint(sh, va, cfg, only, &found);
		if (!found)
			return shell_error(sh, "Trustpoint %s is not configured "
			    "or has no CA certificate", only);
		return 0;
	}
	if (config_list(cfg, prefix, &keys, &n) != 0)
		return shell_nomem(sh);
	for (i = 0; i < n; i++)
		vcli_add_trustpoint(sh, va, cfg, keys[i] + strlen(prefix),
		    &found);
	free(keys);
	return 0;
}

static int
vcli_cache(struct shell *sh, struct crl_cache **out)
{
	struct store	*st;
	struct err	 e;

	*out = NULL;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (crl_cache_open_store(out, st, &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

/* CRL times in the format of every other show command (cert.c). */
static void
vcli_crl_time(char *buf, size_t sz, time_t t)
{
	if (t == 0) {
		snprintf(buf, sz, "none");
		return;
	}
	cert_fmt_time(buf, sz, t);
}

/* One CRL of show crypto ca crls in JSON; times 0 ("none") are null. */
static void
vcli_crl_json(struct json *j, const struct crl_info *ci)
{
	json_begin(j, NULL);
	json_str(j, "issuer", ci->issuer);
	json_time(j, "last_update", ci->this_update ? ci->this_update :
	    (time_t)-1);
	json_time(j, "next_update", ci->next_update ? ci->next_update :
	    (time_t)-1);
	json_int(j, "entries", (long long)ci->count);
	json_bool(j, "delta", ci->delta);
	json_str(j, "distribution_point", ci->url[0] ? ci->url : NULL);
	json_end(j);
}

static int
vcli_show_crls(struct shell *sh, const struct cmd_args *a)
{
	struct crl_cache	*c;
	struct crl_info		*v;
	struct err		 e;
	char			 t1[64], t2[64], iss[512], url[512];
	size_t			 n, i;

	(void)a;
	if (vcli_cache(sh, &c) != 0)
		return -1;
	if (crl_cache_list(c, &v, &n, &e) != 0) {
		crl_cache_free(c);
		return shell_err(sh, &e);
	}
	json_list(shell_json(sh), "crls");
	for (i = 0; i < n; i++) {
		vcli_crl_time(t1, sizeof(t1), v[i].this_update);
		vcli_crl_time(t2, sizeof(t2), v[i].next_update);
		shell_printf(sh, "CRL Entry\n"
		    "===============================================\n"
		    "Issuer : %s\nLast Update : %s\nNext Update : %s\n"
		    "Entries : %llu%s\nCRL Distribution Point :\n%s\n",
		    text_esc(iss, sizeof(iss), v[i].issuer), t1, t2,
		    (unsigned long long)v[i].count,
		    v[i].delta ? " (delta CRL)" : "",
		    v[i].url[0] ? text_esc(url, sizeof(url), v[i].url) :
		    "(none)");
		vcli_crl_json(shell_json(sh), &v[i]);
	}
	json_end(shell_json(sh));
	free(v);
	crl_cache_free(c);
	return 0;
}

/*
 * Connections for CRLs: the named trustpoint's vrf (else the trust pool
 * policy's), the http-proxy, and for an https URL the anchors.  Without a
 * URL (distribution points met while verifying) no anchors are built, as
 * loading the pool would cost every run: https distribution points are
 * then refused, and `crypto ca crl request` fetches such a CRL.
 */
static int
vcli_fetch(struct shell *sh, struct fetch_opts *fo, const char *tp,
    const char *url)
{
	const struct config	*cfg;
	struct trustpool_policy	 pol;
	struct store		*st;
	struct err		 e;
	const char		*vrf;
	char			 block[256];

	memset(fo, 0, sizeof(*fo));
	if ((cfg = shell_running(sh)) == NULL || (st = shell_store(sh)) == NULL)
		return -1;
	if (tp != NULL) {
		snprintf(block, sizeof(block), "crypto ca trustpoint %s", tp);
		vrf = config_value(cfg, block, "vrf");
	} else {
		trustpool_policy_get(&pol, cfg);
		vrf = pol.vrf;
	}
	if (transport_opts(fo, cfg, st, vrf, tp, url != NULL ? url :
	    "http://", &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

static int
vcli_crl_request(struct shell *sh, const struct cmd_args *a)
{
	const char		*url = cmd_arg(a, "URL");
	struct vcli_anchors	 va;
	struct crl_cache	*c = NULL;
	struct fetch_opts	 fo;
	struct crl_info		 info;
	struct err		 e;
	char			 t[64], iss[512];
	int			 rc = -1, verified;

	memset(&fo, 0, sizeof(fo));
	if (vcli_anchors(sh, &va, NULL) != 0 || vcli_cache(sh, &c) != 0 ||
	    shell_running(sh) == NULL ||
	    vcli_add_pool(sh, &va, shell_running(sh)) != 0)
		goto out;
	if (vcli_fetch(sh, &fo, NULL, url) != 0)
		goto out;
	if (crl_cache_request(c, url, va.all, &fo, 0, &info,
	    &verified, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	vcli_crl_time(t, sizeof(t), info.next_update);
	shell_printf(sh, "CRL of %s: %llu entries, next update %s\n",
	    text_esc(iss, sizeof(iss), info.issuer),
	    (unsigned long long)info.count, t);
	if (!verified)
		shell_printf(sh, "%% Warning: no trustpoint or trust pool CA "
		    "certificate verifies this CRL; it is checked when used\n");
	rc = 0;
 out:
	transport_opts_clear(&fo);
	crl_cache_free(c);
	vcli_anchors_free(&va);
	return rc;
}

static int
vcli_crl_clear(struct shell *sh, const struct cmd_args *a)
{
	struct crl_cache	*c;
	struct err		 e;
	int			 rc = 0;

	(void)a;
	if (vcli_cache(sh, &c) != 0)
		return -1;
	if (crl_cache_clear(c, NULL, &e) != 0)
		rc = shell_err(sh, &e);
	crl_cache_free(c);
	return rc;
}

static void
vcli_print_rev(struct shell *sh, const struct verify_certrev *r)
{
	char	 t[64], url[sizeof(r->url)];

	switch (r->status) {
	case VERIFY_REV_REVOKED:
		cert_fmt_time(t, sizeof(t), r->date);
		shell_printf(sh, "  Revocation :revoked (%s, %s)\n",
		    cert_reason_name(r->reason), t);
		break;
	case VERIFY_REV_GOOD:
		shell_printf(sh, "  Revocation :good%s%s%s\n",
		    r->url[0] ? " (CRL " : "", text_esc(url, sizeof(url),
		    r->url), r->url[0] ? ")" : "");
		break;
	default:
		shell_printf(sh, "  Revocation :%s\n", verify_rev_str(r->status));
		break;
	}
}

static void
vcli_print(struct shell *sh, const struct verify_result *res)
{
	X509	*x;
	char	*dn, *sn;
	int	 i;

	shell_printf(sh, "Certificate chain\n");
	for (i = 0; i < sk_X509_num(res->chain); i++) {
		x = sk_X509_value(res->chain, i);
		dn = cert_dn(X509_get_subject_name(x), CERT_DN_LOWER);
		sn = cert_serial_hex(x, 0);
		shell_printf(sh, "[%d] Subject Name :\n%s\n  Serial Number :%s\n",
		    i, dn ? dn : "?", sn ? sn : "?");
		free(dn);
		free(sn);
		if (i < VERIFY_MAXDEPTH)
			vcli_print_rev(sh, &res->rev[i]);
	}
	if (res->anchor[0] != '\0')
		shell_printf(sh, "Trust anchor :%s\n", res->anchor);
}

static int
vcli_load_chain(struct shell *sh, const char *src, STACK_OF(X509) **out)
{
	struct err	 e;
	char		*buf;
	size_t		 len;
	int		 rc;

	*out = NULL;
	if (strncasecmp(src, "https://", 8) == 0) {
		if (fetch_peer_chain_pem(&buf, &len, src, NULL, &e) != 0)
			return shell_err(sh, &e);
	} else if (store_file_read(src, &buf, &len, VCLI_CHAINMAX, &e) != 0)
		return shell_err(sh, &e);
	rc = cert_parse_any(out, (unsigned char *)buf, len, VCLI_MAXCERTS, &e);
	free(buf);
	if (rc != 0)
		return shell_error(sh, "%s: %s", src, e.msg);
	return 0;
}

/* A server reached by https must also be the one the URL names. */
static int
vcli_url_host(struct shell *sh, const char *src, char *host, size_t sz,
    struct verify_opts *o)
{
	struct err	 e;

	if (strncasecmp(src, "https://", 8) != 0)
		return 0;
	if (fetch_url_host(host, sz, src, &e) != 0)
		return shell_err(sh, &e);
	o->host = host;
	return 0;
}

/* Did the chain fail only for want of a trust anchor? */
static int
vcli_untrusted(const struct verify_result *res)
{
	switch (res->error) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return 1;
	default:
		return 0;
	}
}

/* One verification over the anchor sets gathered so far. */
static int
vcli_verify_sets(struct shell *sh, struct verify_result *res,
    struct vcli_anchors *va, struct crl_cache *c, STACK_OF(X509) *chain,
    STACK_OF(X509) *untrusted, const struct verify_opts *o)
{
	struct verify	*v = NULL;
	struct err	 e;
	int		 rc;

	verify_result_free(res);
	if (verify_new(&v, va->sets, va->n, c, &e) != 0)
		return shell_err(sh, &e);
	rc = verify_chain(res, v, sk_X509_value(chain, 0), untrusted, o, &e);
	verify_free(v);
	if (rc != 0 && rc != ERR_REFUSED)
		return shell_err(sh, &e);
	return 0;
}

/*
 * Trustpoints first; the trust pool (whose built-in set is the costly part
 * of a run) only when no trustpoint anchors the chain.  This is also the
 * reference text's precedence: a CA in both is used as the trustpoint.
 */
static int
vcli_verify(struct shell *sh, const struct cmd_args *a)
{
	const char		*src = cmd_arg(a, "WORD");
	const char		*tp = cmd_arg(a, "NAME");
	const struct config	*cfg;
	struct vcli_anchors	 va;
	struct crl_cache	*c = NULL;
	struct verify_opts	 o;
	struct verify_result	 res;
	struct fetch_opts	 fo;
	STACK_OF(X509)		*chain = NULL, *untrusted = NULL;
	char			 host[256];
	int			 rc = -1;

	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	memset(&fo, 0, sizeof(fo));
	if (vcli_fetch(sh, &fo, tp, NULL) != 0)
		return -1;
	o.fetch = &fo;
	o.purpose = cmd_has(a, "ssl-server") ? VERIFY_SSL_SERVER :
	    cmd_has(a, "ssl-client") ? VERIFY_SSL_CLIENT : VERIFY_ANY;
	if (vcli_anchors(sh, &va, tp) != 0 || vcli_cache(sh, &c) != 0 ||
	    vcli_load_chain(sh, src, &chain) != 0 ||
	    vcli_url_host(sh, src, host, sizeof(host), &o) != 0)
		goto out;
	if ((untrusted = sk_X509_dup(chain)) == NULL) {
		shell_nomem(sh);
		goto out;
	}
	(void)sk_X509_shift(untrusted);
	if (va.n > 0 && vcli_verify_sets(sh, &res, &va, c, chain, untrusted,
	    &o) != 0)
		goto out;
	if (tp == NULL && (va.n == 0 || vcli_untrusted(&res))) {
		if ((cfg = shell_running(sh)) == NULL ||
		    vcli_add_pool(sh, &va, cfg) != 0)
			goto out;
		if (va.n == 0) {
			shell_error(sh, "No trustpoint or trust pool CA "
			    "certificate to verify against");
			goto out;
		}
		if (vcli_verify_sets(sh, &res, &va, c, chain, untrusted,
		    &o) != 0)
			goto out;
	}
	vcli_print(sh, &res);
	if (res.valid) {
		shell_printf(sh, "Certificate chain is valid\n");
		rc = 0;
	} else
		rc = shell_error(sh, "Certificate chain is not valid: %s",
		    res.reason);
 out:
	transport_opts_clear(&fo);
	verify_result_free(&res);
	sk_X509_free(untrusted);
	sk_X509_pop_free(chain, X509_free);
	crl_cache_free(c);
	vcli_anchors_free(&va);
	return rc;
}

#define VCLI_VERIFY_HELP \
	CMD_HELP_CRYPTO CMD_HELP_CA \
	"Verify a certificate chain (beyond IOS XR)\n" \
	"PEM file with the chain (leaf first), or https://host:port"

const struct cmd_def cmd_verify_defs[] = {
	{ .mode = MODE_EXEC, .syntax = "show crypto ca crls",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO CMD_HELP_CA
	    "Cached certificate revocation lists",
	  .fn = vcli_show_crls },
	{ .mode = MODE_EXEC, .syntax = "crypto ca crl request URL",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Certificate revocation list commands\nFetch a CRL now\n"
	    "URL of the CRL (http, https, ldap, file)",
	  .fn = vcli_crl_request },
	{ .mode = MODE_EXEC, .syntax = "clear crypto ca crl",
	  .help = "Clear commands\n" CMD_HELP_CRYPTO CMD_HELP_CA
	    "Drop every cached CRL",
	  .fn = vcli_crl_clear },
	{ .mode = MODE_EXEC, .syntax = "crypto ca verify WORD",
	  .help = VCLI_VERIFY_HELP,
	  .fn = vcli_verify },
	{ .mode = MODE_EXEC, .syntax = "crypto ca verify WORD trustpoint NAME",
	  .help = VCLI_VERIFY_HELP "\nVerify against one trustpoint only\n"
	    "Trustpoint name",
	  .fn = vcli_verify },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto ca verify WORD purpose {ssl-server|ssl-client}",
	  .help = VCLI_VERIFY_HELP "\nCheck the certificate's purpose\n"
	    "TLS server certificate\nTLS client certificate",
	  .fn = vcli_verify },
	{ .mode = MODE_EXEC, .syntax = "crypto ca verify WORD trustpoint NAME "
	    "purpose {ssl-server|ssl-client}",
	  .help = VCLI_VERIFY_HELP "\nVerify against one trustpoint only\n"
	    "Trustpoint name\nCheck the certificate's purpose\n"
	    "TLS server certificate\nTLS client certificate",
	  .fn = vcli_verify },
	{ .syntax = NULL }
};
