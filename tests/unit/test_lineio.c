/*
 * test_lineio.c - the capped line reader: normal lines, CRLF, a last line
 * without a newline, and oversized lines (short and spanning many reads)
 * handed out in flagged pieces without swallowing the lines after them.
 */
#include "lineio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "t.h"

/* Read all of content with cap max; describe each line as text in out:
 * "L<n>:<text>" for a line, "O<n>:<bytes>" for a whole oversized line. */
static void run(const char *content, size_t len, size_t max, struct buf *out)
{
	FILE *f = tmpfile();
	struct lineio l;
	const char *p;
	size_t n, over = 0;
	int flags;

	if (!f || fwrite(content, 1, len, f) != len || fflush(f) != 0)
		abort();
	rewind(f);
	lineio_init(&l, fileno(f), max);
	while (lineio_next(&l, &p, &n, &flags, NULL) == 1) {
		if (flags & LINEIO_OVER) {
			if (flags & LINEIO_OVER_FIRST)
				over = 0;
			over += n;
			if (flags & LINEIO_OVER_LAST)
				buf_addf(out, "O%llu:%zu|", (unsigned long long)l.lineno, over);
			continue;
		}
		buf_addf(out, "L%llu:", (unsigned long long)l.lineno);
		buf_add(out, p, n);
		buf_addc(out, '|');
	}
	lineio_release(&l);
	fclose(f);
}

int main(void)
{
	static const struct {
		const char *name, *in, *want;
		size_t max;
	} cases[] = {
		{ "plain lines", "a\nbb\n", "L1:a|L2:bb|", 10 },
		{ "CRLF stripped, last line without newline", "a\r\nb", "L1:a|L2:b|", 10 },
		{ "empty lines counted", "\n\nx\n", "L1:|L2:|L3:x|", 10 },
		{ "line exactly at the cap", "0123456789\nz\n", "L1:0123456789|L2:z|", 10 },
		{ "oversized line between two", "ab\nxxxxxxxxxxxxxxxxxxxxxxxxx\ncd\n",
		  "L1:ab|O2:25|L3:cd|", 10 },
		{ "oversized last line without newline", "ab\nxxxxxxxxxxxxxxxxxxxx",
		  "L1:ab|O2:20|", 10 },
		{ "two oversized lines in a row", "xxxxxxxxxxxx\nyyyyyyyyyyyy\nk\n",
		  "O1:12|O2:12|L3:k|", 10 },
	};
	struct buf out;

	buf_init(&out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		run(cases[i].in, strlen(cases[i].in), cases[i].max, &out);
		T_EQ_STR(out.data ? out.data : "", cases[i].want, cases[i].name);
	}
	{
		/* A 3 MiB line spans several reads and is never held whole. */
		size_t big = 3u << 20, len = big + 6;
		char *in = malloc(len);

		memcpy(in, "a\n", 2);
		memset(in + 2, 'x', big);
		memcpy(in + 2 + big, "\nb\n", 3);
		buf_reset(&out);
		run(in, len - 1, 1000, &out);
		T_EQ_STR(out.data, "L1:a|O2:3145728|L3:b|", "oversized across reads");
		free(in);
	}
	buf_release(&out);
	return t_done();
}
