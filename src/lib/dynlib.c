/*
 * dynlib: shared libraries opened on first use.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "dynlib.h"
#include "err.h"

static int
dynlib_open(struct dynlib *d)
{
	void	*h, *f;
	size_t	 i;

	if ((h = dlopen(d->file, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
		snprintf(d->why, sizeof(d->why), "%s", dlerror());
		return -1;
	}
	for (i = 0; i < d->nsyms; i++) {
		if ((f = dlsym(h, d->syms[i].name)) == NULL) {
			snprintf(d->why, sizeof(d->why), "%s lacks %s",
			    d->file, d->syms[i].name);
			return -1;
		}
		/* POSIX: dlsym's result converts to a function pointer. */
		*(void **)((char *)d->tab + d->syms[i].off) = f;
	}
	return 1;
}

const void *
dynlib_get(struct dynlib *d, struct err *e)
{
	int	 state;

	pthread_mutex_lock(&d->lock);
	if (d->state == 0)
		d->state = dynlib_open(d);
	state = d->state;
	pthread_mutex_unlock(&d->lock);
	if (state < 0) {
		err_set(e, ERR_IO, "cannot load %s: %s", d->file, d->why);
		return NULL;
	}
	return d->tab;
}
