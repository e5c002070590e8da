/* Fuzz target: the record parser, as capture input and as a stored line,
 * the event parser, and the canonical writer on whatever parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_parser p;
	struct rec_req r;
	struct rec_event e;
	struct rd_err err;
	struct buf out;

	rec_parser_init(&p);
	buf_init(&out);
	for (int stored = 0; stored < 2; stored++)
		if (rec_req_parse(&p, (const char *)data, size, stored, &r, &err) == 0) {
			if (!stored)
				memcpy(r.id, "01JDZ00000000000000000000A", REC_ID_LEN + 1);
			if (rec_req_validate(&r, &err) == 0) {
				buf_reset(&out);
				rec_req_to_json(&out, &r);
			}
		}
	if (rec_event_parse(&p, (const char *)data, size, &e, &err) == 0) {
		buf_reset(&out);
		rec_event_to_json(&out, &e);
	}
	rec_kind_peek((const char *)data, size);
	buf_release(&out);
	rec_parser_release(&p);
	return 0;
}
