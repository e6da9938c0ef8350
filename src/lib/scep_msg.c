/*
 * scep_msg: build and parse SCEP pkiMessages (RFC 8894 section 3) with
 * OpenSSL's CMS API, for the client and the CA server alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cert.h"
#include "clock.h"
#include "err.h"
#include "scep_msg.h"

/* RFC 8894 3.2.1 signed attributes, and the CMS ones we tolerate. */
#define OID_MESSAGETYPE		"2.16.840.1.113733.1.9.2"
#define OID_PKISTATUS		"2.16.840.1.113733.1.9.3"
#define OID_FAILINFO		"2.16.840.1.113733.1.9.4"
#define OID_SENDERNONCE		"2.16.840.1.113733.1.9.5"
#define OID_RECIPIENTNONCE	"2.16.840.1.113733.1.9.6"
#define OID_TRANSID		"2.16.840.1.113733.1.9.7"
#define OID_FAILINFOTEXT	"1.3.6.1.5.5.7.24.1"

enum scep_attr_id {
	A_MESSAGETYPE, A_PKISTATUS, A_FAILINFO, A_SENDERNONCE,
	A_RECIPIENTNONCE, A_TRANSID, A_FAILINFOTEXT,
	A_CONTENTTYPE, A_MESSAGEDIGEST, A_SIGNINGTIME, A_SMIMECAP,
	A_ALGPROTECT,
	A__MAX
};

static const struct scep_attr {
	const char	*oid;
	const char	*name;
	int		 type;	/* expected ASN.1 type; -1: CMS checks it */
} scep_attrs[A__MAX] = {
	[A_MESSAGETYPE] = { OID_MESSAGETYPE, "messageType",
	    V_ASN1_PRINTABLESTRING },
	[A_PKISTATUS] = { OID_PKISTATUS, "pkiStatus", V_ASN1_PRINTABLESTRING },
	[A_FAILINFO] = { OID_FAILINFO, "failInfo", V_ASN1_PRINTABLESTRING },
	[A_SENDERNONCE] = { OID_SENDERNONCE, "senderNonce",
	    V_ASN1_OCTET_STRING },
	[A_RECIPIENTNONCE] = { OID_RECIPIENTNONCE, "recipientNonce",
	    V_ASN1_OCTET_STRING },
	[A_TRANSID] = { OID_TRANSID, "transactionID", V_ASN1_PRINTABLESTRING },
	[A_FAILINFOTEXT] = { OID_FAILINFOTEXT, "failInfoText",
	    V_ASN1_UTF8STRING },
	[A_CONTENTTYPE] = { "1.2.840.113549.1.9.3", "contentType", -1 },
	[A_MESSAGEDIGEST] = { "1.2.840.113549.1.9.4", "messageDigest", -1 },
	[A_SIGNINGTIME] = { "1.2.840.113549.1.9.5", "signingTime", -1 },
	[A_SMIMECAP] = { "1.2.840.113549.1.9.15", "smimeCapabilities", -1 },
	[A_ALGPROTECT] = { "1.2.840.113549.1.9.52", "cmsAlgorithmProtection",
	    -1 },
};

/* RFC 8894 3.3.3 IssuerAndSubject: no OpenSSL type exists for it. */
typedef struct {
	X509_NAME	*issuer;
	X509_NAME	*subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

const char *
scep_msgtype_name(int t)
{
	switch (t) {
	case SCEP_MT_CERTREP:		return "CertRep";
	case SCEP_MT_RENEWALREQ:	return "RenewalReq";
	case SCEP_MT_PKCSREQ:		return "PKCSReq";
	case SCEP_MT_CERTPOLL:		return "CertPoll";
	case SCEP_MT_GETCERT:		return "GetCert";
	case SCEP_MT_GETCRL:		return "GetCRL";
	default:			return "unknown";
	}
}

const char *
scep_status_name(int s)
{
	switch (s) {
	case SCEP_STATUS_SUCCESS:	return "SUCCESS";
	case SCEP_STATUS_FAILURE:	return "FAILURE";
	case SCEP_STATUS_PENDING:	return "PENDING";
	default:			return "unknown";
	}
}

const char *
scep_failinfo_name(int f)
{
	switch (f) {
	case SCEP_FAIL_BADALG:		return "badAlg";
	case SCEP_FAIL_BADMESSAGECHECK:	return "badMessageCheck";
	case SCEP_FAIL_BADREQUEST:	return "badRequest";
	case SCEP_FAIL_BADTIME:		return "badTime";
	case SCEP_FAIL_BADCERTID:	return "badCertId";
	default:			return "unknown";
	}
}

static int
scep_is_request(int t)
{
	return t == SCEP_MT_PKCSREQ || t == SCEP_MT_RENEWALREQ ||
	    t == SCEP_MT_CERTPOLL || t == SCEP_MT_GETCERT ||
	    t == SCEP_MT_GETCRL;
}

/* PrintableString's alphabet (X.680 41.4), for transactionIDs we send. */
static int
scep_printable(const char *s, size_t n)
{
	static const char	 extra[] = " '()+,-./:=?";
	size_t			 i;

	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr(extra, c) != NULL))
			continue;
		return 0;
	}
	return 1;
}

/* Copy a memory BIO's bytes to a malloc'd buffer, capped. */
static int
scep_bio_take(unsigned char **out, size_t *outlen, BIO *bio, size_t max,
    const char *what, struct err *e)
{
	char		*p;
	long		 n;

	n = BIO_get_mem_data(bio, &p);
	if (n < 0)
		return err_set(e, ERR_CRYPTO, "%s: no data", what);
	if ((size_t)n > max)
		return err_set(e, ERR_TOOBIG, "%s: more than %zu bytes", what,
		    max);
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return err_nomem(e);
	memcpy(*out, p, (size_t)n);
	*outlen = (size_t)n;
	return 0;
}

static const EVP_CIPHER *
scep_cipher(int c)
{
	switch (c) {
	case SCEP_CIPHER_AES128:	return EVP_aes_128_cbc();
	case SCEP_CIPHER_AES256:	return EVP_aes_256_cbc();
	case SCEP_CIPHER_3DES:		return EVP_des_ede3_cbc();
	default:			return NULL;
	}
}

/* The pkcsPKIEnvelope: content encrypted for one recipient (3.2.2). */
static int
scep_envelope(unsigned char **out, size_t *outlen, const struct scep_build *b,
    struct err *e)
{
	STACK_OF(X509)		*recips = NULL;
	CMS_ContentInfo		*env = NULL;
	BIO			*in = NULL;
	const EVP_CIPHER	*c;
	int			 rc = 0;

	*out = NULL;
	if ((c = scep_cipher(b->cipher)) == NULL) {
		rc = err_set(e, ERR_INVAL, "unknown envelope cipher %d",
		    b->cipher);
		goto out;
	}
	if (b->recipient == NULL) {
		rc = err_set(e, ERR_INVAL, "%s: no recipient certificate for "
		    "the pkcsPKIEnvelope", scep_msgtype_name(b->type));
		goto out;
	}
	if (b->content_len > SCEP_MSG_MAX) {
		rc = err_set(e, ERR_TOOBIG, "inner content over %u bytes",
		    SCEP_MSG_MAX);
		goto out;
	}
	if ((recips = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(recips, b->recipient) ||
	    (in = BIO_new_mem_buf(b->content, (int)b->content_len)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((env = CMS_encrypt(recips, in, c, CMS_BINARY)) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot encrypt the "
		    "pkcsPKIEnvelope");
		goto out;
	}
	rc = cert_der_dup(out, outlen, env, ASN1_ITEM_rptr(CMS_ContentInfo),
	    "the pkcsPKIEnvelope", e);
 out:
	sk_X509_free(recips);
	BIO_free(in);
	CMS_ContentInfo_free(env);
	return rc;
}

static int
scep_add_attr(CMS_SignerInfo *si, const char *oid, int type,
    const void *v, int len, struct err *e)
{
	if (CMS_signed_add1_attr_by_txt(si, oid, type, v, len) != 1)
		return err_openssl(e, ERR_CRYPTO, "cannot add signed "
		    "attribute %s", oid);
	return 0;
}

static int
scep_add_number(CMS_SignerInfo *si, const char *oid, int v, struct err *e)
{
	char	 buf[16];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%d", v);
	return scep_add_attr(si, oid, V_ASN1_PRINTABLESTRING, buf, n, e);
}

static int
scep_build_check(const struct scep_build *b, struct err *e)
{
	size_t	 n;

	if (b->signer == NULL || b->signer_key == NULL)
		return err_set(e, ERR_INVAL, "no signer certificate or key");
	if (b->type != SCEP_MT_CERTREP && !scep_is_request(b->type))
		return err_set(e, ERR_INVAL, "unknown messageType %d", b->type);
	if (b->transid == NULL || (n = strlen(b->transid)) == 0 ||
	    n > SCEP_TRANSID_MAX || !scep_printable(b->transid, n))
		return err_set(e, ERR_INVAL, "RFC 8894 3.2.1.1: transactionID "
		    "must be 1-%d PrintableString characters",
		    SCEP_TRANSID_MAX);
	if (b->sender_nonce == NULL)
		return err_set(e, ERR_INVAL, "RFC 8894 3.2.1.5: no senderNonce");
	if (scep_is_request(b->type)) {
		if (b->content == NULL)
			return err_set(e, ERR_INVAL, "%s: no content",
			    scep_msgtype_name(b->type));
		return 0;
	}
	switch (b->status) {
	case SCEP_STATUS_SUCCESS:
		if (b->content == NULL)
			return err_set(e, ERR_INVAL, "CertRep SUCCESS: no "
			    "content");
		break;
	case SCEP_STATUS_FAILURE:
		if (b->failinfo < SCEP_FAIL_BADALG ||
		    b->failinfo > SCEP_FAIL_BADCERTID)
			return err_set(e, ERR_INVAL, "CertRep FAILURE: bad "
			    "failInfo %d", b->failinfo);
		/* FALLTHROUGH */
	case SCEP_STATUS_PENDING:
		if (b->content != NULL)
			return err_set(e, ERR_INVAL, "RFC 8894 3.3.2: CertRep "
			    "%s carries no pkcsPKIEnvelope",
			    scep_status_name(b->status));
		break;
	default:
		return err_set(e, ERR_INVAL, "CertRep: bad pkiStatus %d",
		    b->status);
	}
	return 0;
}

static int
scep_add_attrs(CMS_SignerInfo *si, const struct scep_build *b,
    struct err *e)
{
	int	 rc;

	if ((rc = scep_add_attr(si, OID_TRANSID, V_ASN1_PRINTABLESTRING,
	    b->transid, (int)strlen(b->transid), e)) != 0 ||
	    (rc = scep_add_number(si, OID_MESSAGETYPE, b->type, e)) != 0 ||
	    (rc = scep_add_attr(si, OID_SENDERNONCE, V_ASN1_OCTET_STRING,
	    b->sender_nonce, SCEP_NONCE_LEN, e)) != 0)
		return rc;
	if (b->type != SCEP_MT_CERTREP)
		return 0;
	if ((rc = scep_add_number(si, OID_PKISTATUS, b->status, e)) != 0)
		return rc;
	if (b->recipient_nonce != NULL &&
	    (rc = scep_add_attr(si, OID_RECIPIENTNONCE, V_ASN1_OCTET_STRING,
	    b->recipient_nonce, SCEP_NONCE_LEN, e)) != 0)
		return rc;
	if (b->status != SCEP_STATUS_FAILURE)
		return 0;
	if ((rc = scep_add_number(si, OID_FAILINFO, b->failinfo, e)) != 0)
		return rc;
	if (b->failinfo_text != NULL && (rc = scep_add_attr(si,
	    OID_FAILINFOTEXT, V_ASN1_UTF8STRING, b->failinfo_text,
	    (int)strnlen(b->failinfo_text, SCEP_FAILTEXT_MAX), e)) != 0)
		return rc;
	return 0;
}

int
scep_msg_build(unsigned char **out, size_t *outlen,
    const struct scep_build *b, struct err *e)
{
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	EVP_MD		*md = NULL;
	BIO		*data = NULL;
	unsigned char	*env = NULL;
	const unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	size_t		 envlen = 0;
	int		 i, rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = scep_build_check(b, e)) != 0)
		goto out;
	if (b->content != NULL &&
	    (rc = scep_envelope(&env, &envlen, b, e)) != 0)
		goto out;
	if ((md = EVP_MD_fetch(NULL, b->md ? b->md : "SHA256", NULL)) ==
	    NULL) {
		rc = err_openssl(e, ERR_INVAL, "unknown digest %s", b->md);
		goto out;
	}
	/* PENDING/FAILURE: an empty eContent, as micromdm sends it. */
	data = env != NULL ? BIO_new_mem_buf(env, (int)envlen) :
	    BIO_new_mem_buf("", 0);
	if (data == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = CMS_add1_signer(cms, b->signer, b->signer_key, md,
	    flags)) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot set up the signer");
		goto out;
	}
	if ((rc = scep_add_attrs(si, b, e)) != 0)
		goto out;
	for (i = 0; b->extra_certs != NULL &&
	    i < sk_X509_num(b->extra_certs); i++) {
		X509	*x = sk_X509_value(b->extra_certs, i);

		if (X509_cmp(x, b->signer) != 0 && CMS_add1_cert(cms, x) != 1) {
			rc = err_openssl(e, ERR_CRYPTO, "cannot add certificate");
			goto out;
		}
	}
	if (CMS_final(cms, data, NULL, CMS_BINARY) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot sign the pkiMessage");
		goto out;
	}
	rc = cert_der_dup(out, outlen, cms, ASN1_ITEM_rptr(CMS_ContentInfo),
	    "the pkiMessage", e);
 out:
	free(env);
	BIO_free(data);
	EVP_MD_free(md);
	CMS_ContentInfo_free(cms);
	return rc;
}

void
scep_msg_free(struct scep_msg *m)
{
	if (m == NULL)
		return;
	free(m->failinfo_text);
	X509_free(m->signer);
	free(m->content);
	sk_X509_pop_free(m->certs, X509_free);
	X509_CRL_free(m->crl);
	free(m);
}

/* A small decimal PrintableString ("19", "0"): digits only, <= 3 of them. */
static int
scep_attr_number(const ASN1_STRING *s, int *v)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 n = ASN1_STRING_length(s), i;

	if (n < 1 || n > 3)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

static int
scep_attr_nonce(const ASN1_STRING *s, unsigned char *nonce, const char *name,
    struct err *e)
{
	if (ASN1_STRING_length(s) != SCEP_NONCE_LEN)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.5: %s is %d "
		    "bytes, not %d", name, ASN1_STRING_length(s),
		    SCEP_NONCE_LEN);
	memcpy(nonce, ASN1_STRING_get0_data(s), SCEP_NONCE_LEN);
	return 0;
}

/* Store one SCEP attribute's value in m. */
static int
scep_attr_take(struct scep_msg *m, int id, const ASN1_STRING *s,
    struct err *e)
{
	int	 n = ASN1_STRING_length(s);

	switch (id) {
	case A_MESSAGETYPE:
		if (scep_attr_number(s, &m->type) != 0 ||
		    (m->type != SCEP_MT_CERTREP && !scep_is_request(m->type)))
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.2: "
			    "unknown messageType");
		break;
	case A_PKISTATUS:
		if (scep_attr_number(s, &m->status) != 0 ||
		    (m->status != SCEP_STATUS_SUCCESS &&
		    m->status != SCEP_STATUS_FAILURE &&
		    m->status != SCEP_STATUS_PENDING))
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.3: "
			    "unknown pkiStatus");
		break;
	case A_FAILINFO:
		if (scep_attr_number(s, &m->failinfo) != 0 ||
		    m->failinfo > SCEP_FAIL_BADCERTID)
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.4: "
			    "unknown failInfo");
		break;
	case A_TRANSID:
		if (n < 1 || n > SCEP_TRANSID_MAX ||
		    !scep_printable((const char *)ASN1_STRING_get0_data(s),
		    (size_t)n))
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.1: "
			    "transactionID must be 1-%d printable characters",
			    SCEP_TRANSID_MAX);
		memcpy(m->transid, ASN1_STRING_get0_data(s), (size_t)n);
		m->transid[n] = '\0';
		break;
	case A_SENDERNONCE:
		m->has_sender_nonce = 1;
		return scep_attr_nonce(s, m->sender_nonce, "senderNonce", e);
	case A_RECIPIENTNONCE:
		m->has_recipient_nonce = 1;
		return scep_attr_nonce(s, m->recipient_nonce,
		    "recipientNonce", e);
	case A_FAILINFOTEXT:
		if (n > SCEP_FAILTEXT_MAX)
			n = SCEP_FAILTEXT_MAX;
		if ((m->failinfo_text = strndup((const char *)
		    ASN1_STRING_get0_data(s), (size_t)n)) == NULL)
			return err_nomem(e);
		break;
	}
	return 0;
}

/* Allow-list the signed attributes (no unknown, none twice) and read them. */
static int
scep_attrs_read(struct scep_msg *m, CMS_SignerInfo *si, struct err *e)
{
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*t;
	char		 oid[80];
	int		 seen[A__MAX] = { 0 }, i, n, id, rc;

	if ((n = CMS_signed_get_attr_count(si)) <= 0)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1: no signed "
		    "attributes");
	for (i = 0; i < n; i++) {
		a = CMS_signed_get_attr(si, i);
		OBJ_obj2txt(oid, sizeof(oid), X509_ATTRIBUTE_get0_object(a), 1);
		for (id = 0; id < A__MAX; id++)
			if (strcmp(oid, scep_attrs[id].oid) == 0)
				break;
		if (id == A__MAX)
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1: "
			    "unexpected signed attribute %s", oid);
		if (seen[id]++)
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1: signed "
			    "attribute %s appears twice", scep_attrs[id].name);
		if (scep_attrs[id].type == -1)
			continue;
		if (X509_ATTRIBUTE_count(a) != 1 ||
		    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
		    t->type != scep_attrs[id].type)
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1: %s must be "
			    "one %s", scep_attrs[id].name,
			    ASN1_tag2str(scep_attrs[id].type));
		if ((rc = scep_attr_take(m, id, t->value.asn1_string, e)) != 0)
			return rc;
	}
	if (!seen[A_MESSAGETYPE] || !seen[A_TRANSID] || !seen[A_SENDERNONCE])
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1: messageType, "
		    "transactionID and senderNonce are required");
	if (m->type == SCEP_MT_CERTREP) {
		if (!seen[A_PKISTATUS])
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.3: CertRep "
			    "without pkiStatus");
		if (m->status == SCEP_STATUS_FAILURE && !seen[A_FAILINFO])
			return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.4: CertRep "
			    "FAILURE without failInfo");
	} else if (seen[A_PKISTATUS] || seen[A_FAILINFO])
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.3: a %s carries "
		    "no pkiStatus or failInfo", scep_msgtype_name(m->type));
	return 0;
}

/* Verify the one signature: directly against the signer, no purpose checks. */
static int
scep_verify(struct scep_msg *m, CMS_ContentInfo *cms, STACK_OF(X509) *trusted,
    BIO *out, struct err *e)
{
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509)		*certs = NULL, *signers = NULL;
	ASN1_OCTET_STRING	**pos;
	X509_ALGOR		*dig = NULL;
	const ASN1_OBJECT	*obj;
	BIO			*dcont = NULL;
	unsigned int		 flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;
	int			 rc = 0;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2: pkiMessage is not "
		    "CMS SignedData");
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2: pkiMessage has %d "
		    "signers, not one", sk_CMS_SignerInfo_num(sis));
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2: pkiMessage content "
		    "is not id-data");
	if ((certs = CMS_get1_certs(cms)) != NULL &&
	    sk_X509_num(certs) > SCEP_MAXCERTS) {
		rc = err_set(e, ERR_TOOBIG, "pkiMessage: more than %d "
		    "certificates", SCEP_MAXCERTS);
		goto out;
	}
	/* A missing eContent (detached) signs the empty string. */
	pos = CMS_get0_content(cms);
	if ((pos == NULL || *pos == NULL) &&
	    (dcont = BIO_new_mem_buf("", 0)) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (trusted != NULL)
		flags |= CMS_NOINTERN;
	if (CMS_verify(cms, trusted, NULL, dcont, out, flags) != 1) {
		rc = err_openssl(e, ERR_REFUSED, trusted != NULL ?
		    "RFC 8894 3.2: pkiMessage is not signed by the CA or RA "
		    "certificate" : "RFC 8894 3.2: pkiMessage signature does "
		    "not verify with its signer certificate");
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1 ||
	    !X509_up_ref(sk_X509_value(signers, 0))) {
		rc = err_set(e, ERR_PROTO, "pkiMessage: no signer certificate");
		goto out;
	}
	m->signer = sk_X509_value(signers, 0);
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
	    &dig, NULL);
	if (dig != NULL) {
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		snprintf(m->md, sizeof(m->md), "%s",
		    OBJ_nid2sn(OBJ_obj2nid(obj)));
	}
	rc = scep_attrs_read(m, sk_CMS_SignerInfo_value(sis, 0), e);
 out:
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(dcont);
	return rc;
}

/*
 * The envelope read through the PKCS#7 decoder (same layout for
 * key-transport recipients), for what the CMS API has no getter for:
 * the content-encryption algorithm and the recipients' encrypted keys.
 * NULL when it does not decode (the CMS path then reports why).
 */
static PKCS7 *
scep_envelope_p7(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	PKCS7			*p7;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (p != der + len || !PKCS7_type_is_enveloped(p7) ||
	    p7->d.enveloped == NULL || p7->d.enveloped->enc_data == NULL ||
	    p7->d.enveloped->enc_data->algorithm == NULL) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

/* The content-encryption algorithm; NID_undef when it cannot tell. */
static int
scep_envelope_nid(const PKCS7 *p7)
{
	if (p7 == NULL)
		return NID_undef;
	return OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
}

static int
scep_is_legacy(int nid)
{
	return nid == NID_des_cbc || nid == NID_rc2_cbc ||
	    nid == NID_rc2_40_cbc || nid == NID_rc2_64_cbc;
}

/* Decrypt in libctx (NULL: the default one). */
static int
scep_decrypt_in(OSSL_LIB_CTX *libctx, BIO *out, const unsigned char *der,
    size_t len, EVP_PKEY *key, X509 *cert, struct err *e)
{
	CMS_ContentInfo		*env = NULL;
	const unsigned char	*p = der;
	int			 rc = 0;

	if ((env = CMS_ContentInfo_new_ex(libctx, NULL)) == NULL)
		return err_nomem(e);
	if (d2i_CMS_ContentInfo(&env, &p, (long)len) == NULL) {
		env = NULL;
		rc = err_openssl(e, ERR_PROTO, "RFC 8894 3.2.2: "
		    "pkcsPKIEnvelope is not CMS");
		goto out;
	}
	if (p != der + len) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.2.2: trailing data "
		    "after the pkcsPKIEnvelope");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.2.2: pkcsPKIEnvelope "
		    "is not EnvelopedData");
		goto out;
	}
	if (CMS_decrypt(env, key, cert, NULL, out, CMS_BINARY) != 1)
		rc = err_openssl(e, ERR_CRYPTO, "RFC 8894 3.2.2: cannot "
		    "decrypt the pkcsPKIEnvelope with our key");
 out:
	CMS_ContentInfo_free(env);
	return rc;
}

/*
 * The general (CMS) path for legacy ciphers, when the fast path cannot
 * take the envelope (no certificate of ours, not an RSA key-transport
 * recipient): CMS needs the cipher itself, so load the legacy provider
 * in a private library context for this one decryption so that nothing
 * else in the process can use DES or RC2.
 */
static int
scep_decrypt_legacy(BIO *out, const unsigned char *der, size_t len,
    EVP_PKEY *key, X509 *cert, struct err *e)
{
	OSSL_LIB_CTX	*ctx;
	OSSL_PROVIDER	*def = NULL, *leg = NULL;
	int		 rc;

	if ((ctx = OSSL_LIB_CTX_new()) == NULL)
		return err_nomem(e);
	if ((def = OSSL_PROVIDER_load(ctx, "default")) == NULL ||
	    (leg = OSSL_PROVIDER_load(ctx, "legacy")) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "pkcsPKIEnvelope uses a legacy "
		    "cipher and OpenSSL's legacy provider is not available");
		goto out;
	}
	rc = scep_decrypt_in(ctx, out, der, len, key, cert, e);
 out:
	OSSL_PROVIDER_unload(leg);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(ctx);
	return rc;
}

/* Our recipient (issuer and serial of cert) if it uses rsaEncryption. */
static PKCS7_RECIP_INFO *
scep_ri_find(const PKCS7 *p7, EVP_PKEY *key, X509 *cert)
{
	STACK_OF(PKCS7_RECIP_INFO) *ris = p7->d.enveloped->recipientinfo;
	PKCS7_RECIP_INFO	*ri;
	int			 i;

	if (cert == NULL || !EVP_PKEY_is_a(key, "RSA"))
		return NULL;
	for (i = 0; i < sk_PKCS7_RECIP_INFO_num(ris); i++) {
		ri = sk_PKCS7_RECIP_INFO_value(ris, i);
		if (ri->issuer_and_serial == NULL || ri->key_enc_algor == NULL ||
		    ri->enc_key == NULL ||
		    X509_NAME_cmp(ri->issuer_and_serial->issuer,
		    X509_get_issuer_name(cert)) != 0 ||
		    ASN1_INTEGER_cmp(ri->issuer_and_serial->serial,
		    X509_get0_serialNumber(cert)) != 0)
			continue;
		if (OBJ_obj2nid(ri->key_enc_algor->algorithm) != NID_rsaEncryption)
			return NULL;
		return ri;
	}
	return NULL;
}

/* RSA PKCS#1 v1.5 key transport: the content-encryption key. */
static int
scep_cek_unwrap(unsigned char **cek, size_t *ceklen, EVP_PKEY *key,
    const ASN1_OCTET_STRING *enc)
{
	EVP_PKEY_CTX	*pctx;
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	int		 rc = -1;

	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_decrypt_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(pctx, NULL, &len, ASN1_STRING_get0_data(enc),
	    (size_t)ASN1_STRING_length(enc)) <= 0 ||
	    (buf = OPENSSL_malloc(len > 0 ? len : 1)) == NULL ||
	    EVP_PKEY_decrypt(pctx, buf, &len, ASN1_STRING_get0_data(enc),
	    (size_t)ASN1_STRING_length(enc)) <= 0)
		goto out;
	*cek = buf;
	*ceklen = len;
	buf = NULL;
	rc = 0;
 out:
	OPENSSL_clear_free(buf, len);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* The encrypted content with the CEK and ciph. */
static int
scep_content_decrypt(BIO *out, const EVP_CIPHER *ciph,
    const PKCS7_ENC_CONTENT *ec, const unsigned char *cek, size_t ceklen)
{
	EVP_CIPHER_CTX	*cctx = NULL;
	unsigned char	*buf = NULL;
	int		 n, fin, len, rc = -1;

	if (ec->enc_data == NULL || (len = ASN1_STRING_length(ec->enc_data)) <
	    0 || ceklen > INT32_MAX)
		return -1;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    (buf = malloc((size_t)len + EVP_MAX_BLOCK_LENGTH)) == NULL)
		goto out;
	if (!EVP_DecryptInit_ex2(cctx, ciph, NULL, NULL, NULL) ||
	    EVP_CIPHER_asn1_to_param(cctx, ec->algorithm->parameter) <= 0 ||
	    EVP_CIPHER_CTX_set_key_length(cctx, (int)ceklen) <= 0 ||
	    !EVP_DecryptInit_ex2(cctx, NULL, cek, NULL, NULL) ||
	    !EVP_DecryptUpdate(cctx, buf, &n, ASN1_STRING_get0_data(
	    ec->enc_data), len) ||
	    !EVP_DecryptFinal_ex(cctx, buf + n, &fin) ||
	    BIO_write(out, buf, n + fin) != n + fin)
		goto out;
	rc = 0;
 out:
	free(buf);
	EVP_CIPHER_CTX_free(cctx);
	return rc;
}

/*
 * Single DES-CBC through the default provider: DES-EDE3-CBC with
 * K1 = K2 = K3 = K encrypts, decrypts and encrypts again with one key,
 * which is one DES decryption, and the IV parameter is encoded alike.
 * No legacy provider is loaded (fetching it cost more than the rest of
 * the reply), and DES-CBC stays unavailable to the rest of the process.
 */
static int
scep_des_decrypt(BIO *out, const PKCS7_ENC_CONTENT *ec,
    const unsigned char *cek, size_t ceklen)
{
	EVP_CIPHER	*ede = NULL;
	unsigned char	 k3[24];
	int		 rc = -1;

	if (ceklen != 8)
		return -1;
	memcpy(k3, cek, 8);
	memcpy(k3 + 8, cek, 8);
	memcpy(k3 + 16, cek, 8);
	if ((ede = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL)) != NULL)
		rc = scep_content_decrypt(out, ede, ec, k3, sizeof(k3));
	OPENSSL_cleanse(k3, sizeof(k3));
	EVP_CIPHER_free(ede);
	return rc;
}

/* RC2: from a private library context with the legacy provider. */
static int
scep_legacy_content_decrypt(BIO *out, const PKCS7_ENC_CONTENT *ec,
    const unsigned char *cek, size_t ceklen, struct err *e)
{
	OSSL_LIB_CTX	*ctx;
	OSSL_PROVIDER	*leg = NULL;
	EVP_CIPHER	*ciph = NULL;
	int		 rc = 0;

	if ((ctx = OSSL_LIB_CTX_new()) == NULL ||
	    (leg = OSSL_PROVIDER_load(ctx, "legacy")) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "pkcsPKIEnvelope uses a legacy "
		    "cipher and OpenSSL's legacy provider is not available");
		goto out;
	}
	if ((ciph = EVP_CIPHER_fetch(ctx, OBJ_nid2sn(OBJ_obj2nid(
	    ec->algorithm->algorithm)), NULL)) == NULL ||
	    scep_content_decrypt(out, ciph, ec, cek, ceklen) != 0)
		rc = err_openssl(e, ERR_CRYPTO, "RFC 8894 3.2.2: cannot "
		    "decrypt the pkcsPKIEnvelope with our key");
 out:
	EVP_CIPHER_free(ciph);
	OSSL_PROVIDER_unload(leg);
	OSSL_LIB_CTX_free(ctx);
	return rc;
}

/*
 * The legacy cipher's fast path.  Exporting our key into a second
 * library context (the CMS path) copies it to another provider, whose
 * RSA blinding set-up costs as much as the decryption itself: here the
 * content-encryption key is unwrapped in the default context, where the
 * key already signed the request; single DES is then read as 3DES with
 * one key (scep_des_decrypt), and only RC2 needs a private context with
 * the legacy provider.  1: not handled (not a plain key-transport
 * recipient with rsaEncryption), nothing done.
 */
static int
scep_decrypt_fast(BIO *out, const PKCS7 *p7, EVP_PKEY *key, X509 *cert,
    struct err *e)
{
	const PKCS7_ENC_CONTENT	*ec;
	PKCS7_RECIP_INFO	*ri;
	unsigned char		*cek = NULL;
	size_t			 ceklen = 0;
	int			 rc = 0;

	if (p7 == NULL || (ri = scep_ri_find(p7, key, cert)) == NULL)
		return 1;
	if (scep_cek_unwrap(&cek, &ceklen, key, ri->enc_key) != 0)
		return err_openssl(e, ERR_CRYPTO, "RFC 8894 3.2.2: cannot "
		    "decrypt the pkcsPKIEnvelope with our key");
	ec = p7->d.enveloped->enc_data;
	if (OBJ_obj2nid(ec->algorithm->algorithm) != NID_des_cbc)
		rc = scep_legacy_content_decrypt(out, ec, cek, ceklen, e);
	else if (scep_des_decrypt(out, ec, cek, ceklen) != 0)
		rc = err_openssl(e, ERR_CRYPTO, "RFC 8894 3.2.2: cannot "
		    "decrypt the pkcsPKIEnvelope with our key");
	OPENSSL_clear_free(cek, ceklen);
	return rc;
}

static int
scep_envelope_open(struct scep_msg *m, const unsigned char *der, size_t len,
    EVP_PKEY *key, X509 *cert, struct err *e)
{
	PKCS7	*p7;
	BIO	*out = NULL;
	int	 nid, rc;

	p7 = scep_envelope_p7(der, len);
	nid = scep_envelope_nid(p7);
	snprintf(m->cipher, sizeof(m->cipher), "%s",
	    nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
	if ((out = BIO_new(BIO_s_mem())) == NULL) {
		PKCS7_free(p7);
		return err_nomem(e);
	}
	if (scep_is_legacy(nid)) {
		m->weak_cipher = 1;
		if ((rc = scep_decrypt_fast(out, p7, key, cert, e)) == 1)
			rc = scep_decrypt_legacy(out, der, len, key, cert, e);
	} else
		rc = scep_decrypt_in(NULL, out, der, len, key, cert, e);
	if (rc == 0)
		rc = scep_bio_take(&m->content, &m->content_len, out,
		    SCEP_MSG_MAX, "pkcsPKIEnvelope content", e);
	BIO_free(out);
	PKCS7_free(p7);
	return rc;
}

/* The CRL as received (OpenSSL keeps the encoding it decoded). */
static int
scep_crl_sigalg(X509_CRL *crl, struct err *e)
{
	unsigned char	*der = NULL;
	int		 len, rc;

	if ((len = i2d_X509_CRL(crl, &der)) <= 0)
		return err_openssl(e, ERR_PROTO, "RFC 8894 3.4: CertRep CRL "
		    "cannot be encoded");
	rc = cert_der_sigalg_check(der, (size_t)len, "CRL", e);
	OPENSSL_free(der);
	return rc;
}

/* CertRep SUCCESS: the degenerate PKCS#7 (RFC 8894 3.4). */
static int
scep_degenerate_read(struct scep_msg *m, struct err *e)
{
	const unsigned char	*p = m->content;
	PKCS7			*p7;
	STACK_OF(X509)		*certs = NULL;
	STACK_OF(X509_CRL)	*crls = NULL;
	int			 i, rc = 0;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)m->content_len)) == NULL)
		return err_openssl(e, ERR_PROTO, "RFC 8894 3.4: CertRep content "
		    "is not PKCS#7");
	if (p != m->content + m->content_len) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.4: trailing data after "
		    "the degenerate PKCS#7");
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.4: CertRep content is "
		    "not a degenerate SignedData");
		goto out;
	}
	certs = p7->d.sign->cert;
	crls = p7->d.sign->crl;
	if (sk_X509_num(certs) > SCEP_MAXCERTS || sk_X509_CRL_num(crls) > 1) {
		rc = err_set(e, ERR_TOOBIG, "RFC 8894 3.4: CertRep holds more "
		    "than %d certificates or more than one CRL", SCEP_MAXCERTS);
		goto out;
	}
	if (sk_X509_num(certs) <= 0 && sk_X509_CRL_num(crls) <= 0) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.3.2: CertRep SUCCESS "
		    "holds no certificate and no CRL");
		goto out;
	}
	if ((m->certs = sk_X509_new_null()) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509	*x = sk_X509_value(certs, i);

		if ((rc = cert_sigalg_check(x, e)) != 0)
			goto out;
		if (!X509_up_ref(x))
			goto nomem;
		if (!sk_X509_push(m->certs, x)) {
			X509_free(x);
			goto nomem;
		}
	}
	if (sk_X509_CRL_num(crls) == 1) {
		if ((rc = scep_crl_sigalg(sk_X509_CRL_value(crls, 0), e)) != 0)
			goto out;
		m->crl = sk_X509_CRL_value(crls, 0);
		if (!X509_CRL_up_ref(m->crl)) {
			m->crl = NULL;
			goto nomem;
		}
	}
	goto out;
 nomem:
	rc = err_nomem(e);
 out:
	PKCS7_free(p7);
	return rc;
}

static int
scep_wants_envelope(const struct scep_msg *m)
{
	return scep_is_request(m->type) || (m->type == SCEP_MT_CERTREP &&
	    m->status == SCEP_STATUS_SUCCESS);
}

int
scep_msg_parse(struct scep_msg **out, const unsigned char *der, size_t len,
    STACK_OF(X509) *trusted, EVP_PKEY *key, X509 *cert, struct err *e)
{
	struct scep_msg		*m = NULL;
	CMS_ContentInfo		*cms = NULL;
	const unsigned char	*p = der;
	BIO			*content = NULL;
	unsigned char		*env = NULL;
	size_t			 envlen = 0;
	int			 rc;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_PROTO, "pkiMessage is empty");
	if (len > SCEP_MSG_MAX)
		return err_set(e, ERR_TOOBIG, "pkiMessage over %u bytes",
		    SCEP_MSG_MAX);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return err_nomem(e);
	m->type = m->status = m->failinfo = -1;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		rc = err_openssl(e, ERR_PROTO, "RFC 8894 3.2: pkiMessage is "
		    "not a DER CMS ContentInfo");
		goto out;
	}
	if (p != der + len) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.2: %zu bytes of trailing "
		    "data after the pkiMessage", len - (size_t)(p - der));
		goto out;
	}
	if ((content = BIO_new(BIO_s_mem())) == NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if ((rc = scep_verify(m, cms, trusted, content, e)) != 0)
		goto out;
	if (!scep_wants_envelope(m))
		goto done;
	if ((rc = scep_bio_take(&env, &envlen, content, SCEP_MSG_MAX,
	    "pkiMessage content", e)) != 0)
		goto out;
	if (envlen == 0) {
		rc = err_set(e, ERR_PROTO, "RFC 8894 3.2.2: %s without a "
		    "pkcsPKIEnvelope", scep_msgtype_name(m->type));
		goto out;
	}
	m->content = env;
	m->content_len = envlen;
	m->encrypted = 1;
	env = NULL;
	if (key != NULL && (rc = scep_msg_decrypt(m, key, cert, e)) != 0)
		goto out;
 done:
	*out = m;
	m = NULL;
	rc = 0;
 out:
	free(env);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	scep_msg_free(m);
	return rc;
}

int
scep_msg_decrypt(struct scep_msg *m, EVP_PKEY *key, X509 *cert,
    struct err *e)
{
	unsigned char	*env = m->content;
	size_t		 envlen = m->content_len;
	int		 rc;

	if (!m->encrypted)
		return err_set(e, ERR_INVAL, "%s: no pkcsPKIEnvelope to "
		    "decrypt", scep_msgtype_name(m->type));
	m->content = NULL;
	m->content_len = 0;
	if ((rc = scep_envelope_open(m, env, envlen, key, cert, e)) != 0)
		goto out;
	m->encrypted = 0;
	if (m->type == SCEP_MT_CERTREP && (rc = scep_degenerate_read(m, e)) !=
	    0)
		goto out;
 out:
	if (rc != 0) {
		/* Leave the message as it was: still encrypted. */
		free(m->content);
		m->content = env;
		m->content_len = envlen;
		m->encrypted = 1;
		sk_X509_pop_free(m->certs, X509_free);
		m->certs = NULL;
		X509_CRL_free(m->crl);
		m->crl = NULL;
		env = NULL;
	}
	free(env);
	return rc;
}

int
scep_msg_check_reply(const struct scep_msg *m, const char *transid,
    const unsigned char *nonce, struct err *e)
{
	if (m->type != SCEP_MT_CERTREP)
		return err_set(e, ERR_PROTO, "RFC 8894 3.3.2: reply is a %s, "
		    "not a CertRep", scep_msgtype_name(m->type));
	if (strcmp(m->transid, transid) != 0)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.1: transactionID "
		    "of the reply does not match the request's");
	if (!m->has_recipient_nonce ||
	    memcmp(m->recipient_nonce, nonce, SCEP_NONCE_LEN) != 0)
		return err_set(e, ERR_PROTO, "RFC 8894 3.2.1.5: recipientNonce "
		    "does not match the request's senderNonce");
	if (m->status == SCEP_STATUS_SUCCESS && (m->content == NULL ||
	    m->encrypted))
		return err_set(e, ERR_PROTO, "RFC 8894 3.3.2: CertRep SUCCESS "
		    "was not decrypted");
	return 0;
}

int
scep_degenerate_build(unsigned char **out, size_t *outlen,
    STACK_OF(X509) *certs, X509_CRL *crl, struct err *e)
{
	PKCS7		*p7 = NULL;
	int		 i, rc = 0;

	*out = NULL;
	if ((p7 = PKCS7_new()) == NULL ||
	    !PKCS7_set_type(p7, NID_pkcs7_signed)) {
		rc = err_openssl(e, ERR_NOMEM, "cannot make PKCS#7");
		goto out;
	}
	/* Certificates-only: id-data with the content omitted. */
	ASN1_OBJECT_free(p7->d.sign->contents->type);
	p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i))) {
			rc = err_openssl(e, ERR_NOMEM, "cannot add certificate");
			goto out;
		}
	if (crl != NULL && !PKCS7_add_crl(p7, crl)) {
		rc = err_openssl(e, ERR_NOMEM, "cannot add CRL");
		goto out;
	}
	rc = cert_der_dup(out, outlen, p7, ASN1_ITEM_rptr(PKCS7), "PKCS#7", e);
 out:
	PKCS7_free(p7);
	return rc;
}

int
scep_transid_spki(char *buf, size_t sz, const X509_PUBKEY *pub,
    struct err *e)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		*spki = NULL, d[EVP_MAX_MD_SIZE];
	unsigned int		 dlen = 0, i;
	int			 n, rc = 0;

	if ((n = i2d_X509_PUBKEY(pub, &spki)) <= 0)
		return err_openssl(e, ERR_CRYPTO, "cannot encode public key");
	if (EVP_Digest(spki, (size_t)n, d, &dlen, EVP_sha256(), NULL) != 1) {
		rc = err_openssl(e, ERR_CRYPTO, "SHA-256 failed");
		goto out;
	}
	if (sz < dlen * 2 + 1) {
		rc = err_set(e, ERR_INVAL, "transactionID buffer too small");
		goto out;
	}
	for (i = 0; i < dlen; i++) {
		buf[2 * i] = hex[d[i] >> 4];
		buf[2 * i + 1] = hex[d[i] & 15];
	}
	buf[2 * dlen] = '\0';
 out:
	OPENSSL_free(spki);
	return rc;
}

int
scep_transid(char *buf, size_t sz, EVP_PKEY *key, struct err *e)
{
	X509_PUBKEY	*pub = NULL;
	int		 rc;

	if (!X509_PUBKEY_set(&pub, key))
		return err_openssl(e, ERR_CRYPTO, "cannot encode public key");
	rc = scep_transid_spki(buf, sz, pub, e);
	X509_PUBKEY_free(pub);
	return rc;
}

int
scep_nonce(unsigned char *nonce, struct err *e)
{
	if (RAND_bytes(nonce, SCEP_NONCE_LEN) != 1)
		return err_openssl(e, ERR_CRYPTO, "no random bytes for a nonce");
	return 0;
}

int
scep_signer_selfsigned(X509 **out, EVP_PKEY *key, const X509_NAME *subject,
    int days, struct err *e)
{
	X509		*x = NULL;
	X509_NAME	*name = NULL;
	ASN1_INTEGER	*sn = NULL;
	BIGNUM		*bn = NULL;
	time_t		 now = clock_now();
	int		 rc = 0;

	*out = NULL;
	if (subject != NULL)
		name = X509_NAME_dup(subject);
	else if ((name = X509_NAME_new()) != NULL &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"SCEP client", -1, -1, 0)) {
		X509_NAME_free(name);
		name = NULL;
	}
	if (name == NULL || (x = X509_new()) == NULL || (bn = BN_new()) ==
	    NULL) {
		rc = err_nomem(e);
		goto out;
	}
	if (!BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, -300, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days > 0 ? days : 1, 0,
	    &now) == NULL ||
	    !X509_set_pubkey(x, key) ||
	    X509_sign(x, key, EVP_PKEY_is_a(key, "ED25519") ? NULL :
	    EVP_sha256()) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "cannot make the self-signed "
		    "signer certificate");
		goto out;
	}
	*out = x;
	x = NULL;
 out:
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(name);
	X509_free(x);
	return rc;
}

int
scep_issuer_and_subject(unsigned char **out, size_t *outlen,
    const X509_NAME *issuer, const X509_NAME *subject, struct err *e)
{
	SCEP_ISSUER_AND_SUBJECT	 ias;

	ias.issuer = (X509_NAME *)issuer;
	ias.subject = (X509_NAME *)subject;
	return cert_der_dup(out, outlen, &ias,
	    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT), "IssuerAndSubject", e);
}

int
scep_issuer_and_serial(unsigned char **out, size_t *outlen,
    const X509_NAME *issuer, const ASN1_INTEGER *serial, struct err *e)
{
	PKCS7_ISSUER_AND_SERIAL	 ias;

	ias.issuer = (X509_NAME *)issuer;
	ias.serial = (ASN1_INTEGER *)serial;
	return cert_der_dup(out, outlen, &ias,
	    ASN1_ITEM_rptr(PKCS7_ISSUER_AND_SERIAL), "IssuerAndSerialNumber",
	    e);
}

int
scep_issuer_and_subject_parse(X509_NAME **issuer, X509_NAME **subject,
    const unsigned char *der, size_t len, struct err *e)
{
	SCEP_ISSUER_AND_SUBJECT	*ias;
	const unsigned char	*p = der;

	*issuer = *subject = NULL;
	ias = (SCEP_ISSUER_AND_SUBJECT *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	if (ias == NULL)
		return err_openssl(e, ERR_PROTO, "RFC 8894 3.3.3: CertPoll "
		    "content is not an IssuerAndSubject");
	if (p != der + len) {
		ASN1_item_free((ASN1_VALUE *)ias,
		    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
		return err_set(e, ERR_PROTO, "RFC 8894 3.3.3: trailing data "
		    "after IssuerAndSubject");
	}
	*issuer = ias->issuer;
	*subject = ias->subject;
	ias->issuer = ias->subject = NULL;
	ASN1_item_free((ASN1_VALUE *)ias,
	    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	return 0;
}

int
scep_issuer_and_serial_parse(X509_NAME **issuer, ASN1_INTEGER **serial,
    const unsigned char *der, size_t len, struct err *e)
{
	PKCS7_ISSUER_AND_SERIAL	*ias;
	const unsigned char	*p = der;

	*issuer = NULL;
	*serial = NULL;
	if ((ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p, (long)len)) == NULL)
		return err_openssl(e, ERR_PROTO, "RFC 8894 3.3.4: content is "
		    "not an IssuerAndSerialNumber");
	if (p != der + len) {
		PKCS7_ISSUER_AND_SERIAL_free(ias);
		return err_set(e, ERR_PROTO, "RFC 8894 3.3.4: trailing data "
		    "after IssuerAndSerialNumber");
	}
	*issuer = ias->issuer;
	*serial = ias->serial;
	ias->issuer = NULL;
	ias->serial = NULL;
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return 0;
}
