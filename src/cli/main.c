/*
 * netpki: the shell's entry point: options, the state directory, and the
 * choice between a terminal, a script on stdin and -c lines.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "err.h"
#include "shell_priv.h"

static volatile sig_atomic_t	 main_intr;

static void
main_sigint(int sig)
{
	(void)sig;
	main_intr = 1;
}

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: netpki [--state DIR] [-y] [-c COMMAND]...\n"
	    "\n"
	    "The netpki shell: IOS XR-style PKI commands for this device.\n"
	    "With no -c and a terminal on stdin it is interactive; otherwise\n"
	    "it reads one command per line from stdin (or the -c arguments,\n"
	    "in order; answers to prompts are the following lines).\n"
	    "\n"
	    "  --state DIR   state directory (default: $NETPKI_STATE, else\n"
	    "                /var/lib/netpki as root, else\n"
	    "                $XDG_STATE_HOME/netpki or ~/.local/state/netpki)\n"
	    "  -c COMMAND    run COMMAND; repeatable; stops at the first failure\n"
	    "  -y, --yes     answer yes to confirmations (remove keys, re-enroll,\n"
	    "                ...); never to accepting a CA certificate\n"
	    "  --help        this text\n"
	    "  --version     print the version\n"
	    "\n"
	    "See netpki(1).\n");
}

/*
 * No core file and no ptrace by another user's process: the memory holds
 * challenge passwords and private keys (the agent's too: it starts here).
 */
static int
main_nodump(void)
{
	const struct rlimit	 none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		perror("netpki: cannot disable core dumps");
		return -1;
	}
	return 0;
}

/* The default state directory; caller frees. */
static char *
main_state_dir(void)
{
	const char	*s, *home;
	char		*out = NULL;

	if ((s = getenv("NETPKI_STATE")) != NULL && *s != '\0')
		return strdup(s);
	if (geteuid() == 0)
		return strdup("/var/lib/netpki");
	if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/') {
		if (asprintf(&out, "%s/netpki", s) == -1)
			return NULL;
		return out;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	if (asprintf(&out, "%s/.local/state/netpki", home) == -1)
		return NULL;
	return out;
}

/* What the command line asked for; main_opts_parse fills it. */
struct main_opts {
	char		*state;		/* --state, or NULL for the default */
	char		**lines;	/* the -c commands, in order */
	int		 nlines;
	int		 yes;		/* -y: answer yes to confirmations */
};

/*
 * Parse the options into o.  Returns -1 to go on, else the exit status
 * (--help and --version: 0; a usage error: 2; out of memory: 1).
 */
static int
main_opts_parse(struct main_opts *o, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "yes",	no_argument,		NULL, 'y' },
		{ NULL,		0,			NULL, 0 }
	};
	int				 ch;

	/* One slot per argument bounds the -c count. */
	if ((o->lines = calloc((size_t)argc + 1, sizeof(*o->lines))) == NULL)
		return 1;
	while ((ch = getopt_long(argc, argv, "c:hy", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			free(o->state);
			o->state = strdup(optarg);
			break;
		case 'c':
			o->lines[o->nlines++] = optarg;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("netpki %s\n", NETPKI_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netpki: unexpected argument: %s\n",
		    argv[optind]);
		main_usage(stderr);
		return 2;
	}
	return -1;
}

/* Run the shell over the -c lines, a terminal or stdin; its exit status. */
static int
main_run(const struct main_opts *o)
{
	struct shell		*sh = NULL;
	struct sigaction	 sa;
	struct err		 e;
	int			 rc = 1;

	if (shell_new(&sh, o->state, &e) != 0) {
		fprintf(stderr, "netpki: %s\n", e.msg);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	shell_set_intr(sh, &main_intr);
	shell_set_yes(sh, o->yes);
	if (o->nlines > 0)
		rc = shell_run_lines(sh, o->lines, o->nlines);
	else if (isatty(STDIN_FILENO))
		rc = shell_run_tty(sh);
	else
		rc = shell_run_stream(sh, stdin);
 out:
	shell_free(sh);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct main_opts	 o = { 0 };
	int			 rc;

	if (main_nodump() != 0)
		return 1;
	/*
	 * Before any other OpenSSL call: a command runs once and exits, so
	 * OpenSSL's exit handler, which freed its tables one object at a time
	 * (1.35M of an enrollment's 71.5M instructions), is not installed.
	 * Keys are freed and cleansed by their owners before; the agent does
	 * not exit until it is told to.
	 */
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL)) {
		fprintf(stderr, "netpki: cannot initialise OpenSSL\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "agent") == 0)
		return agent_main(argc - 1, argv + 1);
	if ((rc = main_opts_parse(&o, argc, argv)) != -1)
		goto out;
	rc = 1;
	if (o.state == NULL && (o.state = main_state_dir()) == NULL) {
		fprintf(stderr, "netpki: no state directory: use --state or "
		    "set NETPKI_STATE\n");
		goto out;
	}
	rc = main_run(&o);
 out:
	free(o.state);
	free(o.lines);
	return rc;
}
