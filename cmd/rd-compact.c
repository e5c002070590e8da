/*
 * rd-compact - remove resolved history older than a keep period from a
 * spool; never an unresolved request.
 *
 * This file holds the command line, the report and the exit codes; what
 * goes and how the log is rewritten is lib/compact.c and the spool's
 * backend (spool_rewrite).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "compact.h"
#include "compl.h"
#include "msg.h"
#include "num.h"
#include "rec.h"
#include "spool.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-compact [OPTIONS]\n"
"Remove resolved history older than a keep period from the spool: requests\n"
"delivered (and, with --dead, given up on) and all their events.  Pending\n"
"requests are never removed; a rollup line keeps rd-audit's totals whole.\n"
"\n"
"      --keep DUR           keep what was resolved less than DUR ago, e.g.\n"
"                           24h, 30m (default 168h: a week)\n"
"      --dead               remove dead requests too (their dead letters go)\n"
"  -n, --dry-run            say what would go and what it weighs; change\n"
"                           nothing\n"
"      --json               the report as one JSON object\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"  -q, --quiet              no report: only errors\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 done (or nothing to do); 2 error; 3 a replay holds the\n"
"spool, or replay.lock was removed during the run.  See rd-compact(1).\n";

enum { OPT_KEEP = CLI_OPT_TOOL, OPT_DEAD };

static const char short_opts[] = CLI_COMMON_SHORT "n";
static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "dead", no_argument, NULL, OPT_DEAD },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "keep", "1h 24h 168h 720h" },
	{ NULL, NULL }
};

struct opts {
	struct cli_common c;
	uint64_t keep_ms;
	int dead, dry;
};

static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	struct rd_err err;
	int c;

	opterr = 0;
	o->keep_ms = COMPACT_KEEP_MS;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (cli_common_opt(&o->c, c, optarg))
			continue;
		switch (c) {
		case OPT_KEEP:
			if (cli_parse_duration(optarg, &o->keep_ms, &err) < 0) {
				msg_usage(m, "--keep: %s", err.msg);
				return RD_E_INVAL;
			}
			break;
		case OPT_DEAD: o->dead = 1; break;
		case 'n': o->dry = 1; break;
		default: {
			char why[256];

			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_E_INVAL;
		}
		}
	}
	if ((c = cli_help_version(&o->c, "rd-compact", usage_text)) != 0)
		return c;
	if (cli_extra_arg(argc, argv, optind, "", &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	return 0;
}

static void on_notice(void *ctx, const struct spool_notice *n)
{
	struct msg *m = ctx;

	char text[1024];

	msg_warn(m, "%s", spool_notice_text(n, text, sizeof(text)));
}

static void report_json(const struct opts *o, const struct compact_stats *st)
{
	printf("{\"dry_run\":%s,\"requests\":%llu,\"removed\":%llu,\"removed_ok\":%llu,"
	       "\"removed_dead\":%llu,\"removed_lines\":%llu,\"removed_orphans\":%llu,\"kept_pending\":%llu,"
	       "\"kept_dead\":%llu,\"kept_ok\":%llu,\"segments\":%llu,"
	       "\"segments_rewritten\":%llu,\"segments_damaged\":%llu,\"dead_held\":%s,"
	       "\"bytes_before\":%llu,\"bytes_after\":%llu,\"bytes_freed\":%llu}\n",
	       o->dry ? "true" : "false", (unsigned long long)st->requests,
	       (unsigned long long)st->removed, (unsigned long long)st->removed_ok,
	       (unsigned long long)st->removed_dead,
	       (unsigned long long)st->removed_lines,
	       (unsigned long long)st->removed_orphans,
	       (unsigned long long)st->kept_pending, (unsigned long long)st->kept_dead,
	       (unsigned long long)st->kept_ok, (unsigned long long)st->parts,
	       (unsigned long long)st->parts_rewritten,
	       (unsigned long long)st->parts_damaged, st->dead_held ? "true" : "false",
	       (unsigned long long)st->bytes_before, (unsigned long long)st->bytes_after,
	       (unsigned long long)st->bytes_freed);
}

static void report_text(const struct opts *o, const struct compact_stats *st)
{
	char freed[NUM_LEN], before[NUM_LEN];

	num_bytes(st->bytes_freed, freed, sizeof(freed));
	num_bytes(st->bytes_before, before, sizeof(before));
	if (o->dry)
		printf("rd-compact: would remove %llu of %llu requests (%llu delivered, %llu dead), "
		       "about %s of the spool's %s\n",
		       (unsigned long long)st->removed, (unsigned long long)st->requests,
		       (unsigned long long)st->removed_ok,
		       (unsigned long long)st->removed_dead, freed, before);
	else
		printf("rd-compact: removed %llu of %llu requests (%llu delivered, %llu dead) "
		       "from %llu segment%s; freed %s of %s\n",
		       (unsigned long long)st->removed, (unsigned long long)st->requests,
		       (unsigned long long)st->removed_ok,
		       (unsigned long long)st->removed_dead,
		       (unsigned long long)st->parts_rewritten,
		       st->parts_rewritten == 1 ? "" : "s", freed, before);
	printf("  kept: %llu pending, %llu dead, %llu delivered (resolved less than --keep ago)\n",
	       (unsigned long long)st->kept_pending, (unsigned long long)st->kept_dead,
	       (unsigned long long)st->kept_ok);
	if (st->removed_orphans)
		printf("  %s %llu events about requests an interrupted run had removed\n",
		       o->dry ? "would remove" : "removed",
		       (unsigned long long)st->removed_orphans);
	if (st->parts_damaged)
		printf("  %llu segments with damage left as they are (rd-audit --verify)\n",
		       (unsigned long long)st->parts_damaged);
}

static int run(const struct opts *o, struct msg *m)
{
	struct compact_opts co;
	struct compact_stats st;
	struct spool_opts so;
	struct spool *sp = NULL;
	struct rd_err err;
	char dir[4096];
	int ret;

	if ((ret = cli_spool_location(o->c.spool, dir, sizeof(dir), &err)) < 0)
		goto fail;
	if (cli_spool_missing(dir)) {
		msg_warn(m, "spool '%s' does not exist yet; nothing to compact", dir);
		memset(&st, 0, sizeof(st));
		if (o->c.json)
			report_json(o, &st);
		return RD_EXIT_OK;
	}
	spool_opts_init(&so);
	so.trust = o->c.trust_spool;
	so.notice = on_notice;
	so.notice_ctx = m;
	if ((ret = spool_open(dir, &so, &sp, &err)) < 0)
		goto fail;
	/* positions change: no replay may run meanwhile */
	if ((ret = spool_claim(sp, "replay", &err)) < 0) {
		if (ret != RD_E_LOCKED)
			goto fail;
		/* under -q exit 3 says it: cron mails nothing for an overlap */
		if (o->c.verbosity >= 0)
			msg_error(m, "%s; try again when it has finished", err.msg);
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.keep_ms = (int64_t)o->keep_ms;
	co.dead = o->dead;
	co.dry = o->dry;
	co.now_ms = rec_now_ms();
	if ((ret = compact_run(sp, &co, &st, &err)) < 0)
		goto fail;
	if (st.leftovers)
		msg_info(m, "removed %llu files an interrupted compaction left",
			 (unsigned long long)st.leftovers);
	if (st.dead_held)
		msg_warn(m, "--dead: dead letters kept: the spool has damage, which may hold a revive (rd-audit --verify)");
	if (o->c.json)
		report_json(o, &st);
	else if (o->c.verbosity >= 0)
		report_text(o, &st);
	spool_close(sp);
	return RD_EXIT_OK;
fail:
	msg_error(m, "%s", err.msg);
out:
	spool_close(sp);
	return ret == RD_E_LOCKED ? RD_EXIT_LOCKED : RD_EXIT_ERROR;
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-compact", long_opts, short_opts, usage_text, hints };
	struct opts o;
	struct msg m;
	int ret;

	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	signal(SIGPIPE, SIG_IGN);
	msg_init(&m, "rd-compact");
	memset(&o, 0, sizeof(o));
	cli_common_init(&o.c);
	if ((ret = parse_opts(argc, argv, &o, &m)) != 0)
		return ret > 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
	m.verbosity = o.c.verbosity;
	return run(&o, &m);
}
