#!/bin/sh
# examples/demo.sh - `make demo`: an outage, told end to end on loopback.
#
# A simulated payments service (the project's test downstream) goes down.
# Requests sent through `rd-capture --try` fail and are captured, with a
# stream of failures from an application's log.  rd-health says unhealthy
# and its breaker opens; a replay gated on it sends nothing.  The service
# comes back with a limited capacity; the breaker needs three healthy
# checks in a row, then `rd-replay --adaptive` drains the backlog without a
# storm, and rd-audit summarizes it and writes an HTML report; rd-compact
# then removes the delivered history, and rd-audit's totals stay the same.
# Finally a writer is killed with -9 mid-stream, and nothing it
# acknowledged is lost.
# Last, rd-proxy in front of the service takes an outage for a client that
# changes nothing but the address it sends to.  Everything runs in a temporary directory, talks
# only to 127.0.0.1, stops what it started, and exits 0 only if every
# captured request was delivered.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
PATH="$top/$BUILD/bin:$top/$BUILD/tests:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rd-demo.XXXXXX")
ds_pid="" px_pid=""
cleanup() {
	[ -n "$px_pid" ] && kill "$px_pid" 2>/dev/null && wait "$px_pid" 2>/dev/null
	[ -n "$ds_pid" ] && kill "$ds_pid" 2>/dev/null && wait "$ds_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
export RD_SPOOL="$tmp/spool"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

say "0. a payments service on 127.0.0.1, at most 300 requests/s, and down"
touch "$tmp/down"
rd-downstream --port-file "$tmp/port" --outage-file "$tmp/down" \
	--capacity 300 --log "$tmp/received.ndjson" 2> "$tmp/ds.err" &
ds_pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the test service did not start"
	sleep 0.05
done
port=$(cat "$tmp/port")
svc="http://127.0.0.1:$port"
printf 'service: %s (health: %s/health)\n' "$svc" "$svc"
run "curl -s -w ' HTTP %{http_code}\n' $svc/health"

say "1. a script sends charges with rd-capture --try, a drop-in for curl"
for n in 1 2 3; do
	set +e
	rd-capture --try -q -X POST -H 'Content-Type: application/json' \
		-H "Idempotency-Key: charge-$n" --data "{\"order\":$n,\"amount\":1999}" \
		"$svc/payments/charge" > /dev/null
	rc=$?
	set -e
	printf 'charge %d: exit %d (1 = not delivered, captured durably)\n' $n $rc
	[ $rc -eq 1 ] || fail "expected rd-capture --try to capture"
done

say "2. the application's own failures, streamed as NDJSON"
i=1
while [ $i -le 1500 ]; do
	printf '{"method":"POST","url":"%s/orders/%d","headers":[["Content-Type","application/json"]],"body":"{\\"n\\":%d}","failure":{"type":"timeout"}}\n' "$svc" $i $i
	i=$((i + 1))
done > "$tmp/failed.ndjson"
run "rd-capture < '$tmp/failed.ndjson' | wc -l"
printf '(one id per stored record, printed once it is durable)\n'

health="rd-health --state $tmp/breaker --open-after 2 --close-after 3 --cooldown 0s --url $svc/health --check 'p99<500ms'"
gate="rd-health -q --state $tmp/breaker --open-after 2 --close-after 3 --cooldown 0s --url $svc/health"
say "3. rd-health: unhealthy, and after two bad checks the breaker opens"
for i in 1 2; do
	set +e
	run "$health"
	set -e
done

say "4. replay, gated on rd-health: the service is down, nothing is sent"
set +e
run "rd-replay --gate '$gate' --gate-every 1s --adaptive --rate 2000/s --max-time 2s"
rc=$?
set -e
printf 'exit %d (1 = work remains)\n' $rc
[ $rc -eq 1 ] || fail "expected exit 1 while the gate is closed"
sent=$(grep -c '"status":200' "$tmp/received.ndjson" || true)
[ "$sent" -eq 0 ] || fail "requests were delivered while the service was down"

say "5. the service recovers; the breaker needs 3 healthy checks in a row, then the adaptive replay drains"
rm "$tmp/down"
run "rd-replay --gate '$gate' --gate-every 1s --adaptive --rate 2000/s"
run "$health"

say "6. what the service saw"
jq -r '.status' "$tmp/received.ndjson" | sort | uniq -c | sed 's/^/   /'
total=$(wc -l < "$tmp/received.ndjson")
ok=$(jq -r 'select(.status == 200) | .key' "$tmp/received.ndjson" | sort -u | wc -l)
dups=$(jq -r 'select(.status == 200) | .key' "$tmp/received.ndjson" | sort | uniq -d | wc -l)
over=$(jq -c 'select(.status == 503 and (.path | startswith("/payments") | not))' "$tmp/received.ndjson" | wc -l)
printf 'captured 1503 requests; delivered %d, each exactly once (%d duplicates)\n' "$ok" "$dups"
printf 'requests turned away by the capacity limit while draining: %d of %d\n' "$over" "$total"
printf 'the three charges kept their own idempotency keys: %s\n' \
	"$(jq -r 'select(.status == 200 and (.key | startswith("charge-"))) | .key' "$tmp/received.ndjson" | sort | tr '\n' ' ')"
[ "$ok" -eq 1503 ] || fail "not every captured request was delivered"
[ "$dups" -eq 0 ] || fail "a request was delivered twice"

say "7. rd-audit: what failed, what came back, and the extra traffic replay caused"
report=${DEMO_REPORT:-${TMPDIR:-/tmp}/redrive-demo-report.html}
run "rd-audit --html '$report' | head -12"
printf '(open %s in a browser: the postmortem report, kept after the demo)\n' "$report"
run "gzip -t '$RD_SPOOL'/*.ndjson.gz && echo 'gzip -t: ok'"

say "7b. rd-compact: the delivered history leaves the spool, the totals stay"
totals() { rd-audit --json | jq -c '{requests, ok: .state.ok, attempts: .replay.attempts}'; }
before=$(totals)
size_before=$(du -sk "$RD_SPOOL" | cut -f1)
run "rd-compact --keep 0s"
size_after=$(du -sk "$RD_SPOOL" | cut -f1)
after=$(totals)
printf 'spool: %s KiB before, %s KiB after; rd-audit totals before %s, after %s\n' \
	"$size_before" "$size_after" "$before" "$after"
[ "$before" = "$after" ] || fail "rd-audit's totals changed with compaction"
[ "$size_after" -lt "$size_before" ] || fail "the spool did not shrink"

say "8. kill -9 in the middle of a capture stream: every printed id survives"
( while cat "$tmp/failed.ndjson"; do :; done ) | rd-capture > "$tmp/acked" &
pid=$!
# once some ids are out, with the stream still coming
i=0
until [ -s "$tmp/acked" ] || [ $i -ge 200 ]; do i=$((i + 1)); sleep 0.05; done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
acked=$(grep -c . "$tmp/acked" || true)
# The next writer repairs a torn tail, if the kill left one, and says so.
run "echo '{\"method\":\"GET\",\"url\":\"$svc/after-crash\"}' | rd-capture >/dev/null"
gzip -t "$RD_SPOOL"/*.ndjson.gz
zcat -f "$RD_SPOOL"/*.ndjson.gz | jq -r 'select(.kind == "request") | .id' | sort > "$tmp/stored"
missing=$(sort "$tmp/acked" | comm -23 - "$tmp/stored" | wc -l)
printf 'acknowledged before the kill: %s, missing after it: %s\n' "$acked" "$missing"
[ "$missing" -eq 0 ] || fail "acknowledged records were lost"

say "9. no code change: rd-proxy in front of the service takes the next outage"
rd-proxy --listen 127.0.0.1:0 --upstream "$svc" --spool "$tmp/proxy-spool" \
	2> "$tmp/px.err" &
px_pid=$!
i=0
until grep -q 'listening on' "$tmp/px.err" 2>/dev/null || [ $i -ge 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
cat "$tmp/px.err"
proxy=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$tmp/px.err")
[ -n "$proxy" ] || fail "rd-proxy did not start"
touch "$tmp/down"
run "curl -s -D '$tmp/h' -o /dev/null -w 'HTTP %{http_code}\n' -X POST -H 'Content-Type: application/json' --data '{\"order\":9,\"amount\":500}' http://$proxy/payments/charge"
key=$(tr -d '\r' < "$tmp/h" | sed -n 's/^Idempotency-Key: //p')
printf 'rd-proxy: the client got 202 while the service was down; Redrive-Id %s\n' \
	"$(tr -d '\r' < "$tmp/h" | sed -n 's/^Redrive-Id: //p')"
rm "$tmp/down"
run "rd-replay -q --spool '$tmp/proxy-spool'"
got=$(jq -r --arg k "$key" 'select(.status == 200 and .key == $k) | .path' "$tmp/received.ndjson")
[ "$got" = /payments/charge ] || fail "the captured charge was not delivered"
printf 'rd-proxy: after the outage rd-replay delivered it, with the key the 202 announced\n'
kill "$px_pid" && wait "$px_pid" || fail "rd-proxy did not stop cleanly"
px_pid=""

say "done: every captured request was delivered once, and nothing acknowledged was lost"
