#!/bin/sh
# bench/compact.sh - rd-compact on a spool of N delivered requests (with
# their attempt events) and P pending ones: its wall time and peak RSS,
# the bytes before and after, and as a reference for the time, the same
# spool only inflated and deflated again (`zcat | gzip -1`, what any
# rewrite of the log costs at least).  The delivered ones are replayed
# against the project's test downstream on 127.0.0.1 (stopped by PID);
# the pending ones aim at a port nothing listens on and are never sent.
# Results printed and written to bench/results/compact.json.
#
# Environment: N (default 1000000), P (default 10000), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
helper="$top/$BUILD/tests/rd-downstream"
N=${N:-1000000}
P=${P:-10000}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
ds=""
trap '[ -z "$ds" ] || kill "$ds" 2>/dev/null; rm -rf "$w"' EXIT INT TERM

"$helper" --port-file "$w/port" 2> /dev/null 3>&- &
ds=$!
i=0
until [ -s "$w/port" ] || [ $i -ge 100 ]; do i=$((i + 1)); sleep 0.05; done
port=$(cat "$w/port")
export RD_SPOOL="$w/sp"

echo "# $N records, replayed to 127.0.0.1:$port, then $P pending"
sh "$top/bench/records.sh" "$N" | "$bin/rd-capture" -q --fsync never > /dev/null
"$bin/rd-replay" -q --rate max -c 64 --target "http://127.0.0.1:$port" \
	--allow-host 127.0.0.1
sh "$top/bench/records.sh" "$P" | sed 's|127.0.0.1:8080|127.0.0.1:1|' |
	"$bin/rd-capture" -q --fsync never > /dev/null
kill "$ds"
wait "$ds" 2> /dev/null || true
ds=""
before=$(cat "$w"/sp/*.ndjson.gz "$w"/sp/*.idx | wc -c)
echo "# spool: $before bytes in $(ls "$w"/sp/*.ndjson.gz | wc -l) segments"

start=$(date +%s.%N)
zcat "$w"/sp/*.ndjson.gz | gzip -1 > /dev/null
ref=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')

/usr/bin/time -o "$w/t" -f '%e %M' "$bin/rd-compact" --keep 0s --json > "$w/c.json"
secs=$(cut -d' ' -f1 "$w/t")
rss=$(cut -d' ' -f2 "$w/t")
after=$(cat "$w"/sp/*.ndjson.gz "$w"/sp/*.idx | wc -c)
removed=$(jq .removed "$w/c.json")
kept=$(jq .kept_pending "$w/c.json")
pending=$("$bin/rd-audit" --json | jq .state.pending)

echo "rd-compact --keep 0s: ${secs}s, peak RSS $((rss / 1024)) MiB; removed $removed, kept $kept pending ($pending pending after, by rd-audit)"
echo "bytes: $before before, $after after"
echo "reference: zcat | gzip -1 of the same spool: ${ref}s; rd-compact takes $(awk -v a="$secs" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')x that time"
printf '{"n":%s,"pending":%s,"rd_compact_s":%s,"rd_compact_rss_kib":%s,"bytes_before":%s,"bytes_after":%s,"removed":%s,"kept_pending":%s,"zcat_gzip_s":%s}\n' \
	"$N" "$P" "$secs" "$rss" "$before" "$after" "$removed" "$kept" "$ref" > "$out/compact.json"
