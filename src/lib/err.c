/*
 * err: the error object and the one place that turns OpenSSL's error queue
 * into text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "err.h"

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int
err_vset(struct err *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

static void
err_append(struct err *e, const char *s)
{
	size_t	 n = strlen(e->msg);

	if (n < sizeof(e->msg) - 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s", s);
}

int
err_errno(struct err *e, int code, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	char	 buf[256];

	if (e == NULL)
		return code;
	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), ": %s", strerror(saved));
	err_append(e, buf);
	return code;
}

/*
 * Drain the whole queue so that a later call does not report a stale
 * failure; keep the first (root cause) and last entries in the message.
 */
int
err_openssl(struct err *e, int code, const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 first = 0, last = 0, l;
	char		 buf[256];

	while ((l = ERR_get_error()) != 0) {
		if (first == 0)
			first = l;
		last = l;
	}
	if (e == NULL)
		return code;
	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	if (first != 0) {
		err_append(e, ": ");
		ERR_error_string_n(first, buf, sizeof(buf));
		err_append(e, buf);
		if (last != first) {
			err_append(e, " (");
			ERR_error_string_n(last, buf, sizeof(buf));
			err_append(e, buf);
			err_append(e, ")");
		}
	}
	return code;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	va_list	 ap;
	char	 pre[ERR_MSGMAX];
	size_t	 plen, mlen;

	if (e == NULL)
		return ERR_INVAL;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
	va_end(ap);
	strcat(pre, ": ");
	plen = strlen(pre);
	mlen = strlen(e->msg);
	if (plen >= sizeof(e->msg))
		plen = sizeof(e->msg) - 1;
	if (plen + mlen >= sizeof(e->msg))
		mlen = sizeof(e->msg) - 1 - plen;
	memmove(e->msg + plen, e->msg, mlen);
	memcpy(e->msg, pre, plen);
	e->msg[plen + mlen] = '\0';
	return e->code;
}

const char *
err_codestr(int code)
{
	switch (code) {
	case ERR_OK:		return "success";
	case ERR_INVAL:		return "invalid input";
	case ERR_NOTFOUND:	return "not found";
	case ERR_EXISTS:	return "already exists";
	case ERR_IO:		return "I/O error";
	case ERR_CRYPTO:	return "cryptographic failure";
	case ERR_NET:		return "network error";
	case ERR_PROTO:		return "protocol error";
	case ERR_BUSY:		return "busy";
	case ERR_NOMEM:		return "out of memory";
	case ERR_REFUSED:	return "refused";
	case ERR_PENDING:	return "pending";
	case ERR_CANCELLED:	return "cancelled";
	case ERR_TOOBIG:	return "too big";
	default:		return "unknown error";
	}
}

int
err_nomem(struct err *e)
{
	return err_set(e, ERR_NOMEM, "%s", err_codestr(ERR_NOMEM));
}
