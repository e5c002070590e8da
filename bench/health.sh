#!/bin/sh
# bench/health.sh - what rd-health adds on top of the probe round trips:
# `rd-health --url URL -n 5` against `curl -w` making the same five
# requests at once (`curl --parallel`), whole processes timed by
# hyperfine, against Debian's nginx on 127.0.0.1.  Also the same with a
# slow endpoint (50 ms), so the probe time itself dominates.  Results are
# printed and written to bench/results/health.json.
#
# Environment: RUNS (default 50), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
RUNS=${RUNS:-50}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	rm -rf "$w"
}
trap cleanup EXIT INT TERM

port=$((30000 + $$ % 10000))
p=$(sh "$top/tests/helpers/nginx.sh" "$w/n" "$port" --no-log)
pids="$p"
"$top/$BUILD/tests/rd-downstream" --port-file "$w/dsport" --latency 50 2>/dev/null &
pids="$pids $!"
while [ ! -s "$w/dsport" ]; do sleep 0.05; done
slow="http://127.0.0.1:$(cat "$w/dsport")/slow"  # /health skips --latency
fast="http://127.0.0.1:$port/health"

json=""
for url in "$fast" "$slow"; do
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$w/h.json" \
		"$bin/rd-health -q --url $url -n 5 --check p99<1s" \
		"curl -s --parallel -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w %{time_total} $url $url $url $url $url" \
		> /dev/null
	rd=$(jq '.results[0].median * 1000' "$w/h.json")
	cu=$(jq '.results[1].median * 1000' "$w/h.json")
	added=$(awk -v a="$rd" -v b="$cu" 'BEGIN { printf "%.2f", a - b }')
	printf '%s: rd-health %.2f ms, curl -w %.2f ms, added %s ms (bar <= 5)\n' \
		"$url" "$rd" "$cu" "$added"
	json="$json{\"url\":\"$url\",\"rd_health_ms\":$rd,\"curl_ms\":$cu,\"added_ms\":$added},"
done
echo "[${json%,}]" > "$out/health.json"
jq . "$out/health.json" > /dev/null
echo "# written to bench/results/health.json"
