#!/usr/bin/env bats
# The four tools on a NATS JetStream spool (nats://host:port[,...]/STREAM):
# a new user's flow on one node, bad locations, replay workers sharing
# one backlog and one of them killed, and a 3-node cluster that loses
# its stream leader mid-drain.  Every nats-server is Debian's, started
# by the test on 127.0.0.1 (tests/helpers/nats.sh) and stopped by PID.

load common

NATS_SH="$BATS_TEST_DIRNAME/helpers/nats.sh"

setup() {
	common_setup
	NATS_PIDS=()
	BG_PIDS=()
	command -v nats-server > /dev/null ||
		skip "nats-server is not installed (apt-get install nats-server)"
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2> /dev/null || true; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2> /dev/null || true; done
	ds_stop
	nats_stop
	common_teardown
}

# alive PID: running and not a zombie
alive() {
	kill -0 "$1" 2> /dev/null && [[ $(ps -o stat= -p "$1" 2> /dev/null) != Z* ]]
}

# bg_ok PID ERR: the background PID exits 0; its standard error, the
# file ERR, is shown either way
bg_ok() {
	local rc=0
	wait "$1" || rc=$?
	cat "$2"
	assert_equal "$rc" 0
}

# Every server the test started: TERM, up to 5 s to exit, then KILL.
nats_stop() {
	local p i
	for p in "${NATS_PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
	for p in "${NATS_PIDS[@]}"; do
		for i in $(seq 50); do
			alive "$p" || break
			sleep 0.1
		done
		kill -9 "$p" 2> /dev/null || true
	done
	NATS_PIDS=()
}

# nats_single [OPTIONS]: one node; sets NPID, NPORT, NMON and LOC (the
# stream PAYMENTS on it)
nats_single() {
	local out
	out=$(sh "$NATS_SH" single "$@" "$T/nats") || return 1
	read -r NPID NPORT NMON <<< "$out"
	NATS_PIDS+=("$NPID")
	LOC="nats://127.0.0.1:$NPORT/PAYMENTS"
}

@test "the password of a nats:// location reaches no output: reports, summaries, errors" {
	nats_single --auth u:s3cretpw
	ds_start
	loc="nats://u:s3cretpw@127.0.0.1:$NPORT/SECRETS"
	recs 2 > "$T/in"
	run rd-capture -v --spool "$loc" < "$T/in"
	assert_success
	assert_output --partial "nats://[REDACTED]@127.0.0.1:$NPORT/SECRETS"
	out="$output"
	for args in "" "--json" "--prom" "--verify" "--show 01M8PAAAAAAAAAAAAAAAAAAAAA"; do
		run rd-audit --spool "$loc" $args
		out="$out$output"
	done
	run rd-audit --spool "$loc" --html "$T/report.html"
	out="$out$output$(cat "$T/report.html" 2> /dev/null)"
	run rd-replay --spool "$loc" --set-rate 5/s
	out="$out$output"
	run rd-capture --spool "nats://u:s3cretpw@127.0.0.1:$NPORT" < "$T/in"
	assert_failure 2
	out="$out$output"
	run grep -c s3cretpw <<< "$out"
	assert_output 0
}

# A port nothing listens on: bound and closed again.
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# recs N [PREFIX]: N records aimed at the downstream, POST PREFIX/<i>
recs() {
	seq "$1" | awk -v p="$PORT" -v pre="${2:-/orders}" '{
		printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s%s/%d\",\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\"{\\\"n\\\":%d}\",\"failure\":{\"type\":\"http_503\",\"status\":503}}\n", p, pre, $1, $1
	}'
}

# Keys the downstream answered 2xx, one per line, sorted and unique.
delivered_keys() {
	jq -r 'select(.status < 300) | .key' "$T/ds.log" | sort -u
}

# Every key the downstream saw more than once carries the same path and
# body each time (a duplicate is the same request, under its own key).
dups_consistent() {
	local bad
	bad=$(jq -r '"\(.key) \(.path) \(.sha256)"' "$T/ds.log" | sort -u |
		awk '{ n[$1]++ } END { for (k in n) if (n[k] > 1) print k }')
	[ -z "$bad" ] || { echo "keys with different requests: $bad" >&2; return 1; }
}

# rd-audit's attempts per record are at least the downstream's requests
# per key, and its states say delivered for every delivered key.
audit_covers_downstream() {
	local loc=$1
	rd-audit --spool "$loc" --list -q |
		jq -r '"\(.idempotency_key) \(.replay_attempts) \(.state)"' | sort > "$T/audit.att"
	jq -r .key "$T/ds.log" | sort | uniq -c | awk '{ print $2, $1 }' | sort > "$T/ds.att"
	join "$T/ds.att" "$T/audit.att" > "$T/joined"
	# every key the downstream saw is a record of the stream
	assert_equal "$(wc -l < "$T/joined")" "$(wc -l < "$T/ds.att")"
	run awk '$3 < $2 { print "attempts " $3 " < deliveries " $2 " for " $1 }' "$T/joined"
	assert_output ''
	delivered_keys > "$T/ds.ok"
	run join -v1 "$T/ds.ok" <(awk '$3 == "ok" { print $1 }' "$T/audit.att")
	[ -z "$output" ] || { show_keys "$loc" $output; cluster_state "$loc"; assert_output ''; }
}

# cluster_state LOC: on a 3-node cluster (nats_cluster), which server
# leads the stream now, what each server's consumer says is left, and
# whether the three replicas agree (rd-audit --verify --nats-monitor): an
# outcome missing from the replica that answers is not the workers' doing
cluster_state() {
	local loc=$1 n mons=()
	[ -n "${MON_OF[n1]:-}" ] || return 0
	{
		echo "# stream leader now: $(sh "$NATS_SH" leader "${MON_OF[n1]}" PAYMENTS)"
		for n in n1 n2 n3; do
			mons+=(--nats-monitor "http://127.0.0.1:${MON_OF[$n]}")
			echo "# $n: $(curl -s "http://127.0.0.1:${MON_OF[$n]}/jsz?consumers=true" |
				jq -c '[.account_details[]?.stream_detail[]? | select(.name == "PAYMENTS") |
					{msgs: .state.messages, last: .state.last_seq,
					 consumers: [.consumer_detail[]? | {name, num_pending, num_ack_pending, num_redelivered, delivered, ack_floor}]}]')"
		done
		rd-audit --spool "$loc" --verify "${mons[@]}" 2>&1 | head -20
	} >&2
}

# show_keys LOC KEY...: the records under these idempotency keys, with
# every event about them, and what the downstream logged for them
show_keys() {
	local loc=$1 k id
	shift
	for k in "$@"; do
		echo "# key $k: downstream:"
		jq -c --arg k "$k" 'select(.key == $k)' "$T/ds.log"
		rd-audit --spool "$loc" --list -q | jq -r --arg k "$k" 'select(.idempotency_key == $k) | .id' |
			while read -r id; do
				echo "# record $id:"
				rd-audit --spool "$loc" --show "$id"
			done
	done >&2
}

@test "a new user's flow on one node: capture, replay with retries, audit and health on nats://127.0.0.1:PORT/PAYMENTS" {
	nats_single
	ds_start --fail-first 1
	run rd-capture --spool "$LOC" < <(recs 5)
	assert_success
	assert_equal "${#lines[@]}" 5
	printf '%s\n' "${lines[@]}" | sort > "$T/ids"
	grep -Eqvx '[0-9A-Z]{26}' "$T/ids" && fail "not ids: $(cat "$T/ids")"
	# the same location in RD_SPOOL
	RD_SPOOL=$LOC run rd-audit --json
	assert_success
	assert_equal "$(jq -c '[.requests, .state.pending]' <<< "$output")" '[5,5]'

	run rd-replay --spool "$LOC" --rate max --backoff 50ms --backoff-max 200ms
	assert_success
	assert_output --partial 'sent 10, ok 5, retry 5'
	assert_output --partial '; 0 pending'
	# each record twice: a 503, then a 200, under its own id as the key
	assert_equal "$(wc -l < "$T/ds.log")" 10
	diff <(jq -r 'select(.status == 200) | .key' "$T/ds.log" | sort) "$T/ids"
	diff <(jq -r 'select(.status == 503) | .key' "$T/ds.log" | sort) "$T/ids"
	# a retry due soon stayed with its worker: each record was delivered
	# by the consumer once (a redelivery can be stranded by nats-server
	# 2.9 until AckWait)
	assert_equal "$(deliveries "$NMON")" 5

	run rd-audit --spool "$LOC"
	assert_success
	assert_output --partial "spool $LOC: 5 requests"
	assert_output --partial 'pending 0 (due 0, backing off 0)   ok 5   dead 0'
	run rd-audit --spool "$LOC" --json
	assert_success
	assert_equal "$(jq -c '[.requests, .state.ok, .state.pending, .state.dead, .replay.attempts, .replay.ok, .replay.retry, .by_attempts[2]]' <<< "$output")" \
		'[5,5,0,0,10,5,5,5]'
	run rd-audit --spool "$LOC" --list
	assert_success
	assert_equal "$(jq -r 'select(.state == "ok" and .replay_attempts == 2) | .id' <<< "$output" | sort)" "$(cat "$T/ids")"
	id=$(head -n 1 "$T/ids")
	run rd-audit --spool "$LOC" --show "$id"
	assert_success
	assert_equal "$(jq -r 'select(.kind == "attempt") | .outcome' <<< "$output" | tr '\n' ' ')" 'retry ok '
	run rd-audit --spool "$LOC" --verify
	assert_success

	# rd-health reads the attempts from the same location
	run rd-health --spool "$LOC" --from-spool --json --check 'error_rate<=60%'
	assert_success
	# nothing is left: a second replay sends nothing and exits 0
	run rd-replay --spool "$LOC" --rate max
	assert_success
	assert_output --partial 'sent 0'
	assert_equal "$(wc -l < "$T/ds.log")" 10
}

# fails_one_line RC CMD...: CMD exits RC, prints nothing on stdout (no id
# acknowledged) and one line on stderr, which it leaves in $err_line.
# rd-replay's summary line after an error ("stopped by an error after
# ...") and a usage hint ("Try 'TOOL --help' ...") after a location
# that cannot be one are their tools' usual second lines, left out.
fails_one_line() {
	local want=$1 rc=0
	shift
	"$@" > "$T/out" 2> "$T/err" < "${STDIN_FILE:-/dev/null}" || rc=$?
	grep -v -e '^rd-replay: stopped by an error after sent 0,' \
		-e "^Try '$1 --help' for more information.\$" "$T/err" > "$T/err1" || true
	err_line=$(cat "$T/err1")
	if [ "$rc" -ne "$want" ] || [ -s "$T/out" ] || [ "$(wc -l < "$T/err1")" -ne 1 ]; then
		echo "$*: exit $rc (want $want); stdout:" >&2
		cat "$T/out" >&2
		echo "stderr:" >&2
		cat "$T/err" >&2
		return 1
	fi
}

# deliveries MONITOR_PORT: how many deliveries the replay consumer of
# PAYMENTS has made, first ones and redeliveries
deliveries() {
	curl -sf --max-time 5 "http://127.0.0.1:$1/jsz?consumers=true" |
		jq '[.account_details[]?.stream_detail[]? | select(.name == "PAYMENTS")
			| .consumer_detail[]? | select(.name == "rd-replay")
			| .delivered.consumer_seq][0]'
}

# Streams the node holds, by name.
streams() {
	curl -sf --max-time 5 "http://127.0.0.1:$1/jsz?streams=true" |
		jq -r '[.account_details[]?.stream_detail[]?.name] | sort | join(" ")'
}

@test "bad locations: unreachable, no such stream, bad stream name, auth failure and a full stream each give one line and exit 2, and nothing unstored is acknowledged" {
	nats_single --auth u:p
	ds_start
	recs 3 > "$T/in"
	export STDIN_FILE="$T/in"
	good="nats://u:p@127.0.0.1:$NPORT/PAYMENTS"
	gone=$(closed_port)

	# an unreachable server (a closed port)
	for tool in rd-capture rd-replay rd-audit; do
		fails_one_line 2 "$tool" --spool "nats://127.0.0.1:$gone/PAYMENTS"
		assert_equal "$err_line" "$tool: connecting: cannot reach NATS at nats://127.0.0.1:$gone/PAYMENTS: No server available for connection"
	done
	# an invalid stream name (a subject token cannot hold '.' or '*')
	for bad in 'PAY.MENTS' 'PAY*' ''; do
		for tool in rd-capture rd-replay rd-audit; do
			fails_one_line 2 "$tool" --spool "nats://u:p@127.0.0.1:$NPORT/$bad"
			assert_equal "$err_line" "$tool: 'nats://[REDACTED]@127.0.0.1:$NPORT/$bad': the stream name must be 1 to 64 letters, digits, '-' or '_'"
		done
	done
	# an auth failure: no password, a wrong one; the password never shown
	for loc in "nats://127.0.0.1:$NPORT/PAYMENTS" "nats://u:wrong@127.0.0.1:$NPORT/PAYMENTS"; do
		for tool in rd-capture rd-replay rd-audit; do
			fails_one_line 2 "$tool" --spool "$loc"
			assert_equal "$err_line" "$tool: connecting: NATS at ${loc/u:wrong@/[REDACTED]@} refused us: Authorization Violation"
		done
	done
	assert_equal "$(streams "$NMON")" ''

	# a stream that does not exist: rd-replay and rd-audit make none
	for tool in rd-replay rd-audit; do
		fails_one_line 2 "$tool" --spool "nats://u:p@127.0.0.1:$NPORT/NOPE"
		assert_equal "$err_line" "$tool: opening the spool: stream 'NOPE' does not exist at nats://[REDACTED]@127.0.0.1:$NPORT/NOPE"
	done
	assert_equal "$(streams "$NMON")" ''
	# rd-health says unhealthy (exit 1) and why
	run rd-health --spool "nats://u:p@127.0.0.1:$NPORT/NOPE" --from-spool --check 'error_rate<1%'
	assert_failure 1
	assert_output --partial "stream 'NOPE' does not exist"

	# a full stream: captures one at a time until one would pass the cap
	: > "$T/acked"
	rc=0
	for i in $(seq 40); do
		rc=0
		recs "$i" | tail -n 1 | rd-capture --spool "$good" --max-spool-size 4KiB \
			>> "$T/acked" 2> "$T/err" || rc=$?
		[ "$rc" -eq 0 ] || break
	done
	assert_equal "$rc" 2
	[ "$i" -gt 2 ]
	assert_equal "$(wc -l < "$T/acked")" $((i - 1))
	assert_equal "$(wc -l < "$T/err")" 1
	grep -q "^rd-capture: cannot store records: stream 'PAYMENTS' at nats://\[REDACTED\]@127.0.0.1:$NPORT/PAYMENTS is full: it holds [0-9]* bytes, and --max-spool-size is 4096$" "$T/err"
	# a batch that would pass it is refused whole, and still fits nothing
	fails_one_line 2 rd-capture --spool "$good" --max-spool-size 4KiB
	[[ $err_line == *"is full"* ]]
	# every printed id is in the stream, and nothing else is
	run rd-audit --spool "$good" --list
	assert_success
	diff <(jq -r .id <<< "$output" | sort) <(sort "$T/acked")
	run rd-audit --spool "$good" --json
	assert_equal "$(jq .requests <<< "$output")" $((i - 1))
	[ "$(jq .spool_bytes <<< "$output")" -le 4096 ]
	# with room again (a larger cap) the same capture is stored
	run rd-capture --spool "$good" --max-spool-size 1MiB < "$T/in"
	assert_success
	assert_equal "${#lines[@]}" 3
	unset STDIN_FILE
}

@test "two rd-replay workers on one location share a backlog of 2000: each record delivered, duplicates under one key, audit covers the downstream" {
	nats_single
	ds_start --fail-first 1
	run rd-capture -q --spool "$LOC" < <(recs 2000)
	assert_success
	printf '%s\n' "${lines[@]}" | sort > "$T/ids"
	assert_equal "$(wc -l < "$T/ids")" 2000
	# one worker takes no more than half the rate: both must share
	rd-replay --spool "$LOC" --rate 1000/s --backoff 50ms --backoff-max 200ms \
		> "$T/w1.out" 2> "$T/w1.err" &
	w1=$!
	BG_PIDS+=("$w1")
	rd-replay --spool "$LOC" --rate 1000/s --backoff 50ms --backoff-max 200ms \
		> "$T/w2.out" 2> "$T/w2.err" &
	w2=$!
	BG_PIDS+=("$w2")
	rc1=0 rc2=0
	wait "$w1" || rc1=$?
	wait "$w2" || rc2=$?
	cat "$T/w1.err" "$T/w2.err"
	assert_equal "$rc1 $rc2" '0 0'
	# both took part
	for w in w1 w2; do
		sent=$(sed -n 's/^rd-replay: sent \([0-9]*\),.*/\1/p' "$T/$w.err")
		[ "$sent" -gt 100 ] || fail "$w sent only ${sent:-nothing}"
	done
	# every record delivered at least once, under its own id
	diff <(delivered_keys) "$T/ids"
	dups_consistent
	audit_covers_downstream "$LOC"
	run rd-audit --spool "$LOC" --json
	assert_equal "$(jq -c '[.state.ok, .state.pending, .state.dead]' <<< "$output")" '[2000,0,0]'
	[ "$(jq .replay.attempts <<< "$output")" -ge "$(wc -l < "$T/ds.log")" ]
}

# until_ok SECONDS CMD...: CMD succeeds within SECONDS, polled every 0.1 s
until_ok() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ds_seen N: the downstream has logged N requests or more
ds_seen() { [ "$(wc -l < "$T/ds.log" 2> /dev/null || echo 0)" -ge "$1" ]; }

@test "kill -9 of one replay worker mid-drain: the other gets its leased records after AckWait, nothing is lost" {
	nats_single
	ds_start --latency 20
	run rd-capture -q --spool "$LOC" < <(recs 1000)
	assert_success
	printf '%s\n' "${lines[@]}" | sort > "$T/ids"
	# a short lease: AckWait = 2 * (2 s + 1 s) + 1 s + 30 s = 37 s
	short=(--timeout 2s --connect-timeout 1s --grace 1s --rate 150/s --backoff 50ms)
	rd-replay --spool "$LOC" "${short[@]}" > /dev/null 2> "$T/w1.err" &
	w1=$!
	BG_PIDS+=("$w1")
	rd-replay --spool "$LOC" "${short[@]}" > /dev/null 2> "$T/w2.err" &
	w2=$!
	BG_PIDS+=("$w2")
	until_ok 20 ds_seen 150
	kill -9 "$w1"
	wait "$w1" 2> /dev/null || true
	killed_at=$SECONDS
	# what the dead worker held is leased to it until AckWait: the
	# survivor waits for it, and delivers it
	bg_ok "$w2" "$T/w2.err"
	# the short lease, not the default one of 120 s (a loose bound: a
	# loaded machine may be slow, but not by a minute)
	[ $((SECONDS - killed_at)) -lt 110 ]
	diff <(delivered_keys) "$T/ids"
	dups_consistent
	audit_covers_downstream "$LOC"
	run rd-audit --spool "$LOC" --json
	assert_equal "$(jq -c '[.state.ok, .state.pending, .state.dead]' <<< "$output")" '[1000,0,0]'
	[ "$(jq .replay.attempts <<< "$output")" -ge "$(wc -l < "$T/ds.log")" ]
	# the consumer holds nothing more; a run with the default lease
	# joins the consumer the short one made, and says so
	run rd-replay --spool "$LOC"
	assert_success
	assert_output --partial 'sent 0'
	assert_output --partial "the replay consumer's lease (AckWait) is 37s, from the run that made it; this run's sends may take 120s"
}

@test "a replay worker stopped past its lease, then resumed: it does not send again what the other worker delivered meanwhile, and says so; audit attempts cover the downstream" {
	nats_single
	ds_start
	run rd-capture -q --spool "$LOC" < <(recs 40)
	assert_success
	printf '%s\n' "${lines[@]}" | sort > "$T/ids"
	# AckWait = 2 * (1 s + 1 s) + 1 s + 30 s = 35 s
	short=(--timeout 1s --connect-timeout 1s --grace 1s --backoff 50ms)
	# slow: it holds most of the backlog, fetched and not yet sent
	rd-replay --spool "$LOC" "${short[@]}" --rate 2/s > /dev/null 2> "$T/w1.err" &
	w1=$!
	BG_PIDS+=("$w1")
	until_ok 20 ds_seen 2
	kill -STOP "$w1"
	# its leases run out; another worker takes the records and delivers
	run rd-replay --spool "$LOC" "${short[@]}" --rate max
	assert_success
	kill -CONT "$w1"
	bg_ok "$w1" "$T/w1.err"
	diff <(delivered_keys) "$T/ids"
	dups_consistent
	audit_covers_downstream "$LOC"
	# at most the send in flight and the one prepared when it stopped
	# went out twice; the rest, which it held too, went out once
	[ "$(wc -l < "$T/ds.log")" -le 42 ]
	grep -q "not sent: another rd-replay on the spool had recorded the same attempt first" "$T/w1.err"
}

# lines_in FILE N: FILE has N lines or more
lines_in() { [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -ge "$2" ]; }

# Events of one kind about the records of $LOC, as NDJSON.
nats_events() {
	rd-audit --spool "$LOC" --list -q | jq -r .id | while read -r id; do
		rd-audit --spool "$LOC" --show "$id"
	done | jq -c "select(.kind == \"$1\")"
}

# After a run on $LOC that ended cleanly with sends prepared and never
# started: what rd-audit counts is what the service received, no more.
nats_only_sent_counted() {
	local sent
	sent=$(wc -l < "$T/ds.log")
	# some intents were recorded for sends that never started, and
	# withdrawn
	[ "$(nats_events intent | wc -l)" -gt "$sent" ]
	[ "$(nats_events withdraw | wc -l)" -gt 0 ]
	rd-audit --spool "$LOC" --json | jq -e --argjson s "$sent" '.replay |
		.attempts == $s and .unknown == 0 and .replayed == $s and
		.amplification == 1 and .success_rate == 1'
	run rd-audit --spool "$LOC"
	refute_output --partial "outcome unknown"
	# a record never sent was never attempted: pending, no attempt
	rd-audit --spool "$LOC" --list | jq -se --argjson s "$sent" '
		(map(select(.replay_attempts > 0)) | length) == $s and
		all(.state == "ok" or .replay_attempts == 0)'
	# the next run sends each of the rest as its first attempt: the
	# number taken back is recorded again, not refused as a duplicate
	run rd-replay --spool "$LOC" -q --rate max -c 16
	assert_success
	rd-audit --spool "$LOC" --json | jq -e '.replay | .attempts == 20 and
		.unknown == 0 and .amplification == 1'
	nats_events attempt | jq -se 'length == 20 and all(.attempt == 1)'
	assert_equal "$(delivered_keys | wc -l)" 20
	assert_equal "$(wc -l < "$T/ds.log")" 20
	run rd-audit --spool "$LOC" --prom
	assert_line --regexp '^redrive_replay_amplification_ratio\{[^}]*\} 1$'
}

@test "NATS: sends prepared and never started are no attempts: --max-time reached" {
	nats_single
	ds_start --latency 1000
	rd-capture -q --spool "$LOC" < <(recs 20) > /dev/null
	# two at a time, the intents of eight in one publish: at 1.5 s four
	# were sent and four more prepared, never started
	run rd-replay --spool "$LOC" -q --rate max -c 2 --max-time 1500ms
	assert_failure 1
	nats_only_sent_counted
}

@test "NATS: sends prepared and never started are no attempts: the gate closed mid-run" {
	nats_single
	ds_start --latency 1000
	rd-capture -q --spool "$LOC" < <(recs 20) > /dev/null
	touch "$T/open"
	rd-replay --spool "$LOC" -q --rate max -c 2 --gate "test -f '$T/open'" \
		--gate-every 100ms --max-time 2500ms > /dev/null 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	# the first two sent, the next six prepared: the gate closes on them
	until_ok 10 ds_seen 2
	rm "$T/open"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 1
	nats_only_sent_counted
}

# capture_from_fifo N: on the single node, an rd-capture reading the
# fifo $T/in (written through fd 7) into $T/acked, its PID in cap; N
# records of /a go first, and are acknowledged.  The records name a
# downstream (PORT 9) that these tests never call.
capture_from_fifo() {
	nats_single
	PORT=9
	mkfifo "$T/in"
	rd-capture -q --spool "$LOC" < "$T/in" > "$T/acked" 2> "$T/cap.err" &
	cap=$!
	BG_PIDS+=("$cap")
	exec 7> "$T/in"
	recs "$1" /a >&7
	until_ok 20 lines_in "$T/acked" "$1" || fail "$(cat "$T/cap.err")"
}

@test "the server killed with publishes unanswered, and back: the capture publishes them again under the same ids, stores each once, and succeeds" {
	capture_from_fifo 100
	# a stopped server takes the next batch and answers nothing; killed,
	# it never will: those answers are lost with the connection
	kill -STOP "$NPID"
	recs 100 /b >&7
	sleep 1
	kill -9 "$NPID"
	for _ in $(seq 50); do alive "$NPID" || break; sleep 0.1; done
	# (the server must not hold the capture's input open)
	new=$(sh "$NATS_SH" start "$T/nats" n1 7>&-)
	NATS_PIDS+=("$new")
	exec 7>&-
	BG_PIDS=()
	bg_ok "$cap" "$T/cap.err"
	assert_equal "$(sort -u "$T/acked" | wc -l)" 200
	run rd-audit --spool "$LOC" --json
	assert_success
	assert_equal "$(jq -c '[.requests, .state.pending]' <<< "$output")" '[200,200]'
	run rd-audit --spool "$LOC" --list
	assert_success
	diff <(jq -r .id <<< "$output" | sort) <(sort "$T/acked")
}

@test "a capture stopped while it waits for the server's answer, past the settle window, and resumed: the answer waiting in its socket is taken, not reported as a refusal" {
	capture_from_fifo 1
	# the publish goes out to a server that holds its answer; the capture
	# is stopped waiting for it, and gets it only when the window is over
	kill -STOP "$NPID"
	recs 1 /b >&7
	sleep 1
	kill -STOP "$cap"
	kill -CONT "$NPID"
	sleep 16
	kill -CONT "$cap"
	exec 7>&-
	BG_PIDS=()
	bg_ok "$cap" "$T/cap.err"
	assert_equal "$(sort -u "$T/acked" | wc -l)" 2
	run rd-audit --spool "$LOC" --json
	assert_equal "$(jq -c '[.requests, .state.pending]' <<< "$output")" '[2,2]'
}

# read_consumer MON TOTAL: prints the name of the PAYMENTS consumer that
# has delivered part of the stream, not all of it (a read under way)
read_consumer() {
	jsz "$1" consumers=true | jq -er --argjson t "$2" '[.account_details[].stream_detail[] |
		select(.name == "PAYMENTS") | .consumer_detail[]? |
		select(.delivered.stream_seq > 0 and .delivered.stream_seq < $t)][0].name'
}

@test "a read whose consumer is lost mid-stream (deleted, as it is with the server that held it) makes it again from the next sequence: rd-audit --list gives every record, exit 0" {
	command -v strace > /dev/null || skip "strace is not installed"
	nats_single
	PORT=9 recs 20000 > "$T/in"
	rd-capture --spool "$LOC" < "$T/in" > /dev/null
	# the reader slowed (5 ms more for each of its first 400 reads of
	# the socket), so that the server's flow control holds the rest of
	# the stream back while the consumer is deleted (LeakSanitizer cannot
	# run under ptrace)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o /dev/null -e trace=recvfrom \
		-e inject=recvfrom:delay_exit=5000:when=1..400 \
		rd-audit --spool "$LOC" --list > "$T/list" 2> "$T/err" &
	BG_PIDS+=($!)
	wait_until 20 read_consumer "$NMON" 20000 > /dev/null
	cons=$(read_consumer "$NMON" 20000)
	run nats_req "$NPORT" "\$JS.API.CONSUMER.DELETE.PAYMENTS.$cons" ''
	assert_output --partial '"success":true'
	reader=${BG_PIDS[0]}
	BG_PIDS=()
	bg_ok "$reader" "$T/err"
	assert_equal "$(jq -r .id "$T/list" | sort -u | wc -l)" 20000
	diff <(jq -r .id "$T/list" | sort) <(rd-audit --spool "$LOC" --list | jq -r .id | sort)
}

# replica DELETED LACKS [PLAN]: six request records served by
# nats-replica.py as the stream DIV (sequences DELETED deleted, LACKS
# missing from the replica its consumers read, PLAN how each consumer
# is made in turn); sets RLOC.  Its API requests go to $T/api.log.
replica() {
	local i
	for i in 1 2 3 4 5 6; do
		printf '{"v":1,"kind":"request","id":"01M8VDS59MFSZ61DZ5SV00C75%s","captured_at":"2026-12-02T13:05:55.508Z","method":"POST","url":"http://127.0.0.1:9/x/%s","headers":[],"attempts":0,"idempotency_key":"01M8VDS59MFSZ61DZ5SV00C75%s"}\n' "$i" "$i" "$i"
	done > "$T/lines"
	rm -f "$T/rport"
	python3 "$BATS_TEST_DIRNAME/helpers/nats-replica.py" DIV "$T/lines" "$T/rport" "$1" "$2" \
		${3:+"$3"} 2> "$T/api.log" &
	BG_PIDS+=($!)
	wait_until 10 test -s "$T/rport"
	RLOC="nats://127.0.0.1:$(cat "$T/rport")/DIV"
}

@test "a read whose consumer sits on a replica that lacks messages its leader has (diverged) takes them from the leader: rd-audit --list gives every record, in order" {
	# nats-server 2.9.10 left a killed stream leader, back, with 5
	# messages fewer than the leader; a read's consumer there skipped
	# them and rd-audit exited 0 with 11 delivered requests not ok.  No
	# real server can be made to do so on purpose: nats-replica.py serves
	# the stream as such a replica would.  Sequence 5 deleted, 3 lacking.
	replica 5 3
	run rd-audit --spool "$RLOC" --list
	assert_success
	assert_equal "$(jq -r '.id[-2:]' <<< "$output" | tr '\n' ' ')" "51 52 53 54 56 "
	# the leader is asked for the one the replica lacks (once a read),
	# never for the one deleted
	assert_equal "$(grep -o 'STREAM.MSG.GET.DIV {"seq":[0-9]*' "$T/api.log" | sort -u)" \
		'STREAM.MSG.GET.DIV {"seq":3'
}

@test "a read whose consumers never deliver gives up after 15 s, having made its consumer 3 times: exit 2, one line" {
	# every consumer of this replica delivers nothing, while the leader
	# says the stream holds six records
	replica - 1,2,3,4,5,6
	run rd-audit --spool "$RLOC" --list
	assert_failure 2
	assert_output "rd-audit: reading the stream 'DIV' at $RLOC: nothing came for 15 s after sequence 0 of 6, from 3 consumers in turn"
	assert_equal "$(grep -c '^API CONSUMER.CREATE.DIV' "$T/api.log")" 3
}

@test "a read whose consumer is lost while a leader is elected makes it again once the cluster answers: rd-audit --list gives every record" {
	# the first consumer delivers nothing; the next two are refused as
	# JetStream refuses them during an election (10008, temporarily
	# unavailable), the fourth delivers.  The read had failed at the
	# first refusal, exit 2.
	replica - - quiet,unavailable,unavailable
	run rd-audit --spool "$RLOC" --list
	assert_success
	assert_equal "$(jq -r '.id[-2:]' <<< "$output" | tr '\n' ' ')" "51 52 53 54 55 56 "
	# and one consumer for its second read (--list reads the stream twice)
	assert_equal "$(grep -c '^API CONSUMER.CREATE.DIV' "$T/api.log")" 5
	# the read's first consumer is refused the same way
	replica - - unavailable,unavailable
	run rd-audit --spool "$RLOC" --list
	assert_success
	assert_equal "$(jq -r '.id[-2:]' <<< "$output" | tr '\n' ' ')" "51 52 53 54 55 56 "
	assert_equal "$(grep -c '^API CONSUMER.CREATE.DIV' "$T/api.log")" 4
	# a refusal that waiting does not mend fails the read at once
	replica - - refused
	run rd-audit --spool "$RLOC" --list
	assert_failure 2
	assert_output "rd-audit: reading the stream: insufficient resources (stream 'DIV' at $RLOC)"
	assert_equal "$(grep -c '^API CONSUMER.CREATE.DIV' "$T/api.log")" 1
}

@test "a read whose stream drops its first messages meanwhile (MaxAge, MaxBytes) goes on from the new first sequence, asking the leader once" {
	# the stream's first four messages go once the read has begun: its
	# consumer starts at sequence 5, and a read asked the leader for each
	# of 1 to 4 in turn (a request per dropped message, thousands when
	# MaxAge drops an outage's worth at once)
	replica - - trim:4
	run rd-audit --spool "$RLOC" --list
	assert_success
	assert_equal "$(jq -r '.id[-2:]' <<< "$output" | tr '\n' ' ')" "55 56 "
	assert_equal "$(grep -c '^API STREAM.MSG.GET.DIV {"seq"' "$T/api.log")" 1
	# the read goes on from the new first sequence, not from the
	# consumer's next message: 3 and 4, which this replica lacks, are
	# taken from the leader (by both of --list's reads; the second
	# begins at 3)
	replica - 3,4 trim:2
	run rd-audit --spool "$RLOC" --list
	assert_success
	assert_equal "$(jq -r '.id[-2:]' <<< "$output" | tr '\n' ' ')" "53 54 55 56 "
	assert_equal "$(grep -o 'STREAM.MSG.GET.DIV {"seq":[0-9]*' "$T/api.log" | cut -d: -f2 | tr '\n' ' ')" \
		'1 3 4 3 4 '
}

# The 3-node cluster; sets NAME_OF (by PID), PID_OF, CPORT_OF, MON_OF
# (by name) and LOC (the stream PAYMENTS, all three client ports).
nats_cluster() {
	local out name p c m hosts=""
	out=$(sh "$NATS_SH" cluster "$T/nats") || return 1
	declare -gA PID_OF CPORT_OF MON_OF
	while read -r name p c m; do
		PID_OF[$name]=$p CPORT_OF[$name]=$c MON_OF[$name]=$m
		NATS_PIDS+=("$p")
		hosts="$hosts${hosts:+,}127.0.0.1:$c"
	done <<< "$out"
	LOC="nats://$hosts/PAYMENTS"
}

@test "a 3-node cluster, R3 stream: 20000 captures from 4 writers, two workers, the stream leader killed mid-drain and back after 15 s: nothing acknowledged is lost" {
	nats_cluster || skip "the 3-node nats-server cluster did not start (see above)"
	[[ $LOC =~ ^nats://127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+/PAYMENTS$ ]]
	ds_start
	# four writers at once, 5000 records each
	for w in 1 2 3 4; do
		recs 5000 "/w$w" | rd-capture -q --spool "$LOC" > "$T/acked$w" 2> "$T/cap$w.err" &
		BG_PIDS+=("$!")
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" || { cat "$T"/cap?.err; fail "a writer failed"; }
	done
	BG_PIDS=()
	cat "$T"/acked? | sort > "$T/ids"
	assert_equal "$(wc -l < "$T/ids")" 20000
	assert_equal "$(sort -u "$T/ids" | wc -l)" 20000
	# three replicas
	leader=$(sh "$NATS_SH" leader "${MON_OF[n1]}" PAYMENTS)
	curl -sf "http://127.0.0.1:${MON_OF[$leader]}/jsz?streams=true&config=true" |
		jq -e '[.account_details[].stream_detail[] | select(.name == "PAYMENTS")][0]
			| .config.num_replicas == 3 and .state.messages == 20000'

	start=$SECONDS
	for w in 1 2; do
		rd-replay --spool "$LOC" --rate max --timeout 5s --connect-timeout 1s \
			--grace 1s --backoff 100ms > /dev/null 2> "$T/r$w.err" &
		BG_PIDS+=("$!")
	done
	until_ok 60 ds_seen 4000
	leader=$(sh "$NATS_SH" leader "${MON_OF[n1]}" PAYMENTS)
	kill -9 "${PID_OF[$leader]}"
	killed=$SECONDS
	seen_at_kill=$(wc -l < "$T/ds.log")
	# back after 15 s, from its own store
	sleep 15
	new=$(sh "$NATS_SH" start "$T/nats" "$leader")
	NATS_PIDS+=("$new")
	rcs=""
	for p in "${BG_PIDS[@]}"; do
		rc=0
		wait "$p" || rc=$?
		rcs="$rcs$rc "
	done
	BG_PIDS=()
	cat "$T"/r?.err
	echo "drain: $((SECONDS - start)) s; leader $leader killed after $seen_at_kill deliveries, at $((killed - start)) s; exits: $rcs"
	[ "$seen_at_kill" -lt 20000 ] || fail "the drain was over before the kill"
	assert_equal "$rcs" "0 0 "

	# every acknowledged capture delivered at least once, under its id
	diff <(delivered_keys) "$T/ids"
	dups_consistent
	# rd-audit: every record ok, its attempts at least the downstream's
	audit_covers_downstream "$LOC"
	run rd-audit --spool "$LOC" --json
	assert_success
	assert_equal "$(jq -c '[.requests, .state.ok, .state.pending, .state.dead]' <<< "$output")" '[20000,20000,0,0]'
	[ "$(jq .replay.attempts <<< "$output")" -ge "$(wc -l < "$T/ds.log")" ]
}

# verify_clean LOC MONITOR-ARGS...: rd-audit --verify finds nothing
verify_clean() {
	rd-audit --spool "$@" --verify -q > /dev/null 2>&1
}

@test "rd-audit --verify --nats-monitor on a 3-node cluster compares each server's replica with the leader's: all agree; a frozen server and one that lost its replica are named, exit 1" {
	nats_cluster || skip "the 3-node nats-server cluster did not start (see above)"
	PORT=9
	recs 50 | rd-capture -q --spool "$LOC" > "$T/acked"
	mons=()
	for n in n1 n2 n3; do mons+=(--nats-monitor "http://127.0.0.1:${MON_OF[$n]}"); done
	until_ok 20 verify_clean "$LOC" "${mons[@]}"
	run rd-audit --spool "$LOC" --verify "${mons[@]}"
	assert_success
	assert_output "$LOC: 50 records, $(rd-audit --spool "$LOC" --json | jq .spool_bytes) bytes; 3 replicas compared: 0 findings"
	run rd-audit --spool "$LOC" --verify --json "${mons[@]}"
	assert_success
	assert_output ''

	# a follower frozen: its monitor does not answer, and a write goes on
	leader=$(sh "$NATS_SH" leader "${MON_OF[n1]}" PAYMENTS)
	for f in n1 n2 n3; do [ "$f" = "$leader" ] || break; done
	others=""
	for n in n1 n2 n3; do [ "$n" = "$f" ] || others="$others${others:+,}127.0.0.1:${CPORT_OF[$n]}"; done
	loc2="nats://$others/PAYMENTS"
	kill -STOP "${PID_OF[$f]}"
	recs 20 | rd-capture -q --spool "$loc2" >> "$T/acked"
	run rd-audit --spool "$loc2" --verify "${mons[@]}"
	kill -CONT "${PID_OF[$f]}"
	assert_failure 1
	assert_line --partial "stream PAYMENTS, monitor http://127.0.0.1:${MON_OF[$f]}: did not answer: "
	assert_line --partial "70 records"
	until_ok 30 verify_clean "$LOC" "${mons[@]}"

	# the follower back without its cluster: it holds no replica
	kill -9 "${PID_OF[$f]}"
	sed '/^cluster {/,/^}/d' "$T/nats/$f.conf" > "$T/nats/$f-alone.conf"
	nats-server -c "$T/nats/$f-alone.conf" > /dev/null 2>&1 &
	NATS_PIDS+=("$!")
	until_ok 15 curl -sf "http://127.0.0.1:${MON_OF[$f]}/healthz"
	run rd-audit --spool "$loc2" --verify "${mons[@]}"
	assert_failure 1
	assert_line "stream PAYMENTS, server $f: holds no replica of the stream"
	run rd-audit --spool "$loc2" --verify --json "${mons[@]}"
	assert_failure 1
	jq -e --arg w "stream PAYMENTS, server $f" \
		'select(.file == $w) | .offset == null and .problem == "holds no replica of the stream"' <<< "$output"

	# a monitor's password stays hidden in a finding
	closed=$(closed_port)
	run rd-audit --spool "$loc2" --verify --nats-monitor "http://u:sekrit@127.0.0.1:$closed"
	assert_failure 1
	assert_line --partial "stream PAYMENTS, monitor http://[REDACTED]@127.0.0.1:$closed: did not answer: "
	refute_output --partial sekrit
}

@test "rd-audit --nats-monitor: only with --verify, only on a nats:// spool, only an http(s) URL; each a usage error, exit 2" {
	run rd-audit --spool "$T/spool" --nats-monitor http://127.0.0.1:8222
	assert_failure 2
	assert_output --partial "--nats-monitor goes with --verify"
	run rd-audit --spool "$T/spool" --verify --nats-monitor 'ftp://u:sekrit@127.0.0.1:8222'
	assert_failure 2
	assert_output --partial "--nats-monitor: 'ftp://[REDACTED]@127.0.0.1:8222' is not an http or https URL"
	refute_output --partial sekrit
	mkdir -p "$T/spool"
	run rd-audit --spool "$T/spool" --verify --nats-monitor http://127.0.0.1:8222
	assert_failure 2
	assert_output --partial "--nats-monitor goes with a nats:// spool"
}
