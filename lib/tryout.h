/*
 * tryout.h - `rd-capture --try` as curl: the transfer and output options
 * curl takes, with curl's names and meanings, and what curl would print
 * for a finished transfer.
 *
 * Options (rd-capture splices TRYOUT_SHORT and TRYOUT_LONG into its own
 * table, beside creq's request options):
 *   -i/--include  -o/--output FILE  -w/--write-out FMT  -f/--fail
 *   --fail-with-body  -s/--silent  -S/--show-error  -L/--location
 *   --max-redirs N  -m/--max-time SECS (also --timeout DUR)
 *   --connect-timeout SECS  -k/--insecure  --cacert FILE
 * and rd-capture's own --success SET (what counts as delivered).
 *
 * What is printed follows curl: the body (after the response headers
 * with -i; every response's, as curl prints them, after -L), none of it
 * for a status of 400 or more under -f, then the -w text.  What differs,
 * on purpose: -s silences rd-capture's notices but never an error, and
 * the exit status is rd-capture's own (0 delivered, 1 captured, 2 error),
 * never curl's numbers.
 */
#ifndef TRYOUT_H
#define TRYOUT_H

#include <getopt.h>

#include "buf.h"
#include "http.h"
#include "rd.h"
#include "wout.h"

/* Long-only option ids, beside creq's. */
enum {
	TRYOUT_OPT_FAIL_WITH_BODY = 0x1060, TRYOUT_OPT_MAX_REDIRS,
	TRYOUT_OPT_TIMEOUT, TRYOUT_OPT_CONNECT_TIMEOUT, TRYOUT_OPT_CACERT,
	TRYOUT_OPT_SUCCESS
};

#define TRYOUT_SHORT "kLsSfo:iw:m:"
#define TRYOUT_LONG                                                        \
	{ "include", no_argument, NULL, 'i' },                             \
	{ "output", required_argument, NULL, 'o' },                        \
	{ "write-out", required_argument, NULL, 'w' },                     \
	{ "fail", no_argument, NULL, 'f' },                                \
	{ "fail-with-body", no_argument, NULL, TRYOUT_OPT_FAIL_WITH_BODY }, \
	{ "silent", no_argument, NULL, 's' },                              \
	{ "show-error", no_argument, NULL, 'S' },                          \
	{ "location", no_argument, NULL, 'L' },                            \
	{ "max-redirs", required_argument, NULL, TRYOUT_OPT_MAX_REDIRS },  \
	{ "max-time", required_argument, NULL, 'm' },                      \
	{ "timeout", required_argument, NULL, TRYOUT_OPT_TIMEOUT },        \
	{ "connect-timeout", required_argument, NULL, TRYOUT_OPT_CONNECT_TIMEOUT }, \
	{ "insecure", no_argument, NULL, 'k' },                            \
	{ "cacert", required_argument, NULL, TRYOUT_OPT_CACERT },          \
	{ "success", required_argument, NULL, TRYOUT_OPT_SUCCESS }

struct tryout {
	struct http_opts http;     /* timeouts, TLS, redirects */
	struct http_okset ok;      /* --success */
	int include, fail, fail_with_body, silent, show_error;
	const char *output;        /* -o FILE, borrowed; NULL: stdout */
	struct wout *wout;         /* -w, owned; NULL: none */
	const char *given;         /* the first option that needs --try */
};

void tryout_init(struct tryout *t);
void tryout_release(struct tryout *t);

/* Take option opt with its argument (which must outlive t).  Returns 1
 * when it was one of these, 0 when not, RD_E_INVAL naming the option
 * for a bad value. */
int tryout_option(struct tryout *t, int opt, const char *arg,
		  struct rd_err *err);

/* 1 when curl would create -o FILE for res, whose rendered body is body:
 * something to write, or a response that -f did not fail (an empty 200
 * makes an empty file); no file when no response came, or -f failed. */
int tryout_makes_file(const struct tryout *t, const struct http_once *res,
		      const struct buf *body);

/*
 * What curl prints for res: into body, what goes to -o FILE or standard
 * output (headers with -i, then the body, unless -f drops it); into out
 * and errout, the -w text meant for standard output and error.  url and
 * method describe the request; exitcode is what rd-capture will exit
 * with, for %{exitcode}.
 */
void tryout_render(const struct tryout *t, const struct http_once *res,
		   const char *method, const char *url, int exitcode,
		   struct buf *body, struct buf *out, struct buf *errout);

#endif
