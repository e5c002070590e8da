/* Unit tests for lib/creq: curl-like options turned into the request
 * curl 7.88 puts on the wire.  Each expected request (creq_cases.h) was
 * read off the wire from curl 7.88.1 given the same options (Host and
 * Content-Length, which the transport writes, left out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creq.h"
#include "creq_cases.h"
#include "t.h"

static void render(const struct creq *c, struct buf *out)
{
	struct rec_req r;

	memset(&r, 0, sizeof(r));
	creq_to_rec(c, &r);
	buf_add(out, r.method.p, r.method.n);
	buf_addc(out, ' ');
	buf_add(out, r.url.p, r.url.n);
	buf_addc(out, '\n');
	for (size_t i = 0; i < r.nhdrs; i++) {
		buf_add(out, r.hdrs[i].name, r.hdrs[i].name_len);
		buf_adds(out, ": ");
		buf_add(out, r.hdrs[i].value, r.hdrs[i].value_len);
		buf_addc(out, '\n');
	}
	buf_addc(out, '\n');
	buf_add(out, r.body.p, r.body.n);
}

int main(void)
{
	struct rd_err err;

	for (size_t i = 0; i < sizeof(creq_cases) / sizeof(creq_cases[0]); i++) {
		const struct ccase *k = &creq_cases[i];
		struct creq c;
		struct buf got;
		int ok = 1;

		creq_init(&c, 1 << 20);
		c.accept_encoding = "deflate, gzip, br, zstd";
		buf_init(&got);
		for (size_t j = 0; j < 8 && k->o[j].opt; j++)
			ok &= creq_option(&c, k->o[j].opt, k->o[j].arg, &err) == 1;
		ok &= creq_finish(&c, k->url, &err) == 0;
		if (T_OK(ok, k->name)) {
			render(&c, &got);
			T_EQ_STR(got.data, k->want, k->name);
		}
		buf_release(&got);
		creq_release(&c);
	}
	{
		struct creq c;

		creq_init(&c, 1 << 20);
		T_EQ_INT(creq_option(&c, 'u', "nopass", &err), RD_E_INVAL, "-u without a password");
		T_EQ_INT(creq_option(&c, 'b', "cookies.txt", &err), RD_E_INVAL, "-b with a file");
		T_EQ_INT(creq_option(&c, 'e', "http://x/;auto", &err), RD_E_INVAL, "-e ;auto");
		T_EQ_INT(creq_option(&c, 'q', NULL, &err), 0, "not a request option");
		T_EQ_INT(creq_option(&c, 'd', "@/nonexistent/file", &err), 1, "data is read late");
		T_EQ_INT(creq_finish(&c, "http://h/", &err), RD_E_IO, "unreadable @file");
		creq_release(&c);
		creq_init(&c, 4);
		creq_option(&c, 'd', "12345", &err);
		T_EQ_INT(creq_finish(&c, "http://h/", &err), RD_E_FULL, "body over the limit");
		creq_release(&c);
	}
	{
		/* -H, one by one or from a file, stops at a record's limit */
		struct creq c;
		char path[] = "/tmp/test_creq.XXXXXX";
		int fd = mkstemp(path), ok = fd >= 0;

		for (int i = 0; ok && i < REC_MAX_HEADERS + 1000; i++)
			ok = write(fd, "X-A: 1\n", 7) == 7;
		if (fd >= 0)
			close(fd);
		T_OK(ok, "a header file of more lines than the limit");
		creq_init(&c, 1 << 20);
		for (int j = 0; j < REC_MAX_HEADERS + 1; j++)
			creq_option(&c, 'H', "X-A: 1", &err);
		T_EQ_INT(creq_finish(&c, "http://h/", &err), RD_E_INVAL, "-H over the limit");
		T_EQ_STR(err.msg, "--header: more than 200 headers", "named");
		creq_release(&c);
		{
			char at[64];

			snprintf(at, sizeof(at), "@%s", path);
			creq_init(&c, 1 << 20);
			creq_option(&c, 'H', at, &err);
			T_EQ_INT(creq_finish(&c, "http://h/", &err), RD_E_INVAL,
				 "-H @FILE over the limit");
			T_EQ_STR(err.msg, "--header: more than 200 headers", "named");
			creq_release(&c);
		}
		unlink(path);
		creq_init(&c, 1 << 20);
		for (int j = 0; j < REC_MAX_HEADERS; j++)
			creq_option(&c, 'H', "X-A: 1", &err);
		T_EQ_INT(creq_finish(&c, "http://h/", &err), 0, "-H up to the limit");
		creq_release(&c);
	}
	return t_done();
}
