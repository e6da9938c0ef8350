/*
 * enroll_est: EST (RFC 7030) behind the enrollment engine's protocol
 * interface (enroll.h).  Once per run: the TLS client certificate (the
 * router certificate for simplereenroll, else the enrollment credential's)
 * and, before the first request, /csrattrs.  A request is built on the
 * connection that carries it (its challengePassword is that connection's
 * tls-unique when a password is used, RFC 7030 3.5), posted to
 * /simpleenroll or /simplereenroll; a 202 is pending, polled by sending
 * the request again (RFC 7030 4.2.3) on the trustpoint's retry schedule.
 * The exchange itself is est_client.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "clock.h"
#include "enroll.h"
#include "err.h"
#include "est_client.h"
#include "keystore.h"
#include "scep_msg.h"
#include "store.h"
#include "tp_rollover.h"
#include "trustpoint.h"

#define ENROLL_EST_SIGNERDAYS	30	/* the pending record's signer */

struct enroll_est_run {
	struct est_conn		 conn;
	struct est_csrattrs	 attrs;
	int			 attrs_done;
	int			 renew_only;
	const char		*op;		/* simpleenroll, simplereenroll */
	X509			*cert;		/* TLS client certificate */
	EVP_PKEY		*key;
	STACK_OF(X509)		*chain;
};

/* One request: what the body callback needs. */
struct enroll_est_req {
	struct enroll		*en;
	struct enroll_job	*job;
};

static int
enroll_est_check(struct enroll *en, struct err *e)
{
	const struct trustpoint	*tp = en->tp;

	if (strncasecmp(tp->url, "https://", 8) != 0)
		return err_set(e, ERR_INVAL, "Trustpoint %s: EST needs an "
		    "https:// enrollment url (RFC 7030 3.3)", tp->name);
	if (tp->est_label != NULL && !est_label_ok(tp->est_label))
		return err_set(e, ERR_INVAL, "Trustpoint %s: est-label must be "
		    "1-%d letters, digits, '.', '_', '~' or '-'", tp->name,
		    EST_LABELMAX);
	return 0;
}

static void
enroll_est_close(struct enroll *en)
{
	struct enroll_est_run	*r = en->pstate;

	if (r == NULL)
		return;
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
	sk_X509_pop_free(r->chain, X509_free);
	free(r);
	en->pstate = NULL;
}

/* A router certificate usable as TLS client certificate, with its key. */
static int
enroll_est_client(struct enroll_est_run *r, struct store *st,
    const char *keylabel, const struct tp_certs *tc, struct err *e)
{
	enum tp_kind	 k = tc->dev[TP_KIND_GENERAL] ? TP_KIND_GENERAL :
			    TP_KIND_SIGN;
	X509		*x = tc->dev[k];
	int		 rc;

	if (x == NULL || tp_cert_state(st, keylabel, k, x, tc->ca,
	    clock_now()) != TP_CERT_AVAILABLE)
		return ERR_NOTFOUND;
	if ((rc = keystore_load(&r->key, st, keylabel, tp_keystore_kind(k),
	    e)) != 0)
		return rc;
	if (!X509_up_ref(x))
		return err_nomem(e);
	r->cert = x;
	if (tc->chain != NULL && (r->chain = X509_chain_up_ref(tc->chain)) ==
	    NULL)
		return err_nomem(e);
	return 0;
}

/* The enrollment credential: another trustpoint's router certificate. */
static int
enroll_est_cred(struct enroll *en, struct enroll_est_run *r, struct err *e)
{
	struct tp_certs	 tc;
	int		 rc;

	if ((rc = tp_certs_load(&tc, en->st, en->tp->est_cred, e)) != 0)
		return rc;
	rc = enroll_est_client(r, en->st, en->tp->est_cred_key, &tc, e);
	tp_certs_clear(&tc);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "enrollment credential %s has "
		    "no valid router certificate with its key pair",
		    en->tp->est_cred);
	return rc;
}

static int
enroll_est_open(struct enroll *en, struct err *e)
{
	struct enroll_est_run	*r;
	int			 rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_nomem(e);
	en->pstate = r;
	r->renew_only = en->proto == &enroll_est_renew;
	r->conn.base = en->tp->url;
	r->conn.label = en->tp->est_label;
	r->conn.fo = en->fo;
	r->conn.user = en->tp->est_user;
	r->op = "simpleenroll";
	/* RFC 7030 4.2.2: re-enrollment is authenticated by the certificate. */
	rc = enroll_est_client(r, en->st, en->tp->keylabel, en->certs, e);
	if (rc == 0)
		r->op = "simplereenroll";
	else if (rc != ERR_NOTFOUND)
		return rc;
	else if (r->renew_only)
		return err_set(e, ERR_NOTFOUND, "no valid router certificate "
		    "to re-enroll with");
	else if (en->tp->est_cred != NULL &&
	    (rc = enroll_est_cred(en, r, e)) != 0)
		return rc;
	r->conn.cert = r->cert;
	r->conn.key = r->key;
	r->conn.chain = r->chain;
	return 0;
}

/* RSA, or EC on a NIST curve: EST returns the certificate in the clear. */
static int
enroll_est_key_ok(struct enroll *en, EVP_PKEY *key, struct err *e)
{
	char	 curve[64];

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return 0;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(key, curve, sizeof(curve), NULL) == 1 &&
	    (strcmp(curve, "prime256v1") == 0 ||
	    strcmp(curve, "secp384r1") == 0 || strcmp(curve, "secp521r1") == 0))
		return 0;
	return err_set(e, ERR_INVAL, "Key pair %s is neither RSA nor ECDSA on "
	    "P-256, P-384 or P-521", en->tp->keylabel);
}

/* "nistp256 or nistp384": the curves of a set of EST_CURVE_* bits. */
static const char *
enroll_est_curves(char *buf, size_t sz, unsigned set)
{
	static const char	*names[] = { "nistp256", "nistp384", "nistp521" };
	size_t			 i;
	int			 n = 0;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		if (set & (1u << i))
			n += snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s",
			    n ? " or " : "", names[i]) > 0;
	return buf;
}

/*
 * What /csrattrs asks of the key pair (RFC 7030 4.5.2).  Its key
 * attribute constrains keys of that type: an ECDSA key pair on a curve
 * it does not list is refused before anything is sent.  A key pair of
 * another type goes, and the server decides: netpki-ca, like others,
 * lists the curves it takes for ECDSA and takes RSA as well.
 */
static int
enroll_est_attrs_key(struct enroll *en, const struct est_csrattrs *a,
    EVP_PKEY *key, struct err *e)
{
	char		 curve[64], want[64], have[64], first[64];
	unsigned	 bit = 0;

	if (a->key_nid != NID_X9_62_id_ecPublicKey || a->curves == 0 ||
	    EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return 0;
	if (EVP_PKEY_get_group_name(key, curve, sizeof(curve), NULL) == 1)
		bit = est_curve_bit(OBJ_sn2nid(curve));
	if ((a->curves & bit) != 0)
		return 0;
	return err_set(e, ERR_REFUSED, "Trustpoint %s: the EST server takes "
	    "ECDSA keys on %s only (csrattrs, RFC 7030 4.5.2); key pair %s is "
	    "on %s: generate one with 'crypto key generate ecdsa %s LABEL' "
	    "and name it with 'rsakeypair LABEL'", en->tp->name,
	    enroll_est_curves(want, sizeof(want), a->curves), en->tp->keylabel,
	    bit ? enroll_est_curves(have, sizeof(have), bit) : curve,
	    enroll_est_curves(first, sizeof(first), a->curves & -a->curves));
}

/* Once per run, before the first request: GET /csrattrs, honoured. */
static int
enroll_est_attrs(struct enroll *en, struct enroll_est_run *r,
    EVP_PKEY *key, struct err *e)
{
	int	 rc;

	if (!r->attrs_done) {
		if ((rc = est_csrattrs(&r->attrs, &r->conn, e)) != 0)
			return rc;
		r->attrs_done = 1;
		en->req_md = r->attrs.md_nid == NID_sha384 ? EVP_sha384() :
		    r->attrs.md_nid == NID_sha512 ? EVP_sha512() : NULL;
	}
	return key != NULL ? enroll_est_attrs_key(en, &r->attrs, key, e) : 0;
}

/*
 * The request, on the connection that carries it: its challengePassword
 * is the connection's channel binding when a password authenticates the
 * device (tls-unique: the password holds TLS at 1.2, RFC 7030 3.5) or
 * the server asks for it in csrattrs (tls-unique, or on TLS 1.3 the
 * tls-exporter of RFC 9266); otherwise none.
 */
static int
enroll_est_csr(void *arg, SSL *ssl, X509_REQ **req, struct err *e)
{
	struct enroll_est_req	*q = arg;
	struct enroll_est_run	*r = q->en->pstate;
	struct enroll_job	*job = q->job;
	char			 tu[EST_TLSUNIQUE_B64];
	int			 rc, bind;

	tu[0] = '\0';
	bind = r->conn.user != NULL || r->attrs.challenge;
	if (bind && (rc = est_channel_binding(tu, sizeof(tu), ssl, e)) != 0)
		return rc;
	/*
	 * An unbound request is sent again byte for byte (RFC 7030 4.2.3):
	 * an ECDSA signature differs each time, and the server finds its
	 * pending request by the bytes.
	 */
	if (!bind && job->pstate != NULL)
		*req = X509_REQ_dup(job->pstate);
	else if ((rc = enroll_csr(req, q->en, job->key, job->kind,
	    job->usage, bind ? tu : NULL, e)) != 0)
		return rc;
	if (*req == NULL)
		return err_nomem(e);
	if (!bind && job->pstate == NULL &&
	    (job->pstate = X509_REQ_dup(*req)) == NULL)
		return err_nomem(e);
	X509_REQ_free(job->req);
	if ((job->req = X509_REQ_dup(*req)) == NULL)
		return err_nomem(e);
	return 0;
}

/*
 * After the CA's switch-over the certificate comes from the next CA: the
 * one kept (tp_rollover.h), else the one /cacerts offers now if the
 * current CA's link certificate vouches for it (then kept).  0: x is the
 * next CA's.
 */
static int
enroll_est_next_ok(struct enroll *en, X509 *x, time_t now, struct err *e)
{
	X509		*next = NULL;
	struct err	 why, first;
	int		 rc;

	if ((rc = tp_ca_next_load(&next, en->st, en->tp->name, &why)) ==
	    ERR_NOTFOUND && (rc = tp_rollover_est(en->st, en->tp, en->fo,
	    en->certs->chain, now, &why)) == 0)
		rc = tp_ca_next_load(&next, en->st, en->tp->name, &why);
	if (rc == 0)
		rc = tp_check_issued(x, next, now, "", &why);
	/*
	 * Why no next CA could be the issuer, when the server offered one;
	 * the network or a busy store may let a later attempt through.
	 */
	if (rc != 0 && rc != ERR_NOTFOUND) {
		first = *e;
		err_set(e, rc == ERR_NET || rc == ERR_BUSY ? rc : ERR_REFUSED,
		    "%.400s; nor by a next CA: %.400s", first.msg, why.msg);
	}
	X509_free(next);
	return rc;
}

/*
 * The issued certificate: for the request's key, from the trustpoint's CA
 * (or its next CA).
 */
static int
enroll_est_pick(struct enroll *en, struct enroll_job *job,
    STACK_OF(X509) *certs, const char *op, struct err *e)
{
	X509	*x, *mine = NULL;
	int	 i;

	for (i = 0; i < sk_X509_num(certs) && mine == NULL; i++) {
		x = sk_X509_value(certs, i);
		if (EVP_PKEY_eq(X509_get0_pubkey(x), job->key) == 1)
			mine = x;
	}
	if (mine == NULL)
		return err_set(e, ERR_PROTO, "RFC 7030 %s: %s: no certificate "
		    "in the reply holds %s public key: nothing stored",
		    strcmp(op, "serverkeygen") == 0 ? "4.4.2" : "4.2.3", op,
		    strcmp(op, "serverkeygen") == 0 ? "the key pair's" :
		    "the request's");
	if (tp_check_issued(mine, en->certs->ca, clock_now(), "the issued "
	    "certificate", e) != 0 && enroll_est_next_ok(en, mine,
	    clock_now(), e) != 0)
		return e->code == ERR_NET || e->code == ERR_BUSY ? e->code :
		    ERR_REFUSED;
	err_clear(e);
	if (!X509_up_ref(mine))
		return err_nomem(e);
	X509_free(job->cert);
	job->cert = mine;
	return 0;
}

/* What a pending request needs on disk: no request, no password. */
static int
enroll_est_pending(struct enroll_job *job, struct err *e)
{
	X509_NAME	*subj;
	int		 rc;

	if (job->pend.transid[0] == '\0' && (rc = scep_transid(
	    job->pend.transid, sizeof(job->pend.transid), job->key, e)) != 0)
		return rc;
	if (job->pend.subject == NULL && job->req != NULL) {
		subj = X509_REQ_get_subject_name(job->req);
		if ((job->pend.subject = X509_NAME_dup(subj)) == NULL)
			return err_nomem(e);
	}
	if (job->pend.signer == NULL && (rc = scep_signer_selfsigned(
	    &job->pend.signer, job->key, NULL, ENROLL_EST_SIGNERDAYS, e)) != 0)
		return rc;
	return ERR_PENDING;
}

static int
enroll_est_send(struct enroll *en, struct enroll_job *job, struct err *e)
{
	struct enroll_est_run	*r = en->pstate;
	struct enroll_est_req	 q = { en, job };
	STACK_OF(X509)		*certs = NULL;
	long			 retry;
	int			 rc, said_no;

	/* The agent has no password: the request stays, as for the network. */
	if (r->conn.user != NULL && en->password == NULL)
		return err_set(e, ERR_NET, "the EST server needs the http-auth "
		    "password: enter 'crypto ca enroll %s' to poll",
		    en->tp->name);
	r->conn.password = en->password;
	if ((rc = enroll_est_attrs(en, r, job->key, e)) != 0)
		return rc;
	snprintf(job->sent_to, sizeof(job->sent_to), "%s", en->tp->url);
	rc = est_enroll(&certs, &retry, &said_no, &r->conn, r->op,
	    enroll_est_csr, &q, e);
	r->conn.password = NULL;
	job->ca_failed = said_no;
	job->retry_after = rc == ERR_PENDING && retry > 0 ? retry : 0;
	if (rc == 0)
		rc = enroll_est_pick(en, job, certs, r->op, e);
	else if (rc == ERR_PENDING)
		rc = enroll_est_pending(job, e);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static void
enroll_est_job_clear(struct enroll_job *job)
{
	X509_REQ_free(job->pstate);
	job->pstate = NULL;
}

static int
enroll_est_need_password(struct enroll *en, int fresh)
{
	(void)fresh;
	/* Every EST request, polls too, carries the credentials. */
	return en->tp->est_user != NULL;
}

/* The server's key pair and certificate stored as one change. */
static int
enroll_est_skg_store(struct enroll *en, EVP_PKEY *key, X509 *x,
    struct err *e)
{
	struct store_batch	*b = NULL;
	BIO			*bio = NULL;
	char			 rel[256], *data;
	long			 n;
	int			 rc;

	if ((rc = store_lock(en->st, e)) != 0)
		return rc;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(bio,
	    x)) {
		rc = err_openssl(e, ERR_CRYPTO, "encoding the certificate");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if ((rc = store_batch_new(&b, en->st, e)) != 0 ||
	    (rc = keystore_batch_put(b, en->st, en->tp->keylabel, key,
	    KEYSTORE_GENERAL, e)) != 0 ||
	    (rc = tp_path(rel, sizeof(rel), en->tp->name,
	    "cert-general.pem")) != 0 ||
	    (rc = store_batch_write(b, rel, data, (size_t)n, STORE_PUBLIC, 0,
	    e)) != 0)
		goto out;
	rc = store_batch_commit(b, e);
 out:
	store_batch_free(b);
	BIO_free(bio);
	store_unlock(en->st);
	return rc;
}

int
enroll_est_serverkeygen(struct enroll *en, struct err *e)
{
	struct enroll_job	 job;
	struct enroll_est_req	 q = { en, &job };
	struct enroll_est_run	*r;
	STACK_OF(X509)		*certs = NULL;
	EVP_PKEY		*key = NULL;
	int			 rc;

	memset(&job, 0, sizeof(job));
	if (keystore_exists(en->st, en->tp->keylabel, NULL))
		return err_set(e, ERR_EXISTS, "Key pair %s exists: the EST "
		    "server's key pair would replace it; name another with "
		    "'rsakeypair LABEL'", en->tp->keylabel);
	if ((rc = enroll_est_check(en, e)) != 0 ||
	    (rc = enroll_need_ca(en, e)) != 0 ||
	    (!en->opened && (rc = enroll_est_open(en, e)) != 0))
		goto out;
	en->opened = 1;
	r = en->pstate;
	r->conn.password = en->password;
	/* RFC 7030 4.4.1: the server ignores the request's key. */
	if ((job.key = EVP_EC_gen("P-256")) == NULL) {
		rc = err_openssl(e, ERR_CRYPTO, "placeholder key");
		goto out;
	}
	if ((rc = enroll_est_attrs(en, r, NULL, e)) != 0 ||
	    (rc = est_serverkeygen(&key, &certs, &r->conn, enroll_est_csr, &q,
	    e)) != 0 || (rc = enroll_est_key_ok(en, key, e)) != 0)
		goto out;
	EVP_PKEY_free(job.key);
	job.key = key;
	key = NULL;
	if ((rc = enroll_est_pick(en, &job, certs, "serverkeygen", e)) == 0)
		rc = enroll_est_skg_store(en, job.key, job.cert, e);
 out:
	r = en->pstate;
	if (r != NULL)
		r->conn.password = NULL;
	enroll_est_job_clear(&job);
	EVP_PKEY_free(job.key);
	EVP_PKEY_free(key);
	X509_free(job.cert);
	X509_REQ_free(job.req);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* Both tables: enroll_est_open tells them apart by address. */
#define ENROLL_EST_OPS							\
	.name = "EST",							\
	.flags = ENROLL_PROTO_RESUMABLE | ENROLL_PROTO_OWN_CSR,		\
	.check = enroll_est_check,					\
	.open = enroll_est_open,					\
	.close = enroll_est_close,					\
	.key_ok = enroll_est_key_ok,					\
	.request = enroll_est_send,					\
	.poll = enroll_est_send,					\
	.job_clear = enroll_est_job_clear,				\
	.need_password = enroll_est_need_password

const struct enroll_proto enroll_est = { ENROLL_EST_OPS };
const struct enroll_proto enroll_est_renew = { ENROLL_EST_OPS };
