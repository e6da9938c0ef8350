/*
 * store: the crash-safe state directory.
 *
 * Every write replaces a whole file atomically (temp file in the same
 * directory, write, fsync, rename, fsync the directory), so a reader or a
 * crash sees the old file or the new one, never a torn one.  One advisory
 * lock (flock on DIR/lock) serialises writers across processes; readers do
 * not need it because renames are atomic.
 *
 * A state file is a regular file: store_read, store_write, the scrubs and
 * a batch refuse (ERR_IO, naming it) a symbolic link, FIFO, directory
 * or device where one belongs, and never follow, replace or overwrite it.
 * store_open, when the lock is free, finishes a crashed change and removes
 * the ".NAME.XXXXXX" temporary files a killed writer left (a live writer
 * holds a flock on its own until the rename or store_batch_free).
 */
#ifndef NETPKI_STORE_H
#define NETPKI_STORE_H

#include <stddef.h>
#include <sys/types.h>

struct err;
struct store;

#define STORE_SECRET	0600	/* private keys, pending requests */
#define STORE_PUBLIC	0644	/* certificates, configuration */

#define STORE_RELMAX	512	/* a path in the store, for changes */
#define STORE_BATCHMAX	16	/* files in one change */

/* Caps a read so that a corrupted or hostile file cannot exhaust memory. */
#define STORE_READMAX	(64u * 1024 * 1024)

int		 store_open(struct store **, const char *, struct err *);
void		 store_free(struct store *);
const char	*store_dir(const struct store *);

int		 store_lock(struct store *, struct err *);
void		 store_unlock(struct store *);

int		 store_write(struct store *, const char *, const void *, size_t,
		    mode_t, struct err *);
int		 store_read(struct store *, const char *, char **, size_t *,
		    size_t, struct err *);
/* 1 when the name exists (a symbolic link too: it is not followed). */
int		 store_exists(struct store *, const char *);
int		 store_remove(struct store *, const char *, int, struct err *);
/* Overwrite a file's bytes in place (before it is replaced or removed). */
int		 store_file_scrub_rel(struct store *, const char *, struct err *);
int		 store_list(struct store *, const char *, char ***, size_t *,
		    struct err *);
void		 store_list_free(char **, size_t);
int		 store_mtime(struct store *, const char *, time_t *);

/*
 * Several files replaced or removed as one change: after a crash, either
 * all of it or none of it is there (store_lock finishes a change that was
 * decided).  Writes go to temporary files at once; commit needs the lock.
 * scrub: overwrite the file being replaced or removed (a private key).
 */
struct store_batch;
int		 store_batch_new(struct store_batch **, struct store *,
		    struct err *);
int		 store_batch_write(struct store_batch *, const char *,
		    const void *, size_t, mode_t, int, struct err *);
int		 store_batch_remove(struct store_batch *, const char *, int,
		    struct err *);
int		 store_batch_commit(struct store_batch *, struct err *);
/* Removes the temporary files of a change that was not committed. */
void		 store_batch_free(struct store_batch *);
/*
 * A batch under the lock, the way most changes are made: begin takes the
 * lock and a new batch (no lock kept when it fails); end commits the
 * batch when rc is 0, frees it, releases the lock and returns rc or the
 * commit's error.  end accepts NULL (returns rc).
 */
int		 store_change_begin(struct store_batch **, struct store *,
		    struct err *);
int		 store_change_end(struct store_batch *, int, struct err *);

/* The same operations on absolute paths, for files outside a store. */
int		 store_file_write(const char *, const void *, size_t, mode_t,
		    struct err *);
int		 store_file_read(const char *, char **, size_t *, size_t,
		    struct err *);
int		 store_mkdirs(const char *, mode_t, struct err *);
int		 store_file_scrub(const char *, struct err *);

#endif
