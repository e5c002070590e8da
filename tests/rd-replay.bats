#!/usr/bin/env bats
# rd-replay against the project's test downstream, started by each test on
# 127.0.0.1 and stopped by PID.

load common

setup() { common_setup; }
teardown() {
	ds_stop
	[ -z "${BG_PID:-}" ] || { kill "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null; } || true
	common_teardown
}

# Requests the downstream answered with status $1.
served() { jq -c "select(.status == $1)" "$T/ds.log" 2>/dev/null | wc -l; }

@test "delivers every pending record once, with its idempotency key, and exits 0" {
	ds_start
	capture_n 50
	run rd-replay --rate max
	assert_success
	assert_output --partial "sent 50, ok 50"
	assert_equal "$(served 200)" 50
	# one request per key, and the key is the record id
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 50
	diff <(jq -r .key "$T/ds.log" | sort) <(spool_lines | jq -r 'select(.kind=="request") | .id' | sort)
	# nothing left: a second run sends nothing
	run rd-replay
	assert_success
	assert_output --partial "sent 0"
	assert_equal "$(wc -l < "$T/ds.log")" 50
}

@test "the bytes sent are the bytes captured (sha256 of each body, binary too)" {
	ds_start
	for i in 1 2 3 4 5; do
		head -c $((i * 1000)) /dev/urandom > "$T/body$i"
		rd-capture -q -X PUT -H 'Content-Type: application/octet-stream' \
			--data-binary @"$T/body$i" "http://127.0.0.1:$PORT/blob/$i" > /dev/null
	done
	run rd-replay --rate max
	assert_success
	for i in 1 2 3 4 5; do
		want=$(sha256sum < "$T/body$i" | cut -d' ' -f1)
		got=$(jq -r "select(.path == \"/blob/$i\") | .sha256" "$T/ds.log")
		assert_equal "$got" "$want"
		assert_equal "$(jq -r "select(.path == \"/blob/$i\") | .method" "$T/ds.log")" PUT
	done
}

@test "the idempotency key is the same on every attempt of a record" {
	ds_start --fail-first 2
	capture_n 10
	run rd-replay --rate max --backoff 10ms --backoff-max 50ms
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 30
	# each key: exactly three attempts, 503, 503, 200
	run sh -c "jq -r '\"\\(.key) \\(.status)\"' '$T/ds.log' | sort | uniq -c | awk '{print \$1, \$3}' | sort -u"
	assert_output "$(printf '1 200\n2 503')"
	# a key chosen at capture is kept
	printf '{"method":"POST","url":"http://127.0.0.1:%s/k","idempotency_key":"order-42"}\n' "$PORT" | rd-capture -q >/dev/null
	run rd-replay --rate max --backoff 10ms --backoff-max 50ms --idempotency-header X-Request-Key
	assert_success
	assert_equal "$(jq -r 'select(.path=="/k") | .key' "$T/ds.log" | sort -u)" ""
}

@test "no retry is sent before its due time (exponential backoff with jitter)" {
	ds_start --fail-first 3
	capture_n 5
	run rd-replay --rate max --backoff 100ms --backoff-max 400ms
	assert_success
	# every attempt after the first starts at or after the next_due of
	# the attempt before it (times from the spool's own events)
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -s -r '
		[.[] | select(.kind==\"attempt\")] | group_by(.ref)[] |
		sort_by(.attempt) | . as \$a |
		range(1; length) | select(\$a[.].at < \$a[.-1].next_due) | \$a[.].ref'"
	assert_success
	assert_output ""
	# and the schedule grew: attempt 3 may wait up to 200ms, 4 up to 400ms
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -r 'select(.kind==\"attempt\" and .outcome==\"retry\") | .attempt' | sort | uniq -c | awk '{print \$2}' | tr '\n' ' '"
	assert_output "1 2 3 "
}

@test "Retry-After holds the retry back" {
	ds_start --fail-first 1 --retry-after 1
	capture_n 1
	run rd-replay --rate max --backoff 1ms --backoff-max 5s
	assert_success
	first=$(jq -r 'select(.status==503) | .t' "$T/ds.log")
	second=$(jq -r 'select(.status==200) | .t' "$T/ds.log")
	gap=$(jq -n --arg a "$first" --arg b "$second" '
		def ms: sub("\\.(?<f>[0-9]+)Z$"; "Z") as $s | ($s | fromdateiso8601) * 1000;
		($b | .[20:23] | tonumber) as $bm | ($a | .[20:23] | tonumber) as $am |
		(($b | ms) + $bm) - (($a | ms) + $am)')
	[ "$gap" -ge 1000 ]
	spool_events attempt | jq -s -e 'map(select(.outcome=="retry")) | length == 1 and all(.next_due > .at)'
	# a retry due after the time budget ends the run at once, and it says
	# so (it said "--max-time reached" with the budget untouched)
	ds_stop
	ds_start --fail-first 1 --retry-after 7
	capture_n 1 /later
	run rd-replay --rate max --match-url /later --max-time 3s
	assert_failure 1
	assert_output --partial "; the next retry is due after --max-time"
	refute_output --partial "--max-time reached"
}

@test "--max-time ends a run early only when the next due record is beyond it: records due now behind the rate are sent first" {
	# a retry due in 2 minutes, beyond the budget below
	ds_start --fail-first 1 --retry-after 120
	capture_n 1 /later
	run timeout 60 rd-replay --rate max --max-time 20s
	assert_failure 1
	ds_stop
	# 20 records due now, each refused for good; at the default rate a
	# batch is 5 sends: the run ended after the first, that retry beyond
	# the budget, with 15 records due and never tried
	ds_start --route /fail=400
	capture_n 20 /fail
	run timeout 60 rd-replay --max-time 20s
	assert_failure 4
	assert_output --partial "sent 20, ok 0, retry 0, dead 20"
	assert_output --partial "; the next retry is due after --max-time"
	assert_equal "$(served 400)" 20
	rd-audit --json | jq -e '.by_attempts[0] == 0 and .state.dead == 20 and .state.pending == 1'
}

@test "a permanent failure goes straight to dead; --max-attempts leads to dead" {
	ds_start --route /bad=400 --route /down=503
	capture_n 3 /bad
	capture_n 2 /down
	run rd-replay --rate max --max-attempts 3 --backoff 1ms --backoff-max 5ms
	assert_failure 4
	assert_output --partial "dead 5"
	assert_equal "$(jq -c 'select(.path | startswith("/bad"))' "$T/ds.log" | wc -l)" 3
	assert_equal "$(jq -c 'select(.path | startswith("/down"))' "$T/ds.log" | wc -l)" 6
	assert_equal "$(spool_events dead | wc -l)" 5
	assert_equal "$(spool_events dead | jq -r .reason | grep -c 'permanent failure: HTTP 400')" 3
	assert_equal "$(spool_events dead | jq -r .reason | grep -c '3 attempts made')" 2
	# dead records are not sent again
	run rd-replay --rate max
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 9
}

@test "--revive redrives the selected dead records, like a DLQ redrive" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	capture_n 4 /a
	capture_n 3 /b
	run rd-replay --rate max --max-attempts 1
	assert_failure 4
	assert_equal "$(spool_events dead | wc -l)" 7
	rm "$T/down"
	# a dry run says what it would revive (it said "revived 0"), and
	# revives nothing
	run rd-replay --dry-run --revive --match-url '/b/'
	assert_success
	assert_output --partial "would revive 3"
	assert_equal "$(spool_events revive | wc -l)" 0
	run rd-replay --rate max --revive --match-url '/b/'
	assert_success
	assert_output --partial "revived 3"
	assert_equal "$(jq -c 'select(.status==200)' "$T/ds.log" | jq -r .path | sort | tr '\n' ' ')" "/b/1 /b/2 /b/3 "
	assert_equal "$(spool_events revive | wc -l)" 3
	# the rest stay dead until revived
	run rd-replay --rate max
	assert_success
	assert_equal "$(served 200)" 3
}

@test "selection: --where, --match-url, --failure, --since/--until, --limit" {
	ds_start
	capture_n 3 /x
	rd-capture -q --failure timeout "http://127.0.0.1:$PORT/t/1" > /dev/null
	# exit 0: nothing selected is left, whatever else is pending
	run rd-replay --rate max --failure 'time*'
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log")" /t/1
	run rd-replay --rate max --where '.body | fromjson | .n == 2'
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | tail -1)" /x/2
	run rd-replay --rate max --since 2000-01-01T00:00:00Z --until 2000-01-02T00:00:00Z
	assert_success
	assert_output --partial "sent 0"
	# --limit leaves the rest of the selection pending: exit 1
	run rd-replay --rate max --limit 1 --match-url '/x/[13]$'
	assert_failure 1
	assert_output --partial "1 pending"
	assert_equal "$(wc -l < "$T/ds.log")" 3
	run rd-replay --rate max --since 1h
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 4
}

@test "--stdin replays exactly the ids or records piped in" {
	ds_start
	capture_n 5
	spool_lines | jq -c 'select(.kind=="request")' | sed -n '2p;4p' > "$T/pick"
	run rd-replay --rate max --stdin < "$T/pick"
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | sort | tr '\n' ' ')" "/orders/2 /orders/4 "
	spool_lines | jq -r 'select(.kind=="request") | .id' | sed -n 1p > "$T/ids"
	run rd-replay --rate max --stdin < "$T/ids"
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 3
	run rd-replay --stdin <<< 'not-an-id'
	assert_failure 2
	assert_output --partial "standard input, line 1"
}

@test "--stdin names each id no pending record carried: unknown, delivered or dead" {
	# each record's first try fails (503), its second is delivered
	ds_start --fail-first 1
	capture_n 3
	spool_lines | jq -r 'select(.kind=="request") | .id' > "$T/ids"
	dead=$(sed -n 1p "$T/ids") done=$(sed -n 2p "$T/ids")
	run rd-replay --rate max --max-attempts 1 --stdin <<< "$dead"
	assert_failure 4
	refute_output --partial "no pending record"
	run rd-replay --rate max --stdin <<< "$done"
	assert_success
	refute_output --partial "no pending record"
	unknown=01ARZ3NDEKTSV4RRFFQ69G5FAV
	printf '%s\n' "$unknown" "$dead" "$done" "$(sed -n 3p "$T/ids")" > "$T/pick"
	run rd-replay --rate max --stdin < "$T/pick"
	assert_success
	assert_line "rd-replay: standard input: no pending record $unknown in the spool (unknown, delivered, or dead: --revive sends those); not sent"
	assert_output --partial "no pending record $dead "
	assert_output --partial "no pending record $done "
	assert_equal "$(grep -c 'no pending record' <<< "$output")" 3
	assert_equal "$(jq -r 'select(.status == 200) | .path' "$T/ds.log" | tr '\n' ' ')" "/orders/2 /orders/3 "
	# with --revive, the dead one is sent; a run cut short names nothing
	run rd-replay --rate max --revive --stdin <<< "$dead"$'\n'"$unknown"
	assert_success
	assert_line "rd-replay: standard input: no pending record $unknown in the spool (unknown, delivered); not sent"
	assert_equal "$(jq -r 'select(.status == 200) | .path' "$T/ds.log" | tail -1)" /orders/1
	run rd-replay --rate max --limit 1 --stdin <<< "$unknown"
	refute_output --partial "no pending record"
	ds_stop
}

@test "a narrow selection neither waits for nor counts the retries it did not select: exit 0 once its own records are done" {
	# /fail answers 503 asking for 2 minutes, /ok answers 200
	ds_start --route /fail=503 --retry-after 120
	printf '{"method":"POST","url":"http://127.0.0.1:%s/fail/%s"}\n' "$PORT" a "$PORT" c |
		rd-capture -q > "$T/ids"
	printf '{"method":"POST","url":"http://127.0.0.1:%s/ok/b"}\n' "$PORT" | rd-capture -q >> "$T/ids"
	# a and c fail once and are due again in 2 minutes
	run timeout 60 rd-replay --rate max --match-url /fail --max-time 20s
	assert_failure 1
	assert_output --partial "sent 2, ok 0, retry 2"
	assert_output --partial "; 2 pending;"
	# --stdin naming b alone: b is delivered and the run ends (it waited
	# for a and c, which it did not select, and then exited 1)
	run timeout 60 rd-replay --rate max --stdin < <(sed -n 3p "$T/ids")
	assert_success
	assert_output --partial "sent 1, ok 1"
	assert_output --partial "; 0 pending;"
	refute_output --partial "no pending record"
	# selections that take none of what is left end at once, exit 0,
	# with nothing pending of theirs
	for sel in "--match-url nomatch" "--where (.url|endswith(\"/x\"))" \
		   "--failure timeout" "--since 2000-01-01T00:00:00Z --until 2000-01-02T00:00:00Z"; do
		# shellcheck disable=SC2086
		run timeout 60 rd-replay $sel --max-time 20s
		assert_success
		assert_output --partial "sent 0, ok 0"
		assert_output --partial "; 0 pending;"
	done
	# one taking a alone counts a alone; --stdin naming it says nothing of
	# it as missing, and waits for it within the budget
	run timeout 60 rd-replay --where '.url|endswith("/a")' --max-time 20s
	assert_failure 1
	assert_output --partial "; 1 pending;"
	assert_output --partial "the next retry is due after --max-time"
	run timeout 60 rd-replay --stdin --max-time 20s < <(sed -n 1p "$T/ids")
	assert_failure 1
	assert_output --partial "; 1 pending;"
	refute_output --partial "no pending record"
	# the spool still holds both, as rd-audit counts them
	rd-audit --json | jq -e '.state.pending == 2'
	assert_equal "$(served 200)" 1
	assert_equal "$(served 503)" 2
}

@test "--target sends elsewhere only when the host is allowed" {
	ds_start
	printf '{"method":"POST","url":"http://orders.internal.example/v1/o?x=1","body":"b"}\n' | rd-capture -q > /dev/null
	run rd-replay --rate max --target "http://127.0.0.1:$PORT/canary"
	assert_failure 1
	assert_output --partial "host '127.0.0.1' is not on the allow-list"
	[ ! -s "$T/ds.log" ]
	run rd-replay --rate max --target "http://127.0.0.1:$PORT/canary" --allow-host 127.0.0.1
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log")" "/canary/v1/o?x=1"
	# a query of the target's own would be dropped for the record's
	run rd-replay --dry-run --target "http://127.0.0.1:$PORT/canary?sig=S3cr" --allow-host 127.0.0.1
	assert_failure 2
	assert_output --partial "--target: 'http://127.0.0.1:$PORT/canary?sig=[REDACTED]' is not an http or https URL without query"
	run rd-replay --dry-run --target "http://127.0.0.1:$PORT/canary#x" --allow-host 127.0.0.1
	assert_failure 2
}

@test "--target carries the record's user:password, as it carries its headers, unless it names a user of its own" {
	printf '{"method":"POST","url":"http://u%%40x:P%%3AW@orders.internal.example/ui"}\n' | rd-capture -q > /dev/null
	run rd-replay --dry-run=raw --no-redact --target http://127.0.0.1:9 --allow-host 127.0.0.1
	assert_success
	# u@x:P:W
	assert_output --partial "Authorization: Basic dUB4OlA6Vw=="
	run rd-replay --dry-run --target http://127.0.0.1:9 --allow-host 127.0.0.1
	assert_output --partial "'http://[REDACTED]@127.0.0.1:9/ui'"
	run rd-replay --dry-run=raw --no-redact --target http://me:pw@127.0.0.1:9 --allow-host 127.0.0.1
	assert_output --partial "Authorization: Basic $(printf me:pw | base64)"
}

@test "the allow-list refuses hosts it does not name, metadata addresses included" {
	ds_start
	capture_n 2
	printf '{"method":"GET","url":"http://169.254.169.254/latest/meta-data/"}\n' | rd-capture -q > /dev/null
	run rd-replay --rate max --allow-host 127.0.0.1 --timeout 2s
	assert_failure 1
	assert_output --partial "host '169.254.169.254' is not on the allow-list"
	assert_equal "$(served 200)" 2
	# without --allow-host, a link-local address is refused at connect
	run rd-replay --rate max --timeout 2s --max-attempts 1
	assert_failure 4
	spool_events attempt | jq -e 'select(.error | test("allow-list"))'
}

@test "--dry-run prints curl commands or raw HTTP and sends nothing" {
	ds_start
	capture_n 2
	before=$(spool_lines | wc -l)
	run rd-replay --dry-run
	assert_success
	assert_line --index 0 --partial "curl -sS -X 'POST' -H 'User-Agent:' -H 'Accept:' -H 'Expect:' -H 'Content-Type: application/json' -H 'Idempotency-Key: "
	assert_line --index 0 --partial "--data-binary '{\"n\":1}' 'http://127.0.0.1:$PORT/orders/1'"
	run rd-replay --dry-run=raw
	assert_success
	assert_output --partial "POST /orders/2 HTTP/1.1"
	[ ! -s "$T/ds.log" ]
	assert_equal "$(spool_lines | wc -l)" "$before"
	# the printed command really sends the same request
	rd-replay --dry-run 2>/dev/null | head -1 | sh > /dev/null
	assert_equal "$(jq -r .path "$T/ds.log")" /orders/1
}

@test "an overlapping run exits 3 at once and sends nothing" {
	ds_start
	capture_n 3
	mkdir -p "$SPOOL"
	hold_lock "$SPOOL/replay.lock" 5
	BG_PID=$HELD_PID
	run rd-replay --rate max
	assert_failure 3
	assert_output --partial "is held by another replay"
	[ ! -s "$T/ds.log" ]
}

@test "--max-time stops starting requests and exits 1 with work left" {
	ds_start
	capture_n 200
	run rd-replay --rate 20/s --max-time 2s
	assert_failure 1
	assert_output --partial "--max-time reached"
	n=$(wc -l < "$T/ds.log")
	[ "$n" -ge 5 ] && [ "$n" -lt 200 ]
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 200
	assert_equal "$(wc -l < "$T/ds.log")" 200
}

@test "SIGTERM stops intake, records what finished, exits 1; the next run completes" {
	ds_start --latency 50
	capture_n 100
	rd-replay --rate 50/s > "$T/out" 2> "$T/err" &
	BG_PID=$!
	replay_sent_over 5
	kill -TERM "$BG_PID"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	assert_equal "$st" 1
	grep -q "stopped by a signal" "$T/err"
	n=$(wc -l < "$T/ds.log")
	assert_equal "$(spool_events attempt | wc -l)" "$n"
	run rd-replay --rate max
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 100
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 100
}

@test "kill -9 loop: every record delivered at least once, at most 3c sent again per kill, same key" {
	ds_start --latency 5
	# make torture raises these; -c as rd-replay(1) states the bound for
	c=${RD_KILL_CONCURRENCY:-4}
	n=${RD_KILL_RECORDS:-300}
	capture_n "$n"
	kills=0
	: > "$T/starts"
	for i in $(seq "${RD_KILL_ROUNDS:-40}"); do
		# where this run's sends begin in the downstream's log
		wc -l < "$T/ds.log" >> "$T/starts"
		rd-replay -q --rate 400/s -c "$c" > /dev/null 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 3 + 1))"
		if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
		wait "$pid" 2>/dev/null && break
		# what was in flight lands before the next run starts
		sleep 0.05
	done
	wc -l < "$T/ds.log" >> "$T/starts"
	run rd-replay --rate max
	assert_success
	ok_keys=$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)
	assert_equal "$ok_keys" "$n"
	# every key sent is a record id
	diff <(jq -r .key "$T/ds.log" | sort -u) <(spool_lines | jq -r 'select(.kind=="request") | .id' | sort)
	# A key sent again is a duplicate, owed to the kill before the run
	# that sent it.  Each kill may cost the requests in flight (c) and
	# the outcomes not yet in the spool (fewer than 2c): 3c, no more.
	jq -r .key "$T/ds.log" | awk -v starts="$T/starts" '
		BEGIN { while ((getline l < starts) > 0) s[++ns] = l }
		{ run = 0; for (i = 1; i <= ns; i++) if (NR > s[i]) run = i
		  if (seen[$0]++) dup[run]++ }
		END { for (r in dup) { t += dup[r]; if (dup[r] > m) m = dup[r] }
		      printf "%d %d\n", t, m }' > "$T/dups"
	read -r dups worst < "$T/dups"
	echo "# kills $kills, records $n, duplicates $dups, worst kill $worst, bound $((3 * c))" >&3
	[ "$worst" -le $((3 * c)) ]
	# and the same key every time: one record, one key
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" "$n"
}

@test "amplification is honest: every send the service saw is counted, after kill -9 and after --grace" {
	ds_start --latency 400
	capture_n 40
	# kill -9 with sends in flight: their intents are in the spool
	rd-replay -q --rate max -c 8 > /dev/null 2>&1 &
	pid=$!
	# the downstream logs a request as it arrives, and answers 400 ms on
	ds_got() { [ "$(cat "$T/ds.log" 2> /dev/null | wc -l)" -ge "$1" ]; }
	wait_until 10 ds_got 8
	kill -9 "$pid"
	wait "$pid" || true
	sleep 0.5
	got=$(wc -l < "$T/ds.log")
	j=$(rd-audit --json)
	jq -e --argjson got "$got" '.replay.attempts >= $got and .replay.unknown > 0' <<< "$j"
	# each intent comes before its send, and names the attempt it is
	spool_events intent | jq -se 'length >= 8 and all(.attempt >= 1)'
	# sends abandoned at the end of --grace are counted too
	port=$PORT
	ds_stop
	ds_start --port "$port" --latency 3000
	run rd-replay -q --rate max -c 8 --grace 200ms --max-time 500ms
	sleep 0.3
	# the log goes on from the first server's lines
	all=$(wc -l < "$T/ds.log")
	[ "$all" -gt "$got" ]
	rd-audit --json | jq -e --argjson got "$all" '.replay.attempts >= $got'
	# and the next run finishes the work, counting on from there
	ds_stop
	ds_start --port "$port"
	run rd-replay -q --rate max
	assert_success
	rd-audit --json | jq -e '.state.ok == 40 and .replay.unknown >= 8'
}

# The downstream's requests: each is logged as it arrives.
ds_got() { [ "$(cat "$T/ds.log" 2> /dev/null | wc -l)" -ge "$1" ]; }

# After a run that ended cleanly with sends prepared and never started:
# what rd-audit counts is what the service received, no more.
assert_only_sent_counted() {
	local sent
	sent=$(wc -l < "$T/ds.log")
	# some intents were written for sends that never started
	[ "$(spool_events intent | wc -l)" -gt "$sent" ]
	rd-audit --json | jq -e --argjson s "$sent" '.replay |
		.attempts == $s and .unknown == 0 and .replayed == $s and
		.amplification == 1 and .success_rate == 1'
	run rd-audit
	refute_output --partial "outcome unknown"
	# a record never sent was never attempted: pending, no attempt
	rd-audit --list | jq -se --argjson s "$sent" '
		(map(select(.replay_attempts > 0)) | length) == $s and
		all(.state == "ok" or .replay_attempts == 0)'
	# the next run sends each of the rest as its first attempt
	run rd-replay -q --rate max -c 16
	assert_success
	rd-audit --json | jq -e '.replay | .attempts == 20 and .unknown == 0 and
		.amplification == 1'
	spool_events attempt | jq -se 'length == 20 and all(.attempt == 1)'
	run rd-audit --prom
	assert_line --regexp '^redrive_replay_amplification_ratio\{[^}]*\} 1$'
}

@test "sends prepared and never started are no attempts: --max-time reached" {
	ds_start --latency 1000
	capture_n 20
	# two at a time, the intents of eight in one append: at 1.5 s four
	# were sent and four more prepared, never started
	run rd-replay -q --rate max -c 2 --max-time 1500ms
	assert_failure 1
	assert_only_sent_counted
}

@test "sends prepared and never started are no attempts: the gate closed mid-run" {
	ds_start --latency 1000
	capture_n 20
	touch "$T/open"
	rd-replay -q --rate max -c 2 --gate "test -f '$T/open'" --gate-every 100ms \
		--max-time 2500ms > /dev/null 2>&1 &
	BG_PID=$!
	# the first two sent, the next six prepared: the gate closes on them
	wait_until 10 ds_got 2
	rm "$T/open"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	assert_equal "$st" 1
	assert_only_sent_counted
}

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

@test "exit 2 on usage errors, with a reason" {
	run rd-replay --rate fast
	assert_failure 2
	assert_output --partial "--rate"
	run rd-replay --where '.['
	assert_failure 2
	run rd-replay --match-url '('
	assert_failure 2
	assert_output --partial "offset"
	run rd-replay --success 99
	assert_failure 2
	run rd-replay --target ftp://x/
	assert_failure 2
	# the reason names the URL with its password masked
	run rd-replay --target ftp://bob:hunter2@x/
	assert_failure 2
	assert_output --partial "--target: 'ftp://[REDACTED]@x/'"
	refute_output --partial hunter2
	run rd-replay --backoff 5s --backoff-max 1s
	assert_failure 2
	run rd-replay -H 'Bad'
	assert_failure 2
	run rd-replay stray
	assert_failure 2
	assert_output --partial "Try 'rd-replay --help'"
}

@test "a spool that does not exist yet means nothing to replay" {
	run rd-replay --spool "$T/none"
	assert_success
	assert_output --partial "does not exist yet"
}

@test "the checkpoint keeps restarts proportional to new data" {
	ds_start
	capture_n 30
	run rd-replay --rate max
	assert_success
	[ -f "$SPOOL/replay.ckpt" ]
	# a damaged checkpoint is ignored with a warning, never trusted
	printf 'garbage' > "$SPOOL/replay.ckpt"
	capture_n 2
	run rd-replay --rate max
	assert_success
	assert_output --partial "ignoring the checkpoint"
	assert_equal "$(wc -l < "$T/ds.log")" 32
}

@test "the outage story: captured while down, a gated cron loop delivers each request once" {
	ds_start --outage-file "$T/down" --capacity 300
	touch "$T/down"
	for i in 1 2 3; do
		run rd-capture --try -q --data "n=$i" "http://127.0.0.1:$PORT/try/$i"
		assert_failure 1
	done
	capture_n 2000
	gate="curl -sf http://127.0.0.1:$PORT/health"
	# while the service is down the gate stays closed: nothing is sent
	for i in 1 2; do
		run rd-replay -q --gate "$gate" --adaptive --rate 2000/s --max-time 1s
		assert_failure 1
	done
	assert_equal "$(wc -l < "$T/ds.log")" 3
	rm "$T/down"
	rc=1
	for i in $(seq 20); do
		rc=0
		rd-replay -q --gate "$gate" --gate-every 1s --adaptive --rate 2000/s --max-time 5s || rc=$?
		[ "$rc" -eq 0 ] && break
		[ "$rc" -eq 1 ] || break
	done
	assert_equal "$rc" 0
	# every request arrived with 200, exactly once
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 2003
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort | uniq -d | wc -l)" 0
	# and without a storm: few requests beyond the capacity
	sent=$(( $(wc -l < "$T/ds.log") - 3 ))
	over=$(( $(jq -c 'select(.status==503)' "$T/ds.log" | wc -l) - 3 ))
	[ $((over * 100)) -le $((sent * 10)) ]
}

@test "bytes stay exact across the checkpoint written every 10s of a run" {
	ds_start
	capture_n 1100
	run rd-replay --rate 100/s
	assert_success
	assert_equal "$(served 200)" 1100
	# every body is the one captured for its path
	run sh -c "jq -r '\"\\(.path) \\(.sha256)\"' '$T/ds.log' | while read -r p h; do
		n=\${p##*/}
		[ \"\$(printf '{\"n\":%s}' \"\$n\" | sha256sum | cut -d' ' -f1)\" = \"\$h\" ] || echo \"\$p\"
	done"
	assert_success
	assert_output ""
}

@test "a progress line on a terminal only; stdout stays clean" {
	ds_start
	capture_n 30
	# a pseudo-terminal for stderr and stdout, through script(1)
	run script -qec "rd-replay --rate 20/s" /dev/null
	assert_success
	assert_output --partial "gate open"
	assert_output --partial "ETA"
	assert_output --partial "sent 30, ok 30"
	capture_n 5
	# not a terminal: the summary line only
	run rd-replay --rate max
	assert_success
	refute_output --partial "ETA"
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

# --- trust at 3 AM: what a run says about itself ---------------------------

# nginx with one location of the test's own ($1: its directives), for
# answers rd-downstream does not give; sets NGX_PORT, and BG_PID so that
# teardown stops it.
ngx_custom() {
	local d="$T/ngx" try user=""
	mkdir -p "$d/tmp"
	[ "$(id -u)" -eq 0 ] && user="user root;"
	for try in 1 2 3 4 5; do
		NGX_PORT=$(( 20000 + (RANDOM % 20000) ))
		cat > "$d/nginx.conf" <<CONF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$NGX_PORT;
		location / { $1 }
	}
}
CONF
		nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;' \
			< /dev/null > /dev/null 2>&1 &
		BG_PID=$!
		local i
		for i in $(seq 60); do
			curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" && return 0
			kill -0 "$BG_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null || true
	done
	return 1
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

@test "a run that moves records to dead exits 4, over work remaining, and says so in --help" {
	ds_start --route /bad=400 --route /later=503
	capture_n 2 /bad
	capture_n 1 /later
	# dead letters and a retry still scheduled: 4 wins over 1
	run rd-replay --rate max --backoff 30s --backoff-max 30s --max-time 1s
	assert_failure 4
	assert_output --partial "dead 2"
	# no new dead letter in this run: work remains, 1
	run rd-replay --rate max --max-time 500ms
	assert_failure 1
	# another run holding the spool: 3 wins over everything but errors
	rd-replay --gate false --gate-every 100ms > /dev/null 2>&1 &
	BG_PID=$!
	for i in $(seq 50); do grep -q pid "$SPOOL/replay.lock" 2>/dev/null && break; sleep 0.1; done
	run rd-replay --rate max
	assert_failure 3
	run rd-replay --help
	assert_output --partial "4 this run moved records to dead letters"
}

@test "a second run names the replay that holds the spool: its pid and start time" {
	ds_start
	capture_n 2
	rd-replay --gate false --gate-every 100ms > /dev/null 2>&1 &
	BG_PID=$!
	for i in $(seq 50); do grep -q pid "$SPOOL/replay.lock" 2>/dev/null && break; sleep 0.1; done
	run rd-replay --rate max
	assert_failure 3
	assert_output --regexp "^rd-replay: spool '.*' is held by rd-replay \(pid $BG_PID, since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\)$"
	# under -q (cron) exit 3 says it all: an overlap mails nothing
	run rd-replay -q --rate max
	assert_failure 3
	assert_output ""
	# captures go on meanwhile: the writers' lock is another file
	run rd-capture -q "http://127.0.0.1:$PORT/more"
	assert_success
	kill "$BG_PID"
	wait "$BG_PID" || true
	BG_PID=
	# a clean end names nobody, and a stale name is never believed
	[ ! -s "$SPOOL/replay.lock" ]
	printf '{"pid":999999999,"since":"2026-11-30T04:00:00.000Z"}\n' > "$SPOOL/replay.lock"
	hold_lock "$SPOOL/replay.lock" 3
	BG_PID=$HELD_PID
	run rd-replay --rate max
	assert_failure 3
	assert_output --partial "names no holder"
	refute_output --partial "999999999"
}

@test "a replay whose replay.lock is removed while it runs stops (exit 3) and leaves the status to the run that may hold the spool now" {
	ds_start
	capture_n 100
	rd-replay --rate 20/s > /dev/null 2> "$T/err" &
	BG_PID=$!
	replay_sent_over 2
	# an operator "clears a stale lock"; a second run takes the claim
	rm "$SPOOL/replay.lock"
	rd-replay --gate false --gate-every 100ms > /dev/null 2> "$T/err2" &
	second=$!
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=$second
	cat "$T/err"
	assert_equal "$rc" 3
	grep -q "replay.lock' was removed or replaced while this process held it: another process may hold the spool now; stopping, so that two never run at once" "$T/err"
	grep -q "^rd-replay: stopped by an error after sent " "$T/err"
	# what it sent is recorded; the status is the second run's
	wait_until 10 grep -q "\"pid\":$second" "$SPOOL/replay.lock"
	replay_next_status
	assert_equal "$(jq -r .pid "$SPOOL/replay.status")" "$second"
	kill "$second"
	wait "$second" || true
	BG_PID=
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 100
}

@test "a running replay keeps replay.status in the spool, and marks it finished at the end" {
	ds_start
	capture_n 100
	rd-replay --rate 20/s > /dev/null 2> "$T/err" &
	BG_PID=$!
	# the first update after some sends (the run lasts 5 s)
	replay_sent_over 5
	jq -e --argjson pid "$BG_PID" '.v == 1 and .state == "running" and .pid == $pid
		and (.since | test("Z$")) and (.updated | test("Z$")) and .sent > 5
		and .sent < 100 and .ok > 0 and .pending > 0 and .rate > 0
		and .rate_limit == 20 and .gate == "none"' "$SPOOL/replay.status"
	# replaced whole, about once a second: the picture moves
	replay_next_status
	wait "$BG_PID"
	BG_PID=
	jq -e '.state == "finished" and .sent == 100 and .ok == 100 and .pending == 0
		and (.ended | test("Z$"))' "$SPOOL/replay.status"
	[ "$(stat -c %a "$SPOOL/replay.status")" = 600 ]
	# a dry run leaves it alone
	cp "$SPOOL/replay.status" "$T/before"
	rd-replay --dry-run > /dev/null 2>&1
	cmp "$SPOOL/replay.status" "$T/before"
}

@test "a pending record damaged on disk after the run read the log is skipped with a notice, not sought forever" {
	ds_start
	# three members: the second will be damaged
	for i in 1 2 3; do
		capture_n 1 "/m$i"
		sizes[i]=$(stat -c %s "$SPOOL"/*.ndjson.gz)
	done
	# the run reads the log, then waits on its gate
	timeout -k 1 30 rd-replay --rate max --gate "test -e '$T/open'" --gate-every 100ms \
		> "$T/out" 2> "$T/err" 3>&- &
	pid=$!
	wait_until 10 test -s "$SPOOL/replay.status"
	flip "$(ls "$SPOOL"/*.ndjson.gz)" $(( (sizes[1] + sizes[2]) / 2 ))
	: > "$T/open"
	rc=0
	wait "$pid" || rc=$?
	# it ends (124 would be the timeout), with the other two delivered
	[ "$rc" -ne 124 ] || fail "rd-replay was still seeking the damaged record after 30 s"
	assert_equal "$(jq -r .path "$T/ds.log" | sort | tr '\n' ' ')" "/m1/1 /m3/1 "
	grep -q "1 pending record could not be read from the log" "$T/err" || fail "$(cat "$T/err")"
	# nothing was decided about it, and --verify names the damage
	assert_equal "$(rd-audit --json 2> /dev/null | jq .replay.attempts)" 2
	run rd-audit --verify
	assert_failure
	assert_output --partial "corrupt gzip member"
}

@test "dead letters explain themselves: status line, a few headers and the first bytes of the body" {
	ds_start --route /bad=400 --route /down=503 --retry-after 1
	capture_n 1 /bad
	capture_n 1 /down
	run rd-replay --rate max --max-attempts 1
	spool_events attempt | jq -e -s 'length == 2 and all(.response.status_line | test("^HTTP/1.1 (400 Bad Request|503 Service Unavailable)$"))'
	spool_events attempt | jq -e -s 'map(select(.status == 400))[0].response |
		.headers == [["Content-Type","application/json"],["Content-Length","12"]] and
		.body == "{\"ok\":false}" and (has("body_truncated") | not)'
	spool_events attempt | jq -e -s 'map(select(.status == 503))[0].response.headers |
		any(.[0] == "Retry-After" and .[1] == "1")'
	assert_failure 4
	# the body is cut at --response-bytes, and 0 keeps none
	capture_n 1 /bad
	run rd-replay --rate max --response-bytes 4
	spool_events attempt | jq -e -s '.[-1].response | .body == "{\"ok" and .body_truncated == true'
	assert_failure 4
	capture_n 1 /bad
	run rd-replay --rate max --response-bytes 0
	spool_events attempt | jq -e -s '.[-1].response | has("body") | not'
	assert_failure 4
	# a success keeps nothing of its response
	ds_stop
	ds_start
	capture_n 1 /fine
	run rd-replay --rate max
	assert_success
	spool_events attempt | jq -e -s '.[-1] | .status == 200 and (has("response") | not)'
}

@test "a dead letter's response never keeps a Set-Cookie or other secret in clear" {
	command -v nginx > /dev/null || skip "nginx is not installed"
	ngx_custom 'add_header Set-Cookie "session=c00kie-s3cret; HttpOnly" always;
		add_header X-Request-Id "req-4242" always;
		add_header X-Api-Token "t0ken-s3cret" always;
		default_type text/plain; return 401 "denied: token expired\n";'
	printf '{"method":"POST","url":"http://127.0.0.1:%s/login","body":"x"}\n' "$NGX_PORT" | rd-capture -q > /dev/null
	run rd-replay --rate max
	spool_events attempt | jq -e '.response | .status_line == "HTTP/1.1 401 Unauthorized" and
		.body == "denied: token expired\n" and
		(.headers | any(.[0] == "X-Request-Id" and .[1] == "req-4242"))'
	assert_equal "$(spool_lines | grep -c 's3cret')" 0
	assert_failure 4
}

@test "--revive --reason records who revived what and why; --max-revives ends a revive loop in cron" {
	ds_start --route /down=503
	capture_n 2 /down
	rd-replay -q --rate max --max-attempts 1 || [ $? -eq 4 ]
	assert_equal "$(spool_events dead | wc -l)" 2
	# a cron job that revives what keeps dying: three times, then no more
	for i in 1 2 3; do
		run rd-replay --rate max --max-attempts 1 --revive --reason "INC-7: upstream fixed"
		assert_output --partial "revived 2"
		assert_failure 4
	done
	run rd-replay --rate max --max-attempts 1 --revive --reason "INC-7: upstream fixed"
	assert_success
	assert_output --partial "revived 0"
	assert_output --partial "2 dead records not revived: revived 3 times already (--max-revives)"
	assert_equal "$(wc -l < "$T/ds.log")" 8
	spool_events revive | jq -e -s --arg u "$(id -un)" 'length == 6 and
		all(.reason == "INC-7: upstream fixed" and .user == $u) and
		(map(.revives) | sort == [1,1,2,2,3,3])'
	# an explicit override, or a higher limit
	run rd-replay --rate max --max-attempts 1 --revive --force
	assert_failure 4
	assert_output --partial "revived 2"
	run rd-replay --rate max --max-attempts 1 --revive --max-revives 5
	assert_failure 4
	assert_output --partial "revived 2"
	run rd-replay --rate max --max-attempts 1 --revive --max-revives 5
	assert_success
	assert_output --partial "2 dead records not revived"
	# --reason and --force mean nothing without --revive
	run rd-replay --reason x
	assert_failure 2
	run rd-replay --force
	assert_failure 2
}

@test "--max-age: a record captured longer ago goes dead (reason max-age) instead of being sent" {
	ds_start --fail-first 1 --latency 1500
	printf '{"method":"POST","url":"http://127.0.0.1:%s/old","captured_at":"2020-01-01T00:00:00Z"}\n' "$PORT" | rd-capture -q > /dev/null
	capture_n 1 /fresh
	run rd-replay --rate max --max-age 1s --backoff 10ms --backoff-max 10ms
	# the old one was never sent; the fresh one was sent once, failed, and
	# was too old by then to be retried
	assert_equal "$(jq -r .path "$T/ds.log")" /fresh/1
	assert_equal "$(spool_events dead | jq -r .reason | grep -c '^max-age: captured at ')" 2
	spool_events dead | jq -e -s 'map(select(.reason | test("2020-01-01T00:00:00.000Z"))) | length == 1'
	spool_events attempt | jq -e -s 'length == 1 and .[0].outcome == "retry" and (.[0] | has("next_due") | not)'
	assert_output --partial "2 of the dead were captured more than 1s ago (--max-age)"
	assert_failure 4
	run rd-replay --max-age 0s
	assert_failure 2
}

@test "--dry-run=raw of a record captured with --raw prints Host once, and a real server answers it" {
	command -v nginx > /dev/null || skip "nginx is not installed"
	ngx_start
	BG_PID=$NGX_PID
	printf 'POST /orders HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}' "$NGX_PORT" |
		rd-capture --raw -q > /dev/null
	rd-replay --dry-run=raw > "$T/req" 2> /dev/null
	assert_equal "$(grep -ci '^host:' "$T/req")" 1
	# the text as printed, sent as it is
	exec 5<>"/dev/tcp/127.0.0.1/$NGX_PORT"
	cat "$T/req" >&5
	read -r -t 5 status <&5
	exec 5>&-
	[[ "$status" == "HTTP/1.1 200 OK"* ]]
}

@test "the progress line is cut to the terminal width and never scrolls" {
	ds_start
	capture_n 30
	cat > "$T/run.sh" <<SH
stty cols 40 2>/dev/null
COLUMNS=40 rd-replay --rate 20/s --gate 'echo "a long explanation of why the gate is closed" >&2; test -f $T/open' --gate-every 100ms
SH
	( sleep 1; touch "$T/open" ) &
	run script -qec "sh '$T/run.sh'" /dev/null < /dev/null
	assert_success
	# every redraw of the line (after \r) fits in 39 columns, and none
	# holds a newline: only the summary lines end in one
	lines=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep '^sent ')
	[ -n "$lines" ]
	awk 'length($0) >= 40 { bad = 1 } END { exit bad }' <<< "$lines"
	assert_output --partial "rd-replay: sent 30, ok 30"
	# no window size (stty cols 0): COLUMNS says it
	capture_n 30
	run script -qec "stty cols 0 2>/dev/null; COLUMNS=30 rd-replay --rate 20/s" /dev/null < /dev/null
	assert_success
	lines=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep '^sent ')
	[ -n "$lines" ]
	awk 'length($0) >= 30 { bad = 1 } END { exit bad }' <<< "$lines"
}

@test "a summary after a fatal error says the run was stopped by an error" {
	ds_start
	capture_n 3
	# the checkpoint cannot be written: a fatal error at the end of a run
	mkdir "$SPOOL/replay.ckpt.tmp"
	run rd-replay --rate max
	assert_failure 2
	assert_line --index 0 --partial "replay.ckpt.tmp"
	assert_line --index 1 --regexp '^rd-replay: stopped by an error after sent 3, ok 3, '
	refute_line --regexp '^rd-replay: sent '
}

@test "secrets are masked in --dry-run, --json and -v unless --no-redact; Host never carries userinfo" {
	printf '{"method":"POST","url":"http://ops:hunter2@127.0.0.1:1/x?api_key=k123&n=1","headers":[["Authorization","Bearer s3cr3t"],["Cookie","sid=c00kie"],["X-Api-Key","apik3y"],["Proxy-Authorization","Basic cHJveHk="]],"body":"b"}\n' |
		rd-capture -q > /dev/null
	for f in --dry-run --dry-run=raw; do
		run rd-replay $f
		assert_success
		for s in hunter2 k123 s3cr3t c00kie apik3y cHJveHk; do
			refute_output --partial "$s"
		done
		assert_output --partial '[REDACTED]'
	done
	run rd-replay --dry-run=raw
	assert_line $'Host: 127.0.0.1:1\r'
	run rd-replay --dry-run --no-redact
	assert_output --partial "'http://ops:hunter2@127.0.0.1:1/x?api_key=k123&n=1'"
	assert_output --partial "Authorization: Bearer s3cr3t"
	run rd-replay --json -v --rate max --connect-timeout 1 --max-time 1s
	refute_output --partial hunter2
	refute_output --partial k123
	assert_output --partial '"url":"http://[REDACTED]@127.0.0.1:1/x?api_key=[REDACTED]&n=1"'
}

@test "-q: nothing on a clean run, one line when records went dead" {
	ds_start --route /bad=400
	capture_n 2 /fine
	run rd-replay -q --rate max
	assert_success
	assert_output ""
	capture_n 2 /bad
	run rd-replay -q --rate max
	assert_failure 4
	assert_output "rd-replay: 2 records moved to dead letters in this run; rd-audit --list shows why"
}

@test "round trips: the --dry-run curl command sends the replay's bytes; --dry-run=raw captures back the same request" {
	mkdir -p "$T/dump"
	ds_start --dump "$T/dump"
	head -c 3000 /dev/urandom | base64 -w0 > "$T/big"
	printf '{"method":"PUT","url":"http://127.0.0.1:%s/a?x=1","headers":[["X-A","1"],["X-A","2"],["X-E",""]],"body":"hello"}\n' "$PORT" |
		rd-capture -q > /dev/null
	printf '{"method":"POST","url":"http://127.0.0.1:%s/big","body":"%s"}\n' "$PORT" "$(cat "$T/big")" |
		rd-capture -q > /dev/null
	# binary, with a NUL inside and newlines at the end, which a
	# command substitution would drop
	bin=$(printf 'a\000b\377\n\n' | base64 -w0)
	printf '{"method":"POST","url":"http://127.0.0.1:%s/bin","body_b64":"%s"}\n' "$PORT" "$bin" |
		rd-capture -q > /dev/null
	rd-replay --dry-run --no-redact > "$T/cmds" 2> /dev/null
	sh "$T/cmds" > /dev/null
	rd-replay -q --rate max -c 1
	ds_stop
	assert_equal "$(ls "$T/dump" | wc -l)" 6
	# the commands ran first, in log order, then the replay sent the same
	cmp "$T/dump/000001.http" "$T/dump/000004.http"
	cmp "$T/dump/000002.http" "$T/dump/000005.http"
	cmp "$T/dump/000003.http" "$T/dump/000006.http"
	# raw: what the dry run prints, read back as a capture, is the request
	rm -rf "$SPOOL"
	printf '{"method":"PUT","url":"http://127.0.0.1:9/a?x=1","headers":[["X-A","1"],["X-E",""]],"body":"hello"}\n' |
		rd-capture -q > /dev/null
	rd-replay --dry-run=raw --no-redact 2> /dev/null | rd-capture -q --raw --spool "$T/back" > /dev/null
	a=$(spool_lines | jq -c 'select(.kind=="request") | [.method, .url, .body, .id]')
	b=$(spool_lines "$T/back" | jq -c 'select(.kind=="request") | [.method, .url, .body, .idempotency_key]')
	assert_equal "$b" "$a"
	# the same headers, the framing the raw text needed, and the key
	spool_lines "$T/back" | jq -e 'select(.kind=="request") | .headers ==
		[["Host","127.0.0.1:9"],["X-A","1"],["X-E",""],["Idempotency-Key",.idempotency_key],["Content-Length","5"]]'
}

@test "a GET with a body (a search API's) is sent as GET, by replay and by rd-capture --try" {
	mkdir -p "$T/dump"
	ds_start --dump "$T/dump" --route /busy=503
	printf '{"method":"GET","url":"http://127.0.0.1:%s/idx/_search","body":"{\\"query\\":{}}"}\n' "$PORT" |
		rd-capture -q > /dev/null
	rd-replay -q --rate max
	head -n 1 "$T/dump/000001.http" | grep -q '^GET /idx/_search HTTP/1.1' || fail "$(head -n 1 "$T/dump/000001.http")"
	assert_equal "$(tail -c 12 "$T/dump/000001.http")" '{"query":{}}'
	run rd-capture --try -s -X GET -d '{"query":{}}' "http://127.0.0.1:$PORT/busy"
	assert_failure 1
	head -n 1 "$T/dump/000002.http" | grep -q '^GET /busy HTTP/1.1' || fail "$(head -n 1 "$T/dump/000002.http")"
}

@test "-H replaces the idempotency key as it replaces any header: one key is sent, not two" {
	printf '{"method":"POST","url":"http://127.0.0.1:9/a","body":"x"}\n' | rd-capture -q > /dev/null
	run rd-replay --dry-run=raw -H 'Idempotency-Key: mine'
	assert_success
	assert_equal "$(grep -ci '^Idempotency-Key:' <<< "$output")" 1
	assert_line --partial 'Idempotency-Key: mine'
}

@test "--dry-run=raw shows what goes on the wire: the Authorization a URL's user:password@ makes, no Content-Length on a GET without a body" {
	mkdir -p "$T/dump"
	ds_start --dump "$T/dump"
	printf '{"method":"GET","url":"http://u:p%%40w@127.0.0.1:%s/a"}\n' "$PORT" | rd-capture -q > /dev/null
	rd-replay --dry-run=raw --no-redact > "$T/raw" 2> /dev/null
	rd-replay -q --rate max
	sent=$(tr -d '\r' < "$T/dump/000001.http" | grep -i '^Authorization:')
	assert_equal "$sent" "Authorization: Basic $(printf 'u:p@w' | base64)"
	assert_equal "$(tr -d '\r' < "$T/raw" | grep -i '^Authorization:')" "$sent"
	grep -qi '^Content-Length' "$T/dump/000001.http" "$T/raw" && fail "a Content-Length for a GET with no body"
	# the whole head, in the order it went: Authorization right after Host
	assert_equal "$(tr -d '\r' < "$T/raw" | sed '/^$/q')" "$(tr -d '\r' < "$T/dump/000001.http" | sed '/^$/q')"
	# masked without --no-redact
	rm -rf "$SPOOL"
	printf '{"method":"GET","url":"http://u:p%%40w@127.0.0.1:%s/a"}\n' "$PORT" | rd-capture -q > /dev/null
	run rd-replay --dry-run=raw
	assert_line --partial 'Authorization: [REDACTED]'
	refute_output --partial "$(printf 'u:p@w' | base64)"
}

@test "a --where error masks the record's values jq quotes, unless --no-redact" {
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Proxy-Authorization","S9secret"]]}\n' |
		rd-capture -q > /dev/null
	run rd-replay --dry-run --where '.headers[0][1] | tonumber > 0'
	assert_output --partial "--where failed: jq: "
	assert_output --partial "(while parsing '[REDACTED]')"
	refute_output --partial S9secret
	run rd-replay --dry-run --no-redact --where '.headers[0][1] | tonumber > 0'
	assert_output --partial "(while parsing 'S9secret')"
}

@test "a --where error masks a long value jq cut short, and one with quotes inside" {
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Authorization","Bearer S9secretS9secret"]]}\n' |
		rd-capture -q > /dev/null
	# jq cuts a long value with "..." and no closing quote
	run rd-replay --dry-run --where '.headers[0][1] + 1 > 0'
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial Bearer
	# a quote inside a value is escaped, not the end of it
	run rd-audit --list --where '.headers | tostring | . + 1'
	assert_failure 2
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial Author
	run rd-audit --list --no-redact --where '.headers[0][1] + 1 > 0'
	assert_output --partial 'jq: string ("Bearer S9s'
	# two values cut short in one message; a value that holds "..."
	rm -rf "$SPOOL"
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Authorization","Bearer AAAAAAAAAAAAAAAAAAAA"],["X-Api-Key","SK_LIVE_1234567890abcdef"],["X-Token","x...TOPSECRETTOKENVALUE"]]}\n' |
		rd-capture -q > /dev/null
	run rd-replay --dry-run --where '.headers[0][1] - .headers[1][1]'
	assert_output --partial 'jq: string ("[REDACTED]...) cannot be subtracted'
	refute_output --partial SK_LIVE
	run rd-replay --dry-run --where '.headers[2][1] + 1 > 0'
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial TOPSEC
}

@test "a --where that fails on some records sends the others, then exits 2 naming how many, even under -q" {
	ds_start
	printf '{"method":"POST","url":"http://127.0.0.1:%s/%s","body":"%s"}\n' \
		"$PORT" json '{\"n\":1}' "$PORT" form 'n=1' | rd-capture -q > /dev/null
	run rd-replay -q --rate max --where '.body | fromjson | .n == 1'
	assert_failure 2
	assert_output "rd-replay: --where failed on 1 record, not sent (each is named above, unless -q)"
	assert_equal "$(jq -r .path "$T/ds.log")" /json
	run rd-audit -q --where '.body | fromjson | .n == 1' --fail-if 'pending>5'
	assert_failure 2
	assert_output --regexp "^rd-audit: --where failed on 1 record, left out \(the first, [0-9A-Z]{26}: jq: "
	run rd-audit --json --where '.body | fromjson | .n == 1'
	assert_failure 2
	run rd-replay --rate max --where '.body | test("n=")'
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | tail -1)" /form
	ds_stop
}

@test "-v: one line per outcome, its status when there was an answer" {
	ds_start --route /busy=503
	printf '{"method":"POST","url":"http://127.0.0.1:%s/ok"}\n{"method":"POST","url":"http://127.0.0.1:%s/busy"}\n{"method":"POST","url":"http://127.0.0.1:1/x"}\n' "$PORT" "$PORT" |
		rd-capture -q > /dev/null
	run rd-replay -v --rate max --max-attempts 1
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:$PORT/ok: ok HTTP 200 [0-9.]+ms$"
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:$PORT/busy: dead HTTP 503 [0-9.]+ms"
	# no answer: no status (it said "dead0")
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:1/x: dead [0-9.]+ms .*onnect"
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
