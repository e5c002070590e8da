/*
 * rec.h - the record schema, version 1: request records and the attempt,
 * dead and revive events that share the log with them.
 *
 * One canonical JSON line per record, keys in a fixed order, so every
 * writer produces the same bytes for the same record and readers can peek
 * at the kind from the line prefix.  redrive-spool(5) is the normative
 * description; this module is its one implementation.
 *
 * Invariants: a stored request always has an id (ULID: 26 Crockford base32
 * characters, time-ordered), a captured_at, a valid method and absolute
 * http(s) URL, headers free of CR, LF and NUL, and an idempotency key.
 * Strings in a struct rec_req are borrowed (from the parser's document or
 * the caller's buffers); nothing here performs I/O.
 */
#ifndef REC_H
#define REC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hdr.h"
#include "json.h"
#include "rd.h"

#define REC_SCHEMA 1
#define REC_ID_LEN 26
#define REC_ID_BIN 16 /* an id as 128 bits */
#define REC_TIME_LEN 24 /* 2026-11-23T12:34:56.789Z */

/*
 * The limits of one request record, the same for every input (NDJSON,
 * --jq output, the curl-like flags, raw HTTP) and for a record read back
 * from a spool: what servers take, with room to spare.  They also bound
 * what a record costs to read: a line is refused once it holds more JSON
 * values than a record within these limits can (REC_MAX_VALUES), before
 * its tree is built whole, whatever the line's size.
 */
#define REC_MAX_HEADERS 200          /* header fields */
#define REC_MAX_HDR_NAME 256         /* bytes of a header name */
#define REC_MAX_HDR_VALUE 65536      /* bytes of a header value */
#define REC_MAX_TAGS 100             /* tags */
#define REC_MAX_TAG_KEY 128          /* bytes of a tag key */
#define REC_MAX_TAG_VALUE 4096       /* bytes of a tag value */
/* Three per header ([name, value]), one per tag, and ample room for
 * the other fields, today's and those a later version may add. */
#define REC_MAX_VALUES (3 * REC_MAX_HEADERS + REC_MAX_TAGS + 1024)

struct rec_str {
	const char *p;
	size_t n;
};

struct rec_tag {
	struct rec_str key, value;
};

struct rec_req {
	char id[REC_ID_LEN + 1];
	int64_t captured_ms;       /* Unix time in ms, UTC */
	int has_captured;          /* captured_ms was given (0 is 1970) */
	struct rec_str method, url;
	const struct hdr *hdrs;
	size_t nhdrs;
	struct rec_str body;       /* raw bytes, binary-safe */
	struct rec_str fail_type;  /* e.g. timeout, connect, http_503 */
	struct rec_str fail_msg;   /* may be empty */
	int fail_status;           /* HTTP status seen, 0 when none */
	long long attempts;        /* sends before capture */
	struct rec_str idem_key;   /* empty: the id is used */
	const struct rec_tag *tags;
	size_t ntags;
};

enum rec_kind {
	REC_UNKNOWN = 0,
	REC_REQUEST,
	REC_ATTEMPT,
	REC_DEAD,
	REC_REVIVE,
	REC_INTENT,                /* a send about to start: durable first */
	REC_WITHDRAW               /* an intent whose send never started */
};

/* What one attempt came to: the schema's "outcome" field, the one
 * vocabulary of outcomes (rd-replay classifies into it, everything that
 * reads events folds from it). */
enum rec_outcome {
	REC_OUT_OK = 0,            /* "ok": delivered */
	REC_OUT_RETRY,             /* "retry": try again at next_due */
	REC_OUT_PERMANENT          /* "permanent": no point; a dead event
				    * follows */
};

/* "ok", "retry" or "permanent". */
const char *rec_outcome_name(enum rec_outcome o);

struct rec_event {
	enum rec_kind kind;        /* REC_ATTEMPT, REC_DEAD, REC_REVIVE,
				    * REC_INTENT or REC_WITHDRAW */
	char id[REC_ID_LEN + 1];   /* the event's own id */
	char ref[REC_ID_LEN + 1];  /* the request it is about */
	int64_t at_ms;
	/* attempt, intent and withdraw */
	long long attempt;         /* 1-based number of this send */
	/* attempt only */
	enum rec_outcome outcome;
	int status;                /* 0 when no response */
	double latency_ms;
	struct rec_str error;      /* transport error, may be empty */
	int64_t next_due_ms;       /* retry: when it is due again; else 0 */
	/* attempt, optional: what the response said (events written before
	 * these fields existed have none; has_response is 0 then) */
	int has_response;
	struct rec_str status_line;/* "HTTP/1.1 503 Service Unavailable" */
	const struct hdr *resp_hdrs;
	size_t nresp_hdrs;
	struct rec_str resp_body;  /* the first bytes of the body, raw */
	int resp_truncated;        /* the body was longer than resp_body */
	/* dead and revive */
	struct rec_str reason;
	/* revive, optional */
	struct rec_str user;       /* who revived it; empty when not recorded */
	long long revives;         /* this is the record's n-th revive; 0 when
				    * not recorded (older events) */
};

/* Time-ordered id generator; monotonic within one generator even if the
 * wall clock steps back. */
struct rec_idgen {
	uint64_t last_ms;
	uint64_t key[2];         /* from getrandom: what makes this stream unique */
	unsigned char rnd[10];   /* random part of the last id */
};

/* Seed from getrandom(2).  Returns 0 or RD_E_IO. */
int rec_idgen_init(struct rec_idgen *g, struct rd_err *err);
/* Next id for wall-clock time now_ms, written NUL-terminated to out. */
void rec_id_next(struct rec_idgen *g, int64_t now_ms,
		 char out[REC_ID_LEN + 1]);
/* 1 when s[0..n) is a well-formed id, else 0. */
int rec_id_valid(const char *s, size_t n);
/* A valid id as 16 bytes and back; the byte order sorts like the text. */
void rec_id_pack(const char *id, unsigned char out[REC_ID_BIN]);
void rec_id_unpack(const unsigned char in[REC_ID_BIN],
		   char out[REC_ID_LEN + 1]);
/* The millisecond timestamp encoded in a valid id. */
int64_t rec_id_ms(const char *id);

/* Wall clock, ms since the epoch. */
int64_t rec_now_ms(void);
/* RFC 3339 UTC with milliseconds; out gets REC_TIME_LEN chars + NUL. */
void rec_time_fmt(int64_t ms, char out[REC_TIME_LEN + 1]);
/* The same to the second (2026-11-23T12:34:56Z), for a time kept only to
 * the second: no ".000" that would claim a precision it lacks. */
void rec_time_fmt_s(int64_t ms, char out[REC_TIME_LEN + 1]);
/* Parse RFC 3339 (Z or +hh:mm offset, optional fraction).  0 or -1. */
int rec_time_parse(const char *s, size_t n, int64_t *ms);

/* Parsing state reused across lines: JSON document, scratch arrays and
 * the decoded body.  Owns everything a parsed rec_req borrows. */
struct rec_parser {
	struct json_doc doc;
	struct buf body;
	struct hdr *hdrs;
	size_t hcap;
	struct rec_tag *tags;
	size_t tcap;
};

void rec_parser_init(struct rec_parser *p);
void rec_parser_release(struct rec_parser *p);

/*
 * Parse one request record from a JSON text.  With stored == 0 this is
 * capture input: "id" must be absent (rd-capture assigns it), unknown
 * fields are refused, defaults are filled (captured_at now is left 0 for
 * the caller).  With stored == 1 this is a line read back from a spool:
 * "id" is required and unknown fields are ignored for forward
 * compatibility.  The result borrows from p until the next call.
 * Errors are RD_E_INVAL with a message naming the field or byte offset.
 */
int rec_req_parse(struct rec_parser *p, const char *text, size_t n,
		  int stored, struct rec_req *r, struct rd_err *err);

/* A tag as the command line gives it, "KEY=VALUE", into *t, which
 * borrows from arg.  RD_E_INVAL, naming arg, when there is no key and
 * '=' or arg is not UTF-8. */
int rec_tag_parse(const char *arg, struct rec_tag *t, struct rd_err *err);

/* A key a record can hold: at most 256 bytes of UTF-8, no control byte. */
int rec_idem_key_valid(struct rec_str k);
/* Validate a request built by any input path (flags, raw HTTP, JSON). */
int rec_req_validate(const struct rec_req *r, struct rd_err *err);

/* Append the canonical JSON line of r, with its trailing newline. */
void rec_req_to_json(struct buf *out, const struct rec_req *r);

/* Append the canonical JSON line of an event, with its newline. */
void rec_event_to_json(struct buf *out, const struct rec_event *e);
/* Parse a stored event line.  Borrows from p until the next call. */
int rec_event_parse(struct rec_parser *p, const char *text, size_t n,
		    struct rec_event *e, struct rd_err *err);

/* The kind of a stored line from its canonical prefix, without parsing. */
enum rec_kind rec_kind_peek(const char *line, size_t n);
/* The id of a request line written in the canonical form (its id at the
 * fixed place after the prefix), without parsing: a pointer to its
 * REC_ID_LEN characters in line, or NULL for any other line (another
 * kind, or a request line to parse in full). */
const char *rec_request_id_peek(const char *line, size_t n);

/* Field checks shared with other input paths. */
int rec_method_valid(const char *s, size_t n);
int rec_url_valid(const char *s, size_t n);
/* What is wrong with URL s (NULL: nothing), for an error: "longer than
 * 8192 bytes", "the port is not 1 to 65535", ... */
#define REC_MAX_URL 8192
const char *rec_url_why(const char *s, size_t n);
int rec_hdr_name_valid(const char *s, size_t n);
/* 1 when a header value holds no CR, LF, NUL or other control byte
 * (HTAB allowed). */
int rec_hdr_value_valid(const char *s, size_t n);

#endif
