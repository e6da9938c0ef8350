/*
 * estload: the EST load client of bench/ca-throughput (libcurl over
 * OpenSSL, independent of netpki-ca's GnuTLS side).
 *
 *   estload gen DIR N CN          N base64 PKCS#10 (P-256 keys) for CN
 *   estload load URL CAFILE DIR CONNS MODE [--user U:P]
 *                [--cert F --key F]
 *   estload hs URL CAFILE CONNS SECONDS
 *   estload bind HOST PORT CAFILE CN USER:PW right|wrong 1.2|1.3
 *
 * load posts DIR's requests to URL (.../simpleenroll or simplereenroll)
 * over CONNS threads; MODE keepalive: one TLS connection per thread;
 * new: a new connection and full handshake per certificate; resume: a
 * new connection per certificate resuming the thread's TLS session (what
 * the server allows; bench/ca-throughput asks openssl s_client whether
 * it does).  A 200 counts.  hs: connections per second for SECONDS
 * (connect, handshake, one GET of URL, close), to compare HTTPS servers.
 * Prints "... rate=R ..." like scepreq.  bind: one simpleenroll whose
 * CSR carries the session's channel binding in challengePassword (RFC
 * 7030 3.5): tls-unique (the client's Finished) on TLS 1.2, tls-exporter
 * (RFC 9266) on 1.3; prints the answer's status line.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define EL_MAX	100000

struct el_item {
	char	*b64;
	size_t	 len;
	long	 status;
	double	 ms;
};

struct el {
	const char	*url, *cafile, *user, *cert, *key, *mode;
	struct el_item	*items;
	int		 n, next;
	double		 until;		/* hs: monotonic deadline */
	long		 hs;		/* hs: connections done */
	pthread_mutex_t	 mu;
};

static double
el_now(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t
el_sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int
el_gen(const char *dir, int n, const char *cn)
{
	EVP_PKEY	*k;
	X509_REQ	*r;
	X509_NAME	*nm;
	unsigned char	*der = NULL, b64[4096];
	char		 path[4096];
	FILE		*f;
	int		 i, len;

	for (i = 0; i < n; i++) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		r = X509_REQ_new();
		nm = X509_NAME_new();
		if (k == NULL || r == NULL || nm == NULL ||
		    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0) ||
		    !X509_REQ_set_subject_name(r, nm) ||
		    !X509_REQ_set_pubkey(r, k) ||
		    X509_REQ_sign(r, k, EVP_sha256()) <= 0 ||
		    (len = i2d_X509_REQ(r, &der)) <= 0 || len > 3000)
			return 1;
		EVP_EncodeBlock(b64, der, len);
		snprintf(path, sizeof(path), "%s/%06d.b64", dir, i);
		if ((f = fopen(path, "w")) == NULL)
			return 1;
		fprintf(f, "%s\n", b64);
		fclose(f);
		OPENSSL_free(der);
		der = NULL;
		X509_NAME_free(nm);
		X509_REQ_free(r);
		EVP_PKEY_free(k);
	}
	return 0;
}

static int
el_read(struct el *l, const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];
	FILE		*f;
	long		 sz;

	if ((d = opendir(dir)) == NULL ||
	    (l->items = calloc(EL_MAX, sizeof(*l->items))) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL && l->n < EL_MAX) {
		if (strstr(de->d_name, ".b64") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			return 1;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		rewind(f);
		l->items[l->n].b64 = malloc((size_t)sz + 1);
		if (l->items[l->n].b64 == NULL ||
		    fread(l->items[l->n].b64, 1, (size_t)sz, f) != (size_t)sz)
			return 1;
		l->items[l->n++].len = (size_t)sz;
		fclose(f);
	}
	closedir(d);
	return 0;
}

/* A handle with the TLS settings of the run. */
static CURL *
el_handle(const struct el *l, struct curl_slist *hdr)
{
	CURL	*c = curl_easy_init();

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, l->url);
	curl_easy_setopt(c, CURLOPT_CAINFO, l->cafile);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, el_sink);
	if (hdr != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (l->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, l->user);
	}
	if (l->cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, l->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, l->key);
	}
	if (l->mode != NULL && strcmp(l->mode, "keepalive") != 0)
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	if (l->mode != NULL && strcmp(l->mode, "new") == 0)
		curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	return c;
}

static void *
el_worker(void *arg)
{
	struct el		*l = arg;
	struct curl_slist	*hdr;
	struct el_item		*it;
	CURL			*c;
	double			 t0;
	int			 i;

	hdr = curl_slist_append(NULL, "Content-Type: application/pkcs10");
	if ((c = el_handle(l, hdr)) == NULL)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&l->mu);
		i = l->next < l->n ? l->next++ : -1;
		pthread_mutex_unlock(&l->mu);
		if (i < 0)
			break;
		it = &l->items[i];
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->b64);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->len);
		t0 = el_now();
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
			    &it->status);
		it->ms = (el_now() - t0) * 1000;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return NULL;
}

static int
el_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
el_load(struct el *l, const char *dir, int conns)
{
	pthread_t	 th[64];
	double		 t0, secs, *v;
	int		 i, ok = 0;

	if (el_read(l, dir) != 0 || l->n == 0 ||
	    (v = calloc((size_t)l->n, sizeof(*v))) == NULL)
		return 1;
	t0 = el_now();
	for (i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, el_worker, l);
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	secs = el_now() - t0;
	for (i = 0; i < l->n; i++) {
		ok += l->items[i].status == 200;
		v[i] = l->items[i].ms;
	}
	qsort(v, (size_t)l->n, sizeof(*v), el_cmp);
	printf("conns=%d mode=%s requests=%d issued=%d failed=%d "
	    "seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n", conns,
	    l->mode, l->n, ok, l->n - ok, secs, ok / secs, v[l->n / 2],
	    v[(l->n * 99 + 99) / 100 - 1]);
	free(v);
	return ok == l->n ? 0 : 1;
}

static void *
el_hs_worker(void *arg)
{
	struct el	*l = arg;
	CURL		*c;
	long		 done = 0, code = 0;

	if ((c = el_handle(l, NULL)) == NULL)
		return NULL;
	while (el_now() < l->until) {
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200)
			done++;
	}
	curl_easy_cleanup(c);
	pthread_mutex_lock(&l->mu);
	l->hs += done;
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int
el_hs(struct el *l, int conns, double secs)
{
	pthread_t	 th[64];
	double		 t0;
	int		 i;

	l->mode = "new";
	t0 = el_now();
	l->until = t0 + secs;
	for (i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, el_hs_worker, l);
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	printf("conns=%d handshakes=%ld seconds=%.3f rate=%.1f\n", conns,
	    l->hs, el_now() - t0, l->hs / (el_now() - t0));
	return l->hs > 0 ? 0 : 1;
}

/* The session's channel binding, base64 (wrong: 32 bytes of 'x'). */
static void
el_binding(char *out, SSL *ssl, int wrong)
{
	unsigned char	 cb[64];
	size_t		 n;

	memset(cb, 'x', sizeof(cb));
	if (SSL_version(ssl) == TLS1_3_VERSION) {
		n = 32;
		if (!wrong && SSL_export_keying_material(ssl, cb, n,
		    "EXPORTER-Channel-Binding", 24, NULL, 0, 0) != 1)
			exit(1);
	} else {
		n = 12;
		if (!wrong)
			n = SSL_get_finished(ssl, cb, sizeof(cb));
	}
	EVP_EncodeBlock((unsigned char *)out, cb, (int)n);
}

/* A CSR for CN with challengePassword pw, base64 DER. */
static void
el_bind_csr(char *out, const char *cn, const char *pw)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ	*r = X509_REQ_new();
	X509_NAME	*nm = X509_NAME_new();
	unsigned char	*der = NULL;
	int		 len;

	if (k == NULL || r == NULL || nm == NULL ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(r, nm) || !X509_REQ_set_pubkey(r, k) ||
	    !X509_REQ_add1_attr_by_NID(r, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)pw, -1) ||
	    X509_REQ_sign(r, k, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(r, &der)) <= 0 || len > 3000)
		exit(1);
	EVP_EncodeBlock((unsigned char *)out, der, len);
	OPENSSL_free(der);
	X509_NAME_free(nm);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
}

static int
el_bind(char **argv)
{
	struct sockaddr_in	 sin;
	SSL_CTX			*ctx = SSL_CTX_new(TLS_client_method());
	SSL			*ssl;
	char			 cb[128], csr[4096], auth[512], req[8192], rep[512];
	int			 fd, n, v13 = strcmp(argv[8], "1.3") == 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[3]));
	if (ctx == NULL || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, argv[4], NULL) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, v13 ? TLS1_3_VERSION :
	    TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION :
	    TLS1_2_VERSION);
	if ((ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd) ||
	    SSL_connect(ssl) != 1)
		return 1;
	el_binding(cb, ssl, strcmp(argv[7], "wrong") == 0);
	el_bind_csr(csr, argv[5], cb);
	EVP_EncodeBlock((unsigned char *)auth, (const unsigned char *)argv[6],
	    (int)strlen(argv[6]));
	n = snprintf(req, sizeof(req), "POST /.well-known/est/simpleenroll "
	    "HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pkcs10\r\n"
	    "Authorization: Basic %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", argv[2], auth, strlen(csr), csr);
	if (SSL_write(ssl, req, n) != n || (n = SSL_read(ssl, rep,
	    sizeof(rep) - 1)) <= 0)
		return 1;
	rep[n] = '\0';
	rep[strcspn(rep, "\r\n")] = '\0';
	printf("%s %s\n", SSL_get_version(ssl), rep);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}

static void
el_opts(struct el *l, int argc, char **argv, int i)
{
	for (; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--user") == 0)
			l->user = argv[i + 1];
		else if (strcmp(argv[i], "--cert") == 0)
			l->cert = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			l->key = argv[i + 1];
}

int
main(int argc, char **argv)
{
	struct el	 l;
	int		 conns;

	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.mu, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		return el_gen(argv[2], atoi(argv[3]), argv[4]);
	if (argc >= 7 && strcmp(argv[1], "load") == 0) {
		l.url = argv[2];
		l.cafile = argv[3];
		l.mode = argv[6];
		el_opts(&l, argc, argv, 7);
		conns = atoi(argv[5]);
		return el_load(&l, argv[4], conns < 1 || conns > 64 ? 1 :
		    conns);
	}
	if (argc == 9 && strcmp(argv[1], "bind") == 0)
		return el_bind(argv);
	if (argc >= 6 && strcmp(argv[1], "hs") == 0) {
		l.url = argv[2];
		l.cafile = argv[3];
		el_opts(&l, argc, argv, 6);
		conns = atoi(argv[4]);
		return el_hs(&l, conns < 1 || conns > 64 ? 1 : conns,
		    atof(argv[5]));
	}
	fprintf(stderr, "usage: estload gen DIR N CN | load URL CAFILE DIR "
	    "CONNS keepalive|new|resume [--user U:P] [--cert F --key F] | "
	    "hs URL CAFILE CONNS SECONDS | bind HOST PORT CAFILE CN USER:PW "
	    "right|wrong 1.2|1.3\n");
	return 2;
}
