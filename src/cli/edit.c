/*
 * edit: libedit for the interactive shell, opened on first use.
 */
#include "dynlib.h"
#include "edit.h"
#include "err.h"

/*
 * libedit and its libtinfo, libbsd and libmd were four of the libraries
 * every netpki process mapped at start; only a terminal session edits
 * lines.
 */
static struct edit_api	 edit_tab;

#define EDIT_SYM(f)	DYNLIB_SYM(struct edit_api, f, #f)
static const struct dynlib_sym edit_syms[] = {
	EDIT_SYM(el_init),
	EDIT_SYM(el_end),
	EDIT_SYM(el_set),
	EDIT_SYM(el_get),
	EDIT_SYM(el_gets),
	EDIT_SYM(el_line),
	EDIT_SYM(el_insertstr),
	EDIT_SYM(el_deletestr),
	EDIT_SYM(el_cursor),
	EDIT_SYM(history_init),
	EDIT_SYM(history_end),
	EDIT_SYM(history),
};
#undef EDIT_SYM

static struct dynlib	 edit_lib = DYNLIB_INIT("libedit.so.2", edit_syms,
			    &edit_tab);

const struct edit_api *
edit_api(struct err *e)
{
	return dynlib_get(&edit_lib, e);
}
