/*
 * test_snats_node.c - rd-audit --verify's view of one NATS server
 * (snats_verify.c): a server's monitoring answers taken apart, and how a
 * replica is told to differ from the leader's.
 *
 * The answers are the server's own, in tests/data/nats/: captured with
 * curl from Debian's nats-server 2.9.10, a 3-node cluster started by
 * tests/helpers/nats.sh with an R3 stream PAY of 63 messages:
 *   varz-n1.json        GET /varz of n1
 *   jsz-leader.json     GET /jsz?accounts=true&streams=true of n1, the
 *                       stream's leader
 *   jsz-follower.json   the same of n2, a replica
 *   jsz-no-stream.json  the same of n3, restarted without its cluster
 *                       block: it holds no replica
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "snats.h"
#include "t.h"

static void load(const char *name, struct buf *b)
{
	const char *top = getenv("RD_TOP") ? getenv("RD_TOP") : ".";
	char path[512], chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/nats/%s", top, name);
	if (!(f = fopen(path, "rb"))) {
		printf("# cannot open %s\n", path);
		abort();
	}
	buf_reset(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
}

static int parse(const char *varz, const char *jsz, struct snats_node *nd,
		 struct rd_err *err)
{
	struct buf v, j;
	int ret;

	buf_init(&v);
	buf_init(&j);
	load(varz, &v);
	load(jsz, &j);
	ret = snats_node_parse(v.data, v.len, j.data, j.len, "PAY", nd, err);
	buf_release(&v);
	buf_release(&j);
	return ret;
}

static void parsed(void)
{
	struct snats_node nd;
	struct rd_err err;

	T_EQ_INT(parse("varz-n1.json", "jsz-leader.json", &nd, &err), 0, "the leader's answers parse");
	T_EQ_STR(nd.name, "n1", "its name comes from /varz");
	T_OK(nd.answered && nd.has, "it answered, and holds the stream");
	T_OK(nd.msgs == 63 && nd.bytes == 30177 && nd.first == 1 && nd.last == 63 &&
	     nd.lost == 0, "its state: 63 messages, 30177 bytes, sequences 1 to 63");
	T_EQ_STR(nd.leader, "n1", "the stream's leader as it sees it");
	T_EQ_INT(parse("varz-n1.json", "jsz-no-stream.json", &nd, &err), 0, "a server without the stream parses");
	T_OK(nd.answered && !nd.has, "it answered, and holds no replica");
}

static void malformed(void)
{
	static const char varz_ok[] = "{\"server_name\":\"n1\"}";
	static const char jsz_cut[] = "{\"account_details\":[{\"stream_detail\":[";
	static const char jsz_half[] =
		"{\"account_details\":[{\"stream_detail\":[{\"name\":\"PAY\",\"state\":{\"messages\":3}}]}]}";
	struct snats_node nd;
	struct rd_err err;

	T_EQ_INT(snats_node_parse("{}", 2, "{}", 2, "PAY", &nd, &err), RD_E_INVAL,
		 "a /varz without server_name is refused");
	T_OK(strstr(err.msg, "server_name") != NULL, "and the error names the field");
	T_EQ_INT(snats_node_parse(varz_ok, strlen(varz_ok), jsz_cut, strlen(jsz_cut),
				  "PAY", &nd, &err), RD_E_INVAL, "a cut /jsz is refused");
	T_OK(strncmp(err.msg, "byte ", 5) == 0, "and the error names the byte offset");
	T_EQ_INT(snats_node_parse(varz_ok, strlen(varz_ok), jsz_half, strlen(jsz_half),
				  "PAY", &nd, &err), RD_E_INVAL,
		 "a stream without its whole state is refused");
	T_OK(strstr(err.msg, "PAY") != NULL, "and the error names the stream");
}

static void differs(const struct snats_node *nd, const struct snats_node *ld,
		    const char *want, const char *name)
{
	char out[256];
	int d = snats_node_diff(nd, ld, out, sizeof(out));

	T_EQ_INT(d, 1, name);
	if (!T_OK(strstr(out, want) != NULL, name))
		printf("#   got '%s', want it to hold '%s'\n", out, want);
}

static void compared(void)
{
	struct snats_node ld, nd, r;
	struct rd_err err;
	char out[256];

	if (parse("varz-n1.json", "jsz-leader.json", &ld, &err) < 0 ||
	    parse("varz-n1.json", "jsz-follower.json", &nd, &err) < 0)
		abort();
	T_EQ_INT(snats_node_diff(&nd, &ld, out, sizeof(out)), 0, "a replica with the leader's state does not differ");
	T_EQ_INT(snats_node_diff(&ld, &ld, out, sizeof(out)), 0, "the leader does not differ from itself");
	r = nd;
	r.last = 23;
	r.msgs = 23;
	differs(&r, &ld, "behind the leader: last sequence 23 of 63 (23 messages, the leader 63)",
		"a replica with fewer sequences is behind");
	r = nd;
	r.last = 64;
	r.msgs = 64;
	differs(&r, &ld, "diverged: holds sequences up to 64, past the leader's last, 63",
		"a replica past the leader has diverged");
	r = nd;
	r.msgs = 62;
	differs(&r, &ld, "diverged: 62 messages, 30177 bytes from sequence 1; the leader 63 messages",
		"a replica with the same last sequence and another count has diverged");
	r = nd;
	r.bytes = 30000;
	differs(&r, &ld, "diverged: 63 messages, 30000 bytes", "another size: diverged");
	r = nd;
	r.first = 2;
	differs(&r, &ld, "from sequence 2; the leader 63 messages, 30177 bytes from 1", "another first sequence: diverged");
	r = nd;
	r.lost = 2;
	differs(&r, &ld, "lost 2 messages", "a replica's lost messages are named");
	r = ld;
	r.lost = 1;
	differs(&r, &r, "lost 1 messages", "so are the leader's own");
	memset(&r, 0, sizeof(r));
	snprintf(r.why, sizeof(r.why), "Connection refused");
	differs(&r, &ld, "did not answer: Connection refused", "a server that does not answer is named");
	if (parse("varz-n1.json", "jsz-no-stream.json", &r, &err) < 0)
		abort();
	differs(&r, &ld, "holds no replica of the stream", "a server that lost its replica is named");
}

int main(void)
{
	parsed();
	malformed();
	compared();
	return t_done();
}
