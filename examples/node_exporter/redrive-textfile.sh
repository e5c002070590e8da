#!/bin/sh
# examples/node_exporter/redrive-textfile.sh - publish rd-audit's metrics
# for node_exporter's textfile collector (--collector.textfile.directory).
# The file is written beside its final name and renamed, so the collector
# never reads half of it.  Run it from cron every minute:
#
#   * * * * * redrive RD_SPOOL=/var/spool/redrive/payments /usr/local/lib/redrive/redrive-textfile.sh
#
#   TEXTFILE_DIR  the collector's directory (default /var/lib/node_exporter/textfile)
# A spool directory that does not exist yet (no outage on this host so
# far) publishes nothing and is no error; a failed run leaves no file.
set -eu
dir=${TEXTFILE_DIR:-/var/lib/node_exporter/textfile}
name=${NAME:-redrive}
case ${RD_SPOOL:-} in
"" | *://*) ;;
*) [ -e "$RD_SPOOL" ] || exit 0 ;;
esac
tmp="$dir/$name.prom.$$"
trap 'rm -f "$tmp"' EXIT
rd-audit --prom > "$tmp"
mv "$tmp" "$dir/$name.prom"
