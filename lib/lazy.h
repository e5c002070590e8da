/*
 * lazy.h - the optional shared libraries, loaded on first use.
 *
 * libcurl and libjq cost more to load than a whole capture takes: linked
 * at build time, libcurl's dependencies (TLS, Kerberos, LDAP) add about
 * 7 ms to every process start, and libjq with libonig about 0.5 ms.  Most
 * rd-capture runs need neither.  So lazy_curl.c and lazy_jq.c define the
 * functions redrive calls in each library, with the library's own
 * prototypes from its headers, and each forwards to the real function,
 * which is looked up when the library is first needed.
 *
 * Call sites use libcurl and libjq exactly as documented.  A tool that
 * can meet a missing library calls lazy_curl_load or lazy_jq_load first,
 * and reports the error; http_new, http_once and jqf_new do.  Otherwise
 * the first call loads it, and aborts if it cannot.  Process-wide by nature, like libcurl's global init: load from
 * the main thread, before any other thread uses the library.
 *
 * Deliberately not here: wrapping the libraries' types (http and jqf do
 * that) or choosing among library versions.
 */
#ifndef LAZY_H
#define LAZY_H

#include <stddef.h>

#include "rd.h"

struct lazy_lib {
	const char *soname;          /* "libcurl.so.4" */
	const char *const *names;    /* the functions, in the order of fns */
	void **fns;                  /* filled by lazy_load */
	size_t n;
	void *handle;                /* NULL until loaded */
};

/*
 * Open l->soname and resolve every name into l->fns; a second call does
 * nothing.  RD_E_UNSUPP naming the library and the loader's reason when
 * it or one of its functions is missing.
 */
int lazy_load(struct lazy_lib *l, struct rd_err *err);

/* lazy_load, aborting on failure: for the forwarders, whose callers
 * have loaded the library already (see above). */
void lazy_need(struct lazy_lib *l);

/* Load libcurl or libjq (see above).  RD_E_UNSUPP when missing. */
int lazy_curl_load(struct rd_err *err);
int lazy_jq_load(struct rd_err *err);
/* Load libnats, for a nats:// spool.  RD_E_UNSUPP when missing. */
int lazy_nats_load(struct rd_err *err);

#endif
