/*
 * text: text from outside (certificate names and SANs, URIs, PEM block
 * names, server messages, configuration files) made safe to show on a
 * terminal or write to a log.
 *
 * Like OpenSSL's ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_ESC_MSB, but valid
 * printable UTF-8 ("Zürich", CJK) is kept as it is.  Escaped:
 *   - C0 controls (0x00-0x1f, so also TAB, CR, LF and ESC) and DEL:
 *     "\xNN" (two uppercase hex digits);
 *   - bytes that are not part of valid UTF-8 (raw C1 bytes 0x80-0x9f,
 *     Latin-1, overlong forms, surrogates, beyond U+10FFFF): each byte
 *     "\xNN";
 *   - the UTF-8 encodings of C1 controls (U+0080-U+009F), of the bidi
 *     controls that reorder what the operator sees (U+061C, U+200E,
 *     U+200F, U+202A-U+202E, U+2066-U+2069) and of the line and paragraph
 *     separators U+2028, U+2029: "\u{NNNN}" (four uppercase hex digits).
 * A backslash is not escaped: the result is for reading, not for parsing
 * back, and a literal "\x1B" in the input is as harmless as it looks.
 */
#ifndef NETPKI_TEXT_H
#define NETPKI_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Longest expansion of one input byte (an invalid byte: "\xNN"). */
#define TEXT_ESC_RATIO	4

/* s[0..len) escaped into a new string; NULL when out of memory. */
char		*text_escape(const char *, size_t);

/*
 * NUL-terminated s escaped into buf (sz > 0), cut at a character or escape
 * boundary when it does not fit.  Returns buf, so that it can be a printf
 * argument; s NULL gives "".
 */
const char	*text_esc(char *, size_t, const char *);
/*
 * The first len bytes of s (or up to a NUL) escaped into buf as text_esc
 * does; flags TEXT_ESC_SPACE escapes spaces too (a log field that must stay
 * one word).  Returns the length written.
 */
#define TEXT_ESC_SPACE	0x01
size_t		 text_esc_n(char *, size_t, const char *, size_t, int);

/*
 * Length (1-4) of the well-formed UTF-8 sequence at s, its code point in
 * *cp; 0 when s does not start one (RFC 3629 section 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF).  For other encoders (json.c).
 */
size_t		 text_utf8(const unsigned char *, size_t, uint32_t *);
/*
 * A code point that moves the cursor, ends a line or reorders text: what
 * is escaped above (C0, DEL, C1, bidi controls, U+2028, U+2029).
 */
int		 text_unsafe(uint32_t);

#endif
