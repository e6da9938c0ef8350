/*
 * scepreq: a small SCEP client for netpki-ca's tests and benchmark, built
 * on the shared scep_msg module.  It sends what scepclient cannot
 * (CertPoll, GetCert, GetCRL, GET PKIOperation, RenewalReq) and, for
 * bench/ca-throughput, pre-generates requests and posts them
 * concurrently with client crypto out of the timing.
 *
 *   scepreq enroll  URL --key K --cn CN [--challenge PW] [--out CERT]
 *                   [--get] [--cipher aes|aes256|3des] [--renew-cert C]
 *                   [--transid TID] [--ext NAME=VALUE]...
 *                   [--subject /A=v/B=w (instead of --cn's name)]
 *                   [--ca FILE (CA certificates instead of GetCACert's)]
 *   scepreq poll    URL --key K --cn CN [--out CERT]
 *   scepreq getcert URL --key K --serial HEX [--out CERT]
 *   scepreq getcrl  URL --key K [--out CRL]
 *   scepreq gen     URL DIR N [--challenge PW]
 *   scepreq load    URL DIR CONNS
 *
 * Exit: 0 SUCCESS, 3 PENDING, 4 FAILURE (failInfo printed), 1 error.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "err.h"
#include "fetch.h"
#include "scep_msg.h"
#include "store.h"

struct args {
	const char	*url, *key, *cn, *challenge, *out, *serial;
	const char	*renew_cert, *renew_key, *keydir;
	const char	*transid;	/* --transid: instead of the key's */
	const char	*ext[8];	/* --ext NAME=VALUE (openssl req style) */
	int		 next;
	int		 get, cipher;
};

struct ca_info {
	STACK_OF(X509)	*certs;		/* everything GetCACert gave */
	X509		*ca;		/* the issuer */
	X509		*enc;		/* encrypt requests for this */
};

static void	die(const struct err *, const char *) __attribute__((noreturn));

static void
die(const struct err *e, const char *what)
{
	fprintf(stderr, "scepreq: %s: %s\n", what, e->msg);
	exit(1);
}

/* --ca FILE: these CA certificates instead of GetCACert's (rollover). */
static const char *the_cafile;

static void
ca_fetch(struct ca_info *ci, const char *url)
{
	struct fetch_result	 r;
	struct err		 e;
	char			 u[2048];
	int			 i;

	memset(ci, 0, sizeof(*ci));
	memset(&r, 0, sizeof(r));
	if (the_cafile != NULL) {
		if (store_file_read(the_cafile, &r.body, &r.len, 1 << 20,
		    &e) != 0)
			die(&e, "--ca");
		r.status = 200;
		goto parse;
	}
	snprintf(u, sizeof(u), "%s?operation=GetCACert", url);
	if (fetch_get(&r, u, NULL, &e) != 0)
		die(&e, "GetCACert");
	if (r.status != 200) {
		fprintf(stderr, "scepreq: GetCACert: HTTP %ld\n", r.status);
		exit(1);
	}
 parse:
	if (cert_parse_any(&ci->certs, (unsigned char *)r.body, r.len, 16,
	    &e) != 0)
		die(&e, "GetCACert");
	fetch_result_free(&r);
	for (i = 0; i < sk_X509_num(ci->certs); i++) {
		X509	*x = sk_X509_value(ci->certs, i);

		if (cert_is_ca(x) && ci->ca == NULL)
			ci->ca = x;
		else if (!cert_is_ca(x) && (X509_get_key_usage(x) &
		    KU_KEY_ENCIPHERMENT))
			ci->enc = x;
	}
	if (ci->ca == NULL)
		ci->ca = sk_X509_value(ci->certs, 0);
	if (ci->enc == NULL)
		ci->enc = ci->ca;
}

#define LOAD_MAX	100000	/* messages per load run */

static int	 use_ec;	/* --ec: new keys are P-256 (fast to make) */

static EVP_PKEY *
key_load(const char *path, int create)
{
	EVP_PKEY	*k = NULL;
	FILE		*f;

	if ((f = fopen(path, "r")) != NULL) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	} else if (create) {
		k = use_ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
		    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (k != NULL && (f = fopen(path, "w")) != NULL) {
			chmod(path, 0600);
			PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
			fclose(f);
		}
	}
	if (k == NULL) {
		fprintf(stderr, "scepreq: %s: no key\n", path);
		exit(1);
	}
	return k;
}

static const char *the_subject;	/* --subject /A=v/B=w: instead of CN */

/* "/O=x/CN=y": the attributes in that (ASN.1) order. */
static X509_NAME *
subject_name(const char *dn)
{
	X509_NAME	*n = X509_NAME_new();
	char		*copy = strdup(dn), *a, *v, *save = NULL;

	if (n == NULL || copy == NULL) {
		fprintf(stderr, "scepreq: out of memory\n");
		exit(1);
	}
	for (a = strtok_r(copy, "/", &save); a != NULL;
	    a = strtok_r(NULL, "/", &save))
		if ((v = strchr(a, '=')) != NULL) {
			*v++ = '\0';
			X509_NAME_add_entry_by_txt(n, a, MBSTRING_UTF8,
			    (const unsigned char *)v, -1, -1, 0);
		}
	free(copy);
	return n;
}

static X509_NAME *
cn_name(const char *cn)
{
	X509_NAME	*n;

	if (the_subject != NULL)
		return subject_name(the_subject);
	n = X509_NAME_new();

	/* Over 64 characters (a hostile subject): no length check. */
	X509_NAME_add_entry_by_txt(n, "CN", strlen(cn) > 64 ?
	    V_ASN1_UTF8STRING : MBSTRING_UTF8, (const unsigned char *)cn, -1,
	    -1, 0);
	return n;
}

/* --ext NAME=VALUE: requested extensions (hostile requests). */
static void
add_exts(X509_REQ *req, const char *const *ext, int n)
{
	STACK_OF(X509_EXTENSION)	*sk = sk_X509_EXTENSION_new_null();
	X509_EXTENSION			*x;
	char				 name[64];
	const char			*eq;
	int				 i;

	for (i = 0; i < n; i++) {
		if ((eq = strchr(ext[i], '=')) == NULL ||
		    (size_t)(eq - ext[i]) >= sizeof(name)) {
			fprintf(stderr, "scepreq: --ext NAME=VALUE\n");
			exit(2);
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - ext[i]), ext[i]);
		if ((x = X509V3_EXT_nconf(NULL, NULL, name, eq + 1)) == NULL) {
			fprintf(stderr, "scepreq: bad --ext %s\n", ext[i]);
			exit(2);
		}
		sk_X509_EXTENSION_push(sk, x);
	}
	if (n > 0)
		X509_REQ_add_extensions(req, sk);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
}

static const struct args *the_args;	/* make_csr's --ext */

static unsigned char *
make_csr(size_t *len, EVP_PKEY *k, const char *cn, const char *challenge)
{
	X509_REQ	*req = X509_REQ_new();
	X509_NAME	*n = cn_name(cn);
	unsigned char	*der = NULL, *out;
	int		 l;

	X509_REQ_set_subject_name(req, n);
	X509_REQ_set_pubkey(req, k);
	if (the_args != NULL)
		add_exts(req, the_args->ext, the_args->next);
	if (challenge != NULL)
		X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
		    MBSTRING_ASC, (const unsigned char *)challenge, -1);
	if (X509_REQ_sign(req, k, EVP_sha256()) <= 0 ||
	    (l = i2d_X509_REQ(req, &der)) <= 0) {
		fprintf(stderr, "scepreq: cannot make the request\n");
		exit(1);
	}
	out = malloc((size_t)l);
	memcpy(out, der, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_REQ_free(req);
	return out;
}

/* Send a pkiMessage by POST (or GET), return the raw reply. */
static void
send_msg(struct fetch_result *r, const char *url, const unsigned char *der,
    size_t len, int get)
{
	struct fetch_opts	 fo;
	struct err		 e;
	char			*u, *b64, *esc;
	size_t			 ulen;

	memset(&fo, 0, sizeof(fo));
	fo.content_type = "application/x-pki-message";
	/* SCEPREQ_SAVE=FILE keeps the request (fuzz corpus seeds). */
	if (getenv("SCEPREQ_SAVE") != NULL)
		store_file_write(getenv("SCEPREQ_SAVE"), der, len, 0644, &e);
	if (!get) {
		ulen = strlen(url) + 32;
		u = malloc(ulen);
		snprintf(u, ulen, "%s?operation=PKIOperation", url);
		if (fetch_post(r, u, der, len, &fo, &e) != 0)
			die(&e, "PKIOperation");
		free(u);
		return;
	}
	b64 = malloc(len * 2 + 8);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	esc = fetch_escape(b64, strlen(b64));
	ulen = strlen(url) + strlen(esc) + 64;
	u = malloc(ulen);
	snprintf(u, ulen, "%s?operation=PKIOperation&message=%s", url, esc);
	if (fetch_get(r, u, &fo, &e) != 0)
		die(&e, "PKIOperation");
	free(u);
	free(esc);
	free(b64);
}

static int
report(const struct scep_msg *m, const char *out, int want_crl)
{
	FILE	*f;

	switch (m->status) {
	case SCEP_STATUS_PENDING:
		printf("PENDING\n");
		return 3;
	case SCEP_STATUS_FAILURE:
		printf("FAILURE %s: %s\n", scep_failinfo_name(m->failinfo),
		    m->failinfo_text ? m->failinfo_text : "");
		return 4;
	default:
		break;
	}
	if (want_crl) {
		if (m->crl == NULL) {
			fprintf(stderr, "scepreq: SUCCESS without a CRL\n");
			return 1;
		}
		printf("SUCCESS crl entries=%d\n",
		    X509_CRL_get_REVOKED(m->crl) ? sk_X509_REVOKED_num(
		    X509_CRL_get_REVOKED(m->crl)) : 0);
		if (out != NULL && (f = fopen(out, "w")) != NULL) {
			i2d_X509_CRL_fp(f, m->crl);
			fclose(f);
		}
		return 0;
	}
	if (sk_X509_num(m->certs) < 1) {
		fprintf(stderr, "scepreq: SUCCESS without a certificate\n");
		return 1;
	}
	{
		char	*sn = cert_serial_hex(sk_X509_value(m->certs, 0), 0);

		printf("SUCCESS serial=%s\n", sn);
		free(sn);
	}
	if (out != NULL && (f = fopen(out, "w")) != NULL) {
		PEM_write_X509(f, sk_X509_value(m->certs, 0));
		fclose(f);
	}
	return 0;
}

static int
transact(const struct args *a, int type, const unsigned char *inner,
    size_t innerlen, EVP_PKEY *k, X509 *signer, EVP_PKEY *signkey,
    const char *transid)
{
	struct ca_info		 ci;
	struct scep_build	 b;
	struct scep_msg		*m = NULL;
	struct fetch_result	 r;
	unsigned char		 nonce[SCEP_NONCE_LEN], *der;
	size_t			 len;
	struct err		 e;
	int			 rc;

	ca_fetch(&ci, a->url);
	scep_nonce(nonce, &e);
	memset(&b, 0, sizeof(b));
	b.type = type;
	b.content = inner;
	b.content_len = innerlen;
	b.recipient = ci.enc;
	b.cipher = a->cipher;
	b.signer = signer;
	b.signer_key = signkey;
	b.md = "SHA256";
	b.transid = transid;
	b.sender_nonce = nonce;
	if (scep_msg_build(&der, &len, &b, &e) != 0)
		die(&e, "build");
	send_msg(&r, a->url, der, len, a->get);
	if (r.status != 200) {
		printf("HTTP %ld\n", r.status);
		return 1;
	}
	if (scep_msg_parse(&m, (unsigned char *)r.body, r.len, ci.certs, k,
	    signer, &e) != 0)
		die(&e, "CertRep");
	if (scep_msg_check_reply(m, transid, nonce, &e) != 0)
		die(&e, "CertRep");
	if (m->weak_cipher)
		printf("warning: reply encrypted with %s\n", m->cipher);
	rc = report(m, a->out, type == SCEP_MT_GETCRL);
	scep_msg_free(m);
	fetch_result_free(&r);
	free(der);
	sk_X509_pop_free(ci.certs, X509_free);
	return rc;
}

static X509 *
load_cert(const char *path)
{
	FILE	*f = fopen(path, "r");
	X509	*x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (x == NULL) {
		fprintf(stderr, "scepreq: %s: no certificate\n", path);
		exit(1);
	}
	return x;
}

static int
cmd_enroll(const struct args *a, int poll)
{
	EVP_PKEY	*k = key_load(a->key, !poll), *signkey = NULL;
	X509		*signer = NULL;
	X509_NAME	*n = cn_name(a->cn);
	unsigned char	*inner;
	size_t		 len;
	char		 tid[SCEP_TRANSID_MAX + 1];
	struct err	 e;
	struct ca_info	 ci;
	int		 rc, type = SCEP_MT_PKCSREQ;

	scep_transid(tid, sizeof(tid), k, &e);
	if (a->transid != NULL)
		snprintf(tid, sizeof(tid), "%s", a->transid);
	if (poll) {
		ca_fetch(&ci, a->url);
		if (scep_issuer_and_subject(&inner, &len,
		    X509_get_subject_name(ci.ca), n, &e) != 0)
			die(&e, "IssuerAndSubject");
		sk_X509_pop_free(ci.certs, X509_free);
		type = SCEP_MT_CERTPOLL;
	} else
		inner = make_csr(&len, k, a->cn, a->challenge);
	if (a->renew_cert != NULL && !poll) {
		/* RenewalReq: the new key's request, signed by the old pair. */
		signer = load_cert(a->renew_cert);
		signkey = key_load(a->renew_key, 0);
		type = SCEP_MT_RENEWALREQ;
	} else {
		if (scep_signer_selfsigned(&signer, k, n, 1, &e) != 0)
			die(&e, "signer");
		if (EVP_PKEY_up_ref(k) != 1)
			exit(1);
		signkey = k;
	}
	rc = transact(a, type, inner, len, signkey, signer, signkey, tid);
	free(inner);
	X509_free(signer);
	X509_NAME_free(n);
	EVP_PKEY_free(signkey);
	EVP_PKEY_free(k);
	return rc;
}

static int
cmd_getcert(const struct args *a, int crl)
{
	EVP_PKEY	*k = key_load(a->key, 1);
	X509		*signer = NULL;
	X509_NAME	*n = cn_name("scepreq");
	ASN1_INTEGER	*sn;
	BIGNUM		*bn = NULL;
	struct ca_info	 ci;
	unsigned char	*inner;
	size_t		 len;
	char		 tid[SCEP_TRANSID_MAX + 1];
	struct err	 e;
	int		 rc;

	if (BN_hex2bn(&bn, a->serial ? a->serial : "01") == 0) {
		fprintf(stderr, "scepreq: --serial HEX\n");
		return 1;
	}
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	ca_fetch(&ci, a->url);
	if (scep_issuer_and_serial(&inner, &len, X509_get_subject_name(ci.ca),
	    sn, &e) != 0)
		die(&e, "IssuerAndSerialNumber");
	sk_X509_pop_free(ci.certs, X509_free);
	scep_transid(tid, sizeof(tid), k, &e);
	if (scep_signer_selfsigned(&signer, k, n, 1, &e) != 0)
		die(&e, "signer");
	rc = transact(a, crl ? SCEP_MT_GETCRL : SCEP_MT_GETCERT, inner, len,
	    k, signer, k, tid);
	free(inner);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_free(signer);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return rc;
}

struct keygen {
	const char	*keydir;
	EVP_PKEY	**keys;
	int		 n, next;	/* next guarded by mu */
	pthread_mutex_t	 mu;
};

/* Keys are the slow part: make them on two threads, cached in keydir. */
static void *
keygen_worker(void *arg)
{
	struct keygen	*kg = arg;
	char		 path[4096];
	int		 i;

	for (;;) {
		pthread_mutex_lock(&kg->mu);
		i = kg->next++;
		pthread_mutex_unlock(&kg->mu);
		if (i >= kg->n)
			break;
		snprintf(path, sizeof(path), "%s/%05d.pem", kg->keydir, i);
		kg->keys[i] = key_load(path, 1);
	}
	return NULL;
}

/* Pre-generate n PKCSReq messages, each with its own key and transid. */
static int
cmd_gen(const struct args *a, const char *dir, int n)
{
	struct ca_info		 ci;
	struct scep_build	 b;
	struct keygen		 kg;
	struct err		 e;
	pthread_t		 th[2];
	EVP_PKEY		*k;
	X509			*signer;
	X509_NAME		*nm;
	unsigned char		 nonce[SCEP_NONCE_LEN], *csr, *der;
	size_t			 csrlen, len;
	char			 tid[SCEP_TRANSID_MAX + 1], cn[64], path[4096];
	int			 i;

	memset(&kg, 0, sizeof(kg));
	kg.keydir = a->keydir != NULL ? a->keydir : dir;
	kg.n = n;
	kg.keys = calloc((size_t)n, sizeof(EVP_PKEY *));
	pthread_mutex_init(&kg.mu, NULL);
	if (store_mkdirs(kg.keydir, 0700, &e) != 0 ||
	    store_mkdirs(dir, 0700, &e) != 0)
		die(&e, "mkdir");
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, keygen_worker, &kg);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ca_fetch(&ci, a->url);
	for (i = 0; i < n; i++) {
		k = kg.keys[i];
		/* --cn P names the requests P-0, P-1 ...: one set per load. */
		snprintf(cn, sizeof(cn), "%s-%d", a->cn ? a->cn : "bench", i);
		nm = cn_name(cn);
		csr = make_csr(&csrlen, k, cn, a->challenge);
		scep_transid(tid, sizeof(tid), k, &e);
		scep_nonce(nonce, &e);
		if (scep_signer_selfsigned(&signer, k, nm, 1, &e) != 0)
			die(&e, "signer");
		memset(&b, 0, sizeof(b));
		b.type = SCEP_MT_PKCSREQ;
		b.content = csr;
		b.content_len = csrlen;
		b.recipient = ci.enc;
		b.cipher = SCEP_CIPHER_AES128;
		b.signer = signer;
		b.signer_key = k;
		b.md = "SHA256";
		b.transid = tid;
		b.sender_nonce = nonce;
		if (scep_msg_build(&der, &len, &b, &e) != 0)
			die(&e, "build");
		snprintf(path, sizeof(path), "%s/%05d.der", dir, i);
		if (store_file_write(path, der, len, 0644, &e) != 0)
			die(&e, "write");
		free(der);
		free(csr);
		X509_free(signer);
		X509_NAME_free(nm);
		EVP_PKEY_free(k);
	}
	free(kg.keys);
	sk_X509_pop_free(ci.certs, X509_free);
	return 0;
}

/*
 * The load run keeps client crypto and file I/O out of the timing: every
 * message is read before the clock starts, each reply is kept in memory,
 * and the replies' signatures and statuses are checked once the clock
 * has stopped.
 */
struct load_buf {
	char	*p;
	size_t	 len, cap;
};

struct load_item {
	char		*msg;
	size_t		 msglen;
	struct load_buf	 reply;
	long		 status;	/* HTTP status, 0: no answer */
	double		 ms;		/* its exchange took */
};

struct load {
	const char		*url;
	struct load_item	*items;
	int			 nitems;
	int			 next;		/* guarded by mu */
	pthread_mutex_t		 mu;
};

static size_t
load_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct load_buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n > SCEP_MSG_MAX)
		return 0;
	if (b->len + n > b->cap) {
		char	*np = realloc(b->p, b->len + n);

		if (np == NULL)
			return 0;
		b->p = np;
		b->cap = b->len + n;
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	return n;
}

/*
 * One connection: a libcurl handle kept open (HTTP keep-alive), so the
 * run measures the server, not connection set-up.
 */
static void *
load_worker(void *arg)
{
	struct load		*l = arg;
	struct load_item	*it;
	struct curl_slist	*hdr = NULL;
	CURL			*c;
	struct timespec		 t0, t1;
	char			 u[2048];
	int			 i;

	snprintf(u, sizeof(u), "%s?operation=PKIOperation", l->url);
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	hdr = curl_slist_append(hdr, "Content-Type: application/x-pki-message");
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, load_write);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	for (;;) {
		pthread_mutex_lock(&l->mu);
		i = l->next++;
		pthread_mutex_unlock(&l->mu);
		if (i >= l->nitems)
			break;
		it = &l->items[i];
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &it->reply);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->msg);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->msglen);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &it->status) !=
		    CURLE_OK)
			it->status = 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		it->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return NULL;
}

/* Signature and status only: no decryption. */
static int
load_issued(const struct load_item *it, STACK_OF(X509) *trusted)
{
	struct scep_msg	*m;
	struct err	 e;
	int		 good;

	if (it->status != 200 || scep_msg_parse(&m,
	    (unsigned char *)it->reply.p, it->reply.len, trusted, NULL, NULL,
	    &e) != 0)
		return 0;
	good = m->status == SCEP_STATUS_SUCCESS;
	scep_msg_free(m);
	return good;
}

static void
load_read(struct load *l, const char *dir)
{
	struct err	 e;
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];
	int		 cap = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "scepreq: %s: cannot open\n", dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL && l->nitems < LOAD_MAX) {
		if (strstr(de->d_name, ".der") == NULL)
			continue;
		if (l->nitems == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			l->items = realloc(l->items, (size_t)cap *
			    sizeof(*l->items));
			if (l->items == NULL) {
				fprintf(stderr, "scepreq: out of memory\n");
				exit(1);
			}
		}
		memset(&l->items[l->nitems], 0, sizeof(l->items[0]));
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (store_file_read(path, &l->items[l->nitems].msg,
		    &l->items[l->nitems].msglen, 0, &e) != 0)
			die(&e, "read");
		l->nitems++;
	}
	closedir(d);
}

static double
tv_secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static int
load_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of the exchanges' times (nearest rank). */
static double
load_pct(const struct load *l, double *v, int p)
{
	int	 i;

	if (l->nitems == 0)
		return 0;
	for (i = 0; i < l->nitems; i++)
		v[i] = l->items[i].ms;
	qsort(v, (size_t)l->nitems, sizeof(*v), load_cmp);
	i = (l->nitems * p + 99) / 100;
	return v[i > 0 ? i - 1 : 0];
}

static int
cmd_load(const struct args *a, const char *dir, int conns)
{
	struct load	 l;
	struct ca_info	 ci;
	struct timespec	 t0, t1;
	struct rusage	 u0, u1;
	pthread_t	 th[64];
	double		 secs, cpu, *v, p50, p99;
	int		 i, ok = 0;

	memset(&l, 0, sizeof(l));
	l.url = a->url;
	pthread_mutex_init(&l.mu, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ca_fetch(&ci, a->url);
	load_read(&l, dir);
	if (conns < 1 || conns > 64)
		conns = 1;
	getrusage(RUSAGE_SELF, &u0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, load_worker, &l);
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &u1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* The client's own share of the machine while it was timed. */
	cpu = tv_secs(&u1.ru_utime) - tv_secs(&u0.ru_utime) +
	    tv_secs(&u1.ru_stime) - tv_secs(&u0.ru_stime);
	if ((v = calloc((size_t)l.nitems + 1, sizeof(*v))) == NULL) {
		fprintf(stderr, "scepreq: out of memory\n");
		exit(1);
	}
	p50 = load_pct(&l, v, 50);
	p99 = load_pct(&l, v, 99);
	free(v);
	for (i = 0; i < l.nitems; i++) {
		ok += load_issued(&l.items[i], ci.certs);
		free(l.items[i].msg);
		free(l.items[i].reply.p);
	}
	printf("conns=%d requests=%d issued=%d failed=%d seconds=%.3f "
	    "rate=%.1f client_cpu_ms=%.3f p50_ms=%.2f p99_ms=%.2f\n", conns,
	    l.nitems, ok, l.nitems - ok, secs, (double)ok / secs,
	    l.nitems > 0 ? cpu * 1000 / l.nitems : 0.0, p50, p99);
	free(l.items);
	sk_X509_pop_free(ci.certs, X509_free);
	return ok != l.nitems ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: scepreq enroll|poll|getcert|getcrl URL "
	    "[options]; scepreq gen URL DIR N; scepreq load URL DIR CONNS\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct args	 a;
	const char	*cmd, *pos[3] = { NULL, NULL, NULL };
	int		 i, np = 0;

	if (argc < 3)
		usage();
	memset(&a, 0, sizeof(a));
	cmd = argv[1];
	a.url = argv[2];
	a.cn = "scepreq";
	for (i = 3; i < argc; i++) {
		const char	*o = argv[i];

		if (o[0] != '-') {
			if (np < 3)
				pos[np++] = o;
			continue;
		}
		if (strcmp(o, "--get") == 0) {
			a.get = 1;
			continue;
		}
		if (strcmp(o, "--ec") == 0) {
			use_ec = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(o, "--key") == 0)
			a.key = argv[++i];
		else if (strcmp(o, "--cn") == 0)
			a.cn = argv[++i];
		else if (strcmp(o, "--challenge") == 0)
			a.challenge = argv[++i];
		else if (strcmp(o, "--out") == 0)
			a.out = argv[++i];
		else if (strcmp(o, "--serial") == 0)
			a.serial = argv[++i];
		else if (strcmp(o, "--renew-cert") == 0)
			a.renew_cert = argv[++i];
		else if (strcmp(o, "--keys") == 0)
			a.keydir = argv[++i];
		else if (strcmp(o, "--renew-key") == 0)
			a.renew_key = argv[++i];
		else if (strcmp(o, "--transid") == 0)
			a.transid = argv[++i];
		else if (strcmp(o, "--subject") == 0)
			the_subject = argv[++i];
		else if (strcmp(o, "--ca") == 0)
			the_cafile = argv[++i];
		else if (strcmp(o, "--ext") == 0 && a.next < 8)
			a.ext[a.next++] = argv[++i];
		else if (strcmp(o, "--cipher") == 0) {
			i++;
			a.cipher = strcmp(argv[i], "3des") == 0 ?
			    SCEP_CIPHER_3DES : strcmp(argv[i], "aes256") == 0 ?
			    SCEP_CIPHER_AES256 : SCEP_CIPHER_AES128;
		} else
			usage();
	}
	the_args = &a;
	if (strcmp(cmd, "gen") == 0 && pos[0] && pos[1])
		return cmd_gen(&a, pos[0], atoi(pos[1]));
	if (strcmp(cmd, "load") == 0 && pos[0] && pos[1])
		return cmd_load(&a, pos[0], atoi(pos[1]));
	if (a.key == NULL)
		usage();
	if (strcmp(cmd, "enroll") == 0)
		return cmd_enroll(&a, 0);
	if (strcmp(cmd, "poll") == 0)
		return cmd_enroll(&a, 1);
	if (strcmp(cmd, "getcert") == 0)
		return cmd_getcert(&a, 0);
	if (strcmp(cmd, "getcrl") == 0)
		return cmd_getcert(&a, 1);
	usage();
	return 2;
}
