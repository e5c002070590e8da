/*
 * rec.c - record schema v1: validation, parsing and the canonical JSON
 * line of requests, and the line writer every kind shares (rec_line.h).
 * Events are rec_event.c, run lines rec_run.c, ids and timestamps
 * rec_id.c.  See rec.h and redrive-spool(5).
 *
 * Deliberately not here: reading or writing files (spool), batching
 * (capture), and any notion of pending state (replay folds events).
 */
#include "rec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "rec_line.h"
#include "num.h"
#include "xalloc.h"
#include "banned.h"

void rec_parser_init(struct rec_parser *p)
{
	json_doc_init(&p->doc);
	buf_init(&p->body);
	p->hdrs = NULL;
	p->hcap = 0;
	p->tags = NULL;
	p->tcap = 0;
}

void rec_parser_release(struct rec_parser *p)
{
	if (!p)
		return;
	json_doc_release(&p->doc);
	buf_release(&p->body);
	free(p->hdrs);
	free(p->tags);
	rec_parser_init(p);
}

/* RFC 9110 tchar. */
static int tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int token_valid(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

int rec_method_valid(const char *s, size_t n)
{
	return token_valid(s, n, 32);
}

int rec_hdr_name_valid(const char *s, size_t n)
{
	return token_valid(s, n, REC_MAX_HDR_NAME);
}

int rec_hdr_value_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int prefix_ci(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && strncasecmp(s, pre, k) == 0;
}

/* The port after the colon at s[colon], up to end: 1 to 65535. */
static int port_valid(const char *s, size_t colon, size_t end)
{
	long port = 0;

	if (colon + 1 == end || end - colon - 1 > 5)
		return 0;
	for (size_t a = colon + 1; a < end; a++) {
		if (s[a] < '0' || s[a] > '9')
			return 0;
		port = port * 10 + (s[a] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* Where the host of s[i..end) ends (before a ":port", or at end); 0 when
 * it is no host: a bracketed IPv6 literal, or a name of the characters
 * a host may hold. */
static size_t host_end(const char *s, size_t i, size_t end)
{
	size_t h;

	if (s[i] == '[') {
		for (h = i + 1; h < end && s[h] != ']'; h++)
			if (!strchr("0123456789abcdefABCDEF:.", s[h]))
				return 0;
		if (h >= end || h == i + 1)
			return 0;
		h++;
		return h < end && s[h] != ':' ? 0 : h;
	}
	for (h = i; h < end && s[h] != ':'; h++) {
		unsigned char c = (unsigned char)s[h];

		if (!(tchar(c) && !strchr("!*'|`^#$&+", c)))
			return 0;
	}
	return h == i ? 0 : h;
}

const char *rec_url_why(const char *s, size_t n)
{
	size_t i, a, end, h;

	if (n > REC_MAX_URL)
		return "longer than 8192 bytes";
	if (prefix_ci(s, n, "http://"))
		i = 7;
	else if (prefix_ci(s, n, "https://"))
		i = 8;
	else
		return "not an absolute http or https URL";
	/* Printable ASCII only: no spaces, controls or raw UTF-8. */
	for (a = 0; a < n; a++)
		if ((unsigned char)s[a] <= 0x20 || (unsigned char)s[a] >= 0x7f)
			return "a space, a control byte or a byte that is not ASCII (percent-encode it)";
	for (end = i; end < n && s[end] != '/' && s[end] != '?' && s[end] != '#';
	     end++)
		;
	/* userinfo@ is allowed (and redacted on display). */
	for (a = end; a > i; a--)
		if (s[a - 1] == '@') {
			i = a;
			break;
		}
	if (i >= end || !(h = host_end(s, i, end)))
		return "no valid host";
	if (h < end && !port_valid(s, h, end))
		return "the port is not 1 to 65535";
	return NULL;
}

int rec_url_valid(const char *s, size_t n)
{
	return rec_url_why(s, n) == NULL;
}

static int ftype_valid(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

int rec_idem_key_valid(struct rec_str k)
{
	return k.n <= 256 && rec_hdr_value_valid(k.p, k.n) &&
	       json_utf8_check(k.p, k.n) < 0;
}

int rec_req_validate(const struct rec_req *r, struct rd_err *err)
{
	const char *why;
	size_t i;
	long bad;

	if (!rec_method_valid(r->method.p, r->method.n))
		return rd_err_set(err, RD_E_INVAL,
				  "field 'method': not an HTTP method token");
	if ((why = rec_url_why(r->url.p, r->url.n)))
		return rd_err_set(err, RD_E_INVAL, "field 'url': %s", why);
	if (r->nhdrs > REC_MAX_HEADERS)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'headers': more than %d headers",
				  REC_MAX_HEADERS);
	for (i = 0; i < r->nhdrs; i++) {
		const struct hdr *h = &r->hdrs[i];

		if (h->value_len > REC_MAX_HDR_VALUE)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'headers' entry %zu ('%.*s'): value longer than %d bytes",
					  i + 1, (int)(h->name_len > 64 ? 64 : h->name_len),
					  h->name, REC_MAX_HDR_VALUE);
		if (!rec_hdr_name_valid(h->name, h->name_len))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'headers' entry %zu: name is not a token",
					  i + 1);
		if (!rec_hdr_value_valid(h->value, h->value_len))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'headers' entry %zu ('%.*s'): value contains CR, LF, NUL or another control byte",
					  i + 1, (int)(h->name_len > 64 ? 64 : h->name_len),
					  h->name);
		/* a record is JSON: bytes that are not UTF-8 would make it
		 * one every reader skips */
		if ((bad = json_utf8_check(h->value, h->value_len)) >= 0)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'headers' entry %zu ('%.*s'): value is not valid UTF-8 at byte %ld",
					  i + 1, (int)(h->name_len > 64 ? 64 : h->name_len),
					  h->name, bad);
	}
	if (!ftype_valid(r->fail_type.p, r->fail_type.n))
		return rd_err_set(err, RD_E_INVAL,
				  "field 'failure.type': use 1 to 64 of [a-z0-9_.-]");
	if (r->fail_status < 0 || r->fail_status > 999)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'failure.status': must be 0 to 999");
	if (r->attempts < 0 || r->attempts > 1000000)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'attempts': must be 0 to 1000000");
	if (!rec_idem_key_valid(r->idem_key))
		return rd_err_set(err, RD_E_INVAL,
				  "field 'idempotency_key': at most 256 bytes of UTF-8, no control bytes");
	if ((bad = json_utf8_check(r->fail_msg.p, r->fail_msg.n)) >= 0)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'failure.message': not valid UTF-8 at byte %ld", bad);
	if (r->ntags > REC_MAX_TAGS)
		return rd_err_set(err, RD_E_INVAL, "field 'tags': more than %d tags",
				  REC_MAX_TAGS);
	for (i = 0; i < r->ntags; i++) {
		if (r->tags[i].key.n == 0 || r->tags[i].key.n > REC_MAX_TAG_KEY)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'tags': keys must be 1 to %d bytes",
					  REC_MAX_TAG_KEY);
		if (r->tags[i].value.n > REC_MAX_TAG_VALUE)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'tags.%.*s': value longer than %d bytes",
					  (int)r->tags[i].key.n, r->tags[i].key.p,
					  REC_MAX_TAG_VALUE);
	}
	return 0;
}

int rec_tag_parse(const char *arg, struct rec_tag *t, struct rd_err *err)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return rd_err_set(err, RD_E_INVAL, "'%s' is not KEY=VALUE", arg);
	t->key.p = arg;
	t->key.n = (size_t)(eq - arg);
	t->value.p = eq + 1;
	t->value.n = strlen(eq + 1);
	if (json_utf8_check(arg, strlen(arg)) >= 0)
		return rd_err_set(err, RD_E_INVAL, "'%s' is not valid UTF-8", arg);
	return 0;
}

/* --- JSON input --- */

int rec_line_want_string(const struct json_val *v, const char *field,
			 struct rec_str *out, struct rd_err *err)
{
	if (v->type != JSON_STRING)
		return rd_err_set(err, RD_E_INVAL,
				  "field '%s': must be a string", field);
	out->p = v->str;
	out->n = v->len;
	return 0;
}

static void grow_hdrs(struct rec_parser *p, size_t n)
{
	if (n > p->hcap) {
		p->hcap = n < 16 ? 16 : n;
		p->hdrs = xrealloc(p->hdrs, p->hcap * sizeof(*p->hdrs));
	}
}

int rec_line_headers(struct rec_parser *p, const struct json_val *v,
		     struct rec_req *r, struct rd_err *err)
{
	const struct json_val *c;
	size_t i = 0;

	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'headers': must be an array of [name, value] pairs or an object");
	if (v->count > REC_MAX_HEADERS)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'headers': more than %d headers",
				  REC_MAX_HEADERS);
	grow_hdrs(p, v->count);
	for (c = v->child; c; c = c->next, i++) {
		struct hdr *h = &p->hdrs[i];

		if (v->type == JSON_OBJECT) {
			h->name = c->key;
			h->name_len = c->keylen;
			if (c->type != JSON_STRING)
				return rd_err_set(err, RD_E_INVAL,
						  "field 'headers.%.*s': value must be a string",
						  (int)(c->keylen > 64 ? 64 : c->keylen),
						  c->key);
			h->value = c->str;
			h->value_len = c->len;
			continue;
		}
		if (c->type != JSON_ARRAY || c->count != 2 ||
		    c->child->type != JSON_STRING ||
		    c->child->next->type != JSON_STRING)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'headers' entry %zu: must be a [name, value] pair of strings",
					  i + 1);
		h->name = c->child->str;
		h->name_len = c->child->len;
		h->value = c->child->next->str;
		h->value_len = c->child->next->len;
	}
	r->hdrs = p->hdrs;
	r->nhdrs = i;
	return 0;
}

static int parse_tags(struct rec_parser *p, const struct json_val *v,
		      int stored, struct rec_req *r, struct rd_err *err)
{
	const struct json_val *c;
	size_t i = 0;

	if (v->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'tags': must be an object of strings");
	if (v->count > REC_MAX_TAGS)
		return rd_err_set(err, RD_E_INVAL, "field 'tags': more than %d tags",
				  REC_MAX_TAGS);
	if (v->count > p->tcap) {
		p->tcap = v->count < 8 ? 8 : v->count;
		p->tags = xrealloc(p->tags, p->tcap * sizeof(*p->tags));
	}
	for (c = v->child; c; c = c->next, i++) {
		if (c->type != JSON_STRING)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'tags.%.*s': must be a string",
					  (int)(c->keylen > 64 ? 64 : c->keylen),
					  c->key);
		/* given twice: refused as any field is (at most 100 tags) */
		for (size_t k = 0; !stored && k < i; k++)
			if (p->tags[k].key.n == c->keylen &&
			    memcmp(p->tags[k].key.p, c->key, c->keylen) == 0)
				return rd_err_set(err, RD_E_INVAL, "field 'tags.%.*s' given twice",
						  (int)(c->keylen > 64 ? 64 : c->keylen), c->key);
		p->tags[i].key.p = c->key;
		p->tags[i].key.n = c->keylen;
		p->tags[i].value.p = c->str;
		p->tags[i].value.n = c->len;
	}
	r->tags = p->tags;
	r->ntags = i;
	return 0;
}

/* A field given twice in input is refused, as an unknown one is,
 * instead of the last one silently winning: keys (NULL-ended) are the
 * fields an object may hold, *seen the ones it gave so far.  A few
 * compares a field, however many fields a line holds. */
static int once(const char *const *keys, const struct json_val *c,
		unsigned *seen, const char *path, struct rd_err *err)
{
	for (unsigned i = 0; keys[i]; i++)
		if (strcmp(c->key, keys[i]) == 0) {
			if (*seen & (1u << i))
				return rd_err_set(err, RD_E_INVAL, "field '%s%s' given twice",
						  path, keys[i]);
			*seen |= 1u << i;
			break;
		}
	return 0;
}

static int parse_failure(const struct json_val *v, struct rec_req *r,
			 int stored, struct rd_err *err)
{
	static const char *const failure_keys[] = { "type", "status", "message", NULL };
	const struct json_val *c;
	unsigned given = 0;
	long long st;

	if (v->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'failure': must be an object");
	for (c = v->child; c; c = c->next) {
		if (!stored && once(failure_keys, c, &given, "failure.", err) < 0)
			return RD_E_INVAL;
		if (c->type == JSON_NULL)
			continue;
		if (strcmp(c->key, "type") == 0) {
			if (rec_line_want_string(c, "failure.type", &r->fail_type, err))
				return RD_E_INVAL;
		} else if (strcmp(c->key, "status") == 0) {
			if (json_int(c, 0, 999, &st))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'failure.status': must be an integer 0 to 999");
			r->fail_status = (int)st;
		} else if (strcmp(c->key, "message") == 0) {
			if (rec_line_want_string(c, "failure.message", &r->fail_msg, err))
				return RD_E_INVAL;
		} else if (!stored) {
			return rd_err_set(err, RD_E_INVAL,
					  "unknown field 'failure.%.*s'",
					  (int)(c->keylen > 64 ? 64 : c->keylen),
					  c->key);
		}
	}
	return 0;
}

/*
 * One line as a JSON document no larger than a record can be: a line of
 * more values is refused before its tree is built whole, so 1.5 million
 * headers in 15 MB of input cost no more memory than 200 (see rec.h).
 */
const struct json_val *rec_line_doc(struct rec_parser *p, const char *text,
				    size_t n, struct rd_err *err)
{
	struct json_cap cap = { REC_MAX_VALUES, NULL };
	const struct json_val *root;
	struct rd_err jerr;

	if ((root = json_parse_cap(&p->doc, text, n, &cap, NULL, &jerr)))
		return root;
	if (jerr.code != RD_E_FULL)
		rd_err_set(err, RD_E_INVAL, "invalid JSON: %s", jerr.msg);
	else if (cap.over_key && strcmp(cap.over_key, "headers") == 0)
		rd_err_set(err, RD_E_INVAL, "field 'headers': more than %d headers",
			   REC_MAX_HEADERS);
	else if (cap.over_key && strcmp(cap.over_key, "tags") == 0)
		rd_err_set(err, RD_E_INVAL, "field 'tags': more than %d tags",
			   REC_MAX_TAGS);
	else if (cap.over_key)
		rd_err_set(err, RD_E_INVAL, "field '%.64s': more than %d JSON values, more than a record holds",
			   cap.over_key, REC_MAX_VALUES);
	else
		rd_err_set(err, RD_E_INVAL, "more than %d JSON values, more than a record holds",
			   REC_MAX_VALUES);
	return NULL;
}

/* What a request line has given so far. */
struct req_seen {
	int body, method, url;
	unsigned given;          /* input: the fields given (once) */
};

/* "body" or "body_b64" (they exclude each other); a base64 body is
 * decoded into p. */
static int req_body(struct rec_parser *p, const struct json_val *c,
		    struct rec_req *r, struct req_seen *seen, struct rd_err *err)
{
	struct rd_err berr;

	if (seen->body++)
		return rd_err_set(err, RD_E_INVAL,
				  "fields 'body' and 'body_b64' exclude each other");
	if (strcmp(c->key, "body") == 0)
		return rec_line_want_string(c, "body", &r->body, err) ? RD_E_INVAL : 0;
	if (c->type != JSON_STRING)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'body_b64': must be a string");
	if (b64_decode(&p->body, c->str, c->len, &berr))
		return rd_err_set(err, RD_E_INVAL, "field 'body_b64': %s", berr.msg);
	r->body.p = p->body.data ? p->body.data : "";
	r->body.n = p->body.len;
	return 0;
}

/* The fields a stored line has beyond the request: v, kind, id, and
 * captured_at; with stored == 0, any other field is refused.  0, or
 * RD_E_INVAL. */
static int req_meta(const struct json_val *c, int stored, struct rec_req *r,
		    struct rd_err *err)
{
	const char *k = c->key;
	long long iv;

	if (strcmp(k, "captured_at") == 0) {
		if (c->type != JSON_STRING ||
		    rec_time_parse(c->str, c->len, &r->captured_ms))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'captured_at': must be an RFC 3339 timestamp");
		r->has_captured = 1;
	} else if (strcmp(k, "v") == 0) {
		if (json_int(c, REC_SCHEMA, REC_SCHEMA, &iv))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'v': schema version %d expected",
					  REC_SCHEMA);
	} else if (strcmp(k, "kind") == 0) {
		if (c->type != JSON_STRING || strcmp(c->str, "request"))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'kind': must be \"request\"");
	} else if (strcmp(k, "id") == 0) {
		if (!stored)
			return rd_err_set(err, RD_E_INVAL,
					  "field 'id': ids are assigned by rd-capture; put an external id in 'idempotency_key' or 'tags'");
		if (c->type != JSON_STRING || !rec_id_valid(c->str, c->len))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'id': not a record id");
		memcpy(r->id, c->str, REC_ID_LEN + 1);
	} else if (!stored) {
		return rd_err_set(err, RD_E_INVAL, "unknown field '%.*s'",
				  (int)(c->keylen > 64 ? 64 : c->keylen), k);
	}
	return 0;
}

/* One field of a request line.  0, or RD_E_INVAL. */
static int req_field(struct rec_parser *p, const struct json_val *c,
		     int stored, struct rec_req *r, struct req_seen *seen,
		     struct rd_err *err)
{
	static const char *const keys[] = {
		"method", "url", "headers", "body", "body_b64", "failure",
		"attempts", "idempotency_key", "tags", "captured_at", "v",
		"kind", "id", NULL
	};
	const char *k = c->key;
	long long iv;

	if (!stored && once(keys, c, &seen->given, "", err) < 0)
		return RD_E_INVAL;
	/* null is absent, as jq writes a missing field ({body} of a line
	 * that has none); method and url must be there */
	if (c->type == JSON_NULL && strcmp(k, "method") && strcmp(k, "url"))
		return 0;
	if (strcmp(k, "method") == 0) {
		seen->method = 1;
		return rec_line_want_string(c, "method", &r->method, err) ? RD_E_INVAL : 0;
	}
	if (strcmp(k, "url") == 0) {
		seen->url = 1;
		return rec_line_want_string(c, "url", &r->url, err) ? RD_E_INVAL : 0;
	}
	if (strcmp(k, "headers") == 0)
		return rec_line_headers(p, c, r, err) ? RD_E_INVAL : 0;
	if (strcmp(k, "body") == 0 || strcmp(k, "body_b64") == 0)
		return req_body(p, c, r, seen, err);
	if (strcmp(k, "failure") == 0)
		return parse_failure(c, r, stored, err) ? RD_E_INVAL : 0;
	if (strcmp(k, "attempts") == 0) {
		if (json_int(c, 0, 1000000, &iv))
			return rd_err_set(err, RD_E_INVAL,
					  "field 'attempts': must be an integer 0 to 1000000");
		r->attempts = iv;
		return 0;
	}
	if (strcmp(k, "idempotency_key") == 0)
		return rec_line_want_string(c, "idempotency_key", &r->idem_key,
					    err) ? RD_E_INVAL : 0;
	if (strcmp(k, "tags") == 0)
		return parse_tags(p, c, stored, r, err) ? RD_E_INVAL : 0;
	return req_meta(c, stored, r, err);
}

int rec_req_parse(struct rec_parser *p, const char *text, size_t n,
		  int stored, struct rec_req *r, struct rd_err *err)
{
	const struct json_val *root, *c;
	struct req_seen seen = { 0, 0, 0, 0 };

	memset(r, 0, sizeof(*r));
	if (!(root = rec_line_doc(p, text, n, err)))
		return RD_E_INVAL;
	if (root->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL, "a record must be a JSON object");
	buf_reset(&p->body);
	for (c = root->child; c; c = c->next)
		if (req_field(p, c, stored, r, &seen, err) < 0)
			return RD_E_INVAL;
	if (!seen.method)
		return rd_err_set(err, RD_E_INVAL, "field 'method': missing");
	if (!seen.url)
		return rd_err_set(err, RD_E_INVAL, "field 'url': missing");
	if (stored && !r->id[0])
		return rd_err_set(err, RD_E_INVAL, "field 'id': missing");
	if (!r->fail_type.p) {
		r->fail_type.p = "unknown";
		r->fail_type.n = 7;
	}
	if (!r->body.p) {
		r->body.p = "";
		r->body.n = 0;
	}
	return rec_req_validate(r, err);
}

/* --- canonical output --- */

void rec_line_key(struct buf *b, const char *k)
{
	buf_addc(b, ',');
	buf_addc(b, '"');
	buf_adds(b, k);
	buf_adds(b, "\":");
}

void rec_line_time(struct buf *b, const char *k, int64_t ms)
{
	char t[REC_TIME_LEN + 1];

	rec_time_fmt(ms, t);
	rec_line_key(b, k);
	buf_addc(b, '"');
	buf_add(b, t, REC_TIME_LEN);
	buf_addc(b, '"');
}

void rec_line_str(struct buf *b, const char *k, struct rec_str s)
{
	rec_line_key(b, k);
	json_add_str(b, s.p, s.n);
}

void rec_line_head(struct buf *b, const char *kind, const char *id)
{
	buf_adds(b, REC_LINE_PREFIX);
	buf_adds(b, kind);
	buf_adds(b, "\",\"id\":\"");
	buf_add(b, id, REC_ID_LEN);
	buf_addc(b, '"');
}

/* Text when the bytes are UTF-8, so `jq .body` reads it; base64
 * otherwise.  Either way the bytes replayed are the bytes captured. */
void rec_line_body(struct buf *b, struct rec_str body)
{
	if (json_utf8_check(body.p, body.n) < 0) {
		rec_line_str(b, "body", body);
	} else {
		rec_line_key(b, "body_b64");
		buf_addc(b, '"');
		b64_encode(b, body.p, body.n);
		buf_addc(b, '"');
	}
}

void rec_req_to_json(struct buf *out, const struct rec_req *r)
{
	size_t i;

	rec_line_head(out, "request", r->id);
	rec_line_time(out, "captured_at", r->captured_ms);
	rec_line_str(out, "method", r->method);
	rec_line_str(out, "url", r->url);
	rec_line_key(out, "headers");
	buf_addc(out, '[');
	for (i = 0; i < r->nhdrs; i++) {
		if (i)
			buf_addc(out, ',');
		buf_addc(out, '[');
		json_add_str(out, r->hdrs[i].name, r->hdrs[i].name_len);
		buf_addc(out, ',');
		json_add_str(out, r->hdrs[i].value, r->hdrs[i].value_len);
		buf_addc(out, ']');
	}
	buf_addc(out, ']');
	rec_line_body(out, r->body);
	rec_line_key(out, "failure");
	buf_adds(out, "{\"type\":");
	json_add_str(out, r->fail_type.p, r->fail_type.n);
	if (r->fail_status)
		buf_addf(out, ",\"status\":%d", r->fail_status);
	if (r->fail_msg.n) {
		buf_adds(out, ",\"message\":");
		json_add_str(out, r->fail_msg.p, r->fail_msg.n);
	}
	buf_addc(out, '}');
	buf_addf(out, ",\"attempts\":%lld", r->attempts);
	if (r->idem_key.n) {
		rec_line_str(out, "idempotency_key", r->idem_key);
	} else {
		struct rec_str k = { r->id, REC_ID_LEN };

		rec_line_str(out, "idempotency_key", k);
	}
	if (r->ntags) {
		rec_line_key(out, "tags");
		buf_addc(out, '{');
		for (i = 0; i < r->ntags; i++) {
			if (i)
				buf_addc(out, ',');
			json_add_str(out, r->tags[i].key.p, r->tags[i].key.n);
			buf_addc(out, ':');
			json_add_str(out, r->tags[i].value.p, r->tags[i].value.n);
		}
		buf_addc(out, '}');
	}
	buf_adds(out, "}\n");
}

const char *rec_request_id_peek(const char *line, size_t n)
{
	static const char pre[] = REC_LINE_PREFIX "request\",\"id\":\"";
	const size_t k = sizeof(pre) - 1;

	if (n <= k + REC_ID_LEN || memcmp(line, pre, k) != 0 ||
	    line[k + REC_ID_LEN] != '"' || !rec_id_valid(line + k, REC_ID_LEN))
		return NULL;
	return line + k;
}

enum rec_kind rec_kind_peek(const char *line, size_t n)
{
	static const char pre[] = REC_LINE_PREFIX;
	const size_t k = sizeof(pre) - 1;

	if (n < k + 4 || memcmp(line, pre, k) != 0)
		return REC_UNKNOWN;
	line += k;
	n -= k;
	if (n >= 8 && memcmp(line, "request\"", 8) == 0)
		return REC_REQUEST;
	if (n >= 8 && memcmp(line, "attempt\"", 8) == 0)
		return REC_ATTEMPT;
	if (n >= 5 && memcmp(line, "dead\"", 5) == 0)
		return REC_DEAD;
	if (n >= 7 && memcmp(line, "revive\"", 7) == 0)
		return REC_REVIVE;
	if (n >= 7 && memcmp(line, "intent\"", 7) == 0)
		return REC_INTENT;
	if (n >= 9 && memcmp(line, "withdraw\"", 9) == 0)
		return REC_WITHDRAW;
	return REC_UNKNOWN;
}
