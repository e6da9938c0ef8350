/*
 * shell: what command handlers may use.  Handlers print through the shell
 * (console-log output, errors prefixed with "% "), prompt through it (so
 * scripted mode reads answers from the following lines), and reach the
 * state directory and running configuration through it (both opened
 * lazily: start-up does no key loading and no network).
 */
#ifndef NETPKI_SHELL_H
#define NETPKI_SHELL_H

#include <stddef.h>

struct config;
struct err;
struct shell;
struct store;
struct cmd_args;

void		 shell_printf(struct shell *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * The JSON document of a show command run with "| json" (json.h), or NULL.
 * While there is one, shell_printf() prints nothing: a show function
 * calls both, on the same data, and the document is printed when it
 * returns 0.  Errors (shell_error) are printed still.
 */
struct json	*shell_json(struct shell *);
/* Prints "% <message>" and returns -1, so handlers can "return shell_error". */
int		 shell_error(struct shell *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* shell_error() of err_nomem()'s message. */
int		 shell_nomem(struct shell *);
/* Prints "% <e->msg>" and returns -1. */
int		 shell_err(struct shell *, const struct err *);

/*
 * Prompts.  Return 0 with the answer, or -1 on end of input (scripted
 * mode ran out of lines, or Ctrl-D).  Scripted mode echoes the answer
 * after the prompt, except for secrets.
 */
int		 shell_ask(struct shell *, const char *, char *, size_t, int);
/*
 * "[yes/no]" question before an operator's own action (remove keys,
 * re-enroll): *yes = 1 or 0; asks again on anything else.  netpki -y
 * answers it "yes" (printed after the prompt, as a script's answer is).
 */
int		 shell_confirm(struct shell *, const char *, int *);
/*
 * The same for a trust decision (accept a CA certificate, install
 * certificates in the trust pool): never answered by -y, since the
 * fingerprint must be checked by a person or by the script's own line.
 */
int		 shell_confirm_trust(struct shell *, const char *, int *);
/*
 * Pasted text: lines until a blank line or "quit" on a line by itself.
 * *out is NUL-terminated, caller frees.
 */
int		 shell_paste(struct shell *, char **, size_t, size_t *);
/* True when input is a terminal (Ctrl-C may interrupt waits). */
int		 shell_interactive(const struct shell *);
/* Set by SIGINT while a handler waits; handlers poll it in long waits. */
int		 shell_interrupted(struct shell *);

/* The state directory, opened on first use; NULL with an error printed. */
struct store	*shell_store(struct shell *);
const char	*shell_state_dir(const struct shell *);
/* Running configuration (committed), loaded on first use. */
const struct config *shell_running(struct shell *);
/* hostname and domain name from the running configuration. */
const char	*shell_hostname(struct shell *);
const char	*shell_domain(struct shell *);

/* Configuration statement handlers: store the canonical line. */
int		 shell_config_set(struct shell *, const struct cmd_args *);
/* Block key of the current submode ("crypto ca trustpoint myca"), or NULL. */
const char	*shell_block(const struct shell *);

#endif
