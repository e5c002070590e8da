/*
 * creq.h - a request described the way curl takes it on its command line,
 * turned into the request record that curl would have sent.
 *
 * Options, with curl's names and meanings (rd-capture splices
 * CREQ_SHORT and CREQ_LONG into its own table):
 *   -X/--request  -H/--header (also 'Name:' to drop a header, 'Name;' for
 *   an empty one, @FILE for one header per line)  -d/--data/--data-ascii
 *   --data-raw  --data-binary  --data-urlencode  --json  -G/--get
 *   -u/--user  -A/--user-agent  -e/--referer  -b/--cookie  --compressed
 *
 * What the record holds is what curl 7.88 puts on the wire, in curl's
 * order: Authorization, User-Agent (curl/VERSION unless -A or -H says
 * otherwise), Accept (*\/\*), Accept-Encoding, Referer, Cookie, then the
 * -H headers in order, then --json's Content-Type and Accept, and last a
 * form Content-Type for data without one.  Data pieces are joined with
 * '&' (--json pieces are not), @FILE reads a file (--data strips CR and
 * LF from it), -G moves the data into the query, and data implies POST.
 * Host and Content-Length are the transport's.
 *
 * Deliberately refused, by name, rather than misread: -u without a
 * password (curl would prompt), -b with a cookie file, -e with ';auto'.
 */
#ifndef CREQ_H
#define CREQ_H

#include <stddef.h>
#include <stdint.h>
#include <getopt.h>

#include "buf.h"
#include "rd.h"
#include "rec.h"

/* Long-only option ids, between the common ids and the tools' own. */
enum {
	CREQ_OPT_DATA_ASCII = 0x1040, CREQ_OPT_DATA_RAW, CREQ_OPT_DATA_BINARY,
	CREQ_OPT_DATA_URLENCODE, CREQ_OPT_JSON, CREQ_OPT_COMPRESSED
};

#define CREQ_SHORT "X:H:d:Gu:A:e:b:"
#define CREQ_LONG                                                          \
	{ "request", required_argument, NULL, 'X' },                       \
	{ "header", required_argument, NULL, 'H' },                        \
	{ "data", required_argument, NULL, 'd' },                          \
	{ "data-ascii", required_argument, NULL, CREQ_OPT_DATA_ASCII },    \
	{ "data-raw", required_argument, NULL, CREQ_OPT_DATA_RAW },        \
	{ "data-binary", required_argument, NULL, CREQ_OPT_DATA_BINARY },  \
	{ "data-urlencode", required_argument, NULL, CREQ_OPT_DATA_URLENCODE }, \
	{ "json", required_argument, NULL, CREQ_OPT_JSON },                \
	{ "get", no_argument, NULL, 'G' },                                 \
	{ "user", required_argument, NULL, 'u' },                          \
	{ "user-agent", required_argument, NULL, 'A' },                    \
	{ "referer", required_argument, NULL, 'e' },                       \
	{ "cookie", required_argument, NULL, 'b' },                        \
	{ "compressed", no_argument, NULL, CREQ_OPT_COMPRESSED }

struct creq_item {            /* one -H or data option, in order */
	int opt;
	const char *arg;      /* borrowed from argv */
};

struct creq {
	const char *method;     /* -X, borrowed; NULL: GET, or POST with data */
	const char *user, *agent, *referer, *cookie;   /* borrowed */
	int get, compressed, json;
	int have_data;          /* a data option was read (set by finish) */
	const char *accept_encoding;   /* --compressed: what to offer; set by
					* the caller, who knows the engine */
	struct creq_item *items;
	size_t nitems;
	uint64_t max_body;
	/* Built by creq_finish: */
	struct hdr *hdrs;       /* owned array; strings borrowed or in owned */
	size_t nhdrs;
	struct buf body;
	struct buf url;
	char **owned;           /* strings made here (auth, header files) */
	size_t nowned;
};

void creq_init(struct creq *c, uint64_t max_body);
void creq_release(struct creq *c);

/*
 * Take option opt (an id from CREQ_SHORT or CREQ_LONG) with its argument,
 * which must outlive c.  Returns 1 when it was a request option, 0 when
 * it is not one of these, RD_E_INVAL for a value refused at once.
 */
int creq_option(struct creq *c, int opt, const char *arg, struct rd_err *err);

/* 1 when any request option was given. */
int creq_given(const struct creq *c);

/*
 * After the last option: read data files, apply -G, and build headers,
 * body and URL for url.  RD_E_IO for an unreadable file, RD_E_FULL past
 * max_body, RD_E_INVAL for a refused value.  Only the framing checks are
 * here; the whole request is validated as a record (rec_req_validate).
 */
int creq_finish(struct creq *c, const char *url, struct rd_err *err);

/* Method, URL, headers and body of r, borrowed from c. */
void creq_to_rec(const struct creq *c, struct rec_req *r);

/* Split "Name: value" (blanks after the colon skipped) into *h, which
 * borrows from arg.  RD_E_INVAL when there is no name and colon, naming
 * the header as the idx-th given, never quoting it. */
int creq_parse_header(const char *arg, size_t idx, struct hdr *h,
		      struct rd_err *err);

/* A -H option of rd-replay or rd-health: "Name: value" split, checked
 * (a valid name, a value of UTF-8 with no control byte) and appended to
 * (*v)[*n], which borrows from arg; *v grows with xrealloc (the caller
 * frees it).  RD_E_INVAL with the reason. */
int creq_header_add(const char *arg, struct hdr **v, size_t *n,
		    struct rd_err *err);

#endif
