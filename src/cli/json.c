/*
 * json: a small JSON writer for "| json" (see json.h).  The text is
 * built in one buffer (buf.h) capped by its creator; the first failure
 * (memory, the cap, a container misused) is kept and reported by
 * json_finish(), and every later call does nothing, so callers need not
 * check each one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "text.h"

#define JSON_MAXDEPTH	32

struct json_level {
	char	 close;		/* '}' or ']' */
	size_t	 n;		/* values written in it */
};

struct json {
	struct buf		 b;
	int			 fail;	/* 0, or the ERR_* of the first failure */
	int			 depth;
	struct json_level	 st[JSON_MAXDEPTH];
};

static void
json_add(struct json *j, const char *s, size_t n)
{
	if (j->fail == 0 && buf_add(&j->b, s, n) != 0)
		j->fail = j->b.err;
}

static void
json_adds(struct json *j, const char *s)
{
	json_add(j, s, strlen(s));
}

struct json *
json_new(size_t max)
{
	struct json	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	buf_init(&j->b, max < 16 ? 16 : max);
	json_adds(j, "{");
	j->st[0].close = '}';
	j->depth = 1;
	if (j->fail) {
		json_free(j);
		return NULL;
	}
	return j;
}

void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	buf_free(&j->b);
	free(j);
}

static void
json_quote(struct json *j, const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	char			 esc[8];
	uint32_t		 cp;
	size_t			 i = 0, k;

	json_add(j, "\"", 1);
	while (i < n && !j->fail) {
		/* Not UTF-8: U+FFFD, and the output stays valid JSON text. */
		if ((k = text_utf8(s + i, n - i, &cp)) == 0) {
			json_add(j, "\\ufffd", 6);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			esc[0] = '\\';
			esc[1] = (char)cp;
			json_add(j, esc, 2);
		} else if (cp < 0x20 && strchr("\b\f\n\r\t", (int)cp) != NULL &&
		    cp != 0) {
			esc[0] = '\\';
			esc[1] = "btnvfr"[cp - '\b'];
			json_add(j, esc, 2);
		} else if (text_unsafe(cp)) {
			/* Allowed raw by RFC 8259, but not for a terminal. */
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
			json_add(j, esc, 6);
		} else
			json_add(j, (const char *)s + i, k);
		i += k;
	}
	json_add(j, "\"", 1);
}

static void
json_indent(struct json *j, int depth)
{
	static const char	 sp[] = "                                ";
	int			 i;

	json_add(j, "\n", 1);
	for (i = 0; i < depth; i++)
		json_add(j, sp, 2);
}

/* Separator, indentation and key before a value; -1 when none may come. */
static int
json_key(struct json *j, const char *key)
{
	struct json_level	*l;

	if (j == NULL || j->fail)
		return -1;
	l = &j->st[j->depth - 1];
	if (l->close == '}' && key == NULL) {
		j->fail = ERR_INVAL;
		return -1;
	}
	if (l->n++ > 0)
		json_add(j, ",", 1);
	json_indent(j, j->depth);
	if (l->close == '}') {
		json_quote(j, key, strlen(key));
		json_add(j, ": ", 2);
	}
	return j->fail ? -1 : 0;
}

static void
json_open(struct json *j, const char *key, char open, char close)
{
	if (json_key(j, key) != 0)
		return;
	if (j->depth == JSON_MAXDEPTH) {
		j->fail = ERR_TOOBIG;
		return;
	}
	json_add(j, &open, 1);
	j->st[j->depth].close = close;
	j->st[j->depth].n = 0;
	j->depth++;
}

void
json_begin(struct json *j, const char *key)
{
	json_open(j, key, '{', '}');
}

void
json_list(struct json *j, const char *key)
{
	json_open(j, key, '[', ']');
}

void
json_end(struct json *j)
{
	struct json_level	*l;

	if (j == NULL || j->fail)
		return;
	if (j->depth <= 1) {
		j->fail = ERR_INVAL;
		return;
	}
	l = &j->st[--j->depth];
	if (l->n > 0)
		json_indent(j, j->depth);
	json_add(j, &l->close, 1);
}

void
json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	if (json_key(j, key) != 0)
		return;
	if (s == NULL)
		json_add(j, "null", 4);
	else
		json_quote(j, s, n);
}

void
json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, s != NULL ? strlen(s) : 0);
}

void
json_int(struct json *j, const char *key, long long v)
{
	char	 num[32];

	if (json_key(j, key) != 0)
		return;
	snprintf(num, sizeof(num), "%lld", v);
	json_adds(j, num);
}

void
json_bool(struct json *j, const char *key, int v)
{
	if (json_key(j, key) == 0)
		json_adds(j, v ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	if (json_key(j, key) == 0)
		json_add(j, "null", 4);
}

void
json_time(struct json *j, const char *key, time_t t)
{
	struct tm	 tm;
	char		 buf[64];

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		json_null(j, key);
	else
		json_str(j, key, buf);
}

void
json_hex(struct json *j, const char *key, const unsigned char *p, size_t n)
{
	char	 two[3];
	size_t	 i;

	if (json_key(j, key) != 0)
		return;
	json_add(j, "\"", 1);
	for (i = 0; i < n && !j->fail; i++) {
		snprintf(two, sizeof(two), "%02X", p[i]);
		json_add(j, two, 2);
	}
	json_add(j, "\"", 1);
}

int
json_finish(struct json *j, const char **text, struct err *e)
{
	*text = NULL;
	if (j->fail == 0 && j->depth != 1)
		j->fail = ERR_INVAL;
	if (j->fail == 0) {
		if (j->st[0].n > 0)
			json_add(j, "\n", 1);
		json_add(j, "}\n", 2);
		j->depth = 0;
	}
	switch (j->fail) {
	case 0:
		*text = buf_ptr(&j->b);
		return 0;
	case ERR_NOMEM:
		return err_set(e, ERR_NOMEM, "JSON output: out of memory");
	case ERR_TOOBIG:
		return err_set(e, ERR_TOOBIG, "JSON output: more than %zu "
		    "bytes or nested deeper than %d", j->b.max, JSON_MAXDEPTH);
	default:
		return err_set(e, ERR_INVAL, "JSON output: a container left "
		    "open or closed twice (a bug)");
	}
}
