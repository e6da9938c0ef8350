#ifndef NETPKI_EDIT_H
#define NETPKI_EDIT_H

#include <stdio.h>

#include <histedit.h>

#include "err.h"

/*
 * The line editor of an interactive session: libedit, opened with dlopen
 * on the first terminal session.  A scripted shell (-c, a file, a pipe)
 * and the agent never load it or the three libraries it needs (libtinfo,
 * libbsd, libmd).  The calls are libedit's own, through this table.
 */
struct edit_api {
	EditLine	*(*el_init)(const char *, FILE *, FILE *, FILE *);
	void		 (*el_end)(EditLine *);
	int		 (*el_set)(EditLine *, int, ...);
	int		 (*el_get)(EditLine *, int, ...);
	const char	*(*el_gets)(EditLine *, int *);
	const LineInfo	*(*el_line)(EditLine *);
	int		 (*el_insertstr)(EditLine *, const char *);
	void		 (*el_deletestr)(EditLine *, int);
	int		 (*el_cursor)(EditLine *, int);
	History		*(*history_init)(void);
	void		 (*history_end)(History *);
	int		 (*history)(History *, HistEvent *, int, ...);
};

/* The table (loaded once, never freed), or NULL with e set. */
const struct edit_api	*edit_api(struct err *);

#endif
