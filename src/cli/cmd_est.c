/*
 * cmd_est: the EST (RFC 7030) side of the trustpoint commands: its
 * statements' checks, crypto ca authenticate over /cacerts and the
 * http-auth password prompt.  Enrollment itself is the engine's
 * (enroll_est.c), started by cmd_trustpoint.c like SCEP's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cert.h"
#include "cmd.h"
#include "cmd_trustpoint.h"
#include "enroll.h"
#include "err.h"
#include "est_client.h"
#include "scep_client.h"
#include "shell.h"
#include "text.h"

#define ESTC_USERMAX	64

int
estc_cmd_label(struct shell *sh, const struct cmd_args *a)
{
	const char	*v = cmd_arg(a, "WORD");

	if (!a->negated && !est_label_ok(v))
		return shell_error(sh, "Invalid EST label \"%s\": use 1-%d "
		    "letters, digits, '.', '_', '~' or '-'", v, EST_LABELMAX);
	return shell_config_set(sh, a);
}

/* A user name for HTTP basic: no ':' (RFC 7617 2), printable, short. */
int
estc_cmd_user(struct shell *sh, const struct cmd_args *a)
{
	const char	*v = cmd_arg(a, "WORD");
	size_t		 i, n = v != NULL ? strlen(v) : 0;

	if (a->negated)
		return shell_config_set(sh, a);
	for (i = 0; i < n; i++)
		if (v[i] == ':' || (unsigned char)v[i] <= ' ' ||
		    (unsigned char)v[i] >= 0x7f)
			break;
	if (n == 0 || n > ESTC_USERMAX || i < n)
		return shell_error(sh, "Invalid http-auth username: use 1-%d "
		    "printable characters without ':'", ESTC_USERMAX);
	return shell_config_set(sh, a);
}

int
estc_cmd_cred(struct shell *sh, const struct cmd_args *a)
{
	if (!a->negated && !tp_name_ok(cmd_arg(a, "NAME")))
		return shell_error(sh, "Invalid trustpoint name \"%s\"",
		    cmd_arg(a, "NAME"));
	return shell_config_set(sh, a);
}

/* The password of enrollment http-auth: a credential, asked once. */
int
estc_password(struct tpc *c, char *pw, size_t sz)
{
	shell_printf(c->sh, "%% Start certificate enrollment ...\n"
	    "%% The EST server authenticates this device by HTTP basic "
	    "authentication as user %s.\n"
	    "%% For security reasons the password is not saved in the "
	    "configuration.\n\n", c->tp->est_user);
	if (shell_ask(c->sh, "Password:", pw, sz, 1) != 0 || *pw == '\0') {
		OPENSSL_cleanse(pw, sz);
		return shell_error(c->sh, "Certificate enrollment cancelled: no "
		    "password");
	}
	return 0;
}

/* /cacerts holds CA certificates only (RFC 7030 4.1.3). */
static int
estc_select(struct tpc *c, struct scep_cacert *cc, STACK_OF(X509) *certs)
{
	struct err	 e;
	int		 i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (!cert_is_ca(sk_X509_value(certs, i)))
			return shell_error(c->sh, "Trustpoint %s: RFC 7030 "
			    "4.1.3: cacerts: certificate %d of %d is not a CA "
			    "certificate; nothing stored", c->tp->name, i + 1,
			    sk_X509_num(certs));
	if (scep_cacert_select(cc, certs, &e) != 0)
		return shell_error(c->sh, "Trustpoint %s: %s; nothing stored",
		    c->tp->name, e.msg);
	return 0;
}

int
estc_authenticate(struct tpc *c)
{
	struct est_conn		 conn;
	struct scep_cacert	 cc;
	STACK_OF(X509)		*certs = NULL;
	struct err		 e;
	int			 implicit = 0, rc = -1;

	memset(&cc, 0, sizeof(cc));
	memset(&conn, 0, sizeof(conn));
	if (enroll_est.check(&c->en, &e) != 0) {
		shell_err(c->sh, &e);
		goto out;
	}
	conn.base = c->tp->url;
	conn.label = c->tp->est_label;
	conn.fo = &c->fo;
	if (est_cacerts(&certs, &implicit, &conn, &e) != 0) {
		shell_error(c->sh, "Trustpoint %s: %s", c->tp->name, e.msg);
		goto out;
	}
	if (estc_select(c, &cc, certs) != 0)
		goto out;
	if (implicit)
		shell_printf(c->sh, "%% The EST server's TLS certificate "
		    "verified against the trust pool and the trustpoint's CA "
		    "(RFC 7030 4.1.1: implicit trust anchor)\n");
	c->implicit_ta = implicit;
	rc = tpc_ca_accept(c, &cc);
 out:
	scep_cacert_clear(&cc);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}
