/*
 * cli_http.h - the HTTP client's connection flags, parsed in one place
 * for every tool that sends (rd-replay, rd-health, rd-proxy), with the
 * same names and meanings as curl's: --connect-timeout, -k/--insecure,
 * --cacert, --http1.1 and --http2-prior-knowledge.  Each tool keeps its
 * own --help lines (their defaults differ) and its own whole-request
 * timeout, whose meaning differs (a probe, a replayed request, a relayed
 * stream).
 */
#ifndef CLI_HTTP_H
#define CLI_HTTP_H

#include <getopt.h>

#include "http.h"
#include "rd.h"

enum {
	CLI_OPT_CONNECT_TIMEOUT = 0x1010,
	CLI_OPT_CACERT,
	CLI_OPT_HTTP11,
	CLI_OPT_HTTP2
};

/* The block's short options, and its entries for getopt_long's table. */
#define CLI_HTTP_SHORT "k"
#define CLI_HTTP_LONG                                                       \
	{ "connect-timeout", required_argument, NULL, CLI_OPT_CONNECT_TIMEOUT }, \
	{ "insecure", no_argument, NULL, 'k' },                             \
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT },              \
	{ "http1.1", no_argument, NULL, CLI_OPT_HTTP11 },                   \
	{ "http2-prior-knowledge", no_argument, NULL, CLI_OPT_HTTP2 }

/* Apply option opt (getopt_long's value) to h: 1 when it is one of the
 * block's, 0 when not, RD_E_INVAL with err naming the option ("--connect-
 * timeout: ...") when its value is bad. */
int cli_http_opt(struct http_opts *h, int opt, const char *arg,
		 struct rd_err *err);

/* The --cacert file, opened now: libcurl finds it missing only at each
 * request (every one then fails as TLS would, and rd-proxy would capture
 * every write).  0, or RD_E_INVAL naming --cacert and why. */
int cli_cacert(const char *path, struct rd_err *err);

#endif
