/*
 * Fuzz target: what netpki-ca's EST server parses from a request
 * (est_server.c): the Content-Type, the Authorization header (HTTP basic
 * to a challenge), the path under /.well-known/est/ (labels, operations),
 * and the body: base64 to a PKCS#10, then its challengePassword (the
 * channel binding).  The input is four lines: Content-Type,
 * Authorization, path, then the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "ca.h"
#include "err.h"
#include "est_server.h"
#include "policy.h"
#include "scep_server.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The next line of *p (at most max bytes), NUL-terminated, malloc'd. */
static char *
fuzz_line(const uint8_t **p, const uint8_t *end, size_t max)
{
	const uint8_t	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	char		*s;

	if ((s = malloc((n > max ? max : n) + 1)) == NULL)
		abort();
	memcpy(s, *p, n > max ? max : n);
	s[n > max ? max : n] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return s;
}

static void
fuzz_body(const uint8_t *p, size_t n)
{
	unsigned char	*der = NULL;
	size_t		 len;
	X509_REQ	*req = NULL;
	char		*pw = NULL;
	struct err	 e;

	if (est_base64_decode(&der, &len, p, n) != 0)
		return;
	if (issue_csr_parse(&req, der, len, &e) == 0 &&
	    issue_csr_challenge(&pw, req, &e) == 0 && pw != NULL)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	X509_REQ_free(req);
	free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 conf[] = "label lab\nsubject CN=*.lab\n";
	struct policy		*pol;
	struct scep_server	 scep;
	struct est_server	 est;
	const struct policy	*lp;
	const uint8_t		*p = data, *end = data + size;
	char			*ctype, *authz, *path, pw[EST_BASICMAX];
	enum est_op		 op;
	struct err		 e;

	if ((pol = malloc(sizeof(*pol))) == NULL ||
	    policy_parse(pol, conf, sizeof(conf) - 1, &e) != 0)
		abort();
	memset(&scep, 0, sizeof(scep));
	memset(&est, 0, sizeof(est));
	scep.issue.policy = pol;
	est.scep = &scep;
	ctype = fuzz_line(&p, end, 4096);
	authz = fuzz_line(&p, end, 4096);
	path = fuzz_line(&p, end, 4096);
	(void)est_ctype_is(ctype, EST_TYPE_PKCS10);
	if (est_basic_parse(pw, sizeof(pw), authz) == 0 &&
	    strlen(pw) >= sizeof(pw))
		abort();
	if (est_server_path(&op, &lp, &est, path) == 0 &&
	    (op == EST_OP_NONE || (lp != NULL && lp != &pol->label[0])))
		abort();
	fuzz_body(p, (size_t)(end - p));
	free(ctype);
	free(authz);
	free(path);
	policy_free(pol);
	free(pol);
	return 0;
}
