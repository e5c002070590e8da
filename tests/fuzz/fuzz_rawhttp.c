/* Fuzz target: the raw HTTP/1.1 request parser. */
#include <stdint.h>
#include <stdlib.h>

#include "rawhttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rawhttp_req q;
	struct rd_err err;
	size_t used = 0;

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
	return 0;
}
