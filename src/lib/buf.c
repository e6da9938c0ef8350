/*
 * buf: the capped growable byte buffer (buf.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/* The first allocation; small, since most buffers hold a line or a name. */
#define BUF_MINCAP	64

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
	b->err = 0;
}

static int
buf_fail(struct buf *b, int code)
{
	buf_free(b);
	b->err = code;
	return code;
}

/* Room for need more bytes and the NUL: doubling, never past max + 1. */
static int
buf_grow(struct buf *b, size_t need)
{
	size_t	 want = b->len + need + 1, ncap;
	char	*np;

	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : BUF_MINCAP;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	if ((np = realloc(b->ptr, ncap)) == NULL)
		return buf_fail(b, ERR_NOMEM);
	b->ptr = np;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	int	 rc;

	if (b->err != 0)
		return b->err;
	if (n > b->max - b->len)
		return buf_fail(b, ERR_TOOBIG);
	if ((rc = buf_grow(b, n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	char	 small[256];
	int	 n, rc;

	if (b->err != 0)
		return b->err;
	/* Formatted once into the stack when it fits, else straight in. */
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return buf_fail(b, ERR_NOMEM);
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if ((size_t)n > b->max - b->len)
		return buf_fail(b, ERR_TOOBIG);
	if ((rc = buf_grow(b, (size_t)n)) != 0)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
buf_ptr(const struct buf *b)
{
	return b->len > 0 ? b->ptr : NULL;
}

unsigned char *
buf_uptr(const struct buf *b)
{
	return (unsigned char *)buf_ptr(b);
}

size_t
buf_len(const struct buf *b)
{
	return b->len;
}

char *
buf_take(struct buf *b, size_t *len)
{
	char	*p;

	if (b->err != 0)
		return NULL;
	if ((p = b->ptr) == NULL && (p = strdup("")) == NULL)
		return NULL;
	if (len != NULL)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}
