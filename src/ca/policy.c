/*
 * policy: DIR/policy.conf and what it grants (see policy.h).
 *
 * A policy file is lines of "RULE VALUE...", '#' starts a comment.  A rule
 * that lists values (subject, san-dns, san-ip, eku, curves) replaces the
 * default list on its first line and adds to it on further lines.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "err.h"
#include "policy.h"
#include "store.h"
#include "text.h"

#define POLICY_MAXEXTS	32
#define POLICY_MAXNAMES	64	/* subjectAltName entries */
#define POLICY_LINEMAX	1024

/* EKU names a policy may use, and the NIDs they stand for. */
static const struct {
	const char	*name;
	int		 nid;
} policy_ekus[] = {
	{ "serverAuth", NID_server_auth },
	{ "clientAuth", NID_client_auth },
	{ "codeSigning", NID_code_sign },
	{ "emailProtection", NID_email_protect },
	{ "timeStamping", NID_time_stamp },
	{ "OCSPSigning", NID_OCSP_sign },
	{ "ipsecIKE", NID_ipsec_IKE },
	{ "anyExtendedKeyUsage", NID_anyExtendedKeyUsage },
};

static const struct {
	const char	*name;
	int		 nid;
} policy_curves[] = {
	{ "P-256", NID_X9_62_prime256v1 },
	{ "P-384", NID_secp384r1 },
	{ "P-521", NID_secp521r1 },
};

/* Which rules this file has set so far: the first line replaces. */
struct policy_seen {
	int	 subject, dns, ip, eku, curves;
};

void
policy_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->eku[p->neku++] = NID_server_auth;
	p->eku[p->neku++] = NID_client_auth;
	p->rsa_min = 2048;
	p->curves[p->ncurves++] = NID_X9_62_prime256v1;
	p->curves[p->ncurves++] = NID_secp384r1;
	p->curves[p->ncurves++] = NID_secp521r1;
	p->max_days = POLICY_DEFAULT_DAYS;
}

static const char *
policy_eku_name(int nid)
{
	size_t	 i;

	for (i = 0; i < sizeof(policy_ekus) / sizeof(policy_ekus[0]); i++)
		if (policy_ekus[i].nid == nid)
			return policy_ekus[i].name;
	return OBJ_nid2sn(nid);
}

static int
policy_num(int *out, const char *v, int lo, int hi)
{
	char	*end;
	long	 n;

	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static int
policy_net_parse(struct policy_net *n, const char *v)
{
	char	 buf[64], *slash;
	int	 max;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->af = AF_INET6;
		max = 128;
	} else
		return -1;
	n->bits = max;
	if (slash != NULL && policy_num(&n->bits, slash, 0, max) != 0)
		return -1;
	return 0;
}

static int
policy_dns_ok(const char *d)
{
	const char	*s;

	if (*d == '\0' || *d == '.' || strlen(d) >= POLICY_PATMAX)
		return 0;
	for (s = d; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* One value of a list rule. */
static int
policy_value(struct policy *p, const char *rule, const char *v)
{
	size_t	 i;

	if (strcmp(rule, "san-dns") == 0) {
		if (p->ndns == POLICY_MAX || !policy_dns_ok(v))
			return -1;
		snprintf(p->dns[p->ndns++], POLICY_PATMAX, "%s", v);
		return 0;
	}
	if (strcmp(rule, "san-ip") == 0)
		return p->nip == POLICY_MAX ||
		    policy_net_parse(&p->ip[p->nip++], v) != 0 ? -1 : 0;
	if (strcmp(rule, "eku") == 0) {
		for (i = 0; i < sizeof(policy_ekus) / sizeof(policy_ekus[0]);
		    i++)
			if (strcmp(v, policy_ekus[i].name) == 0 &&
			    p->neku < POLICY_MAX) {
				p->eku[p->neku++] = policy_ekus[i].nid;
				return 0;
			}
		return -1;
	}
	/* curves */
	if (strcmp(v, "ed25519") == 0) {
		p->ed25519 = 1;
		return 0;
	}
	for (i = 0; i < sizeof(policy_curves) / sizeof(policy_curves[0]); i++)
		if (strcmp(v, policy_curves[i].name) == 0 &&
		    p->ncurves < POLICY_MAX) {
			p->curves[p->ncurves++] = policy_curves[i].nid;
			return 0;
		}
	return -1;
}

/* A rule with a list of values: replace the default on its first line. */
static int
policy_list(struct policy *p, struct policy_seen *s, const char *rule,
    char *rest)
{
	char	*v, *save = NULL;

	if (strcmp(rule, "san-dns") == 0 && !s->dns++)
		p->ndns = 0;
	else if (strcmp(rule, "san-ip") == 0 && !s->ip++)
		p->nip = 0;
	else if (strcmp(rule, "eku") == 0 && !s->eku++)
		p->neku = 0;
	else if (strcmp(rule, "curves") == 0 && !s->curves++) {
		p->ncurves = 0;
		p->ed25519 = 0;
	}
	for (v = strtok_r(rest, " \t", &save); v != NULL;
	    v = strtok_r(NULL, " \t", &save))
		if (policy_value(p, rule, v) != 0)
			return -1;
	return 0;
}

static int
policy_line(struct policy *p, struct policy_seen *s, char *line)
{
	char	*rule, *rest, *end;

	rule = line + strspn(line, " \t");
	rest = rule + strcspn(rule, " \t");
	if (*rest != '\0')
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	end = rest + strlen(rest);
	while (end > rest && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*rest == '\0')
		return -1;
	if (strcmp(rule, "subject") == 0) {
		if (!s->subject++)
			p->nsubject = 0;
		if (p->nsubject == POLICY_MAX || strlen(rest) >= POLICY_PATMAX)
			return -1;
		snprintf(p->subject[p->nsubject++], POLICY_PATMAX, "%s", rest);
		return 0;
	}
	if (strcmp(rule, "san-dns") == 0 || strcmp(rule, "san-ip") == 0 ||
	    strcmp(rule, "eku") == 0 || strcmp(rule, "curves") == 0)
		return policy_list(p, s, rule, rest);
	if (strcmp(rule, "ca") == 0) {
		if (strcmp(rest, "allow") != 0 && strcmp(rest, "deny") != 0)
			return -1;
		p->ca = strcmp(rest, "allow") == 0;
		return 0;
	}
	if (strcmp(rule, "rsa-min-bits") == 0)
		return policy_num(&p->rsa_min, rest, 1024, 16384);
	if (strcmp(rule, "max-days") == 0)
		return policy_num(&p->max_days, rest, 1, 36500);
	if (strcmp(rule, "renewal-window") == 0)
		return policy_num(&p->renew_days, rest, 0, 36500);
	return -1;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->label);
	policy_default(p);
}

const struct policy *
policy_label(const struct policy *p, const char *name, size_t n)
{
	int	 i;

	for (i = 0; i < p->nlabel; i++)
		if (strlen(p->label_name[i]) == n &&
		    memcmp(p->label_name[i], name, n) == 0)
			return &p->label[i];
	return NULL;
}

/*
 * "label NAME": the lines that follow, up to the next label line, make
 * label NAME's policy, from the built-in defaults (so that a printed
 * policy, whose "none" lists are comments, parses back the same).  A
 * label is a path segment of EST's URLs (RFC 7030 3.2.2): letters,
 * digits, "-._~".
 */
static int
policy_label_begin(struct policy *p, struct policy **cur,
    struct policy_seen *s, const char *line)
{
	const char	*name = line + strspn(line, " \t") + 5;
	size_t		 n;

	name += strspn(name, " \t");
	n = strlen(name);
	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	if (n == 0 || n > POLICY_LABELMAX || p->nlabel == POLICY_LABELS ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._~") < n || policy_label(p, name, n) != NULL)
		return -1;
	if (p->label == NULL &&
	    (p->label = calloc(POLICY_LABELS, sizeof(*p->label))) == NULL)
		return -1;
	*cur = &p->label[p->nlabel];
	policy_default(*cur);
	memcpy(p->label_name[p->nlabel], name, n);
	p->label_name[p->nlabel++][n] = '\0';
	memset(s, 0, sizeof(*s));
	return 0;
}

static int
policy_is_label(const char *line)
{
	line += strspn(line, " \t");
	return strncmp(line, "label", 5) == 0 && (line[5] == ' ' ||
	    line[5] == '\t' || line[5] == '\0');
}

int
policy_parse(struct policy *p, const char *buf, size_t len, struct err *e)
{
	struct policy		*cur = p;
	struct policy_seen	 s;
	char			 line[POLICY_LINEMAX], copy[POLICY_LINEMAX];
	char			 esc[128];
	const char		*nl, *end = buf + len;
	size_t			 n;
	int			 lineno = 0;

	policy_default(p);
	memset(&s, 0, sizeof(s));
	for (; buf < end; buf = nl + 1) {
		lineno++;
		if ((nl = memchr(buf, '\n', (size_t)(end - buf))) == NULL)
			nl = end;
		n = (size_t)(nl - buf);
		if (n >= sizeof(line) || memchr(buf, '\0', n) != NULL)
			return err_set(e, ERR_INVAL, "%s line %d: too long or "
			    "binary", POLICY_FILE, lineno);
		memcpy(line, buf, n);
		line[n] = '\0';
		line[strcspn(line, "#\r")] = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		memcpy(copy, line, sizeof(copy));
		if (policy_is_label(line) ? policy_label_begin(p, &cur, &s,
		    line) != 0 : policy_line(cur, &s, line) != 0) {
			policy_free(p);
			return err_set(e, ERR_INVAL, "%s line %d: bad rule or "
			    "value: %s", POLICY_FILE, lineno, text_esc(esc,
			    sizeof(esc), copy + strspn(copy, " \t")));
		}
	}
	return 0;
}

int
policy_load(struct policy *p, const char *dir, struct err *e)
{
	char	 path[4096], *buf = NULL;
	size_t	 len;
	int	 rc;

	policy_default(p);
	snprintf(path, sizeof(path), "%s/%s", dir, POLICY_FILE);
	if ((rc = store_file_read(path, &buf, &len, POLICY_FILEMAX, e)) != 0)
		return rc == ERR_NOTFOUND ? 0 : rc;
	rc = policy_parse(p, buf, len, e);
	free(buf);
	return rc;
}

static void
policy_cat(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
policy_cat(char *buf, size_t sz, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(buf);

	if (n >= sz - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
}

static void
policy_format_lists(char *b, size_t sz, const struct policy *p)
{
	char	 a[INET6_ADDRSTRLEN];
	int	 i;

	policy_cat(b, sz, "%ssan-dns", p->ndns ? "" : "# ");
	for (i = 0; i < p->ndns; i++)
		policy_cat(b, sz, " %s", p->dns[i]);
	policy_cat(b, sz, "%s\n%ssan-ip", p->ndns ? "" : " (none)",
	    p->nip ? "" : "# ");
	for (i = 0; i < p->nip; i++) {
		inet_ntop(p->ip[i].af, p->ip[i].addr, a, sizeof(a));
		policy_cat(b, sz, " %s/%d", a, p->ip[i].bits);
	}
	policy_cat(b, sz, "%s\neku", p->nip ? "" : " (none)");
	for (i = 0; i < p->neku; i++)
		policy_cat(b, sz, " %s", policy_eku_name(p->eku[i]));
	policy_cat(b, sz, "\ncurves");
	for (i = 0; i < p->ncurves; i++)
		policy_cat(b, sz, " %s", EC_curve_nid2nist(p->curves[i]));
	policy_cat(b, sz, "%s\n", p->ed25519 ? " ed25519" : "");
}

/* One policy's rules into b (sz bytes, a string). */
static void
policy_format_one(char *b, size_t sz, const struct policy *p)
{
	int	 i;

	if (p->nsubject == 0)
		policy_cat(b, sz, "subject *\n");
	for (i = 0; i < p->nsubject; i++)
		policy_cat(b, sz, "subject %s\n", p->subject[i]);
	policy_format_lists(b, sz, p);
	policy_cat(b, sz, "ca %s\nrsa-min-bits %d\nmax-days %d\n"
	    "renewal-window %d%s\n", p->ca ? "allow" : "deny", p->rsa_min,
	    p->max_days, p->renew_days, p->renew_days ? "" :
	    " # any time of a certificate's life");
}

char *
policy_format(const struct policy *p)
{
	size_t	 one = (size_t)POLICY_MAX * POLICY_PATMAX * 3 + 4096, sz, n;
	size_t	 per = one + POLICY_LABELMAX + 16;
	char	*b;
	int	 i;

	sz = per * (size_t)(p->nlabel + 1);
	if ((b = calloc(1, sz)) == NULL)
		return NULL;
	policy_format_one(b, one, p);
	for (i = 0; i < p->nlabel; i++) {
		n = strlen(b);
		snprintf(b + n, sz - n, "label %s\n", p->label_name[i]);
		n = strlen(b);
		policy_format_one(b + n, sz - n < one ? sz - n : one,
		    &p->label[i]);
	}
	return b;
}

int
policy_days(const struct policy *p, int days)
{
	return p->max_days > 0 && days > p->max_days ? p->max_days : days;
}

int
policy_renew_ok(const struct policy *p, time_t now, time_t not_after,
    struct err *e)
{
	if (p->renew_days == 0 ||
	    not_after - now <= (time_t)p->renew_days * 86400)
		return 0;
	return err_set(e, ERR_REFUSED, "policy rule renewal-window: renewal "
	    "only in the last %d days of a certificate's life",
	    p->renew_days);
}

static int
policy_key(const struct policy *p, EVP_PKEY *pk, struct err *e)
{
	char	 grp[64];
	int	 i, nid;

	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) >= p->rsa_min)
			return 0;
		return err_set(e, ERR_REFUSED, "policy rule rsa-min-bits: "
		    "RSA key of %d bits, at least %d needed",
		    EVP_PKEY_get_bits(pk), p->rsa_min);
	}
	if (EVP_PKEY_is_a(pk, "ED25519")) {
		if (p->ed25519)
			return 0;
		return err_set(e, ERR_REFUSED, "policy rule curves: ed25519 "
		    "is not allowed");
	}
	if (EVP_PKEY_is_a(pk, "EC") && EVP_PKEY_get_utf8_string_param(pk,
	    "group", grp, sizeof(grp), NULL) == 1) {
		nid = OBJ_txt2nid(grp);
		for (i = 0; i < p->ncurves; i++)
			if (p->curves[i] == nid)
				return 0;
		return err_set(e, ERR_REFUSED, "policy rule curves: curve %s "
		    "is not allowed", grp);
	}
	return err_set(e, ERR_REFUSED, "policy: key type %s is not allowed",
	    EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
}

/* The end of the attribute at s: an unescaped ',' or '+', or the NUL. */
static char *
policy_rdn_end(char *s)
{
	while (*s != '\0' && *s != ',' && *s != '+') {
		if (*s == '\\' && s[1] != '\0')
			s++;
		s++;
	}
	return s;
}

/*
 * A subject pattern against a DN, attribute by attribute: a '*' inside
 * one never reaches across the ',' or '+' to the next, or
 * "CN=*.example.net" would match "CN=evil.example,O=a.example.net" (and
 * so grant DNS:evil.example, the name its CN implies).  A last "*"
 * matches whatever attributes follow, none included.  Both are changed
 * in place and left cut.
 */
static int
policy_dn_match(char *pat, char *dn)
{
	char	*pe, *de, ps, ds;

	for (;;) {
		pe = policy_rdn_end(pat);
		if (strcmp(pat, "*") == 0)
			return 1;
		de = policy_rdn_end(dn);
		ps = *pe;
		ds = *de;
		*pe = *de = '\0';
		if (fnmatch(pat, dn, 0) != 0)
			return 0;
		if (ds == '\0')
			return ps == '\0' || (ps == ',' && strcmp(pe + 1, "*") == 0);
		if (ps != ds)
			return 0;
		pat = pe + 1;
		dn = de + 1;
	}
}

static int
policy_subject(const struct policy *p, X509_NAME *n, struct err *e)
{
	char	*dn, *cut = NULL, pat[POLICY_PATMAX], esc[300];
	size_t	 len;
	int	 i, ok = p->nsubject == 0;

	if (ok)
		return 0;
	if ((dn = cert_dn(n, CERT_DN_UPPER)) == NULL)
		return err_nomem(e);
	len = strlen(dn) + 1;
	if ((cut = malloc(len)) == NULL) {
		free(dn);
		return err_nomem(e);
	}
	for (i = 0; i < p->nsubject && !ok; i++) {
		snprintf(pat, sizeof(pat), "%s", p->subject[i]);
		memcpy(cut, dn, len);
		ok = policy_dn_match(pat, cut);
	}
	if (!ok)
		err_set(e, ERR_REFUSED, "policy rule subject: \"%.256s\" "
		    "matches no subject pattern", text_esc(esc, sizeof(esc),
		    dn));
	free(cut);
	free(dn);
	return ok ? 0 : ERR_REFUSED;
}

/* What a request asks for, decoded. */
struct policy_req {
	int			 ca;	/* basicConstraints CA:TRUE */
	ASN1_BIT_STRING		*ku;
	EXTENDED_KEY_USAGE	*eku;
	GENERAL_NAMES		*san;
};

static void
policy_req_clear(struct policy_req *r)
{
	ASN1_BIT_STRING_free(r->ku);
	sk_ASN1_OBJECT_pop_free(r->eku, ASN1_OBJECT_free);
	GENERAL_NAMES_free(r->san);
	memset(r, 0, sizeof(*r));
}

static int
policy_req_ext(struct policy_req *r, X509_EXTENSION *ext, struct err *e)
{
	BASIC_CONSTRAINTS	*bc;
	void			**slot;
	int			 nid;

	nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
	if (nid == NID_basic_constraints) {
		if ((bc = X509V3_EXT_d2i(ext)) == NULL)
			return err_set(e, ERR_INVAL, "certificate request: bad "
			    "basicConstraints");
		r->ca |= bc->ca != 0;
		BASIC_CONSTRAINTS_free(bc);
		return 0;
	}
	if (nid == NID_key_usage)
		slot = (void **)&r->ku;
	else if (nid == NID_ext_key_usage)
		slot = (void **)&r->eku;
	else if (nid == NID_subject_alt_name)
		slot = (void **)&r->san;
	else
		return 0;	/* not granted, so not copied either */
	if (*slot != NULL)
		return err_set(e, ERR_INVAL, "RFC 5280 4.2: certificate request "
		    "repeats the %s extension", OBJ_nid2sn(nid));
	if ((*slot = X509V3_EXT_d2i(ext)) == NULL)
		return err_set(e, ERR_INVAL, "certificate request: bad %s",
		    OBJ_nid2sn(nid));
	return 0;
}

static int
policy_req_parse(struct policy_req *r, X509_REQ *req, struct err *e)
{
	STACK_OF(X509_EXTENSION)	*exts;
	int				 i, rc = 0;

	memset(r, 0, sizeof(*r));
	if ((exts = X509_REQ_get_extensions(req)) == NULL)
		return 0;
	if (sk_X509_EXTENSION_num(exts) > POLICY_MAXEXTS)
		rc = err_set(e, ERR_TOOBIG, "certificate request: more than "
		    "%d extensions", POLICY_MAXEXTS);
	for (i = 0; rc == 0 && i < sk_X509_EXTENSION_num(exts); i++)
		rc = policy_req_ext(r, sk_X509_EXTENSION_value(exts, i), e);
	if (rc == 0 && r->san != NULL &&
	    sk_GENERAL_NAME_num(r->san) > POLICY_MAXNAMES)
		rc = err_set(e, ERR_TOOBIG, "certificate request: more than "
		    "%d subjectAltNames", POLICY_MAXNAMES);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (rc != 0)
		policy_req_clear(r);
	return rc;
}

static int
policy_usage(const struct policy *p, const struct policy_req *r,
    struct err *e)
{
	int	 i, j, nid;

	if ((r->ca || (r->ku != NULL && (ASN1_BIT_STRING_get_bit(r->ku, 5) ||
	    ASN1_BIT_STRING_get_bit(r->ku, 6)))) && !p->ca)
		return err_set(e, ERR_REFUSED, "policy rule ca: the request "
		    "asks for a CA certificate (CA:TRUE, keyCertSign or "
		    "cRLSign)");
	for (i = 0; r->eku != NULL && i < sk_ASN1_OBJECT_num(r->eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(r->eku, i));
		for (j = 0; j < p->neku && p->eku[j] != nid; j++)
			;
		if (nid == NID_undef || j == p->neku)
			return err_set(e, ERR_REFUSED, "policy rule eku: %s is "
			    "not allowed", nid == NID_undef ? "an unknown "
			    "extended key usage" : policy_eku_name(nid));
	}
	return 0;
}

/* Is the DNS name the domain d or a name below it? */
static int
policy_under(const char *name, size_t len, const char *d)
{
	size_t	 dl = strlen(d);

	if (len == dl)
		return strncasecmp(name, d, len) == 0;
	return len > dl + 1 && name[len - dl - 1] == '.' &&
	    strncasecmp(name + len - dl, d, dl) == 0;
}

static int
policy_in_net(const struct policy_net *n, const unsigned char *a, int len)
{
	int	 full = n->bits / 8, rest = n->bits % 8;

	if ((n->af == AF_INET ? 4 : 16) != len ||
	    memcmp(n->addr, a, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((n->addr[full] ^ a[full]) &
	    (0xff << (8 - rest)) & 0xff) == 0;
}

static int
policy_san_dns(const struct policy *p, const ASN1_IA5STRING *s,
    const char *cn)
{
	const char	*name = (const char *)ASN1_STRING_get0_data(s);
	size_t		 i, len = (size_t)ASN1_STRING_length(s);
	int		 k;

	if (len == 0 || len >= POLICY_PATMAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '.')
			return 0;
	if (strlen(cn) == len && strncasecmp(cn, name, len) == 0)
		return 1;
	for (k = 0; k < p->ndns; k++)
		if (policy_under(name, len, p->dns[k]))
			return 1;
	return 0;
}

static int
policy_san_ip(const struct policy *p, const ASN1_OCTET_STRING *s,
    const char *cn)
{
	const unsigned char	*a = ASN1_STRING_get0_data(s);
	unsigned char		 cnip[16];
	int			 k, len = ASN1_STRING_length(s);

	if (len != 4 && len != 16)
		return 0;
	if (inet_pton(len == 4 ? AF_INET : AF_INET6, cn, cnip) == 1 &&
	    memcmp(cnip, a, (size_t)len) == 0)
		return 1;
	for (k = 0; k < p->nip; k++)
		if (policy_in_net(&p->ip[k], a, len))
			return 1;
	return 0;
}

static int
policy_san(const struct policy *p, const struct policy_req *r, X509_NAME *n,
    struct err *e)
{
	GENERAL_NAME	*g;
	char		 cn[POLICY_PATMAX] = "";
	int		 i;

	if (r->san == NULL)
		return 0;
	if (X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn)) < 0)
		cn[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(r->san); i++) {
		g = sk_GENERAL_NAME_value(r->san, i);
		if (g->type == GEN_DNS) {
			if (!policy_san_dns(p, g->d.dNSName, cn))
				return err_set(e, ERR_REFUSED, "policy rule "
				    "san-dns: a DNS name outside the allowed "
				    "domains");
		} else if (g->type == GEN_IPADD) {
			if (!policy_san_ip(p, g->d.iPAddress, cn))
				return err_set(e, ERR_REFUSED, "policy rule "
				    "san-ip: an IP address outside the allowed "
				    "ranges");
		} else
			return err_set(e, ERR_REFUSED, "policy rule san: only "
			    "DNS names and IP addresses may be requested");
	}
	return 0;
}

/* extendedKeyUsage when the request names none: serverAuth, clientAuth. */
static int
policy_eku_default(X509 *x, const struct policy *p, struct err *e)
{
	EXTENDED_KEY_USAGE	*eku;
	int			 i, rc = 0;

	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return err_nomem(e);
	for (i = 0; i < p->neku; i++)
		if ((p->eku[i] == NID_server_auth ||
		    p->eku[i] == NID_client_auth) &&
		    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(p->eku[i])))
			rc = err_nomem(e);
	if (rc == 0 && sk_ASN1_OBJECT_num(eku) > 0 &&
	    !X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT))
		rc = err_openssl(e, ERR_CRYPTO, "extendedKeyUsage");
	/* OBJ_nid2obj's objects are static: free the stack only. */
	sk_ASN1_OBJECT_free(eku);
	return rc;
}

static int
policy_grant(X509 *x, X509 *issuer, const struct policy *p,
    const struct policy_req *r, EVP_PKEY *pk, struct err *e)
{
	int	 ca = r->ca && p->ca, rc;

	if ((rc = issue_ext(x, issuer, NID_basic_constraints, ca ?
	    "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE", e)) != 0)
		return rc;
	if (r->ku != NULL) {
		if (!X509_add1_ext_i2d(x, NID_key_usage, r->ku, 1,
		    X509V3_ADD_DEFAULT))
			return err_openssl(e, ERR_CRYPTO, "keyUsage");
	} else if ((rc = issue_ext(x, issuer, NID_key_usage, ca ?
	    "critical,digitalSignature,keyCertSign,cRLSign" :
	    EVP_PKEY_is_a(pk, "RSA") ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature", e)) != 0)
		return rc;
	if (r->eku != NULL) {
		if (!X509_add1_ext_i2d(x, NID_ext_key_usage, r->eku, 0,
		    X509V3_ADD_DEFAULT))
			return err_openssl(e, ERR_CRYPTO, "extendedKeyUsage");
	} else if (!ca && (rc = policy_eku_default(x, p, e)) != 0)
		return rc;
	if (r->san != NULL && !X509_add1_ext_i2d(x, NID_subject_alt_name,
	    r->san, 0, X509V3_ADD_DEFAULT))
		return err_openssl(e, ERR_CRYPTO, "subjectAltName");
	return 0;
}

int
policy_apply(const struct policy *p, X509_REQ *req, X509 *x, X509 *issuer,
    int trusted, struct err *e)
{
	struct policy_req	 r;
	X509_NAME		*n = X509_REQ_get_subject_name(req);
	EVP_PKEY		*pk = X509_REQ_get0_pubkey(req);
	int			 rc;

	if (pk == NULL)
		return err_set(e, ERR_INVAL, "certificate request without a "
		    "public key");
	if ((!trusted && (rc = policy_subject(p, n, e)) != 0) ||
	    (rc = policy_key(p, pk, e)) != 0 ||
	    (rc = policy_req_parse(&r, req, e)) != 0)
		return rc;
	if ((rc = policy_usage(p, &r, e)) == 0 &&
	    (trusted || (rc = policy_san(p, &r, n, e)) == 0) && x != NULL)
		rc = policy_grant(x, issuer, p, &r, pk, e);
	policy_req_clear(&r);
	return rc;
}
