/*
 * cli_store.c - how a writer stores records (see cli_store.h).
 */
#include "cli.h"
#include "cli_store.h"
#include "banned.h"

static int size_opt(struct spool_opts *so, uint64_t *max_record, int opt,
		    const char *arg, struct rd_err *err)
{
	const char *name = opt == CLI_OPT_SEGMENT_SIZE ? "--segment-size" :
			   opt == CLI_OPT_MAX_SPOOL ? "--max-spool-size" :
			   "--max-record-size";
	struct rd_err why;
	uint64_t v;

	if (cli_parse_size(arg, &v, &why) < 0)
		return cli_opt_bad(err, name, &why);
	switch (opt) {
	case CLI_OPT_SEGMENT_SIZE:
		if (v < 4096 || v > (1ULL << 30))
			return rd_err_set(err, RD_E_INVAL, "--segment-size: from 4096 bytes to 1GiB");
		so->dir.segment_bytes = v;
		break;
	case CLI_OPT_MAX_SPOOL:
		so->max_bytes = v;
		break;
	default:
		if (v == 0)
			return rd_err_set(err, RD_E_INVAL, "--max-record-size: must be above zero");
		/* What readers inflate is the one limit (spool.h): a record
		 * they would skip as damage is not accepted. */
		if (v > SPOOL_RECORD_MAX)
			return rd_err_set(err, RD_E_INVAL,
					  "--max-record-size: at most 256MiB, the longest record a spool holds");
		*max_record = v;
	}
	return 1;
}

int cli_store_opt(struct spool_opts *so, uint64_t *max_record, int opt,
		  const char *arg, struct rd_err *err)
{
	struct rd_err why;
	uint64_t v;

	switch (opt) {
	case CLI_OPT_FSYNC:
		if (spool_fsync_parse(arg, &so->fsync, &why) < 0)
			return cli_opt_bad(err, "--fsync", &why);
		return 1;
	case CLI_OPT_FSYNC_INTERVAL:
		if (cli_parse_duration(arg, &v, &why) < 0)
			return cli_opt_bad(err, "--fsync-interval", &why);
		if (v == 0)
			return rd_err_set(err, RD_E_INVAL,
					  "--fsync-interval: must be above zero (--fsync batch syncs every batch)");
		so->fsync_interval_ms = v;
		return 1;
	case CLI_OPT_SEGMENT_SIZE:
	case CLI_OPT_MAX_SPOOL:
	case CLI_OPT_MAX_RECORD:
		return size_opt(so, max_record, opt, arg, err);
	}
	return 0;
}
