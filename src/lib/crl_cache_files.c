/*
 * crl_cache_files: the CRL cache directory read as plain files, past the
 * indexes crl_cache.c keeps open: every CRL of an issuer for OpenSSL's own
 * path (crl_cache_load), the listing `show crypto crls` prints, and
 * clearing it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "crl.h"
#include "crl_int.h"
#include "err.h"
#include "store.h"

int
crl_cache_load(struct crl_cache *c, const X509_NAME *name,
    STACK_OF(X509_CRL) *crls, struct err *e)
{
	const char	*dir = crl_cache_dir(c);
	char		 path[PATH_MAX], *buf;
	uint8_t		 h[32];
	char		 hex[33];
	DIR		*d;
	struct dirent	*de;
	X509_CRL	*crl;
	size_t		 len;
	int		 rc = 0;

	if (crl_name_hash(h, name) != 0)
		return err_openssl(e, ERR_CRYPTO, "issuer name");
	crl_hex(hex, h, 4);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !crl_has_suffix(de->d_name, ".crl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, hex, de->d_name);
		if (store_file_read(path, &buf, &len, CRL_MAXSIZE, NULL) != 0)
			continue;
		if (crl_parse(&crl, (unsigned char *)buf, len, NULL) == 0 &&
		    sk_X509_CRL_push(crls, crl) <= 0) {
			X509_CRL_free(crl);
			rc = err_nomem(e);
		}
		free(buf);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
crl_info_cmp(const void *a, const void *b)
{
	const struct crl_info	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->issuer, y->issuer)) != 0)
		return c;
	return strcmp(x->url, y->url);
}

/*
 * Every entry of every issuer directory but "." and "..", then the
 * directory itself (name NULL).  fn's non-zero return ends the walk.
 */
static int
crl_cache_walk(struct crl_cache *c, int (*fn)(void *, const char *,
    const char *), void *arg, struct err *e)
{
	const char	*dir = crl_cache_dir(c);
	char		 path[PATH_MAX];
	DIR		*d, *sd;
	struct dirent	*de, *se;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_errno(e, ERR_IO, "opendir %s",
		    dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((sd = opendir(path)) == NULL)
			continue;
		while (rc == 0 && (se = readdir(sd)) != NULL)
			if (strcmp(se->d_name, ".") != 0 &&
			    strcmp(se->d_name, "..") != 0)
				rc = fn(arg, path, se->d_name);
		closedir(sd);
		if (rc == 0)
			rc = fn(arg, path, NULL);
	}
	closedir(d);
	return rc;
}

struct crl_list {
	struct crl_info	*v;
	size_t		 n;
	struct err	*e;
};

static int
crl_list_one(void *arg, const char *dir, const char *name)
{
	struct crl_list		*l = arg;
	struct crl_index	*ix;
	struct crl_info		*nv;
	char			 path[PATH_MAX];

	if (name == NULL || name[0] == '.' || !crl_has_suffix(name, ".idx"))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (crl_index_open(&ix, path, NULL) != 0)
		return 0;
	if ((nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL) {
		crl_index_free(ix);
		return err_nomem(l->e);
	}
	l->v = nv;
	crl_index_info(ix, &nv[l->n]);
	crl_index_free(ix);
	path[strlen(path) - 4] = '\0';
	snprintf(nv[l->n].path, sizeof(nv[l->n].path), "%.1000s.crl", path);
	l->n++;
	return 0;
}

int
crl_cache_list(struct crl_cache *c, struct crl_info **out, size_t *outn,
    struct err *e)
{
	struct crl_list	 l = { NULL, 0, e };
	int		 rc;

	*out = NULL;
	*outn = 0;
	if ((rc = crl_cache_walk(c, crl_list_one, &l, e)) != 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), crl_info_cmp);
	*out = l.v;
	*outn = l.n;
	return 0;
}

/* Everything goes, temporaries of a killed writer too, then the directory. */
static int
crl_clear_one(void *arg, const char *dir, const char *name)
{
	size_t	*n = arg;
	char	 path[PATH_MAX];

	if (name == NULL) {
		rmdir(dir);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) == 0 && crl_has_suffix(name, ".idx"))
		(*n)++;
	return 0;
}

int
crl_cache_clear(struct crl_cache *c, size_t *count, struct err *e)
{
	size_t	 n = 0;
	int	 rc;

	if (count != NULL)
		*count = 0;
	if ((rc = crl_cache_lock(c, e)) != 0)
		return rc;
	rc = crl_cache_walk(c, crl_clear_one, &n, e);
	crl_cache_unlock(c);
	crl_cache_stale_all(c);
	if (count != NULL)
		*count = n;
	return rc;
}
