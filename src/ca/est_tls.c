/*
 * est_tls: the TLS server certificate netpki-ca issues to itself for its
 * EST listener when serve has no --tls-cert (est_server.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "clock.h"
#include "err.h"
#include "est_server.h"
#include "store.h"

/*
 * The reusable certificate: naming name, not due for renewal, and issued
 * by a generation of this CA (after a rollover the earlier one's stays
 * until due: clients that have not learned the new CA yet verify it).
 */
static int
est_tls_reusable(X509 *x, const struct ca *ca, const char *name)
{
	const struct ca	*g;
	char		 cn[256];
	time_t		 t = clock_now() + EST_TLS_RENEW;
	int		 ok = 0;

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) <= 0 || strcmp(cn, name) != 0 ||
	    X509_cmp_time(X509_get0_notAfter(x), &t) <= 0)
		goto out;
	for (g = ca; g != NULL && !ok; g = g->next)
		ok = g->in_db && X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(g->cert)) == 0 &&
		    X509_verify(x, X509_get0_pubkey(g->cert)) == 1;
 out:
	ERR_clear_error();
	return ok;
}

/* Read DIR/est-tls.crt and .key as PEM text; 0 when reusable. */
static int
est_tls_read(char **cert, char **key, const struct ca *ca, const char *name)
{
	char		 path[4096];
	size_t		 len;
	BIO		*b;
	X509		*x = NULL;
	struct err	 e;
	int		 ok = 0;

	if (ca_path(path, sizeof(path), ca, EST_TLS_FILE ".crt") != 0 ||
	    store_file_read(path, cert, &len, 256 * 1024, &e) != 0)
		return -1;
	if ((b = BIO_new_mem_buf(*cert, (int)len)) != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		ok = est_tls_reusable(x, ca, name);
	X509_free(x);
	BIO_free(b);
	if (ok && ca_path(path, sizeof(path), ca, EST_TLS_FILE ".key") == 0 &&
	    store_file_read(path, key, &len, 64 * 1024, &e) == 0)
		return 0;
	free(*cert);
	*cert = NULL;
	return -1;
}

/* The request's subjectAltName: the name, an IP address or a DNS name. */
static int
est_tls_san(X509_REQ *req, const char *name)
{
	STACK_OF(X509_EXTENSION)	*sk;
	X509_EXTENSION			*x = NULL;
	ASN1_OCTET_STRING		*ip;
	char				 v[300];
	int				 ok;

	ip = a2i_IPADDRESS(name);
	snprintf(v, sizeof(v), "%s:%s", ip != NULL ? "IP" : "DNS", name);
	ASN1_OCTET_STRING_free(ip);
	if ((sk = sk_X509_EXTENSION_new_null()) == NULL)
		return 0;
	if ((x = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, v)) ==
	    NULL || !sk_X509_EXTENSION_push(sk, x)) {
		X509_EXTENSION_free(x);
		sk_X509_EXTENSION_free(sk);
		return 0;
	}
	ok = X509_REQ_add_extensions(req, sk);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	return ok;
}

/* A new P-256 key and its request for CN=name. */
static int
est_tls_request(X509_REQ **out, EVP_PKEY **pk, const char *name,
    struct err *e)
{
	X509_REQ	*req = NULL;
	X509_NAME	*n = NULL;
	int		 rc = 0;

	if ((*pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (req = X509_REQ_new()) == NULL || (n = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, n) ||
	    !X509_REQ_set_pubkey(req, *pk) || !est_tls_san(req, name) ||
	    X509_REQ_sign(req, *pk, EVP_sha256()) <= 0) {
		rc = err_openssl(e, ERR_CRYPTO, "EST TLS key and request");
		X509_REQ_free(req);
		req = NULL;
	}
	X509_NAME_free(n);
	*out = req;
	return rc;
}

int
est_tls_self(char **cert, char **key, const struct ca *ca,
    struct db *db, const char *name, const struct issue_opts *io,
    struct err *e)
{
	struct issue_opts	 o = *io;
	const struct ca		*cur, *next;
	X509_REQ		*req = NULL;
	EVP_PKEY		*pk = NULL;
	X509			*x = NULL;
	int			 rc;

	*cert = *key = NULL;
	if (est_tls_read(cert, key, ca, name) == 0)
		return 0;
	/* Issued as sign-csr issues: the administrator's own request. */
	o.trusted = 1;
	o.group = NULL;
	if ((rc = ca_gens_now(&cur, &next, ca, db, clock_now(), e)) != 0 ||
	    (rc = est_tls_request(&req, &pk, name, e)) != 0 ||
	    (rc = issue_cert(&x, cur, db, req, NULL, NULL, &o, e)) != 0 ||
	    (rc = ca_write_pair(ca->dir, EST_TLS_FILE, pk, x, e)) != 0)
		goto out;
	if (est_tls_read(cert, key, ca, name) != 0)
		rc = err_set(e, ERR_IO, "%s/" EST_TLS_FILE ".crt: cannot read "
		    "it back", ca->dir);
 out:
	X509_free(x);
	EVP_PKEY_free(pk);
	X509_REQ_free(req);
	return rc;
}
