#!/bin/sh
# bench/capture.sh - rd-capture throughput and per-process latency against
# its peers, on the same ~600-byte records, in the same run:
#   streaming, --fsync batch   vs  gzip -1, and itself with a
#                                  --max-spool-size cap (checked before
#                                  every batch),
#                                  redis-cli --pipe XADD (appendfsync everysec),
#                                  sqlite3 inserting in one transaction;
#   one record per process     vs  a bare `curl --version` process start,
#                                  `true`, and `rd-capture --version` (the
#                                  cost of starting and loading libraries).
# Timing is done by hyperfine (medians over several runs); the ratios are
# printed at the end and written to bench/results/capture.json.
#
# Environment: N (records, default 500000), RUNS (default 5), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
N=${N:-500000}
RUNS=${RUNS:-5}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
redis_pid=""
cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$w"
}
trap cleanup EXIT INT TERM

echo "# generating $N records"
sh "$top/bench/records.sh" "$N" > "$w/records.ndjson"
bytes=$(wc -c < "$w/records.ndjson")
echo "# $N records, $((bytes / N)) bytes each on average"

# The same records as redis-cli --pipe input (RESP XADD) and as SQL.
awk '{ printf "*5\r\n$4\r\nXADD\r\n$4\r\nreqs\r\n$1\r\n*\r\n$1\r\nr\r\n$%d\r\n%s\r\n", length($0), $0 }' \
	"$w/records.ndjson" > "$w/records.resp"
{
	echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	echo "CREATE TABLE IF NOT EXISTS reqs (id INTEGER PRIMARY KEY, rec TEXT);"
	echo "BEGIN;"
	awk "{ printf \"INSERT INTO reqs (rec) VALUES ('%s');\n\", \$0 }" "$w/records.ndjson"
	echo "COMMIT;"
} > "$w/records.sql"

port=$((20000 + $$ % 20000))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes \
	--appendfsync everysec --dir "$w" --daemonize no --logfile "$w/redis.log" &
redis_pid=$!
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "redis did not start" >&2; exit 1; }
	sleep 0.1
done

hyperfine --style basic --runs "$RUNS" --export-json "$out/capture-stream.json" \
	--prepare "rm -rf '$w/spool' '$w/db.sqlite'* ; redis-cli -p $port DEL reqs >/dev/null" \
	-n rd-capture "'$bin/rd-capture' --spool '$w/spool' --fsync batch < '$w/records.ndjson' > /dev/null" \
	-n rd-capture-cap "'$bin/rd-capture' --spool '$w/spool' --fsync batch --max-spool-size 1T < '$w/records.ndjson' > /dev/null" \
	-n gzip-1 "gzip -1 < '$w/records.ndjson' > '$w/records.gz'" \
	-n redis-xadd "redis-cli -p $port --pipe < '$w/records.resp' > /dev/null" \
	-n sqlite3-txn "sqlite3 '$w/db.sqlite' < '$w/records.sql' > /dev/null"

one=$(head -n 1 "$w/records.ndjson")
printf '%s\n' "$one" > "$w/one.ndjson"
hyperfine --style basic -N --warmup 20 --runs 300 --export-json "$out/capture-one.json" \
	-n rd-capture-one "'$bin/rd-capture' --spool '$w/spool1' --fsync batch --input '$w/one.ndjson'" \
	-n rd-capture-version "'$bin/rd-capture' --version" \
	-n curl-version "curl --version" \
	-n true "true"

jq -n --argjson n "$N" --slurpfile s "$out/capture-stream.json" --slurpfile o "$out/capture-one.json" '
	def med(name; f): (f.results[] | select(.command == name) | .median);
	(med("rd-capture"; $s[0])) as $rd
	| {
		records: $n,
		rd_capture_records_per_s: ($n / $rd | floor),
		rd_capture_cap_records_per_s: ($n / med("rd-capture-cap"; $s[0]) | floor),
		gzip1_records_per_s: ($n / med("gzip-1"; $s[0]) | floor),
		redis_records_per_s: ($n / med("redis-xadd"; $s[0]) | floor),
		sqlite_records_per_s: ($n / med("sqlite3-txn"; $s[0]) | floor),
		ratio_vs_gzip1: (med("gzip-1"; $s[0]) / $rd * 100 | round / 100),
		ratio_vs_redis: (med("redis-xadd"; $s[0]) / $rd * 100 | round / 100),
		ratio_vs_sqlite: (med("sqlite3-txn"; $s[0]) / $rd * 100 | round / 100),
		one_record_median_ms: (med("rd-capture-one"; $o[0]) * 1000000 | round / 1000),
		rd_capture_version_median_ms: (med("rd-capture-version"; $o[0]) * 1000000 | round / 1000),
		curl_version_median_ms: (med("curl-version"; $o[0]) * 1000000 | round / 1000),
		true_median_ms: (med("true"; $o[0]) * 1000000 | round / 1000),
		one_record_vs_curl_version: (med("curl-version"; $o[0]) / med("rd-capture-one"; $o[0]) * 100 | round / 100)
	}' | tee "$out/capture.json"
