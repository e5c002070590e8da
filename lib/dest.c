/*
 * dest.c - pacing per destination (dest.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dest.h"
#include "url.h"
#include "xalloc.h"
#include "banned.h"

static int host_char_ok(unsigned char c)
{
	/* names match exactly: a pattern would match nothing, so none is
	 * taken */
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' ||
	       c == '[' || c == ']';
}

/* The host of an override, as dest_key spells it: lower case, and the
 * port kept when given ("api:8443"); a host with no port matches every
 * port of that host. */
static int limit_host(const char *s, size_t n, char *out, size_t outsz)
{
	if (n == 0 || n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!host_char_ok((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[n] = '\0';
	return 0;
}

int dest_limit_parse(const char *arg, int is_rate, struct dest_limit **list,
		     size_t *n, struct rd_err *err)
{
	const char *eq = strrchr(arg, '=');
	struct dest_limit l;
	struct rd_err lerr;
	size_t i;

	if (!eq)
		return 0;
	memset(&l, 0, sizeof(l));
	l.rate = -1;
	l.concurrency = -1;
	if (limit_host(arg, (size_t)(eq - arg), l.host, sizeof(l.host)) < 0)
		return rd_err_set(err, RD_E_INVAL, "'%.*s' is not a host name (HOST=%s)",
				  (int)(eq - arg) > 64 ? 64 : (int)(eq - arg), arg,
				  is_rate ? "RATE" : "N");
	if (is_rate) {
		/* max: no limit for this host, whatever the others' */
		if (strcmp(eq + 1, "max") == 0)
			l.rate = 0;
		else if (cli_parse_rate(eq + 1, &l.rate, &lerr) < 0)
			return rd_err_set(err, RD_E_INVAL, "%s: %s", l.host, lerr.msg);
	} else {
		uint64_t v;

		if (cli_parse_u64(eq + 1, 1, 10000, &v, &lerr) < 0)
			return rd_err_set(err, RD_E_INVAL, "%s: %s", l.host, lerr.msg);
		l.concurrency = (long)v;
	}
	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i].host, l.host) == 0)
			break;
	if (i == *n) {
		*list = xrealloc(*list, (*n + 1) * sizeof(**list));
		(*list)[(*n)++] = l;
		return 1;
	}
	if (is_rate)
		(*list)[i].rate = l.rate;
	else
		(*list)[i].concurrency = l.concurrency;
	return 1;
}

int dest_key(const char *url, char *out, size_t outsz)
{
	struct url_parts p;
	size_t n = strlen(url), o = 0;
	const char *port;
	size_t portlen;

	if (url_split(url, n, &p) < 0 || !p.host.len)
		return -1;
	if (p.port.len) {
		port = url + p.port.off;
		portlen = p.port.len;
	} else {
		int https = p.scheme.len == 5 &&
			    strncasecmp(url + p.scheme.off, "https", 5) == 0;

		port = https ? "443" : "80";
		portlen = https ? 3 : 2;
	}
	if (p.host.len + portlen + 4 > outsz)
		return -1;
	if (p.ipv6)
		out[o++] = '[';
	for (size_t i = 0; i < p.host.len; i++)
		out[o++] = (char)tolower((unsigned char)url[p.host.off + i]);
	if (p.ipv6)
		out[o++] = ']';
	out[o++] = ':';
	memcpy(out + o, port, portlen);
	out[o + portlen] = '\0';
	return 0;
}

/* The override for key ("host:port"): one naming the port wins over one
 * naming only the host. */
static const struct dest_limit *limit_for(const struct dest_conf *c,
					  const char *key)
{
	const struct dest_limit *hostonly = NULL;
	const char *colon = strrchr(key, ':');
	size_t hl = colon ? (size_t)(colon - key) : strlen(key);

	for (size_t i = 0; i < c->nlimits; i++) {
		const struct dest_limit *l = &c->limits[i];

		if (strcmp(l->host, key) == 0)
			return l;
		if (strlen(l->host) == hl && strncmp(l->host, key, hl) == 0)
			hostonly = l;
	}
	return hostonly;
}

void dest_set_init(struct dest_set *s, const struct dest_conf *conf)
{
	memset(s, 0, sizeof(*s));
	s->conf = conf;
}

void dest_set_release(struct dest_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void dest_init(struct dest *d, const struct dest_conf *c,
		      const char *key, int64_t now)
{
	const struct dest_limit *l = limit_for(c, key);

	memset(d, 0, sizeof(*d));
	d->conf = c;
	d->last_ok_ns = now;
	snprintf(d->host, sizeof(d->host), "%s", key);
	d->rate = l && l->rate >= 0 ? l->rate : c->rate;
	d->concurrency = l && l->concurrency > 0 ? (unsigned)l->concurrency :
			 c->concurrency;
	d->pause_ns = c->pause_ns;
	if (c->pace) {
		d->ctl = c->proto;
		d->ctl.max = d->rate > 0 ? d->rate : 1e9;
		if (d->ctl.rate > d->ctl.max)
			d->ctl.rate = d->ctl.max;
		d->ctl.t0_ns = d->ctl.epoch_ns = d->ctl.win_start_ns = now;
		rate_bucket_init(&d->bucket, d->ctl.rate, c->burst, now);
	} else {
		rate_bucket_init(&d->bucket, d->rate > 0 ? d->rate : 1, c->burst, now);
	}
}

struct dest *dest_get(struct dest_set *s, const char *key, int64_t now_ns)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].host, key) == 0)
			return &s->v[i];
	if (s->n >= DEST_MAX)
		return NULL;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	dest_init(&s->v[s->n], s->conf, key, now_ns);
	return &s->v[s->n++];
}

int dest_held(const struct dest *d, int64_t now_ns, int64_t *until_ns)
{
	if (d->state == DEST_PROBING && d->inflight > 0) {
		*until_ns = 0;
		return 1;
	}
	if (now_ns < d->hold_until_ns) {
		*until_ns = d->hold_until_ns;
		return 1;
	}
	return 0;
}

int dest_take(struct dest *d, int64_t now_ns, int64_t *wait_ns)
{
	int64_t until;

	if (dest_held(d, now_ns, &until)) {
		*wait_ns = until ? until - now_ns : INT64_MAX;
		return 0;
	}
	if (d->state == DEST_PAUSED)
		d->state = DEST_PROBING;   /* the pause is over: one goes alone */
	if (d->inflight >= d->concurrency) {
		*wait_ns = INT64_MAX;
		return 0;
	}
	if ((d->rate > 0 || d->conf->pace) && !rate_bucket_take(&d->bucket, now_ns)) {
		*wait_ns = rate_bucket_wait_ns(&d->bucket, now_ns);
		return 0;
	}
	*wait_ns = 0;
	return 1;
}

uint32_t dest_started(struct dest *d)
{
	d->inflight++;
	d->sent++;
	if (d->conf->pace)
		rate_ctl_sent(&d->ctl);
	return d->epoch;
}

/* Down: nothing more for a while, each pause twice the last. */
static void pause_for(struct dest *d, int64_t now)
{
	const struct dest_conf *c = d->conf;

	d->state = DEST_PAUSED;
	d->pauses++;
	d->epoch++;
	d->fails = 0;
	if (now + d->pause_ns > d->hold_until_ns)
		d->hold_until_ns = now + d->pause_ns;
	d->pause_ns = d->pause_ns < c->pause_max_ns / 2 ? d->pause_ns * 2 :
		      c->pause_max_ns;
}

int dest_done(struct dest *d, uint32_t epoch, enum dest_result res,
	      enum rate_outcome ro, double latency_ms, int64_t retry_after_ns,
	      int64_t now_ns)
{
	int was = d->state;

	if (d->inflight)
		d->inflight--;
	if (d->conf->pace)
		rate_ctl_observe(&d->ctl, ro, latency_ms);
	if (retry_after_ns >= 0 && now_ns + retry_after_ns > d->hold_until_ns)
		d->hold_until_ns = now_ns + retry_after_ns;
	if (res == DEST_R_OK) {
		d->fails = 0;
		if (d->state != DEST_OPEN && d->hold_until_ns > now_ns)
			d->hold_until_ns = now_ns;   /* it answers after all */
		d->state = DEST_OPEN;
		d->pause_ns = d->conf->pause_ns;
		d->last_ok_ns = now_ns;
		return was != DEST_OPEN ? DEST_DONE_OPENED : 0;
	}
	if (epoch != d->epoch)
		return 0;   /* sent before the pause: it told nothing new */
	d->fails++;
	/* A failed probe; no answer DEST_TRIP times in a row; or answers
	 * that are all failures for DEST_SICK_NS. */
	if (d->state == DEST_PROBING ||
	    (res == DEST_R_DOWN && d->fails >= DEST_TRIP) ||
	    (d->fails >= DEST_TRIP && now_ns - d->last_ok_ns >= DEST_SICK_NS)) {
		pause_for(d, now_ns);
		return DEST_DONE_PAUSED;
	}
	return 0;
}

int dest_tick(struct dest_set *s, int64_t now_ns)
{
	int changed = 0;

	if (!s->conf->pace)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		struct dest *d = &s->v[i];

		if (rate_ctl_tick(&d->ctl, now_ns)) {
			rate_bucket_set(&d->bucket, d->ctl.rate, now_ns);
			changed = 1;
		}
	}
	return changed;
}

void dest_set_rate(struct dest_set *s, double rate, int64_t now_ns)
{
	for (size_t i = 0; i < s->n; i++) {
		struct dest *d = &s->v[i];

		d->rate = rate;
		if (s->conf->pace) {
			d->ctl.max = rate > 0 ? rate : 1e9;
			if (d->ctl.rate > d->ctl.max)
				d->ctl.rate = d->ctl.max;
			rate_bucket_set(&d->bucket, d->ctl.rate, now_ns);
		} else if (rate > 0) {
			rate_bucket_set(&d->bucket, rate, now_ns);
		}
	}
}

double dest_rate(const struct dest *d)
{
	return d->conf->pace ? d->bucket.rate : d->rate;
}

double dest_rate_sum(const struct dest_set *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += dest_rate(&s->v[i]);
	return sum;
}

size_t dest_paused(const struct dest_set *s, int64_t now_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		int64_t until;

		n += s->v[i].state != DEST_OPEN || dest_held(&s->v[i], now_ns, &until);
	}
	return n;
}
