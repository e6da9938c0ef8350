/*
 * cmd_tftp: TFTP enrollment (`enrollment url tftp://...`), the TFTP side
 * of crypto ca authenticate and crypto ca enroll (called from
 * cmd_trustpoint.c).  The CA certificate goes through the same checks and
 * prompt as GetCACert's, the request is the one SCEP would send, and the
 * certificate the CA leaves is checked as a pasted one: only the
 * transport differs.  The file names are in tftp_enroll.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_trustpoint.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "paste.h"
#include "scep_client.h"
#include "shell.h"
#include "tftp_enroll.h"
#include "trustpoint.h"

/* Where the files are; binds fo to the URL's VRF.  Prints the error. */
static int
tftpc_target(struct tpc *c, struct tftp_target *t)
{
	struct err	 e;
	char		 fqdn[300];
	const char	*dom = shell_domain(c->sh);

	snprintf(fqdn, sizeof(fqdn), "%s%s%s", shell_hostname(c->sh),
	    dom && *dom ? "." : "", dom && *dom ? dom : "");
	if (tftp_target_parse(t, c->tp->url, fqdn, &e) != 0)
		return shell_err(c->sh, &e);
	if (t->vrf[0] != '\0') {
		/* Two different VRFs for one server: say so, guess neither. */
		if (c->tp->vrf != NULL && strcmp(c->tp->vrf, t->vrf) != 0)
			return shell_error(c->sh, "Trustpoint %s: enrollment url "
			    "names VRF %s but the trustpoint's vrf is %s",
			    c->tp->name, t->vrf, c->tp->vrf);
		c->fo.vrf = t->vrf;
	}
	return 0;
}

int
tftpc_authenticate(struct tpc *c)
{
	struct tftp_target	 t;
	struct scep_cacert	 cc;
	struct err		 e;
	STACK_OF(X509)		*certs = NULL;
	char			 file[TFTP_NAMEMAX + 16];
	int			 rc = -1;

	memset(&cc, 0, sizeof(cc));
	if (tftpc_target(c, &t) != 0)
		goto out;
	if (tftp_file(file, sizeof(file), &t, "ca", TP_KIND_GENERAL, 0) != 0) {
		shell_error(c->sh, "Trustpoint %s: file name too long",
		    c->tp->name);
		goto out;
	}
	if (tftp_get_certs(&certs, &t, file, &c->fo, &e) != 0) {
		shell_error(c->sh, "Trustpoint %s: %s", c->tp->name, e.msg);
		goto out;
	}
	if (scep_cacert_select(&cc, certs, &e) != 0) {
		shell_error(c->sh, "Certificate not accepted: %s: %s; nothing "
		    "stored", file, e.msg);
		goto out;
	}
	rc = tpc_ca_accept(c, &cc);
 out:
	scep_cacert_clear(&cc);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* Build one request and write it to <name>[-sign|-encr].req. */
static int
tftpc_request(struct tpc *c, const struct tftp_target *t, enum tp_kind kind,
    int usage, const char *pw)
{
	struct err	 e;
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	char		 file[TFTP_NAMEMAX + 16], url[1600];
	int		 rc = -1;

	if (keystore_load(&key, c->st, c->tp->keylabel, tp_keystore_kind(kind),
	    &e) != 0) {
		shell_err(c->sh, &e);
		goto out;
	}
	if (tpc_csr(c, &req, key, kind, usage, pw) != 0)
		goto out;
	tpc_print_csr_fingerprint(c->sh, req, kind, usage);
	if (tftp_file(file, sizeof(file), t, "req", kind, usage) != 0 ||
	    tftp_url(url, sizeof(url), t, file) != 0) {
		shell_error(c->sh, "Trustpoint %s: file name too long",
		    c->tp->name);
		goto out;
	}
	if (tftp_put_req(t, file, req, &c->fo, &e) != 0) {
		shell_error(c->sh, "Certificate enrollment failed: %s", e.msg);
		goto out;
	}
	shell_printf(c->sh, "%% Certificate request sent to %s\n", url);
	rc = 0;
 out:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * One look at <name>.crt: 0 stored, 1 not there (or not ours) yet, -1 a
 * hard error (printed).
 */
static int
tftpc_fetch_cert(struct tpc *c, const struct tftp_target *t,
    const struct paste_target *pt, enum tp_kind kind, const char *file,
    int i)
{
	struct err	 e;
	STACK_OF(X509)	*certs = NULL;
	X509		*x = NULL;
	enum tp_kind	 got = kind;
	int		 rc, n = c->tp->retry_count;

	rc = tftp_get_certs(&certs, t, file, &c->fo, &e);
	if (rc == 0 && (rc = paste_match(&x, &got, certs, pt, clock_now(),
	    &e)) != 0)
		err_prefix(&e, "%s", file);
	if (rc == 0 && got != kind)
		rc = err_set(&e, ERR_REFUSED, "%s: the certificate is for the "
		    "%s key, not the %s key", file, tpc_kind_usage(got),
		    tpc_kind_usage(kind));
	if (rc != 0) {
		/* The CA may not have answered yet, or not replaced an old file. */
		shell_printf(c->sh, "%% Poll %d of %d: %s\n", i, n,
		    rc == ERR_NOTFOUND ? "no certificate yet" : e.msg);
		rc = 1;
		goto out;
	}
	tpc_warn_weak_sig(c->sh, "certificate", x);
	if (enroll_store_cert(c->st, c->tp->name, kind, NULL, x, &e) != 0) {
		rc = shell_err(c->sh, &e);
		goto out;
	}
	shell_printf(c->sh, "%% Certificate successfully received from "
	    "Certificate Authority\n");
 out:
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* Poll for one certificate by the trustpoint's retry settings. */
static int
tftpc_poll(struct tpc *c, const struct tftp_target *t,
    const struct paste_target *pt, enum tp_kind kind, int usage)
{
	char	 file[TFTP_NAMEMAX + 16], url[1600];
	int	 i, rc;

	if (tftp_file(file, sizeof(file), t, "crt", kind, usage) != 0 ||
	    tftp_url(url, sizeof(url), t, file) != 0)
		return shell_error(c->sh, "Trustpoint %s: file name too long",
		    c->tp->name);
	shell_printf(c->sh, "%% Waiting for %s: polling every %d minute%s, "
	    "up to %d time%s\n", url, c->tp->retry_period,
	    c->tp->retry_period == 1 ? "" : "s", c->tp->retry_count,
	    c->tp->retry_count == 1 ? "" : "s");
	for (i = 1; i <= c->tp->retry_count; i++) {
		if (tpc_wait(c->sh, c->tp->retry_period * enroll_minute_ms())) {
			shell_printf(c->sh, "%% Stopped waiting. 'crypto ca "
			    "enroll %s' sends a new request\n", c->tp->name);
			return -1;
		}
		if ((rc = tftpc_fetch_cert(c, t, pt, kind, file, i)) <= 0)
			return rc;
	}
	return shell_error(c->sh, "No certificate in %s after %d polls: "
	    "enter 'crypto ca enroll %s' again to send a new request", url,
	    c->tp->retry_count, c->tp->name);
}

int
tftpc_enroll(struct tpc *c)
{
	struct tftp_target	 t;
	struct paste_target	 pt;
	char			 pw[TPC_PASSMAX];
	enum tp_kind		 kinds[2];
	int			 nk, i, usage = 0, rc = -1;

	pw[0] = '\0';
	memset(&pt, 0, sizeof(pt));
	if (tftpc_target(c, &t) != 0 || tpc_need_ca(c) != 0 ||
	    tpc_keys(c, &usage, 0) != 0)
		goto out;
	nk = enroll_kinds(kinds, usage);
	if (pastec_target(c, &pt) != 0 ||
	    tpc_password(c->sh, pw, sizeof(pw)) != 0)
		goto out;
	/* All requests first, so that the CA sees them together. */
	for (i = 0; i < nk; i++)
		if (tftpc_request(c, &t, kinds[i], usage, pw) != 0)
			goto out;
	OPENSSL_cleanse(pw, sizeof(pw));
	rc = 0;
	for (i = 0; i < nk && rc == 0; i++)
		rc = tftpc_poll(c, &t, &pt, kinds[i], usage);
 out:
	OPENSSL_cleanse(pw, sizeof(pw));
	pastec_target_clear(&pt);
	return rc;
}
