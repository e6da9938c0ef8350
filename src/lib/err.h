/*
 * err: errors as values.  Every fallible library call returns 0 or a
 * negative ERR_* code and, when given a struct err, leaves a human message
 * in it.  The library never prints and never exits; front ends print the
 * message (the shell prefixes it with "% ").
 */
#ifndef NETPKI_ERR_H
#define NETPKI_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_INVAL = -1,		/* bad input from the user */
	ERR_NOTFOUND = -2,	/* no such object */
	ERR_EXISTS = -3,	/* object already there */
	ERR_IO = -4,		/* file system or OS call failed */
	ERR_CRYPTO = -5,	/* OpenSSL failed */
	ERR_NET = -6,		/* transport: connect, timeout, HTTP status */
	ERR_PROTO = -7,		/* a peer broke a protocol rule */
	ERR_BUSY = -8,		/* lock held, or a concurrent change */
	ERR_NOMEM = -9,		/* allocation failed */
	ERR_REFUSED = -10,	/* policy said no: untrusted, expired, revoked */
	ERR_PENDING = -11,	/* the peer has not decided yet */
	ERR_CANCELLED = -12,	/* the user said no */
	ERR_TOOBIG = -13,	/* over a size or count cap */
};

#define ERR_MSGMAX	1024

struct err {
	int	 code;			/* last ERR_* code, 0 if none */
	char	 msg[ERR_MSGMAX];	/* human message, "" if none */
};

void		 err_clear(struct err *);
int		 err_set(struct err *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 err_vset(struct err *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
int		 err_errno(struct err *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 err_openssl(struct err *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 err_prefix(struct err *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*err_codestr(int);
/* The one out-of-memory error: ERR_NOMEM, "out of memory". */
int		 err_nomem(struct err *);

#endif
