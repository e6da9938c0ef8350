/*
 * keyproc: serve's key process (see keyproc.h).  The file layout is the
 * privilege model: this file holds the only code of the child, which
 * reads the key files and then answers keyop frames, nothing else.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ca.h"
#include "err.h"
#include "keyop.h"
#include "keyproc.h"

_Static_assert(KEYPROC_SLOT_GEN(CA_GENMAX) < KEYOP_SLOTS,
    "a key process slot for every CA generation");

static int
keyproc_intcmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Close every descriptor above stderr but the n in fds (sorted here). */
static void
keyproc_closefrom(int *fds, size_t n)
{
	unsigned int	 lo = 3;
	size_t		 i;

	qsort(fds, n, sizeof(*fds), keyproc_intcmp);
	for (i = 0; i < n; i++) {
		if ((unsigned int)fds[i] > lo)
			close_range(lo, (unsigned int)fds[i] - 1, 0);
		lo = (unsigned int)fds[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

static int
keyproc_load(struct keyop_holder *h, const char *dir, unsigned int slot,
    const char *name, struct err *e)
{
	EVP_PKEY	*pk;
	char		 path[4096];
	int		 rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = keyop_file_load(&pk, path, e)) != 0)
		return rc;
	if ((rc = keyop_holder_set(h, slot, pk, e)) != 0)
		EVP_PKEY_free(pk);
	return rc;
}

/* The generations' keys, as ca_load finds them (ca_open_gens). */
static int
keyproc_gens(struct keyop_holder *h, const char *dir, struct err *e)
{
	char		 path[4096], name[64];
	struct stat	 sb;
	int		 n, rc;

	for (n = 2; n <= CA_GENMAX; n++) {
		snprintf(path, sizeof(path), "%s/ca-%d.crt", dir, n);
		if (stat(path, &sb) != 0)
			return 0;
		snprintf(name, sizeof(name), "ca-%d.key", n);
		if ((rc = keyproc_load(h, dir, KEYPROC_SLOT_GEN(n), name,
		    e)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The keys ca_load would read: the CA's (every generation), and the
 * RA's when it has one.
 */
static int
keyproc_keys(struct keyop_holder *h, const char *dir, struct err *e)
{
	char		 path[4096];
	struct stat	 sb;
	int		 rc;

	if ((rc = keyproc_load(h, dir, KEYPROC_SLOT_CA, "ca.key", e)) != 0 ||
	    (rc = keyproc_gens(h, dir, e)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/ra-sign.crt", dir);
	if (stat(path, &sb) != 0)
		return 0;
	if ((rc = keyproc_load(h, dir, KEYPROC_SLOT_RA_SIGN, "ra-sign.key",
	    e)) != 0)
		return rc;
	return keyproc_load(h, dir, KEYPROC_SLOT_RA_ENC, "ra-enc.key", e);
}

/* As root: become nobody for good, in /. */
static int
keyproc_drop(struct err *e)
{
	struct passwd	*pw;
	gid_t		 gid;

	if (geteuid() == 0) {
		if ((pw = getpwnam(KEYPROC_USER)) == NULL)
			return err_set(e, ERR_NOTFOUND, "key process: no user "
			    "%s", KEYPROC_USER);
		gid = pw->pw_gid;
		if (setgroups(1, &gid) != 0 ||
		    setresgid(gid, gid, gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
			return err_errno(e, ERR_IO, "key process: cannot "
			    "become %s", KEYPROC_USER);
		if (setuid(0) == 0)
			return err_set(e, ERR_IO, "key process: could regain "
			    "root");
	}
	if (chdir("/") != 0)
		return err_errno(e, ERR_IO, "key process: chdir /");
	return 0;
}

static void __attribute__((noreturn))
keyproc_child(const char *dir, int *fds, size_t n, pid_t parent)
{
	struct keyop_holder	*h = NULL;
	struct err		 e;
	int			 rc, first = fds[0];

	err_clear(&e);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	keyproc_closefrom(fds, n);
	/* Not dumpable before the keys are read; again after setuid. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		rc = err_errno(&e, ERR_IO, "key process: PR_SET_DUMPABLE");
	else if ((rc = keyop_holder_new(&h, &e)) == 0 &&
	    (rc = keyproc_keys(h, dir, &e)) == 0 &&
	    (rc = keyproc_drop(&e)) == 0 &&
	    (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0))
		rc = err_errno(&e, ERR_IO, "key process: prctl");
	if (rc == 0 && getppid() != parent)
		rc = err_set(&e, ERR_IO, "key process: serve is gone");
	if (keyop_hello_send(first, rc, &e) != 0 || rc != 0)
		_exit(1);
	keyop_holder_serve_all(h, fds, n, &e);
	keyop_holder_free(h);
	_exit(0);
}

/* Fork the key process; *fds: this side's n connections. */
static int
keyproc_start(pid_t *pid, int *fds, const char *dir, size_t n,
    struct err *e)
{
	int	 theirs[KEYPROC_CONN_MAX], sv[2], rc = 0;
	size_t	 i, made;
	pid_t	 parent = getpid();

	for (made = 0; made < n; made++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) !=
		    0) {
			rc = err_errno(e, ERR_IO, "socketpair");
			goto fail;
		}
		fds[made] = sv[0];
		theirs[made] = sv[1];
	}
	if ((*pid = fork()) == -1) {
		rc = err_errno(e, ERR_IO, "cannot start the key process");
		goto fail;
	}
	if (*pid == 0) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		keyproc_child(dir, theirs, n, parent);
	}
	for (i = 0; i < n; i++)
		close(theirs[i]);
	if ((rc = keyop_hello_recv(fds[0], e)) == 0)
		return 0;
	for (i = 0; i < n; i++)
		close(fds[i]);
	keyproc_wait(*pid);
	*pid = -1;
	return rc;
 fail:
	for (i = 0; i < made; i++) {
		close(fds[i]);
		close(theirs[i]);
	}
	return rc;
}

/* The CA's, then the RA's keys, each checked against its certificate. */
static int
keyproc_attach(struct ca *ca, struct keyop_peer *peer, struct err *e)
{
	static const char *const files[] = { "ca.key", "ra-sign.key",
	    "ra-enc.key" };
	EVP_PKEY	**key[] = { &ca->key, &ca->ra_sign_key, &ca->ra_enc_key };
	X509		*cert[] = { ca->cert, ca->ra_sign, ca->ra_enc };
	unsigned int	 slot[] = { KEYPROC_SLOT_CA, KEYPROC_SLOT_RA_SIGN,
	    KEYPROC_SLOT_RA_ENC };
	struct ca	*g;
	size_t		 i;
	int		 rc;

	for (i = 0; i < 3 && cert[i] != NULL; i++)
		if ((rc = keyop_remote_new(key[i], peer, slot[i],
		    X509_get0_pubkey(cert[i]), e)) != 0)
			return err_prefix(e, "%s/%s", ca->dir, files[i]);
	for (g = ca->next; g != NULL; g = g->next) {
		if ((rc = keyop_remote_new(&g->key, peer,
		    KEYPROC_SLOT_GEN(g->gen), X509_get0_pubkey(g->cert), e)) !=
		    0)
			return err_prefix(e, "%s/ca-%d.key", ca->dir, g->gen);
		if ((rc = ca_gen_ra_keys(g, ca)) != 0)
			return err_nomem(e);
	}
	return 0;
}

int
keyproc_ca_load(struct ca **out, pid_t *pid, const char *dir, size_t n,
    struct err *e)
{
	struct keyop_peer	*peer = NULL;
	struct ca		*ca = NULL;
	int			 fds[KEYPROC_CONN_MAX], rc;

	*out = NULL;
	*pid = -1;
	if (n == 0 || n > KEYPROC_CONN_MAX)
		n = KEYPROC_CONN_MAX;
	if ((rc = keyproc_start(pid, fds, dir, n, e)) != 0)
		return rc;
	if ((rc = keyop_peer_new(&peer, fds, n, e)) != 0) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		goto out;
	}
	if ((rc = ca_load_public(&ca, dir, e)) != 0)
		goto out;
	ca->keys = peer;
	peer = NULL;
	if ((rc = keyproc_attach(ca, ca->keys, e)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
 out:
	keyop_peer_free(peer);
	ca_free(ca);
	if (rc != 0) {
		keyproc_wait(*pid);
		*pid = -1;
	}
	return rc;
}

void
keyproc_wait(pid_t pid)
{
	int	 st;

	if (pid <= 0)
		return;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}
