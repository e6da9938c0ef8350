/*
 * http: libmicrohttpd's one polling thread does the HTTP; PKIOperations,
 * the CPU-heavy part, go to the workers (work.h) with their connections
 * suspended until the reply is ready.  Every thread that reads the store
 * keeps its own database connection (SQLite connections are not shared);
 * everything else the handlers read is immutable while serving.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "scep_msg.h"
#include "scep_server.h"
#include "work.h"

struct http {
	struct MHD_Daemon		*mhd;
	const struct scep_server	*srv;
	struct work			*work;
	pthread_key_t			 dbkey;
	int				 haskey;
	unsigned char			*p7b, *pem;	/* /bundle.* */
	size_t				 p7b_len, pem_len;
};

/* Where a request is: being read, with the workers, or answered. */
enum http_state {
	HTTP_READING,
	HTTP_QUEUED,
	HTTP_READY,
};

/* Per request: the body (capped), and the reply once made. */
struct http_req {
	struct work_job		 job;		/* first: see http_job */
	struct http		*h;
	struct MHD_Connection	*c;
	struct timespec		 start;
	unsigned char		*body;
	size_t			 len;
	int			 toobig;
	enum http_state		 state;
	const char		*op;		/* ?operation=, for the log */
	unsigned char		*msg;		/* GET pkiMessage, decoded */
	size_t			 msglen;
	struct scep_reply	 reply;
};

/* http_route's "the reply comes later": the request is with the workers. */
#define HTTP_LATER	1

static void
http_db_close(void *p)
{
	db_close(p);
}

static struct db *
http_db(struct http *h, struct err *e)
{
	struct db	*db = pthread_getspecific(h->dbkey);

	if (db != NULL)
		return db;
	if (ca_db_open(&db, h->srv->ca, e) != 0)
		return NULL;
	pthread_setspecific(h->dbkey, db);
	return db;
}

/* Client-controlled text in a log line: printable ASCII only, capped. */
static void
http_clean(char *dst, size_t sz, const char *src, size_t n)
{
	size_t	 i, j = 0;

	for (i = 0; i < n && src[i] != '\0' && j + 1 < sz; i++)
		dst[j++] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[j] = '\0';
}

static void
http_log(struct MHD_Connection *c, const char *method, const char *url,
    const char *op, const struct http_req *hr, const struct scep_reply *r)
{
	const union MHD_ConnectionInfo	*ci;
	struct timespec			 now;
	struct tm			 tm;
	char				 addr[INET6_ADDRSTRLEN] = "-", ts[32];
	char				 path[128], opname[33];
	long				 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - hr->start.tv_sec) * 1000 +
	    (now.tv_nsec - hr->start.tv_nsec) / 1000000;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		if (ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)ci->client_addr)->sin_addr, addr,
			    sizeof(addr));
		else if (ci->client_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)ci->client_addr)->sin6_addr, addr,
			    sizeof(addr));
	}
	time_t t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* The URL's query may hold a GET pkiMessage: log the path only. */
	http_clean(path, sizeof(path), url, strcspn(url, "?"));
	http_clean(opname, sizeof(opname), op ? op : "", 32);
	fprintf(stderr, "%s %s %.8s %s%s%s %d %zu %ldms%s\n", ts, addr, method,
	    path, op ? " " : "", opname, r->http, r->len, ms, r->note);
}

static enum MHD_Result
http_send(struct MHD_Connection *c, struct scep_reply *r)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	resp = MHD_create_response_from_buffer(r->len, r->body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	r->body = NULL;		/* MHD owns it now */
	if (r->type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->type);
	ret = MHD_queue_response(c, (unsigned int)r->http, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
http_copy(struct scep_reply *r, int status, const char *type,
    const unsigned char *p, size_t n)
{
	r->http = status;
	r->type = type;
	if ((r->body = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	memcpy(r->body, p, n);
	r->len = n;
	return 0;
}

static int
http_text(struct scep_reply *r, int status, const char *s)
{
	return http_copy(r, status, "text/plain", (const unsigned char *)s,
	    strlen(s));
}

/* GET PKIOperation: base64 in the query, possibly with '+' turned to ' '. */
static int
http_unbase64(unsigned char **out, size_t *outlen, const char *s)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	unsigned char	*buf = NULL;
	char		*t = NULL, *p;
	size_t		 n = strlen(s);
	int		 a = 0, b = 0, rc = -1;

	if (n == 0 || n > HTTP_BODYMAX * 4 / 3 + 4 || (t = strdup(s)) == NULL)
		goto out;
	for (p = t; *p != '\0'; p++)
		if (*p == ' ')
			*p = '+';
	if ((buf = malloc(n)) == NULL || (ctx = EVP_ENCODE_CTX_new()) == NULL)
		goto out;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &a, (unsigned char *)t, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, buf + a, &b) != 1)
		goto out;
	*out = buf;
	*outlen = (size_t)(a + b);
	buf = NULL;
	rc = 0;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	free(t);
	return rc;
}

/* In a worker: the PKIOperation, then back to the polling thread. */
static void
http_job(struct work_job *j, struct db *db, const struct err *dberr)
{
	struct http_req	*hr = (struct http_req *)(void *)j;
	struct scep_reply *r = &hr->reply;
	const unsigned char *der = hr->msg != NULL ? hr->msg : hr->body;
	size_t		 len = hr->msg != NULL ? hr->msglen : hr->len;

	if (db == NULL) {
		snprintf(r->note, sizeof(r->note), " %.300s", dberr->msg);
		if (http_text(r, 503, "database unavailable\n") != 0)
			scep_reply_clear(r);
	} else if (scep_server_pkiop(hr->h->srv, db, der, len, r) != 0) {
		scep_reply_clear(r);
		if (http_text(r, 500, "internal error\n") != 0)
			scep_reply_clear(r);
	}
	hr->state = HTTP_READY;
	MHD_resume_connection(hr->c);
}

static int
http_scep(struct http *h, struct MHD_Connection *c, const char *method,
    struct http_req *hr, struct scep_reply *r)
{
	const char	*op, *msg;

	op = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "operation");
	hr->op = op;
	if (op == NULL)
		return http_text(r, 400, "missing operation\n");
	if (strcmp(op, "GetCACaps") == 0)
		return scep_server_getcacaps(h->srv, r);
	if (strcmp(op, "GetCACert") == 0)
		return scep_server_getcacert(h->srv, r);
	if (strcmp(op, "PKIOperation") != 0)
		return http_text(r, 400, "unsupported operation\n");
	if (strcmp(method, "POST") != 0) {
		msg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "message");
		if (msg == NULL ||
		    http_unbase64(&hr->msg, &hr->msglen, msg) != 0)
			return http_text(r, 400, "message: base64 expected\n");
	}
	/* Suspended before queued: the worker may resume it at once. */
	hr->h = h;
	hr->c = c;
	hr->job.fn = http_job;
	hr->state = HTTP_QUEUED;
	MHD_suspend_connection(c);
	if (work_push(h->work, &hr->job) != 0) {
		/* Stopping: no worker will take it. */
		hr->state = HTTP_READING;
		MHD_resume_connection(c);
		return http_text(r, 503, "shutting down\n");
	}
	return HTTP_LATER;
}

static int
http_route(struct http *h, struct MHD_Connection *c, const char *url,
    const char *method, struct http_req *hr, struct scep_reply *r)
{
	const struct ca	*ca = h->srv->ca;
	unsigned char	*der = NULL;
	size_t		 len;
	struct db	*db;
	struct err	 e;
	BIO		*b;
	char		*p;
	long		 n;
	int		 rc;

	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "HEAD") != 0)
		return http_text(r, 405, "method not allowed\n");
	if (hr->toobig)
		return http_text(r, 413, "request body over 64 KiB\n");
	if (strcmp(url, "/cgi-bin/pkiclient.exe") == 0 ||
	    strcmp(url, "/scep") == 0)
		return http_scep(h, c, method, hr, r);
	if (strcmp(method, "POST") == 0)
		return http_text(r, 405, "method not allowed\n");
	if (strcmp(url, "/crl") == 0) {
		if ((db = http_db(h, &e)) == NULL ||
		    crl_current(&der, &len, ca, db, &e) != 0) {
			snprintf(r->note, sizeof(r->note), " %.300s", e.msg);
			return http_text(r, 503, "CRL unavailable\n");
		}
		r->http = 200;
		r->type = "application/pkix-crl";
		r->body = der;
		r->len = len;
		return 0;
	}
	if (strcmp(url, "/ca.crt") == 0) {
		if ((b = BIO_new(BIO_s_mem())) == NULL ||
		    !PEM_write_bio_X509(b, ca->cert)) {
			BIO_free(b);
			return -1;
		}
		n = BIO_get_mem_data(b, &p);
		rc = http_copy(r, 200, "application/x-pem-file",
		    (unsigned char *)p, (size_t)n);
		BIO_free(b);
		return rc;
	}
	if (strcmp(url, "/bundle.p7b") == 0)
		return http_copy(r, 200, "application/x-pkcs7-certificates",
		    h->p7b, h->p7b_len);
	if (strcmp(url, "/bundle.pem") == 0)
		return http_copy(r, 200, "application/x-pem-file", h->pem,
		    h->pem_len);
	return http_text(r, 404, "not found\n");
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http		*h = cls;
	struct http_req		*hr = *con_cls;
	struct scep_reply	*r;
	const char		*cl;
	enum MHD_Result		 ret;
	int			 rc;

	(void)version;
	if (hr == NULL) {
		if ((hr = calloc(1, sizeof(*hr))) == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &hr->start);
		*con_cls = hr;
		/* Refuse an announced oversize body before reading it. */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl == NULL || strtoull(cl, NULL, 10) <= HTTP_BODYMAX)
			return MHD_YES;
		hr->toobig = 1;
	} else if (*upload_size > 0) {
		if (!hr->toobig && hr->len + *upload_size <= HTTP_BODYMAX) {
			unsigned char	*nb = realloc(hr->body, hr->len +
			    *upload_size);

			if (nb == NULL)
				return MHD_NO;
			memcpy(nb + hr->len, upload, *upload_size);
			hr->body = nb;
			hr->len += *upload_size;
		} else
			hr->toobig = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	r = &hr->reply;
	if (hr->state == HTTP_QUEUED)
		return MHD_YES;		/* woken early; the worker resumes */
	if (hr->state == HTTP_READING) {
		if ((rc = http_route(h, c, url, method, hr, r)) == HTTP_LATER)
			return MHD_YES;
		if (rc != 0) {
			scep_reply_clear(r);
			if (http_text(r, 500, "internal error\n") != 0)
				return MHD_NO;
		}
	}
	if (r->body == NULL)
		return MHD_NO;
	http_log(c, method, url, hr->op, hr, r);
	ret = http_send(c, r);
	scep_reply_clear(r);
	return ret;
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*hr = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (hr != NULL) {
		scep_reply_clear(&hr->reply);
		free(hr->body);
		free(hr->msg);
		free(hr);
		*con_cls = NULL;
	}
}

static int
http_bundles(struct http *h, struct err *e)
{
	STACK_OF(X509)	*sk = NULL;
	BIO		*b = NULL;
	char		*p;
	long		 n;
	int		 i, rc;

	if ((rc = ca_bundle(&sk, h->srv->ca, 1, e)) != 0 ||
	    (rc = scep_degenerate_build(&h->p7b, &h->p7b_len, sk, NULL, e)) !=
	    0)
		goto out;
	if ((b = BIO_new(BIO_s_mem())) == NULL) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(sk, i))) {
			rc = err_set(e, ERR_CRYPTO, "bundle PEM");
			goto out;
		}
	n = BIO_get_mem_data(b, &p);
	if ((h->pem = malloc((size_t)n + 1)) == NULL) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(h->pem, p, (size_t)n);
	h->pem_len = (size_t)n;
 out:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int
http_parse_listen(struct sockaddr_storage *ss, socklen_t *sl, const char *s,
    struct err *e)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*colon;
	char			*end;
	long			 port;
	size_t			 hl;

	memset(ss, 0, sizeof(*ss));
	if ((colon = strrchr(s, ':')) == NULL ||
	    (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		return err_set(e, ERR_INVAL, "--listen %s: ADDRESS:PORT "
		    "expected", s);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
		return err_set(e, ERR_INVAL, "--listen %s: bad port", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			return err_set(e, ERR_INVAL, "--listen %s: bad IPv6 "
			    "address", s);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return err_set(e, ERR_INVAL, "--listen %s: an IPv4 address "
		    "(or [IPv6]) is expected", s);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*sl = sizeof(*sin);
	return 0;
}

int
http_listen(int *fdp, int *port, const char *listen_on, struct err *e)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, one = 1, rc;

	*fdp = -1;
	if ((rc = http_parse_listen(&ss, &sl, listen_on, e)) != 0)
		return rc;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, ERR_NET, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 128) == -1) {
		rc = err_errno(e, ERR_NET, "cannot listen on %s", listen_on);
		close(fd);
		return rc;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		rc = err_errno(e, ERR_NET, "getsockname");
		close(fd);
		return rc;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*fdp = fd;
	return 0;
}

/*
 * Workers by default: two per CPU, so that a core stays busy while a
 * worker waits for its certificate's commit.
 */
static int
http_workers(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 2 : n > 32 ? 64 : 2 * (int)n;
}

int
http_start(struct http **out, const struct scep_server *srv, int fd,
    int threads, struct err *e)
{
	struct http	*h;
	int		 rc;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return err_set(e, ERR_NOMEM, "out of memory");
	h->srv = srv;
	if (pthread_key_create(&h->dbkey, http_db_close) != 0) {
		free(h);
		return err_set(e, ERR_NOMEM, "pthread_key_create");
	}
	h->haskey = 1;
	if ((rc = http_bundles(h, e)) != 0)
		goto fail;
	if ((rc = work_new(&h->work, srv->ca, threads > 0 ? threads :
	    http_workers(), e)) != 0)
		goto fail;
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, http_handler, h,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAXCONN,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		rc = err_set(e, ERR_NET, "libmicrohttpd did not start");
		goto fail;
	}
	*out = h;
	return 0;
 fail:
	http_stop(h);
	return rc;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	/*
	 * The workers finish what is queued (resuming those connections)
	 * before the daemon goes; requests that arrive meanwhile get 503.
	 */
	work_stop(h->work);
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	work_free(h->work);
	if (h->haskey)
		pthread_key_delete(h->dbkey);
	free(h->p7b);
	free(h->pem);
	free(h);
}
