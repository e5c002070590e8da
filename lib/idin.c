/*
 * idin.c - record ids named on an input stream (see idin.h).
 */
#include <errno.h>
#include <string.h>

#include "idin.h"
#include "json.h"
#include "lineio.h"
#include "rec.h"
#include "banned.h"

int idin_read(int fd, struct sel *s, struct rd_err *err)
{
	struct lineio in;
	struct json_doc doc;
	const char *p;
	size_t n, lineno = 0;
	int flags, r, ret = 0;

	lineio_init(&in, fd, 1 << 20);
	json_doc_init(&doc);
	while ((r = lineio_next(&in, &p, &n, &flags, NULL)) > 0) {
		const struct json_val *root, *id;

		lineno++;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n == 0)
			continue;
		if (rec_id_valid(p, n)) {
			char id_s[REC_ID_LEN + 1];

			memcpy(id_s, p, REC_ID_LEN);
			id_s[REC_ID_LEN] = '\0';
			sel_add_id(s, id_s);
			continue;
		}
		if (*p == '{' && (root = json_parse(&doc, p, n, NULL, NULL)) &&
		    (id = json_get(root, "id")) && id->type == JSON_STRING &&
		    rec_id_valid(id->str, id->len)) {
			sel_add_id(s, id->str);
			continue;
		}
		ret = rd_err_set(err, RD_E_INVAL,
				 "line %zu: not a record id or a JSON record with an \"id\"",
				 lineno);
		break;
	}
	if (r < 0 && ret == 0)
		ret = rd_err_sys(err, errno, "cannot read");
	json_doc_release(&doc);
	lineio_release(&in);
	return ret;
}
