/*
 * bench_verify: chain verifications per second with CRL checking, netpki's
 * verified CRL index against a bare OpenSSL X509_verify_cert loop, on the
 * same RSA-2048 chain (root -> intermediate -> leaf) and the same CRLs of
 * 0, 100,000 and 1,000,000 entries, in the same run.
 *
 *   bench_verify WORKDIR [seconds-per-measurement]
 *
 * Leaves in WORKDIR what bench/verify needs for the process-level
 * comparison: root.pem, int.pem, leaf.pem, chain.pem, root.crl,
 * int-N.crl (DER), int-big.crl (DER, just under CRL_MAXSIZE), and state/
 * (a netpki state directory whose CRL cache holds the 1M-entry CRL and a
 * trustpoint "bench" with root.pem).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "err.h"
#include "store.h"
#include "verify.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	die(const char *) __attribute__((noreturn));

static void
die(const char *what)
{
	fprintf(stderr, "bench_verify: %s\n", what);
	exit(1);
}

static void
ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		die("extension");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static X509 *
mkcert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca,
    const char *dp)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	unsigned char	 sn[16];
	BIGNUM		*bn;
	time_t		 t = time(NULL);

	X509_set_version(x, X509_VERSION_3);
	RAND_bytes(sn, sizeof(sn));
	sn[0] &= 0x7f;
	bn = BN_bin2bn(sn, sizeof(sn), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"netpki bench", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), t - 86400);
	ASN1_TIME_set(X509_getm_notAfter(x), t + 365 * 86400);
	X509_set_pubkey(x, key);
	ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	ext(x, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature,keyEncipherment");
	if (!ca) {
		ext(x, issuer, NID_ext_key_usage, "serverAuth");
		ext(x, issuer, NID_subject_alt_name, "DNS:bench.example");
	}
	ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		ext(x, issuer, NID_authority_key_identifier, "keyid");
	if (dp != NULL)
		ext(x, issuer, NID_crl_distribution_points, dp);
	if (X509_sign(x, ikey ? ikey : key, EVP_sha256()) <= 0)
		die("sign certificate");
	return x;
}

/*
 * A CRL of n random serials of slen bytes (the leaf is not among them),
 * each with a reason code when reasons is set.
 */
static unsigned char *
mkcrl_with(X509 *ca, EVP_PKEY *key, long n, int slen, int reasons,
    size_t *len)
{
	X509_CRL	*crl = X509_CRL_new();
	ASN1_TIME	*t;
	ASN1_ENUMERATED	*en = ASN1_ENUMERATED_new();
	unsigned char	 sn[32], *der = NULL;
	BIGNUM		*bn = BN_new();
	time_t		 now_t = time(NULL);
	long		 i;
	int		 dl;

	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = ASN1_TIME_set(NULL, now_t - 3600);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, now_t + 7 * 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	for (i = 0; i < n; i++) {
		X509_REVOKED	*r = X509_REVOKED_new();
		ASN1_INTEGER	*ai;

		RAND_bytes(sn, slen);
		/* A fixed length: top bit clear, top byte nonzero. */
		sn[0] = (unsigned char)((sn[0] & 0x7f) | 0x01);
		BN_bin2bn(sn, slen, bn);
		ai = BN_to_ASN1_INTEGER(bn, NULL);
		X509_REVOKED_set_serialNumber(r, ai);
		ASN1_INTEGER_free(ai);
		ASN1_TIME_set(t, now_t - 86400 - i);
		X509_REVOKED_set_revocationDate(r, t);
		if (reasons) {
			ASN1_ENUMERATED_set(en, i % 6);
			X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, en, 0, 0);
		}
		X509_CRL_add0_revoked(crl, r);
	}
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(en);
	BN_free(bn);
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, key, EVP_sha256()) <= 0)
		die("sign CRL");
	if ((dl = i2d_X509_CRL(crl, &der)) <= 0)
		die("encode CRL");
	X509_CRL_free(crl);
	*len = (size_t)dl;
	return der;
}

static unsigned char *
mkcrl(X509 *ca, EVP_PKEY *key, long n, size_t *len)
{
	return mkcrl_with(ca, key, n, 16, 0, len);
}

static void
writefile(const char *dir, const char *name, const void *buf, size_t len)
{
	char		 path[1024];
	struct err	 e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (store_file_write(path, buf, len, 0644, &e) != 0)
		die(e.msg);
}

static void
writepem(const char *dir, const char *name, X509 *a, X509 *b)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*p;
	long	 n;

	PEM_write_bio_X509(bio, a);
	if (b != NULL)
		PEM_write_bio_X509(bio, b);
	n = BIO_get_mem_data(bio, &p);
	writefile(dir, name, p, (size_t)n);
	BIO_free(bio);
}

struct chain {
	X509		*root, *inter, *leaf;
	STACK_OF(X509)	*untrusted;
	X509_STORE	*store;
};

/*
 * The machine is shared, so the compared loops run interleaved in short
 * slices and each rate is its total count over its total time.
 */
struct rate {
	long	 n;
	double	 t;
};

/* Bare OpenSSL: what a TLS program using X509_verify_cert does. */
static void
bare_slice(struct rate *r, struct chain *c, STACK_OF(X509_CRL) *crls,
    double secs)
{
	X509_STORE_CTX	*ctx;
	double		 t0 = now(), t;
	long		 n = 0;

	do {
		ctx = X509_STORE_CTX_new();
		X509_STORE_CTX_init(ctx, c->store, c->leaf, c->untrusted);
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
		if (crls != NULL) {
			X509_STORE_CTX_set0_crls(ctx, crls);
			X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(
			    ctx), X509_V_FLAG_CRL_CHECK |
			    X509_V_FLAG_CRL_CHECK_ALL);
		}
		if (X509_verify_cert(ctx) != 1)
			die(X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(ctx)));
		X509_STORE_CTX_free(ctx);
		n++;
		t = now() - t0;
	} while (t < secs);
	r->n += n;
	r->t += t;
}

static void
netpki_slice(struct rate *r, struct chain *c, struct verify *v, double secs)
{
	struct verify_opts	 o;
	struct verify_result	 res;
	struct err		 e;
	double			 t0 = now(), t;
	long			 n = 0;

	memset(&o, 0, sizeof(o));
	o.purpose = VERIFY_SSL_SERVER;
	o.flags = VERIFY_NOFETCH;
	do {
		if (verify_chain(&res, v, c->leaf, c->untrusted, &o, &e) != 0)
			die(e.msg);
		if (res.rev[0].status != VERIFY_REV_GOOD ||
		    res.rev[1].status != VERIFY_REV_GOOD || res.openssl_crl)
			die("revocation not answered from the index");
		verify_result_free(&res);
		n++;
		t = now() - t0;
	} while (t < secs);
	r->n += n;
	r->t += t;
}

static double
rate(const struct rate *r)
{
	return r->t > 0 ? (double)r->n / r->t : 0;
}

static long
rss_kb(void)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	if (f != NULL)
		fclose(f);
	return kb;
}

/* What the measurements share. */
struct bench {
	const char		*dir;		/* WORKDIR */
	double			 secs;		/* per figure */
	struct chain		 c;
	EVP_PKEY		*rk, *ik;	/* root's, intermediate's */
	unsigned char		*rootcrl;	/* the root's CRL (DER) */
	size_t			 rootlen;
	struct verify_anchors	 a;		/* the root */
	double			 r_np[3], r_no[3]; /* netpki, no check */
	double			 build_s;	/* index build, 1M entries */
	long			 dersize;	/* the 1M-entry CRL's DER */
};

static const long	 bench_sizes[] = { 0, 100000, 1000000 };

/* Keys, the chain, its PEM files and the trustpoint's ca.pem, root CRL. */
static void
bench_setup(struct bench *b)
{
	EVP_PKEY	*lk;
	BIO		*bio;
	struct err	 e;
	char		 path[1024], *p;
	long		 n;

	if ((b->rk = EVP_RSA_gen(2048)) == NULL || (b->ik = EVP_RSA_gen(2048))
	    == NULL || (lk = EVP_RSA_gen(2048)) == NULL)
		die("RSA keys");
	b->c.root = mkcert("Bench Root", b->rk, NULL, NULL, 1, NULL);
	b->c.inter = mkcert("Bench Intermediate", b->ik, b->c.root, b->rk, 1,
	    "URI:http://127.0.0.1:9/root.crl");
	b->c.leaf = mkcert("bench.example", lk, b->c.inter, b->ik, 0,
	    "URI:http://127.0.0.1:9/int.crl");
	b->c.untrusted = sk_X509_new_null();
	sk_X509_push(b->c.untrusted, b->c.inter);
	b->c.store = X509_STORE_new();
	X509_STORE_add_cert(b->c.store, b->c.root);
	writepem(b->dir, "root.pem", b->c.root, NULL);
	writepem(b->dir, "int.pem", b->c.inter, NULL);
	writepem(b->dir, "leaf.pem", b->c.leaf, NULL);
	writepem(b->dir, "chain.pem", b->c.leaf, b->c.inter);
	snprintf(path, sizeof(path), "%s/state/trustpoints/bench/ca.pem",
	    b->dir);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, b->c.root);
	n = BIO_get_mem_data(bio, &p);
	if (store_file_write(path, p, (size_t)n, 0644, &e) != 0)
		die(e.msg);
	BIO_free(bio);
	b->rootcrl = mkcrl(b->c.root, b->rk, 0, &b->rootlen);
	writefile(b->dir, "root.crl", b->rootcrl, b->rootlen);
	b->a.certs = sk_X509_new_null();
	sk_X509_push(b->a.certs, b->c.root);
}

/* Both CRLs put in a new cache at cachedir; *put_s times the first put. */
static struct crl_cache *
bench_cache(struct bench *b, const char *cachedir, const unsigned char *crl,
    size_t len, double *put_s)
{
	struct crl_cache	*cache;
	struct err		 e;
	double			 t0;

	if (crl_cache_open(&cache, cachedir, &e) != 0)
		die(e.msg);
	t0 = now();
	if (crl_cache_put(cache, crl, len, b->c.inter,
	    "http://127.0.0.1:9/int.crl", time(NULL), &e) != 0)
		die(e.msg);
	*put_s = now() - t0;
	if (crl_cache_put(cache, b->rootcrl, b->rootlen, b->c.root,
	    "http://127.0.0.1:9/root.crl", time(NULL), &e) != 0)
		die(e.msg);
	return cache;
}

/* Row i: the three rates at bench_sizes[i] entries, interleaved. */
static void
bench_row(struct bench *b, int i)
{
	STACK_OF(X509_CRL)	*crls = sk_X509_CRL_new_null();
	struct rate		 rb = { 0, 0 }, rn = { 0, 0 }, r0 = { 0, 0 };
	struct crl_cache	*cache;
	struct verify		*v;
	struct err		 e;
	X509_CRL		*x;
	unsigned char		*crl;
	char			 name[64], cachedir[1024];
	size_t			 len;
	double			 put_s, r_bare;
	int			 k, slices;

	fflush(stdout);
	crl = mkcrl(b->c.inter, b->ik, bench_sizes[i], &len);
	snprintf(name, sizeof(name), "int-%ld.crl", bench_sizes[i]);
	writefile(b->dir, name, crl, len);
	/* Bare OpenSSL holds the parsed CRLs, as a TLS server would. */
	if (crl_parse(&x, crl, len, &e) != 0)
		die(e.msg);
	sk_X509_CRL_push(crls, x);
	if (crl_parse(&x, b->rootcrl, b->rootlen, &e) != 0)
		die(e.msg);
	sk_X509_CRL_push(crls, x);

	snprintf(cachedir, sizeof(cachedir), "%s/state%s/crl", b->dir,
	    i == 2 ? "" : name);
	cache = bench_cache(b, cachedir, crl, len, &put_s);
	if (i == 2)
		b->build_s = put_s;
	if (verify_new(&v, &b->a, 1, cache, &e) != 0)
		die(e.msg);
	/* OpenSSL sorts a CRL on first use: not part of the rate. */
	bare_slice(&rb, &b->c, crls, 0);
	rb.n = 0;
	rb.t = 0;
	slices = (int)(b->secs / 0.25) + 1;
	for (k = 0; k < slices; k++) {
		bare_slice(&r0, &b->c, NULL, 0.25);
		bare_slice(&rb, &b->c, crls, 0.25);
		netpki_slice(&rn, &b->c, v, 0.25);
	}
	r_bare = rate(&rb);
	b->r_np[i] = rate(&rn);
	b->r_no[i] = rate(&r0);
	verify_free(v);
	crl_cache_free(cache);
	OPENSSL_free(crl);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	printf("%-12ld %14.0f %16.0f %7.0fx %16.0f %9.0f%%\n", bench_sizes[i],
	    r_bare, b->r_np[i], b->r_np[i] / r_bare, b->r_no[i],
	    100 * b->r_np[i] / b->r_no[i]);
	if (i == 2)
		b->dersize = (long)len;
}

/* The size of the 1M-entry CRL's index file in dir's state, or 0. */
static long
bench_idxsize(const char *dir)
{
	struct crl_cache	*cache;
	struct crl_info		*info;
	struct stat		 sb;
	struct err		 e;
	char			 cachedir[1024], path[1024];
	size_t			 n, k;
	long			 idxsize = 0;

	snprintf(cachedir, sizeof(cachedir), "%s/state/crl", dir);
	if (crl_cache_open(&cache, cachedir, &e) != 0 ||
	    crl_cache_list(cache, &info, &n, &e) != 0)
		die(e.msg);
	for (k = 0; k < n; k++) {
		if (info[k].count != 1000000)
			continue;
		snprintf(path, sizeof(path), "%.*s.idx",
		    (int)strlen(info[k].path) - 4, info[k].path);
		if (stat(path, &sb) == 0)
			idxsize = (long)sb.st_size;
	}
	free(info);
	crl_cache_free(cache);
	return idxsize;
}

/*
 * The largest CRL the cap admits, for bench/verify's memory row:
 * 20-byte serials with a reason code each, 53 bytes an entry.
 */
static void
bench_big(struct bench *b)
{
	unsigned char	*crl;
	size_t		 len;

	crl = mkcrl_with(b->c.inter, b->ik, (long)((CRL_MAXSIZE - 4096) / 53),
	    20, 1, &len);
	if (len > CRL_MAXSIZE)
		die("big CRL over the cap");
	writefile(b->dir, "int-big.crl", crl, len);
	printf("big CRL: DER %.1f MB (cap %u MiB)\n", len / 1e6,
	    CRL_MAXSIZE >> 20);
	OPENSSL_free(crl);
}

int
main(int argc, char *argv[])
{
	struct bench	 b = { .secs = 2.0,
			    .a = { "trustpoint bench", NULL, 0, NULL } };
	int		 i;

	if (argc < 2)
		die("usage: bench_verify WORKDIR [seconds]");
	b.dir = argv[1];
	if (argc > 2)
		b.secs = atof(argv[2]);
	bench_setup(&b);
	printf("netpki bench/verify: %s, RSA-2048 root -> intermediate -> "
	    "leaf, %.1f s per figure\n", OpenSSL_version(OPENSSL_VERSION),
	    b.secs);
	printf("%-12s %14s %16s %8s %16s %10s\n", "CRL entries",
	    "bare OpenSSL/s", "netpki index/s", "ratio", "no CRL check/s",
	    "netpki/no");
	for (i = 0; i < 3; i++)
		bench_row(&b, i);
	/*
	 * Flatness from the interleaved ratios: the machine's load moves
	 * between sizes, the ratio within one size does not.
	 */
	printf("netpki 1M vs 0 entries, each against its no-check rate: "
	    "%.0f%% (flat = 100%%); target netpki/no >= 85%%\n",
	    100 * (b.r_np[2] / b.r_no[2]) / (b.r_np[0] / b.r_no[0]));
	/* The index file of the 1M-entry CRL. */
	printf("1M-entry CRL: DER %.1f MB, index %.1f MB (target < 24 MB)\n",
	    b.dersize / 1e6, bench_idxsize(b.dir) / 1e6);
	printf("index build (parse, verify, index, write): %.3f s\n",
	    b.build_s);
	printf("peak RSS of this benchmark: %ld MB (bare OpenSSL keeps the "
	    "parsed CRL in memory)\n", rss_kb() / 1024);
	bench_big(&b);
	sk_X509_free(b.a.certs);
	OPENSSL_free(b.rootcrl);
	return 0;
}
