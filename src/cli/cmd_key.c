/*
 * cmd_key: crypto key generate / zeroize / import and show crypto key.
 * Prompts and output follow the reference text's "Generate RSA Key Pair"
 * and "Import Public Key" sections and the formats fixed by issue 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "keystore.h"
#include "paste.h"
#include "shell.h"
#include "store.h"
#include "trustpoint.h"

#define TP_PREFIX	"crypto ca trustpoint "

/* Suffixes of imported usage keys' labels: LABEL.sign, LABEL.encr. */
static const char *const key_usage_half[2] = { "sign", "encr" };

static const char *
key_label(const struct cmd_args *a)
{
	const char	*l = cmd_arg(a, "LABEL");

	return l != NULL ? l : KEYSTORE_DEFAULT_LABEL;
}

static int
key_check_label(struct shell *sh, const char *label)
{
	if (keystore_label_valid(label))
		return 0;
	return shell_error(sh, "Invalid key label %.80s: use 1-64 letters, "
	    "digits, '-', '_' or '.', not starting with '.'", label);
}

static void	key_warn_trustpoints(struct shell *, const char *, int);

/*
 * "Do you really want to replace them?" when label exists; 1 = go on.
 * pair: a key pair, which trustpoints may use (not an imported key).
 */
static int
key_confirm_replace(struct shell *sh, int exists, const char *label, int pair)
{
	int	 yes = 0;

	if (!exists)
		return 1;
	shell_printf(sh, "%% You already have keys defined for %s\n", label);
	if (pair)
		key_warn_trustpoints(sh, label, 1);
	if (shell_confirm(sh, "Do you really want to replace them? [yes/no]: ",
	    &yes) != 0)
		return 0;
	return yes;
}

/* Ask the modulus size; 0 with *bits set, or -1 after printing why. */
static int
key_ask_bits(struct shell *sh, const char *purpose, int *bits)
{
	char	 ans[64], prompt[64], *end;
	long	 v;

	shell_printf(sh, "Choose the size of the key modulus in the range of "
	    "%d to %d for your %s Keypair. Choosing a key modulus greater "
	    "than %d may take a few minutes.\n", KEYSTORE_RSA_MIN,
	    KEYSTORE_RSA_MAX, purpose, KEYSTORE_RSA_MIN);
	snprintf(prompt, sizeof(prompt), "How many bits in the modulus [%d]: ",
	    KEYSTORE_RSA_DEFAULT);
	if (shell_ask(sh, prompt, ans, sizeof(ans), 0) != 0)
		return -1;
	ans[strcspn(ans, " \t\r\n")] = '\0';
	if (ans[0] == '\0') {
		*bits = KEYSTORE_RSA_DEFAULT;
		return 0;
	}
	errno = 0;
	v = strtol(ans, &end, 10);
	if (errno != 0 || *end != '\0' || ans[0] == '-' || ans[0] == '+' ||
	    v < KEYSTORE_RSA_MIN || v > KEYSTORE_RSA_MAX)
		return shell_error(sh, "Invalid modulus size %.20s: enter a "
		    "number from %d to %d; no keys were generated", ans,
		    KEYSTORE_RSA_MIN, KEYSTORE_RSA_MAX);
	*bits = (int)v;
	return 0;
}

static int
key_generate_rsa(struct shell *sh, const struct cmd_args *a)
{
	struct store	*st;
	struct err	 e;
	const char	*label = key_label(a);
	int		 usage = cmd_has(a, "usage-keys");
	int		 bits = 0, ebits = 0, rc;

	/*
	 * The reference text spells the keyword "usage keys"; "usage" is a
	 * prefix of usage-keys, so "keys" would become the label.
	 */
	if (usage && strcmp(label, "keys") == 0)
		return shell_error(sh, "\"usage keys\" is not a label: the "
		    "keyword is usage-keys, one word (crypto key generate rsa "
		    "usage-keys [LABEL]); no keys were generated");
	if (key_check_label(sh, label) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	shell_printf(sh, "The name for the keys will be: %s\n", label);
	if (!key_confirm_replace(sh, keystore_exists(st, label, NULL), label,
	    1))
		return 0;
	if (key_ask_bits(sh, usage ? "Signature" : "General Purpose",
	    &bits) != 0)
		return -1;
	if (usage && key_ask_bits(sh, "Encryption", &ebits) != 0)
		return -1;
	/* The reference's range starts at 512; today such keys are weak. */
	if (bits < 2048 || (usage && ebits < 2048))
		shell_printf(sh, "%% Warning: RSA keys shorter than 2048 bits "
		    "are weak (NIST SP 800-131A); use 2048 or more\n");
	shell_printf(sh, "Generating RSA keys ...\n");
	err_clear(&e);
	if (usage)
		rc = keystore_generate_rsa_usage(st, label, bits, ebits, &e);
	else
		rc = keystore_generate_rsa(st, label, KEYSTORE_GENERAL, bits,
		    &e);
	if (rc != 0)
		return shell_err(sh, &e);
	shell_printf(sh, "Done w/ crypto generate keypair\n[OK]\n");
	return 0;
}

static int
key_generate_ec(struct shell *sh, const struct cmd_args *a)
{
	static const char *const curves[] = { "nistp256", "nistp384",
	    "nistp521" };
	struct store	*st;
	struct err	 e;
	const char	*label = key_label(a), *curve = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (cmd_has(a, curves[i]))
			curve = curves[i];
	if (curve == NULL)
		return shell_error(sh, "Choose a curve: nistp256, nistp384 or "
		    "nistp521");
	if (key_check_label(sh, label) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	shell_printf(sh, "The name for the keys will be: %s\n", label);
	if (!key_confirm_replace(sh, keystore_exists(st, label, NULL), label,
	    1))
		return 0;
	shell_printf(sh, "Generating ECDSA keys ...\n");
	err_clear(&e);
	if (keystore_generate_ec(st, label, curve, &e) != 0)
		return shell_err(sh, &e);
	shell_printf(sh, "Done w/ crypto generate keypair\n[OK]\n");
	return 0;
}

/* Trustpoint name holds a router certificate for key pair label. */
static int
key_tp_has_cert(struct shell *sh, const char *name, const char *label)
{
	struct tp_certs		 tc;
	struct err		 e;
	enum tp_cert_state	 s;
	int			 k, n = 0;

	if (tp_certs_load(&tc, shell_store(sh), name, &e) != 0)
		return 0;
	for (k = 0; k < TP_KIND__MAX; k++) {
		if (tc.dev[k] == NULL)
			continue;
		s = tp_cert_state(shell_store(sh), label, k, tc.dev[k], NULL,
		    clock_now());
		n += s != TP_CERT_KEY_MISSING && s != TP_CERT_KEY_MISMATCH;
	}
	tp_certs_clear(&tc);
	return n > 0;
}

/*
 * Warn about every trustpoint whose key pair is label: "rsakeypair LABEL",
 * or no rsakeypair at all when label is the default key; replaced: the
 * keys are generated again rather than removed.  A router certificate for
 * the old keys is no longer usable either way.
 */
static void
key_warn_trustpoints(struct shell *sh, const char *label, int replaced)
{
	const struct config	*c;
	const char		**keys = NULL, *v, *name;
	size_t			 n = 0, i;

	if ((c = shell_running(sh)) == NULL ||
	    config_list(c, TP_PREFIX, &keys, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		v = config_value(c, keys[i], "rsakeypair");
		name = keys[i] + strlen(TP_PREFIX);
		if (v == NULL ? strcmp(label, KEYSTORE_DEFAULT_LABEL) != 0 :
		    strcmp(v, label) != 0)
			continue;
		if (!replaced)
			shell_printf(sh, "%% Warning: key pair %s is used by "
			    "trustpoint %s\n", label, name);
		if (key_tp_has_cert(sh, name, label))
			shell_printf(sh, "%% Warning: trustpoint %s's router "
			    "certificate is for these keys: it becomes "
			    "unusable (Status :%s); enroll again with 'crypto "
			    "ca enroll %s'\n", name, replaced ? "Key mismatch" :
			    "Key missing", name);
	}
	free(keys);
}

static int
key_zeroize(struct shell *sh, const struct cmd_args *a)
{
	struct store		*st;
	struct keystore_info	*v = NULL;
	struct err		 e;
	const char		*label = cmd_arg(a, "LABEL");
	const char		*tname;
	size_t			 n = 0, i, hits = 0;
	int			 type, yes = 0, rc = -1;

	type = cmd_has(a, "ecdsa") ? EVP_PKEY_EC : EVP_PKEY_RSA;
	tname = type == EVP_PKEY_EC ? "ECDSA" : "RSA";
	if (label != NULL && key_check_label(sh, label) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	err_clear(&e);
	if (keystore_list(&v, &n, st, type, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (label == NULL || strcmp(v[i].label, label) == 0)
			hits++;
	if (hits == 0) {
		if (label != NULL)
			shell_error(sh, "No %s keys named %s", tname, label);
		else
			shell_error(sh, "No %s keys to remove", tname);
		goto out;
	}
	/* Before the question, so that the answer is an informed one. */
	for (i = 0; i < n; i++)
		if ((label == NULL || strcmp(v[i].label, label) == 0) &&
		    (i == 0 || strcmp(v[i].label, v[i - 1].label) != 0))
			key_warn_trustpoints(sh, v[i].label, 0);
	if (shell_confirm(sh, "Do you really want to remove these keys ?? "
	    "[yes/no]: ", &yes) != 0 || !yes) {
		rc = 0;
		goto out;
	}
	if (keystore_zeroize(st, label, type, NULL, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	rc = 0;
 out:
	keystore_list_free(v, n);
	return rc;
}

/* LABEL names imported usage keys: remove both halves. */
static int
key_zeroize_auth_usage(struct shell *sh, struct store *st, const char *label)
{
	struct err	 e;
	char		 lab[KEYSTORE_LABEL_MAX + 8];
	int		 i, n = 0, yes = 0;

	for (i = 0; i < 2; i++) {
		snprintf(lab, sizeof(lab), "%s.%s", label, key_usage_half[i]);
		n += keystore_auth_exists(st, lab);
	}
	if (n == 0)
		return shell_error(sh, "No authentication RSA keys named %s",
		    label);
	if (shell_confirm(sh, "Do you really want to remove these keys ?? "
	    "[yes/no]: ", &yes) != 0 || !yes)
		return 0;
	err_clear(&e);
	for (i = 0; i < 2; i++) {
		snprintf(lab, sizeof(lab), "%s.%s", label, key_usage_half[i]);
		if (keystore_auth_exists(st, lab) &&
		    keystore_auth_zeroize(st, lab, NULL, &e) != 0)
			return shell_err(sh, &e);
	}
	return 0;
}

static int
key_zeroize_auth(struct shell *sh, const struct cmd_args *a)
{
	struct store		*st;
	struct keystore_info	*v = NULL;
	struct err		 e;
	const char		*label = cmd_arg(a, "LABEL");
	size_t			 n = 0;
	int			 yes = 0;

	if (label != NULL && key_check_label(sh, label) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	err_clear(&e);
	if (label != NULL && !keystore_auth_exists(st, label))
		return key_zeroize_auth_usage(sh, st, label);
	if (label == NULL) {
		if (keystore_auth_list(&v, &n, st, &e) != 0)
			return shell_err(sh, &e);
		keystore_list_free(v, n);
		if (n == 0)
			return shell_error(sh, "No authentication RSA keys to "
			    "remove");
	}
	if (shell_confirm(sh, "Do you really want to remove these keys ?? "
	    "[yes/no]: ", &yes) != 0 || !yes)
		return 0;
	if (keystore_auth_zeroize(st, label, NULL, &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

/* What a keystore answer to a pasted public key means to the operator. */
static int
key_import_err(struct shell *sh, int rc, const struct err *e)
{
	switch (rc) {
	case 0:
		return 0;
	case ERR_REFUSED:
		return shell_error(sh, "Private key refused: paste the public "
		    "key only; nothing was stored");
	case ERR_INVAL:
	case ERR_TOOBIG:
		return shell_error(sh, "Invalid public key");
	default:
		return shell_err(sh, e);
	}
}

/* what: "" or "signature " ...; *text NULL after a failed paste. */
static int
key_paste_pub(struct shell *sh, const char *what, char **text, size_t *len)
{
	size_t	 outside;

	shell_printf(sh, "Enter the %spublic key (PEM or ssh-rsa line), end "
	    "with a blank line or \"quit\" on a line by itself:\n", what);
	if (shell_paste(sh, text, KEYSTORE_PASTE_MAX, len) != 0)
		return shell_error(sh, "Invalid public key");
	if ((outside = paste_outside_lines(*text, *len)) > 0)
		shell_printf(sh, "%% Note: %zu line%s of text outside the PEM "
		    "block ignored\n", outside, outside == 1 ? "" : "s");
	return 0;
}

static int
key_import_auth(struct shell *sh, const struct cmd_args *a)
{
	struct store	*st;
	struct err	 e;
	const char	*label = key_label(a);
	char		*text = NULL;
	size_t		 len = 0;
	int		 rc;

	if (key_check_label(sh, label) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (!key_confirm_replace(sh, keystore_auth_exists(st, label), label,
	    0))
		return 0;
	if (key_paste_pub(sh, "", &text, &len) != 0)
		return -1;
	err_clear(&e);
	rc = keystore_auth_import(st, label, text, len, &e);
	free(text);
	if (key_import_err(sh, rc, &e) != 0)
		return -1;
	shell_printf(sh, "[OK]\n");
	return 0;
}

/*
 * Usage keys: a signature and an encryption public key, kept as the
 * authentication keys LABEL.sign and LABEL.encr.  Both are checked before
 * either is stored.
 */
static int
key_import_auth_usage(struct shell *sh, const struct cmd_args *a)
{
	static const char *const what[2] = { "signature ", "encryption " };
	struct store	*st;
	struct err	 e;
	EVP_PKEY	*k = NULL;
	const char	*label = key_label(a);
	char		 lab[2][KEYSTORE_LABEL_MAX + 8];
	char		*text[2] = { NULL, NULL };
	size_t		 len[2] = { 0, 0 };
	int		 i, rc = -1;

	for (i = 0; i < 2; i++)
		snprintf(lab[i], sizeof(lab[i]), "%s.%s", label,
		    key_usage_half[i]);
	if (key_check_label(sh, label) != 0 || key_check_label(sh, lab[1]) != 0)
		return -1;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (!key_confirm_replace(sh, keystore_auth_exists(st, lab[0]) ||
	    keystore_auth_exists(st, lab[1]), label, 0))
		return 0;
	err_clear(&e);
	for (i = 0; i < 2; i++) {
		if (key_paste_pub(sh, what[i], &text[i], &len[i]) != 0 ||
		    key_import_err(sh, keystore_pubkey_parse(&k, text[i],
		    len[i], &e), &e) != 0)
			goto out;
		EVP_PKEY_free(k);
		k = NULL;
	}
	for (i = 0; i < 2; i++)
		if (key_import_err(sh, keystore_auth_import(st, lab[i],
		    text[i], len[i], &e), &e) != 0)
			goto out;
	shell_printf(sh, "[OK]\n");
	rc = 0;
 out:
	free(text[0]);
	free(text[1]);
	return rc;
}

/* DER as the reference prints it: " XXXXXXXX" groups of 4 bytes, 8 a line. */
static void
key_print_hex(struct shell *sh, const unsigned char *p, size_t len)
{
	char	 line[8 * 9 + 2];
	size_t	 i, pos = 0;

	for (i = 0; i < len; i++) {
		if (i % 4 == 0)
			line[pos++] = ' ';
		snprintf(line + pos, 3, "%02X", p[i]);
		pos += 2;
		if (i % 32 == 31 || i + 1 == len) {
			line[pos] = '\0';
			shell_printf(sh, "%s\n", line);
			pos = 0;
		}
	}
}

static void
key_print(struct shell *sh, const struct keystore_info *k, const char *type,
    const char *sizename, const char *timename)
{
	char	 t[64];

	shell_printf(sh, "Key label: %s\n", k->label);
	shell_printf(sh, "Type     : %s\n", type);
	if (k->broken) {
		shell_printf(sh, "%% The key file cannot be read as this type "
		    "of key: zeroize it or generate it again\n");
		return;
	}
	cert_fmt_time(t, sizeof(t), k->created);
	shell_printf(sh, "%-9s: %d\n", sizename, k->bits);
	shell_printf(sh, "%-9s: %s\n", timename, t);
	shell_printf(sh, "Data     :\n");
	key_print_hex(sh, k->spki, k->spkilen);
}

static int
key_show_mypubkey(struct shell *sh, const struct cmd_args *a)
{
	struct store		*st;
	struct keystore_info	*v = NULL;
	struct err		 e;
	char			 type[64];
	size_t			 n = 0, i;
	int			 ec = cmd_has(a, "ecdsa");

	if ((st = shell_store(sh)) == NULL)
		return -1;
	err_clear(&e);
	if (keystore_list(&v, &n, st, ec ? EVP_PKEY_EC : EVP_PKEY_RSA, &e))
		return shell_err(sh, &e);
	for (i = 0; i < n; i++) {
		if (i > 0)
			shell_printf(sh, "\n");
		if (ec && v[i].broken)
			key_print(sh, &v[i], "ECDSA", "Degree", "Created");
		else if (ec) {
			/* "Nistp256", as the product prints the curve. */
			snprintf(type, sizeof(type), "ECDSA General Curve %c%s",
			    v[i].curve[0] ? v[i].curve[0] - 'a' + 'A' : '?',
			    v[i].curve[0] ? v[i].curve + 1 : "");
			key_print(sh, &v[i], type, "Degree", "Created");
		} else
			key_print(sh, &v[i], v[i].kind == KEYSTORE_SIGN ?
			    "RSA Special Usage (signature)" :
			    v[i].kind == KEYSTORE_ENCR ?
			    "RSA Special Usage (encryption)" :
			    "RSA General purpose", "Size", "Created");
	}
	keystore_list_free(v, n);
	return 0;
}

/* LABEL.sign and LABEL.encr are the halves of imported usage keys. */
static const char *
key_auth_type(const char *label)
{
	const char	*dot = strrchr(label, '.');

	if (dot != NULL && strcmp(dot + 1, key_usage_half[0]) == 0)
		return "RSA public key authentication, Special Usage "
		    "(signature)";
	if (dot != NULL && strcmp(dot + 1, key_usage_half[1]) == 0)
		return "RSA public key authentication, Special Usage "
		    "(encryption)";
	return "RSA public key authentication";
}

static int
key_show_auth(struct shell *sh, const struct cmd_args *a)
{
	struct store		*st;
	struct keystore_info	*v = NULL;
	struct err		 e;
	size_t			 n = 0, i;

	(void)a;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	err_clear(&e);
	if (keystore_auth_list(&v, &n, st, &e) != 0)
		return shell_err(sh, &e);
	for (i = 0; i < n; i++) {
		if (i > 0)
			shell_printf(sh, "\n");
		key_print(sh, &v[i], key_auth_type(v[i].label), "Size",
		    "Imported");
	}
	keystore_list_free(v, n);
	return 0;
}

#define H_KEY		"Long term key operations\n"
#define H_LABEL		"Key pair label (1-64 of letters, digits, '-', '_', '.')"

const struct cmd_def cmd_key_defs[] = {
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key generate rsa [general-keys|usage-keys] [LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Generate new keys\n"
	    "Generate RSA keys\n"
	    "Generate a general purpose RSA key pair\n"
	    "Generate separate signature and encryption RSA key pairs\n"
	    H_LABEL,
	  .fn = key_generate_rsa },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key generate ecdsa {nistp256|nistp384|nistp521} "
	    "[LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Generate new keys\n"
	    "Generate ECDSA keys\n"
	    "NIST P-256 curve\n"
	    "NIST P-384 curve\n"
	    "NIST P-521 curve\n"
	    H_LABEL,
	  .fn = key_generate_ec },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key zeroize rsa [LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Remove keys\n"
	    "Remove RSA keys\n"
	    "Label of the key pair to remove (default: all RSA keys)",
	  .fn = key_zeroize },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key zeroize ecdsa [LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Remove keys\n"
	    "Remove ECDSA keys\n"
	    "Label of the key pair to remove (default: all ECDSA keys)",
	  .fn = key_zeroize },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key zeroize authentication rsa [LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Remove keys\n"
	    "Remove imported authentication keys\n"
	    "Remove RSA authentication keys\n"
	    "Label of the key to remove (default: all)",
	  .fn = key_zeroize_auth },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key import authentication rsa [general-keys] "
	    "[LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Import keys\n"
	    "Import a public key for authentication\n"
	    "Import an RSA public key\n"
	    "General purpose key\n"
	    "Label to store the key under",
	  .fn = key_import_auth },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key import authentication rsa usage keys [LABEL]",
	  .help = CMD_HELP_CRYPTO H_KEY "Import keys\n"
	    "Import a public key for authentication\n"
	    "Import an RSA public key\n"
	    "Special usage keys\n"
	    "A signature and an encryption key, pasted in turn\n"
	    "Label to store the keys under (as LABEL.sign, LABEL.encr)",
	  .fn = key_import_auth_usage },
	{ .mode = MODE_EXEC,
	  .syntax = "show crypto key mypubkey rsa",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO H_KEY
	    "Show the device's public keys\n"
	    "RSA key pairs",
	  .fn = key_show_mypubkey },
	{ .mode = MODE_EXEC,
	  .syntax = "show crypto key mypubkey ecdsa",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO H_KEY
	    "Show the device's public keys\n"
	    "ECDSA key pairs",
	  .fn = key_show_mypubkey },
	{ .mode = MODE_EXEC,
	  .syntax = "show crypto key authentication rsa",
	  .help = CMD_HELP_SHOW CMD_HELP_CRYPTO H_KEY
	    "Show imported authentication keys\n"
	    "RSA authentication keys",
	  .fn = key_show_auth },
	{ .syntax = NULL },
};
