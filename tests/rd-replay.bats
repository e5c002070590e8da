#!/usr/bin/env bats
# rd-replay against the project's test downstream, started by each test on
# 127.0.0.1 and stopped by PID: delivery, keys and bytes, retries and
# backoff, dead letters, selection, --target and the allow-list,
# --dry-run, signals and kill -9, honest amplification, the checkpoint.
# Pacing, gates and hosts: rd-replay-pace.bats; what a run says about
# itself: rd-replay-trust.bats.

load common
load replay

setup() { common_setup; }
teardown() { rp_teardown; }

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
