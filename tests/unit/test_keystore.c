/*
 * keystore: generation, replacement, listing, zeroize (scrubbed, no
 * modulus bytes left), openssl pkey agreement, pasted public keys.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "helpers.h"
#include "keystore.h"
#include "paste.h"
#include "store.h"

static void
test_label_valid(void **state)
{
	char	 long64[66], long65[67];

	(void)state;
	memset(long64, 'a', 64);
	long64[64] = '\0';
	memset(long65, 'a', 65);
	long65[65] = '\0';
	assert_true(keystore_label_valid("mykey"));
	assert_true(keystore_label_valid("the_default"));
	assert_true(keystore_label_valid("a.b-c_D9"));
	assert_true(keystore_label_valid(long64));
	assert_false(keystore_label_valid(long65));
	assert_false(keystore_label_valid(""));
	assert_false(keystore_label_valid(NULL));
	assert_false(keystore_label_valid("."));
	assert_false(keystore_label_valid(".."));
	assert_false(keystore_label_valid(".hidden"));
	assert_false(keystore_label_valid("a/b"));
	assert_false(keystore_label_valid("a b"));
	assert_false(keystore_label_valid("k\xc3\xa9"));
}

static void
test_generate_load_modes(void **state)
{
	struct store	*st;
	struct err	 e;
	struct stat	 sb;
	EVP_PKEY	*pk;
	char		*dir = th_tmpdir(), path[512], *buf;
	size_t		 len;
	time_t		 t;
	int		 usage = -1;

	(void)state;
	setenv("NETPKI_NOW", "1063906403", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_false(keystore_exists(st, "mykey", &usage));
	assert_int_equal(keystore_load(&pk, st, "mykey", KEYSTORE_GENERAL, &e),
	    ERR_NOTFOUND);
	assert_null(pk);
	assert_int_equal(keystore_generate_rsa(st, "mykey", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_true(keystore_exists(st, "mykey", &usage));
	assert_int_equal(usage, 0);
	snprintf(path, sizeof(path), "%s/keys/rsa/mykey.pem", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	buf = th_slurp(&len, path);
	assert_non_null(buf);
	assert_true(strncmp(buf, "netpki-created: 1063906403\n", 27) == 0);
	free(buf);

	/* Creation time survives a restart and a later clock. */
	store_free(st);
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(keystore_created(&t, st, "mykey", KEYSTORE_GENERAL,
	    &e), 0);
	assert_int_equal(t, 1063906403);
	assert_int_equal(keystore_load(&pk, st, "mykey", KEYSTORE_GENERAL, &e),
	    0);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(pk), 1024);
	EVP_PKEY_free(pk);
	assert_int_equal(keystore_load(&pk, st, "mykey", KEYSTORE_SIGN, &e),
	    ERR_NOTFOUND);

	/* Out of range: nothing written, nothing replaced. */
	assert_int_equal(keystore_generate_rsa(st, "other", KEYSTORE_GENERAL,
	    511, &e), ERR_INVAL);
	assert_int_equal(keystore_generate_rsa(st, "other", KEYSTORE_GENERAL,
	    4097, &e), ERR_INVAL);
	assert_false(keystore_exists(st, "other", NULL));
	assert_int_equal(keystore_generate_rsa(st, "../x", KEYSTORE_GENERAL,
	    1024, &e), ERR_INVAL);
	assert_int_equal(keystore_generate_ec(st, "e", "nistp999", &e),
	    ERR_INVAL);
	assert_false(keystore_exists(st, "e", NULL));
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/* What openssl(1) derives from the stored file equals our SPKI. */
static void
test_openssl_pubout(void **state)
{
	struct store		*st;
	struct err		 e;
	struct keystore_info	*v;
	char			*dir = th_tmpdir(), cmd[1024], path[512], *der;
	size_t			 n, len, i;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "r", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_int_equal(keystore_generate_ec(st, "p", "nistp256", &e), 0);
	assert_int_equal(keystore_list(&v, &n, st, 0, &e), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/out.der", dir);
		snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s/keys/%s/%s.pem'"
		    " -pubout -outform DER -out '%s'", dir,
		    v[i].type == EVP_PKEY_RSA ? "rsa" : "ec", v[i].label, path);
		assert_int_equal(system(cmd), 0);
		der = th_slurp(&len, path);
		assert_non_null(der);
		assert_int_equal(len, v[i].spkilen);
		assert_memory_equal(der, v[i].spki, len);
		free(der);
	}
	keystore_list_free(v, n);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_replace_and_list(void **state)
{
	struct store		*st;
	struct err		 e;
	struct keystore_info	*v;
	EVP_PKEY		*pk;
	char			*dir = th_tmpdir();
	size_t			 n;
	int			 usage;

	(void)state;
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "k", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_int_equal(keystore_generate_rsa_usage(st, "k", 1024, 2048, &e),
	    0);
	assert_true(keystore_exists(st, "k", &usage));
	assert_int_equal(usage, 1);
	assert_int_equal(keystore_load(&pk, st, "k", KEYSTORE_GENERAL, &e),
	    ERR_NOTFOUND);
	assert_int_equal(keystore_load(&pk, st, "k", KEYSTORE_SIGN, &e), 0);
	assert_int_equal(EVP_PKEY_get_bits(pk), 1024);
	EVP_PKEY_free(pk);
	assert_int_equal(keystore_load(&pk, st, "k", KEYSTORE_ENCR, &e), 0);
	assert_int_equal(EVP_PKEY_get_bits(pk), 2048);
	EVP_PKEY_free(pk);
	assert_int_equal(keystore_generate_ec(st, "a", "nistp384", &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "b", KEYSTORE_GENERAL, 512,
	    &e), 0);

	assert_int_equal(keystore_list(&v, &n, st, EVP_PKEY_RSA, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].label, "b");
	assert_int_equal(v[0].kind, KEYSTORE_GENERAL);
	assert_int_equal(v[0].bits, 512);
	assert_string_equal(v[1].label, "k");
	assert_int_equal(v[1].kind, KEYSTORE_SIGN);
	assert_string_equal(v[2].label, "k");
	assert_int_equal(v[2].kind, KEYSTORE_ENCR);
	assert_int_equal(v[2].created, 1700000000);
	keystore_list_free(v, n);
	assert_int_equal(keystore_list(&v, &n, st, EVP_PKEY_EC, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].label, "a");
	assert_string_equal(v[0].curve, "nistp384");
	assert_int_equal(v[0].bits, 384);
	assert_int_equal(v[0].type, EVP_PKEY_EC);
	keystore_list_free(v, n);

	/* EC replaces the usage pair under the same label. */
	assert_int_equal(keystore_generate_ec(st, "k", "nistp256", &e), 0);
	assert_true(keystore_exists(st, "k", &usage));
	assert_int_equal(usage, 0);
	assert_int_equal(keystore_load(&pk, st, "k", KEYSTORE_SIGN, &e),
	    ERR_NOTFOUND);
	assert_int_equal(keystore_load(&pk, st, "k", KEYSTORE_GENERAL, &e), 0);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	EVP_PKEY_free(pk);
	assert_int_equal(keystore_list(&v, &n, st, 0, &e), 0);
	assert_int_equal(n, 3);
	keystore_list_free(v, n);
	keystore_list_free(NULL, 0);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static int
memfind(const char *hay, size_t hlen, const void *needle, size_t nlen)
{
	size_t	 i;

	for (i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

/* Any file under dir (recursively) containing needle. */
static int
dir_contains(const char *dir, const void *needle, size_t nlen)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 path[1024], *buf;
	size_t		 len;
	int		 found = 0;

	assert_non_null(d = opendir(dir));
	while (!found && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode))
			found = dir_contains(path, needle, nlen);
		else if (S_ISREG(sb.st_mode)) {
			assert_non_null(buf = th_slurp(&len, path));
			found = memfind(buf, len, needle, nlen);
			free(buf);
		}
	}
	closedir(d);
	return found;
}

/*
 * What of RSA key "gone" (1024 bits) would show on disk: its modulus in
 * mod (128 bytes), as hex digits in hex, and the second body line of its
 * PEM file in b64 (64 characters, bytes 48-95 of the PKCS#8, inside the
 * modulus), which dir must hold now.
 */
static void
zeroize_traces(struct store *st, const char *dir, unsigned char mod[512],
    char hex[1100], char b64[64])
{
	struct err	 e;
	EVP_PKEY	*pk;
	BIGNUM		*n = NULL;
	char		 path[512], *buf, *p, *q;
	size_t		 len, i;
	int		 mlen;

	assert_int_equal(keystore_load(&pk, st, "gone", KEYSTORE_GENERAL, &e),
	    0);
	assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n));
	mlen = BN_bn2bin(n, mod);
	assert_int_equal(mlen, 128);
	for (i = 0; i < (size_t)mlen; i++)
		snprintf(hex + 2 * i, 3, "%02X", mod[i]);
	BN_free(n);
	EVP_PKEY_free(pk);
	snprintf(path, sizeof(path), "%s/keys/rsa/gone.pem", dir);
	assert_non_null(buf = th_slurp(&len, path));
	assert_non_null(p = strstr(buf, "-----\n"));
	assert_non_null(p = strchr(p + 6, '\n'));
	p++;
	assert_non_null(q = strchr(p, '\n'));
	assert_int_equal(q - p, 64);
	memcpy(b64, p, 64);
	free(buf);
	assert_true(dir_contains(dir, b64, 64));
}

/* No label: every key of that type ("kept" and two more RSA, one EC). */
static void
zeroize_by_type(struct store *st)
{
	struct err	 e;
	size_t		 count;

	assert_int_equal(keystore_generate_rsa_usage(st, "u", 512, 512, &e), 0);
	assert_int_equal(keystore_generate_ec(st, "ec", "nistp256", &e), 0);
	assert_int_equal(keystore_zeroize(st, NULL, EVP_PKEY_RSA, &count, &e),
	    0);
	assert_int_equal(count, 3);
	assert_false(keystore_exists(st, "u", NULL));
	assert_false(keystore_exists(st, "kept", NULL));
	assert_true(keystore_exists(st, "ec", NULL));
	assert_int_equal(keystore_zeroize(st, NULL, EVP_PKEY_EC, &count, &e),
	    0);
	assert_int_equal(count, 1);
}

static void
test_zeroize_scrubs(void **state)
{
	struct store	*st;
	struct err	 e;
	unsigned char	 mod[512];
	char		 hex[1100], *dir = th_tmpdir(), *outside = th_tmpdir();
	char		 path[512], lnk[512], b64[64], *buf;
	size_t		 len, i, count;
	int		 zero;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "gone", KEYSTORE_GENERAL,
	    1024, &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "kept", KEYSTORE_GENERAL,
	    1024, &e), 0);
	zeroize_traces(st, dir, mod, hex, b64);

	/* A second name for the file shows what its blocks hold afterwards. */
	snprintf(path, sizeof(path), "%s/keys/rsa/gone.pem", dir);
	snprintf(lnk, sizeof(lnk), "%s/gone.pem", outside);
	assert_int_equal(link(path, lnk), 0);

	assert_int_equal(keystore_zeroize(st, "gone", EVP_PKEY_EC, &count, &e),
	    ERR_NOTFOUND);
	assert_int_equal(keystore_zeroize(st, "gone", EVP_PKEY_RSA, &count,
	    &e), 0);
	assert_int_equal(count, 1);
	assert_false(keystore_exists(st, "gone", NULL));
	assert_true(keystore_exists(st, "kept", NULL));
	assert_false(dir_contains(dir, mod + 8, 32));
	assert_false(dir_contains(dir, b64, 64));
	assert_false(dir_contains(dir, hex + 16, 64));
	buf = th_slurp(&len, lnk);
	assert_non_null(buf);
	assert_true(len > 800);
	for (zero = 1, i = 0; i < len; i++)
		if (buf[i] != 0)
			zero = 0;
	assert_true(zero);
	free(buf);
	assert_int_equal(keystore_zeroize(st, "gone", EVP_PKEY_RSA, &count,
	    &e), ERR_NOTFOUND);

	zeroize_by_type(st);
	store_free(st);
	th_rmtree(dir);
	th_rmtree(outside);
	free(dir);
	free(outside);
}

static void
parse_ok(const char *file, int type, int bits)
{
	EVP_PKEY	*pk = NULL, *ref = NULL;
	struct err	 e;
	char		*buf, *der;
	size_t		 len, derlen;
	const unsigned char *q;

	buf = th_data(&len, "keystore/%s", file);
	if (keystore_pubkey_parse(&pk, buf, len, &e) != 0)
		fail_msg("%s: %s", file, e.msg);
	assert_int_equal(EVP_PKEY_get_base_id(pk), type);
	assert_int_equal(EVP_PKEY_get_bits(pk), bits);
	if (type == EVP_PKEY_RSA) {
		der = th_data(&derlen, "keystore/pub_spki.der");
		q = (const unsigned char *)der;
		assert_non_null(ref = d2i_PUBKEY(NULL, &q, (long)derlen));
		assert_int_equal(EVP_PKEY_eq(pk, ref), 1);
		EVP_PKEY_free(ref);
		free(der);
	}
	EVP_PKEY_free(pk);
	free(buf);
}

static void
parse_bad_why(const char *text, size_t len, int code, const char *why)
{
	EVP_PKEY	*pk = NULL;
	struct err	 e;

	assert_int_equal(keystore_pubkey_parse(&pk, text, len, &e), code);
	assert_null(pk);
	assert_true(e.msg[0] != '\0');
	if (why != NULL && strstr(e.msg, why) == NULL)
		fail_msg("message \"%s\" does not say \"%s\"", e.msg, why);
}

static void
parse_bad(const char *text, size_t len, int code)
{
	parse_bad_why(text, len, code, NULL);
}

static void
parse_bad_file(const char *file, int code, const char *why)
{
	char	*buf;
	size_t	 len;

	buf = th_data(&len, "keystore/%s", file);
	parse_bad_why(buf, len, code, why);
	free(buf);
}

static void
test_pubkey_parse(void **state)
{
	EVP_PKEY	*pk;
	struct err	 e;
	char		*buf, *cat;
	size_t		 len;

	(void)state;
	parse_ok("pub_spki.pem", EVP_PKEY_RSA, 1024);
	parse_ok("pub_pkcs1.pem", EVP_PKEY_RSA, 1024);
	parse_ok("pub.ssh", EVP_PKEY_RSA, 1024);
	parse_ok("ec_pub.pem", EVP_PKEY_EC, 256);
	parse_bad_file("priv.pem", ERR_REFUSED, "private key");
	parse_bad_file("priv_trad.pem", ERR_REFUSED, "private key");
	parse_bad_file("openssh_priv.pem", ERR_REFUSED, "private key");
	parse_bad_file("garbage.txt", ERR_INVAL, "not a PEM");
	parse_bad_file("ed25519.ssh", ERR_INVAL, "not a PEM");
	parse_bad_file("pub_spki.der", ERR_INVAL, NULL);
	parse_bad_file("ssh_trailing", ERR_INVAL, "trailing");
	parse_bad_file("ssh_negative_n", ERR_INVAL, "bad ssh-rsa e, n");
	parse_bad_file("ssh_name_mismatch", ERR_INVAL, "does not start");
	parse_bad_file("ssh_even_e", ERR_INVAL, "exponent");
	parse_bad_file("ssh_len_overflow", ERR_INVAL, "bad ssh-rsa e, n");
	parse_bad_file("ssh_empty_e", ERR_INVAL, "bad ssh-rsa e, n");
	parse_bad("", 0, ERR_INVAL);
	parse_bad("ssh-rsa ", 8, ERR_INVAL);
	parse_bad("ssh-rsa AAAA", 12, ERR_INVAL);
	parse_bad("-----BEGIN PUBLIC KEY-----\n", 27, ERR_INVAL);

	/*
	 * Text around a good key is ignored (the shell notes it); two keys
	 * are refused.
	 */
	buf = th_data(&len, "keystore/pub_spki.pem");
	assert_non_null(cat = malloc(2 * len + 8));
	memcpy(cat, "junk\n", 5);
	memcpy(cat + 5, buf, len);
	memcpy(cat + 5 + len, "junk", 3);
	assert_int_equal(keystore_pubkey_parse(&pk, cat, len + 8, &e), 0);
	EVP_PKEY_free(pk);
	assert_int_equal(paste_outside_lines(cat, len + 8), 2);
	/* A BEGIN not at the start of a line is no PEM block. */
	memcpy(cat, "junk ", 5);
	parse_bad(cat, len + 8, ERR_INVAL);
	memcpy(cat, buf, len);
	memcpy(cat + len, buf, len);
	parse_bad(cat, 2 * len, ERR_INVAL);
	cat[5] = '\0';
	parse_bad(cat, len, ERR_INVAL);
	free(cat);
	free(buf);
	buf = th_data(&len, "keystore/pub.ssh");
	assert_non_null(cat = malloc(2 * len));
	memcpy(cat, buf, len);
	memcpy(cat + len, buf, len);
	parse_bad(cat, 2 * len, ERR_INVAL);
	free(cat);
	free(buf);
	assert_non_null(cat = calloc(1, KEYSTORE_PASTE_MAX + 1));
	memset(cat, ' ', KEYSTORE_PASTE_MAX + 1);
	parse_bad(cat, KEYSTORE_PASTE_MAX + 1, ERR_TOOBIG);
	free(cat);
}

static void
test_auth_keys(void **state)
{
	struct store		*st;
	struct err		 e;
	struct keystore_info	*v;
	struct stat		 sb;
	char			*dir = th_tmpdir(), *buf, path[512];
	size_t			 len, n, count;

	(void)state;
	setenv("NETPKI_NOW", "1700000000", 1);
	assert_int_equal(store_open(&st, dir, &e), 0);
	buf = th_data(&len, "keystore/pub.ssh");
	assert_int_equal(keystore_auth_import(st, "admin", buf, len, &e), 0);
	free(buf);
	buf = th_data(&len, "keystore/ec_pub.pem");
	assert_int_equal(keystore_auth_import(st, "ec", buf, len, &e),
	    ERR_INVAL);
	free(buf);
	buf = th_data(&len, "keystore/priv.pem");
	assert_int_equal(keystore_auth_import(st, "priv", buf, len, &e),
	    ERR_REFUSED);
	free(buf);
	assert_false(keystore_auth_exists(st, "priv"));
	assert_false(keystore_auth_exists(st, "ec"));
	assert_true(keystore_auth_exists(st, "admin"));
	snprintf(path, sizeof(path), "%s/authkeys/admin.pem", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	/* An authentication key is not a key pair. */
	assert_false(keystore_exists(st, "admin", NULL));
	assert_int_equal(keystore_auth_list(&v, &n, st, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].label, "admin");
	assert_int_equal(v[0].bits, 1024);
	assert_int_equal(v[0].created, 1700000000);
	keystore_list_free(v, n);
	assert_int_equal(keystore_auth_zeroize(st, "nope", &count, &e),
	    ERR_NOTFOUND);
	assert_int_equal(keystore_auth_zeroize(st, NULL, &count, &e), 0);
	assert_int_equal(count, 1);
	assert_false(keystore_auth_exists(st, "admin"));
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_broken_files(void **state)
{
	struct store		*st;
	struct err		 e;
	struct keystore_info	*v;
	EVP_PKEY		*pk;
	char			*dir = th_tmpdir(), from[512], to[512];
	size_t			 n, count;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(keystore_generate_rsa(st, "good", KEYSTORE_GENERAL,
	    512, &e), 0);
	assert_int_equal(keystore_generate_ec(st, "ec", "nistp256", &e), 0);
	assert_int_equal(store_write(st, "keys/rsa/junk.pem", "junk\n", 5,
	    STORE_SECRET, &e), 0);
	assert_int_equal(store_write(st, "keys/rsa/.tmp.pem", "x", 1,
	    STORE_SECRET, &e), 0);
	snprintf(from, sizeof(from), "%s/keys/ec/ec.pem", dir);
	snprintf(to, sizeof(to), "%s/keys/rsa/moved.pem", dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(keystore_list(&v, &n, st, EVP_PKEY_RSA, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].label, "good");
	assert_false(v[0].broken);
	assert_string_equal(v[1].label, "junk");
	assert_true(v[1].broken);
	assert_null(v[1].spki);
	assert_string_equal(v[2].label, "moved");
	assert_true(v[2].broken);
	keystore_list_free(v, n);
	assert_int_equal(keystore_load(&pk, st, "junk", KEYSTORE_GENERAL, &e),
	    ERR_CRYPTO);
	assert_null(pk);
	assert_int_equal(keystore_load(&pk, st, "moved", KEYSTORE_GENERAL, &e),
	    ERR_INVAL);
	assert_null(pk);
	/* Read by the general reader once the RSA decoder refuses it. */
	assert_non_null(strstr(e.msg, "not an RSA key"));
	assert_int_equal(keystore_load(&pk, st, "good", KEYSTORE_GENERAL, &e),
	    0);
	assert_int_equal(EVP_PKEY_get_bits(pk), 512);
	EVP_PKEY_free(pk);
	assert_int_equal(keystore_zeroize(st, NULL, EVP_PKEY_RSA, &count, &e),
	    0);
	assert_int_equal(count, 3);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_valid),
		cmocka_unit_test(test_generate_load_modes),
		cmocka_unit_test(test_openssl_pubout),
		cmocka_unit_test(test_replace_and_list),
		cmocka_unit_test(test_zeroize_scrubs),
		cmocka_unit_test(test_pubkey_parse),
		cmocka_unit_test(test_auth_keys),
		cmocka_unit_test(test_broken_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
