#!/bin/sh
# bench/audit.sh - the rd-audit summary over N records against reading the
# same spool with `zcat | wc -l` (just inflating it) and with jq grouping
# it by failure type: `jq -s 'group_by(...)'`, the peer the design names
# (it holds every record in memory), and `jq -n 'reduce inputs ...'`, its
# streaming form.  Plus the peak RSS of rd-audit and of jq.  Timing by
# hyperfine; results printed and written to bench/results/audit.json.
#
# Environment: N (default 1000000), RUNS (default 3), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
N=${N:-1000000}
RUNS=${RUNS:-3}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT INT TERM

echo "# $N records into a spool"
sh "$top/bench/records.sh" "$N" | RD_SPOOL="$w/sp" "$bin/rd-capture" -q --fsync never > /dev/null
echo "# spool: $(du -sh "$w/sp" | cut -f1)"
printf 'zcat %s/sp/*.ndjson.gz | wc -l > /dev/null\n' "$w" > "$w/zcat.sh"
printf 'zcat %s/sp/*.ndjson.gz | jq -c -n %s > /dev/null\n' "$w" \
	"'reduce inputs as \$r ({}; .[\$r.failure.type] += 1)'" > "$w/jq.sh"
printf 'zcat %s/sp/*.ndjson.gz | jq -c -s %s > /dev/null\n' "$w" \
	"'group_by(.failure.type) | map({key: .[0].failure.type, n: length})'" > "$w/gb.sh"
hyperfine -N --runs "$RUNS" --export-json "$w/a.json" \
	"env RD_SPOOL=$w/sp $bin/rd-audit --json" "sh $w/zcat.sh" > /dev/null
hyperfine -N --runs 1 --export-json "$w/j.json" "sh $w/jq.sh" "sh $w/gb.sh" > /dev/null
rd=$(jq '.results[0].median' "$w/a.json")
zc=$(jq '.results[1].median' "$w/a.json")
jqt=$(jq '.results[0].median' "$w/j.json")
gbt=$(jq '.results[1].median' "$w/j.json")
/usr/bin/time -o "$w/gbrss" -f '%M' sh "$w/gb.sh"
gbrss=$(tail -1 "$w/gbrss")
/usr/bin/time -o "$w/rss" -f '%M' env RD_SPOOL="$w/sp" "$bin/rd-audit" --json > /dev/null
rss=$(tail -1 "$w/rss")
echo "rd-audit --json: ${rd}s   zcat | wc -l: ${zc}s   jq -s group_by: ${gbt}s   jq reduce: ${jqt}s"
echo "speed vs zcat: $(awk -v a="$zc" -v b="$rd" 'BEGIN { printf "%.2f", a / b }')x (bar >= 0.8)   vs jq group_by: $(awk -v a="$gbt" -v b="$rd" 'BEGIN { printf "%.1f", a / b }')x (bar >= 10)   vs jq reduce: $(awk -v a="$jqt" -v b="$rd" 'BEGIN { printf "%.1f", a / b }')x"
echo "peak RSS: rd-audit $((rss / 1024)) MiB (bar <= 64), jq group_by $((gbrss / 1024)) MiB"
printf '{"n":%s,"rd_audit_s":%s,"zcat_wc_s":%s,"jq_group_by_s":%s,"jq_reduce_s":%s,"rd_audit_rss_kib":%s,"jq_group_by_rss_kib":%s}\n' \
	"$N" "$rd" "$zc" "$gbt" "$jqt" "$rss" "$gbrss" > "$out/audit.json"
