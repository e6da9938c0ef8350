/*
 * challenge: one-time enrollment challenges (see challenge.h).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ca.h"
#include "cert.h"
#include "challenge.h"
#include "clock.h"
#include "db.h"
#include "err.h"

/* Uppercase hex of n bytes into out[2n + 1]. */
static int
challenge_hex(char *out, const unsigned char *b, size_t n, struct err *e)
{
	if (OPENSSL_buf2hexstr_ex(out, 2 * n + 1, NULL, b, n, '\0') != 1)
		return err_openssl(e, ERR_CRYPTO, "hex");
	return 0;
}

static int
challenge_rand_hex(char *out, size_t bytes, struct err *e)
{
	unsigned char	 b[64];

	int		 rc;

	if (bytes > sizeof(b) || RAND_bytes(b, (int)bytes) != 1)
		return err_openssl(e, ERR_CRYPTO, "no random bytes");
	rc = challenge_hex(out, b, bytes, e);
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

/* hex SHA-256 of salt || secret into out[65]. */
static int
challenge_hash(char *out, const char *salt, const char *secret,
    struct err *e)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[32];
	unsigned int	 n = 0;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return err_nomem(e);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, salt, strlen(salt)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == sizeof(md);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return err_openssl(e, ERR_CRYPTO, "SHA-256");
	return challenge_hex(out, md, sizeof(md), e);
}

int
challenge_ttl(const char *s)
{
	char	*end;
	long	 n, mul = 1;

	n = strtol(s, &end, 10);
	if (end == s || n <= 0)
		return -1;
	if (strcmp(end, "d") == 0)
		mul = 86400;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "m") == 0)
		mul = 60;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return -1;
	if (n > CHALLENGE_TTLMAX / mul)
		return -1;
	return (int)(n * mul);
}

/* The binding, normalised: a DN as `list` prints it. */
static int
challenge_bind(struct db_challenge *c, const struct challenge_opts *o,
    struct err *e)
{
	X509_NAME	*n = NULL;
	char		*dn;
	int		 rc;

	if (o->cn != NULL) {
		if (strlen(o->cn) >= sizeof(c->cn))
			return err_set(e, ERR_TOOBIG, "--cn: too long");
		snprintf(c->cn, sizeof(c->cn), "%s", o->cn);
	}
	if (o->subject == NULL)
		return 0;
	if ((rc = ca_parse_dn(&n, o->subject, e)) != 0)
		return rc;
	dn = cert_dn(n, CERT_DN_UPPER);
	X509_NAME_free(n);
	if (dn == NULL)
		return err_nomem(e);
	if (strlen(dn) >= sizeof(c->subject))
		rc = err_set(e, ERR_TOOBIG, "--subject: too long");
	else
		snprintf(c->subject, sizeof(c->subject), "%s", dn);
	free(dn);
	return rc;
}

int
challenge_new(char *out, struct db_challenge *row, struct db *db,
    const struct challenge_opts *o, struct err *e)
{
	struct db_challenge	 c;
	char			 secret[CHALLENGE_SECRETLEN + 1];
	int			 rc;

	memset(&c, 0, sizeof(c));
	if (o->subject != NULL && o->cn != NULL)
		return err_set(e, ERR_INVAL, "--subject or --cn, not both");
	if ((rc = challenge_bind(&c, o, e)) != 0 ||
	    (rc = challenge_rand_hex(c.id, CHALLENGE_IDLEN / 2, e)) != 0 ||
	    (rc = challenge_rand_hex(c.salt, 16, e)) != 0 ||
	    (rc = challenge_rand_hex(secret, CHALLENGE_SECRETLEN / 2, e)) !=
	    0 || (rc = challenge_hash(c.hash, c.salt, secret, e)) != 0)
		goto out;
	c.created = clock_now();
	c.expires = c.created + (o->ttl > 0 ? o->ttl : CHALLENGE_TTL);
	c.uses = c.max_uses = o->uses > 0 ? o->uses : 1;
	if ((rc = db_challenge_add(db, &c, e)) != 0)
		goto out;
	snprintf(out, CHALLENGE_LEN + 1, "%s-%s", c.id, secret);
	if (row != NULL)
		*row = c;
 out:
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

int
challenge_form(const char *pw, char *id, size_t idsz)
{
	size_t	 i;

	if (pw == NULL || strlen(pw) != CHALLENGE_LEN ||
	    pw[CHALLENGE_IDLEN] != '-' || idsz <= CHALLENGE_IDLEN)
		return 0;
	for (i = 0; i < CHALLENGE_LEN; i++)
		if (i != CHALLENGE_IDLEN && !isxdigit((unsigned char)pw[i]))
			return 0;
	snprintf(id, idsz, "%.*s", CHALLENGE_IDLEN, pw);
	return 1;
}

/* Is the challenge c bound to a subject this one does not match? */
static int
challenge_bound_ok(const struct db_challenge *c, X509_NAME *n)
{
	char	 cn[256];
	char	*dn;
	int	 ok;

	if (c->subject[0] != '\0') {
		if ((dn = cert_dn(n, CERT_DN_UPPER)) == NULL)
			return 0;
		ok = strcmp(dn, c->subject) == 0;
		free(dn);
		return ok;
	}
	if (c->cn[0] == '\0')
		return 1;
	if (X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn)) < 0)
		return 0;
	return fnmatch(c->cn, cn, 0) == 0;
}

int
challenge_check(struct db *db, const char *pw, X509_NAME *n, int consume,
    struct err *e)
{
	struct db_challenge	 c;
	char			 id[CHALLENGE_IDLEN + 1], hash[65];
	int			 rc;

	if (!challenge_form(pw, id, sizeof(id)))
		return err_set(e, ERR_REFUSED, "not a one-time challenge");
	if ((rc = db_challenge_get(db, id, &c, e)) != 0)
		return rc == ERR_NOTFOUND ? err_set(e, ERR_REFUSED, "challenge "
		    "%s: no such challenge", id) : rc;
	if ((rc = challenge_hash(hash, c.salt, pw + CHALLENGE_IDLEN + 1,
	    e)) != 0)
		return rc;
	if (CRYPTO_memcmp(hash, c.hash, sizeof(hash) - 1) != 0)
		return err_set(e, ERR_REFUSED, "challenge %s: wrong secret", id);
	if (!challenge_bound_ok(&c, n))
		return err_set(e, ERR_REFUSED, "challenge %s: bound to another "
		    "subject", id);
	if (c.revoked)
		return err_set(e, ERR_REFUSED, "challenge %s: revoked", id);
	if (!consume)
		return 0;
	if ((rc = db_challenge_update(db, id, -1, clock_now(), e)) ==
	    ERR_REFUSED)
		return err_set(e, ERR_REFUSED, "challenge %s: used up or "
		    "expired", id);
	return rc;
}

void
challenge_release(struct db *db, const char *pw)
{
	char		 id[CHALLENGE_IDLEN + 1];
	struct err	 e;

	if (challenge_form(pw, id, sizeof(id)))
		(void)db_challenge_update(db, id, 1, clock_now(), &e);
}
