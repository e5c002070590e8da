/*
 * snats_verify.c - spool_verify on a NATS stream.  What JetStream itself
 * reports through the stream's leader: messages lost, and replicas
 * offline or behind it.  Given the servers' monitoring endpoints
 * (spool_nats_opts), each server's own state of the stream too (its
 * /varz for its name, its /jsz for the stream), compared with the
 * leader's: a replica behind it, diverged from it (another count, size
 * or first sequence at the same last sequence, or a sequence past it),
 * missing, or a server that does not answer.
 *
 * The states are read one server after another, not at one instant, and
 * a replica that a write reaches after the leader looks behind for that
 * moment.  So a difference is reported only when it is still there after
 * SETTLE_TRIES reads SETTLE_MS apart, with the figures of the last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clk.h"
#include "http.h"
#include "json.h"
#include "redact.h"
#include "snats.h"
#include "xalloc.h"
#include "banned.h"

#define SETTLE_TRIES 5
#define SETTLE_MS 400
#define MONITOR_TIMEOUT_MS 2000
/* A /jsz answer of more values than this is refused (many streams). */
#define JSZ_VALUES_MAX (4u << 20)

static int u64_of(const struct json_val *v, uint64_t *out)
{
	long long x;

	if (json_int(v, 0, INT64_MAX, &x) < 0)
		return -1;
	*out = (uint64_t)x;
	return 0;
}

/* The stream's entry in a /jsz answer (accounts and streams): the first
 * account holding a stream of that name, or NULL. */
static const struct json_val *jsz_stream(const struct json_val *root,
					 const char *stream)
{
	const struct json_val *acc = json_get(root, "account_details");

	for (const struct json_val *a = acc ? acc->child : NULL; a; a = a->next) {
		const struct json_val *sd = json_get(a, "stream_detail");

		for (const struct json_val *s = sd ? sd->child : NULL; s; s = s->next) {
			const struct json_val *nm = json_get(s, "name");

			if (nm && nm->type == JSON_STRING && strcmp(nm->str, stream) == 0)
				return s;
		}
	}
	return NULL;
}

int snats_node_parse(const char *varz, size_t vlen, const char *jsz, size_t jlen,
		     const char *stream, struct snats_node *nd, struct rd_err *err)
{
	struct json_doc doc;
	struct json_cap cap = { JSZ_VALUES_MAX, NULL };
	const struct json_val *root, *v, *st, *s;
	int ret = 0;

	memset(nd, 0, sizeof(*nd));
	json_doc_init(&doc);
	if (!(root = json_parse_cap(&doc, varz, vlen, &cap, NULL, err)))
		goto bad;
	if (!(v = json_get(root, "server_name")) || v->type != JSON_STRING ||
	    !v->len || v->len >= sizeof(nd->name)) {
		ret = rd_err_set(err, RD_E_INVAL, "/varz has no server_name");
		goto out;
	}
	memcpy(nd->name, v->str, v->len + 1);
	if (!(root = json_parse_cap(&doc, jsz, jlen, &cap, NULL, err)))
		goto bad;
	nd->answered = 1;
	if (!(s = jsz_stream(root, stream)))
		goto out;
	nd->has = 1;
	if ((v = json_get(json_get(s, "cluster"), "leader")) &&
	    v->type == JSON_STRING && v->len < sizeof(nd->leader))
		memcpy(nd->leader, v->str, v->len + 1);
	st = json_get(s, "state");
	if (u64_of(json_get(st, "messages"), &nd->msgs) < 0 ||
	    u64_of(json_get(st, "bytes"), &nd->bytes) < 0 ||
	    u64_of(json_get(st, "first_seq"), &nd->first) < 0 ||
	    u64_of(json_get(st, "last_seq"), &nd->last) < 0) {
		ret = rd_err_set(err, RD_E_INVAL, "/jsz: stream %s has no whole state", stream);
		goto out;
	}
	if ((v = json_get(json_get(st, "lost"), "msgs")) && v->type == JSON_ARRAY)
		nd->lost = v->count;
	goto out;
bad:
	ret = RD_E_INVAL;
out:
	json_doc_release(&doc);
	return ret;
}

int snats_node_diff(const struct snats_node *nd, const struct snats_node *ld,
		    char *out, size_t n)
{
	if (!nd->answered) {
		snprintf(out, n, "did not answer: %s", nd->why);
		return 1;
	}
	if (!nd->has) {
		snprintf(out, n, "holds no replica of the stream");
		return 1;
	}
	if (nd->lost) {
		snprintf(out, n, "lost %llu messages", (unsigned long long)nd->lost);
		return 1;
	}
	if (nd == ld)
		return 0;
	if (nd->last > ld->last) {
		snprintf(out, n, "diverged: holds sequences up to %llu, past the leader's last, %llu",
			 (unsigned long long)nd->last, (unsigned long long)ld->last);
		return 1;
	}
	if (nd->last < ld->last) {
		snprintf(out, n, "behind the leader: last sequence %llu of %llu (%llu messages, the leader %llu)",
			 (unsigned long long)nd->last, (unsigned long long)ld->last,
			 (unsigned long long)nd->msgs, (unsigned long long)ld->msgs);
		return 1;
	}
	if (nd->msgs != ld->msgs || nd->bytes != ld->bytes || nd->first != ld->first) {
		snprintf(out, n, "diverged: %llu messages, %llu bytes from sequence %llu; the leader %llu messages, %llu bytes from %llu, both to %llu",
			 (unsigned long long)nd->msgs, (unsigned long long)nd->bytes,
			 (unsigned long long)nd->first, (unsigned long long)ld->msgs,
			 (unsigned long long)ld->bytes, (unsigned long long)ld->first,
			 (unsigned long long)ld->last);
		return 1;
	}
	return 0;
}

/* GET base + path into body: 0, or why not in why. */
static int fetch(const char *base, const char *path, struct buf *body,
		 char *why, size_t wn)
{
	struct http_opts o;
	struct http_once res;
	struct http_req q;
	struct buf url;
	struct rd_err err;
	size_t bl = strlen(base);
	int ret = -1;

	http_opts_init(&o);
	o.timeout_ms = MONITOR_TIMEOUT_MS;
	o.connect_timeout_ms = MONITOR_TIMEOUT_MS;
	o.keep_response = 1;
	buf_init(&url);
	buf_add(&url, base, bl && base[bl - 1] == '/' ? bl - 1 : bl);
	buf_adds(&url, path);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.method_len = 3;
	q.url = url.data;
	http_once_init(&res);
	if (http_once(&o, &q, &res, &err) < 0)
		snprintf(why, wn, "%.180s", err.msg);
	else if (res.err != HTTP_ERR_NONE)
		snprintf(why, wn, "%.180s", res.errmsg);
	else if (res.status != 200)
		snprintf(why, wn, "HTTP %d for %s", res.status, path);
	else {
		buf_reset(body);
		buf_add(body, res.body.data ? res.body.data : "", res.body.len);
		ret = 0;
	}
	http_once_release(&res);
	buf_release(&url);
	return ret;
}

/* Each monitoring endpoint's view of the stream, into nodes[i]; again,
 * only of those that answered (one that does not costs its timeout). */
static void read_nodes(const struct snats *n, struct snats_node *nodes, int again)
{
	struct buf varz, jsz;
	struct rd_err err;

	buf_init(&varz);
	buf_init(&jsz);
	for (size_t i = 0; i < n->o.nats.nmonitors; i++) {
		struct snats_node *nd = &nodes[i];
		char why[sizeof(nd->why)];

		if (again && !nd->answered)
			continue;
		if (fetch(n->o.nats.monitors[i], "/varz", &varz, why, sizeof(why)) < 0 ||
		    fetch(n->o.nats.monitors[i], "/jsz?accounts=true&streams=true",
			  &jsz, why, sizeof(why)) < 0) {
			memset(nd, 0, sizeof(*nd));
			snprintf(nd->why, sizeof(nd->why), "%s", why);
			continue;
		}
		if (snats_node_parse(varz.data, varz.len, jsz.data, jsz.len,
				     n->stream, nd, &err) < 0) {
			memset(nd, 0, sizeof(*nd));
			snprintf(nd->why, sizeof(nd->why), "%.180s", err.msg);
		}
	}
	buf_release(&varz);
	buf_release(&jsz);
}

/* Whether server name is one of the stream's peers (leader or replica). */
static int peer_of(const jsStreamInfo *si, const char *name)
{
	if (!si->Cluster)
		return 1;
	if (si->Cluster->Leader && strcmp(si->Cluster->Leader, name) == 0)
		return 1;
	for (int i = 0; i < si->Cluster->ReplicasLen; i++)
		if (strcmp(si->Cluster->Replicas[i]->Name, name) == 0)
			return 1;
	return 0;
}

/* One round over the servers: how many differ from the leader (whose
 * own view, when one of them, is the reference; else the API's). */
static size_t compare(const struct snats *n, const jsStreamInfo *si,
		      struct snats_node *nodes, char (*why)[256], int again)
{
	struct snats_node api, *ld = &api;
	size_t bad = 0;

	memset(&api, 0, sizeof(api));
	api.answered = api.has = 1;
	api.msgs = si->State.Msgs;
	api.bytes = si->State.Bytes;
	api.first = si->State.FirstSeq;
	api.last = si->State.LastSeq;
	read_nodes(n, nodes, again);
	for (size_t i = 0; i < n->o.nats.nmonitors; i++)
		if (nodes[i].has && si->Cluster && si->Cluster->Leader &&
		    strcmp(nodes[i].name, si->Cluster->Leader) == 0)
			ld = &nodes[i];
	for (size_t i = 0; i < n->o.nats.nmonitors; i++) {
		why[i][0] = '\0';
		/* a server outside the stream's peers holds none: fine */
		if (nodes[i].answered && !nodes[i].has && !peer_of(si, nodes[i].name))
			continue;
		bad += (size_t)snats_node_diff(&nodes[i], ld, why[i], sizeof(why[i]));
	}
	return bad;
}

static void finding(void (*found)(void *ctx, const struct spool_finding *f),
		    void *ctx, const char *where, const char *what, int64_t lost)
{
	struct spool_finding f;

	memset(&f, 0, sizeof(f));
	f.where = where;
	f.no_offset = 1;
	f.lost = lost;
	f.what = what;
	found(ctx, &f);
}

/* The stream's info read again while it has no leader or a replica
 * offline or not current, up to SETTLE_TRIES times; *si is the last. */
static int settle_peers(struct snats *n, jsStreamInfo **si, struct rd_err *err)
{
	int ret;

	for (int t = 0; t < SETTLE_TRIES; t++) {
		int off = (*si)->Cluster && !(*si)->Cluster->Leader;

		for (int i = 0; (*si)->Cluster && i < (*si)->Cluster->ReplicasLen; i++) {
			const jsPeerInfo *p = (*si)->Cluster->Replicas[i];

			off += p->Offline || !p->Current;
		}
		if (!off || t + 1 == SETTLE_TRIES)
			return 0;
		clk_sleep_ms(SETTLE_MS);
		jsStreamInfo_Destroy(*si);
		*si = NULL;
		if ((ret = snats_stream_info(n, si, 0, err)) < 0)
			return ret;
	}
	return 0;
}

int snats_verify(void *impl, void (*found)(void *ctx, const struct spool_finding *f),
		 void *ctx, struct spool_verify_stats *st, struct rd_err *err)
{
	struct snats *n = impl;
	size_t nm = n->o.nats.nmonitors;
	struct snats_node *nodes = nm ? xcalloc(nm, sizeof(*nodes)) : NULL;
	char (*why)[256] = nm ? xcalloc(nm, sizeof(*why)) : NULL;
	char where[SNATS_STREAM_MAX + 160], what[160], shown[256];
	jsStreamInfo *si = NULL;
	int ret;

	memset(st, 0, sizeof(*st));
	if ((ret = snats_stream_info(n, &si, 0, err)) < 0 ||
	    (ret = settle_peers(n, &si, err)) < 0)
		goto out;
	st->records = si->State.Msgs;
	st->bytes = si->State.Bytes;
	for (int i = 0; si->State.Lost && i < si->State.Lost->MsgsLen; i++) {
		snprintf(where, sizeof(where), "stream %s, sequence %llu", n->stream,
			 (unsigned long long)si->State.Lost->Msgs[i]);
		finding(found, ctx, where, "message lost by the server", 1);
		st->findings++;
	}
	if (si->Cluster && !si->Cluster->Leader) {
		snprintf(where, sizeof(where), "stream %s", n->stream);
		finding(found, ctx, where, "no leader (an election may be under way)", 0);
		st->findings++;
	}
	for (int i = 0; si->Cluster && si->Cluster->Leader &&
			i < si->Cluster->ReplicasLen; i++) {
		const jsPeerInfo *p = si->Cluster->Replicas[i];

		if (p->Current && !p->Offline)
			continue;
		snprintf(where, sizeof(where), "stream %s, replica %s", n->stream, p->Name);
		snprintf(what, sizeof(what), "%s, the leader (%s) reports it %llu operations behind",
			 p->Offline ? "offline" : "not current", si->Cluster->Leader,
			 (unsigned long long)p->Lag);
		finding(found, ctx, where, what, 0);
		st->findings++;
	}
	for (int t = 0; nm && compare(n, si, nodes, why, t > 0) && t + 1 < SETTLE_TRIES; t++)
		clk_sleep_ms(SETTLE_MS);
	for (size_t i = 0; i < nm; i++) {
		st->replicas += nodes[i].has;
		if (!why[i][0])
			continue;
		if (nodes[i].name[0])
			snprintf(where, sizeof(where), "stream %s, server %s", n->stream, nodes[i].name);
		else
			snprintf(where, sizeof(where), "stream %s, monitor %s", n->stream,
				 redact_url_to(n->o.nats.monitors[i], shown, sizeof(shown)));
		finding(found, ctx, where, why[i], 0);
		st->findings++;
	}
out:
	jsStreamInfo_Destroy(si);
	free(nodes);
	free(why);
	return ret;
}
