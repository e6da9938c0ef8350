#ifndef NETPKI_DYNLIB_H
#define NETPKI_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"

/*
 * dynlib: a shared library opened on first use (dlopen) into a table of
 * function pointers, for the libraries most commands never call: libcurl
 * (fetch.c: 30 libraries with its dependencies) and libedit (the shell's
 * terminal sessions only).  Mapping them at start cost every process.
 */

/* One function a table wants: its name in the library, its member. */
struct dynlib_sym {
	const char	*name;
	size_t		 off;	/* offsetof(the table, the member) */
};

#define DYNLIB_SYM(type, member, name)	{ (name), offsetof(type, member) }

/*
 * A library and the table its functions fill, shared by the threads of a
 * process: DYNLIB_INIT(file, syms, table) as a static variable.
 */
struct dynlib {
	const char		*file;	/* as dlopen takes it: "libcurl.so.4" */
	const struct dynlib_sym	*syms;
	size_t			 nsyms;
	void			*tab;	/* filled once, only read after */
	pthread_mutex_t		 lock;
	int			 state;	/* 0 not tried, 1 open, -1 failed */
	char			 why[256];	/* when it failed */
};

#define DYNLIB_INIT(file, syms, tab)					\
	{ (file), (syms), sizeof(syms) / sizeof((syms)[0]), (tab),	\
	  PTHREAD_MUTEX_INITIALIZER, 0, "" }

/*
 * The table, the library opened by the first call (RTLD_LAZY: a function
 * binds on its first call; RTLD_LOCAL; never closed); NULL with e set
 * (ERR_IO) when the library or one of its functions is missing, then and
 * on every later call.
 */
const void	*dynlib_get(struct dynlib *, struct err *);

#endif
