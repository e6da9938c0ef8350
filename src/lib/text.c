/*
 * text: one escaping function for untrusted text on its way to a terminal
 * or a log (see text.h for what is escaped and how it looks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t
text_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	*cp = s[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++) {
		if (i > 1 && (s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

int
text_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The next unit of s: either n bytes copied as they are (*esc empty) or
 * the escape in esc (n input bytes consumed).
 */
static size_t
text_unit(const unsigned char *s, size_t len, char esc[12], int flags)
{
	uint32_t	 cp;
	size_t		 n;

	esc[0] = '\0';
	if (s[0] == ' ' && (flags & TEXT_ESC_SPACE)) {
		snprintf(esc, 12, "\\x20");
		return 1;
	}
	if ((n = text_utf8(s, len, &cp)) == 0) {
		snprintf(esc, 12, "\\x%02X", s[0]);
		return 1;
	}
	if (!text_unsafe(cp))
		return n;
	if (n == 1)
		snprintf(esc, 12, "\\x%02X", (unsigned)cp);
	else
		snprintf(esc, 12, "\\u{%04X}", (unsigned)cp);
	return n;
}

/*
 * Escape into out (room for sz bytes with the NUL), stopping before a unit
 * that does not fit.  Returns the length written.
 */
static size_t
text_put(char *out, size_t sz, const char *s, size_t len, int flags)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 esc[12];
	size_t			 i = 0, o = 0, n, m;

	while (i < len) {
		n = text_unit(u + i, len - i, esc, flags);
		m = esc[0] != '\0' ? strlen(esc) : n;
		if (o + m + 1 > sz)
			break;
		memcpy(out + o, esc[0] != '\0' ? esc : s + i, m);
		o += m;
		i += n;
	}
	out[o] = '\0';
	return o;
}

char *
text_escape(const char *s, size_t len)
{
	char	*out;
	size_t	 sz;

	if (len > (SIZE_MAX - 1) / TEXT_ESC_RATIO)
		return NULL;
	sz = len * TEXT_ESC_RATIO + 1;
	if ((out = malloc(sz)) == NULL)
		return NULL;
	text_put(out, sz, s, len, 0);
	return out;
}

const char *
text_esc(char *buf, size_t sz, const char *s)
{
	if (s == NULL) {
		buf[0] = '\0';
		return buf;
	}
	text_put(buf, sz, s, strlen(s), 0);
	return buf;
}

size_t
text_esc_n(char *buf, size_t sz, const char *s, size_t len, int flags)
{
	return text_put(buf, sz, s, strnlen(s, len), flags);
}
