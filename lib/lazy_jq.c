/*
 * lazy_jq.c - the libjq 1.6 functions redrive calls, forwarded to
 * libjq.so.1 once it is loaded (see lazy.h).  Each definition takes its
 * prototype from jq's own headers, so the compiler checks it.  Only jqf
 * calls these.
 */
#include <jq.h>
#include <jv.h>

#include "lazy.h"
#include "banned.h"

#define JQ_FNS(X) \
	X(jq_init) X(jq_teardown) X(jq_compile) X(jq_set_error_cb) \
	X(jq_start) X(jq_next) X(jv_copy) X(jv_free) X(jv_get_kind) \
	X(jv_null) X(jv_dump_string) X(jv_string_value) \
	X(jv_invalid_get_msg) X(jv_invalid_has_msg) X(jv_parser_new) \
	X(jv_parser_free) X(jv_parser_set_buf) X(jv_parser_next)

#define AS_INDEX(f) I_##f,
enum { JQ_FNS(AS_INDEX) NFNS };
#define AS_NAME(f) #f,
static const char *const names[NFNS] = { JQ_FNS(AS_NAME) };
static void *fns[NFNS];
/* The one process-wide handle, as dlopen itself is process-wide. */
static struct lazy_lib jq = { "libjq.so.1", names, fns, NFNS, NULL };

/* The function f, with its own type. */
#define REAL(f) (lazy_need(&jq), (__typeof__(&f))fns[I_##f])

int lazy_jq_load(struct rd_err *err)
{
	return lazy_load(&jq, err);
}

jq_state *jq_init(void)
{
	return REAL(jq_init)();
}

void jq_teardown(jq_state **s)
{
	REAL(jq_teardown)(s);
}

int jq_compile(jq_state *s, const char *text)
{
	return REAL(jq_compile)(s, text);
}

void jq_set_error_cb(jq_state *s, jq_msg_cb cb, void *data)
{
	REAL(jq_set_error_cb)(s, cb, data);
}

void jq_start(jq_state *s, jv value, int flags)
{
	REAL(jq_start)(s, value, flags);
}

jv jq_next(jq_state *s)
{
	return REAL(jq_next)(s);
}

jv jv_copy(jv v)
{
	return REAL(jv_copy)(v);
}

void jv_free(jv v)
{
	REAL(jv_free)(v);
}

jv_kind jv_get_kind(jv v)
{
	return REAL(jv_get_kind)(v);
}

jv jv_null(void)
{
	return REAL(jv_null)();
}

jv jv_dump_string(jv v, int flags)
{
	return REAL(jv_dump_string)(v, flags);
}

const char *jv_string_value(jv v)
{
	return REAL(jv_string_value)(v);
}

jv jv_invalid_get_msg(jv v)
{
	return REAL(jv_invalid_get_msg)(v);
}

int jv_invalid_has_msg(jv v)
{
	return REAL(jv_invalid_has_msg)(v);
}

jv_parser *jv_parser_new(int flags)
{
	return REAL(jv_parser_new)(flags);
}

void jv_parser_free(jv_parser *p)
{
	REAL(jv_parser_free)(p);
}

void jv_parser_set_buf(jv_parser *p, const char *buf, int len, int final)
{
	REAL(jv_parser_set_buf)(p, buf, len, final);
}

jv jv_parser_next(jv_parser *p)
{
	return REAL(jv_parser_next)(p);
}
