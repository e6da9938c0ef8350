/*
 * json: the structured side of a show command's output ("| json"): a
 * JSON document (RFC 8259) built as the command prints, from the same
 * data as its text.  Every call takes a NULL document and does nothing,
 * so a show function calls both shell_printf() and json_*() on
 * shell_json(sh) and stays one path.
 *
 * The document is one object; json_begin()/json_list() open an object or
 * an array inside the current container, json_end() closes it.  In an
 * object every value has a key; in an array the key is ignored (NULL).
 * Strings are escaped whatever they hold: '"', '\\' and C0 controls
 * (\n \r \t \b \f, else \u00XX), DEL and the C1 controls U+0080-U+009F as
 * \u00XX, U+2028/U+2029 as \u2028/\u2029; bytes that are not valid UTF-8
 * (a raw C1 byte, Latin-1, overlong forms, surrogates, beyond U+10FFFF)
 * become U+FFFD, each.  Output is printable ASCII plus valid UTF-8.
 */
#ifndef NETPKI_JSON_H
#define NETPKI_JSON_H

#include <stddef.h>
#include <time.h>

struct err;
struct json;

/* A document whose text may grow to max bytes; NULL when out of memory. */
struct json	*json_new(size_t);
void		 json_free(struct json *);

void		 json_begin(struct json *, const char *);
void		 json_list(struct json *, const char *);
void		 json_end(struct json *);
/* A string; NULL gives null. */
void		 json_str(struct json *, const char *, const char *);
void		 json_strn(struct json *, const char *, const char *, size_t);
void		 json_int(struct json *, const char *, long long);
void		 json_bool(struct json *, const char *, int);
void		 json_null(struct json *, const char *);
/* RFC 3339 UTC, "2023-11-14T22:13:20Z"; (time_t)-1 gives null. */
void		 json_time(struct json *, const char *, time_t);
/* Bytes as a string of uppercase hex digits, no separators. */
void		 json_hex(struct json *, const char *, const unsigned char *,
		    size_t);

/*
 * Closes the document: 0 with *text (NUL-terminated, ending in a newline;
 * owned by j, valid until json_free), or ERR_NOMEM / ERR_TOOBIG /
 * ERR_INVAL (containers left open or closed twice) with e filled.
 */
int		 json_finish(struct json *, const char **, struct err *);

#endif
