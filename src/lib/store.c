/*
 * store: atomic replace, one lock per state directory, file modes.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store.h"

struct store {
	char	*dir;		/* absolute or as given, no trailing slash */
	int	 lockfd;	/* DIR/lock, opened lazily */
	int	 locked;	/* recursion depth of store_lock */
};

/* Wait at most this long for another process to release the lock. */
#define STORE_LOCK_TRIES	600
#define STORE_LOCK_SLEEP_NS	50000000L

static int
store_relpath_ok(const char *rel)
{
	const char	*p;

	if (rel == NULL || *rel == '\0' || *rel == '/')
		return 0;
	for (p = rel; *p != '\0'; p++) {
		if (p[0] == '.' && p[1] == '.' &&
		    (p == rel || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 0;
	}
	return 1;
}

static int
store_join(char *buf, size_t sz, const char *dir, const char *rel,
    struct err *e)
{
	int	 n;

	if (!store_relpath_ok(rel))
		return err_set(e, ERR_INVAL, "bad path in state directory: %s",
		    rel ? rel : "(null)");
	n = snprintf(buf, sz, "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sz)
		return err_set(e, ERR_INVAL, "path too long: %s/%s", dir, rel);
	return 0;
}

int
store_mkdirs(const char *path, mode_t mode, struct err *e)
{
	char	 buf[PATH_MAX];
	char	*p;

	if (strlen(path) >= sizeof(buf))
		return err_set(e, ERR_INVAL, "path too long: %s", path);
	strcpy(buf, path);
	for (p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char	 c = *p;

			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				return err_errno(e, ERR_IO, "mkdir %s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

int
store_open(struct store **out, const char *dir, struct err *e)
{
	struct store	*st = NULL;
	struct stat	 sb;
	size_t		 n;
	int		 rc;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return err_set(e, ERR_INVAL, "no state directory given");
	if ((rc = store_mkdirs(dir, 0700, e)) != 0)
		return rc;
	if (stat(dir, &sb) == -1)
		return err_errno(e, ERR_IO, "state directory %s", dir);
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, ERR_INVAL, "state directory %s: not a "
		    "directory", dir);
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->dir = strdup(dir)) == NULL) {
		free(st);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	n = strlen(st->dir);
	while (n > 1 && st->dir[n - 1] == '/')
		st->dir[--n] = '\0';
	st->lockfd = -1;
	*out = st;
	return 0;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	if (st->lockfd != -1)
		close(st->lockfd);
	free(st->dir);
	free(st);
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

/*
 * Recursive within one process, so that a command holding the lock can call
 * library functions that take it too.  Bounded wait: a stuck holder gives a
 * clear error rather than a hung shell.
 */
int
store_lock(struct store *st, struct err *e)
{
	char		 path[PATH_MAX];
	struct timespec	 ts = { 0, STORE_LOCK_SLEEP_NS };
	int		 i, rc;

	if (st->locked > 0) {
		st->locked++;
		return 0;
	}
	if (st->lockfd == -1) {
		if ((rc = store_join(path, sizeof(path), st->dir, "lock", e)))
			return rc;
		st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (st->lockfd == -1)
			return err_errno(e, ERR_IO, "lock %s", path);
	}
	for (i = 0; i < STORE_LOCK_TRIES; i++) {
		if (flock(st->lockfd, LOCK_EX | LOCK_NB) == 0) {
			st->locked = 1;
			return 0;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			return err_errno(e, ERR_IO, "flock %s/lock", st->dir);
		nanosleep(&ts, NULL);
	}
	return err_set(e, ERR_BUSY, "state directory %s is locked by another "
	    "process", st->dir);
}

void
store_unlock(struct store *st)
{
	if (st == NULL || st->locked == 0)
		return;
	if (--st->locked == 0)
		flock(st->lockfd, LOCK_UN);
}

static int
store_fsync_dir(const char *path, struct err *e)
{
	char	 dir[PATH_MAX];
	char	*slash;
	int	 fd;

	if (strlen(path) >= sizeof(dir))
		return err_set(e, ERR_INVAL, "path too long: %s", path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return err_errno(e, ERR_IO, "open %s", dir);
	if (fsync(fd) == -1 && errno != EINVAL) {
		close(fd);
		return err_errno(e, ERR_IO, "fsync %s", dir);
	}
	close(fd);
	return 0;
}

static int
store_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
store_file_write(const char *path, const void *buf, size_t len, mode_t mode,
    struct err *e)
{
	char	 tmp[PATH_MAX], parent[PATH_MAX];
	char	*slash;
	int	 fd = -1, rc = 0, n;

	if (strlen(path) >= sizeof(parent))
		return err_set(e, ERR_INVAL, "path too long: %s", path);
	strcpy(parent, path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if ((rc = store_mkdirs(parent, 0700, e)) != 0)
			return rc;
		n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", parent,
		    slash + 1);
	} else
		n = snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(e, ERR_INVAL, "path too long: %s", path);

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return err_errno(e, ERR_IO, "create temporary file for %s",
		    path);
	if (fchmod(fd, mode) == -1) {
		rc = err_errno(e, ERR_IO, "chmod %s", tmp);
		goto out;
	}
	if (store_write_all(fd, buf, len) == -1) {
		rc = err_errno(e, ERR_IO, "write %s", tmp);
		goto out;
	}
	if (fsync(fd) == -1) {
		rc = err_errno(e, ERR_IO, "fsync %s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		rc = err_errno(e, ERR_IO, "close %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		rc = err_errno(e, ERR_IO, "rename %s", path);
		goto out;
	}
	tmp[0] = '\0';
	rc = store_fsync_dir(path, e);
 out:
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

int
store_file_read(const char *path, char **out, size_t *outlen, size_t max,
    struct err *e)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc = 0;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (max == 0)
		max = STORE_READMAX;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "open %s", path);
	if (fstat(fd, &sb) == -1) {
		rc = err_errno(e, ERR_IO, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = err_set(e, ERR_INVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)sb.st_size > max) {
		rc = err_set(e, ERR_TOOBIG, "%s: larger than %zu bytes", path,
		    max);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = err_errno(e, ERR_IO, "read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	if (outlen != NULL)
		*outlen = got;
 out:
	free(buf);
	close(fd);
	return rc;
}

int
store_write(struct store *st, const char *rel, const void *buf, size_t len,
    mode_t mode, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	if ((rc = store_join(path, sizeof(path), st->dir, rel, e)) != 0)
		return rc;
	return store_file_write(path, buf, len, mode, e);
}

int
store_read(struct store *st, const char *rel, char **out, size_t *outlen,
    size_t max, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	*out = NULL;
	if ((rc = store_join(path, sizeof(path), st->dir, rel, e)) != 0)
		return rc;
	return store_file_read(path, out, outlen, max, e);
}

int
store_exists(struct store *st, const char *rel)
{
	char		 path[PATH_MAX];
	struct stat	 sb;

	if (store_join(path, sizeof(path), st->dir, rel, NULL) != 0)
		return 0;
	return stat(path, &sb) == 0;
}

int
store_mtime(struct store *st, const char *rel, time_t *out)
{
	char		 path[PATH_MAX];
	struct stat	 sb;

	if (store_join(path, sizeof(path), st->dir, rel, NULL) != 0 ||
	    stat(path, &sb) == -1)
		return ERR_NOTFOUND;
	*out = sb.st_mtime;
	return 0;
}

/*
 * Overwrite a file's bytes in place before it is unlinked, so that a key
 * does not survive in the blocks the file used (on file systems that write
 * in place; copy-on-write and SSD remapping are outside our reach).
 */
int
store_file_scrub(const char *path, struct err *e)
{
	struct stat	 sb;
	char		 zero[4096];
	off_t		 left;
	size_t		 n;
	int		 fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "open %s", path);
	if (fstat(fd, &sb) == -1) {
		rc = err_errno(e, ERR_IO, "stat %s", path);
		goto out;
	}
	memset(zero, 0, sizeof(zero));
	for (left = sb.st_size; left > 0; left -= (off_t)n) {
		n = left > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)left;
		if (store_write_all(fd, zero, n) == -1) {
			rc = err_errno(e, ERR_IO, "overwrite %s", path);
			goto out;
		}
	}
	if (fsync(fd) == -1)
		rc = err_errno(e, ERR_IO, "fsync %s", path);
 out:
	close(fd);
	return rc;
}

int
store_file_scrub_rel(struct store *st, const char *rel, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	if ((rc = store_join(path, sizeof(path), st->dir, rel, e)) != 0)
		return rc;
	return store_file_scrub(path, e);
}

int
store_remove(struct store *st, const char *rel, int scrub, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	if ((rc = store_join(path, sizeof(path), st->dir, rel, e)) != 0)
		return rc;
	if (scrub && (rc = store_file_scrub(path, e)) != 0)
		return rc;
	if (unlink(path) == -1)
		return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "remove %s", path);
	return store_fsync_dir(path, e);
}

static int
store_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a subdirectory, without dot files (temporaries). */
int
store_list(struct store *st, const char *rel, char ***out, size_t *outn,
    struct err *e)
{
	char		 path[PATH_MAX];
	DIR		*d = NULL;
	struct dirent	*de;
	char		**v = NULL, **nv;
	size_t		 n = 0, cap = 0;
	int		 rc = 0;

	*out = NULL;
	*outn = 0;
	if ((rc = store_join(path, sizeof(path), st->dir, rel, e)) != 0)
		return rc;
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, ERR_IO, "opendir %s", path);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)	/* v is NULL for an empty directory */
		qsort(v, n, sizeof(*v), store_cmp);
	*out = v;
	*outn = n;
	v = NULL;
	n = 0;
 out:
	store_list_free(v, n);
	closedir(d);
	return rc;
}

void
store_list_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
