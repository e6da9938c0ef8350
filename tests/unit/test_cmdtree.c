/*
 * cmdtree: matching, abbreviations, ambiguity, parameters, optional
 * groups, generated "no" forms, help and completion, and that the real
 * command tables build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "cmdtree.h"
#include "commands.h"
#include "pipe.h"

static int
dummy(struct shell *sh, const struct cmd_args *a)
{
	(void)sh;
	(void)a;
	return 0;
}

static const struct cmd_def test_defs[] = {
	{ .mode = MODE_EXEC, .syntax = "show running-config [LINE]",
	  .help = "Show\nRunning\nFilter", .fn = dummy },
	{ .mode = MODE_EXEC, .syntax = "show version",
	  .help = "Show\nVersion", .fn = dummy },
	{ .mode = MODE_EXEC, .syntax = "configure [terminal]",
	  .help = "Configure\nTerminal", .fn = dummy },
	{ .mode = MODE_EXEC,
	  .syntax = "crypto key generate rsa [general-keys|usage-keys] [LABEL]",
	  .help = "Crypto\nKey\nGenerate\nRSA\nGeneral\nUsage\nLabel",
	  .fn = dummy },
	{ .mode = MODE_CONFIG, .syntax = "hostname HOSTNAME",
	  .help = "Hostname\nName", .keylen = 1 },
	{ .mode = MODE_CONFIG, .syntax = "crypto ca trustpoint NAME",
	  .help = "Crypto\nCA\nTrustpoint\nName", .keylen = 4,
	  .flags = CMD_SUBMODE, .submode = MODE_TRUSTP },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment retry period <1-60>",
	  .help = "Enrollment\nRetry\nPeriod\nMinutes", .keylen = 3 },
	{ .mode = MODE_TRUSTP, .syntax = "enrollment url URL",
	  .help = "Enrollment\nURL\nThe URL", .keylen = 2,
	  .key = "enrollment method" },
	{ .mode = MODE_TRUSTP, .syntax = "ip-address {A.B.C.D|none}",
	  .help = "IP\nAddress\nNone", .keylen = 1 },
	{ .mode = MODE_TRUSTP, .syntax = "description LINE",
	  .help = "Description\nText", .keylen = 1 },
	{ .mode = MODE_CONFIG, .syntax = "commit", .help = "Commit",
	  .fn = dummy, .flags = CMD_ANYMODE },
	{ .syntax = NULL }
};

static const struct cmd_def *const test_tables[] = { test_defs, NULL };

static struct cmd_tree *
tree(void)
{
	struct cmd_tree	*t;
	char		 msg[256];

	assert_int_equal(cmdtree_new(&t, test_tables, msg, sizeof(msg)), 0);
	return t;
}

static void
test_real_tables_build(void **state)
{
	struct cmd_tree	*t;
	char		 msg[256] = "";
	int		 rc;

	(void)state;
	rc = cmdtree_new(&t, cmd_tables, msg, sizeof(msg));
	if (rc != 0)
		fail_msg("command tables: %s", msg);
	cmdtree_free(t);
}

static void
test_bad_tables(void **state)
{
	static const struct cmd_def	 badhelp[] = {
		{ .mode = MODE_EXEC, .syntax = "a b", .help = "only one",
		  .fn = dummy },
		{ .syntax = NULL }
	};
	static const struct cmd_def	 dup[] = {
		{ .mode = MODE_EXEC, .syntax = "a", .help = "A", .fn = dummy },
		{ .mode = MODE_EXEC, .syntax = "a", .help = "A", .fn = dummy },
		{ .syntax = NULL }
	};
	const struct cmd_def *const	 t1[] = { badhelp, NULL };
	const struct cmd_def *const	 t2[] = { dup, NULL };
	struct cmd_tree			*t;
	char				 msg[256];

	(void)state;
	assert_int_not_equal(cmdtree_new(&t, t1, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "help count"));
	assert_int_not_equal(cmdtree_new(&t, t2, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "duplicate"));
}

/*
 * '?' shows one help line per word, the first definition's: two tables
 * that disagree about a shared word (crypto, show, ca) would hide one.
 */
static void
test_help_conflict(void **state)
{
	static const struct cmd_def	 key[] = {
		{ .mode = MODE_EXEC, .syntax = "crypto key zeroize",
		  .help = "Encryption module commands\nKeys\nRemove keys",
		  .fn = dummy },
		{ .mode = MODE_CONFIG, .syntax = "crypto ca",
		  .help = "Encryption module configuration\nCA", .keylen = 2 },
		{ .syntax = NULL }
	};
	static const struct cmd_def	 ca[] = {
		{ .mode = MODE_EXEC, .syntax = "crypto ca enroll [NAME]",
		  .help = "Crypto commands\nCA\nEnroll\nTrustpoint",
		  .fn = dummy },
		{ .syntax = NULL }
	};
	static const struct cmd_def	 same[] = {
		{ .mode = MODE_EXEC, .syntax = "crypto ca enroll",
		  .help = "Encryption module commands\nCA\nEnroll",
		  .fn = dummy },
		{ .syntax = NULL }
	};
	static const struct cmd_def	 deep[] = {
		{ .mode = MODE_EXEC, .syntax = "crypto ca cancel",
		  .help = "Encryption module commands\nCertification authority\n"
		    "Cancel", .fn = dummy },
		{ .syntax = NULL }
	};
	const struct cmd_def *const	 bad[] = { key, ca, NULL };
	const struct cmd_def *const	 bad2[] = { same, deep, NULL };
	const struct cmd_def *const	 good[] = { key, same, NULL };
	char				 msg[512] = "";
	int				 rc;

	(void)state;
	rc = cmdtree_help_conflict(cmd_tables, msg, sizeof(msg));
	if (rc != 0)
		fail_msg("command tables disagree on help: %s", msg);
	assert_int_equal(cmdtree_help_conflict(bad, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "\"crypto\": \"Encryption module commands\" "
	    "and \"Crypto commands\"");
	assert_int_equal(cmdtree_help_conflict(bad2, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "\"crypto ca\": \"CA\" and "
	    "\"Certification authority\"");
	/* Another mode's tree may say it differently. */
	assert_int_equal(cmdtree_help_conflict(good, msg, sizeof(msg)), 0);
}

static void
test_abbrev_and_args(void **state)
{
	struct cmd_tree		*t = tree();
	struct cmd_match	*m = malloc(sizeof(*m));

	(void)state;
	cmdtree_match(t, MODE_EXEC, "conf t", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_string_equal(m->args.argv[0], "configure");
	assert_string_equal(m->args.argv[1], "terminal");

	cmdtree_match(t, MODE_EXEC, "sh run", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_string_equal(m->args.argv[1], "running-config");

	cmdtree_match(t, MODE_EXEC, "sh", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);

	cmdtree_match(t, MODE_EXEC, "show r crypto ca  trustpoint  x  ", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_string_equal(cmd_arg(&m->args, "LINE"),
	    "crypto ca  trustpoint  x");

	cmdtree_match(t, MODE_EXEC, "cry key gen rsa usage mykey", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_true(cmd_has(&m->args, "usage-keys"));
	assert_string_equal(cmd_arg(&m->args, "LABEL"), "mykey");

	cmdtree_match(t, MODE_EXEC, "crypto key generate rsa", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_null(cmd_arg(&m->args, "LABEL"));

	cmdtree_match(t, MODE_EXEC, "crypto key generate rsa my/key", m);
	assert_int_equal(m->status, CMDM_INVALID);
	assert_int_equal(m->errpos, 24);
	free(m);
	cmdtree_free(t);
}

static void
test_ambiguous_and_invalid(void **state)
{
	struct cmd_tree		*t = tree();
	struct cmd_match	*m = malloc(sizeof(*m));

	(void)state;
	/* "s" is show only; "show v" vs nothing else: fine. */
	cmdtree_match(t, MODE_EXEC, "show ver", m);
	assert_int_equal(m->status, CMDM_OK);
	cmdtree_match(t, MODE_EXEC, "cr key generate rsa ge", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_true(cmd_has(&m->args, "general-keys"));
	cmdtree_match(t, MODE_TRUSTP, "e r p 2", m);
	assert_int_equal(m->status, CMDM_OK);
	cmdtree_match(t, MODE_TRUSTP, "enrollment r", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_match(t, MODE_TRUSTP, "enrollment retry period 61", m);
	assert_int_equal(m->status, CMDM_INVALID);
	assert_int_equal(m->errpos, 24);
	cmdtree_match(t, MODE_TRUSTP, "enrollment retry period 0x1", m);
	assert_int_equal(m->status, CMDM_INVALID);
	cmdtree_match(t, MODE_EXEC, "sho", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_match(t, MODE_EXEC, "xyz", m);
	assert_int_equal(m->status, CMDM_INVALID);
	assert_int_equal(m->errpos, 0);
	cmdtree_match(t, MODE_EXEC, "   ", m);
	assert_int_equal(m->status, CMDM_EMPTY);
	cmdtree_match(t, MODE_EXEC, "! comment", m);
	assert_int_equal(m->status, CMDM_EMPTY);
	/* In config mode "c" is crypto or commit. */
	cmdtree_match(t, MODE_CONFIG, "c", m);
	assert_int_equal(m->status, CMDM_AMBIGUOUS);
	assert_string_equal(m->word, "c");
	free(m);
	cmdtree_free(t);
}

static void
test_no_forms_and_groups(void **state)
{
	struct cmd_tree		*t = tree();
	struct cmd_match	*m = malloc(sizeof(*m));

	(void)state;
	cmdtree_match(t, MODE_CONFIG, "no hostname", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_true(m->args.negated);
	cmdtree_match(t, MODE_CONFIG, "no hostname r1", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_true(m->args.negated);
	cmdtree_match(t, MODE_CONFIG, "hostname r1", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_false(m->args.negated);
	cmdtree_match(t, MODE_CONFIG, "no crypto ca trustpoint x", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_true(m->args.negated);
	cmdtree_match(t, MODE_CONFIG, "no crypto ca", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_match(t, MODE_TRUSTP, "ip-address none", m);
	assert_int_equal(m->status, CMDM_OK);
	cmdtree_match(t, MODE_TRUSTP, "ip-address 10.1.2.3", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_string_equal(cmd_arg(&m->args, "A.B.C.D"), "10.1.2.3");
	cmdtree_match(t, MODE_TRUSTP, "ip-address", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_match(t, MODE_TRUSTP, "ip-address 300.1.1.1", m);
	assert_int_equal(m->status, CMDM_INVALID);
	cmdtree_match(t, MODE_TRUSTP, "no ip-address", m);
	assert_int_equal(m->status, CMDM_OK);
	/* Exec commands have no "no" form; config modes share commit. */
	cmdtree_match(t, MODE_EXEC, "no show version", m);
	assert_int_equal(m->status, CMDM_INVALID);
	cmdtree_match(t, MODE_TRUSTP, "commit", m);
	assert_int_equal(m->status, CMDM_OK);
	cmdtree_match(t, MODE_TRUSTP, "no commit", m);
	assert_int_equal(m->status, CMDM_INVALID);
	free(m);
	cmdtree_free(t);
}

static void
test_params(void **state)
{
	struct cmd_tree		*t = tree();
	struct cmd_match	*m = malloc(sizeof(*m));
	char			 big[200];

	(void)state;
	cmdtree_match(t, MODE_CONFIG, "hostname -bad", m);
	assert_int_equal(m->status, CMDM_INVALID);
	cmdtree_match(t, MODE_CONFIG, "hostname bad-", m);
	assert_int_equal(m->status, CMDM_INVALID);
	memset(big, 'a', 64);
	big[64] = '\0';
	{
		char	 line[300];

		snprintf(line, sizeof(line), "hostname %s", big);
		cmdtree_match(t, MODE_CONFIG, line, m);
		assert_int_equal(m->status, CMDM_INVALID);
		big[63] = '\0';
		snprintf(line, sizeof(line), "hostname %s", big);
		cmdtree_match(t, MODE_CONFIG, line, m);
		assert_int_equal(m->status, CMDM_OK);
	}
	cmdtree_match(t, MODE_TRUSTP, "enrollment url http://ca.example/x", m);
	assert_int_equal(m->status, CMDM_OK);
	cmdtree_match(t, MODE_TRUSTP, "enrollment url gopher://x", m);
	assert_int_equal(m->status, CMDM_INVALID);
	assert_true(cmdtree_valid_domain("mydomain.com"));
	assert_true(cmdtree_valid_domain("a.b-c.d9"));
	assert_false(cmdtree_valid_domain("a..b"));
	assert_false(cmdtree_valid_domain("a.-b"));
	assert_false(cmdtree_valid_domain(""));
	free(m);
	cmdtree_free(t);
}

static char *
help(struct cmd_tree *t, enum cmd_mode mode, const char *line)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	cmdtree_help(t, mode, line, f, 0);
	fclose(f);
	return buf;
}

static void
test_help_and_complete(void **state)
{
	struct cmd_tree	*t = tree();
	char		*h, *c, *choices;

	(void)state;
	h = help(t, MODE_EXEC, "crypto key generate rsa ");
	assert_string_equal(h,
	    "  general-keys  General\n"
	    "  usage-keys    Usage\n"
	    "  LABEL         Label\n"
	    "  <cr>\n");
	free(h);
	h = help(t, MODE_EXEC, "sh");
	assert_string_equal(h, "  show  Show\n");
	free(h);
	h = help(t, MODE_EXEC, "zz");
	assert_non_null(strstr(h, "Invalid input"));
	free(h);
	c = cmdtree_complete(t, MODE_EXEC, "conf", &choices);
	assert_string_equal(c, "igure ");
	assert_null(choices);
	free(c);
	c = cmdtree_complete(t, MODE_EXEC, "show ", &choices);
	assert_string_equal(c, "");
	assert_non_null(choices);
	assert_non_null(strstr(choices, "running-config"));
	assert_non_null(strstr(choices, "version"));
	free(c);
	free(choices);
	cmdtree_free(t);
}

/* TAB on line adds add, with no list of choices. */
static void
completes(struct cmd_tree *t, const char *line, const char *add)
{
	char	*c, *choices;

	c = cmdtree_complete(t, MODE_EXEC, line, &choices);
	assert_string_equal(c, add);
	assert_null(choices);
	free(c);
}

static void
test_pipes(void **state)
{
	struct cmd_tree		*t = tree();
	struct cmd_match	*m = malloc(sizeof(*m));
	char			*h;

	(void)state;
	assert_int_equal(cmdtree_pipe_at("show running-config | include x",
	    0), 20);
	assert_int_equal(cmdtree_pipe_at("show a|b", 0), -1);
	assert_int_equal(cmdtree_pipe_at("| x | y", 1), 4);
	assert_int_equal(cmdtree_pipe_at("show\t|\tcount", 0), 5);
	cmdtree_match(t, MODE_EXEC, "show running-config", m);
	assert_true(cmdtree_pipeable(m->def));
	cmdtree_match(t, MODE_EXEC, "configure", m);
	assert_false(cmdtree_pipeable(m->def));
	assert_false(cmdtree_pipeable(NULL));
	cmdtree_pipe_match(t, " inc ip address 10 ", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_ptr_equal(m->def, &pipe_defs[PIPE_INCLUDE]);
	assert_string_equal(cmd_arg(&m->args, "LINE"), "ip address 10");
	cmdtree_pipe_match(t, "count", m);
	assert_int_equal(m->status, CMDM_OK);
	assert_ptr_equal(m->def, &pipe_defs[PIPE_COUNT]);
	cmdtree_pipe_match(t, "exclude", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_pipe_match(t, "e", m);
	assert_int_equal(m->status, CMDM_INCOMPLETE);
	cmdtree_pipe_match(t, "zap x", m);
	assert_int_equal(m->status, CMDM_INVALID);
	h = help(t, MODE_EXEC, "show running-config | ");
	assert_non_null(strstr(h, "  include  Include lines that match\n"));
	assert_non_null(strstr(h, "  section  Filter a section of output\n"));
	free(h);
	h = help(t, MODE_EXEC, "show version ");
	assert_string_equal(h, "  |     Output Modifiers\n  <cr>\n");
	free(h);
	h = help(t, MODE_EXEC, "configure | ");
	assert_string_equal(h, "          ^\n"
	    "% Invalid input detected at '^' marker.\n");
	free(h);
	h = help(t, MODE_EXEC, "show | ");
	assert_string_equal(h, "% Incomplete command.\n");
	free(h);
	assert_int_equal(cmdtree_help(t, MODE_EXEC, "show zz | ", stdout, 0),
	    -1);
	completes(t, "show version | be", "gin ");
	completes(t, "show version | e", "xclude ");
	completes(t, "configure | in", "");
	free(m);
	cmdtree_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_tables_build),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_help_conflict),
		cmocka_unit_test(test_abbrev_and_args),
		cmocka_unit_test(test_ambiguous_and_invalid),
		cmocka_unit_test(test_no_forms_and_groups),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_help_and_complete),
		cmocka_unit_test(test_pipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
