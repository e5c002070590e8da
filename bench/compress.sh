#!/bin/sh
# bench/compress.sh - which library should build the spool's gzip members,
# and what do small members cost?  Compresses the same canonical records
# (as rd-capture stores them) into one gzip member per 1 MiB batch with
# zlib and with libdeflate, and into 64 KiB members (the spool's, which
# bound the records one damaged byte costs) with libdeflate, all at level
# 1, timed by hyperfine; checks that every output passes gzip -t and
# decompresses to the input.  Writes bench/results/compress.json.
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

for run in "zlib zlib 1048576" "libdeflate libdeflate 1048576" "libdeflate-64k libdeflate 65536"; do
	set -- $run
	"$members" "$2" "$3" < "$w/canonical.ndjson" > "$w/$1.gz"
	gzip -t "$w/$1.gz"
	zcat "$w/$1.gz" | cmp -s - "$w/canonical.ndjson" ||
		{ echo "$1: output does not round-trip" >&2; exit 1; }
	echo "# $1: $(wc -c < "$w/$1.gz") bytes compressed"
done

hyperfine --style basic --runs "$RUNS" --export-json "$out/compress-raw.json" \
	-n zlib "'$members' zlib < '$w/canonical.ndjson' > /dev/null" \
	-n libdeflate "'$members' libdeflate < '$w/canonical.ndjson' > /dev/null" \
	-n libdeflate-64k "'$members' libdeflate 65536 < '$w/canonical.ndjson' > /dev/null"

jq -n --slurpfile h "$out/compress-raw.json" \
	--argjson zb "$(wc -c < "$w/zlib.gz")" --argjson lb "$(wc -c < "$w/libdeflate.gz")" \
	--argjson sb "$(wc -c < "$w/libdeflate-64k.gz")" \
	--argjson raw "$(wc -c < "$w/canonical.ndjson")" '
	def med(n): ($h[0].results[] | select(.command == n) | .median);
	{
		zlib_mb_per_s: ($raw / med("zlib") / 1e6 | round),
		libdeflate_mb_per_s: ($raw / med("libdeflate") / 1e6 | round),
		libdeflate_64k_mb_per_s: ($raw / med("libdeflate-64k") / 1e6 | round),
		speed_ratio_libdeflate_vs_zlib: (med("zlib") / med("libdeflate") * 100 | round / 100),
		speed_ratio_64k_vs_1m: (med("libdeflate") / med("libdeflate-64k") * 100 | round / 100),
		zlib_ratio: ($raw / $zb * 100 | round / 100),
		libdeflate_ratio: ($raw / $lb * 100 | round / 100),
		libdeflate_64k_ratio: ($raw / $sb * 100 | round / 100),
		size_64k_vs_1m: ($sb / $lb * 1000 | round / 1000)
	}' | tee "$out/compress.json"
