/*
 * helpers: scratch directories and whole-file reads for the unit tests
 * (tests/unit/helpers.h).
 */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "helpers.h"

#ifndef TESTDATA
#define TESTDATA	"tests/data"
#endif

/* Test files are small: a bigger one is a mistake, not data. */
#define TH_SLURP_MAX	(64UL << 20)

char *
th_tmpdir(void)
{
	char	 tmpl[] = "/tmp/netpki-test-XXXXXX";
	char	*d;

	if (mkdtemp(tmpl) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	if ((d = strdup(tmpl)) == NULL)
		fail_msg("strdup: %s", strerror(errno));
	return d;
}

static int
th_rmtree_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1)
		fail_msg("remove %s: %s", path, strerror(errno));
	return 0;
}

void
th_rmtree(const char *dir)
{
	struct stat	 sb;

	if (lstat(dir, &sb) == -1 && errno == ENOENT)
		return;
	/* FTW_PHYS: a link is removed, never followed. */
	if (nftw(dir, th_rmtree_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fail_msg("remove %s: %s", dir, strerror(errno));
}

char *
th_slurp(size_t *len, const char *path)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 n = 0, cap = 0, r;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	do {
		if (cap - n < 4096) {
			if (cap > TH_SLURP_MAX)
				fail_msg("%s: larger than a test file", path);
			cap = cap == 0 ? 8192 : cap * 2;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				fail_msg("%s: %s", path, strerror(errno));
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f))
		fail_msg("%s: read error", path);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *
th_data(size_t *len, const char *fmt, ...)
{
	char	 rel[1024], path[1100];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		fail_msg("%s: path too long", fmt);
	snprintf(path, sizeof(path), "%s/%s", TESTDATA, rel);
	return th_slurp(len, path);
}

/* The first object reader rd finds in a test data file, else a failure. */
static void *
th_pem(const char *what, void *(*rd)(BIO *), const char *fmt, va_list ap)
{
	char	 rel[1024], *buf;
	size_t	 len;
	BIO	*bio;
	void	*o;
	int	 n;

	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		fail_msg("%s: path too long", fmt);
	buf = th_data(&len, "%s", rel);
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		fail_msg("%s: out of memory", rel);
	o = rd(bio);
	BIO_free(bio);
	free(buf);
	if (o == NULL)
		fail_msg("%s: no PEM %s", rel, what);
	return o;
}

static void *
th_rd_x509(BIO *bio)
{
	return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static void *
th_rd_pkey(BIO *bio)
{
	return PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
}

X509 *
th_x509(const char *fmt, ...)
{
	va_list	 ap;
	void	*o;

	va_start(ap, fmt);
	o = th_pem("certificate", th_rd_x509, fmt, ap);
	va_end(ap);
	return o;
}

EVP_PKEY *
th_pkey(const char *fmt, ...)
{
	va_list	 ap;
	void	*o;

	va_start(ap, fmt);
	o = th_pem("private key", th_rd_pkey, fmt, ap);
	va_end(ap);
	return o;
}
