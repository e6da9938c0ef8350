/*
 * fuzz_text: text_escape on arbitrary bytes.  The output must be well-
 * formed UTF-8 with no C0 control, DEL, C1 control or bidi control in it,
 * no longer than TEXT_ESC_RATIO times the input, and text_esc must stay
 * inside a small buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Independent of text.c's decoder: a forbidden code point traps. */
static void
fuzz_text_check(const unsigned char *u)
{
	uint32_t	 cp;
	size_t		 i, n, k;

	for (i = 0; u[i] != '\0'; i += n) {
		n = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 ? 2 :
		    (u[i] & 0xf0) == 0xe0 ? 3 : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n > 1 && u[i] < 0xc2))
			__builtin_trap();
		cp = n == 1 ? u[i] : u[i] & (0x7f >> n);
		for (k = 1; k < n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				__builtin_trap();
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*out, *z, small[13];

	if ((out = text_escape((const char *)data, len)) == NULL)
		return 0;
	if (strlen(out) > len * TEXT_ESC_RATIO)
		__builtin_trap();
	fuzz_text_check((const unsigned char *)out);
	free(out);
	if ((z = malloc(len + 1)) == NULL)
		return 0;
	memcpy(z, data, len);
	z[len] = '\0';
	text_esc(small, sizeof(small), z);
	fuzz_text_check((const unsigned char *)small);
	free(z);
	return 0;
}
