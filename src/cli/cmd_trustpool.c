/*
 * cmd_trustpool: the CA trust pool commands of the reference text:
 * `crypto ca trustpool import url URL|clean`, the `crypto ca trustpool
 * policy` submode and `show crypto ca trustpool [policy]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "cert.h"
#include "clock.h"
#include "cmd.h"
#include "err.h"
#include "shell.h"
#include "store.h"
#include "fetch.h"
#include "transport.h"
#include "trustpool.h"

static int	cmd_trustpool_import(struct shell *, const struct cmd_args *);
static int	cmd_trustpool_show(struct shell *, const struct cmd_args *);

const struct cmd_def cmd_trustpool_defs[] = {
	/* Configuration statements, in running-config order. */
	{ .mode = MODE_CONFIG, .syntax = "crypto ca trustpool policy",
	  .help = CMD_HELP_CRYPTO_CONFIG CMD_HELP_CA
	    "CA trust pool\n"
	    "Configure the CA trust pool policy",
	  .keylen = 4, .flags = CMD_SUBMODE, .submode = MODE_TRUSTPOOL },
	{ .mode = MODE_TRUSTPOOL, .syntax = "cabundle url {none|URL}",
	  .help = "CA bundle for automatic trust pool updates\n"
	    "URL the bundle is downloaded from\n"
	    "No automatic update (and no warning about it)\n"
	    "http, https, tftp or file URL of a PKCS#7 or PEM bundle",
	  .keylen = 2 },
	{ .mode = MODE_TRUSTPOOL, .syntax = "crl optional",
	  .help = "Certificate revocation list checking\n"
	    "Accept certificates when no CRL can be obtained",
	  .keylen = 2 },
	{ .mode = MODE_TRUSTPOOL, .syntax = "description LINE",
	  .help = "Describe this policy\n"
	    "Description text",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTPOOL, .syntax = "vrf NAME",
	  .help = "VRF for trust pool downloads\n"
	    "VRF name (network device the downloads are bound to)",
	  .keylen = 1 },

	/* EXEC */
	{ .mode = MODE_EXEC,
	  .syntax = "crypto ca trustpool import url {clean|URL}",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "CA trust pool\n"
	    "Import a CA certificate bundle\n"
	    "Download the bundle from a URL\n"
	    "Remove all downloaded CA certificates\n"
	    "http, https, tftp or file URL of a PKCS#7 or PEM bundle",
	  .fn = cmd_trustpool_import },
	{ .mode = MODE_EXEC, .syntax = "show crypto ca trustpool [policy]",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO CMD_HELP_CA
	    "CA trust pool certificates\n"
	    "Trust pool policy and update state",
	  .fn = cmd_trustpool_show },
	{ .syntax = NULL }
};

static const char *
cmd_trustpool_vrf(struct shell *sh)
{
	struct trustpool_policy	 p;

	trustpool_policy_get(&p, shell_running(sh));
	return p.vrf;
}

/* Why certificates stayed out; a long list is cut, the count stays. */
#define CMD_TRUSTPOOL_MAXSKIPS	50

static void
cmd_trustpool_print_skips(struct shell *sh, const struct trustpool_bundle *b)
{
	size_t	 i;

	for (i = 0; i < b->nskips && i < CMD_TRUSTPOOL_MAXSKIPS; i++)
		shell_printf(sh, "Skipped certificate %zu: %s: %s\n",
		    b->skips[i].index, b->skips[i].subject,
		    b->skips[i].reason);
	if (b->nskips > CMD_TRUSTPOOL_MAXSKIPS)
		shell_printf(sh, "... and %zu more skipped certificates\n",
		    b->nskips - CMD_TRUSTPOOL_MAXSKIPS);
}

static size_t
cmd_trustpool_expired(STACK_OF(X509) *sk, time_t now)
{
	size_t	 n = 0;
	time_t	 t;
	int	 i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (cert_asn1_time(X509_get0_notAfter(sk_X509_value(sk, i)),
		    &t) == 0 && t < now)
			n++;
	return n;
}

/* "0A1B2C3D 4E5F..." like the reference's enrollment fingerprint. */
static void
cmd_trustpool_hexw(char *buf, size_t sz, const unsigned char *d, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 k, o = 0;

	for (k = 0; k < n && o + 4 < sz; k++) {
		if (k > 0 && k % 4 == 0)
			buf[o++] = ' ';
		buf[o++] = hex[d[k] >> 4];
		buf[o++] = hex[d[k] & 15];
	}
	buf[o] = '\0';
}

/*
 * An unsigned bundle over a transport without integrity: show what would
 * be trusted and ask.  *yes = 1 to go on.
 */
static int
cmd_trustpool_confirm(struct shell *sh, const char *url,
    const struct trustpool_bundle *b, int *yes)
{
	char	 prompt[128], digest[96];
	char	*fp, *dn;
	int	 i;

	*yes = 0;
	shell_printf(sh, "%% The bundle is not signed and %.*s does not "
	    "protect it in transit.\n", (int)strcspn(url, ":"), url);
	cmd_trustpool_hexw(digest, sizeof(digest), b->sha256,
	    sizeof(b->sha256));
	shell_printf(sh, "Bundle SHA256 Fingerprint: %s\n", digest);
	shell_printf(sh, "CA certificates (SHA1 fingerprint, subject):\n");
	for (i = 0; i < sk_X509_num(b->certs); i++) {
		X509	*x = sk_X509_value(b->certs, i);

		fp = cert_x509_fingerprint(x, "SHA1", 0);
		dn = cert_dn(X509_get_subject_name(x), CERT_DN_UPPER);
		shell_printf(sh, " %s %s\n", fp ? fp : "?", dn ? dn : "?");
		free(fp);
		free(dn);
	}
	snprintf(prompt, sizeof(prompt), "Install these %d CA certificates "
	    "in the trust pool? [yes/no]: ", sk_X509_num(b->certs));
	if (shell_confirm(sh, prompt, yes) != 0)
		return shell_error(sh, "No answer; the trust pool is "
		    "unchanged.");
	return 0;
}

static int
cmd_trustpool_clean(struct shell *sh, struct store *st)
{
	struct err	 e;
	size_t		 n;
	int		 rc;

	if ((rc = trustpool_clean(st, &n, &e)) == ERR_NOTFOUND) {
		shell_printf(sh, "%% No downloaded CA certificates in the "
		    "trust pool.\n");
		return 0;
	}
	if (rc != 0)
		return shell_err(sh, &e);
	shell_printf(sh, "%% Removed %zu downloaded CA certificate%s from "
	    "the trust pool.\n", n, n == 1 ? "" : "s");
	return 0;
}

static int
cmd_trustpool_import(struct shell *sh, const struct cmd_args *a)
{
	struct trustpool_bundle	*b = NULL;
	struct store		*st;
	struct fetch_opts	 fo;
	struct err		 e;
	const char		*url = a->argv[a->argc - 1];
	time_t			 now = clock_now();
	int			 rc = -1, yes;

	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (cmd_has(a, "clean"))
		return cmd_trustpool_clean(sh, st);
	shell_printf(sh, "Loading %s\n", url);
	memset(&fo, 0, sizeof(fo));
	/* The policy's vrf, the http-proxy, the pool itself for https. */
	if (transport_opts(&fo, shell_running(sh), st, cmd_trustpool_vrf(sh),
	    NULL, url, &e) != 0 ||
	    trustpool_fetch(&b, url, &fo, st, now, &e) != 0) {
		shell_err(sh, &e);
		shell_printf(sh, "%% The trust pool is unchanged.\n");
		goto out;
	}
	if (b->signer != NULL)
		shell_printf(sh, "Bundle format: %s by %s\n",
		    trustpool_format_name(b->format), b->signer);
	else
		shell_printf(sh, "Bundle format: %s\n",
		    trustpool_format_name(b->format));
	if (b->noutside > 0)
		shell_printf(sh, "%% Note: %zu line%s of text outside the PEM "
		    "blocks ignored\n", b->noutside, b->noutside == 1 ? "" :
		    "s");
	cmd_trustpool_print_skips(sh, b);
	if (b->format != TRUSTPOOL_FMT_P7_SIGNED && b->insecure) {
		if (cmd_trustpool_confirm(sh, url, b, &yes) != 0)
			goto out;
		if (!yes) {
			shell_printf(sh, "%% Import cancelled; the trust pool "
			    "is unchanged.\n");
			rc = 0;
			goto out;
		}
	}
	if (trustpool_install(st, b, url, now, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	shell_printf(sh, "Trustpool import: attempted: %zu, installed: %d, "
	    "skipped: %zu, expired: %zu\n", b->total, sk_X509_num(b->certs),
	    b->nskips, cmd_trustpool_expired(b->certs, now));
	rc = 0;
 out:
	trustpool_bundle_free(b);
	transport_opts_clear(&fo);
	return rc;
}

static void
cmd_trustpool_print_cert(struct shell *sh, const struct trustpool_entry *te,
    time_t now)
{
	X509	*x = te->x509;
	char	*serial, *subj, *iss, *fp, nb[40], na[40];
	time_t	 tb = 0, ta = 0;

	serial = cert_serial_hex(x, ':');
	subj = cert_dn(X509_get_subject_name(x), CERT_DN_UPPER);
	iss = cert_dn(X509_get_issuer_name(x), CERT_DN_UPPER);
	fp = cert_x509_fingerprint(x, "SHA1", 0);
	cert_asn1_time(X509_get0_notBefore(x), &tb);
	cert_asn1_time(X509_get0_notAfter(x), &ta);
	cert_fmt_time(nb, sizeof(nb), tb);
	cert_fmt_time(na, sizeof(na), ta);
	shell_printf(sh, "Trustpool: %s\n-----\nCA certificate\n"
	    "Serial Number  : %s\nSubject:\n%s\nIssued By      :\n%s\n"
	    "Validity Start : %s\nValidity End   : %s\n",
	    trustpool_origin_name(te->origin), serial ? serial : "?",
	    subj ? subj : "?", iss ? iss : "?", nb, na);
	if (!te->active)
		shell_printf(sh, "Status         : Inactive (replaced by a "
		    "downloaded certificate with this subject)\n");
	else if (ta < now)
		shell_printf(sh, "Status         : Expired\n");
	shell_printf(sh, "SHA1 Fingerprint:\n%s\n", fp ? fp : "?");
	free(serial);
	free(subj);
	free(iss);
	free(fp);
}

static void
cmd_trustpool_time(char *buf, size_t sz, time_t t)
{
	if (t == 0)
		snprintf(buf, sz, "never");
	else
		cert_fmt_time(buf, sz, t);
}

static void
cmd_trustpool_show_policy(struct shell *sh, const struct trustpool *tp,
    struct store *st)
{
	struct trustpool_policy	 p;
	struct trustpool_meta	 m;
	struct err		 e;
	X509			*first;
	char			 t[40], *dn;
	time_t			 now = clock_now(), exp, next;

	trustpool_policy_get(&p, shell_running(sh));
	if (trustpool_meta_read(&m, st, &e) != 0)
		memset(&m, 0, sizeof(m));
	shell_printf(sh, "Trustpool Policy\n");
	if (p.description != NULL)
		shell_printf(sh, "Description      : %s\n", p.description);
	shell_printf(sh, "CA Bundle URL    : %s\n", p.cabundle_url ?
	    p.cabundle_url : p.cabundle_none ? "none (automatic update off)" :
	    "not configured");
	shell_printf(sh, "CRL check        : %s\n", p.crl_optional ?
	    "optional" : "required");
	shell_printf(sh, "VRF              : %s\n", p.vrf ? p.vrf : "default");
	shell_printf(sh, "Certificates     : %zu built-in (%zu inactive), "
	    "%zu downloaded\n", tp->nbuiltin, tp->ninactive,
	    tp->n - tp->nbuiltin);
	if (tp->n > tp->nbuiltin) {
		cmd_trustpool_time(t, sizeof(t), tp->fetched);
		shell_printf(sh, "Downloaded from  : %s\nDownloaded at    : "
		    "%s\nBundle format    : %s\n", tp->source, t, tp->format);
	}
	if ((exp = trustpool_expiry(tp, m.last_success, &first)) != 0) {
		cmd_trustpool_time(t, sizeof(t), exp);
		dn = cert_dn(X509_get_subject_name(first), CERT_DN_UPPER);
		shell_printf(sh, "Earliest expiry  : %s (%s)\n", t,
		    dn ? dn : "?");
		free(dn);
	}
	if (p.cabundle_url != NULL) {
		next = trustpool_next_update(exp, m.last_success,
		    m.last_failure, now);
		cmd_trustpool_time(t, sizeof(t), next);
		shell_printf(sh, "Next update      : %s\n", t);
	}
	if (m.last_failure != 0 && m.last_failure >= m.last_success) {
		cmd_trustpool_time(t, sizeof(t), m.last_failure);
		shell_printf(sh, "Last failure     : %s: %s\n", t,
		    m.last_error);
	}
}

static int
cmd_trustpool_show(struct shell *sh, const struct cmd_args *a)
{
	struct trustpool	*tp = NULL;
	struct store		*st;
	struct err		 e;
	time_t			 now = clock_now();
	size_t			 i;

	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (trustpool_load(&tp, st, &e) != 0)
		return shell_err(sh, &e);
	if (cmd_has(a, "policy"))
		cmd_trustpool_show_policy(sh, tp, st);
	else if (tp->n == 0)
		shell_printf(sh, "%% The trust pool is empty.\n");
	for (i = 0; !cmd_has(a, "policy") && i < tp->n; i++) {
		if (i > 0)
			shell_printf(sh, "\n");
		cmd_trustpool_print_cert(sh, &tp->v[i], now);
	}
	trustpool_free(tp);
	return 0;
}
