/*
 * enroll: polling a pending SCEP request without a shell.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "clock.h"
#include "config.h"
#include "enroll.h"
#include "err.h"
#include "keystore.h"
#include "scep_msg.h"
#include "store.h"

int
enroll_open(struct enroll_ctx *c, struct store *st, const struct config *cfg,
    const char *name, struct err *e)
{
	X509	*v[3];
	int	 i, rc;

	memset(c, 0, sizeof(*c));
	c->st = st;
	if ((rc = tp_load(&c->tp, cfg, name, e)) != 0)
		return rc;
	if (c->tp->method != TP_METHOD_URL)
		return err_set(e, ERR_NOTFOUND, "trustpoint %s does not enroll "
		    "by SCEP", name);
	if ((rc = tp_certs_load(&c->certs, st, name, e)) != 0)
		return rc;
	if (c->certs.ca == NULL)
		return err_set(e, ERR_NOTFOUND, "trustpoint %s is not "
		    "authenticated", name);
	c->fo.vrf = c->tp->vrf;
	c->fo.maxsize = SCEP_RESPMAX;
	v[0] = c->certs.ca;
	v[1] = c->certs.ra_sign;
	v[2] = c->certs.ra_encr;
	if ((c->trusted = sk_X509_new_null()) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < 3; i++)
		if (v[i] != NULL && !sk_X509_push(c->trusted, v[i]))
			return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

void
enroll_close(struct enroll_ctx *c)
{
	if (c == NULL)
		return;
	tp_free(c->tp);
	tp_certs_clear(&c->certs);
	sk_X509_free(c->trusted);
	memset(c, 0, sizeof(*c));
}

static enum keystore_kind
enroll_kskind(enum tp_kind k)
{
	return k == TP_KIND_SIGN ? KEYSTORE_SIGN : k == TP_KIND_ENCR ?
	    KEYSTORE_ENCR : KEYSTORE_GENERAL;
}

static const char *
enroll_weak(const struct scep_enroll *s)
{
	if (s->weak_cipher)
		return "the CA encrypted its reply with a weak algorithm "
		    "(single DES)";
	if (strcmp(s->md, "SHA1") == 0 || strcmp(s->md, "MD5") == 0)
		return "the CA signed its reply with a weak digest";
	return NULL;
}

/*
 * Act on the CA's decision under the state directory's lock, and only if
 * the pending request is still the one polled: while the CertPoll was on
 * the network the operator may have cancelled it or started another.
 */
static int
enroll_settle(struct enroll_ctx *c, enum tp_kind kind,
    const struct tp_pending *p, const struct scep_enroll *s, int rc,
    struct err *e)
{
	struct tp_pending	 cur;
	struct err		 e2;
	int			 lrc;

	if ((lrc = store_lock(c->st, e)) != 0)
		return lrc;
	memset(&cur, 0, sizeof(cur));
	if (tp_pending_load(&cur, c->st, c->tp->name, kind, &e2) != 0 ||
	    strcmp(cur.transid, p->transid) != 0) {
		rc = err_set(e, ERR_BUSY, "trustpoint %s: the pending request "
		    "changed while it was polled; the CA's answer is ignored",
		    c->tp->name);
		goto out;
	}
	if (rc == 0) {
		if ((rc = tp_store_cert(c->st, c->tp->name, kind, s->cert,
		    e)) == 0)
			tp_pending_remove(c->st, c->tp->name, kind, &e2);
	} else {
		tp_pending_remove(c->st, c->tp->name, kind, &e2);
		rc = ERR_REFUSED;
	}
 out:
	tp_pending_clear(&cur);
	store_unlock(c->st);
	return rc;
}

int
enroll_poll_once(struct enroll_ctx *c, enum tp_kind kind, const char **weak,
    struct err *e)
{
	struct tp_pending	 p;
	struct scep_enroll	 s;
	EVP_PKEY		*key = NULL;
	int			 rc;

	*weak = NULL;
	memset(&s, 0, sizeof(s));
	if ((rc = tp_pending_load(&p, c->st, c->tp->name, kind, e)) != 0)
		return rc;
	if (!c->have_caps) {
		if ((rc = scep_getcacaps(&c->caps, c->tp->url, &c->fo, e)) != 0)
			goto out;
		c->have_caps = 1;
	}
	if ((rc = keystore_load(&key, c->st, p.keylabel, enroll_kskind(kind),
	    e)) != 0) {
		err_prefix(e, "pending request's key pair %s", p.keylabel);
		goto out;
	}
	s.url = c->tp->url;
	s.caps = c->caps;
	s.fopts = &c->fo;
	s.trusted = c->trusted;
	s.ca = c->certs.ca;
	s.recipient = c->certs.ra_encr ? c->certs.ra_encr : c->certs.ca;
	s.key = key;
	s.signer = p.signer;
	s.subject = p.subject;
	s.now = clock_now();
	snprintf(s.transid, sizeof(s.transid), "%s", p.transid);
	rc = scep_enroll_poll(&s, e);
	*weak = enroll_weak(&s);
	if (rc == 0 || s.ca_failed)
		rc = enroll_settle(c, kind, &p, &s, rc, e);
 out:
	scep_enroll_clear(&s);
	EVP_PKEY_free(key);
	tp_pending_clear(&p);
	return rc;
}
