#!/usr/bin/env bats
# tests/helpers/nats.sh, the nats-server harness the NATS JetStream
# backend's suites run against: one node, a cluster of three that forms,
# and a node that comes back, with its store, after a kill -9.  The
# servers are Debian's nats-server on 127.0.0.1; a test stops every one
# it started.

load common

NATS_SH="$BATS_TEST_DIRNAME/helpers/nats.sh"

setup() {
	common_setup
	NATS_PIDS=()
	command -v nats-server > /dev/null ||
		skip "nats-server is not installed (apt-get install nats-server)"
}

teardown() {
	nats_stop
	common_teardown
}

# alive PID: running and not a zombie (the servers outlive the helper
# that started them, so they are not this shell's children to wait for)
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

# listens_on_loopback_only PID...: each listens, and only on 127.0.0.1
# (checked when ss is there)
listens_on_loopback_only() {
	command -v ss > /dev/null || return 0
	local p socks
	socks=$(ss -Hltnp)
	for p in "$@"; do
		grep -q "pid=$p," <<< "$socks" || { echo "pid $p listens nowhere" >&2; return 1; }
		if grep "pid=$p," <<< "$socks" | awk '$4 !~ /^127\.0\.0\.1:/ { print; bad = 1 } END { exit !bad }' >&2; then
			echo "pid $p listens beyond 127.0.0.1" >&2
			return 1
		fi
	done
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

@test "nats.sh single: one JetStream node on 127.0.0.1, healthy and stopped by its PID" {
	out=$(sh "$NATS_SH" single "$T/nats")
	read -r pid cport mport <<< "$out"
	NATS_PIDS+=("$pid")
	assert_equal "$(wc -l <<< "$out")" 1
	alive "$pid"
	assert_equal "$(healthz "$mport" | jq -r .status)" ok
	# JetStream on, its store under DIR, 1 GiB of file store
	jsz "$mport" | jq -e --arg d "$T/nats/n1" '.config.store_dir | startswith($d)'
	assert_equal "$(jsz "$mport" | jq .config.max_storage)" 1073741824
	grep -qx "listen: 127.0.0.1:$cport" "$T/nats/n1.conf"
	grep -qx "http: 127.0.0.1:$mport" "$T/nats/n1.conf"
	listens_on_loopback_only "$pid"
	# a stream on it: the leader is the node itself; none for a name it lacks
	nats_req "$cport" '$JS.API.STREAM.CREATE.RD' '{"name":"RD","subjects":["rd.>"],"storage":"file"}' |
		jq -e '.error == null and .config.name == "RD"'
	run sh "$NATS_SH" leader "$mport" RD
	assert_success
	assert_output n1
	run sh "$NATS_SH" leader "$mport" NOPE
	assert_failure 1
	assert_output ''
	# stopped by its PID, as teardown does it
	nats_stop
	run alive "$pid"
	assert_failure
	run curl -s --max-time 2 "http://127.0.0.1:$mport/healthz"
	assert_failure 7
}

@test "nats.sh cluster: three nodes form one JetStream cluster; a node killed with -9 comes back with nats.sh start" {
	out=$(sh "$NATS_SH" cluster "$T/nats")
	declare -A pid cport mport
	while read -r name p c m; do
		pid[$name]=$p cport[$name]=$c mport[$name]=$m
		NATS_PIDS+=("$p")
	done <<< "$out"
	assert_equal "$(cut -d' ' -f1 <<< "$out" | tr '\n' ' ')" "n1 n2 n3 "
	# nine distinct ports
	assert_equal "$(grep -ho '127\.0\.0\.1:[0-9]*' "$T"/nats/n?.conf | sort -u | wc -l)" 9
	for n in n1 n2 n3; do
		assert_equal "$(healthz "${mport[$n]}" | jq -r .status)" ok
		jsz "${mport[$n]}" | jq -e '.meta_cluster | .name == "rd" and .cluster_size == 3 and (.leader | length) > 0'
	done
	# the meta leader lists the other two as its replicas
	ml=$(jsz "${mport[n1]}" | jq -r .meta_cluster.leader)
	assert_equal "$(jsz "${mport[$ml]}" | jq -c '[.meta_cluster | .leader, .replicas[].name] | sort')" '["n1","n2","n3"]'
	listens_on_loopback_only "${pid[n1]}" "${pid[n2]}" "${pid[n3]}"

	# a stream on all three, one message in it
	nats_req "${cport[n1]}" '$JS.API.STREAM.CREATE.RD' '{"name":"RD","subjects":["rd.>"],"num_replicas":3,"storage":"file"}' |
		jq -e '.error == null and .config.num_replicas == 3'
	nats_req "${cport[n2]}" rd.one '{"n":1}' | jq -e '.stream == "RD" and .seq == 1'
	sl=$(sh "$NATS_SH" leader "${mport[n3]}" RD)
	[[ $sl == n[123] ]]

	# the stream's leader killed with -9, and started again from its file
	kill -9 "${pid[$sl]}"
	until_ok 5 eval '! alive "${pid[$sl]}"'
	run healthz "${mport[$sl]}"
	assert_failure 7
	new=$(sh "$NATS_SH" start "$T/nats" "$sl")
	NATS_PIDS+=("$new")
	[ "$new" != "${pid[$sl]}" ]
	alive "$new"
	assert_equal "$(healthz "${mport[$sl]}" | jq -r .status)" ok
	grep -q "client connections on 127.0.0.1:${cport[$sl]}" "$T/nats/$sl.log"
	# back in the meta cluster, the message still in its store, and the
	# stream has a leader again
	jsz "${mport[$sl]}" | jq -e '.meta_cluster.cluster_size == 3 and (.meta_cluster.leader | length) > 0'
	assert_equal "$(jsz "${mport[$sl]}" streams=true | jq '.account_details[].stream_detail[] | select(.name == "RD") | .state.messages')" 1
	until_ok 15 sh "$NATS_SH" leader "${mport[$sl]}" RD > /dev/null
	for n in n1 n2 n3; do
		assert_equal "$(healthz "${mport[$n]}" | jq -r .status)" ok
	done
}

@test "nats.sh: a usage error and an unknown stream say so" {
	run sh "$NATS_SH" bogus "$T"
	assert_failure 1
	assert_output --partial 'usage: nats.sh single DIR'
	run sh "$NATS_SH" start "$T/none" n9
	assert_failure 1
	assert_output "nats.sh: no configuration $T/none/n9.conf"
}

@test "nats.sh single --auth U:P: a client must log in with them" {
	out=$(sh "$NATS_SH" single --auth u:p "$T/nats")
	read -r pid cport mport <<< "$out"
	NATS_PIDS+=("$pid")
	assert_equal "$(healthz "$mport" | jq -r .status)" ok
	grep -qx '	user: "u"' "$T/nats/n1.conf"
	grep -qx '	password: "p"' "$T/nats/n1.conf"
	# the server asks clients for them (the monitor port does not)
	curl -sf --max-time 5 "http://127.0.0.1:$mport/varz" | jq -e '.auth_required == true'
	run sh "$NATS_SH" single --auth nopass "$T/nats2"
	assert_failure 1
	assert_output 'nats.sh: --auth takes USER:PASSWORD'
}
