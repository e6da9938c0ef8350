/*
 * store: atomic replace, one lock per state directory, file modes.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
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
#include "testhook.h"

struct store {
	char	*dir;		/* absolute or as given, no trailing slash */
	int	 lockfd;	/* DIR/lock, opened lazily */
	int	 locked;	/* recursion depth of store_lock */
	int	 swept;		/* stale temporary files removed once */
};

/*
 * A multi-file change: each new file already written and fsynced under a
 * temporary name (tmp, relative to the store), or a removal (tmp empty).
 */
struct store_batch_op {
	char	 rel[STORE_RELMAX];
	char	 tmp[STORE_RELMAX + 16];
	int	 scrub;
	int	 fd;		/* tmp, open and flocked (store_sweep), or -1 */
};

struct store_batch {
	struct store		*st;
	size_t			 n;
	int			 done;
	struct store_batch_op	 op[STORE_BATCHMAX];
};

#define STORE_JOURNAL		".journal"

static int	store_journal_replay(struct store *, struct err *);
static void	store_sweep(struct store *);
static void	store_tidy(struct store *);

/* How deep store_sweep looks below the state directory. */
#define STORE_SWEEP_DEPTH	4

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

/* DIR/lock, opened once. */
static int
store_lockfd(struct store *st, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	if (st->lockfd != -1)
		return 0;
	if ((rc = store_join(path, sizeof(path), st->dir, "lock", e)) != 0)
		return rc;
	st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd == -1)
		return err_errno(e, ERR_IO, "lock %s", path);
	return 0;
}

/*
 * At start, when nobody holds the lock: finish a change a crash cut short,
 * then remove the temporary files a kill left behind.  Best effort: when
 * the lock is busy or the directory read-only, the first store_lock does
 * it (errors then reach its caller).
 */
static void
store_tidy(struct store *st)
{
	if (store_lockfd(st, NULL) != 0 ||
	    flock(st->lockfd, LOCK_EX | LOCK_NB) == -1)
		return;
	st->locked = 1;
	if (store_journal_replay(st, NULL) == 0) {
		store_sweep(st);
		st->swept = 1;
	}
	store_unlock(st);
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
		return err_nomem(e);
	}
	n = strlen(st->dir);
	while (n > 1 && st->dir[n - 1] == '/')
		st->dir[--n] = '\0';
	st->lockfd = -1;
	store_tidy(st);
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
	struct timespec	 ts = { 0, STORE_LOCK_SLEEP_NS };
	int		 i, rc;

	if (st->locked > 0) {
		st->locked++;
		return 0;
	}
	if ((rc = store_lockfd(st, e)) != 0)
		return rc;
	for (i = 0; i < STORE_LOCK_TRIES; i++) {
		if (flock(st->lockfd, LOCK_EX | LOCK_NB) == 0) {
			st->locked = 1;
			/* A change cut short by a crash is finished first. */
			if ((rc = store_journal_replay(st, e)) != 0) {
				store_unlock(st);
				return rc;
			}
			if (!st->swept)
				store_sweep(st);
			st->swept = 1;
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

/*
 * A state file is a regular file: a symbolic link, a FIFO, a directory or
 * a device where one belongs is refused, never followed, written through
 * or scrubbed.  ENOENT is 0 when missing_ok.
 */
static int
store_check_regular(const char *path, int missing_ok, struct err *e)
{
	struct stat	 sb;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "%s", path);
	}
	if (S_ISLNK(sb.st_mode))
		return err_set(e, ERR_IO, "%s: a symbolic link; refused "
		    "(state files are never followed)", path);
	if (!S_ISREG(sb.st_mode))
		return err_set(e, ERR_IO, "%s: not a regular file; "
		    "refused", path);
	return 0;
}

/* The error for a failed open(O_NOFOLLOW) of path. */
static int
store_open_err(const char *path, const char *what, struct err *e)
{
	if (errno == ELOOP)
		return err_set(e, ERR_IO, "%s: a symbolic link; refused "
		    "(state files are never followed)", path);
	return err_errno(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s %s",
	    what, path);
}

/*
 * A new temporary file, flocked so that store_sweep leaves it alone while
 * it is being written: *fd stays open (and locked) until the caller has
 * renamed it.  A file swept between mkostemp and flock is unlinked by
 * then, and is made again.
 */
static int
store_tmp_create(char *tmp, const char *path, int *fd, struct err *e)
{
	struct stat	 sb;
	size_t		 len = strlen(tmp);
	int		 i;

	for (i = 0; i < 8; i++) {
		memcpy(tmp + len - 6, "XXXXXX", 6);
		if ((*fd = mkostemp(tmp, O_CLOEXEC)) == -1)
			return err_errno(e, ERR_IO, "create temporary file "
			    "for %s", path);
		if (flock(*fd, LOCK_EX) == 0 && fstat(*fd, &sb) == 0 &&
		    sb.st_nlink > 0)
			return 0;
		close(*fd);
		*fd = -1;
	}
	return err_set(e, ERR_IO, "create temporary file for %s: removed "
	    "while being written", path);
}

/*
 * The new contents under a temporary name beside path (same directory,
 * so the rename is atomic), written and fsynced; tmp receives its name.
 */
static int
store_tmp_write(char *tmp, size_t tmpsz, int *tmpfd, const char *path,
    const void *buf, size_t len, mode_t mode, struct err *e)
{
	char	 parent[PATH_MAX];
	char	*slash;
	int	 fd = -1, rc = 0, n;

	tmp[0] = '\0';
	*tmpfd = -1;
	if ((rc = store_check_regular(path, 1, e)) != 0)
		return rc;
	if (strlen(path) >= sizeof(parent))
		return err_set(e, ERR_INVAL, "path too long: %s", path);
	strcpy(parent, path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if ((rc = store_mkdirs(parent, 0700, e)) != 0)
			return rc;
		n = snprintf(tmp, tmpsz, "%s/.%s.XXXXXX", parent, slash + 1);
	} else
		n = snprintf(tmp, tmpsz, ".%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= tmpsz) {
		tmp[0] = '\0';
		return err_set(e, ERR_INVAL, "path too long: %s", path);
	}
	if ((rc = store_tmp_create(tmp, path, &fd, e)) != 0) {
		tmp[0] = '\0';
		return rc;
	}
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
	*tmpfd = fd;
	fd = -1;
 out:
	if (fd != -1)
		close(fd);
	if (rc != 0) {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return rc;
}

int
store_file_write(const char *path, const void *buf, size_t len, mode_t mode,
    struct err *e)
{
	char	 tmp[PATH_MAX];
	int	 rc, fd;

	if ((rc = store_tmp_write(tmp, sizeof(tmp), &fd, path, buf, len, mode,
	    e)) != 0)
		return rc;
	if (rename(tmp, path) == -1) {
		rc = err_errno(e, ERR_IO, "rename %s", path);
		unlink(tmp);
		close(fd);
		return rc;
	}
	close(fd);
	return store_fsync_dir(path, e);
}

/*
 * O_NONBLOCK: a FIFO is refused as not a regular file rather than waited
 * on.  flags: O_NOFOLLOW for a file in the state directory.
 */
static int
store_read_path(const char *path, int flags, char **out, size_t *outlen,
    size_t max, struct err *e)
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
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags)) == -1)
		return store_open_err(path, "open", e);
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
		rc = err_nomem(e);
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
store_file_read(const char *path, char **out, size_t *outlen, size_t max,
    struct err *e)
{
	return store_read_path(path, 0, out, outlen, max, e);
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
	return store_read_path(path, O_NOFOLLOW, out, outlen, max, e);
}

int
store_exists(struct store *st, const char *rel)
{
	char		 path[PATH_MAX];
	struct stat	 sb;

	/* A symbolic link exists: what it points to is not looked at. */
	if (store_join(path, sizeof(path), st->dir, rel, NULL) != 0)
		return 0;
	return lstat(path, &sb) == 0;
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

	if ((rc = store_check_regular(path, 0, e)) != 0)
		return rc;
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return store_open_err(path, "open", e);
	if (fstat(fd, &sb) == -1) {
		rc = err_errno(e, ERR_IO, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = err_set(e, ERR_IO, "%s: not a regular file; refused",
		    path);
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
				rc = err_nomem(e);
				goto out;
			}
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL) {
			rc = err_nomem(e);
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

/*
 * Multi-file changes.  The journal lists the renames and removals; it is
 * written atomically only once every new file is durable under its
 * temporary name, so from that moment the change is decided: applying it
 * is idempotent (a rename whose temporary file is gone was done), and
 * store_lock applies a journal a crash left behind before anyone reads
 * or writes under the lock.  A change that comes down to one file needs
 * no journal (store_batch_commit).
 */
int
store_batch_new(struct store_batch **out, struct store *st, struct err *e)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return err_nomem(e);
	(*out)->st = st;
	return 0;
}

int
store_change_begin(struct store_batch **out, struct store *st,
    struct err *e)
{
	int	 rc;

	*out = NULL;
	if ((rc = store_lock(st, e)) != 0)
		return rc;
	if ((rc = store_batch_new(out, st, e)) != 0)
		store_unlock(st);
	return rc;
}

int
store_change_end(struct store_batch *b, int rc, struct err *e)
{
	struct store	*st;

	if (b == NULL)
		return rc;
	st = b->st;
	if (rc == 0)
		rc = store_batch_commit(b, e);
	store_batch_free(b);
	store_unlock(st);
	return rc;
}

void
store_batch_free(struct store_batch *b)
{
	char	 path[PATH_MAX];
	size_t	 i;

	if (b == NULL)
		return;
	/* Not committed: the temporary files are all there is of it. */
	for (i = 0; !b->done && i < b->n; i++)
		if (b->op[i].tmp[0] != '\0' && store_join(path, sizeof(path),
		    b->st->dir, b->op[i].tmp, NULL) == 0)
			unlink(path);
	for (i = 0; i < b->n; i++)
		if (b->op[i].fd != -1)
			close(b->op[i].fd);
	free(b);
}

static int
store_batch_add(struct store_batch *b, const char *rel, int scrub,
    struct store_batch_op **op, struct err *e)
{
	if (b->done || b->n >= STORE_BATCHMAX)
		return err_set(e, ERR_INVAL, "too many files in one change");
	if (!store_relpath_ok(rel) || strlen(rel) >= STORE_RELMAX ||
	    strpbrk(rel, "\t\n") != NULL)
		return err_set(e, ERR_INVAL, "bad path in state directory: %s",
		    rel);
	*op = &b->op[b->n];
	memset(*op, 0, sizeof(**op));
	(*op)->fd = -1;
	snprintf((*op)->rel, sizeof((*op)->rel), "%s", rel);
	(*op)->scrub = scrub;
	return 0;
}

int
store_batch_write(struct store_batch *b, const char *rel, const void *buf,
    size_t len, mode_t mode, int scrub, struct err *e)
{
	struct store_batch_op	*op;
	char			 path[PATH_MAX], tmp[PATH_MAX];
	size_t			 dl = strlen(b->st->dir) + 1;
	int			 rc, fd;

	if ((rc = store_batch_add(b, rel, scrub, &op, e)) != 0 ||
	    (rc = store_join(path, sizeof(path), b->st->dir, rel, e)) != 0 ||
	    (rc = store_tmp_write(tmp, sizeof(tmp), &fd, path, buf, len, mode,
	    e)) != 0)
		return rc;
	if (strlen(tmp + dl) >= sizeof(op->tmp)) {
		unlink(tmp);
		close(fd);
		return err_set(e, ERR_INVAL, "path too long: %s", tmp);
	}
	/* Kept flocked until store_batch_free: store_sweep leaves it. */
	op->fd = fd;
	snprintf(op->tmp, sizeof(op->tmp), "%s", tmp + dl);
	b->n++;
	return 0;
}

int
store_batch_remove(struct store_batch *b, const char *rel, int scrub,
    struct err *e)
{
	struct store_batch_op	*op;
	char			 path[PATH_MAX];
	int			 rc;

	if ((rc = store_batch_add(b, rel, scrub, &op, e)) != 0 ||
	    (rc = store_join(path, sizeof(path), b->st->dir, rel, e)) != 0)
		return rc;
	/* Refused now, before the change is decided, not halfway through. */
	if (scrub && (rc = store_check_regular(path, 1, e)) != 0)
		return rc;
	b->n++;
	return 0;
}

/* Apply the decided change: idempotent, so a replay may repeat it. */
static int
store_batch_apply_ops(struct store_batch *b, struct err *e)
{
	const struct store_batch_op	*op;
	char				 path[PATH_MAX], tmp[PATH_MAX];
	struct stat			 sb;
	size_t				 i;
	int				 rc;

	for (i = 0; i < b->n; i++) {
		op = &b->op[i];
		if ((rc = store_join(path, sizeof(path), b->st->dir, op->rel,
		    e)) != 0)
			return rc;
		if (op->tmp[0] != '\0') {
			if ((rc = store_join(tmp, sizeof(tmp), b->st->dir,
			    op->tmp, e)) != 0)
				return rc;
			if (lstat(tmp, &sb) == -1)
				continue;	/* renamed before */
		}
		/* The replaced file's blocks would keep a secret. */
		if (op->scrub && (rc = store_file_scrub(path, e)) != 0) {
			if (rc != ERR_NOTFOUND)
				return rc;
			err_clear(e);
		}
		if (op->tmp[0] != '\0' && rename(tmp, path) == -1)
			return err_errno(e, ERR_IO, "rename %s", path);
		if (i == 0)
			testhook_crash("batch-first-op");
		if (op->tmp[0] == '\0' && unlink(path) == -1) {
			if (errno == ENOENT)
				continue;	/* never there, or removed */
			return err_errno(e, ERR_IO, "remove %s", path);
		}
		if ((rc = store_fsync_dir(path, e)) != 0)
			return rc;
	}
	return 0;
}

/* The change, then the journal that decided it. */
static int
store_batch_apply(struct store_batch *b, struct err *e)
{
	char	 path[PATH_MAX];
	int	 rc;

	if ((rc = store_batch_apply_ops(b, e)) != 0)
		return rc;
	if ((rc = store_join(path, sizeof(path), b->st->dir, STORE_JOURNAL,
	    e)) != 0)
		return rc;
	if (unlink(path) == -1 && errno != ENOENT)
		return err_errno(e, ERR_IO, "remove %s", path);
	return store_fsync_dir(path, e);
}

/*
 * Drop the removals of files that are not there: under the lock nothing
 * creates them before the change is applied.
 */
static void
store_batch_prune(struct store_batch *b)
{
	char		 path[PATH_MAX];
	struct stat	 sb;
	size_t		 i = 0;

	while (i < b->n) {
		if (b->op[i].tmp[0] == '\0' && store_join(path, sizeof(path),
		    b->st->dir, b->op[i].rel, NULL) == 0 &&
		    lstat(path, &sb) == -1 && errno == ENOENT) {
			memmove(&b->op[i], &b->op[i + 1], (b->n - i - 1) *
			    sizeof(b->op[0]));
			b->n--;
		} else
			i++;
	}
}

int
store_batch_commit(struct store_batch *b, struct err *e)
{
	char	*text = NULL;
	size_t	 i, len = 0, cap;
	int	 rc;

	if (b->done)
		return err_set(e, ERR_INVAL, "change already committed");
	if (b->st->locked == 0)
		return err_set(e, ERR_INVAL, "state directory %s: a change "
		    "needs the lock", b->st->dir);
	/*
	 * One rename or one removal is atomic by itself: no journal (two
	 * fsyncs, not five).  Not with a scrub, which a crash could leave
	 * done without the rename that the journal would finish.
	 */
	store_batch_prune(b);
	if (b->n <= 1 && (b->n == 0 || !b->op[0].scrub)) {
		b->done = 1;
		return store_batch_apply_ops(b, e);
	}
	cap = b->n * (2 * STORE_RELMAX + 32) + 1;
	if ((text = malloc(cap)) == NULL)
		return err_nomem(e);
	for (i = 0; i < b->n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\t%s\t%s\n",
		    b->op[i].scrub ? "scrub" : "keep", b->op[i].rel,
		    b->op[i].tmp[0] ? b->op[i].tmp : "-");
	rc = store_write(b->st, STORE_JOURNAL, text, len, STORE_SECRET, e);
	free(text);
	if (rc != 0)
		return rc;
	testhook_crash("batch-journal");
	b->done = 1;
	return store_batch_apply(b, e);
}

/* One journal line: "scrub|keep TAB rel TAB tmp|-". */
static int
store_journal_line(struct store_batch *b, char *line)
{
	struct store_batch_op	*op;
	char			*f[3], *p = line;
	int			 i;

	for (i = 0; i < 3; i++)
		if ((f[i] = strsep(&p, "\t")) == NULL)
			return -1;
	if (p != NULL || (strcmp(f[0], "scrub") != 0 &&
	    strcmp(f[0], "keep") != 0) || store_batch_add(b, f[1],
	    strcmp(f[0], "scrub") == 0, &op, NULL) != 0)
		return -1;
	if (strcmp(f[2], "-") != 0) {
		if (!store_relpath_ok(f[2]) ||
		    strlen(f[2]) >= sizeof(op->tmp))
			return -1;
		snprintf(op->tmp, sizeof(op->tmp), "%s", f[2]);
	}
	b->n++;
	return 0;
}

static int
store_journal_replay(struct store *st, struct err *e)
{
	struct store_batch	*b = NULL;
	char			*text = NULL, *p, *line;
	int			 rc;

	if (!store_exists(st, STORE_JOURNAL))
		return 0;
	if ((rc = store_read(st, STORE_JOURNAL, &text, NULL,
	    STORE_BATCHMAX * (2 * STORE_RELMAX + 32), e)) != 0 ||
	    (rc = store_batch_new(&b, st, e)) != 0)
		goto out;
	for (p = text; (line = strsep(&p, "\n")) != NULL; ) {
		if (*line == '\0' && p == NULL)
			break;
		if (store_journal_line(b, line) != 0) {
			rc = err_set(e, ERR_INVAL, "state directory %s: "
			    "unreadable %s (a change interrupted by a crash; "
			    "check the files it names, then remove it)",
			    st->dir, STORE_JOURNAL);
			goto out;
		}
	}
	b->done = 1;
	rc = store_batch_apply(b, e);
 out:
	store_batch_free(b);
	free(text);
	return rc;
}

/*
 * Stale temporary files.  store_tmp_write names them ".NAME.XXXXXX" beside
 * NAME.  One is in use only while its writer holds its flock (a single
 * file until the rename, a batch's until store_batch_free); the journal's
 * own were renamed by the replay that runs first.  So under the lock, one
 * whose flock is free was left by a process that died.  Only regular
 * files; links are never followed.
 */
static int
store_tmpname(const char *name)
{
	size_t	 n = strlen(name), i;

	if (n < 9 || name[0] != '.' || name[n - 7] != '.')
		return 0;
	for (i = n - 6; i < n; i++)
		if (!isalnum((unsigned char)name[i]))
			return 0;
	return 1;
}

static void
store_sweep_file(int dfd, const char *name)
{
	struct stat	 sb;
	int		 fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlinkat(dfd, name, 0);
	close(fd);
}

/* Takes dfd. */
static void
store_sweep_dir(int dfd, int depth)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	int		 fd;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(sb.st_mode) && depth > 0) {
			if ((fd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1)
				store_sweep_dir(fd, depth - 1);
		} else if (S_ISREG(sb.st_mode) && store_tmpname(de->d_name))
			store_sweep_file(dirfd(d), de->d_name);
	}
	closedir(d);
}

static void
store_sweep(struct store *st)
{
	int	 fd;

	if ((fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		store_sweep_dir(fd, STORE_SWEEP_DEPTH);
}
