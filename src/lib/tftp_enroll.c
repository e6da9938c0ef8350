/*
 * tftp_enroll: the files of TFTP enrollment, over fetch (libcurl's tftp).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "cert.h"
#include "csr.h"
#include "err.h"
#include "fetch.h"
#include "paste.h"
#include "tftp_enroll.h"
#include "transport.h"

int
tftp_is_url(const char *url)
{
	if (url == NULL)
		return 0;
	if (strncasecmp(url, "tftp://", 7) == 0)
		return 1;
	/* "tftp-address;vrf-name/ca-name": no scheme, a ';' after the host. */
	return strstr(url, "://") == NULL && strchr(url, ';') != NULL;
}

/* A file name made of characters that are safe on any TFTP server. */
static int
tftp_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > TFTP_NAMEMAX || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* "host", "host:port", "[v6]" or "[v6]:port". */
static int
tftp_host_ok(const char *h, size_t n)
{
	char		 buf[300];
	const char	*p;
	size_t		 hl = n;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, h, n);
	buf[n] = '\0';
	if (buf[0] == '[') {
		if ((p = strchr(buf, ']')) == NULL)
			return 0;
		hl = (size_t)(p - buf) - 1;
		memmove(buf, buf + 1, hl);
		p = h + hl + 2;
	} else if ((p = strchr(buf, ':')) != NULL) {
		hl = (size_t)(p - buf);
		p = h + hl;
	} else
		p = h + n;
	if (p < h + n) {
		/* ":port" */
		if (*p != ':' || p + 1 == h + n || strspn(p + 1,
		    "0123456789") != (size_t)(h + n - p - 1) || h + n - p > 6 ||
		    atoi(p + 1) < 1 || atoi(p + 1) > 65535)
			return 0;
	}
	buf[hl] = '\0';
	return transport_host_ok(buf);
}

int
tftp_target_parse(struct tftp_target *t, const char *url, const char *fqdn,
    struct err *e)
{
	const char	*p = url, *hend, *semi, *slash, *file;
	size_t		 n;

	memset(t, 0, sizeof(*t));
	if (strncasecmp(p, "tftp://", 7) == 0)
		p += 7;
	if (strlen(p) >= sizeof(t->dir))
		return err_set(e, ERR_TOOBIG, "enrollment url %s: too long",
		    url);
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	/* The reference's "tftp-address;vrf-name/ca-name". */
	if ((semi = memchr(p, ';', (size_t)(hend - p))) != NULL) {
		n = (size_t)(hend - semi - 1);
		if (n == 0 || n >= sizeof(t->vrf) || strcspn(semi + 1,
		    " /;?#") < n)
			return err_set(e, ERR_INVAL, "enrollment url %s: bad "
			    "VRF name after ';'", url);
		memcpy(t->vrf, semi + 1, n);
		hend = semi;
	}
	if (!tftp_host_ok(p, (size_t)(hend - p)))
		return err_set(e, ERR_INVAL, "enrollment url %s: bad TFTP "
		    "server address", url);
	memcpy(t->host, p, (size_t)(hend - p));
	/* The directory is everything up to the last '/'. */
	if (slash == NULL) {
		snprintf(t->dir, sizeof(t->dir), "/");
		file = "";
	} else {
		file = strrchr(slash, '/') + 1;
		n = (size_t)(file - slash);
		memcpy(t->dir, slash, n);
		t->dir[n] = '\0';
		for (n = 0; t->dir[n] != '\0'; n++)
			if (t->dir[n] != '/' && !tftp_name_ok(t->dir + n, 1) &&
			    t->dir[n] != '.')
				break;
		if (t->dir[n] != '\0' || strstr(t->dir, "//") != NULL ||
		    strstr(t->dir, "/../") != NULL)
			return err_set(e, ERR_INVAL, "enrollment url %s: path: "
			    "use letters, digits, '-', '_', '.' and single "
			    "'/', no \"..\"", url);
	}
	if (*file == '\0')
		file = fqdn;
	if (file == NULL || !tftp_name_ok(file, strlen(file)))
		return err_set(e, ERR_INVAL, "enrollment url %s: file name "
		    "\"%s\": use 1-%d letters, digits, '-', '_' or '.', not "
		    "starting with '.'", url, file ? file : "", TFTP_NAMEMAX);
	snprintf(t->name, sizeof(t->name), "%s", file);
	return 0;
}

int
tftp_file(char *buf, size_t sz, const struct tftp_target *t,
    const char *what, enum tp_kind kind, int usage)
{
	const char	*sfx = "";
	int		 n;

	if (usage && kind == TP_KIND_SIGN)
		sfx = "-sign";
	else if (usage && kind == TP_KIND_ENCR)
		sfx = "-encr";
	n = snprintf(buf, sz, "%s%s.%s", t->name, sfx, what);
	return n < 0 || (size_t)n >= sz ? ERR_TOOBIG : 0;
}

int
tftp_url(char *buf, size_t sz, const struct tftp_target *t, const char *file)
{
	int	 n;

	n = snprintf(buf, sz, "tftp://%s%s%s", t->host, t->dir, file);
	return n < 0 || (size_t)n >= sz ? ERR_TOOBIG : 0;
}

/* One DER certificate or a DER PKCS#7 SignedData, no trailing bytes. */
static int
tftp_certs_der(STACK_OF(X509) **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	const unsigned char	*p = buf;
	STACK_OF(X509)		*sk = NULL, *in;
	X509			*x = NULL;
	PKCS7			*p7 = NULL;
	int			 i, rc = 0;

	if ((sk = sk_X509_new_null()) == NULL)
		return err_nomem(e);
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
	    p == buf + len) {
		if (!sk_X509_push(sk, x)) {
			rc = err_nomem(e);
			goto out;
		}
		x = NULL;
		goto done;
	}
	p = buf;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL || p != buf + len ||
	    !PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		rc = err_set(e, ERR_INVAL, "neither a DER certificate nor a "
		    "DER PKCS#7 certificate bundle");
		goto out;
	}
	in = p7->d.sign->cert;
	if (sk_X509_num(in) <= 0 || sk_X509_num(in) > PASTE_CERTMAX) {
		rc = err_set(e, ERR_INVAL, "PKCS#7 with %d certificates "
		    "(1-%d expected)", sk_X509_num(in), PASTE_CERTMAX);
		goto out;
	}
	for (i = 0; i < sk_X509_num(in); i++) {
		if (!X509_up_ref(sk_X509_value(in, i)))
			continue;
		if (!sk_X509_push(sk, sk_X509_value(in, i))) {
			X509_free(sk_X509_value(in, i));
			rc = err_nomem(e);
			goto out;
		}
	}
 done:
	for (i = 0; i < sk_X509_num(sk); i++)
		if ((rc = cert_sigalg_check(sk_X509_value(sk, i), e)) != 0)
			goto out;
	*out = sk;
	sk = NULL;
 out:
	ERR_clear_error();
	PKCS7_free(p7);
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int
tftp_certs_parse(STACK_OF(X509) **out, const unsigned char *buf, size_t len,
    struct err *e)
{
	*out = NULL;
	if (len > TFTP_FILEMAX)
		return err_set(e, ERR_TOOBIG, "larger than %u bytes",
		    TFTP_FILEMAX);
	if (len == 0)
		return err_set(e, ERR_INVAL, "empty file");
	/* A DER SEQUENCE starts with 0x30; text never does ('0' is 0x30 too,
	   so text falls through when DER fails). */
	if (buf[0] == 0x30 && tftp_certs_der(out, buf, len, NULL) == 0)
		return 0;
	return paste_certs(out, (const char *)buf, len, e);
}

int
tftp_get_certs(STACK_OF(X509) **out, const struct tftp_target *t,
    const char *file, const struct fetch_opts *in, struct err *e)
{
	struct fetch_opts	 o;
	struct fetch_result	 r;
	char			 url[1600];
	int			 rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (tftp_url(url, sizeof(url), t, file) != 0)
		return err_set(e, ERR_TOOBIG, "%s: URL too long", file);
	o = *in;
	o.maxsize = TFTP_FILEMAX;
	if ((rc = fetch_get(&r, url, &o, e)) != 0)
		goto out;
	if ((rc = tftp_certs_parse(out, (unsigned char *)r.body, r.len,
	    e)) != 0)
		err_prefix(e, "%s", url);
 out:
	fetch_result_free(&r);
	return rc;
}

int
tftp_put_req(const struct tftp_target *t, const char *file, X509_REQ *req,
    const struct fetch_opts *o, struct err *e)
{
	char	 url[1600], *pem;
	int	 rc;

	if (tftp_url(url, sizeof(url), t, file) != 0)
		return err_set(e, ERR_TOOBIG, "%s: URL too long", file);
	if ((pem = csr_pem(req)) == NULL)
		return err_openssl(e, ERR_CRYPTO, "PEM encoding of the request");
	rc = fetch_put(url, pem, strlen(pem), o, e);
	free(pem);
	return rc;
}
