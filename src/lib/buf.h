/*
 * buf: the growable byte buffer, after curl's dynbuf (docs/internals/
 * DYNBUF.md).  Every buffer is given a maximum by its creator: bytes from
 * a peer, a file or a paste can never grow one without bound.
 *
 *	struct buf	 b;
 *
 *	buf_init(&b, FETCH_MAX);
 *	buf_add(&b, data, n);		(any number of times)
 *	if (b.err != 0) ... (ERR_TOOBIG or ERR_NOMEM)
 *	use buf_ptr(&b), buf_len(&b); then buf_free(&b), or buf_take().
 *
 * A failed add frees the contents and the error sticks: later adds fail
 * the same way until buf_reset(), so a caller may add many pieces and
 * check once.  The bytes are always followed by a NUL (not counted), so
 * text can be used as a string.
 */
#ifndef NETPKI_BUF_H
#define NETPKI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*ptr;	/* NULL until the first byte is added */
	size_t	 len;	/* bytes held, without the NUL */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* len never exceeds it */
	int	 err;	/* 0, or the first failure: ERR_TOOBIG, ERR_NOMEM */
};

/* An empty buffer that will hold at most max bytes (max > 0). */
void		 buf_init(struct buf *, size_t max);
/* Frees the contents; the buffer is empty and may be used again. */
void		 buf_free(struct buf *);
/* Empty again, the error cleared, the allocation kept. */
void		 buf_reset(struct buf *);
/*
 * Appends.  0, or ERR_TOOBIG (len would exceed max) or ERR_NOMEM, after
 * which the buffer is empty and keeps failing (see above).
 */
int		 buf_add(struct buf *, const void *, size_t);
int		 buf_adds(struct buf *, const char *);
int		 buf_addf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 buf_vaddf(struct buf *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
/* The bytes (NUL-terminated), NULL when empty; valid until the next add. */
char		*buf_ptr(const struct buf *);
unsigned char	*buf_uptr(const struct buf *);
size_t		 buf_len(const struct buf *);
/*
 * Hands the bytes over: a NUL-terminated string the caller frees ("" when
 * empty), its length in *len (len may be NULL).  NULL after a failure
 * or when out of memory.  The buffer is left empty.
 */
char		*buf_take(struct buf *, size_t *len);

#endif
