#!/bin/sh
# bench/compress.sh - which library should build the spool's gzip members?
# Compresses the same canonical records (as rd-capture stores them) into
# one gzip member per 1 MiB batch with zlib and with libdeflate, both at
# level 1, timed by hyperfine; checks that both outputs pass gzip -t and
# decompress to the input.  Writes bench/results/compress.json.
#
# Environment: N (records, default 500000), RUNS (default 5), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
members="$top/$BUILD/bench/members"
N=${N:-500000}
RUNS=${RUNS:-5}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT INT TERM

sh "$top/bench/records.sh" "$N" > "$w/records.ndjson"
"$bin/rd-capture" --spool "$w/spool" --fsync never < "$w/records.ndjson" > /dev/null
zcat "$w"/spool/*.ndjson.gz > "$w/canonical.ndjson"
echo "# $N canonical records, $(wc -c < "$w/canonical.ndjson") bytes"

for lib in zlib libdeflate; do
	"$members" "$lib" < "$w/canonical.ndjson" > "$w/$lib.gz"
	gzip -t "$w/$lib.gz"
	zcat "$w/$lib.gz" | cmp -s - "$w/canonical.ndjson" ||
		{ echo "$lib: output does not round-trip" >&2; exit 1; }
	echo "# $lib: $(wc -c < "$w/$lib.gz") bytes compressed"
done

hyperfine --style basic --runs "$RUNS" --export-json "$out/compress-raw.json" \
	-n zlib "'$members' zlib < '$w/canonical.ndjson' > /dev/null" \
	-n libdeflate "'$members' libdeflate < '$w/canonical.ndjson' > /dev/null"

jq -n --slurpfile h "$out/compress-raw.json" \
	--argjson zb "$(wc -c < "$w/zlib.gz")" --argjson lb "$(wc -c < "$w/libdeflate.gz")" \
	--argjson raw "$(wc -c < "$w/canonical.ndjson")" '
	def med(n): ($h[0].results[] | select(.command == n) | .median);
	{
		zlib_mb_per_s: ($raw / med("zlib") / 1e6 | round),
		libdeflate_mb_per_s: ($raw / med("libdeflate") / 1e6 | round),
		speed_ratio_libdeflate_vs_zlib: (med("zlib") / med("libdeflate") * 100 | round / 100),
		zlib_ratio: ($raw / $zb * 100 | round / 100),
		libdeflate_ratio: ($raw / $lb * 100 | round / 100)
	}' | tee "$out/compress.json"
