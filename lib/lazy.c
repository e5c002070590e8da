/*
 * lazy.c - open a shared library and resolve its functions once (see
 * lazy.h).  Failure leaves the library unloaded, so a later call retries
 * and reports again rather than calling through a missing function.
 */
#include "lazy.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int lazy_load(struct lazy_lib *l, struct rd_err *err)
{
	void *h;

	if (l->handle)
		return 0;
	if (!(h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)))
		return rd_err_set(err, RD_E_UNSUPP, "cannot load %s: %s", l->soname,
				  dlerror());
	for (size_t i = 0; i < l->n; i++) {
		if (!(l->fns[i] = dlsym(h, l->names[i]))) {
			dlclose(h);
			return rd_err_set(err, RD_E_UNSUPP, "%s has no %s: too old?",
					  l->soname, l->names[i]);
		}
	}
	l->handle = h;
	return 0;
}

void lazy_need(struct lazy_lib *l)
{
	/* Like allocation failure: every path that can meet a missing library
	 * loads it first through lazy_load and reports; reaching this abort
	 * means a call site skipped that step. */
	if (!l->handle && lazy_load(l, NULL) < 0)
		abort();
}
