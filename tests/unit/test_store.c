/*
 * store: atomic replace, locking, modes, and the kill-mid-write test.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "helpers.h"
#include "store.h"

static void
test_write_read_modes(void **state)
{
	struct store	*st;
	struct err	 e;
	struct stat	 sb;
	char		*dir = th_tmpdir(), *buf, path[512];
	size_t		 len;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "keys/a.pem", "secret", 6,
	    STORE_SECRET, &e), 0);
	assert_int_equal(store_write(st, "config", "hostname x\n", 11,
	    STORE_PUBLIC, &e), 0);
	snprintf(path, sizeof(path), "%s/keys/a.pem", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/config", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(store_read(st, "keys/a.pem", &buf, &len, 0, &e), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "secret");
	free(buf);
	assert_true(store_exists(st, "config"));
	assert_int_equal(store_remove(st, "keys/a.pem", 1, &e), 0);
	assert_false(store_exists(st, "keys/a.pem"));
	assert_int_equal(store_read(st, "keys/a.pem", &buf, &len, 0, &e),
	    ERR_NOTFOUND);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_bad_paths(void **state)
{
	struct store	*st;
	struct err	 e;
	char		*dir = th_tmpdir();

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "../x", "a", 1, STORE_PUBLIC, &e),
	    ERR_INVAL);
	assert_int_equal(store_write(st, "a/../../x", "a", 1, STORE_PUBLIC,
	    &e), ERR_INVAL);
	assert_int_equal(store_write(st, "/etc/x", "a", 1, STORE_PUBLIC, &e),
	    ERR_INVAL);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_read_cap(void **state)
{
	struct store	*st;
	struct err	 e;
	char		*dir = th_tmpdir(), *buf;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "f", "0123456789", 10, STORE_PUBLIC,
	    &e), 0);
	assert_int_equal(store_read(st, "f", &buf, NULL, 5, &e), ERR_TOOBIG);
	assert_null(buf);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

static void
test_list(void **state)
{
	struct store	*st;
	struct err	 e;
	char		*dir = th_tmpdir(), **v;
	size_t		 n;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_list(st, "keys", &v, &n, &e), 0);
	assert_int_equal(n, 0);
	store_write(st, "keys/b", "b", 1, STORE_SECRET, &e);
	store_write(st, "keys/a", "a", 1, STORE_SECRET, &e);
	assert_int_equal(store_list(st, "keys", &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	store_list_free(v, n);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/* A second process cannot take the lock while the first holds it. */
static void
test_lock_excludes(void **state)
{
	struct store	*st, *st2;
	struct err	 e;
	char		*dir = th_tmpdir();
	pid_t		 pid;
	int		 status, p[2];
	char		 c;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_lock(st, &e), 0);
	assert_int_equal(store_lock(st, &e), 0);	/* recursive */
	store_unlock(st);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct err	 ce;

		close(p[0]);
		if (store_open(&st2, dir, &ce) != 0)
			_exit(2);
		/* Non-blocking view: the first try must fail. */
		c = 'x';
		write(p[1], &c, 1);
		_exit(store_lock(st2, &ce) == 0 ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	usleep(200000);
	/* Child is now waiting on the lock; release it and it gets it. */
	store_unlock(st);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p[0]);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/* 1 when nobody holds the store's lock (flock: per open file). */
static int
lock_free(const char *dir)
{
	char	 path[512];
	int	 fd, ok;

	snprintf(path, sizeof(path), "%s/lock", dir);
	if ((fd = open(path, O_RDWR)) == -1)
		return 0;
	ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return ok;
}

/* A change under the lock: committed on 0, dropped on an error, unlocked. */
static void
test_change(void **state)
{
	struct store		*st;
	struct store_batch	*b;
	struct err		 e;
	char			*dir = th_tmpdir(), *buf;
	size_t			 len;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_change_begin(&b, st, &e), 0);
	assert_false(lock_free(dir));
	assert_int_equal(store_batch_write(b, "a", "1", 1, STORE_PUBLIC, 0,
	    &e), 0);
	assert_int_equal(store_change_end(b, 0, &e), 0);
	assert_true(lock_free(dir));
	assert_int_equal(store_read(st, "a", &buf, &len, 0, &e), 0);
	assert_memory_equal(buf, "1", 1);
	free(buf);
	/* The caller's error: nothing written, the error comes back. */
	assert_int_equal(store_change_begin(&b, st, &e), 0);
	assert_int_equal(store_batch_write(b, "a", "2", 1, STORE_PUBLIC, 0,
	    &e), 0);
	assert_int_equal(store_change_end(b, ERR_INVAL, &e), ERR_INVAL);
	assert_true(lock_free(dir));
	assert_int_equal(store_read(st, "a", &buf, &len, 0, &e), 0);
	assert_memory_equal(buf, "1", 1);
	free(buf);
	assert_int_equal(store_change_end(NULL, ERR_IO, &e), ERR_IO);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/*
 * Kill a writer at random points while it replaces a 1 MiB file again and
 * again with all-'a' or all-'b' content: the file must always be whole.
 */
#define BIG	(1024 * 1024)
static void
test_kill_mid_write(void **state)
{
	struct store	*st;
	struct err	 e;
	char		*dir = th_tmpdir(), *buf, *a, *b;
	size_t		 len, i;
	int		 round, status;
	pid_t		 pid;

	(void)state;
	a = malloc(BIG);
	b = malloc(BIG);
	memset(a, 'a', BIG);
	memset(b, 'b', BIG);
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "f", a, BIG, STORE_PUBLIC, &e), 0);
	srand((unsigned)time(NULL));
	for (round = 0; round < 20; round++) {
		if ((pid = fork()) == 0) {
			int	 k;

			for (k = 0; k < 1000; k++)
				store_write(st, "f", (k & 1) ? a : b, BIG,
				    STORE_PUBLIC, NULL);
			_exit(0);
		}
		usleep(1000 + (useconds_t)(rand() % 30000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(store_read(st, "f", &buf, &len, 0, &e), 0);
		assert_int_equal(len, BIG);
		for (i = 1; i < len; i++)
			if (buf[i] != buf[0])
				break;
		assert_int_equal(i, len);
		assert_true(buf[0] == 'a' || buf[0] == 'b');
		free(buf);
	}
	store_free(st);
	free(a);
	free(b);
	th_rmtree(dir);
	free(dir);
}

/* Write a file by hand, as a crashed process would have left it. */
static void
put(const char *dir, const char *rel, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
has(const char *dir, const char *rel)
{
	char		 path[512];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &sb) == 0;
}

static void
expect_text(struct store *st, const char *rel, const char *want)
{
	struct err	 e;
	char		*buf;

	assert_int_equal(store_read(st, rel, &buf, NULL, 0, &e), 0);
	assert_string_equal(buf, want);
	free(buf);
}

/* Dot files directly in dir (temporaries, the journal). */
static int
dotfiles(const char *dir)
{
	char	 cmd[600], out[32];
	FILE	*p;

	snprintf(cmd, sizeof(cmd), "find '%s' -name '.*' -type f | wc -l", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	return atoi(out);
}

static void
test_batch_commit(void **state)
{
	struct store		*st;
	struct store_batch	*b;
	struct err		 e;
	char			*dir = th_tmpdir(), path[512];
	struct stat		 sb;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "tp/ca.pem", "old ca", 6,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_write(st, "tp/ra.pem", "old ra", 6,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_write(st, "tp/key.pem", "old key", 7,
	    STORE_SECRET, &e), 0);
	/* The old key's blocks, seen through a second name. */
	snprintf(path, sizeof(path), "%s/tp/key.pem", dir);
	{
		char	 link2[512];

		snprintf(link2, sizeof(link2), "%s/oldkey", dir);
		assert_int_equal(link(path, link2), 0);
	}
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_write(b, "tp/ca.pem", "new ca", 6,
	    STORE_PUBLIC, 0, &e), 0);
	assert_int_equal(store_batch_write(b, "tp/key.pem", "new key", 7,
	    STORE_SECRET, 1, &e), 0);
	assert_int_equal(store_batch_remove(b, "tp/ra.pem", 0, &e), 0);
	assert_int_equal(store_batch_remove(b, "tp/none.pem", 0, &e), 0);
	/* Nothing changes before the commit, which needs the lock. */
	expect_text(st, "tp/ca.pem", "old ca");
	assert_int_equal(store_batch_commit(b, &e), ERR_INVAL);
	assert_int_equal(store_lock(st, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), 0);
	store_unlock(st);
	store_batch_free(b);
	expect_text(st, "tp/ca.pem", "new ca");
	expect_text(st, "tp/key.pem", "new key");
	assert_false(has(dir, "tp/ra.pem"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* The replaced secret was overwritten before the rename. */
	{
		char	*buf;
		size_t	 len, i;

		assert_int_equal(store_read(st, "oldkey", &buf, &len, 0, &e),
		    0);
		assert_int_equal(len, 7);
		for (i = 0; i < len; i++)
			assert_int_equal(buf[i], 0);
		free(buf);
	}
	assert_int_equal(dotfiles(dir), 0);

	/* Not committed: the old files stay, the temporaries go. */
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_write(b, "tp/ca.pem", "lost", 4,
	    STORE_PUBLIC, 0, &e), 0);
	assert_int_equal(dotfiles(dir), 1);
	store_batch_free(b);
	assert_int_equal(dotfiles(dir), 0);
	expect_text(st, "tp/ca.pem", "new ca");
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/*
 * A change that comes down to one file (removals of absent files dropped)
 * is one rename or one removal, atomic without the journal.
 */
static void
test_batch_single(void **state)
{
	struct store		*st;
	struct store_batch	*b;
	struct err		 e;
	char			*dir = th_tmpdir();

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "tp/cert.pem", "old", 3,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_lock(st, &e), 0);
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_write(b, "tp/cert.pem", "new", 3,
	    STORE_PUBLIC, 0, &e), 0);
	assert_int_equal(store_batch_remove(b, "tp/pending", 0, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), ERR_INVAL);
	store_batch_free(b);
	expect_text(st, "tp/cert.pem", "new");
	assert_false(has(dir, "tp/pending"));
	assert_int_equal(dotfiles(dir), 0);
	/* One removal; then nothing at all to do. */
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_remove(b, "tp/cert.pem", 0, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), 0);
	store_batch_free(b);
	assert_false(has(dir, "tp/cert.pem"));
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_remove(b, "tp/cert.pem", 1, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), 0);
	store_batch_free(b);
	assert_int_equal(dotfiles(dir), 0);
	store_unlock(st);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/*
 * What a crash leaves: temporaries, and a journal when the change was
 * decided.  The next store_lock finishes a decided change (even one half
 * applied) and leaves an undecided one out.
 */
static void
test_batch_replay(void **state)
{
	struct store	*st;
	struct err	 e;
	char		*dir = th_tmpdir();

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "tp/ca.pem", "old ca", 6,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_write(st, "tp/ra.pem", "old ra", 6,
	    STORE_PUBLIC, &e), 0);
	assert_int_equal(store_write(st, "tp/gone.pem", "x", 1,
	    STORE_PUBLIC, &e), 0);

	/* Undecided: temporaries only. */
	put(dir, "tp/.ca.pem.AAAAAA", "undecided");
	assert_int_equal(store_lock(st, &e), 0);
	store_unlock(st);
	expect_text(st, "tp/ca.pem", "old ca");

	/* Decided, ra.pem already renamed, the rest not yet. */
	put(dir, "tp/.ca.pem.BBBBBB", "new ca");
	put(dir, "tp/ra.pem", "new ra");
	put(dir, ".journal", "keep\ttp/ca.pem\ttp/.ca.pem.BBBBBB\n"
	    "keep\ttp/ra.pem\ttp/.ra.pem.CCCCCC\n"
	    "keep\ttp/gone.pem\t-\n");
	assert_int_equal(store_lock(st, &e), 0);
	store_unlock(st);
	expect_text(st, "tp/ca.pem", "new ca");
	expect_text(st, "tp/ra.pem", "new ra");
	assert_false(has(dir, "tp/gone.pem"));
	assert_false(has(dir, ".journal"));
	assert_false(has(dir, "tp/.ca.pem.BBBBBB"));

	/* A damaged journal stops every writer, with what to do. */
	put(dir, ".journal", "keep\t../etc/passwd\t-\n");
	assert_int_equal(store_lock(st, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, ".journal"));
	expect_text(st, "tp/ca.pem", "new ca");
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/*
 * Stale temporary files go when a store is opened with the lock free; a
 * temporary file some writer still holds (its flock: a write in progress,
 * a batch not yet committed) stays, and so do other names and links.
 */
static void
test_sweep(void **state)
{
	struct store		*st, *st2;
	struct store_batch	*b;
	struct err		 e;
	char			*dir = th_tmpdir(), path[512], link2[512];
	int			 fd, held;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "tp/ca.pem", "ca", 2, STORE_PUBLIC,
	    &e), 0);
	snprintf(path, sizeof(path), "%s/.config.Ab12Cd", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/tp/.ca.pem.held01", dir);
	held = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	snprintf(path, sizeof(path), "%s/tp/.ca.pem.bak", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(link2, sizeof(link2), "%s/.link.Qq1Ww2", dir);
	assert_int_equal(symlink(path, link2), 0);
	/* A batch written, not committed (the lock not taken yet). */
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_write(b, "tp/ca.pem", "new", 3,
	    STORE_PUBLIC, 0, &e), 0);
	assert_int_equal(dotfiles(dir), 4);

	assert_int_equal(store_open(&st2, dir, &e), 0);
	assert_false(has(dir, ".config.Ab12Cd"));
	assert_true(has(dir, "tp/.ca.pem.held01"));
	assert_true(has(dir, "tp/.ca.pem.bak"));
	assert_true(has(dir, ".link.Qq1Ww2"));
	assert_int_equal(store_lock(st, &e), 0);
	assert_int_equal(store_batch_commit(b, &e), 0);
	store_unlock(st);
	store_batch_free(b);
	expect_text(st, "tp/ca.pem", "new");
	store_free(st2);

	/* The writer is gone: its file goes at the next start. */
	close(held);
	assert_int_equal(store_open(&st2, dir, &e), 0);
	assert_false(has(dir, "tp/.ca.pem.held01"));
	store_free(st2);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

/* A link or a FIFO where a state file belongs: refused, never followed. */
static void
test_not_regular(void **state)
{
	struct store		*st;
	struct store_batch	*b;
	struct err		 e;
	char			*dir = th_tmpdir(), path[512], target[512], *buf;
	size_t			 len;

	(void)state;
	assert_int_equal(store_open(&st, dir, &e), 0);
	assert_int_equal(store_write(st, "target", "precious", 8,
	    STORE_SECRET, &e), 0);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_read(st, "key.pem", &buf, &len, 0, &e),
	    ERR_IO);
	assert_non_null(strstr(e.msg, "key.pem: a symbolic link; refused"));
	assert_int_equal(store_write(st, "key.pem", "new", 3, STORE_SECRET,
	    &e), ERR_IO);
	assert_int_equal(store_file_scrub_rel(st, "key.pem", &e), ERR_IO);
	assert_int_equal(store_remove(st, "key.pem", 1, &e), ERR_IO);
	assert_int_equal(store_batch_new(&b, st, &e), 0);
	assert_int_equal(store_batch_remove(b, "key.pem", 1, &e),
	    ERR_IO);
	assert_int_equal(store_batch_write(b, "key.pem", "new", 3,
	    STORE_SECRET, 1, &e), ERR_IO);
	store_batch_free(b);
	assert_true(store_exists(st, "key.pem"));
	expect_text(st, "target", "precious");

	snprintf(path, sizeof(path), "%s/fifo.pem", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(store_read(st, "fifo.pem", &buf, &len, 0, &e),
	    ERR_INVAL);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(store_write(st, "fifo.pem", "new", 3, STORE_SECRET,
	    &e), ERR_IO);
	assert_int_equal(store_file_scrub_rel(st, "fifo.pem", &e),
	    ERR_IO);
	store_free(st);
	th_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_modes),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_read_cap),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_lock_excludes),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_kill_mid_write),
		cmocka_unit_test(test_batch_commit),
		cmocka_unit_test(test_batch_single),
		cmocka_unit_test(test_batch_replay),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
