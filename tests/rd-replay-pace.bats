#!/usr/bin/env bats
# rd-replay's pace: --set-rate, --ramp, --adaptive, the gate, concurrent
# sends, and each host's own rate, concurrency and pause.  The test
# downstream is started by each test on 127.0.0.1 and stopped by PID.

load common
load replay

setup() { common_setup; }
teardown() { rp_teardown; }

@test "--set-rate changes the rate of a running replay, which says who changed it" {
	ds_start
	capture_n 300
	run rd-replay --set-rate 10/s
	assert_failure 1
	assert_output --partial "no replay is running on '$SPOOL'"
	rd-replay --rate 20/s > "$T/out" 2> "$T/err" &
	pid=$!
	until [ -s "$SPOOL/replay.status" ]; do sleep 0.1; done
	jq -e '.rate_limit == 20' "$SPOOL/replay.status"
	run rd-replay --set-rate 600/s
	assert_success
	assert_output --partial "the replay running on '$SPOOL' (pid $pid) now sends at most 600/s"
	jq -e '.rate_limit == 600 and (.control | length) == 26' "$SPOOL/replay.status"
	wait "$pid"
	grep -q "rate limit set to 600/s by $(id -un) (replay.control)" "$T/err"
	# the run lines in the spool show the change, for the report
	spool_lines | jq -se '[.[] | select(.kind == "run") | .rate_limit] | (index(20) < index(600))'
	assert_equal "$(jq -r 'select(.status == 200) | .key' "$T/ds.log" | sort -u | wc -l)" 300
	# a control left from an earlier run is not applied to the next one
	capture_n 200 /more
	rd-replay --rate 30/s > /dev/null 2>&1 &
	pid=$!
	until [ -s "$SPOOL/replay.status" ] && jq -e '.state == "running" and .pid == '"$pid" "$SPOOL/replay.status" > /dev/null 2>&1; do sleep 0.1; done
	# a picture taken after the run had the chance to read the old control
	replay_next_status
	jq -e '.rate_limit == 30' "$SPOOL/replay.status"
	# max lifts the limit
	run rd-replay --set-rate max
	assert_success
	assert_output --partial "has no rate limit now"
	wait "$pid"
	# a replay that does not replay
	run rd-replay --set-rate 5/s --dry-run
	assert_failure 2
	run rd-replay --set-rate 5/x
	assert_failure 2
}

@test "--set-rate under --adaptive is the controller's new ceiling" {
	ds_start
	capture_n 2000
	rd-replay -q --adaptive --rate 2000/s > /dev/null 2>&1 &
	pid=$!
	until [ -s "$SPOOL/replay.status" ]; do sleep 0.1; done
	run rd-replay --set-rate 40/s
	assert_success
	# soon, the rate it may send at is at most 40/s
	limited() { jq -e '.rate_limit <= 40' "$SPOOL/replay.status" > /dev/null 2>&1; }
	wait_until 5 limited
	kill "$pid"
	wait "$pid" || true
}

@test "--ramp rises in a straight line to --rate; the run lines show it" {
	ds_start
	capture_n 600
	run rd-replay -q --rate 300/s --ramp 2s --adaptive-start 30/s
	assert_success
	assert_equal "$(jq -r 'select(.status == 200) | .key' "$T/ds.log" | sort -u | wc -l)" 600
	# the rate allowed, once a second: it starts low, only rises, and
	# reaches --rate, never above it
	spool_lines | jq -se '[.[] | select(.kind == "run" and .state == "running") | .rate_limit] as $r |
		($r | length) >= 3 and $r[0] < 150 and ($r | max) == 300 and
		([range(1; $r | length) | $r[.] >= $r[. - 1]] | all)'
	# usage: a ramp needs a rate to rise to; a tolerance is a factor above 1
	run rd-replay --ramp 2s --rate max
	assert_failure 2
	assert_output --partial "--ramp needs a --rate"
	run rd-replay --adaptive --latency-tolerance 0.5
	assert_failure 2
	assert_output --partial "--latency-tolerance"
	run rd-replay --adaptive --latency-tolerance off --rate max --max-time 1s
	assert_success
}

@test "a closed gate sends nothing; an opened gate resumes" {
	ds_start
	capture_n 20
	rd-replay --rate max --gate "test -f '$T/open'" --gate-every 100ms > "$T/out" 2> "$T/err" &
	BG_PID=$!
	sleep 1
	[ ! -s "$T/ds.log" ]
	kill -0 "$BG_PID"
	touch "$T/open"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	assert_equal "$st" 0
	assert_equal "$(served 200)" 20
	grep -q "the gate was closed for" "$T/err"
	# a gate that stays closed: nothing sent, work remains
	capture_n 3
	rm "$T/open"
	run rd-replay --gate false --max-time 500ms
	assert_failure 1
	assert_equal "$(served 200)" 20
}

@test "--adaptive settles under a capacity-limited downstream without a storm" {
	ds_start --capacity 100
	capture_n 400
	run rd-replay --adaptive --rate 2000/s --backoff 50ms --backoff-max 1s
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 400
	total=$(wc -l < "$T/ds.log")
	# amplification: attempts per request stays low
	[ "$total" -le 520 ]
	spool_events attempt | jq -s -e 'length == '"$total"
}

@test "concurrent sends each get their own connection: latency is the service's (p50 under 1.5 times it)" {
	# 16 at once to a service that answers in 500 ms over clear-text
	# HTTP/1.1.  Queued behind one connection they would report 1000 ms
	# and more; the bound leaves room for a stall on a loaded machine.
	ds_start --latency 500
	capture_n 16
	run rd-replay -c 16 --rate max --json
	assert_success
	local p50
	p50=$(printf '%s\n' "$output" | grep "^{" | jq -s 'map(.latency_ms) | sort | .[length / 2 | floor]')
	echo "p50 $p50 ms"
	[ "$(jq -n "$p50 >= 500 and $p50 < 750")" = true ]
}

@test "a gate that cannot run is an error: exit 2 with its last stderr line, no wait forever" {
	ds_start
	capture_n 3
	# a typo: the shell cannot find the command (127)
	run timeout 20 rd-replay --gate 'rd-helth --url http://127.0.0.1/health' --gate-every 100ms
	assert_failure 2
	assert_line --regexp '^rd-replay: the gate command cannot run \(exit 127: .*rd-helth.*not found\)$'
	# found but not executable (126)
	printf '#!/bin/sh\nexit 0\n' > "$T/gate.sh"
	run timeout 20 rd-replay --gate "$T/gate.sh" --gate-every 100ms
	assert_failure 2
	assert_output --partial "(exit 126: "
	assert_output --partial "Permission denied"
	# killed by a signal it was not sent by rd-replay
	run timeout 20 rd-replay --gate 'echo "segfault in check" >&2; kill -SEGV $$' --gate-every 100ms
	assert_failure 2
	assert_output --partial "killed by signal 11: segfault in check"
	# nothing was sent, and the spool is not held
	[ ! -s "$T/ds.log" ]
	# a gate that times out is closed, not broken
	run timeout 20 rd-replay --gate 'sleep 5' --gate-timeout 200ms --max-time 1s
	assert_failure 1
	assert_output --partial "timed out after 0.2s"
	# closed from the start: the wait for its first answer counts (it
	# said 0.8s of the 1s the gate held every send)
	closed=$(sed -n 's/.*the gate was closed for \([0-9.]*\)s.*/\1/p' <<< "$output")
	awk -v c="$closed" 'BEGIN { exit !(c >= 0.95) }' || fail "closed for ${closed}s of 1s"
}

@test "a closed gate shows its exit status and last stderr line in the progress line and the summary" {
	ds_start
	capture_n 3
	gate='echo "probe: starting" >&2; echo "orders db is down" >&2; exit 1'
	run rd-replay --gate "$gate" --gate-every 100ms --max-time 1s
	assert_failure 1
	assert_line --regexp '^rd-replay: the gate was closed for [0-9.]+s \(last: exit 1: orders db is down\)$'
	# the gate's words are passed on once, not every 100ms
	assert_equal "$(grep -c 'gate: orders db is down' <<< "$output")" 1
	cat > "$T/run.sh" <<SH
stty cols 200 2>/dev/null
COLUMNS=200 rd-replay --gate '$gate' --gate-every 100ms --max-time 1s
SH
	run script -qec "sh '$T/run.sh'" /dev/null < /dev/null
	assert_output --partial "gate closed (exit 1: orders db is down)"
	[ ! -s "$T/ds.log" ]
}

# Requests a downstream log shows, by status.
ds_count() { jq -c "select(.status == $2)" "$1" 2>/dev/null | wc -l; }

# $2 records for host:port $1, path ${3:-/h}/<i>, into the spool.
capture_for() {
	seq "$2" | awk -v hp="$1" -v pre="${3:-/h}" '{
		printf "{\"method\":\"POST\",\"url\":\"http://%s%s/%d\",\"body\":\"{}\",\"failure\":{\"type\":\"http_503\",\"status\":503}}\n", hp, pre, $1
	}' | rd-capture -q > /dev/null
}

# Attempts the spool shows for the records of host:port $1.
attempts_to() {
	spool_lines | jq -r --arg hp "$1" '
		if .kind == "request" and (.url | contains("//" + $hp + "/")) then "R " + .id
		elif .kind == "attempt" then "A " + .ref else empty end' |
		awk '$1 == "R" { r[$2] = 1 } $1 == "A" && ($2 in r) { n++ } END { print n + 0 }'
}

@test "per host: a host that refuses pauses itself; the other drains, and the refused records keep their attempts" {
	ds_start
	down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	capture_for "127.0.0.1:$down" 100
	capture_for "127.0.0.1:$PORT" 100
	run rd-replay --rate max -c 4 --max-attempts 5 --backoff 100ms --backoff-max 1s --max-time 8s
	assert_failure 1
	# the healthy host got every one of its records, each once
	assert_equal "$(ds_count "$T/ds.log" 200)" 100
	assert_equal "$(wc -l < "$T/ds.log")" 100
	assert_output --partial "host 127.0.0.1:$down is not answering"
	# the down host's: one pause after a few failures, then single
	# probes, each pause twice the last: far fewer than the 100 first
	# attempts and the retries a shared pace would have spent (8 s
	# leave room for a slow machine to drain the other host)
	n=$(attempts_to "127.0.0.1:$down")
	[ "$n" -ge 3 ] && [ "$n" -le 30 ] || fail "attempts to the refused host: $n"
	assert_equal "$(spool_events dead | wc -l)" 0
}

@test "per host: a host that times out holds up nobody; its records are not burnt through their attempts" {
	ds_start
	local up=$PORT upds=$DS_PID
	DS_PID=
	rd-downstream --port-file "$T/port2" --latency 30000 --log "$T/slow.log" 2> /dev/null 3>&- &
	SLOW_PID=$!
	for i in $(seq 100); do [ -s "$T/port2" ] && break; sleep 0.05; done
	slow=$(cat "$T/port2")
	DS_PID=$upds
	capture_for "127.0.0.1:$slow" 50
	capture_for "127.0.0.1:$up" 100
	run rd-replay --rate max -c 4 --timeout 300ms --max-attempts 5 --backoff 200ms \
		--backoff-max 2s --max-time 8s
	kill "$SLOW_PID"; wait "$SLOW_PID" || true
	assert_failure 1
	assert_equal "$(jq -c 'select(.status == 200)' "$T/ds.log" | wc -l)" 100
	assert_output --partial "host 127.0.0.1:$slow is not answering (timeout)"
	n=$(attempts_to "127.0.0.1:$slow")
	[ "$n" -ge 3 ] && [ "$n" -le 24 ] || fail "attempts to the slow host: $n"
	assert_equal "$(spool_events dead | wc -l)" 0
}

@test "per host: --rate HOST=R and --concurrency HOST=N limit one host; the others keep the run's limits" {
	ds_start
	capture_for "127.0.0.1:$PORT" 30 /a
	capture_for "localhost:$PORT" 30 /b
	run rd-replay --rate "127.0.0.1:$PORT=2/s" --concurrency 127.0.0.1=1 --max-time 2s
	assert_failure 1
	# the named host: 2/s for two seconds, and the bucket's first token
	n=$(jq -r 'select(.path | startswith("/a/")) | .path' "$T/ds.log" | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 6 ] || fail "127.0.0.1 got $n requests at 2/s in 2s"
	assert_equal "$(jq -r 'select(.path | startswith("/b/")) | .path' "$T/ds.log" | wc -l)" 30
	run rd-replay --rate "no host=5"
	assert_failure 2
	assert_output --partial "--rate: 'no host' is not a host name"
	run rd-replay --concurrency "api=0"
	assert_failure 2
	assert_output --partial "--concurrency: api:"
}
