#!/bin/sh
# examples/demo.sh - `make demo`: capture failed requests the four ways
# rd-capture accepts them, then show that the spool is plain gzip + NDJSON
# that standard tools read, and that a crashed writer loses nothing it
# acknowledged.  Runs in a private spool under a temporary directory, sends
# no traffic anywhere, and exits 0 only if every acknowledged record reads
# back intact.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
PATH="$top/$BUILD/bin:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rd-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export RD_DIR="$tmp/spool"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*"; }

say "1. one request that just failed, described like curl"
run "rd-capture -X POST -H 'Content-Type: application/json' \\
	--data '{\"order\":42,\"amount\":1999}' \\
	--failure http_503 --status 503 --tag incident=INC-1234 \\
	http://127.0.0.1:8080/payments" > "$tmp/ids"
cat "$tmp/ids"

say "2. a stream of failures as NDJSON (the fast path)"
i=1
while [ $i -le 1000 ]; do
	printf '{"method":"POST","url":"http://127.0.0.1:8080/orders/%d","headers":[["Content-Type","application/json"]],"body":"{\\"n\\":%d}","failure":{"type":"timeout"}}\n' $i $i
	i=$((i + 1))
done > "$tmp/failed.ndjson"
run "rd-capture < '$tmp/failed.ndjson' | tail -n 2" 
printf '(1000 ids printed, one per line, each only once it is durable)\n'

say "3. a raw HTTP/1.1 request, as pasted from a proxy log"
printf 'PUT /carts/7 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"items":[1]}' > "$tmp/req.http"
run "rd-capture --raw --failure connect --json < '$tmp/req.http'"

say "4. a browser HAR export, mapped by a jq filter"
run "rd-capture --jq \"\$(cat '$top/examples/har.jq')\" < '$top/tests/data/sample.har'"

say "5. bad input is refused with its line number; the rest is stored"
printf '%s\n' '{"method":"GET","url":"http://127.0.0.1:8080/ok"}' \
	'{"method":"GET","url":"ftp://nope"}' \
	'not json' > "$tmp/mixed.ndjson"
set +e
rd-capture --reject "$tmp/rejects" < "$tmp/mixed.ndjson"
rc=$?
set -e
printf 'exit status %d (1 = some input rejected, valid records kept)\n' $rc
[ $rc -eq 1 ] || { echo "demo: expected exit 1" >&2; exit 1; }
printf 'kept verbatim in --reject FILE:\n'; cat "$tmp/rejects"

say "6. the spool is gzip members of JSON lines: standard tools read it"
run "ls -l '$RD_DIR'"
run "gzip -t '$RD_DIR'/*.ndjson.gz && echo 'gzip -t: ok'"
run "zcat '$RD_DIR'/*.ndjson.gz | jq -c 'select(.tags.incident) | {id, method, url, failure}'"

say "7. kill -9 in the middle of a stream: every printed id survives"
# An endless producer, so the kill lands mid-stream.
( while cat "$tmp/failed.ndjson"; do :; done ) | rd-capture > "$tmp/acked" &
pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
acked=$(grep -c . "$tmp/acked" || true)
# The next writer repairs a torn tail, if the kill left one, and says so.
run "echo '{\"method\":\"GET\",\"url\":\"http://127.0.0.1:8080/after-crash\"}' | rd-capture >/dev/null"
gzip -t "$RD_DIR"/*.ndjson.gz
zcat "$RD_DIR"/*.ndjson.gz | jq -r .id | sort > "$tmp/stored"
missing=$(sort "$tmp/acked" | comm -23 - "$tmp/stored" | wc -l)
printf 'acknowledged before the kill: %s, missing after it: %s\n' "$acked" "$missing"
printf 'records in the spool now: %s\n' "$(wc -l < "$tmp/stored")"

if [ "$missing" -ne 0 ]; then
	echo "demo: FAILED: acknowledged records were lost" >&2
	exit 1
fi
say "done: every acknowledged record is in the spool"
