/*
 * replay_cli.c - rd-replay's own options (see replay_cli.h).
 *
 * Each group is a switch over its option ids that answers 1 when it took
 * the option, 0 when the option is another group's, and RD_E_INVAL with
 * the message when the value is bad; replay_cli_opt asks them in turn.
 * A value is checked where it is read, alone; what needs several options
 * at once waits for replay_cli_check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creq.h"
#include "json.h"
#include "pend.h"
#include "rec.h"
#include "redact.h"
#include "replay_cli.h"
#include "xalloc.h"
#include "banned.h"

static int parse_dur(const char *opt, const char *arg, uint64_t *out,
		     struct rd_err *err)
{
	struct rd_err why;

	if (cli_parse_duration(arg, out, &why) < 0)
		return cli_opt_bad(err, opt, &why);
	return 0;
}

/* -H 'N: V': appended to the headers set on every request. */
static int parse_header(struct replay_cli *o, const char *arg, struct rd_err *err)
{
	return creq_header_add(arg, &o->sets, &o->r.rules.nset, err);
}

/* --error-target: a percentage, with or without its '%'. */
static int parse_pct(const char *arg, double *out, struct rd_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno || v < 0 || v > 100 ||
	    !(*end == '\0' || (end[0] == '%' && end[1] == '\0')))
		return rd_err_set(err, RD_E_INVAL,
				  "--error-target: '%s' is not a percentage like 1%%", arg);
	*out = v / 100;
	return 0;
}

/* --latency-tolerance: a factor above 1, or off (0). */
static int parse_tolerance(const char *arg, double *out, struct rd_err *err)
{
	char *end;
	double v;

	if (strcmp(arg, "off") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v > 1 && v <= 100))
		return rd_err_set(err, RD_E_INVAL,
				  "--latency-tolerance: '%s' is not a factor above 1 "
				  "(like 1.5) or off", arg);
	*out = v;
	return 0;
}

/* --rate and --concurrency: one value for every host, or HOST=VALUE. */
static int limit_opt(struct replay_cli *o, int c, const char *arg,
		     struct rd_err *err)
{
	struct rd_err why;
	uint64_t v;
	int ret;

	if (c == REPLAY_OPT_RATE) {
		if ((ret = dest_limit_parse(arg, 1, &o->limits, &o->nlimits,
					    &why)) != 0) {
			if (ret < 0)
				return cli_opt_bad(err, "--rate", &why);
		} else if (strcmp(arg, "max") == 0)
			o->r.rate = 0;
		else if (cli_parse_rate(arg, &o->r.rate, &why) < 0)
			return cli_opt_bad(err, "--rate", &why);
		return 1;
	}
	if ((ret = dest_limit_parse(arg, 0, &o->limits, &o->nlimits, &why)) != 0) {
		if (ret < 0)
			return cli_opt_bad(err, "--concurrency", &why);
	} else if (cli_parse_u64(arg, 1, 10000, &v, &why) < 0) {
		return cli_opt_bad(err, "--concurrency", &why);
	} else {
		o->r.concurrency = (unsigned)v;
	}
	return 1;
}

/* How fast: --rate, --set-rate, --burst, -c, the adaptive controller and
 * --ramp. */
static int pace_opt(struct replay_cli *o, int c, const char *arg,
		    struct rd_err *err)
{
	struct rd_err why;
	uint64_t v;

	switch (c) {
	case REPLAY_OPT_RATE: case 'c':
		return limit_opt(o, c, arg, err);
	case REPLAY_OPT_SET_RATE:
		o->set_rate = 1;
		if (strcmp(arg, "max") == 0)
			o->set_rate_to = 0;
		else if (cli_parse_rate(arg, &o->set_rate_to, &why) < 0)
			return cli_opt_bad(err, "--set-rate", &why);
		return 1;
	case REPLAY_OPT_BURST:
		if (cli_parse_u64(arg, 1, 1000000, &v, &why) < 0)
			return cli_opt_bad(err, "--burst", &why);
		o->r.burst = (double)v;
		return 1;
	case REPLAY_OPT_ADAPTIVE: o->r.adaptive = 1; return 1;
	case REPLAY_OPT_ADAPTIVE_START:
		if (cli_parse_rate(arg, &o->r.adaptive_start, &why) < 0)
			return cli_opt_bad(err, "--adaptive-start", &why);
		return 1;
	case REPLAY_OPT_LAT_TARGET:
		if (parse_dur("--latency-target", arg, &v, err) < 0)
			return RD_E_INVAL;
		o->r.latency_target_ms = (double)v;
		return 1;
	case REPLAY_OPT_ERR_TARGET:
		return parse_pct(arg, &o->r.error_target, err) < 0 ? RD_E_INVAL : 1;
	case REPLAY_OPT_LAT_TOLERANCE:
		return parse_tolerance(arg, &o->r.latency_tolerance, err) < 0 ?
		       RD_E_INVAL : 1;
	case REPLAY_OPT_RAMP:
		return parse_dur("--ramp", arg, &o->r.ramp_ms, err) < 0 ? RD_E_INVAL : 1;
	}
	return 0;
}

/* When to send and retry: the gate, attempts, backoff and what counts as
 * success. */
static int retry_opt(struct replay_cli *o, int c, const char *arg,
		     struct rd_err *err)
{
	struct rd_err why;
	uint64_t v;

	switch (c) {
	case REPLAY_OPT_GATE: o->r.gate = arg; return 1;
	case REPLAY_OPT_GATE_EVERY:
		if (parse_dur("--gate-every", arg, &o->r.gate_every_ms, err) < 0)
			return RD_E_INVAL;
		if (o->r.gate_every_ms < 10)
			return rd_err_set(err, RD_E_INVAL, "--gate-every: at least 10ms");
		return 1;
	case REPLAY_OPT_GATE_TIMEOUT:
		if (parse_dur("--gate-timeout", arg, &o->r.gate_timeout_ms, err) < 0)
			return RD_E_INVAL;
		return 1;
	case REPLAY_OPT_MAX_ATTEMPTS:
		if (cli_parse_u64(arg, 1, 1000, &v, &why) < 0)
			return cli_opt_bad(err, "--max-attempts", &why);
		o->r.max_attempts = (unsigned)v;
		return 1;
	case REPLAY_OPT_BACKOFF:
		if (parse_dur("--backoff", arg, &o->r.backoff_ms, err) < 0)
			return RD_E_INVAL;
		return 1;
	case REPLAY_OPT_BACKOFF_MAX:
		if (parse_dur("--backoff-max", arg, &o->r.backoff_max_ms, err) < 0)
			return RD_E_INVAL;
		return 1;
	case REPLAY_OPT_SUCCESS:
		if (http_okset_parse(arg, &o->r.ok, &why) < 0)
			return cli_opt_bad(err, "--success", &why);
		return 1;
	}
	return 0;
}

/* Dead letters and their age: --max-age, --response-bytes and what
 * --revive takes. */
static int dead_opt(struct replay_cli *o, int c, const char *arg,
		    struct rd_err *err)
{
	struct rd_err why;
	uint64_t v;

	switch (c) {
	case REPLAY_OPT_MAX_AGE:
		o->max_age = arg;
		if (parse_dur("--max-age", arg, &o->r.max_age_ms, err) < 0)
			return RD_E_INVAL;
		if (!o->r.max_age_ms)
			return rd_err_set(err, RD_E_INVAL, "--max-age: must be above zero");
		return 1;
	case REPLAY_OPT_RESPONSE_BYTES:
		if (cli_parse_size(arg, &v, &why) < 0)
			return cli_opt_bad(err, "--response-bytes", &why);
		if (v > 65536)
			return rd_err_set(err, RD_E_INVAL, "--response-bytes: at most 64K");
		o->r.response_bytes = (size_t)v;
		return 1;
	case REPLAY_OPT_REASON:
		o->r.revive_reason = arg;
		if (!*arg || strlen(arg) > 500 || json_utf8_check(arg, strlen(arg)) >= 0 ||
		    !rec_hdr_value_valid(arg, strlen(arg)))
			return rd_err_set(err, RD_E_INVAL,
					  "--reason: 1 to 500 bytes of text on one line");
		return 1;
	case REPLAY_OPT_MAX_REVIVES:
		if (cli_parse_u64(arg, 0, PEND_REVIVES_MAX, &v, &why) < 0)
			return cli_opt_bad(err, "--max-revives", &why);
		o->r.max_revives = (unsigned)v;
		return 1;
	case REPLAY_OPT_FORCE: o->r.force = 1; return 1;
	}
	return 0;
}

/* Which records: the selection and --revive. */
static int select_opt(struct replay_cli *o, int c, const char *arg,
		      struct rd_err *err)
{
	struct rd_err why;

	switch (c) {
	case REPLAY_OPT_WHERE: o->so.where = arg; return 1;
	case REPLAY_OPT_MATCH_URL: o->so.match_url = arg; return 1;
	case REPLAY_OPT_SINCE: o->since = arg; return 1;
	case REPLAY_OPT_UNTIL: o->until = arg; return 1;
	case REPLAY_OPT_FAILURE: cli_list_add(&o->failures, &o->nfailures, arg); return 1;
	case REPLAY_OPT_LIMIT:
		if (cli_parse_u64(arg, 1, UINT64_MAX, &o->r.limit, &why) < 0)
			return cli_opt_bad(err, "--limit", &why);
		return 1;
	case REPLAY_OPT_STDIN: o->use_stdin = 1; return 1;
	case REPLAY_OPT_REVIVE: o->r.revive = 1; return 1;
	}
	return 0;
}

/* What is sent: the target, headers, the idempotency key, the allow-list
 * and --timeout. */
static int request_opt(struct replay_cli *o, int c, const char *arg,
		       struct rd_err *err)
{
	const char *why;

	switch (c) {
	case REPLAY_OPT_TARGET:
		/* a query or fragment would be dropped for the record's own
		 * (http_url_rebase): refused, as rd-proxy's --upstream is */
		if ((why = rec_url_why(arg, strlen(arg))) || strchr(arg, '?') ||
		    strchr(arg, '#')) {
			char shown[512];

			return rd_err_set(err, RD_E_INVAL,
					  "--target: '%s' is not an http or https URL without query%s%s",
					  redact_url_to(arg, shown, sizeof(shown)),
					  why ? ": " : "", why ? why : "");
		}
		o->r.rules.target = arg;
		return 1;
	case 'H':
		return parse_header(o, arg, err) < 0 ? RD_E_INVAL : 1;
	case REPLAY_OPT_DROP_HEADER: cli_list_add(&o->drops, &o->ndrops, arg); return 1;
	case REPLAY_OPT_IDEM_HEADER:
		if (!rec_hdr_name_valid(arg, strlen(arg)))
			return rd_err_set(err, RD_E_INVAL,
					  "--idempotency-header: '%s' is not a header name", arg);
		o->r.rules.idem_header = arg;
		return 1;
	case REPLAY_OPT_NO_IDEM: o->r.rules.idem_header = NULL; return 1;
	case REPLAY_OPT_ALLOW_HOST: cli_list_add(&o->allows, &o->nallows, arg); return 1;
	case REPLAY_OPT_TIMEOUT:
		if (parse_dur("--timeout", arg, &o->r.http.timeout_ms, err) < 0)
			return RD_E_INVAL;
		if (!o->r.http.timeout_ms)
			return rd_err_set(err, RD_E_INVAL, "--timeout: must be above zero");
		return 1;
	}
	return 0;
}

/* The run itself: --max-time, --grace, --no-redact and --dry-run. */
static int run_opt(struct replay_cli *o, int c, const char *arg,
		   struct rd_err *err)
{
	switch (c) {
	case REPLAY_OPT_MAX_TIME:
		if (parse_dur("--max-time", arg, &o->r.max_time_ms, err) < 0)
			return RD_E_INVAL;
		return 1;
	case REPLAY_OPT_GRACE:
		if (parse_dur("--grace", arg, &o->r.grace_ms, err) < 0)
			return RD_E_INVAL;
		return 1;
	case REPLAY_OPT_NO_REDACT: o->no_redact = o->so.show_secrets = 1; return 1;
	case REPLAY_OPT_DRY_RUN:
		if (!arg || strcmp(arg, "curl") == 0)
			o->r.dry = REPLAY_DRY_CURL;
		else if (strcmp(arg, "raw") == 0)
			o->r.dry = REPLAY_DRY_RAW;
		else
			return rd_err_set(err, RD_E_INVAL,
					  "--dry-run: format must be curl or raw");
		return 1;
	}
	return 0;
}

int replay_cli_opt(struct replay_cli *o, int opt, const char *arg,
		   struct rd_err *err)
{
	int (*const groups[])(struct replay_cli *, int, const char *,
			      struct rd_err *) = {
		pace_opt, retry_opt, dead_opt, select_opt, request_opt, run_opt
	};
	int ret = 0;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && !ret; g++)
		ret = groups[g](o, opt, arg, err);
	return ret;
}

int replay_cli_check(struct replay_cli *o, struct rd_err *err)
{
	struct rd_err why;

	if (o->r.ramp_ms && o->r.rate <= 0)
		return rd_err_set(err, RD_E_INVAL, "--ramp needs a --rate to rise to, not max");
	if (o->set_rate && (o->use_stdin || o->r.revive || o->r.dry != REPLAY_DRY_OFF))
		return rd_err_set(err, RD_E_INVAL,
				  "--set-rate changes the replay that runs; it does not replay itself");
	if (o->r.backoff_max_ms < o->r.backoff_ms)
		return rd_err_set(err, RD_E_INVAL, "--backoff-max must not be below --backoff");
	if (!o->r.revive && (o->r.revive_reason || o->r.force))
		return rd_err_set(err, RD_E_INVAL, "%s applies to --revive only",
				  o->r.force ? "--force" : "--reason");
	if (o->since && sel_parse_time(o->since, rec_now_ms(), &o->so.since_ms, &why) < 0)
		return cli_opt_bad(err, "--since", &why);
	if (o->until && sel_parse_time(o->until, rec_now_ms(), &o->so.until_ms, &why) < 0)
		return cli_opt_bad(err, "--until", &why);
	o->so.failures = o->failures;
	o->so.nfailures = o->nfailures;
	o->r.limits = o->limits;
	o->r.nlimits = o->nlimits;
	o->r.rules.drop_hdrs = o->drops;
	o->r.rules.ndrop = o->ndrops;
	o->r.rules.allow_hosts = o->allows;
	o->r.rules.nallow = o->nallows;
	o->r.rules.set_hdrs = o->sets;
	return 0;
}

void replay_cli_init(struct replay_cli *o)
{
	memset(o, 0, sizeof(*o));
	replay_opts_init(&o->r);
}

void replay_cli_release(struct replay_cli *o)
{
	free(o->failures);
	free(o->drops);
	free(o->allows);
	free(o->sets);
	free(o->limits);
	o->failures = o->drops = o->allows = NULL;
	o->sets = NULL;
	o->limits = NULL;
}
