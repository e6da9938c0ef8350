/*
 * fuzz_keyop_wire: the key holder's side of the keyop wire (keyop.h) on
 * arbitrary bytes, as a stream of frames over a socket: every reply is
 * well framed, a request that does not parse gets an error reply, and the
 * holder never answers more than it was asked.  The holder has an EC
 * P-256 key in slot 0 and an RSA-2048 key in slot 1.
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "keyop.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Replies are read while the holder answers: many short frames each get
 * a reply, and a socket's buffer holds only so many unread. */
#define FUZZ_KEYOP_MAX	2048

struct fuzz_keyop_read {
	int			 fd;
	size_t			 frames;
};

static struct keyop_holder *
fuzz_keyop_holder(void)
{
	static struct keyop_holder	*h;
	struct err			 e;

	if (h != NULL)
		return h;
	if (keyop_holder_new(&h, &e) != 0 ||
	    keyop_holder_set(h, 0, EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"), &e) != 0 ||
	    keyop_holder_set(h, 1, EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048), &e) != 0)
		abort();
	return h;
}

/* The replies: each 4-byte length, then a status byte 0 or 1. */
static size_t
fuzz_keyop_replies(int fd)
{
	/* Room for a full reply to every frame the input can hold. */
	static unsigned char	 buf[(FUZZ_KEYOP_MAX / 4 + 1) *
				    (4 + KEYOP_FRAME_MAX) + 1];
	size_t			 len = 0, off, n, frames = 0;
	ssize_t			 r;

	while (len < sizeof(buf) && (r = read(fd, buf + len,
	    sizeof(buf) - len)) > 0)
		len += (size_t)r;
	if (len == sizeof(buf))
		__builtin_trap();
	for (off = 0; off < len; off += 4 + n, frames++) {
		if (len - off < 5)
			__builtin_trap();
		n = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
		    (size_t)buf[off + 2] << 8 | buf[off + 3];
		if (n == 0 || n > KEYOP_FRAME_MAX || n > len - off - 4 ||
		    buf[off + 4] > 1)
			__builtin_trap();
	}
	return frames;
}

static void *
fuzz_keyop_reader(void *v)
{
	struct fuzz_keyop_read	*rd = v;

	rd->frames = fuzz_keyop_replies(rd->fd);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyop_holder	*h = fuzz_keyop_holder();
	struct fuzz_keyop_read	 rd;
	struct keyop_req	 r;
	pthread_t		 t;
	unsigned char		 out[KEYOP_FRAME_MAX];
	size_t			 n, asked = 0, off, len;
	struct err		 e;
	int			 sv[2];

	if (size > FUZZ_KEYOP_MAX)
		return 0;
	/* One body: a refused parse is an error reply. */
	keyop_holder_answer(h, data, size, out, &n);
	if (n < 1 || n > KEYOP_FRAME_MAX || out[0] > 1 ||
	    (keyop_req_parse(&r, data, size, &e) != 0 && out[0] != 1))
		__builtin_trap();
	/* A stream: at most one reply per complete frame. */
	for (off = 0; size - off >= 4; off += 4 + len, asked++) {
		len = (size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
		    (size_t)data[off + 2] << 8 | data[off + 3];
		if (len > KEYOP_FRAME_MAX || len > size - off - 4)
			break;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	rd.fd = sv[0];
	if (pthread_create(&t, NULL, fuzz_keyop_reader, &rd) != 0)
		abort();
	/* Serves sv[1] on the library's own thread, then closes it. */
	keyop_holder_serve_all(h, &sv[1], 1, &e);
	pthread_join(t, NULL);
	if (rd.frames > asked)
		__builtin_trap();
	close(sv[0]);
	return 0;
}
