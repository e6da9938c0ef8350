/*
 * helpers: what every unit test needs and none should carry its own copy
 * of: a scratch directory, removing it again, reading a whole file.
 * Each helper fails the running cmocka test on error, so callers need not
 * check: a test that cannot set itself up is a failed test.
 */
#ifndef NETPKI_TEST_HELPERS_H
#define NETPKI_TEST_HELPERS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A new empty directory /tmp/netpki-test-XXXXXX; the caller frees it. */
char	*th_tmpdir(void);

/*
 * Remove dir and everything under it, depth first, without following
 * symbolic links (a test that plants a link to outside its directory must
 * not have its target removed).  A missing dir is not an error.
 */
void	 th_rmtree(const char *dir);

/*
 * The whole file at path, NUL-terminated (the NUL is not counted in *len;
 * len may be NULL).  The caller frees it.
 */
char	*th_slurp(size_t *len, const char *path);

/* th_slurp() of a file under the test data directory (tests/data), its
 * name relative to that directory given as a printf format. */
char	*th_data(size_t *len, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The first PEM certificate, or private key, of a test data file (as
 * th_data() names it).  The caller frees it. */
X509	*th_x509(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
EVP_PKEY *th_pkey(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
