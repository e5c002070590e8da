/*
 * creq_cases.h - curl-like options and the request curl 7.88 puts on the
 * wire for each (read off the wire from curl 7.88.1 given the same
 * options; Host and Content-Length, which the transport writes, left
 * out), as "METHOD URL\nName: value\n...\n\nbody".  Shared by
 * test_creq.c, which checks lib/creq against them, and test_roundtrip.c,
 * which renders each request as a curl command line and reads it back.
 * Test data only: include it in one test_*.c per binary.
 */
#ifndef CREQ_CASES_H
#define CREQ_CASES_H

#include "creq.h"

struct ccase {
	const char *name;
	struct { int opt; const char *arg; } o[8];
	const char *url;
	const char *want;   /* "METHOD URL\nName: value\n...\n\nbody" */
};

#define J CREQ_OPT_JSON
#define U CREQ_OPT_DATA_URLENCODE
#define C CREQ_OPT_COMPRESSED

static const struct ccase creq_cases[] = {
	{ "plain GET", { { 0, NULL } }, "http://h/p",
	  "GET http://h/p\nUser-Agent: curl/7.88.1\nAccept: */*\n\n" },
	{ "-u -A -e -b --compressed -H, two -d",
	  { { 'u', "a:b" }, { 'A', "ua" }, { 'e', "ref" }, { 'b', "c=d" }, { C, NULL },
	    { 'H', "X-A: 1" }, { 'd', "x=1" }, { 'd', "y=2" } }, "http://h/p",
	  "POST http://h/p\nAuthorization: Basic YTpi\nUser-Agent: ua\nAccept: */*\n"
	  "Accept-Encoding: deflate, gzip, br, zstd\nReferer: ref\nCookie: c=d\n"
	  "X-A: 1\nContent-Type: application/x-www-form-urlencoded\n\nx=1&y=2" },
	{ "--json twice", { { J, "{\"a\":1}" }, { J, "{\"b\":2}" } }, "http://h/p",
	  "POST http://h/p\nUser-Agent: curl/7.88.1\nContent-Type: application/json\n"
	  "Accept: application/json\n\n{\"a\":1}{\"b\":2}" },
	{ "--json after -H, a drop and an empty header",
	  { { J, "{\"a\":1}" }, { 'H', "X-A: 1" }, { 'H', "User-Agent:" }, { 'H', "X-E;" } },
	  "http://h/p",
	  "POST http://h/p\nX-A: 1\nX-E: \nContent-Type: application/json\n"
	  "Accept: application/json\n\n{\"a\":1}" },
	{ "-G with --data-urlencode and -d",
	  { { 'G', NULL }, { U, "q=a b&c" }, { 'd', "z=1" } }, "http://h/p?x=1",
	  "GET http://h/p?x=1&q=a+b%26c&z=1\nUser-Agent: curl/7.88.1\nAccept: */*\n\n" },
	{ "-G -X POST", { { 'G', NULL }, { 'd', "a=1" }, { 'd', "b=2" }, { 'X', "POST" } },
	  "http://h/p",
	  "POST http://h/p?a=1&b=2\nUser-Agent: curl/7.88.1\nAccept: */*\n\n" },
	{ "-d then --json", { { 'd', "a=1" }, { J, "{\"b\":2}" } }, "http://h/p",
	  "POST http://h/p\nUser-Agent: curl/7.88.1\nContent-Type: application/json\n"
	  "Accept: application/json\n\na=1{\"b\":2}" },
	{ "custom Accept and User-Agent win over -A",
	  { { 'H', "Accept: x/y" }, { 'H', "accept: z" }, { 'A', "ua" },
	    { 'H', "user-agent: ub" } }, "http://h/p",
	  "GET http://h/p\nAccept: x/y\naccept: z\nuser-agent: ub\n\n" },
	{ "--data-urlencode forms", { { U, "=a b" }, { U, "a b" }, { U, "n=\xc3\xa9~-._*" } },
	  "http://h/p",
	  "POST http://h/p\nUser-Agent: curl/7.88.1\nAccept: */*\n"
	  "Content-Type: application/x-www-form-urlencoded\n\na+b&a+b&n=%C3%A9~-._%2A" },
	{ "empty -d still separates", { { 'd', "" }, { 'd', "b" } }, "http://h/p",
	  "POST http://h/p\nUser-Agent: curl/7.88.1\nAccept: */*\n"
	  "Content-Type: application/x-www-form-urlencoded\n\n&b" },
	{ "-A '' sends no User-Agent", { { 'A', "" } }, "http://h/p",
	  "GET http://h/p\nAccept: */*\n\n" },
};

#endif
