/*
 * pipe: output modifiers and the --More-- pager.  Output is cut into
 * lines as it is printed and each line runs through the modifiers in
 * the order typed, so a long show command streams: nothing is held but
 * the line being built, at most PIPE_LINEMAX (and count's figure).  The
 * words are IOS's: "Include lines that match", "Number of lines which
 * match regexp = N".
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "cmdtree.h"
#include "err.h"
#include "pipe.h"

#define PIPE_MAXSTAGES	8
#define PIPE_MORE	" --More-- "
#define PIPE_REMAX	256	/* characters of a regular expression */
#define PIPE_RESIZE	2048	/* its size with repetitions expanded */
#define PIPE_REDEPTH	16	/* nested groups */

const struct cmd_def pipe_defs[] = {
	[PIPE_BEGIN] = { .syntax = "begin LINE",
	  .help = "Begin with the line that matches\n"
	    "Regular expression (POSIX extended)" },
	[PIPE_COUNT] = { .syntax = "count [LINE]",
	  .help = "Count number of lines which match regexp\n"
	    "Regular expression (POSIX extended; default: every line)" },
	[PIPE_EXCLUDE] = { .syntax = "exclude LINE",
	  .help = "Exclude lines that match\n"
	    "Regular expression (POSIX extended)" },
	[PIPE_INCLUDE] = { .syntax = "include LINE",
	  .help = "Include lines that match\n"
	    "Regular expression (POSIX extended)" },
	[PIPE_JSON] = { .syntax = "json",
	  .help = "Output in JSON format (see netpki(1))" },
	[PIPE_SECTION] = { .syntax = "section LINE",
	  .help = "Filter a section of output\n"
	    "Regular expression (POSIX extended)" },
	[PIPE__MAX] = { .syntax = NULL },
};

struct pipe_stage {
	enum pipe_kind	 kind;
	regex_t		 re;
	int		 has_re;
	int		 on;		/* begin: seen; section: inside one */
	size_t		 indent;	/* section: its first line's indent */
	unsigned long	 count;
};

struct pipe {
	struct pipe		*next;
	struct pipe_stage	 st[PIPE_MAXSTAGES];
	int			 nst;
	struct buf		 line;		/* the line being printed, */
						/* at most PIPE_LINEMAX */
	int			 pages;		/* lines per screen, 0: none */
	int			 shown;		/* lines since the page began */
	int			 quit;		/* 'q' at --More-- */
};

struct pipe *
pipe_new(struct pipe *next, int pages)
{
	struct pipe	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->next = next;
	p->pages = next == NULL && pages > 0 ? pages : 0;
	buf_init(&p->line, PIPE_LINEMAX);
	return p;
}

void
pipe_free(struct pipe *p)
{
	int	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nst; i++)
		if (p->st[i].has_re)
			regfree(&p->st[i].re);
	buf_free(&p->line);
	free(p);
}

/*
 * Length of the bracket expression at re ('['), or 0 when it is not
 * closed.  "[]a]", "[^]a]" and "[[:alpha:]]" hold a ']' of their own.
 */
static size_t
pipe_re_bracket(const char *re)
{
	size_t	 i = 1;

	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++;
	for (; re[i] != '\0'; i++) {
		if (re[i] == '[' && (re[i + 1] == ':' || re[i + 1] == '.' ||
		    re[i + 1] == '=')) {
			const char	*end = strstr(re + i + 2, (char []){
			    re[i + 1], ']', '\0' });

			if (end == NULL)
				return 0;
			i = (size_t)(end - re) + 1;
		} else if (re[i] == ']')
			return i + 1;
	}
	return 0;
}

/*
 * glibc compiles repetitions by copying what they repeat: "a+++++" or
 * "((a{99}){99}){99}" takes gigabytes (found by fuzz_pipe).  POSIX leaves
 * adjacent repetitions undefined; the rest is refused by the size the
 * expression has once its repetitions are expanded.  0, or a reason.
 */
static const char *
pipe_re_check(const char *re)
{
	size_t	 stack[PIPE_REDEPTH], sum = 0, atom = 0, i, n, k, hi;
	int	 depth = 0, rep = 0;
	char	*end;

	if (strlen(re) > PIPE_REMAX)
		return "longer than 256 characters";
	for (i = 0; re[i] != '\0'; i += n) {
		n = 1;
		if (strchr("*+?{", re[i]) != NULL && i > 0) {
			if (rep)
				return "a repetition of a repetition";
			k = 2;
			if (re[i] == '{') {
				k = strtoul(re + i + 1, &end, 10);
				if (*end == ',' && isdigit((unsigned char)end[1]) &&
				    (hi = strtoul(end + 1, &end, 10)) > k)
					k = hi;
				if (k > 255)
					return "a repetition count over 255";
				n = strcspn(re + i, "}");
				n += re[i + n] == '}';
			}
			sum += atom * (k > 1 ? k - 1 : 1);
			rep = 1;
		} else {
			rep = 0;
			atom = 1;
			if (re[i] == '\\' && isdigit((unsigned char)re[i + 1]))
				return "a back-reference (matching could take "
				    "exponential time)";
			if (re[i] == '\\' && re[i + 1] != '\0')
				n = 2;
			else if (re[i] == '[' && (n = pipe_re_bracket(re + i)) == 0)
				return NULL;	/* regcomp says what is wrong */
			else if (re[i] == '(') {
				if (depth == PIPE_REDEPTH)
					return "groups nested too deep";
				stack[depth++] = sum;
				sum = atom = 0;
			} else if (re[i] == ')' && depth > 0) {
				atom = sum > 0 ? sum : 1;
				sum = stack[--depth];
			}
			sum += re[i] == '(' ? 0 : atom;
		}
		if (sum > PIPE_RESIZE)
			return "too large once its repetitions are expanded";
	}
	return NULL;
}

int
pipe_add(struct pipe *p, enum pipe_kind kind, const char *regex,
    struct err *e)
{
	struct pipe_stage	*s;
	const char		*too;
	char			 why[128];
	int			 rc;

	if (p->nst == PIPE_MAXSTAGES)
		return err_set(e, ERR_INVAL, "Too many output modifiers: at "
		    "most %d", PIPE_MAXSTAGES);
	if (regex == NULL && kind != PIPE_COUNT && kind != PIPE_JSON)
		return err_set(e, ERR_INVAL, "Incomplete command.");
	/* Filtering lines of a JSON document would break it. */
	if ((kind == PIPE_JSON && p->nst > 0) || pipe_json(p))
		return err_set(e, ERR_INVAL, "json cannot be combined with "
		    "other output modifiers");
	s = &p->st[p->nst];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (regex != NULL) {
		if ((too = pipe_re_check(regex)) != NULL)
			return err_set(e, ERR_INVAL, "Invalid regular expression "
			    "\"%.80s\": %s", regex, too);
		if ((rc = regcomp(&s->re, regex, REG_EXTENDED | REG_NOSUB)) !=
		    0) {
			regerror(rc, &s->re, why, sizeof(why));
			return err_set(e, ERR_INVAL, "Invalid regular expression "
			    "\"%.80s\": %s", regex, why);
		}
		s->has_re = 1;
	}
	p->nst++;
	return 0;
}

int
pipe_parse(struct pipe *p, const struct cmd_tree *t, const char *line,
    long at, struct cmd_match *m, struct err *e)
{
	char	*seg;
	long	 next;
	int	 rc = 0;

	for (; at >= 0 && rc == 0; at = next) {
		next = cmdtree_pipe_at(line, (size_t)at + 1);
		seg = strndup(line + at + 1, next < 0 ? strlen(line + at + 1) :
		    (size_t)(next - at - 1));
		if (seg == NULL) {
			m->status = CMDM_OK;
			return err_nomem(e);
		}
		cmdtree_pipe_match(t, seg, m);
		if (m->status == CMDM_EMPTY)
			m->status = CMDM_INCOMPLETE;
		if (m->status != CMDM_OK) {
			m->errpos += (size_t)at + 1;
			rc = -1;
		} else if (pipe_add(p, (enum pipe_kind)(m->def - pipe_defs),
		    cmd_arg(&m->args, "LINE"), e) != 0)
			rc = -1;
		free(seg);
	}
	return rc;
}

int
pipe_json(const struct pipe *p)
{
	return p->nst > 0 && p->st[0].kind == PIPE_JSON;
}

/* One key at --More--: 1 to go on (shown set for the next page). */
static int
pipe_more(struct pipe *p, int lim)
{
	struct termios	 old, raw;
	unsigned char	 c = 'q';
	int		 restore;

	fputs(PIPE_MORE, stdout);
	fflush(stdout);
	restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	/* Ctrl-C interrupts the read (no SA_RESTART): quit, like 'q'. */
	if (read(STDIN_FILENO, &c, 1) != 1)
		c = 'q';
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	printf("\r%*s\r", (int)strlen(PIPE_MORE), "");
	if (c == ' ') {
		p->shown = 0;
		return 1;
	}
	if (c == '\r' || c == '\n') {
		p->shown = lim - 1;
		return 1;
	}
	return 0;
}

/* A line leaving the pipe: to the next pipe, or the (paged) terminal. */
static void	pipe_line(struct pipe *, int, const char *);

static void
pipe_out(struct pipe *p, const char *line)
{
	int	 lim = p->pages > 1 ? p->pages - 1 : 1;

	if (p->next != NULL) {
		pipe_line(p->next, 0, line);
		return;
	}
	if (p->quit)
		return;
	if (p->pages > 0 && p->shown >= lim && !pipe_more(p, lim)) {
		p->quit = 1;
		return;
	}
	printf("%s\n", line);
	p->shown++;
}

static size_t
pipe_indent(const char *line)
{
	return strspn(line, " \t");
}

/* Does stage s let line through? */
static int
pipe_pass(struct pipe_stage *s, const char *line)
{
	int	 match = !s->has_re || regexec(&s->re, line, 0, NULL, 0) == 0;

	switch (s->kind) {
	case PIPE_BEGIN:
		s->on = s->on || match;
		return s->on;
	case PIPE_COUNT:
		if (match)
			s->count++;
		return 0;
	case PIPE_EXCLUDE:
		return !match;
	case PIPE_INCLUDE:
		return match;
	case PIPE_JSON:
		return 1;
	case PIPE_SECTION:
		/* A matching line and the lines indented under it. */
		if (s->on && pipe_indent(line) > s->indent)
			return 1;
		s->on = match;
		s->indent = pipe_indent(line);
		return match;
	default:
		return 0;
	}
}

static void
pipe_line(struct pipe *p, int from, const char *line)
{
	int	 i;

	for (i = from; i < p->nst; i++)
		if (!pipe_pass(&p->st[i], line))
			return;
	pipe_out(p, line);
}

/* The line held goes through the modifiers, and a new one begins. */
static void
pipe_emit(struct pipe *p)
{
	pipe_line(p, 0, buf_len(&p->line) > 0 ? buf_ptr(&p->line) : "");
	buf_reset(&p->line);
}

/*
 * Text printed: each complete line goes through the modifiers, the rest
 * waits for its end.  A line longer than PIPE_LINEMAX goes through in
 * pieces of that size (each filtered as a line of its own): the buffer
 * never holds more.  Out of memory, the text goes out unfiltered: output
 * is never lost.
 */
static void
pipe_feed(struct pipe *p, const char *s, size_t n)
{
	const char	*nl;
	size_t		 k, room;
	int		 cut;

	while (n > 0) {
		nl = memchr(s, '\n', n);
		k = nl != NULL ? (size_t)(nl - s) : n;
		room = PIPE_LINEMAX - buf_len(&p->line);
		/*
		 * Cut only when more of the line comes: one of exactly
		 * PIPE_LINEMAX is whole, however it was printed.
		 */
		if ((cut = k > room))
			k = room;
		if (buf_add(&p->line, s, k) != 0) {
			/* ERR_NOMEM: the held part is gone with the buffer. */
			buf_reset(&p->line);
			fwrite(s, 1, n, stdout);
			return;
		}
		if (cut || nl != NULL)
			pipe_emit(p);
		k += !cut && nl != NULL;
		s += k;
		n -= k;
	}
}

void
pipe_vprintf(struct pipe *p, const char *fmt, va_list ap)
{
	char	*s = NULL;
	int	 n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		return;
	pipe_feed(p, s, (size_t)n);
	free(s);
}

void
pipe_raw(struct pipe *p, const char *text)
{
	const char	*nl;
	char		*copy;

	if (p->next != NULL) {
		pipe_raw(p->next, text);
		return;
	}
	while (*text != '\0') {
		nl = strchr(text, '\n');
		if ((copy = strndup(text, nl ? (size_t)(nl - text) :
		    strlen(text))) == NULL)
			return;
		pipe_out(p, copy);
		free(copy);
		if (nl == NULL)
			break;
		text = nl + 1;
	}
}

void
pipe_flush(struct pipe *p)
{
	if (buf_len(&p->line) > 0) {
		if (p->next != NULL)
			pipe_feed(p->next, buf_ptr(&p->line),
			    buf_len(&p->line));
		else if (!p->quit)
			fputs(buf_ptr(&p->line), stdout);
		buf_reset(&p->line);
	}
	if (p->next != NULL)
		pipe_flush(p->next);
	p->shown = 0;
	fflush(stdout);
}

void
pipe_end(struct pipe *p)
{
	char	 msg[64];
	int	 i;

	if (buf_len(&p->line) > 0)
		pipe_emit(p);
	for (i = 0; i < p->nst; i++) {
		if (p->st[i].kind != PIPE_COUNT)
			continue;
		snprintf(msg, sizeof(msg), "Number of lines which match regexp "
		    "= %lu", p->st[i].count);
		pipe_line(p, i + 1, msg);
	}
	fflush(stdout);
}
