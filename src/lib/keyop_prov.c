/*
 * keyop_prov: a built-in OpenSSL provider whose keys are remote (keyop.h).
 * It is loaded into a library context of its own (keyop_peer.c), so it
 * never shadows the default provider's RSA and EC.
 *
 * keymgmt	the public half only (n, e; or the EC group and point),
 *		imported and exported as public parameters so that
 *		EVP_PKEY_eq and X509_check_private_key work; it refuses to
 *		export a private half, which makes OpenSSL fall back from the
 *		default provider's signature to ours.
 * signature	digest_sign_*: hashes here and sends the digest (PKCS#1 v1.5
 *		or ECDSA); its AlgorithmIdentifier is what X509_sign and
 *		X509_CRL_sign put in the structure they sign.
 * asym cipher	RSA PKCS#1 v1.5 decryption (the CMS key-transport block).
 *
 * Failures are reported on OpenSSL's error queue like any provider's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "err.h"
#include "keyop.h"
#include "keyop_int.h"

#define KEYOP_PROPS	"provider=" KEYOP_PROV_NAME
#define KEYOP_RSA_NAMES	"RSA:rsaEncryption:1.2.840.113549.1.1.1"
#define KEYOP_EC_NAMES	"EC:id-ecPublicKey:1.2.840.10045.2.1"
#define KEYOP_PTMAX	133	/* an uncompressed P-521 point */

struct keyop_rkey {
	int			 type;		/* EVP_PKEY_RSA, EVP_PKEY_EC */
	BIGNUM			*n, *e;		/* RSA */
	char			 group[32];	/* EC: "prime256v1" */
	unsigned char		 pt[KEYOP_PTMAX];	/* EC point */
	size_t			 ptlen;
	struct keyop_peer	*peer;		/* NULL: a public key only */
	unsigned int		 slot;
};

/* A signature or decryption in progress. */
struct keyop_opctx {
	struct keyop_rkey	*key;
	EVP_MD_CTX		*md;		/* signing: the running hash */
	int			 mdnid;		/* NID_sha256 ... */
};

static void
keyop_raise(const struct err *e)
{
	ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "%s", e->msg);
}

/* ---- keymgmt ---- */

static void *
keyop_rsa_new(void *provctx)
{
	struct keyop_rkey	*k = calloc(1, sizeof(*k));

	(void)provctx;
	if (k != NULL)
		k->type = EVP_PKEY_RSA;
	return k;
}

static void *
keyop_ec_new(void *provctx)
{
	struct keyop_rkey	*k = calloc(1, sizeof(*k));

	(void)provctx;
	if (k != NULL)
		k->type = EVP_PKEY_EC;
	return k;
}

static void
keyop_key_free(void *kd)
{
	struct keyop_rkey	*k = kd;

	if (k == NULL)
		return;
	BN_free(k->n);
	BN_free(k->e);
	free(k);
}

static int
keyop_key_haspub(const struct keyop_rkey *k)
{
	return k->type == EVP_PKEY_RSA ? k->n != NULL && k->e != NULL :
	    k->ptlen > 0;
}

static int
keyop_key_has(const void *kd, int sel)
{
	const struct keyop_rkey	*k = kd;

	if (k == NULL)
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && !keyop_key_haspub(k))
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->peer == NULL)
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) &&
	    k->type == EVP_PKEY_EC && k->group[0] == '\0')
		return 0;
	return 1;
}

static int
keyop_key_match(const void *a, const void *b, int sel)
{
	const struct keyop_rkey	*x = a, *y = b;

	if (x->type != y->type)
		return 0;
	if (x->type == EVP_PKEY_EC && strcmp(x->group, y->group) != 0)
		return 0;
	if (!(sel & OSSL_KEYMGMT_SELECT_KEYPAIR))
		return 1;
	if (!keyop_key_haspub(x) || !keyop_key_haspub(y))
		return 0;
	if (x->type == EVP_PKEY_RSA)
		return BN_cmp(x->n, y->n) == 0 && BN_cmp(x->e, y->e) == 0;
	return x->ptlen == y->ptlen && memcmp(x->pt, y->pt, x->ptlen) == 0;
}

static int
keyop_import_ec(struct keyop_rkey *k, const OSSL_PARAM *params)
{
	const OSSL_PARAM	*p;
	char			*g = k->group;
	const void		*pt;
	size_t			 len;

	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_PKEY_PARAM_GROUP_NAME)) != NULL &&
	    !OSSL_PARAM_get_utf8_string(p, &g, sizeof(k->group)))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY)) !=
	    NULL) {
		if (!OSSL_PARAM_get_octet_string_ptr(p, &pt, &len) ||
		    len > sizeof(k->pt))
			return 0;
		memcpy(k->pt, pt, len);
		k->ptlen = len;
	}
	return 1;
}

static int
keyop_key_import(void *kd, int sel, const OSSL_PARAM *params)
{
	struct keyop_rkey	*k = kd;
	const OSSL_PARAM	*p;
	const void		*ptr;
	size_t			 len;

	if (k->type == EVP_PKEY_RSA) {
		if ((p = OSSL_PARAM_locate_const(params,
		    OSSL_PKEY_PARAM_RSA_N)) != NULL &&
		    !OSSL_PARAM_get_BN(p, &k->n))
			return 0;
		if ((p = OSSL_PARAM_locate_const(params,
		    OSSL_PKEY_PARAM_RSA_E)) != NULL &&
		    !OSSL_PARAM_get_BN(p, &k->e))
			return 0;
	} else if (!keyop_import_ec(k, params))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, KEYOP_PARAM_PEER)) != NULL) {
		if (!OSSL_PARAM_get_octet_string_ptr(p, &ptr, &len) ||
		    len != sizeof(k->peer))
			return 0;
		memcpy(&k->peer, ptr, sizeof(k->peer));
	}
	if ((p = OSSL_PARAM_locate_const(params, KEYOP_PARAM_SLOT)) != NULL &&
	    !OSSL_PARAM_get_uint(p, &k->slot))
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->peer == NULL)
		return 0;
	return (sel & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0 ||
	    keyop_key_haspub(k);
}

static const OSSL_PARAM keyop_rsa_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM keyop_ec_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
keyop_rsa_iotypes(int sel)
{
	(void)sel;
	return keyop_rsa_types;
}

static const OSSL_PARAM *
keyop_ec_iotypes(int sel)
{
	(void)sel;
	return keyop_ec_types;
}

/* The public half only: a private half never leaves the key holder. */
static int
keyop_key_export(void *kd, int sel, OSSL_CALLBACK *cb, void *cbarg)
{
	struct keyop_rkey	*k = kd;
	OSSL_PARAM_BLD		*b;
	OSSL_PARAM		*params = NULL;
	int			 ok;

	if ((sel & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) || !keyop_key_haspub(k) ||
	    (b = OSSL_PARAM_BLD_new()) == NULL)
		return 0;
	if (k->type == EVP_PKEY_RSA)
		ok = OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, k->n) &&
		    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, k->e);
	else
		ok = OSSL_PARAM_BLD_push_utf8_string(b,
		    OSSL_PKEY_PARAM_GROUP_NAME, k->group, 0) &&
		    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY,
		    k->pt, k->ptlen);
	ok = ok && (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
	    cb(params, cbarg);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return ok;
}

/* Size, security strength (SP 800-57) and the largest signature. */
static void
keyop_key_sizes(const struct keyop_rkey *k, int *bits, int *sec, int *max)
{
	if (k->type == EVP_PKEY_RSA) {
		*bits = k->n != NULL ? BN_num_bits(k->n) : 0;
		*max = (*bits + 7) / 8;
		*sec = *bits >= 15360 ? 256 : *bits >= 7680 ? 192 :
		    *bits >= 3072 ? 128 : *bits >= 2048 ? 112 : 80;
		return;
	}
	*bits = strcmp(k->group, "secp521r1") == 0 ? 521 :
	    strcmp(k->group, "secp384r1") == 0 ? 384 : 256;
	*sec = *bits / 2;
	/* DER SEQUENCE of two INTEGERs, each one byte longer at most. */
	*max = 2 * ((*bits + 7) / 8 + 3) + 3;
}

static int
keyop_key_get_params(void *kd, OSSL_PARAM params[])
{
	struct keyop_rkey	*k = kd;
	OSSL_PARAM		*p;
	int			 bits, sec, max;

	keyop_key_sizes(k, &bits, &sec, &max);
	if (((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, bits)) ||
	    ((p = OSSL_PARAM_locate(params,
	    OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, sec)) ||
	    ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) !=
	    NULL && !OSSL_PARAM_set_int(p, max)) ||
	    ((p = OSSL_PARAM_locate(params,
	    OSSL_PKEY_PARAM_DEFAULT_DIGEST)) != NULL &&
	    !OSSL_PARAM_set_utf8_string(p, "SHA256")))
		return 0;
	if (k->type == EVP_PKEY_RSA)
		return ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_RSA_N)) == NULL ||
		    OSSL_PARAM_set_BN(p, k->n)) &&
		    ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_RSA_E)) == NULL ||
		    OSSL_PARAM_set_BN(p, k->e));
	return ((p = OSSL_PARAM_locate(params,
	    OSSL_PKEY_PARAM_GROUP_NAME)) == NULL ||
	    OSSL_PARAM_set_utf8_string(p, k->group)) &&
	    ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY)) ==
	    NULL || OSSL_PARAM_set_octet_string(p, k->pt, k->ptlen));
}

static const OSSL_PARAM *
keyop_key_gettable(void *provctx)
{
	static const OSSL_PARAM p[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
		OSSL_PARAM_END
	};

	(void)provctx;
	return p;
}

static const char *
keyop_rsa_opname(int op)
{
	(void)op;
	return "RSA";
}

static const char *
keyop_ec_opname(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : "EC";
}

#define KEYOP_KEYMGMT(newfn, types, opname) {				\
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))newfn },		\
	{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))keyop_key_free },	\
	{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))keyop_key_has },	\
	{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))keyop_key_match },	\
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))keyop_key_import },	\
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))types },	\
	{ OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))keyop_key_export },	\
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))types },	\
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS,					\
	    (void (*)(void))keyop_key_get_params },			\
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS,				\
	    (void (*)(void))keyop_key_gettable },			\
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))opname },\
	{ 0, NULL } }

static const OSSL_DISPATCH keyop_rsa_keymgmt[] =
    KEYOP_KEYMGMT(keyop_rsa_new, keyop_rsa_iotypes, keyop_rsa_opname);
static const OSSL_DISPATCH keyop_ec_keymgmt[] =
    KEYOP_KEYMGMT(keyop_ec_new, keyop_ec_iotypes, keyop_ec_opname);

/* ---- operation contexts, shared by signature and asym cipher ---- */

static void *
keyop_op_new(void *provctx, const char *propq)
{
	(void)provctx;
	(void)propq;
	return calloc(1, sizeof(struct keyop_opctx));
}

static void
keyop_op_free(void *vctx)
{
	struct keyop_opctx	*c = vctx;

	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

static void *
keyop_op_dup(void *vctx)
{
	struct keyop_opctx	*c = vctx, *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	*d = *c;
	d->md = NULL;
	if (c->md != NULL && ((d->md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_MD_CTX_copy_ex(d->md, c->md))) {
		keyop_op_free(d);
		return NULL;
	}
	return d;
}

/* Only a key with a holder behind it signs or decrypts. */
static int
keyop_op_key(struct keyop_opctx *c, void *provkey)
{
	struct keyop_rkey	*k = provkey;

	if (k == NULL || k->peer == NULL) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT,
		    "not a remote private key");
		return 0;
	}
	c->key = k;
	return 1;
}

/* PKCS#1 v1.5 is the only padding, whether asked as a number or a name. */
static int
keyop_pad_set(const OSSL_PARAM *params, const char *name)
{
	const OSSL_PARAM	*p;
	int			 pad;

	if ((p = OSSL_PARAM_locate_const(params, name)) == NULL)
		return 1;
	if (p->data_type == OSSL_PARAM_UTF8_STRING)
		return p->data != NULL && strcmp(p->data, "pkcs1") == 0;
	return OSSL_PARAM_get_int(p, &pad) && pad == RSA_PKCS1_PADDING;
}

static int
keyop_pad_get(OSSL_PARAM *params, const char *name)
{
	OSSL_PARAM	*p;

	if ((p = OSSL_PARAM_locate(params, name)) == NULL)
		return 1;
	if (p->data_type == OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_set_utf8_string(p, "pkcs1");
	return OSSL_PARAM_set_int(p, RSA_PKCS1_PADDING);
}

/* ---- signature ---- */

static int
keyop_sign_init(void *vctx, const char *mdname, void *provkey,
    const OSSL_PARAM params[])
{
	struct keyop_opctx	*c = vctx;
	EVP_MD			*md;
	int			 nid, ok;

	if (!keyop_op_key(c, provkey))
		return 0;
	if ((md = EVP_MD_fetch(NULL, mdname != NULL && *mdname != '\0' ?
	    mdname : "SHA256", NULL)) == NULL)
		return 0;
	nid = EVP_MD_get_type(md);
	ok = (nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 ||
	    nid == NID_sha384 || nid == NID_sha512) &&
	    (c->md != NULL || (c->md = EVP_MD_CTX_new()) != NULL) &&
	    EVP_DigestInit_ex(c->md, md, NULL) &&
	    keyop_pad_set(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
	EVP_MD_free(md);
	c->mdnid = nid;
	return ok;
}

static int
keyop_sign_update(void *vctx, const unsigned char *data, size_t len)
{
	struct keyop_opctx	*c = vctx;

	return c->md != NULL && EVP_DigestUpdate(c->md, data, len);
}

static int
keyop_sign_final(void *vctx, unsigned char *sig, size_t *siglen,
    size_t sigsize)
{
	struct keyop_opctx	*c = vctx;
	unsigned char		 dgst[EVP_MAX_MD_SIZE], *res = NULL;
	unsigned int		 dlen;
	size_t			 reslen;
	struct err		 e;
	int			 bits, sec, max;

	keyop_key_sizes(c->key, &bits, &sec, &max);
	if (sig == NULL) {
		*siglen = (size_t)max;
		return 1;
	}
	if (c->md == NULL || !EVP_DigestFinal_ex(c->md, dgst, &dlen))
		return 0;
	if (keyop_peer_call(c->key->peer, KEYOP_OP_SIGN, c->key->slot,
	    OBJ_nid2sn(c->mdnid), dgst, dlen, &res, &reslen, &e) != 0) {
		keyop_raise(&e);
		return 0;
	}
	if (reslen > sigsize) {
		free(res);
		return 0;
	}
	memcpy(sig, res, reslen);
	*siglen = reslen;
	free(res);
	return 1;
}

/* The AlgorithmIdentifier of the signature, DER, for X509_sign & co. */
static int
keyop_sign_algid(OSSL_PARAM *p, const struct keyop_opctx *c)
{
	X509_ALGOR	*a = NULL;
	unsigned char	*der = NULL;
	int		 nid, len, ok = 0;

	if (!OBJ_find_sigid_by_algs(&nid, c->mdnid, c->key->type ==
	    EVP_PKEY_RSA ? NID_rsaEncryption : NID_X9_62_id_ecPublicKey))
		return 0;
	if ((a = X509_ALGOR_new()) != NULL &&
	    X509_ALGOR_set0(a, OBJ_nid2obj(nid), c->key->type == EVP_PKEY_RSA ?
	    V_ASN1_NULL : V_ASN1_UNDEF, NULL) &&
	    (len = i2d_X509_ALGOR(a, &der)) > 0)
		ok = OSSL_PARAM_set_octet_string(p, der, (size_t)len);
	OPENSSL_free(der);
	X509_ALGOR_free(a);
	return ok;
}

static int
keyop_sign_get(void *vctx, OSSL_PARAM *params)
{
	struct keyop_opctx	*c = vctx;
	OSSL_PARAM		*p;

	if (c->key == NULL)
		return 0;
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) != NULL &&
	    !keyop_sign_algid(p, c))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) !=
	    NULL && !OSSL_PARAM_set_utf8_string(p, OBJ_nid2sn(c->mdnid)))
		return 0;
	return c->key->type != EVP_PKEY_RSA ||
	    keyop_pad_get(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
}

static const OSSL_PARAM *
keyop_sign_gettable(void *vctx, void *provctx)
{
	static const OSSL_PARAM p[] = {
		OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID,
		    NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
		OSSL_PARAM_END
	};

	(void)vctx;
	(void)provctx;
	return p;
}

static int
keyop_sign_set(void *vctx, const OSSL_PARAM *params)
{
	(void)vctx;
	return keyop_pad_set(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
}

static const OSSL_PARAM *
keyop_sign_settable(void *vctx, void *provctx)
{
	static const OSSL_PARAM p[] = {
		OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
		OSSL_PARAM_END
	};

	(void)vctx;
	(void)provctx;
	return p;
}

static const OSSL_DISPATCH keyop_signature[] = {
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))keyop_op_new },
	{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))keyop_op_free },
	{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))keyop_op_dup },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT,
	    (void (*)(void))keyop_sign_init },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE,
	    (void (*)(void))keyop_sign_update },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL,
	    (void (*)(void))keyop_sign_final },
	{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))keyop_sign_get },
	{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,
	    (void (*)(void))keyop_sign_gettable },
	{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))keyop_sign_set },
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
	    (void (*)(void))keyop_sign_settable },
	{ 0, NULL }
};

/* ---- asym cipher ---- */

static int
keyop_dec_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	struct keyop_opctx	*c = vctx;

	return keyop_op_key(c, provkey) && c->key->type == EVP_PKEY_RSA &&
	    keyop_pad_set(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
}

static int
keyop_dec(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
    const unsigned char *in, size_t inlen)
{
	struct keyop_opctx	*c = vctx;
	unsigned char		*res = NULL;
	size_t			 reslen;
	struct err		 e;
	int			 bits, sec, max;

	keyop_key_sizes(c->key, &bits, &sec, &max);
	if (out == NULL) {
		*outlen = (size_t)max;
		return 1;
	}
	if (keyop_peer_call(c->key->peer, KEYOP_OP_DECRYPT, c->key->slot,
	    NULL, in, inlen, &res, &reslen, &e) != 0) {
		keyop_raise(&e);
		return 0;
	}
	if (reslen > outsize) {
		OPENSSL_clear_free(res, reslen);
		return 0;
	}
	memcpy(out, res, reslen);
	*outlen = reslen;
	OPENSSL_clear_free(res, reslen);
	return 1;
}

static int
keyop_dec_get(void *vctx, OSSL_PARAM *params)
{
	(void)vctx;
	return keyop_pad_get(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
}

static int
keyop_dec_set(void *vctx, const OSSL_PARAM *params)
{
	(void)vctx;
	return keyop_pad_set(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
}

static const OSSL_PARAM *
keyop_dec_params(void *vctx, void *provctx)
{
	static const OSSL_PARAM p[] = {
		OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
		OSSL_PARAM_END
	};

	(void)vctx;
	(void)provctx;
	return p;
}

static const OSSL_DISPATCH keyop_asym[] = {
	{ OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))keyop_op_new },
	{ OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))keyop_op_free },
	{ OSSL_FUNC_ASYM_CIPHER_DUPCTX, (void (*)(void))keyop_op_dup },
	{ OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))keyop_dec_init },
	{ OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))keyop_dec },
	{ OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, (void (*)(void))keyop_dec_get },
	{ OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS,
	    (void (*)(void))keyop_dec_params },
	{ OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, (void (*)(void))keyop_dec_set },
	{ OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS,
	    (void (*)(void))keyop_dec_params },
	{ 0, NULL }
};

/* ---- the provider ---- */

static const OSSL_ALGORITHM keyop_keymgmts[] = {
	{ KEYOP_RSA_NAMES, KEYOP_PROPS, keyop_rsa_keymgmt, "remote RSA" },
	{ KEYOP_EC_NAMES, KEYOP_PROPS, keyop_ec_keymgmt, "remote EC" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM keyop_signatures[] = {
	{ KEYOP_RSA_NAMES, KEYOP_PROPS, keyop_signature, "remote RSA" },
	{ "ECDSA", KEYOP_PROPS, keyop_signature, "remote ECDSA" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM keyop_asyms[] = {
	{ KEYOP_RSA_NAMES, KEYOP_PROPS, keyop_asym, "remote RSA" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
keyop_prov_query(void *provctx, int op, int *nocache)
{
	(void)provctx;
	*nocache = 0;
	switch (op) {
	case OSSL_OP_KEYMGMT:
		return keyop_keymgmts;
	case OSSL_OP_SIGNATURE:
		return keyop_signatures;
	case OSSL_OP_ASYM_CIPHER:
		return keyop_asyms;
	}
	return NULL;
}

static void
keyop_prov_teardown(void *provctx)
{
	(void)provctx;
}

static const OSSL_DISPATCH keyop_prov[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION,
	    (void (*)(void))keyop_prov_query },
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))keyop_prov_teardown },
	{ 0, NULL }
};

int
keyop_prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	(void)in;
	*out = keyop_prov;
	*provctx = (void *)handle;
	return 1;
}
