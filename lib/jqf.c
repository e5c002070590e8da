/*
 * jqf.c - the libjq wrapper.  libjq 1.6 notes: every function taking a jv
 * consumes it (jv_copy keeps one); compile errors arrive through the error
 * callback, which by default prints to stderr, so we capture them instead.
 */
#include "jqf.h"

#include <jq.h>
#include <stdlib.h>
#include <string.h>

#include "lazy.h"
#include "xalloc.h"
#include "banned.h"

struct jqf {
	jq_state *jq;
	jv_parser *parser;
	struct buf input;      /* bytes fed, kept alive for the parser */
	int running;           /* jq_start was called for the current input */
	int broken;            /* the input stream had a syntax error */
	size_t input_no;
	struct buf cerr;       /* compile error text */
};

/* jq's messages, as one line: "jq: error: " and its closing count
 * ("jq: 1 compile error") dropped, each message's first line only (the
 * second repeats the filter). */
static void capture_error(void *data, jv msg)
{
	struct buf *b = data;
	const char *m, *nl;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		m = jv_string_value(msg);
		if (strncmp(m, "jq: error: ", 11) == 0)
			m += 11;
		if (strncmp(m, "jq: ", 4) != 0 || !strstr(m, "compile error")) {
			size_t n = (nl = strchr(m, '\n')) ? (size_t)(nl - m) : strlen(m);

			while (n && (m[n - 1] == ':' || m[n - 1] == ' '))
				n--;
			if (b->len)
				buf_adds(b, "; ");
			buf_add(b, m, n);
		}
	}
	jv_free(msg);
}

int jqf_new(const char *opt, const char *filter, struct jqf **out,
	    struct rd_err *err)
{
	struct jqf *f;

	*out = NULL;
	if (lazy_jq_load(err) < 0)
		return RD_E_UNSUPP;
	f = xcalloc(1, sizeof(*f));
	buf_init(&f->input);
	buf_init(&f->cerr);
	f->jq = jq_init();
	if (!f->jq) {
		jqf_free(f);
		return rd_err_set(err, RD_E_INVAL, "cannot initialise jq");
	}
	jq_set_error_cb(f->jq, capture_error, &f->cerr);
	if (!jq_compile(f->jq, filter)) {
		rd_err_set(err, RD_E_INVAL, "%s: jq filter does not compile: %s",
			   opt, f->cerr.len ? f->cerr.data : "syntax error");
		jqf_free(f);
		return RD_E_INVAL;
	}
	f->parser = jv_parser_new(0);
	*out = f;
	return 0;
}

void jqf_free(struct jqf *f)
{
	if (!f)
		return;
	if (f->parser)
		jv_parser_free(f->parser);
	if (f->jq)
		jq_teardown(&f->jq);
	buf_release(&f->input);
	buf_release(&f->cerr);
	free(f);
}

void jqf_feed(struct jqf *f, const char *data, size_t len, int final)
{
	/* jv_parser keeps a pointer into the buffer until it has consumed
	 * it; hand it a copy we own.  It is only replaced once consumed,
	 * because jqf_next drains the parser before asking for more. */
	buf_reset(&f->input);
	buf_add(&f->input, data, len);
	jv_parser_set_buf(f->parser, f->input.data ? f->input.data : "",
			  (int)f->input.len, !final);
}

static void dump(jv v, struct buf *out)
{
	jv s = jv_dump_string(v, 0);

	buf_adds(out, jv_string_value(s));
	jv_free(s);
}

int jqf_next(struct jqf *f, struct buf *out, size_t *input_no,
	     struct rd_err *err)
{
	buf_reset(out);
	for (;;) {
		if (f->running) {
			jv v = jq_next(f->jq);

			if (jv_is_valid(v)) {
				dump(v, out);
				*input_no = f->input_no;
				return 1;
			}
			if (jv_invalid_has_msg(jv_copy(v))) {
				jv msg = jv_invalid_get_msg(v);

				*input_no = f->input_no;
				if (jv_get_kind(msg) == JV_KIND_STRING)
					rd_err_set(err, RD_E_INVAL, "jq: %s",
						   jv_string_value(msg));
				else {
					struct buf t;

					buf_init(&t);
					dump(msg, &t);
					rd_err_set(err, RD_E_INVAL, "jq: %s",
						   t.data ? t.data : "error");
					buf_release(&t);
					msg = jv_null();
				}
				jv_free(msg);
				/* jq abandons this input after an error. */
				f->running = 0;
				return RD_E_INVAL;
			}
			jv_free(v);
			f->running = 0;
		}
		if (f->broken)
			return 0;
		{
			jv in = jv_parser_next(f->parser);

			if (jv_is_valid(in)) {
				f->input_no++;
				jq_start(f->jq, in, 0);
				f->running = 1;
				continue;
			}
			if (jv_invalid_has_msg(jv_copy(in))) {
				jv msg = jv_invalid_get_msg(in);

				rd_err_set(err, RD_E_CORRUPT,
					   "input %zu is not valid JSON: %s",
					   f->input_no + 1,
					   jv_get_kind(msg) == JV_KIND_STRING ?
						   jv_string_value(msg) : "parse error");
				jv_free(msg);
				f->broken = 1;
				*input_no = f->input_no + 1;
				return RD_E_CORRUPT;
			}
			jv_free(in);
			return 0;
		}
	}
}
