/*
 * cmd_paste: cut-and-paste enrollment ("enrollment terminal"): the
 * terminal side of crypto ca authenticate and crypto ca enroll (called
 * from cmd_trustpoint.c), and crypto ca import NAME certificate.  The
 * CA certificate goes through the same checks and prompt as GetCACert's,
 * and the request is the one SCEP would send; only the transport is the
 * operator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_trustpoint.h"
#include "csr.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "paste.h"
#include "scep_client.h"
#include "shell.h"
#include "trustpoint.h"

/* The pasted text, or -1 with the message printed. */
static int
pastec_read(struct shell *sh, const char *what, char **text, size_t *len)
{
	shell_printf(sh, "Enter the base 64 encoded %scertificate.\n"
	    "End with a blank line or the word \"quit\" on a line by "
	    "itself\n", what);
	if (shell_paste(sh, text, PASTE_MAX, len) != 0)
		return shell_error(sh, "Certificate not %s: nothing was "
		    "pasted, or more than %u bytes; nothing stored",
		    *what ? "accepted" : "imported", PASTE_MAX);
	return 0;
}

/* Text around the PEM blocks is ignored, and said so. */
static void
pastec_note(struct shell *sh, const char *text, size_t len)
{
	size_t	 n = paste_outside_lines(text, len);

	if (n > 0)
		shell_printf(sh, "%% Note: %zu line%s of text outside the PEM "
		    "blocks ignored\n", n, n == 1 ? "" : "s");
}

int
pastec_authenticate(struct tpc *c)
{
	struct scep_cacert	 cc;
	struct err		 e;
	STACK_OF(X509)		*certs = NULL;
	char			*text = NULL;
	size_t			 len = 0;
	int			 rc = -1;

	memset(&cc, 0, sizeof(cc));
	if (pastec_read(c->sh, "CA ", &text, &len) != 0)
		goto out;
	if (paste_certs(&certs, text, len, &e) != 0 ||
	    paste_check_cas(certs, &e) != 0 ||
	    scep_cacert_select(&cc, certs, &e) != 0) {
		shell_error(c->sh, "Certificate not accepted: %s; nothing "
		    "stored", e.msg);
		goto out;
	}
	pastec_note(c->sh, text, len);
	rc = tpc_ca_accept(c, &cc);
 out:
	scep_cacert_clear(&cc);
	sk_X509_pop_free(certs, X509_free);
	free(text);
	return rc;
}

static void
pastec_print_request(struct tpc *c, X509_REQ *req, enum tp_kind kind,
    int usage)
{
	char	*pem = csr_pem(req);

	shell_printf(c->sh, "%% Certificate request for key pair %s (%s "
	    "key) follows:\n\n%s", c->tp->keylabel, tpc_kind_usage(kind),
	    pem ? pem : "(PEM encoding failed)\n");
	tpc_print_csr_fingerprint(c->sh, req, kind, usage);
	shell_printf(c->sh, "\n");
	free(pem);
}

static int
pastec_request(struct tpc *c, enum tp_kind kind, int usage, const char *pw)
{
	struct err	 e;
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	int		 rc = -1;

	if (keystore_load(&key, c->st, c->tp->keylabel, tp_keystore_kind(kind),
	    &e) != 0) {
		shell_err(c->sh, &e);
		goto out;
	}
	if (tpc_csr(c, &req, key, kind, usage, pw) != 0)
		goto out;
	pastec_print_request(c, req, kind, usage);
	rc = 0;
 out:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

int
pastec_enroll(struct tpc *c)
{
	char	 pw[TPC_PASSMAX];
	int	 usage = 0, rc = -1;

	pw[0] = '\0';
	if (tpc_need_ca(c) != 0 || tpc_keys(c, &usage, 0) != 0)
		goto out;
	if (tpc_password(c->sh, pw, sizeof(pw)) != 0)
		goto out;
	/* Nothing is kept: the import matches the certificate by key. */
	if (!usage)
		rc = pastec_request(c, TP_KIND_GENERAL, 0, pw);
	else if ((rc = pastec_request(c, TP_KIND_SIGN, 1, pw)) == 0)
		rc = pastec_request(c, TP_KIND_ENCR, 1, pw);
	if (rc != 0)
		goto out;
	shell_printf(c->sh, "%% Give the request%s to the CA administrator. "
	    "Then enter 'crypto ca import %s certificate' and paste %s.\n",
	    usage ? "s" : "", c->tp->name, usage ? "each certificate (in "
	    "either order)" : "the certificate");
 out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

/* The trustpoint's keys and stored certificates, for paste_match. */
int
pastec_target(struct tpc *c, struct paste_target *t)
{
	struct err	 e;
	int		 k, usage = 0;

	memset(t, 0, sizeof(*t));
	t->name = c->tp->name;
	t->keylabel = c->tp->keylabel;
	t->ca = c->certs.ca;
	for (k = 0; k < TP_KIND__MAX; k++)
		t->have[k] = c->certs.dev[k];
	if (!keystore_exists(c->st, c->tp->keylabel, &usage))
		return shell_error(c->sh, "Key pair %s not found: enter "
		    "'crypto ca enroll %s' first", c->tp->keylabel,
		    c->tp->name);
	for (k = usage ? TP_KIND_SIGN : TP_KIND_GENERAL;
	    k <= (usage ? TP_KIND_ENCR : TP_KIND_GENERAL); k++)
		if (keystore_load(&t->key[k], c->st, c->tp->keylabel,
		    tp_keystore_kind(k), &e) != 0)
			return shell_err(c->sh, &e);
	return 0;
}

void
pastec_target_clear(struct paste_target *t)
{
	int	 k;

	for (k = 0; k < TP_KIND__MAX; k++)
		EVP_PKEY_free(t->key[k]);
	memset(t, 0, sizeof(*t));
}

static int
pastec_import(struct shell *sh, const struct cmd_args *a)
{
	struct tpc		 c;
	struct paste_target	 t;
	struct err		 e;
	STACK_OF(X509)		*certs = NULL;
	X509			*x = NULL;
	enum tp_kind		 kind = TP_KIND_GENERAL;
	char			*text = NULL;
	size_t			 len = 0;
	int			 rc = -1;

	memset(&t, 0, sizeof(t));
	if (tpc_open(&c, sh, cmd_arg(a, "NAME")) != 0)
		goto out;
	if (c.tp->method != TP_METHOD_TERMINAL) {
		shell_error(sh, "Trustpoint %s does not use enrollment "
		    "terminal: certificates are imported only for cut-and-paste "
		    "enrollment", c.tp->name);
		goto out;
	}
	if (tpc_need_ca(&c) != 0 || pastec_target(&c, &t) != 0 ||
	    pastec_read(sh, "", &text, &len) != 0)
		goto out;
	if (paste_certs(&certs, text, len, &e) != 0 ||
	    paste_match(&x, &kind, certs, &t, clock_now(), &e) != 0) {
		shell_error(sh, "Certificate not imported: %s%s", e.msg,
		    e.code == ERR_EXISTS ? "" : "; nothing stored");
		goto out;
	}
	pastec_note(sh, text, len);
	tpc_warn_weak_sig(sh, "certificate", x);
	if (enroll_store_cert(c.st, c.tp->name, kind, NULL, x, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	shell_printf(sh, "%% Router Certificate successfully imported\n");
	rc = 0;
 out:
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	free(text);
	pastec_target_clear(&t);
	tpc_free(&c);
	return rc;
}

const struct cmd_def cmd_paste_defs[] = {
	{ .mode = MODE_EXEC, .syntax = "crypto ca import NAME certificate",
	  .help = CMD_HELP_CRYPTO CMD_HELP_CA
	    "Import a certificate pasted at the terminal\n"
	    "Trustpoint name\n"
	    "The router certificate issued for the trustpoint's key pair",
	  .fn = pastec_import },
	{ .syntax = NULL }
};
