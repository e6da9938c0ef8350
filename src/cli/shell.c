/*
 * shell: one session of the IOS-XR-style shell: modes, the private
 * candidate configuration and its commit, prompts, and the three ways
 * input arrives (a terminal with libedit, a script on stdin, -c lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cert.h"
#include "cfgparse.h"
#include "clock.h"
#include "cmd.h"
#include "cmdtree.h"
#include "commands.h"
#include "commitlog.h"
#include "config.h"
#include "edit.h"
#include "err.h"
#include "json.h"
#include "pipe.h"
#include "running.h"
#include "shell.h"
#include "shell_priv.h"
#include "store.h"
#include "text.h"

#define SHELL_CONFIG_FILE	COMMITLOG_CONFIG
#define SHELL_PASTE_MAX		(256u * 1024)
#define SHELL_ASK_TRIES		10	/* wrong answers on a terminal */
#define SHELL_TERM_LENGTH	24	/* IOS XR's default terminal length */
#define SHELL_JSON_MAX		(64u * 1024 * 1024)	/* one document */

struct shell {
	struct cmd_tree		*tree;
	char			*state_dir;
	struct store		*store;		/* opened on first use */
	struct config		*running;	/* loaded on first use */
	struct config		*base;		/* running when config began */
	struct config		*cand;		/* this session's candidate */
	struct config		*target;	/* where statements go */
	enum cmd_mode		 mode;
	char			*block;		/* submode block key */
	const struct cmd_def	*cur_def;	/* command being run */
	int			 cur_rank;

	/* input */
	FILE			*in;		/* scripted stream */
	char			**lines;	/* -c lines */
	int			 nlines, lineidx;
	int			 tty;		/* interactive terminal */
	int			 echo;		/* echo input like a console */
	const struct edit_api	*ed;	/* libedit, when el is set */
	EditLine		*el;
	History			*hist;
	volatile sig_atomic_t	*intr;
	int			 quit;
	/*
	 * A scripted prompt got no acceptable answer (end of input, or a
	 * wrong answer to a question): the command fails whatever its
	 * handler returns, so the script's exit status says so.
	 */
	int			 unanswered;
	int			 in_trial;	/* rolling back a trial */
	int			 yes;		/* -y: confirmations answered */
	char			 prompt[128];

	/* output */
	struct pipe		*out;		/* this command's; NULL: stdout */
	struct json		*json;		/* "| json": its document */
	int			 term_length;	/* pager lines, 0: no pager */
};

static int	shell_exec(struct shell *, const char *);

int
shell_new(struct shell **out, const char *state_dir, struct err *e)
{
	struct shell	*sh;
	char		 msg[256];

	*out = NULL;
	if ((sh = calloc(1, sizeof(*sh))) == NULL ||
	    (sh->state_dir = strdup(state_dir)) == NULL) {
		free(sh);
		return err_nomem(e);
	}
	if (cmdtree_new(&sh->tree, cmd_tables, msg, sizeof(msg)) != 0) {
		shell_free(sh);
		return err_set(e, ERR_INVAL, "command table: %s", msg);
	}
	sh->mode = MODE_EXEC;
	sh->term_length = SHELL_TERM_LENGTH;
	*out = sh;
	return 0;
}

void
shell_free(struct shell *sh)
{
	if (sh == NULL)
		return;
	if (sh->el != NULL)
		sh->ed->el_end(sh->el);
	if (sh->hist != NULL)
		sh->ed->history_end(sh->hist);
	cmdtree_free(sh->tree);
	store_free(sh->store);
	config_free(sh->running);
	config_free(sh->base);
	config_free(sh->cand);
	free(sh->block);
	free(sh->state_dir);
	free(sh);
}

void
shell_set_intr(struct shell *sh, volatile sig_atomic_t *flag)
{
	sh->intr = flag;
}

int
shell_interrupted(struct shell *sh)
{
	if (sh->intr != NULL && *sh->intr) {
		*sh->intr = 0;
		return 1;
	}
	return 0;
}

int
shell_interactive(const struct shell *sh)
{
	return sh->tty;
}

void
shell_printf(struct shell *sh, const char *fmt, ...)
{
	va_list	 ap;

	if (sh->json != NULL)
		return;		/* the command's text: its JSON is printed */
	va_start(ap, fmt);
	if (sh->out != NULL)
		pipe_vprintf(sh->out, fmt, ap);
	else
		vprintf(fmt, ap);
	va_end(ap);
}

/*
 * Output that output modifiers do not filter: errors (an include must
 * not hide why a show failed) and, as on IOS XR, "Building
 * configuration...".  Still paged.
 */
static void
shell_status(struct shell *sh, const char *text)
{
	if (sh->out != NULL)
		pipe_raw(sh->out, text);
	else
		fputs(text, stdout);
}

struct json *
shell_json(struct shell *sh)
{
	return sh->json;
}

int
shell_nomem(struct shell *sh)
{
	return shell_error(sh, "%s", err_codestr(ERR_NOMEM));
}

int
shell_error(struct shell *sh, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL, *line = NULL;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%% %s\n", msg) < 0) {
		free(msg);
		return -1;
	}
	shell_status(sh, line);
	free(msg);
	free(line);
	return -1;
}

int
shell_err(struct shell *sh, const struct err *e)
{
	return shell_error(sh, "%s", e->msg[0] ? e->msg :
	    err_codestr(e->code));
}

const char *
shell_state_dir(const struct shell *sh)
{
	return sh->state_dir;
}

struct store *
shell_store(struct shell *sh)
{
	struct err	 e;

	if (sh->store == NULL && store_open(&sh->store, sh->state_dir,
	    &e) != 0) {
		shell_err(sh, &e);
		return NULL;
	}
	return sh->store;
}

const char *
shell_block(const struct shell *sh)
{
	return sh->block;
}

/* ---- reading input ---------------------------------------------------- */

/*
 * The next line of a script (stream or -c list), without its newline;
 * NULL at the end.  Caller frees.
 */
static char *
shell_next_line(struct shell *sh)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if (sh->lines != NULL) {
		if (sh->lineidx >= sh->nlines)
			return NULL;
		return strdup(sh->lines[sh->lineidx++]);
	}
	if (sh->in == NULL)
		return NULL;
	if ((n = getline(&line, &cap, sh->in)) == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static char *
shell_tty_line(struct shell *sh, const char *prompt, int secret)
{
	struct termios	 old, raw;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 restore = 0;

	fputs(prompt, stdout);
	fflush(stdout);
	if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	n = getline(&line, &cap, stdin);
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stdout);
	}
	(void)sh;
	if (n == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

int
shell_ask(struct shell *sh, const char *prompt, char *buf, size_t sz,
    int secret)
{
	char	*line;

	if (sh->out != NULL)
		pipe_flush(sh->out);
	if (sh->tty)
		line = shell_tty_line(sh, prompt, secret);
	else {
		fputs(prompt, stdout);
		line = shell_next_line(sh);
		if (line != NULL && !secret)
			fputs(line, stdout);
		fputs("\n", stdout);
	}
	fflush(stdout);
	if (line == NULL) {
		sh->unanswered = 1;
		return -1;
	}
	snprintf(buf, sz, "%s", line);
	if (secret)
		explicit_bzero(line, strlen(line));
	free(line);
	return 0;
}

/*
 * After a wrong answer IOS XR says so and asks again.  A script asks
 * again no more: its next line is a command, not a second try, so one
 * wrong answer fails the command and the script goes on from there.
 */
static int
shell_reask(struct shell *sh, int tries, const char *choices)
{
	shell_printf(sh, "%% Please answer %s.\n", choices);
	if (!sh->tty || tries + 1 >= SHELL_ASK_TRIES) {
		sh->unanswered = 1;
		return 0;
	}
	return 1;
}

void
shell_set_yes(struct shell *sh, int yes)
{
	sh->yes = yes;
}

/* The question as a console log shows it, with -y's answer. */
static void
shell_auto_yes(struct shell *sh, const char *prompt)
{
	if (sh->out != NULL)
		pipe_flush(sh->out);
	printf("%syes\n", prompt);
	fflush(stdout);
}

int
shell_confirm_trust(struct shell *sh, const char *prompt, int *yes)
{
	char	 ans[64];
	int	 tries = 0;

	do {
		if (shell_ask(sh, prompt, ans, sizeof(ans), 0) != 0)
			return -1;
		if (strcasecmp(ans, "yes") == 0 || strcasecmp(ans, "y") == 0) {
			*yes = 1;
			return 0;
		}
		if (strcasecmp(ans, "no") == 0 || strcasecmp(ans, "n") == 0) {
			*yes = 0;
			return 0;
		}
	} while (shell_reask(sh, tries++, "'yes' or 'no'"));
	return -1;
}

int
shell_confirm(struct shell *sh, const char *prompt, int *yes)
{
	if (sh->yes) {
		shell_auto_yes(sh, prompt);
		*yes = 1;
		return 0;
	}
	return shell_confirm_trust(sh, prompt, yes);
}

int
shell_paste(struct shell *sh, char **out, size_t max, size_t *outlen)
{
	struct buf	 b;
	char		*line;

	*out = NULL;
	/* max counts the NUL, as it always has. */
	buf_init(&b, (max == 0 ? SHELL_PASTE_MAX : max) - 1);
	if (sh->out != NULL)
		pipe_flush(sh->out);
	for (;;) {
		if (sh->tty)
			line = shell_tty_line(sh, "", 0);
		else {
			line = shell_next_line(sh);
			if (line != NULL)
				printf("%s\n", line);
		}
		if (line == NULL)
			break;
		if (line[strspn(line, " \t")] == '\0' ||
		    strcmp(line, "quit") == 0) {
			free(line);
			break;
		}
		/* Over max: the error sticks; read on to the end marker. */
		buf_addf(&b, "%s\n", line);
		free(line);
	}
	fflush(stdout);
	if (buf_len(&b) == 0 || (*out = buf_take(&b, outlen)) == NULL) {
		buf_free(&b);
		return -1;
	}
	return 0;
}

/* ---- configuration ---------------------------------------------------- */

static const char *
shell_mode_suffix(enum cmd_mode m)
{
	switch (m) {
	case MODE_CONFIG:	return "(config)";
	case MODE_TRUSTP:	return "(config-trustp)";
	case MODE_TRUSTPOOL:	return "(config-trustpool)";
	default:		return "";
	}
}

/*
 * A statement of configuration text being parsed: run as if typed in its
 * block (its handler validates, then stores it through shell_config_set).
 */
static int
shell_parse_stmt(void *arg, struct config *c, const struct cfgparse_stmt *s)
{
	struct shell	*sh = arg;

	sh->target = c;
	sh->cur_def = s->def;
	sh->cur_rank = s->rank;
	free(sh->block);
	sh->block = NULL;
	if (s->block != NULL && (sh->block = strdup(s->block)) == NULL)
		return -1;
	return s->def->fn != NULL ? s->def->fn(sh, s->args) :
	    shell_config_set(sh, s->args);
}

/*
 * Parse configuration text into c through the grammar (cfgparse.h), with
 * the session's mode, block and target kept for the session.
 */
static int
shell_parse_config(struct shell *sh, struct config *c, const char *text,
    const char *origin)
{
	enum cmd_mode	 smode = sh->mode;
	char		*sblock = sh->block;
	struct config	*starget = sh->target;
	int		 bad;

	sh->block = NULL;
	bad = cfgparse_text(sh->tree, c, text, origin, shell_parse_stmt, sh);
	free(sh->block);
	sh->block = sblock;
	sh->mode = smode;
	sh->target = starget;
	return bad;
}

int
shell_config_parse(struct shell *sh, struct config *c, const char *text)
{
	return shell_parse_config(sh, c, text, "configuration");
}

/* The grammar as the library's running module takes it. */
static int
shell_grammar_parse(void *arg, struct config *c, const char *text,
    const char *origin)
{
	return shell_parse_config(arg, c, text, origin);
}

/* Saved configuration text ("!generation N" then statements) to a tree. */
static int
shell_text_config(struct shell *sh, const char *text, const char *origin,
    struct config **out)
{
	struct running_grammar	 g = { shell_grammar_parse, sh };
	struct err		 e;

	if (running_parse(out, &g, text, origin, &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

/* The saved running configuration, read fresh from the state directory. */
static int
shell_load_disk(struct shell *sh, struct config **out)
{
	struct running_grammar	 g = { shell_grammar_parse, sh };
	struct store		*st;
	struct err		 e;

	*out = NULL;
	if ((st = shell_store(sh)) == NULL)
		return -1;
	if (running_load(out, st, &g, &e) != 0)
		return shell_err(sh, &e);
	return 0;
}

/*
 * The generation of the saved configuration, from its first line only:
 * cheap enough to ask before every show, unlike parsing the whole file.
 */
static unsigned long
shell_saved_generation(struct shell *sh)
{
	char		 path[4096], buf[64];
	unsigned long	 gen = 0;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", sh->state_dir,
	    SHELL_CONFIG_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "!generation %lu", &gen) != 1)
		return 0;
	return gen;
}

const struct config *
shell_running(struct shell *sh)
{
	/* Start-up (nothing loaded yet) is when a trial is due. */
	if (sh->running == NULL)
		shell_trial_check(sh);
	if (sh->running == NULL && shell_load_disk(sh, &sh->running) != 0)
		return NULL;
	return sh->running;
}

const char *
shell_hostname(struct shell *sh)
{
	return running_hostname(shell_running(sh));
}

const char *
shell_domain(struct shell *sh)
{
	return running_domain(shell_running(sh));
}

int
shell_config_set(struct shell *sh, const struct cmd_args *a)
{
	const struct cmd_def	*d = sh->cur_def;
	struct cfgparse_stmt	 s;
	struct err		 e;
	char			*key;

	if (sh->target == NULL || d == NULL)
		return shell_error(sh, "Not in configuration mode.");
	s.def = d;
	s.args = a;
	s.rank = sh->cur_rank;
	s.block = d->mode == MODE_CONFIG ? NULL : sh->block;
	if (cfgparse_set(sh->target, &s, &key, &e) != 0)
		return shell_err(sh, &e);
	if (key != NULL) {
		free(sh->block);
		sh->block = key;
		sh->mode = d->submode;
	}
	return 0;
}

static void
shell_leave_config(struct shell *sh)
{
	config_free(sh->base);
	config_free(sh->cand);
	sh->base = sh->cand = sh->target = NULL;
	free(sh->block);
	sh->block = NULL;
	sh->mode = MODE_EXEC;
}

int
shell_cmd_configure(struct shell *sh, const struct cmd_args *a)
{
	struct config	*fresh;

	(void)a;
	shell_trial_check(sh);
	if (shell_load_disk(sh, &fresh) != 0)
		return -1;
	config_free(sh->running);
	sh->running = fresh;
	config_free(sh->base);
	config_free(sh->cand);
	sh->base = config_dup(fresh);
	sh->cand = config_dup(fresh);
	if (sh->base == NULL || sh->cand == NULL) {
		shell_leave_config(sh);
		return shell_nomem(sh);
	}
	sh->target = sh->cand;
	sh->mode = MODE_CONFIG;
	return 0;
}

/* The line column of the history: the terminal, or how input came. */
static const char *
shell_line(struct shell *sh)
{
	const char	*line = sh->tty ? ttyname(STDIN_FILENO) : NULL;

	if (line != NULL && strncmp(line, "/dev/", 5) == 0)
		line += 5;
	else if (line == NULL)
		line = sh->lines != NULL ? "cmdline" : sh->in != NULL ?
		    "script" : "agent";
	return line;
}

/*
 * Save next over cur (what is on disk, under the lock) as a commit in the
 * history.  trial: the seconds a confirmed commit runs before it is rolled
 * back; 0 for a plain commit, which also confirms a running trial.
 */
static int
shell_save(struct shell *sh, const struct config *cur,
    const struct config *next, const char *client, time_t trial,
    unsigned long *id)
{
	struct commitlog_entry	 w;
	struct err		 e;
	char			*after = NULL;
	int			 rc = -1;

	running_who(&w, shell_line(sh), client);
	if ((w.before = running_file_text(cur)) == NULL ||
	    (after = running_file_text(next)) == NULL) {
		shell_nomem(sh);
		goto out;
	}
	if (commitlog_commit(sh->store, &w, after, trial != 0 ? w.time +
	    trial : 0, id, &e) != 0) {
		shell_err(sh, &e);
		goto out;
	}
	rc = 0;
 out:
	free(w.before);
	free(after);
	return rc;
}

/*
 * The state of configuration that is gone (a deleted trustpoint's files)
 * is removed once no trial can bring the configuration back: after a
 * plain commit, for what this commit and the trial it ends removed.
 */
static void
shell_decided(struct shell *sh, const struct config *cur,
    const struct config *next, const struct commitlog_trial *t, time_t trial)
{
	struct config	*restore = NULL;

	if (trial != 0)
		return;
	commands_committed(sh, cur, next);
	if (t->restore != NULL && shell_text_config(sh, t->restore,
	    "trial", &restore) == 0)
		commands_committed(sh, restore, next);
	config_free(restore);
}

/* The shell's side: roll back an expired trial and say so. */
void
shell_trial_check(struct shell *sh)
{
	struct running_grammar	 g = { shell_grammar_parse, sh };
	struct commitlog_trial	 t;
	struct store		*st;
	struct err		 e;
	unsigned long		 id;
	char			 when[64];
	int			 rc;

	if (sh->in_trial)
		return;
	if ((st = shell_store(sh)) == NULL) {
		shell_error(sh, "Confirmed commit: cannot open %s",
		    sh->state_dir);
		return;
	}
	/* The grammar's handlers run inside: no second rollback from there. */
	sh->in_trial = 1;
	rc = running_trial_expire(st, &g, shell_line(sh), &t, &id, &e);
	sh->in_trial = 0;
	if (rc == 0)
		return;
	if (rc < 0) {
		shell_error(sh, "Confirmed commit: %s", e.msg);
		return;
	}
	config_free(sh->running);
	sh->running = NULL;
	if (e.code != 0)
		shell_err(sh, &e);
	cert_fmt_time(when, sizeof(when), t.deadline);
	shell_printf(sh, "%% Commit %010lu was not confirmed by %s: the "
	    "configuration is rolled back to what it was before it (commit "
	    "%010lu)\n", t.id, when, id);
	commitlog_trial_clear(&t);
}

/* After a commit: the session goes on from the new running configuration. */
static int
shell_committed(struct shell *sh, struct config *next)
{
	config_free(sh->running);
	sh->running = next;
	if (sh->cand == NULL)
		return 0;	/* EXEC: a rollback */
	config_free(sh->base);
	config_free(sh->cand);
	sh->base = config_dup(sh->running);
	sh->cand = config_dup(sh->running);
	sh->target = sh->cand;
	if (sh->base == NULL || sh->cand == NULL) {
		shell_leave_config(sh);
		return shell_nomem(sh);
	}
	return 0;
}

static void
shell_commit_say(struct shell *sh, const struct commitlog_trial *t,
    unsigned long id, time_t trial)
{
	char	 when[64];

	if (trial != 0) {
		cert_fmt_time(when, sizeof(when), clock_now() + trial);
		shell_printf(sh, "%% Commit %010lu is on trial: unless "
		    "confirmed with 'commit', the configuration is rolled back "
		    "at %s (in %lld seconds)\n", t->id != 0 ? t->id : id, when,
		    (long long)trial);
	} else if (t->id != 0)
		shell_printf(sh, "%% Commit %010lu confirmed\n", t->id);
}

/*
 * Start of a commit or a rollback: the lock, an expired trial rolled back
 * first, and the running trial (t->id 0 when none).  what names the
 * operation in errors.  0 with the lock held, or -1 after printing why.
 */
static int
shell_commit_begin(struct shell *sh, struct store **st,
    struct commitlog_trial *t, const char *what)
{
	struct err	 e;

	memset(t, 0, sizeof(*t));
	if ((*st = shell_store(sh)) == NULL)
		return -1;
	if (store_lock(*st, &e) != 0)
		return shell_error(sh, "Failed to %s: %s", what, e.msg);
	shell_trial_check(sh);
	if (commitlog_trial_get(*st, t, &e) != 0 && e.code != ERR_NOTFOUND) {
		store_unlock(*st);
		return shell_error(sh, "Failed to %s: %s", what, e.msg);
	}
	return 0;
}

/*
 * Commit under the state directory's lock, against the configuration as
 * it is on disk now: another session may have committed since this one
 * began (config_merge decides whether the two change sets combine).
 * Without changes, a plain commit still confirms a trial.
 */
static int
shell_commit(struct shell *sh, time_t trial)
{
	struct commitlog_trial	 t;
	struct config		*cur = NULL, *next = NULL;
	struct store		*st;
	struct err		 e;
	unsigned long		 id = 0;
	int			 rc = -1, same;

	if (shell_commit_begin(sh, &st, &t, "commit") != 0)
		return -1;
	same = config_equal(sh->base, sh->cand);
	if (same && (trial != 0 || t.id == 0)) {
		shell_printf(sh, "%% No configuration changes to commit.\n");
		rc = 0;
		goto out;
	}
	if (shell_load_disk(sh, &cur) != 0)
		goto out;
	if (same) {
		if (commitlog_trial_end(st, &e) != 0) {
			shell_err(sh, &e);
			goto out;
		}
		next = config_dup(cur);
	} else if (config_merge(&next, sh->base, sh->cand, cur, &e) != 0) {
		shell_error(sh, "Failed to commit: %s. Use 'show "
		    "configuration' to see this session's changes, 'abort' to "
		    "drop them.", e.msg);
		goto out;
	} else if (shell_save(sh, cur, next, "CLI", trial, &id) != 0)
		goto out;
	shell_decided(sh, cur, next, &t, trial);
	shell_commit_say(sh, &t, id, trial);
	rc = shell_committed(sh, next);
	next = NULL;
 out:
	store_unlock(st);
	commitlog_trial_clear(&t);
	config_free(cur);
	config_free(next);
	return rc;
}

int
shell_cmd_commit(struct shell *sh, const struct cmd_args *a)
{
	const char	*s = cmd_arg(a, "<30-65535>");
	const char	*m = cmd_arg(a, "<1-65535>");
	time_t		 trial = 0;

	if (cmd_has(a, "confirmed"))
		trial = m != NULL ? 60 * (time_t)atol(m) : s != NULL ?
		    (time_t)atol(s) : 30;
	return shell_commit(sh, trial);
}

/* rollback configuration last N: a new commit restoring an older one. */
int
shell_cmd_rollback(struct shell *sh, const struct cmd_args *a)
{
	struct commitlog_trial	 t;
	struct config		*cur = NULL, *next = NULL;
	struct store		*st;
	struct err		 e;
	const char		*v = cmd_arg(a, "<1-20>");
	unsigned long		 id;
	unsigned		 n = v != NULL ? (unsigned)atoi(v) : 1;
	char			*text = NULL;
	int			 rc = -1;

	if (shell_commit_begin(sh, &st, &t, "roll back") != 0)
		return -1;
	if (commitlog_before(st, n, &text, &e) != 0) {
		shell_error(sh, "Failed to roll back: %s", e.msg);
		goto out;
	}
	if (shell_load_disk(sh, &cur) != 0 || shell_text_config(sh, text,
	    "commit history", &next) != 0)
		goto out;
	config_set_generation(next, config_generation(cur) + 1);
	if (shell_save(sh, cur, next, "Rollback", 0, &id) != 0)
		goto out;
	shell_decided(sh, cur, next, &t, 0);
	shell_printf(sh, "Configuration successfully rolled back %u "
	    "commits.\n", n);
	rc = shell_committed(sh, next);
	next = NULL;
 out:
	store_unlock(st);
	commitlog_trial_clear(&t);
	free(text);
	config_free(cur);
	config_free(next);
	return rc;
}

int
shell_cmd_end(struct shell *sh, const struct cmd_args *a)
{
	char	 ans[64];
	int	 tries = 0;

	(void)a;
	if (config_equal(sh->base, sh->cand)) {
		shell_leave_config(sh);
		return 0;
	}
	do {
		if (shell_ask(sh, "Uncommitted changes found, commit them? "
		    "[yes]:", ans, sizeof(ans), 0) != 0) {
			shell_leave_config(sh);
			return 0;
		}
		if (ans[0] == '\0' || strcasecmp(ans, "yes") == 0 ||
		    strcasecmp(ans, "y") == 0) {
			if (shell_commit(sh, 0) != 0)
				return -1;
			shell_leave_config(sh);
			return 0;
		}
		if (strcasecmp(ans, "no") == 0 || strcasecmp(ans, "n") == 0) {
			shell_leave_config(sh);
			return 0;
		}
		if (strcasecmp(ans, "cancel") == 0 ||
		    strcasecmp(ans, "c") == 0)
			return 0;
	} while (shell_reask(sh, tries++, "'yes', 'no' or 'cancel'"));
	return -1;
}

int
shell_cmd_exit(struct shell *sh, const struct cmd_args *a)
{
	switch (sh->mode) {
	case MODE_EXEC:
		sh->quit = 1;
		return 0;
	case MODE_CONFIG:
		return shell_cmd_end(sh, a);
	default:
		free(sh->block);
		sh->block = NULL;
		sh->mode = MODE_CONFIG;
		return 0;
	}
}

int
shell_cmd_abort(struct shell *sh, const struct cmd_args *a)
{
	(void)a;
	shell_leave_config(sh);
	return 0;
}

int
shell_cmd_do(struct shell *sh, const struct cmd_args *a)
{
	enum cmd_mode	 saved = sh->mode;
	const char	*line = cmd_arg(a, "LINE");
	int		 rc;

	if (line == NULL)
		return shell_error(sh, "Incomplete command.");
	sh->mode = MODE_EXEC;
	rc = shell_exec(sh, line);
	/* "do exit" or "do configure" must not change this session's mode. */
	if (sh->mode == MODE_EXEC)
		sh->mode = saved;
	return rc;
}

/* config_walk's visitor for "| json": a statement and its block. */
struct shell_json_walk {
	struct json	*j;
	int		 open;		/* a statement's object */
	int		 block;		/* and its "block" list */
};

static void
shell_json_stmt(void *arg, int depth, int block, const char *line)
{
	struct shell_json_walk	*w = arg;

	if (depth > 0) {
		json_str(w->j, NULL, line);
		return;
	}
	if (w->block)
		json_end(w->j);
	if (w->open)
		json_end(w->j);
	json_begin(w->j, NULL);
	json_str(w->j, "line", line);
	w->open = 1;
	if ((w->block = block) != 0)
		json_list(w->j, "block");
}

/* The configuration as statements (config_walk) in the document. */
static int
shell_json_config(struct shell *sh, const struct config *c,
    const char *filter)
{
	struct shell_json_walk	 w = { shell_json(sh), 0, 0 };

	if (w.j == NULL)
		return 0;
	json_int(w.j, "generation", (long long)config_generation(c));
	json_list(w.j, "statements");
	if (config_walk(c, filter, shell_json_stmt, &w) != 0)
		return shell_nomem(sh);
	if (w.block)
		json_end(w.j);
	if (w.open)
		json_end(w.j);
	json_end(w.j);
	return 0;
}

int
shell_cmd_show_running(struct shell *sh, const struct cmd_args *a)
{
	const struct config	*c;
	const char		*filter = cmd_arg(a, "LINE");
	char			*text;

	/* Another session may have committed: show what is saved. */
	shell_trial_check(sh);
	if (sh->mode == MODE_EXEC && sh->running != NULL &&
	    shell_saved_generation(sh) != config_generation(sh->running)) {
		config_free(sh->running);
		sh->running = NULL;
	}
	if ((c = shell_running(sh)) == NULL)
		return -1;
	if ((text = config_text(c, filter)) == NULL)
		return shell_nomem(sh);
	if (sh->json == NULL)
		shell_status(sh, "Building configuration...\n");
	shell_printf(sh, "!! netpki configuration\n%send\n", text);
	free(text);
	return shell_json_config(sh, c, filter);
}

int
shell_cmd_terminal_length(struct shell *sh, const struct cmd_args *a)
{
	const char	*v = cmd_arg(a, "<0-512>");

	if (v == NULL)
		return shell_error(sh, "Incomplete command.");
	sh->term_length = atoi(v);	/* the grammar checked the range */
	return 0;
}

/* CLI text's lines (not its "!" separators) as a list of strings. */
static void
shell_json_lines(struct json *j, const char *key, const char *text)
{
	const char	*nl;
	size_t		 n;

	json_list(j, key);
	for (; j != NULL && *text != '\0'; text = nl != NULL ? nl + 1 :
	    text + n) {
		nl = strchr(text, '\n');
		n = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if (n > 0 && !(n == 1 && text[0] == '!'))
			json_strn(j, NULL, text, n);
	}
	json_end(j);
}

int
shell_cmd_show_config(struct shell *sh, const struct cmd_args *a)
{
	char	*text;

	(void)a;
	if (sh->cand == NULL)
		return shell_error(sh, "No configuration session.");
	if ((text = config_diff_text(sh->base, sh->cand)) == NULL)
		return shell_nomem(sh);
	if (sh->json == NULL)
		shell_status(sh, "Building configuration...\n");
	shell_printf(sh, "%send\n", text);
	shell_json_lines(shell_json(sh), "changes", text);
	free(text);
	return 0;
}

/* ---- running commands --------------------------------------------------- */

static const char *
shell_prompt(struct shell *sh)
{
	snprintf(sh->prompt, sizeof(sh->prompt), "RP/0/RP0/CPU0:%s%s#",
	    shell_hostname(sh), shell_mode_suffix(sh->mode));
	return sh->prompt;
}

static void
shell_report(struct shell *sh, const struct cmd_match *m)
{
	switch (m->status) {
	case CMDM_INVALID:
		shell_printf(sh, "%*s^\n", (int)(strlen(sh->prompt) +
		    m->errpos), "");
		shell_error(sh, "Invalid input detected at '^' marker.");
		break;
	case CMDM_INCOMPLETE:
		shell_error(sh, "Incomplete command.");
		break;
	case CMDM_AMBIGUOUS:
		shell_error(sh, "Ambiguous command: \"%s\"", m->word);
		break;
	default:
		break;
	}
}

/*
 * Help and completion look past a leading "do" in configuration modes: the
 * rest of the line is an EXEC command.  Returns the offset of that rest.
 */
static size_t
shell_do_split(const struct shell *sh, const char *line, enum cmd_mode *mode)
{
	const char	*p = line + strspn(line, " \t");
	size_t		 n = strcspn(p, " \t");

	*mode = sh->mode;
	if (sh->mode != MODE_EXEC && n > 0 && n <= 2 &&
	    strncmp(p, "do", n) == 0 && (p[n] == ' ' || p[n] == '\t')) {
		*mode = MODE_EXEC;
		return (size_t)(p - line) + n + 1;
	}
	return 0;
}

/* The '?' listing; -1 when the line before the '?' is not valid. */
static int
shell_help(struct shell *sh, const char *line)
{
	enum cmd_mode	 mode;
	size_t		 off = shell_do_split(sh, line, &mode);

	return cmdtree_help(sh->tree, mode, line + off, stdout,
	    strlen(sh->prompt) + off);
}

/*
 * The modifiers after the "|" at offset at, added to p; -1 after
 * printing what is wrong (the '^' marker counts from the line's start).
 */
static int
shell_pipe_parse(struct shell *sh, const char *line, long at,
    struct pipe *p)
{
	struct cmd_match	*m;
	struct err		 e;
	int			 rc;

	if ((m = malloc(sizeof(*m))) == NULL)
		return shell_nomem(sh);
	err_clear(&e);
	if ((rc = pipe_parse(p, sh->tree, line, at, m, &e)) != 0) {
		if (m->status != CMDM_OK)
			shell_report(sh, m);
		else
			shell_err(sh, &e);
	}
	free(m);
	return rc;
}

/* Lines per page: only a person at a terminal reads --More--. */
static int
shell_pager_lines(const struct shell *sh)
{
	return sh->tty && isatty(STDOUT_FILENO) ? sh->term_length : 0;
}

/*
 * Matches a line; a show command's line may end in output modifiers
 * ("| include X"), whose offset goes to *at (-1: none).  Like IOS, a
 * statement of the parent mode leaves the submode.
 */
static void
shell_match(struct shell *sh, const char *line, struct cmd_match *m,
    long *at)
{
	struct cmd_match	*pm;
	char			*cmd;

	if ((*at = cmdtree_pipe_at(line, 0)) >= 0) {
		if ((cmd = strndup(line, (size_t)*at)) != NULL) {
			cmdtree_match(sh->tree, sh->mode, cmd, m);
			free(cmd);
			if (m->status == CMDM_OK && cmdtree_pipeable(m->def))
				return;
		}
		*at = -1;
	}
	cmdtree_match(sh->tree, sh->mode, line, m);
	if (m->status == CMDM_OK || m->status == CMDM_EMPTY ||
	    sh->mode <= MODE_CONFIG || (pm = malloc(sizeof(*pm))) == NULL)
		return;
	cmdtree_match(sh->tree, MODE_CONFIG, line, pm);
	if (pm->status == CMDM_OK) {
		free(sh->block);
		sh->block = NULL;
		sh->mode = MODE_CONFIG;
		/* Matched again into m: argv points into m's own buf. */
		cmdtree_match(sh->tree, MODE_CONFIG, line, m);
	}
	free(pm);
}

/*
 * "| json": the document the command built, printed if it succeeded (a
 * failed command printed its "% " error: no half a document).  Returns
 * rc, or -1 when the document cannot be completed.
 */
static int
shell_json_done(struct shell *sh, struct pipe *p, int rc)
{
	struct err	 e;
	const char	*text;

	if (rc == 0 && json_finish(sh->json, &text, &e) != 0)
		rc = shell_err(sh, &e);
	else if (rc == 0)
		pipe_raw(p, text);
	json_free(sh->json);
	sh->json = NULL;
	return rc;
}

static int
shell_exec(struct shell *sh, const char *line)
{
	struct cmd_match	*m;
	struct pipe		*p = NULL, *outer = sh->out;
	size_t			 n = strlen(line);
	long			 at;
	int			 rc = 0;

	if (n > 0 && line[n - 1] == '?') {
		char	*copy = strndup(line, n - 1);

		if (copy == NULL)
			return -1;
		rc = shell_help(sh, copy);
		free(copy);
		return rc;
	}
	if ((m = malloc(sizeof(*m))) == NULL)
		return shell_nomem(sh);
	shell_match(sh, line, m, &at);
	if (m->status == CMDM_EMPTY)
		goto out;
	if (m->status != CMDM_OK) {
		shell_report(sh, m);
		rc = -1;
		goto out;
	}
	if (at >= 0 || (outer == NULL && shell_pager_lines(sh) > 0)) {
		if ((p = pipe_new(outer, shell_pager_lines(sh))) == NULL) {
			rc = shell_nomem(sh);
			goto out;
		}
		if (at >= 0 && shell_pipe_parse(sh, line, at, p) != 0) {
			rc = -1;
			goto out;
		}
		sh->out = p;
		if (pipe_json(p) && (sh->json = json_new(SHELL_JSON_MAX)) ==
		    NULL) {
			rc = shell_nomem(sh);
			goto out;
		}
	}
	sh->cur_def = m->def;
	sh->cur_rank = m->rank;
	sh->unanswered = 0;
	if (m->def->fn != NULL)
		rc = m->def->fn(sh, &m->args);
	else
		rc = shell_config_set(sh, &m->args);
	if (sh->unanswered)
		rc = -1;
	if (sh->json != NULL)
		rc = shell_json_done(sh, p, rc);
	if (p != NULL)
		pipe_end(p);
 out:
	sh->out = outer;
	pipe_free(p);
	free(m);
	fflush(stdout);
	return rc;
}

/*
 * A script line that is one word and no command at all is most likely an
 * answer meant for a prompt that never came (a command failed before
 * asking for its challenge password): its echo is masked so that a secret
 * does not land in the console log.
 */
static int
shell_line_masked(struct shell *sh, const char *line)
{
	struct cmd_match	*m;
	const char		*p = line + strspn(line, " \t");
	size_t			 n = strcspn(p, " \t");
	int			 masked = 0;

	if (*p == '\0' || *p == '!' || p[n + strspn(p + n, " \t")] != '\0')
		return 0;
	if (p[n - 1] == '?' || (m = malloc(sizeof(*m))) == NULL)
		return 0;
	cmdtree_match(sh->tree, sh->mode, line, m);
	if (m->status == CMDM_INVALID && m->errpos == (size_t)(p - line)) {
		masked = 1;
		if (sh->mode > MODE_CONFIG) {
			cmdtree_match(sh->tree, MODE_CONFIG, line, m);
			masked = m->status == CMDM_INVALID;
		}
	}
	free(m);
	return masked;
}

/*
 * Does line end in "| json"?  Its echo is left out, so that a script's
 * output (netpki -c 'show ... | json') is the documents alone.
 */
static int
shell_line_json(struct shell *sh, const char *line)
{
	struct cmd_match	*m;
	struct pipe		*p = NULL;
	struct err		 e;
	enum cmd_mode		 mode;
	long			 at;
	char			*cmd = NULL;
	int			 json = 0;
	size_t			 off = shell_do_split(sh, line, &mode);

	/* "do show ... | json" too ("d", ambiguous, is left to the match). */
	if (off > 0 && strncmp(line + strspn(line, " \t"), "do", 2) != 0)
		return 0;
	line += off;
	if ((at = cmdtree_pipe_at(line, 0)) < 0 ||
	    (m = malloc(sizeof(*m))) == NULL)
		return 0;
	if ((cmd = strndup(line, (size_t)at)) != NULL)
		cmdtree_match(sh->tree, mode, cmd, m);
	if (cmd != NULL && m->status == CMDM_OK && cmdtree_pipeable(m->def) &&
	    (p = pipe_new(NULL, 0)) != NULL &&
	    pipe_parse(p, sh->tree, line, at, m, &e) == 0)
		json = pipe_json(p);
	pipe_free(p);
	free(cmd);
	free(m);
	return json;
}

/* Scripted input: echo each line after its prompt, like a console log. */
static int
shell_run_script(struct shell *sh, int stop_on_fail)
{
	char	*line;
	int	 failed = 0;

	while (!sh->quit && (line = shell_next_line(sh)) != NULL) {
		if (shell_line_masked(sh, line)) {
			size_t	 i, n = strlen(line);

			/* Stars keep the '^' marker under the line. */
			fputs(shell_prompt(sh), stdout);
			for (i = 0; i < n; i++)
				putchar(line[i] == ' ' ? ' ' : '*');
			putchar('\n');
		} else if (!shell_line_json(sh, line))
			printf("%s%s\n", shell_prompt(sh), line);
		if (shell_exec(sh, line) != 0) {
			failed = 1;
			if (stop_on_fail) {
				free(line);
				break;
			}
		}
		free(line);
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

int
shell_run_stream(struct shell *sh, FILE *f)
{
	sh->in = f;
	return shell_run_script(sh, 0);
}

int
shell_run_lines(struct shell *sh, char **lines, int n)
{
	sh->lines = lines;
	sh->nlines = n;
	return shell_run_script(sh, 1);
}

/* ---- the terminal ------------------------------------------------------- */

static struct shell *
shell_of(EditLine *el)
{
	void	*p = NULL;

	/* Called back by libedit, so edit_api() was loaded. */
	edit_api(NULL)->el_get(el, EL_CLIENTDATA, &p);
	return p;
}

static char *
shell_el_prompt(EditLine *el)
{
	return (char *)shell_prompt(shell_of(el));
}

static char *
shell_el_before_cursor(EditLine *el)
{
	const LineInfo	*li = shell_of(el)->ed->el_line(el);

	return strndup(li->buffer, (size_t)(li->cursor - li->buffer));
}

static unsigned char
shell_el_help(EditLine *el, int ch)
{
	struct shell	*sh = shell_of(el);
	char		*line;

	(void)ch;
	if ((line = shell_el_before_cursor(el)) == NULL)
		return CC_ERROR;
	printf("?\n");
	shell_help(sh, line);
	fflush(stdout);
	free(line);
	return CC_REDISPLAY;
}

static unsigned char
shell_el_complete(EditLine *el, int ch)
{
	struct shell	*sh = shell_of(el);
	char		*line, *add, *choices = NULL;

	(void)ch;
	if ((line = shell_el_before_cursor(el)) == NULL)
		return CC_ERROR;
	{
		enum cmd_mode	 mode;
		size_t		 off = shell_do_split(sh, line, &mode);

		add = cmdtree_complete(sh->tree, mode, line + off, &choices);
	}
	free(line);
	if (add != NULL && *add != '\0')
		sh->ed->el_insertstr(el, add);
	free(add);
	if (choices != NULL) {
		printf("\n%s\n", choices);
		free(choices);
		return CC_REDISPLAY;
	}
	return CC_REFRESH;
}

/* Ctrl-Z: end configuration mode, as IOS does. */
static unsigned char
shell_el_ctrlz(EditLine *el, int ch)
{
	const struct edit_api	*ed = shell_of(el)->ed;
	const LineInfo		*li = ed->el_line(el);

	(void)ch;
	ed->el_cursor(el, (int)(li->lastchar - li->cursor));
	ed->el_deletestr(el, (int)(li->lastchar - li->buffer));
	ed->el_insertstr(el, "end");
	printf("\n");
	return CC_NEWLINE;
}

int
shell_run_tty(struct shell *sh)
{
	const struct edit_api	*ed;
	struct err		 e;
	HistEvent		 ev;
	const char		*line;
	char			*copy;
	int			 count;

	sh->tty = 1;
	if ((ed = sh->ed = edit_api(&e)) == NULL)
		return shell_error(sh, "%s", e.msg), 1;
	if ((sh->el = ed->el_init("netpki", stdin, stdout, stderr)) == NULL ||
	    (sh->hist = ed->history_init()) == NULL)
		return shell_error(sh, "cannot initialise line editing"), 1;
	ed->history(sh->hist, &ev, H_SETSIZE, 500);
	ed->el_set(sh->el, EL_CLIENTDATA, sh);
	ed->el_set(sh->el, EL_PROMPT, shell_el_prompt);
	ed->el_set(sh->el, EL_EDITOR, "emacs");
	ed->el_set(sh->el, EL_HIST, ed->history, sh->hist);
	ed->el_set(sh->el, EL_ADDFN, "np-help", "list possible words",
	    shell_el_help);
	ed->el_set(sh->el, EL_ADDFN, "np-complete", "complete a word",
	    shell_el_complete);
	ed->el_set(sh->el, EL_ADDFN, "np-end", "end configuration mode",
	    shell_el_ctrlz);
	ed->el_set(sh->el, EL_BIND, "?", "np-help", NULL);
	ed->el_set(sh->el, EL_BIND, "^I", "np-complete", NULL);
	ed->el_set(sh->el, EL_BIND, "^Z", "np-end", NULL);
	/* Deliver ^Z as a key while editing instead of stopping the shell. */
	ed->el_set(sh->el, EL_SETTY, "-d", "-isig", NULL);
	ed->el_set(sh->el, EL_SIGNAL, 1);
	while (!sh->quit) {
		if ((line = ed->el_gets(sh->el, &count)) == NULL) {
			printf("\n");
			break;
		}
		/* count, not a NUL: a key function's line is not terminated. */
		if ((copy = strndup(line, count > 0 ? (size_t)count : 0)) == NULL)
			break;
		copy[strcspn(copy, "\r\n")] = '\0';
		/* Ctrl-Z arrives as a character when the tty keeps it. */
		if (strchr(copy, 0x1a) != NULL) {
			free(copy);
			if (sh->mode != MODE_EXEC)
				shell_exec(sh, "end");
			continue;
		}
		if (copy[0] != '\0')
			ed->history(sh->hist, &ev, H_ENTER, copy);
		shell_exec(sh, copy);
		free(copy);
	}
	return 0;
}
