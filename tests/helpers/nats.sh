#!/bin/sh
# tests/helpers/nats.sh - start Debian's nats-server with JetStream on
# 127.0.0.1 for tests: one node, or a cluster of three, each from a
# configuration written into DIR.
#
# Usage: nats.sh single [--auth U:P] DIR prints PID CLIENT_PORT MONITOR_PORT
#        nats.sh cluster [--auth U:P] DIR
#                                        prints NAME PID CLIENT_PORT MONITOR_PORT,
#                                        one line per node, n1 to n3
#        nats.sh start DIR NAME          runs DIR/NAME.conf again (after a
#                                        kill -9), prints the new PID
#        nats.sh leader MONITOR_PORT STREAM
#                                        prints the server name of STREAM's
#                                        leader as that server sees it; exit 1
#                                        when it knows none
# --auth USER:PASSWORD gives each node `authorization { user, password }`:
# a client must log in with them (the monitor port asks for nothing).
# A node NAME has DIR/NAME.conf, its store DIR/NAME/ and its log
# DIR/NAME.log.  Every port is on 127.0.0.1 and was free when chosen (the
# kernel picks them; a start that loses the race for one is retried with
# new ones).  A start returns once /healthz answers ok (and, for a
# cluster, a JetStream meta leader is known), or fails within $NATS_WAIT
# seconds (default 15) with the server's log on stderr, and stops what
# it started.  The servers run in the background; the caller stops them
# by PID.  sync_interval is left at its default: an acknowledged write
# may sit in the page cache, which a kill -9 keeps but a power cut does not.
set -eu

wait_max=${NATS_WAIT:-15}

die() { echo "nats.sh: $*" >&2; exit 1; }

# N distinct ports on 127.0.0.1 that nothing listens on: asked of the
# kernel while all N are bound, or else picked at random below the
# ephemeral range and refused by a connect (curl exit 7).
free_ports() {
	if command -v python3 > /dev/null 2>&1; then
		python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
		return
	fi
	got="" n=0
	while [ "$n" -lt "$1" ]; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000 ))
		case " $got " in *" $p "*) continue ;; esac
		rc=0
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" || rc=$?
		[ "$rc" -eq 7 ] && got="$got $p" n=$((n + 1))
	done
	echo "${got# }"
}

# alive PID: running, and not a zombie its parent has yet to reap
alive() {
	kill -0 "$1" 2> /dev/null || return 1
	case $(ps -o stat= -p "$1" 2> /dev/null) in Z*|"") return 1 ;; esac
}

# write_conf NAME CLIENT MONITOR [CLUSTER ROUTE-PORTS...]
write_conf() {
	name=$1 client=$2 mon=$3
	shift 3
	cluster=""
	if [ $# -gt 0 ]; then
		listen=$1
		shift
		routes=""
		for p in "$@"; do
			routes="$routes${routes:+,} nats-route://127.0.0.1:$p"
		done
		cluster="cluster {
	name: rd
	listen: 127.0.0.1:$listen
	routes: [$routes ]
}"
	fi
	auth=""
	if [ -n "$auth_user" ]; then
		auth="authorization {
	user: \"$auth_user\"
	password: \"$auth_pass\"
}"
	fi
	: > "$dir/$name.log"
	cat > "$dir/$name.conf" <<CONF
# written by tests/helpers/nats.sh
server_name: $name
listen: 127.0.0.1:$client
http: 127.0.0.1:$mon
log_file: "$dir/$name.log"
jetstream {
	store_dir: "$dir/$name"
	# "1G" would be 10^9 bytes here; 1GB and 1GiB are 2^30
	max_memory_store: 64MiB
	max_file_store: 1GiB
}
$cluster
$auth
CONF
}

# launch NAME: run DIR/NAME.conf in the background; sets pid
launch() {
	nats-server -c "$dir/$1.conf" < /dev/null >> "$dir/$1.log" 2>&1 3>&- &
	pid=$!
}

monitor_port() {
	sed -n 's/^http: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/$1.conf"
}

healthy() {
	[ "$(curl -s --max-time 2 "http://127.0.0.1:$1/healthz" | jq -r .status 2> /dev/null)" = ok ]
}

# wait_for NAME PID MONITOR [leader]: until /healthz says ok (and /jsz
# names a meta leader); 1 when the server died or time ran out, with
# its log on stderr unless the cause was a port in use (2)
wait_for() {
	i=0
	while :; do
		if ! alive "$2"; then
			grep -q 'address already in use' "$dir/$1.log" 2> /dev/null && return 2
			echo "nats.sh: $1 (pid $2) exited during start; $dir/$1.log:" >&2
			tail -n 20 "$dir/$1.log" >&2
			return 1
		fi
		if healthy "$3"; then
			[ $# -lt 4 ] && return 0
			leader=$(curl -s --max-time 2 "http://127.0.0.1:$3/jsz" |
				jq -r '.meta_cluster.leader // empty' 2> /dev/null)
			[ -n "$leader" ] && return 0
		fi
		i=$((i + 1))
		if [ "$i" -gt $((wait_max * 10)) ]; then
			echo "nats.sh: $1 (pid $2) not healthy on 127.0.0.1:$3 after ${wait_max}s: $(curl -s --max-time 2 "http://127.0.0.1:$3/healthz")" >&2
			tail -n 20 "$dir/$1.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# stop PIDS...: TERM, a bounded wait, then KILL
stop() {
	for p in "$@"; do kill "$p" 2> /dev/null || true; done
	i=0
	for p in "$@"; do
		while alive "$p" && [ "$i" -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		kill -9 "$p" 2> /dev/null || true
	done
}

single() {
	for _ in 1 2 3; do
		# shellcheck disable=SC2046 # the ports, split on purpose
		set -- $(free_ports 2)
		write_conf n1 "$1" "$2"
		launch n1
		rc=0
		wait_for n1 "$pid" "$2" || rc=$?
		[ "$rc" -eq 0 ] && { echo "$pid $1 $2"; return 0; }
		stop "$pid"
		[ "$rc" -eq 2 ] || exit 1
	done
	die "no free ports after 3 tries; $dir/n1.log has the last one"
}

cluster() {
	for _ in 1 2 3; do
		# client, cluster and monitor port of n1, then n2, then n3
		# shellcheck disable=SC2046 # the ports, split on purpose
		set -- $(free_ports 9)
		write_conf n1 "$1" "$3" "$2" "$2" "$5" "$8"
		write_conf n2 "$4" "$6" "$5" "$2" "$5" "$8"
		write_conf n3 "$7" "$9" "$8" "$2" "$5" "$8"
		launch n1; p1=$pid
		launch n2; p2=$pid
		launch n3; p3=$pid
		rc=0
		wait_for n1 "$p1" "$3" leader &&
			wait_for n2 "$p2" "$6" leader &&
			wait_for n3 "$p3" "$9" leader || rc=$?
		if [ "$rc" -eq 0 ]; then
			echo "n1 $p1 $1 $3"
			echo "n2 $p2 $4 $6"
			echo "n3 $p3 $7 $9"
			return 0
		fi
		stop "$p1" "$p2" "$p3"
		[ "$rc" -eq 2 ] || exit 1
		rm -rf "$dir/n1" "$dir/n2" "$dir/n3"
	done
	die "no free ports after 3 tries; see $dir/n*.log"
}

start() {
	[ -f "$dir/$1.conf" ] || die "no configuration $dir/$1.conf"
	mon=$(monitor_port "$1")
	[ -n "$mon" ] || die "no 'http: 127.0.0.1:PORT' line in $dir/$1.conf"
	launch "$1"
	if ! wait_for "$1" "$pid" "$mon"; then
		stop "$pid"
		exit 1
	fi
	echo "$pid"
}

# The stream's leader from /jsz?streams=true, which 2.9 answers with
# account_details[].stream_detail[].cluster.leader for every stream the
# server holds a replica of (?accounts=true alone leaves stream_detail
# out).  A follower keeps naming a killed leader until the election
# after it, a few seconds.
leader() {
	curl -s --max-time 5 "http://127.0.0.1:$1/jsz?streams=true" |
		jq -er --arg s "$2" 'first(.account_details[]?.stream_detail[]?
			| select(.name == $s) | .cluster.leader // empty | select(. != ""))' ||
		exit 1
}

usage="usage: nats.sh single DIR | cluster DIR | start DIR NAME | leader MONITOR_PORT STREAM (single and cluster take --auth USER:PASSWORD before DIR)"
[ $# -ge 2 ] || die "$usage"
cmd=$1
auth_user="" auth_pass=""
case $cmd in
single|cluster)
	if [ "$2" = --auth ]; then
		[ $# -ge 4 ] || die "$usage"
		case $3 in
		*:*) auth_user=${3%%:*} auth_pass=${3#*:} ;;
		*) die "--auth takes USER:PASSWORD" ;;
		esac
		[ -n "$auth_user" ] || die "--auth takes USER:PASSWORD"
		c=$1
		shift 3
		set -- "$c" "$@"
	fi
	;;
esac
case $cmd in
single|cluster|start)
	command -v nats-server > /dev/null 2>&1 || die "nats-server is not installed"
	mkdir -p "$2"
	dir=$(cd "$2" && pwd)
	shift 2
	case $cmd in
	start) [ $# -eq 1 ] || die "$usage"; start "$1" ;;
	*) [ $# -eq 0 ] || die "$usage"; $cmd ;;
	esac
	;;
leader) [ $# -eq 3 ] || die "$usage"; leader "$2" "$3" ;;
*) die "$usage" ;;
esac
