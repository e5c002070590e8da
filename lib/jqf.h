/*
 * jqf.h - jq filters over a stream of JSON texts, through libjq 1.6.
 *
 * The jv type never leaves this module: callers hand in bytes and get the
 * filter's outputs back as compact JSON text.  A filter is compiled once
 * and run over every input.  libjq is called from one thread only.
 */
#ifndef JQF_H
#define JQF_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"

struct jqf;

/* Compile filter, given as option opt ("--where").  Caller frees *out
 * with jqf_free.  RD_E_INVAL naming opt, with the compiler's message on
 * one line, when the filter does not compile. */
int jqf_new(const char *opt, const char *filter, struct jqf **out,
	    struct rd_err *err);
void jqf_free(struct jqf *f);

/* Feed the next bytes of the input stream; final marks its end.  The
 * bytes are copied. */
void jqf_feed(struct jqf *f, const char *data, size_t len, int final);

/*
 * The next output of the filter, as one line of compact JSON (no newline)
 * in out, which is reset first.  *input_no is the 1-based number of the
 * input text that produced it.  Returns 1 for an output, 0 when more
 * input is needed (or the stream is done), RD_E_INVAL for a runtime error
 * of the filter on one input (the next call continues with the next
 * input), or RD_E_CORRUPT for input that is not JSON (the stream cannot
 * continue; later calls return 0).
 */
int jqf_next(struct jqf *f, struct buf *out, size_t *input_no,
	     struct rd_err *err);

#endif
