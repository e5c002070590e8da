/*
 * lazy_curl.c - the libcurl functions redrive calls, forwarded to
 * libcurl.so.4 once it is loaded (see lazy.h).  Each definition takes its
 * prototype from curl's own headers, so the compiler checks it.
 *
 * The variadic setopt and getinfo calls are forwarded with the argument's
 * real type, which curl encodes in the option number (a long, an object
 * or function pointer, or a curl_off_t), never through a guessed type.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy.h"
#include "banned.h"

#define CURL_FNS(X) \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) \
	X(curl_easy_reset) X(curl_easy_setopt) X(curl_easy_getinfo) \
	X(curl_easy_strerror) X(curl_easy_escape) X(curl_free) \
	X(curl_getdate) X(curl_multi_init) X(curl_multi_cleanup) \
	X(curl_multi_add_handle) X(curl_multi_remove_handle) \
	X(curl_multi_info_read) X(curl_multi_perform) X(curl_multi_poll) \
	X(curl_multi_setopt) X(curl_multi_strerror) X(curl_slist_append) \
	X(curl_slist_free_all) X(curl_url) X(curl_url_cleanup) \
	X(curl_url_get) X(curl_url_set) X(curl_version_info) \
	X(curl_easy_pause) X(curl_multi_wakeup)

#define AS_INDEX(f) I_##f,
enum { CURL_FNS(AS_INDEX) NFNS };
#define AS_NAME(f) #f,
static const char *const names[NFNS] = { CURL_FNS(AS_NAME) };
static void *fns[NFNS];
/* The one process-wide handle, as dlopen itself is process-wide. */
static struct lazy_lib curl = { "libcurl.so.4", names, fns, NFNS, NULL };

/* The function f, with its own type. */
#define REAL(f) (lazy_need(&curl), (__typeof__(&f))fns[I_##f])

int lazy_curl_load(struct rd_err *err)
{
	return lazy_load(&curl, err);
}

CURLcode curl_global_init(long flags)
{
	return REAL(curl_global_init)(flags);
}

CURL *curl_easy_init(void)
{
	return REAL(curl_easy_init)();
}

void curl_easy_cleanup(CURL *e)
{
	REAL(curl_easy_cleanup)(e);
}

void curl_easy_reset(CURL *e)
{
	REAL(curl_easy_reset)(e);
}

CURLcode curl_easy_setopt(CURL *e, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = REAL(curl_easy_setopt)(e, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = REAL(curl_easy_setopt)(e, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = REAL(curl_easy_setopt)(e, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = REAL(curl_easy_setopt)(e, opt, va_arg(ap, curl_off_t));
	else
		rc = REAL(curl_easy_setopt)(e, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every getinfo argument is a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *e, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, info);
	rc = REAL(curl_easy_getinfo)(e, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *curl_easy_strerror(CURLcode c)
{
	return REAL(curl_easy_strerror)(c);
}

char *curl_easy_escape(CURL *e, const char *s, int n)
{
	return REAL(curl_easy_escape)(e, s, n);
}

void curl_free(void *p)
{
	REAL(curl_free)(p);
}

time_t curl_getdate(const char *p, const time_t *unused)
{
	return REAL(curl_getdate)(p, unused);
}

CURLM *curl_multi_init(void)
{
	return REAL(curl_multi_init)();
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	return REAL(curl_multi_cleanup)(m);
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
	return REAL(curl_multi_add_handle)(m, e);
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
	return REAL(curl_multi_remove_handle)(m, e);
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	return REAL(curl_multi_info_read)(m, left);
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	return REAL(curl_multi_perform)(m, running);
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[],
			  unsigned int nextra, int timeout_ms, int *numfds)
{
	return REAL(curl_multi_poll)(m, extra, nextra, timeout_ms, numfds);
}

/* Multi options follow the same numbering as easy ones. */
CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list ap;
	CURLMcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = REAL(curl_multi_setopt)(m, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = REAL(curl_multi_setopt)(m, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = REAL(curl_multi_setopt)(m, opt, va_arg(ap, void (*)(void)));
	else
		rc = REAL(curl_multi_setopt)(m, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

const char *curl_multi_strerror(CURLMcode c)
{
	return REAL(curl_multi_strerror)(c);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return REAL(curl_slist_append)(l, s);
}

void curl_slist_free_all(struct curl_slist *l)
{
	REAL(curl_slist_free_all)(l);
}

CURLU *curl_url(void)
{
	return REAL(curl_url)();
}

void curl_url_cleanup(CURLU *u)
{
	REAL(curl_url_cleanup)(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part,
		       unsigned int flags)
{
	return REAL(curl_url_get)(u, what, part, flags);
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part,
		       unsigned int flags)
{
	return REAL(curl_url_set)(u, what, part, flags);
}

curl_version_info_data *curl_version_info(CURLversion v)
{
	return REAL(curl_version_info)(v);
}

CURLcode curl_easy_pause(CURL *e, int bitmask)
{
	return REAL(curl_easy_pause)(e, bitmask);
}

CURLMcode curl_multi_wakeup(CURLM *m)
{
	return REAL(curl_multi_wakeup)(m);
}
