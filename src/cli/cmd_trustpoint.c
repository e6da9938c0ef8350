/*
 * cmd_trustpoint: "crypto ca trustpoint NAME" and its statements, and the
 * exec commands crypto ca authenticate / enroll / cancel-enroll and
 * show crypto ca certificates.  The library decides; this file prompts
 * and prints in the reference text's formats.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_trustpoint.h"
#include "config.h"
#include "crl.h"
#include "csr.h"
#include "enroll.h"
#include "err.h"
#include "fetch.h"
#include "json.h"
#include "keystore.h"
#include "scep_client.h"
#include "shell.h"
#include "store.h"
#include "text.h"
#include "tftp_enroll.h"
#include "transport.h"
#include "tp_rollover.h"
#include "trustpoint.h"
#include "trustpool.h"

#define TPC_PASSTRIES	3

static const struct enroll_ui tpc_ui;

void
tpc_free(struct tpc *c)
{
	enroll_close(&c->en);
	tp_free(c->tp);
	tp_certs_clear(&c->certs);
	transport_opts_clear(&c->fo);
}

int
tpc_open(struct tpc *c, struct shell *sh, const char *name)
{
	struct err	 e;

	memset(c, 0, sizeof(*c));
	c->sh = sh;
	if ((c->st = shell_store(sh)) == NULL)
		return -1;
	if (tp_load(&c->tp, shell_running(sh), name, &e) != 0)
		return shell_err(sh, &e);
	/* The engine borrows what is loaded here and talks through tpc_ui. */
	c->ui = tpc_ui;
	c->ui.arg = c;
	enroll_init(&c->en, c->st, c->tp, &c->certs, &c->fo,
	    c->tp->method == TP_METHOD_EST ? &enroll_est : &enroll_scep,
	    &c->ui);
	c->en.hostname = shell_hostname(sh);
	c->en.domain = shell_domain(sh);
	if (tp_certs_load(&c->certs, c->st, name, &e) != 0)
		return shell_err(sh, &e);
	c->fo.maxsize = SCEP_RESPMAX;
	/* VRF, http-proxy and, for https, the anchors: transport.h. */
	if (transport_opts(&c->fo, shell_running(sh), c->st, c->tp->vrf, name,
	    c->tp->method == TP_METHOD_URL || c->tp->method == TP_METHOD_EST ?
	    c->tp->url : "", &e) == 0)
		return 0;
	/* EST without any anchor yet: authenticate bootstraps (RFC 7030). */
	if (c->tp->method != TP_METHOD_EST || e.code != ERR_NOTFOUND ||
	    transport_opts(&c->fo, shell_running(sh), c->st, c->tp->vrf, name,
	    "", &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

static int
tpc_need_url(struct tpc *c)
{
	if (c->tp->method == TP_METHOD_URL || c->tp->method == TP_METHOD_EST)
		return 0;
	return shell_error(c->sh, "Trustpoint %s has no enrollment url",
	    c->tp->name);
}

/* ---- printing ----------------------------------------------------------- */

/* In JSON: key, the name unescaped (json.h escapes it). */
static void
tpc_print_dn(struct shell *sh, const char *label, const char *key,
    const X509_NAME *n)
{
	char	*dn = cert_dn(n, CERT_DN_LOWER);
	char	*raw;

	shell_printf(sh, "%s :\n%s\n", label, dn ? dn : "?");
	free(dn);
	if (shell_json(sh) != NULL) {
		raw = cert_dn(n, CERT_DN_LOWER | CERT_DN_RAW);
		json_str(shell_json(sh), key, raw);
		free(raw);
	}
}

static void
tpc_print_time(struct shell *sh, const char *label, const char *key,
    const ASN1_TIME *at)
{
	char	 buf[48];
	time_t	 t;

	if (cert_asn1_time(at, &t) != 0) {
		snprintf(buf, sizeof(buf), "(bad time)");
		t = (time_t)-1;
	} else
		cert_fmt_time(buf, sizeof(buf), t);
	shell_printf(sh, "%s :%s\n", label, buf);
	json_time(shell_json(sh), key, t);
}

void
tpc_print_crldp(struct shell *sh, X509 *x)
{
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	GENERAL_NAME		*gn;
	const ASN1_IA5STRING	*u;
	char			*uri;
	int			 i, j, shown = 0;

	json_list(shell_json(sh), "crl_distribution_points");
	if ((dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL,
	    NULL)) == NULL) {
		json_end(shell_json(sh));
		return;
	}
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname);
		    j++) {
			gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
			    j);
			if (gn->type != GEN_URI)
				continue;
			if (!shown++)
				shell_printf(sh, "CRL Distribution Point\n");
			/* The CA's text: escaped (text.h, json.h). */
			u = gn->d.uniformResourceIdentifier;
			uri = text_escape((const char *)ASN1_STRING_get0_data(
			    u), (size_t)ASN1_STRING_length(u));
			shell_printf(sh, "%s\n", uri ? uri : "?");
			free(uri);
			json_strn(shell_json(sh), NULL, (const char *)
			    ASN1_STRING_get0_data(u), (size_t)
			    ASN1_STRING_length(u));
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	json_end(shell_json(sh));
}

void
tpc_print_cert(struct shell *sh, X509 *x)
{
	char	*serial = cert_serial_hex(x, 0);

	shell_printf(sh, "Serial Number :%s\n", serial ? serial : "?");
	json_str(shell_json(sh), "serial_number", serial);
	free(serial);
	tpc_print_dn(sh, "Subject Name", "subject_name",
	    X509_get_subject_name(x));
	tpc_print_dn(sh, "Issued By", "issued_by", X509_get_issuer_name(x));
	tpc_print_time(sh, "Validity Start", "validity_start",
	    X509_get0_notBefore(x));
	tpc_print_time(sh, "Validity End", "validity_end",
	    X509_get0_notAfter(x));
}

void
tpc_print_fingerprints(struct shell *sh, X509 *x)
{
	char	*md5 = cert_x509_fingerprint(x, "MD5", ' ');
	char	*sha = cert_x509_fingerprint(x, "SHA256", 0);

	shell_printf(sh, "Fingerprint:%s\n", md5 ? md5 : "?");
	shell_printf(sh, "SHA256 Fingerprint:%s\n", sha ? sha : "?");
	free(md5);
	free(sha);
}

/*
 * IOS XR takes these silently; a SHA-1 (SHAttered, 2017) or MD5 signature
 * by a CA can be matched by a forged certificate.  A self-signed root's
 * own signature vouches for nothing, so it is not judged.
 */
void
tpc_warn_weak_sig(struct shell *sh, const char *what, X509 *x)
{
	int	 mdnid = NID_undef;

	if (x == NULL || (X509_get_extension_flags(x) & EXFLAG_SS) != 0 ||
	    X509_get_signature_info(x, &mdnid, NULL, NULL, NULL) != 1)
		return;
	if (mdnid == NID_sha1 || mdnid == NID_md5 || mdnid == NID_md5_sha1)
		shell_printf(sh, "%% Warning: the %s is signed with %s, a weak "
		    "algorithm\n", what, mdnid == NID_sha1 ? "SHA-1" : "MD5");
}

/* ---- configuration statements ------------------------------------------- */

/* Certificates stored for a trustpoint: its CA and router certificates. */
static int
tpc_stored(struct shell *sh, const char *name, int router_only)
{
	struct tp_certs	 tc;
	struct store	*st;
	struct err	 e;
	int		 k, n;

	if (!tp_name_ok(name) || (st = shell_store(sh)) == NULL ||
	    tp_certs_load(&tc, st, name, &e) != 0)
		return 0;
	n = !router_only && tc.ca != NULL;
	for (k = 0; k < TP_KIND__MAX; k++)
		n += tc.dev[k] != NULL;
	tp_certs_clear(&tc);
	return n;
}

static int
tpc_cmd_trustpoint(struct shell *sh, const struct cmd_args *a)
{
	const char	*name = cmd_arg(a, "NAME");
	int		 yes = 0;

	if (!a->negated && !tp_name_ok(name))
		return shell_error(sh, "Invalid trustpoint name \"%s\": use "
		    "1-%d letters, digits, '-', '_' or '.', not starting with "
		    "'.'", name ? name : "", TP_NAMEMAX);
	/* IOS asks before a removal that destroys certificates. */
	if (a->negated && tpc_stored(sh, name, 0)) {
		shell_printf(sh, "%% Removing an enrolled trustpoint will "
		    "destroy all certificates received from the related "
		    "Certificate Authority.\n");
		if (shell_confirm(sh, "Are you sure you want to do this? "
		    "[yes/no]: ", &yes) != 0 || !yes) {
			shell_printf(sh, "%% Trustpoint %s kept\n", name);
			return 0;
		}
	}
	return shell_config_set(sh, a);
}

static int
tpc_cmd_fingerprint(struct shell *sh, const struct cmd_args *a)
{
	struct err	 e;
	char		*norm = NULL;

	if (!a->negated) {
		if (tp_fingerprint_norm(&norm, cmd_arg(a, "HEX"), &e) != 0)
			return shell_error(sh, "Invalid fingerprint: %s",
			    e.msg);
		free(norm);
	}
	return shell_config_set(sh, a);
}

static int
tpc_cmd_subject(struct shell *sh, const struct cmd_args *a)
{
	struct err	 e;

	if (!a->negated && csr_check_dn(cmd_arg(a, "DN"), &e) != 0)
		return shell_err(sh, &e);
	return shell_config_set(sh, a);
}

static int
tpc_cmd_url(struct shell *sh, const struct cmd_args *a)
{
	const char	*url = cmd_arg(a, "URL");

	if (!a->negated && strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0 && !tftp_is_url(url))
		return shell_error(sh, "Invalid enrollment url \"%s\": SCEP "
		    "needs an http:// or https:// URL, TFTP a tftp:// URL or "
		    "tftp-address;vrf-name/ca-name", url);
	return shell_config_set(sh, a);
}

static int
tpc_cmd_query(struct shell *sh, const struct cmd_args *a)
{
	const char	*url = cmd_arg(a, "URL");

	if (!a->negated && strncasecmp(url, "ldap://", 7) != 0 &&
	    strncasecmp(url, "ldaps://", 8) != 0)
		return shell_error(sh, "Invalid query url \"%s\": expected an "
		    "ldap:// URL", url);
	return shell_config_set(sh, a);
}

/* ---- crypto ca authenticate --------------------------------------------- */

static int
tpc_pin_check(struct tpc *c, X509 *ca)
{
	const char	*md = tp_fingerprint_md(c->tp->fingerprint);
	char		*fp;
	int		 ok;

	if ((fp = cert_x509_fingerprint(ca, md, 0)) == NULL)
		return shell_nomem(c->sh);
	ok = strcmp(fp, c->tp->fingerprint) == 0;
	free(fp);
	if (!ok)
		return shell_error(c->sh, "Certificate not accepted: its %s "
		    "fingerprint does not match the trustpoint's fingerprint "
		    "statement; nothing stored", md);
	shell_printf(c->sh, "%% Fingerprint matches the trustpoint's "
	    "fingerprint statement (%s): certificate accepted\n", md);
	return 0;
}

int
tpc_ca_accept(struct tpc *c, struct scep_cacert *cc)
{
	struct err	 e;
	int		 i, yes = 0;

	if (scep_cacert_check(cc, clock_now(), &e) != 0)
		return shell_error(c->sh, "Certificate not accepted: %s; "
		    "nothing stored", e.msg);
	tpc_print_cert(c->sh, cc->ca);
	tpc_print_fingerprints(c->sh, cc->ca);
	for (i = 0; i < sk_X509_num(cc->chain); i++)
		tpc_warn_weak_sig(c->sh, "CA certificate",
		    sk_X509_value(cc->chain, i));
	tpc_warn_weak_sig(c->sh, "RA signature certificate", cc->ra_sign);
	if (cc->ra_encr != cc->ra_sign)
		tpc_warn_weak_sig(c->sh, "RA encryption certificate",
		    cc->ra_encr);
	if (c->tp->fingerprint != NULL) {
		if (tpc_pin_check(c, cc->ca) != 0)
			return -1;
	} else if (c->implicit_ta) {
		shell_printf(c->sh, "%% Certificate accepted: the EST server "
		    "that sent it is already trusted\n");
	} else {
		if (shell_confirm_trust(c->sh, "Do you accept this "
		    "certificate?? [yes/no]:", &yes) != 0)
			return -1;
		if (!yes)
			return shell_error(c->sh, "Certificate not accepted: "
			    "nothing stored");
	}
	if (tp_store_ca(c->st, c->tp->name, cc->chain, cc->ra_sign,
	    cc->ra_encr, &e) != 0)
		return shell_err(c->sh, &e);
	return 0;
}

static int
tpc_authenticate(struct shell *sh, const struct cmd_args *a)
{
	struct tpc		 c;
	struct scep_cacert	 cc;
	struct err		 e;
	int			 rc = -1;

	memset(&cc, 0, sizeof(cc));
	if (tpc_open(&c, sh, cmd_arg(a, "NAME")) != 0)
		goto out;
	if (c.tp->method == TP_METHOD_TERMINAL) {
		rc = pastec_authenticate(&c);
		goto out;
	}
	if (c.tp->method == TP_METHOD_TFTP) {
		rc = tftpc_authenticate(&c);
		goto out;
	}
	if (c.tp->method == TP_METHOD_EST) {
		rc = estc_authenticate(&c);
		goto out;
	}
	if (tpc_need_url(&c) != 0)
		goto out;
	if (scep_getcacaps(&c.caps, c.tp->url, &c.fo, &e) != 0 ||
	    scep_getcacert(&cc, c.tp->url, c.tp->name, &c.fo, &e) != 0) {
		shell_error(sh, "Trustpoint %s: %s", c.tp->name, e.msg);
		goto out;
	}
	rc = tpc_ca_accept(&c, &cc);
 out:
	scep_cacert_clear(&cc);
	tpc_free(&c);
	return rc;
}

/* ---- crypto ca enroll --------------------------------------------------- */

int
tpc_need_ca(struct tpc *c)
{
	struct err	 e;

	if (enroll_need_ca(&c->en, &e) != 0)
		return shell_err(c->sh, &e);
	return 0;
}

const char *
tpc_kind_usage(enum tp_kind k)
{
	return enroll_kind_usage(k);
}

/*
 * The request names the device by hostname.domain: IOS XR needs both
 * configured first.  Without them the request says "router", which the
 * CA would certify; say so before the operator commits to a password.
 */
static void
tpc_warn_fqdn(struct shell *sh)
{
	const struct config	*c = shell_running(sh);
	const char		*dom = shell_domain(sh);
	int			 host, domain;

	host = c != NULL && config_value(c, NULL, "hostname") != NULL;
	domain = dom != NULL && *dom != '\0';
	if (host && domain)
		return;
	if (!host && !domain)
		shell_printf(sh, "%% Warning: no hostname and no domain name "
		    "configured: the request names this device %s (configure "
		    "'hostname' and 'domain name' first)\n", shell_hostname(sh));
	else if (!host)
		shell_printf(sh, "%% Warning: no hostname configured: the "
		    "request names this device %s.%s (configure 'hostname' "
		    "first)\n", shell_hostname(sh), dom);
	else
		shell_printf(sh, "%% Warning: no domain name configured: the "
		    "request names this device %s, without a domain (configure "
		    "'domain name' first)\n", shell_hostname(sh));
}

int
tpc_password(struct shell *sh, char *pw, size_t sz)
{
	char	 again[TPC_PASSMAX];
	int	 i, rc = -1;

	tpc_warn_fqdn(sh);
	shell_printf(sh, "%% Start certificate enrollment ...\n"
	    "%% Create a challenge password. You will need to verbally "
	    "provide this\npassword to the CA Administrator in order to "
	    "revoke your certificate.\n"
	    "%% For security reasons your password will not be saved in the "
	    "configuration.\n%% Please make a note of it.\n\n");
	for (i = 0; i < TPC_PASSTRIES; i++) {
		if (shell_ask(sh, "Password:", pw, sz, 1) != 0 ||
		    shell_ask(sh, "Re-enter Password:", again, sizeof(again),
		    1) != 0)
			break;
		if (strcmp(pw, again) == 0) {
			rc = 0;
			break;
		}
		shell_printf(sh, "%% Passwords do not match.\n");
	}
	OPENSSL_cleanse(again, sizeof(again));
	if (rc != 0) {
		OPENSSL_cleanse(pw, sz);
		shell_error(sh, "Certificate enrollment cancelled: no "
		    "challenge password");
	}
	return rc;
}

/* 0 after the wait, 1 when the user pressed Ctrl-C. */
int
tpc_wait(struct shell *sh, long ms)
{
	struct timespec	 ts = { 0, 100 * 1000000L };

	while (ms > 0) {
		if (shell_interrupted(sh))
			return 1;
		if (ms < 100)
			ts.tv_nsec = ms * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
	return shell_interrupted(sh);
}

int
tpc_csr(struct tpc *c, X509_REQ **req, EVP_PKEY *key, enum tp_kind kind,
    int usage, const char *pw)
{
	struct err	 e;

	if (enroll_csr(req, &c->en, key, kind, usage, pw, &e) != 0)
		return shell_err(c->sh, &e);
	return 0;
}

void
tpc_print_csr_fingerprint(struct shell *sh, X509_REQ *req, enum tp_kind kind,
    int usage)
{
	char	*fp = csr_fingerprint(req);

	shell_printf(sh, "%sFingerprint: %s\n", !usage ? "" :
	    kind == TP_KIND_SIGN ? "Signing Certificate Request " :
	    "Encryption Certificate Request ", fp ? fp : "?");
	free(fp);
}

int
tpc_keys(struct tpc *c, int *usage, int rsa_only)
{
	struct err	 e;

	if (enroll_keys(&c->en, usage, rsa_only ? c->en.proto : NULL,
	    &e) != 0)
		return shell_err(c->sh, &e);
	return 0;
}

/* ---- the engine's user interface (enroll.h) ----------------------------- */

static int
tpc_ui_password(void *arg, char *pw, size_t sz)
{
	struct tpc	*c = arg;

	if (c->tp->method == TP_METHOD_EST)
		return estc_password(c, pw, sz);
	return tpc_password(c->sh, pw, sz);
}

static int
tpc_ui_wait(void *arg, long ms)
{
	struct tpc	*c = arg;

	return tpc_wait(c->sh, ms);
}

/* Enrolling over a router certificate replaces it once the new one comes. */
static int
tpc_ui_confirm(void *arg, enum enroll_question q, int *yes)
{
	struct tpc	*c = arg;

	(void)q;
	shell_printf(c->sh, "%% You already have a certificate from "
	    "trustpoint %s: it is replaced when the new one is received.\n",
	    c->tp->name);
	return shell_confirm(c->sh, "Do you really want to re-enroll? "
	    "[yes/no]: ", yes);
}

/* What the request and the reply use, when weak. */
static void
tpc_ui_weak(struct shell *sh, const struct enroll_note *n)
{
	const struct enroll_job	*j = n->job;

	if (n->ev == ENROLL_EV_REQUEST_WEAK) {
		if (n->weak_cipher != NULL)
			shell_printf(sh, "%% Warning: the CA does not offer "
			    "AES: the request is encrypted with 3DES "
			    "(DES-EDE3-CBC)\n");
		if (n->weak_md != NULL)
			shell_printf(sh, "%% Warning: the CA does not offer "
			    "SHA-256: the request is signed with SHA-1\n");
		return;
	}
	if (j->weak_cipher[0] != '\0')
		shell_printf(sh, "%% Warning: the CA encrypted its reply with "
		    "%s, a weak algorithm\n", j->weak_cipher);
	if (j->weak_md[0] != '\0')
		shell_printf(sh, "%% Warning: the CA signed its reply with %s, "
		    "a weak algorithm\n", j->weak_md);
	tpc_warn_weak_sig(sh, "certificate", j->cert);
}

/* Waiting for the CA: the plan, each poll, and how it ended. */
static void
tpc_ui_polls(struct shell *sh, const struct enroll_note *n)
{
	const struct trustpoint	*tp = n->en->tp;

	switch (n->ev) {
	case ENROLL_EV_WAITING:
		shell_printf(sh, "%% Certificate request pending: polling the "
		    "CA every %d minute%s, up to %d time%s\n",
		    tp->retry_period, tp->retry_period == 1 ? "" : "s",
		    tp->retry_count, tp->retry_count == 1 ? "" : "s");
		break;
	case ENROLL_EV_POLL:
		shell_printf(sh, "%% Poll %d of %d: %s\n", n->n,
		    tp->retry_count, n->err->code == ERR_PENDING ?
		    "still pending" : n->err->msg);
		break;
	case ENROLL_EV_STOPPED:
		shell_printf(sh, "%% Stopped waiting: the request stays "
		    "pending. 'crypto ca enroll %s' resumes it, 'crypto ca "
		    "cancel-enroll %s' forgets it\n", tp->name, tp->name);
		break;
	default:
		shell_error(sh, "No certificate after %d polls: the request "
		    "stays pending. Enter 'crypto ca enroll %s' again to "
		    "resume, or 'crypto ca cancel-enroll %s' to forget it",
		    tp->retry_count, tp->name, tp->name);
		break;
	}
}

void
tpc_ui_note(void *arg, const struct enroll_note *n)
{
	struct tpc	*c = arg;

	switch (n->ev) {
	case ENROLL_EV_SENT:
		if (n->job->sent_to[0] != '\0')
			shell_printf(c->sh, "%% Certificate request sent to "
			    "%s\n", n->job->sent_to);
		break;
	case ENROLL_EV_KEYGEN:
		shell_printf(c->sh, "%% Key pair %s not found: generating a "
		    "%d-bit RSA key pair\n", c->tp->keylabel,
		    KEYSTORE_RSA_DEFAULT);
		break;
	case ENROLL_EV_REQUEST_WEAK:
	case ENROLL_EV_REPLY:
		tpc_ui_weak(c->sh, n);
		break;
	case ENROLL_EV_CSR:
		tpc_print_csr_fingerprint(c->sh, n->job->req, n->job->kind,
		    n->job->usage);
		break;
	case ENROLL_EV_RESUME:
		shell_printf(c->sh, "%% Resuming the pending %s key request "
		    "(transaction ID %.16s...)\n",
		    tpc_kind_usage(n->job->kind), n->job->pend.transid);
		break;
	case ENROLL_EV_ISSUED:
		shell_printf(c->sh, "%% Certificate successfully received "
		    "from Certificate Authority\n");
		break;
	case ENROLL_EV_FAILED:
		shell_error(c->sh, "Certificate enrollment failed: %s",
		    n->err->msg);
		break;
	case ENROLL_EV_ERROR:
		shell_err(c->sh, n->err);
		break;
	default:
		tpc_ui_polls(c->sh, n);
		break;
	}
}

static const struct enroll_ui tpc_ui = {
	.password = tpc_ui_password,
	.confirm = tpc_ui_confirm,
	.note = tpc_ui_note,
	.wait = tpc_ui_wait,
};

static int
tpc_enroll(struct shell *sh, const struct cmd_args *a)
{
	struct tpc	 c;
	int		 rc = -1;

	if (tpc_open(&c, sh, cmd_arg(a, "NAME")) != 0)
		goto out;
	if (!enroll_confirm(&c.en)) {
		rc = 0;
		goto out;
	}
	if (c.tp->method == TP_METHOD_TERMINAL) {
		rc = pastec_enroll(&c);
		goto out;
	}
	if (c.tp->method == TP_METHOD_TFTP) {
		rc = tftpc_enroll(&c);
		goto out;
	}
	if (tpc_need_url(&c) == 0)
		rc = enroll_run(&c.en);
 out:
	tpc_free(&c);
	return rc;
}

static int
tpc_cancel(struct shell *sh, const struct cmd_args *a)
{
	struct tpc	 c;
	struct err	 e;
	int		 k, n = 0, yes = 0, rc = -1;

	if (tpc_open(&c, sh, cmd_arg(a, "NAME")) != 0)
		goto out;
	for (k = 0; k < TP_KIND__MAX; k++)
		n += tp_pending_exists(c.st, c.tp->name, k);
	if (n > 0) {
		shell_printf(sh, "%% The CA may still issue the certificate, "
		    "but this device will no longer collect it.\n");
		if (shell_confirm(sh, "Do you really want to cancel the "
		    "pending enrollment? [yes/no]: ", &yes) != 0 || !yes) {
			rc = 0;
			goto out;
		}
	}
	n = 0;
	for (k = 0; k < TP_KIND__MAX; k++) {
		if (!tp_pending_exists(c.st, c.tp->name, k))
			continue;
		if (enroll_forget(c.st, c.tp->name, k, NULL, &e) != 0) {
			shell_err(sh, &e);
			goto out;
		}
		n++;
	}
	if (n == 0)
		shell_printf(sh, "%% No enrollment request pending for "
		    "trustpoint %s\n", c.tp->name);
	else
		shell_printf(sh, "%% Pending enrollment request%s for trustpoint "
		    "%s removed\n", n == 1 ? "" : "s", c.tp->name);
	rc = 0;
 out:
	tpc_free(&c);
	return rc;
}

/* ---- show crypto ca certificates ---------------------------------------- */

static void
tpc_show_router(struct shell *sh, struct store *st, const char *name,
    enum tp_kind kind, X509 *x, const char *label, X509 *ca)
{
	struct json		*j = shell_json(sh);
	struct tp_pending	 p;
	struct err		 e;
	const char		*state;
	char			 when[64];

	if (x == NULL && !tp_pending_exists(st, name, kind))
		return;
	shell_printf(sh, "Router certificate\nKey usage :%s\n",
	    tpc_kind_usage(kind));
	json_begin(j, NULL);
	json_str(j, "key_usage", tpc_kind_usage(kind));
	if (x != NULL) {
		state = tp_cert_state_name(tp_cert_state(st, label, kind, x,
		    ca, clock_now()));
		shell_printf(sh, "Status :%s\n", state);
		json_str(j, "status", state);
		tpc_print_cert(sh, x);
		tpc_print_crldp(sh, x);
		json_end(j);
		return;
	}
	shell_printf(sh, "Status :Pending\n");
	json_str(j, "status", "Pending");
	if (tp_pending_load(&p, st, name, kind, &e) == 0) {
		shell_printf(sh, "Transaction ID :%s\n", p.transid);
		json_str(j, "transaction_id", p.transid);
		/* Why the agent is quiet: the server asked it to wait. */
		if (p.not_before > clock_now()) {
			cert_fmt_time(when, sizeof(when), p.not_before);
			shell_printf(sh, "Next poll not before :%s\n", when);
			json_str(j, "next_poll_not_before", when);
		}
		tp_pending_clear(&p);
	}
	json_end(j);
}

/* A CA or RA certificate: the text's title lines, a JSON object. */
static void
tpc_show_cert(struct shell *sh, const char *title, const char *usage,
    X509 *x, int crldp)
{
	struct json	*j = shell_json(sh);

	shell_printf(sh, "%s\n", title);
	json_begin(j, usage == NULL ? "ca_certificate" : NULL);
	if (usage != NULL) {
		shell_printf(sh, "Key usage :%s\n", usage);
		json_str(j, "key_usage", usage);
	}
	tpc_print_cert(sh, x);
	if (crldp)
		tpc_print_crldp(sh, x);
	json_end(j);
}

/* The shadow CA (tp_rollover.h), only while one is kept. */
static void
tpc_show_next(struct shell *sh, struct store *st, const char *name)
{
	struct json	*j = shell_json(sh);
	X509		*x = NULL;

	if (tp_ca_next_load(&x, st, name, NULL) != 0)
		return;
	shell_printf(sh, "CA certificate (rollover)\n");
	json_begin(j, "ca_certificate_rollover");
	tpc_print_cert(sh, x);
	tpc_print_crldp(sh, x);
	json_end(j);
	X509_free(x);
}

/* The trustpoint's key pair: rsakeypair, else the default. */
static const char *
tpc_keylabel(struct shell *sh, const char *name)
{
	const struct config	*run = shell_running(sh);
	const char		*v;
	char			 block[128];

	if (run == NULL || tp_block(block, sizeof(block), name) != 0 ||
	    (v = config_value(run, block, "rsakeypair")) == NULL || *v == '\0')
		return TP_DEFAULT_KEY;
	return v;
}

static int
tpc_show_one(struct shell *sh, struct store *st, const char *name)
{
	struct json	*j = shell_json(sh);
	struct tp_certs	 tc;
	struct err	 e;
	int		 k;

	if (tp_certs_load(&tc, st, name, &e) != 0)
		return shell_err(sh, &e);
	shell_printf(sh, "Trustpoint :%s\n=====\n", name);
	json_begin(j, NULL);
	json_str(j, "name", name);
	if (tc.ca != NULL)
		tpc_show_cert(sh, "CA certificate", NULL, tc.ca, 1);
	else
		json_null(j, "ca_certificate");
	tpc_show_next(sh, st, name);
	json_list(j, "ra_certificates");
	if (tc.ra_sign != NULL && tc.ra_encr != NULL &&
	    X509_cmp(tc.ra_sign, tc.ra_encr) == 0)
		tpc_show_cert(sh, "RA certificate", "General Purpose",
		    tc.ra_sign, 0);
	else {
		if (tc.ra_sign != NULL)
			tpc_show_cert(sh, "RA certificate", "Signature",
			    tc.ra_sign, 0);
		if (tc.ra_encr != NULL)
			tpc_show_cert(sh, "RA certificate", "Encryption",
			    tc.ra_encr, 0);
	}
	json_end(j);
	json_list(j, "router_certificates");
	for (k = 0; k < TP_KIND__MAX; k++) {
		tpc_show_router(sh, st, name, k, tc.dev[k], tpc_keylabel(sh,
		    name), tc.ca);
		tpc_show_rollover(sh, st, name, k, tc.dev[k]);
	}
	json_end(j);
	json_end(j);
	tp_certs_clear(&tc);
	return 0;
}

/* fn for every configured trustpoint, in running-config order. */
static int
tpc_each(struct shell *sh, struct store *st,
    int (*fn)(struct shell *, struct store *, const char *))
{
	const struct config	*run = shell_running(sh);
	const char		**keys = NULL;
	size_t			 n = 0, i, plen = strlen("crypto ca trustpoint ");
	int			 rc = 0;

	if (run == NULL || config_list(run, "crypto ca trustpoint ", &keys,
	    &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			shell_printf(sh, "\n");
		if (strlen(keys[i]) > plen && fn(sh, st, keys[i] + plen) != 0)
			rc = -1;
	}
	free(keys);
	return rc;
}

static int
tpc_show(struct shell *sh, const struct cmd_args *a)
{
	const struct config	*run = shell_running(sh);
	const char		*name = cmd_arg(a, "NAME");
	struct store		*st;
	char			 block[128];
	int			 rc;

	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (name != NULL && (!tp_name_ok(name) || tp_block(block,
	    sizeof(block), name) != 0 || run == NULL ||
	    config_get(run, NULL, block) == NULL))
		return shell_error(sh, "Trustpoint %s is not configured", name);
	json_list(shell_json(sh), "trustpoints");
	rc = name == NULL ? tpc_each(sh, st, tpc_show_one) :
	    tpc_show_one(sh, st, name);
	json_end(shell_json(sh));
	return rc;
}

/* ---- show crypto ca trustpoint [NAME] status ---------------------------- */

/* IOS XE's dotted "State:" lines. */
void
tpc_status_line(struct shell *sh, const char *what, const char *fmt, ...)
{
	char	 val[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	shell_printf(sh, "    %s %.*s %s\n", what, (int)(28 - strlen(what)),
	    "............................", val);
}

/* In JSON: its fields, in the object the caller opened. */
static void
tpc_status_cert(struct shell *sh, const char *title, X509 *x)
{
	struct json	*j = shell_json(sh);
	char		*dn = cert_dn(X509_get_subject_name(x), CERT_DN_LOWER);
	char		*sha = cert_x509_fingerprint(x, "SHA256", 0);
	char		*raw = NULL;
	char		 t[64];
	time_t		 na = 0;

	cert_asn1_time(X509_get0_notAfter(x), &na);
	cert_fmt_time(t, sizeof(t), na);
	shell_printf(sh, "  %s:\n    Subject Name:\n     %s\n"
	    "    Fingerprint SHA256: %s\n    Expires: %s\n", title,
	    dn ? dn : "?", sha ? sha : "?", t);
	if (j != NULL)
		raw = cert_dn(X509_get_subject_name(x), CERT_DN_LOWER |
		    CERT_DN_RAW);
	json_str(j, "subject_name", raw);
	json_str(j, "fingerprint_sha256", sha);
	json_time(j, "expires", na);
	free(raw);
	free(dn);
	free(sha);
}

/* The revocation state in JSON: "crl": { "status", "next_update" ... }. */
static void
tpc_status_crl_json(struct json *j, const struct crl_answer *ans,
    int optional)
{
	static const char	*names[] = { "none", "not_revoked", "revoked",
	    "expired" };
	int			 i;

	switch (ans->status) {
	case CRL_GOOD:		i = 1;	break;
	case CRL_REVOKED:	i = 2;	break;
	case CRL_EXPIRED:	i = 3;	break;
	default:		i = 0;	break;
	}
	json_begin(j, "crl");
	json_str(j, "status", names[i]);
	if (i == 1 || i == 3)
		json_time(j, "next_update", ans->next_update);
	else
		json_null(j, "next_update");
	json_str(j, "reason", i == 2 ? cert_reason_name(ans->reason) : NULL);
	json_bool(j, "optional", optional);
	json_end(j);
}

/* The revocation state of the router certificate, from the cache. */
static void
tpc_status_crl(struct shell *sh, struct store *st, struct tpc *c, X509 *x)
{
	struct crl_cache	*cache = NULL;
	struct crl_answer	 ans;
	struct err		 e;
	char			 dir[PATH_MAX], t[64];

	memset(&ans, 0, sizeof(ans));
	ans.status = CRL_NONE;
	snprintf(dir, sizeof(dir), "%s/crl", store_dir(st));
	if (x != NULL && c->certs.ca != NULL &&
	    crl_cache_open(&cache, dir, &e) == 0)
		crl_cache_lookup(cache, x, c->certs.ca, clock_now(), &ans, &e);
	crl_cache_free(cache);
	cert_fmt_time(t, sizeof(t), ans.next_update);
	switch (ans.status) {
	case CRL_GOOD:
		tpc_status_line(sh, "CRL", "Cached, not revoked (next update "
		    "%s)", t);
		break;
	case CRL_REVOKED:
		tpc_status_line(sh, "CRL", "Cached, REVOKED (%s)",
		    cert_reason_name(ans.reason));
		break;
	case CRL_EXPIRED:
		tpc_status_line(sh, "CRL", "Cached, expired %s", t);
		break;
	default:
		tpc_status_line(sh, "CRL", "None cached%s", c->tp->crl_optional ?
		    " (crl optional)" : "");
		break;
	}
	tpc_status_crl_json(shell_json(sh), &ans, c->tp->crl_optional);
}

/* When the agent next updates the trust pool, or why it does not. */
static void
tpc_status_pool(struct shell *sh, struct store *st)
{
	struct trustpool_policy	 p;
	struct trustpool_meta	 m;
	struct trustpool	*tp = NULL;
	struct err		 e;
	char			 t[64];

	struct json		*j = shell_json(sh);
	time_t			 next;

	trustpool_policy_get(&p, shell_running(sh));
	json_begin(j, "trustpool");
	if (p.cabundle_url == NULL) {
		shell_printf(sh, "Trust pool next update: none (%s)\n",
		    p.cabundle_none ? "cabundle url none" : "no cabundle url");
		json_null(j, "next_update");
		json_str(j, "reason", p.cabundle_none ? "cabundle url none" :
		    "no cabundle url");
		json_end(j);
		return;
	}
	if (trustpool_load(&tp, st, &e) != 0) {
		shell_printf(sh, "Trust pool next update: unknown (%s)\n",
		    e.msg);
		json_null(j, "next_update");
		json_str(j, "reason", e.msg);
		json_end(j);
		return;
	}
	if (trustpool_meta_read(&m, st, &e) != 0)
		memset(&m, 0, sizeof(m));
	next = trustpool_next_update(trustpool_expiry(tp, m.last_success,
	    NULL), m.last_success, m.last_failure, clock_now());
	cert_fmt_time(t, sizeof(t), next);
	shell_printf(sh, "Trust pool next update: %s\n", t);
	json_time(j, "next_update", next);
	json_null(j, "reason");
	json_end(j);
	trustpool_free(tp);
}

static void
tpc_status_state(struct shell *sh, struct tpc *c, X509 *router, int usage)
{
	struct json	*j = shell_json(sh);
	const char	*kind = usage ? "Special Usage" : "General Purpose";
	const char	*req;
	int		 k, pending = 0, keys;

	shell_printf(sh, "  State:\n");
	json_begin(j, "state");
	if ((keys = keystore_exists(c->st, c->tp->keylabel, &usage)))
		tpc_status_line(sh, "Keys generated", "Yes (%s, %s)",
		    c->tp->keylabel, kind);
	else
		tpc_status_line(sh, "Keys generated", "No (%s)",
		    c->tp->keylabel);
	json_bool(j, "keys_generated", keys);
	json_str(j, "key_label", c->tp->keylabel);
	json_str(j, "key_usage", keys ? kind : NULL);
	tpc_status_line(sh, "Issuing CA authenticated", "%s",
	    c->certs.ca != NULL ? "Yes" : "No");
	json_bool(j, "issuing_ca_authenticated", c->certs.ca != NULL);
	for (k = 0; k < TP_KIND__MAX; k++)
		pending += tp_pending_exists(c->st, c->tp->name, k);
	req = router != NULL ? "Yes" : pending ? "Pending" : "None";
	tpc_status_line(sh, "Certificate request(s)", "%s", req);
	json_str(j, "certificate_requests", req);
	tpc_status_line(sh, "Pending enrollment", "%s", pending ? "Yes "
	    "('crypto ca enroll' resumes it)" : "No");
	json_bool(j, "pending_enrollment", pending > 0);
	tpc_status_crl(sh, c->st, c, router);
	json_end(j);
}

/* The shadow CA and the rollover's schedule, once there is something. */
static void
tpc_status_next(struct shell *sh, struct tpc *c)
{
	struct json		*j = shell_json(sh);
	struct tp_rollover_state rs;
	X509			*x = NULL;
	char			 t[64];
	time_t			 start, na = 0;
	int			 asked;

	if (c->certs.ca == NULL)
		return;
	start = tp_rollover_window(c->tp, c->certs.ca);
	asked = tp_rollover_state_load(&rs, c->st, c->tp->name, NULL) == 0;
	/* GetNextCACert is SCEP's: other methods have no window to show. */
	if (tp_ca_next_load(&x, c->st, c->tp->name, NULL) != 0 && !asked &&
	    (clock_now() < start || c->tp->method != TP_METHOD_URL))
		return;
	json_begin(j, "ca_rollover");
	if (x != NULL) {
		json_begin(j, "ca_certificate_rollover");
		tpc_status_cert(sh, "CA certificate (rollover)", x);
		json_end(j);
		cert_asn1_time(X509_get0_notAfter(c->certs.ca), &na);
		cert_fmt_time(t, sizeof(t), na);
		shell_printf(sh, "    Becomes the issuing CA: %s\n", t);
		json_time(j, "switch_at", na);
	}
	cert_fmt_time(t, sizeof(t), start);
	shell_printf(sh, "  CA rollover window opens: %s\n", t);
	json_time(j, "window_start", start);
	if (asked) {
		cert_fmt_time(t, sizeof(t), rs.last);
		shell_printf(sh, "  CA rollover last asked: %s (%s)\n", t,
		    rs.error[0] ? rs.error : "ok");
		json_time(j, "last_attempt", rs.last);
		json_str(j, "last_error", rs.error[0] ? rs.error : NULL);
	}
	json_end(j);
	X509_free(x);
}

static int
tpc_status_one(struct shell *sh, struct store *st, const char *name)
{
	struct json	*j = shell_json(sh);
	struct tpc	 c;
	char		 title[96];
	const char	*state;
	X509		*router = NULL;
	int		 k, usage = 0;

	(void)st;
	if (tpc_open(&c, sh, name) != 0) {
		tpc_free(&c);
		return -1;
	}
	shell_printf(sh, "Trustpoint %s:\n", name);
	json_begin(j, NULL);
	json_str(j, "name", name);
	if (c.certs.ca != NULL) {
		json_begin(j, "issuing_ca_certificate");
		tpc_status_cert(sh, "Issuing CA certificate configured",
		    c.certs.ca);
		json_end(j);
	} else
		json_null(j, "issuing_ca_certificate");
	tpc_status_next(sh, &c);
	json_list(j, "router_certificates");
	for (k = 0; k < TP_KIND__MAX; k++) {
		if (c.certs.dev[k] == NULL)
			continue;
		if (router == NULL)
			router = c.certs.dev[k];
		usage |= k != TP_KIND_GENERAL;
		snprintf(title, sizeof(title), "Router %s certificate "
		    "configured", tpc_kind_usage(k));
		json_begin(j, NULL);
		json_str(j, "key_usage", tpc_kind_usage(k));
		tpc_status_cert(sh, title, c.certs.dev[k]);
		state = tp_cert_state_name(tp_cert_state(c.st, c.tp->keylabel,
		    k, c.certs.dev[k], c.certs.ca, clock_now()));
		shell_printf(sh, "    Status: %s\n", state);
		json_str(j, "status", state);
		json_end(j);
	}
	json_end(j);
	tpc_status_state(sh, &c, router, usage);
	tpc_status_renewal(sh, &c);
	json_end(j);
	tpc_free(&c);
	return 0;
}

static int
tpc_status(struct shell *sh, const struct cmd_args *a)
{
	const char	*name = cmd_arg(a, "NAME");
	struct store	*st;
	int		 rc;

	if ((st = shell_store(sh)) == NULL)
		return -1;
	json_list(shell_json(sh), "trustpoints");
	rc = name != NULL ? tpc_status_one(sh, st, name) :
	    tpc_each(sh, st, tpc_status_one);
	json_end(shell_json(sh));
	if (rc == 0)
		tpc_status_pool(sh, st);
	return rc;
}

const struct cmd_def cmd_trustpoint_defs[] = {
	{ .mode = MODE_CONFIG, .syntax = "crypto ca trustpoint NAME",
	  .help = CMD_HELP_CRYPTO_CONFIG CMD_HELP_CA
	    "Trustpoint configuration\n"
	    "Trustpoint name",
	  .fn = tpc_cmd_trustpoint, .keylen = 4, .flags = CMD_SUBMODE,
	  .submode = MODE_TRUSTP },

	/* Trustpoint statements, in running-config order. */
	{ .mode = MODE_TRUSTP, .syntax = "description LINE",
	  .help = "Describe this trustpoint\n"
	    "Up to 240 characters",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment url URL",
	  .help = "Enrollment parameters\n"
	    "CA server enrollment URL (SCEP, EST with method-est, or TFTP)\n"
	    "http(s):// URL (SCEP; /cgi-bin/pkiclient.exe when no path), "
	    "tftp://HOST[/PATH] or tftp-address;vrf-name/ca-name",
	  .fn = tpc_cmd_url, .keylen = 2, .key = "enrollment method" },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment terminal",
	  .help = "Enrollment parameters\n"
	    "Cut-and-paste enrollment at the terminal",
	  .keylen = 2, .key = "enrollment method" },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment retry count <1-100>",
	  .help = "Enrollment parameters\n"
	    "Polling parameters\n"
	    "How many times to poll a pending request\n"
	    "Number of polls (default 10)",
	  .keylen = 3 },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment retry period <1-60>",
	  .help = "Enrollment parameters\n"
	    "Polling parameters\n"
	    "Minutes between polls\n"
	    "Minutes (default 1)",
	  .keylen = 3 },
	{ .mode = MODE_TRUSTP, .syntax = "method-est",
	  .help = "Enroll by EST (RFC 7030) at the https enrollment url",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "est-label WORD",
	  .help = "EST label: /.well-known/est/LABEL/... on the server\n"
	    "Label (letters, digits, '.', '_', '~', '-')",
	  .fn = estc_cmd_label, .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment credential NAME",
	  .help = "Enrollment parameters\n"
	    "TLS client certificate for EST enrollment\n"
	    "Trustpoint whose router certificate and key pair to present",
	  .fn = estc_cmd_cred, .keylen = 2 },
	{ .mode = MODE_TRUSTP,
	  .syntax = "enrollment http-auth username WORD",
	  .help = "Enrollment parameters\n"
	    "HTTP basic authentication to the EST server\n"
	    "User name (the password is asked at enrollment, never stored)\n"
	    "User name",
	  .fn = estc_cmd_user, .keylen = 2 },
	{ .mode = MODE_TRUSTP, .syntax = "query url URL",
	  .help = "Query parameters\n"
	    "LDAP URL of the CA's directory\n"
	    "ldap:// URL",
	  .fn = tpc_cmd_query, .keylen = 2 },
	{ .mode = MODE_TRUSTP, .syntax = "vrf NAME",
	  .help = "VRF the CA is reached through\n"
	    "VRF name",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "subject-name DN",
	  .help = "Subject name of the requested certificate\n"
	    "Distinguished name, e.g. CN=router1,O=Example,C=US",
	  .fn = tpc_cmd_subject, .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "ip-address {A.B.C.D|none}",
	  .help = "Include an IP address in the request\n"
	    "IP address (unstructuredAddress)\n"
	    "Do not include an IP address",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "serial-number [none]",
	  .help = "Include the device serial number in the request\n"
	    "Do not include the serial number",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "rsakeypair LABEL",
	  .help = "RSA key pair for this trustpoint\n"
	    "Key pair label (default the_default)",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "crl optional",
	  .help = "CRL options\n"
	    "Accept peer certificates when the CRL cannot be fetched",
	  .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "fingerprint HEX",
	  .help = "Pin the CA certificate's fingerprint\n"
	    "MD5, SHA-1 or SHA-256 in hex, spaces allowed",
	  .fn = tpc_cmd_fingerprint, .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "auto-enroll [<1-100>] [regenerate]",
	  .help = "Renew the router certificate automatically\n"
	    "Percent of the certificate's lifetime after which to renew "
	    "(default 80)\n"
	    "Generate a new key pair for the renewal",
	  .keylen = 1 },

	/* EXEC */
	{ .mode = MODE_EXEC, .syntax = "crypto ca authenticate NAME",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Get and accept the CA certificate\n"
	    "Trustpoint name",
	  .fn = tpc_authenticate },
	{ .mode = MODE_EXEC, .syntax = "crypto ca enroll NAME",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Request certificates for the trustpoint's key pairs\n"
	    "Trustpoint name",
	  .fn = tpc_enroll },
	{ .mode = MODE_EXEC, .syntax = "crypto ca enroll NAME serverkeygen",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Request certificates for the trustpoint's key pairs\n"
	    "Trustpoint name\n"
	    "EST: the server generates the key pair (RFC 7030 4.4)",
	  .fn = estc_serverkeygen },
	{ .mode = MODE_EXEC, .syntax = "crypto ca cancel-enroll NAME",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Forget a pending enrollment request\n"
	    "Trustpoint name",
	  .fn = tpc_cancel },
	{ .mode = MODE_EXEC, .syntax = "show crypto ca certificates [NAME]",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO CMD_HELP_CA
	    "Trustpoints' CA, RA and router certificates\n"
	    "Only this trustpoint",
	  .fn = tpc_show },
	{ .mode = MODE_EXEC, .syntax = "show crypto ca trustpoint status",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO CMD_HELP_CA
	    "Trustpoint state\n"
	    "Keys, certificates, enrollment, CRL and trust pool at a glance",
	  .fn = tpc_status },
	{ .mode = MODE_EXEC, .syntax = "show crypto ca trustpoint NAME status",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO CMD_HELP_CA
	    "Trustpoint state\n"
	    "Only this trustpoint\n"
	    "Keys, certificates, enrollment, CRL and trust pool at a glance",
	  .fn = tpc_status },
	{ .syntax = NULL }
};
