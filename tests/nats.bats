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
	assert_output ''
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
