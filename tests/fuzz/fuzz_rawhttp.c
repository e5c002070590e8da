/* Fuzz target: the raw HTTP/1.1 request parser, one message at a time and
 * as the stream rd-capture --raw reads (empty lines between messages,
 * nothing after one that ends its connection). */
#include <stdint.h>
#include <stdlib.h>

#include "rawhttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rawhttp_stream s;
	struct rawhttp_req q;
	struct rd_err err;
	size_t used = 0, start, len;

	/* pipelined messages: parse until the input runs out or is bad */
	for (size_t off = 0; off < size; off += used) {
		rawhttp_req_init(&q);
		used = 0;
		if (rawhttp_parse((const char *)data + off, size - off, "https", &q,
				  &used, &err) < 0 || used == 0) {
			rawhttp_req_release(&q);
			break;
		}
		rawhttp_req_release(&q);
	}
	rawhttp_stream_init(&s, (const char *)data, size);
	rawhttp_req_init(&q);
	while (rawhttp_next(&s, "http", &q, &start, &len, &err) == 1)
		if (start + len > size)
			abort(); /* a message must lie inside the input */
	rawhttp_req_release(&q);
	return 0;
}
