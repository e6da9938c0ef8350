/*
 * pipe: output modifiers and the --More-- pager.  Output is cut into
 * lines as it is printed and each line runs through the modifiers in
 * the order typed, so a long show command streams: nothing is held but
 * the line being built (and count's figure).  The words are IOS's:
 * "Include lines that match", "Number of lines which match regexp = N".
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "pipe.h"

#define PIPE_MAXSTAGES	8
#define PIPE_MORE	" --More-- "

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
	char			*line;		/* the line being printed */
	size_t			 len, cap;
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
	free(p->line);
	free(p);
}

int
pipe_add(struct pipe *p, enum pipe_kind kind, const char *regex,
    struct err *e)
{
	struct pipe_stage	*s;
	char			 why[128];
	int			 rc;

	if (p->nst == PIPE_MAXSTAGES)
		return err_set(e, ERR_INVAL, "Too many output modifiers: at "
		    "most %d", PIPE_MAXSTAGES);
	if (regex == NULL && kind != PIPE_COUNT)
		return err_set(e, ERR_INVAL, "Incomplete command.");
	s = &p->st[p->nst];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (regex != NULL) {
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

/* Every complete line in the buffer goes through; the rest waits. */
static void
pipe_drain(struct pipe *p)
{
	char	*nl, *start = p->line;
	size_t	 rest;

	while ((nl = memchr(start, '\n', p->len - (size_t)(start - p->line)))
	    != NULL) {
		*nl = '\0';
		pipe_line(p, 0, start);
		start = nl + 1;
	}
	rest = p->len - (size_t)(start - p->line);
	memmove(p->line, start, rest);
	p->len = rest;
	p->line[p->len] = '\0';
	if (p->len >= PIPE_LINEMAX) {
		pipe_line(p, 0, p->line);
		p->len = 0;
		p->line[0] = '\0';
	}
}

static int
pipe_append(struct pipe *p, const char *s, size_t n)
{
	char	*nb;
	size_t	 ncap;

	if (p->len + n + 1 > p->cap) {
		ncap = p->cap ? p->cap : 256;
		while (ncap < p->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(p->line, ncap)) == NULL)
			return -1;
		p->line = nb;
		p->cap = ncap;
	}
	memcpy(p->line + p->len, s, n);
	p->len += n;
	p->line[p->len] = '\0';
	return 0;
}

void
pipe_vprintf(struct pipe *p, const char *fmt, va_list ap)
{
	char	*s = NULL;
	int	 n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		return;
	if (pipe_append(p, s, (size_t)n) != 0)
		fputs(s, stdout);	/* out of memory: unfiltered */
	else
		pipe_drain(p);
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
	if (p->len > 0) {
		if (p->next != NULL)
			pipe_append(p->next, p->line, p->len);
		else if (!p->quit)
			fputs(p->line, stdout);
		p->len = 0;
		p->line[0] = '\0';
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

	if (p->len > 0) {
		pipe_line(p, 0, p->line);
		p->len = 0;
		p->line[0] = '\0';
	}
	for (i = 0; i < p->nst; i++) {
		if (p->st[i].kind != PIPE_COUNT)
			continue;
		snprintf(msg, sizeof(msg), "Number of lines which match regexp "
		    "= %lu", p->st[i].count);
		pipe_line(p, i + 1, msg);
	}
	fflush(stdout);
}
