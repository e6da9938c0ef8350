/*
 * agent_metrics: `netpki agent --metrics-file PATH`, a node_exporter
 * textfile (Prometheus text format 0.0.4) written each round: seconds
 * until each watched certificate's notAfter, and each router
 * certificate's renewal record (renew.h).  Written atomically
 * (temporary file, fsync, rename), so the collector never reads half a
 * file; its temporary name (".NAME.XXXXXX") is not a *.prom file.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "agent_int.h"
#include "buf.h"
#include "cert.h"
#include "err.h"
#include "expiry.h"
#include "renew.h"
#include "store.h"
#include "trustpoint.h"

#define AGENT_METRICS_MAX	(16u * 1024 * 1024)	/* the whole file */

/* A label value escaped as the text format wants: \\ \" \n. */
static void
agent_metrics_label(struct buf *b, const char *name, const char *v)
{
	buf_addf(b, "%s=\"", name);
	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			buf_addf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_add(b, v, 1);
	buf_adds(b, "\"");
}

static void
agent_metrics_cert(struct buf *b, const struct expiry_cert *c, time_t now)
{
	int	 router = c->kind == EXPIRY_ROUTER ||
		    c->kind == EXPIRY_ROUTER_SHADOW;

	buf_adds(b, "netpki_cert_expiry_seconds{");
	agent_metrics_label(b, "trustpoint", c->tp);
	buf_adds(b, ",");
	agent_metrics_label(b, "kind", expiry_kind_name(c->kind));
	buf_adds(b, ",");
	agent_metrics_label(b, "key", router ? tp_kind_name(c->slot) : "");
	buf_adds(b, ",");
	/* cert_dn escaped it (text.h): valid UTF-8, no controls. */
	agent_metrics_label(b, "subject", c->subject);
	buf_addf(b, "} %lld\n", (long long)(c->not_after - now));
}

/* The renewal figures of each router certificate's key pair. */
static void
agent_metrics_renewal(struct buf *b, struct store *st,
    const struct expiry_list *l, int failures)
{
	struct renew_state	 rs;
	const struct expiry_cert *c;
	size_t			 i;

	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		if (c->kind != EXPIRY_ROUTER)
			continue;
		/* Never renewed: zeros, so the series exists from the start. */
		if (renew_state_load(&rs, st, c->tp, c->slot, NULL) != 0)
			memset(&rs, 0, sizeof(rs));
		buf_adds(b, failures ? "netpki_renewal_failures_total{" :
		    "netpki_renewal_last_success_timestamp{");
		agent_metrics_label(b, "trustpoint", c->tp);
		buf_adds(b, ",");
		agent_metrics_label(b, "kind", tp_kind_name(c->slot));
		if (failures)
			buf_addf(b, "} %lu\n", rs.failures_total);
		else
			buf_addf(b, "} %lld\n", (long long)rs.last_success);
	}
}

/*
 * The collector's directory must be there: store_file_write would make it
 * (mode 0700, which node_exporter could not read).
 */
static int
agent_metrics_dir(const char *path, struct err *e)
{
	struct stat	 sb;
	char		 dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return err_set(e, ERR_INVAL, "metrics file %s: path too long",
		    path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &sb) == -1)
		return err_errno(e, ERR_IO, "metrics file %s: %s", path, dir);
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, ERR_IO, "metrics file %s: %s is not a "
		    "directory", path, dir);
	return 0;
}

int
agent_metrics_write(const char *path, struct store *st,
    const struct expiry_list *l, time_t now, struct err *e)
{
	struct buf	 b;
	char		*text;
	size_t		 i, len;
	int		 rc, berr;

	if ((rc = agent_metrics_dir(path, e)) != 0)
		return rc;
	buf_init(&b, AGENT_METRICS_MAX);
	buf_adds(&b, "# HELP netpki_cert_expiry_seconds Seconds until the "
	    "certificate's notAfter (negative once expired).\n"
	    "# TYPE netpki_cert_expiry_seconds gauge\n");
	for (i = 0; i < l->n; i++)
		agent_metrics_cert(&b, &l->v[i], now);
	buf_adds(&b, "# HELP netpki_renewal_last_success_timestamp Unix time "
	    "of the last successful renewal (0: never).\n"
	    "# TYPE netpki_renewal_last_success_timestamp gauge\n");
	agent_metrics_renewal(&b, st, l, 0);
	buf_adds(&b, "# HELP netpki_renewal_failures_total Renewal attempts "
	    "that failed.\n"
	    "# TYPE netpki_renewal_failures_total counter\n");
	agent_metrics_renewal(&b, st, l, 1);
	berr = b.err != 0 ? b.err : ERR_NOMEM;
	if ((text = buf_take(&b, &len)) == NULL)
		return err_set(e, berr, "metrics file %s: %s", path,
		    err_codestr(berr));
	if ((rc = store_file_write(path, text, len, STORE_PUBLIC, e)) != 0)
		err_prefix(e, "metrics file %s", path);
	free(text);
	return rc;
}
