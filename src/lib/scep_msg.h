/*
 * scep_msg: the SCEP pkiMessage (RFC 8894 section 3) in both directions.
 * The client builds PKCSReq/RenewalReq/CertPoll/GetCert/GetCRL and parses
 * CertRep; the CA server parses requests and builds CertRep.  Both use
 * this one module.
 *
 * A pkiMessage is a CMS SignedData whose signed attributes carry the SCEP
 * fields and whose content is a CMS EnvelopedData (the pkcsPKIEnvelope)
 * holding the inner DER: a PKCS#10 request, an IssuerAndSubject, an
 * IssuerAndSerialNumber, or (CertRep SUCCESS) a degenerate PKCS#7 with
 * certificates or a CRL.  CertRep PENDING and FAILURE carry no envelope.
 *
 * Typical client:
 *	scep_signer_selfsigned(&signer, key, subject, 0, &e);
 *	scep_transid(tid, sizeof(tid), key, &e);
 *	scep_nonce(nonce);
 *	b = (struct scep_build){ .type = SCEP_MT_PKCSREQ, .content = csr,
 *	    .content_len = n, .recipient = ra_or_ca, .cipher = SCEP_CIPHER_AES128,
 *	    .signer = signer, .signer_key = key, .md = "SHA256",
 *	    .transid = tid, .sender_nonce = nonce };
 *	scep_msg_build(&der, &len, &b, &e);
 *	... POST ...
 *	scep_msg_parse(&rep, body, blen, ca_and_ra_certs, key, signer, &e);
 *	scep_msg_check_reply(rep, tid, nonce, &e);
 *	switch (rep->status) ... rep->certs ...
 *
 * Typical server:
 *	scep_msg_parse(&req, body, blen, NULL, ra_key, ra_cert, &e);
 *	... req->content is the PKCS#10, req->signer the requester ...
 *	b = (struct scep_build){ .type = SCEP_MT_CERTREP, .status = ...,
 *	    .content = degenerate_p7, .recipient = req->signer, ... ,
 *	    .transid = req->transid, .sender_nonce = fresh,
 *	    .recipient_nonce = req->sender_nonce };
 */
#ifndef NETPKI_SCEP_MSG_H
#define NETPKI_SCEP_MSG_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct err;

/* RFC 8894 3.2.1.2 messageType (sent as a decimal PrintableString). */
#define SCEP_MT_CERTREP		3
#define SCEP_MT_RENEWALREQ	17
#define SCEP_MT_PKCSREQ		19
#define SCEP_MT_CERTPOLL	20	/* "GetCertInitial" in older drafts */
#define SCEP_MT_GETCERT		21
#define SCEP_MT_GETCRL		22

/* RFC 8894 3.2.1.3 pkiStatus. */
#define SCEP_STATUS_SUCCESS	0
#define SCEP_STATUS_FAILURE	2
#define SCEP_STATUS_PENDING	3

/* RFC 8894 3.2.1.4 failInfo. */
#define SCEP_FAIL_BADALG	0
#define SCEP_FAIL_BADMESSAGECHECK 1
#define SCEP_FAIL_BADREQUEST	2
#define SCEP_FAIL_BADTIME	3
#define SCEP_FAIL_BADCERTID	4

/* Content-encryption algorithms we build with; never single DES. */
#define SCEP_CIPHER_AES128	0	/* AES-128-CBC, the RFC 8894 default */
#define SCEP_CIPHER_AES256	1	/* AES-256-CBC */
#define SCEP_CIPHER_3DES	2	/* DES-EDE3-CBC, for pre-AES servers */

#define SCEP_NONCE_LEN		16
#define SCEP_TRANSID_MAX	128	/* longest transactionID we accept */
#define SCEP_FAILTEXT_MAX	512	/* longest failInfoText we keep */
/* Largest pkiMessage we parse (the HTTP layers cap lower). */
#define SCEP_MSG_MAX		(1024u * 1024)
#define SCEP_MAXCERTS		32	/* certificates in a message or reply */

/* A parsed, signature-checked and decrypted pkiMessage. */
struct scep_msg {
	int		 type;		/* SCEP_MT_* */
	int		 status;	/* SCEP_STATUS_*; -1 when absent */
	int		 failinfo;	/* SCEP_FAIL_*; -1 when absent */
	char		*failinfo_text;	/* RFC 8894 failInfoText, or NULL */
	char		 transid[SCEP_TRANSID_MAX + 1];
	int		 has_sender_nonce;
	unsigned char	 sender_nonce[SCEP_NONCE_LEN];
	int		 has_recipient_nonce;
	unsigned char	 recipient_nonce[SCEP_NONCE_LEN];
	X509		*signer;	/* the certificate that signed it */
	char		 md[16];	/* signature digest: "SHA256", "SHA1" */
	/*
	 * The decrypted pkcsPKIEnvelope content (DER): the PKCS#10 for
	 * PKCSReq/RenewalReq, IssuerAndSubject for CertPoll,
	 * IssuerAndSerialNumber for GetCert/GetCRL, the degenerate PKCS#7
	 * for CertRep SUCCESS.  NULL when there is no envelope.
	 */
	unsigned char	*content;
	size_t		 content_len;
	char		 cipher[32];	/* envelope cipher ("AES-128-CBC"), or "" */
	/*
	 * Set when the envelope used a cipher only OpenSSL's legacy
	 * provider has (single DES: micromdm's replies).  The caller
	 * should warn; cipher names it.
	 */
	int		 weak_cipher;
	int		 encrypted;	/* content is still the envelope */
	/* CertRep SUCCESS: what the degenerate PKCS#7 holds. */
	STACK_OF(X509)	*certs;		/* may be empty, never NULL then */
	X509_CRL	*crl;		/* GetCRL reply, or NULL */
};

/* What to build.  Fields a message type does not use are ignored. */
struct scep_build {
	int			 type;		/* SCEP_MT_* */
	/* Inner DER to encrypt; NULL for CertRep PENDING/FAILURE. */
	const unsigned char	*content;
	size_t			 content_len;
	X509			*recipient;	/* envelope is encrypted for it */
	int			 cipher;	/* SCEP_CIPHER_* */
	X509			*signer;
	EVP_PKEY		*signer_key;
	const char		*md;		/* "SHA256" (default), "SHA1", "SHA512" */
	const char		*transid;
	const unsigned char	*sender_nonce;	/* SCEP_NONCE_LEN bytes */
	const unsigned char	*recipient_nonce; /* CertRep; NULL to omit */
	int			 status;	/* CertRep: SCEP_STATUS_* */
	int			 failinfo;	/* CertRep FAILURE: SCEP_FAIL_* */
	const char		*failinfo_text;	/* CertRep FAILURE, or NULL */
	/* Extra certificates for the SignedData (RA/CA chain), or NULL. */
	STACK_OF(X509)		*extra_certs;
};

/*
 * Build a pkiMessage.  *out (DER, caller frees with free()) and *outlen
 * on success.
 */
int		 scep_msg_build(unsigned char **, size_t *,
		    const struct scep_build *, struct err *);

/*
 * Parse and check a pkiMessage: DER only, no trailing data, at most
 * SCEP_MSG_MAX bytes, exactly one signer, only known signed attributes
 * and none twice, the SCEP attributes well formed for the message type.
 *
 * trusted: when not NULL, the signer must be one of these certificates
 * (the CA or RA certificates of a client's trustpoint); its signature is
 * checked directly against that certificate, without key-usage or
 * purpose checks (micromdm's CA lacks digitalSignature).  When NULL (the
 * server), the signer certificate must be in the message and the
 * signature must verify with it; authorising that signer is the
 * caller's job.
 *
 * key, cert: decrypt the envelope (the recipient's key and certificate).
 * When key is NULL the envelope is not decrypted: content holds the
 * EnvelopedData DER and encrypted is set, for scep_msg_decrypt() (a
 * server answers FAILURE badMessageCheck when that fails, which needs the
 * already checked attributes).  A single-DES envelope sets weak_cipher;
 * with our certificate and an RSA key it is read as DES-EDE3-CBC with
 * one key three times (the default provider), otherwise (and for RC2) in
 * a private library context that loads the legacy provider.
 *
 * *out is a new message the caller frees with scep_msg_free().
 * Errors: ERR_TOOBIG, ERR_PROTO (malformed or a rule broken),
 * ERR_REFUSED (signature or signer not trusted), ERR_CRYPTO (decryption).
 */
int		 scep_msg_parse(struct scep_msg **, const unsigned char *,
		    size_t, STACK_OF(X509) *, EVP_PKEY *, X509 *,
		    struct err *);
void		 scep_msg_free(struct scep_msg *);
/*
 * Decrypt the envelope of a message parsed with a NULL key, in place
 * (content, cipher, weak_cipher; certs/crl for CertRep SUCCESS).
 */
int		 scep_msg_decrypt(struct scep_msg *, EVP_PKEY *, X509 *,
		    struct err *);

/*
 * A client's checks on a CertRep: messageType CertRep, the transactionID
 * it sent, recipientNonce equal to the senderNonce it sent, a status,
 * and for SUCCESS a decrypted envelope.  0 or ERR_PROTO with a message
 * citing the rule.
 */
int		 scep_msg_check_reply(const struct scep_msg *, const char *,
		    const unsigned char *, struct err *);

/*
 * The degenerate (certificates-only) PKCS#7 SignedData of a CertRep
 * SUCCESS: certs and/or crl (either may be NULL).  *out: DER, free().
 */
int		 scep_degenerate_build(unsigned char **, size_t *,
		    STACK_OF(X509) *, X509_CRL *, struct err *);

/* RFC 8894 3.2.1.1: hex SHA-256 of the DER SubjectPublicKeyInfo. */
int		 scep_transid(char *, size_t, EVP_PKEY *, struct err *);
/*
 * The same from an encoded public key (a request's): no OpenSSL 3.0
 * encoder to build, which costs about a million instructions.
 */
int		 scep_transid_spki(char *, size_t, const X509_PUBKEY *,
		    struct err *);
/* SCEP_NONCE_LEN random bytes. */
int		 scep_nonce(unsigned char *, struct err *);

/*
 * The throwaway self-signed certificate a client signs its requests
 * with (RFC 8894 2.3): subject as given (CN=SCEP client when NULL),
 * valid from five minutes ago for days days, signed with SHA-256.
 */
int		 scep_signer_selfsigned(X509 **, EVP_PKEY *,
		    const X509_NAME *, int, struct err *);

/*
 * Inner contents of CertPoll (IssuerAndSubject, RFC 8894 3.3.3) and
 * GetCert/GetCRL (IssuerAndSerialNumber, 3.3.4/3.3.5).  *out: DER, free().
 */
int		 scep_issuer_and_subject(unsigned char **, size_t *,
		    const X509_NAME *, const X509_NAME *, struct err *);
int		 scep_issuer_and_serial(unsigned char **, size_t *,
		    const X509_NAME *, const ASN1_INTEGER *, struct err *);
/* Decoders for the server; *issuer etc. are new objects the caller frees. */
int		 scep_issuer_and_subject_parse(X509_NAME **, X509_NAME **,
		    const unsigned char *, size_t, struct err *);
int		 scep_issuer_and_serial_parse(X509_NAME **, ASN1_INTEGER **,
		    const unsigned char *, size_t, struct err *);

/* Names for logs and messages: "PKCSReq", "SUCCESS", "badAlg". */
const char	*scep_msgtype_name(int);
const char	*scep_status_name(int);
const char	*scep_failinfo_name(int);

#endif
