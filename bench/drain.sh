#!/bin/sh
# bench/drain.sh - rd-replay --adaptive against services that change under
# it, side by side with a fixed rate and with the controller of another
# build (BEFORE), in the same run, on 127.0.0.1:
#   1. fixed: a 20k backlog into nginx limit_req at 1000 r/s (burst 100,
#      nodelay, 503 beyond), as in bench/replay.sh;
#   2. moving: the same backlog while nginx's limit is reloaded in place
#      (nginx -s reload): 1000 r/s, then 400 r/s after 6 s, then 1500 r/s
#      after 12 s.  The ideal drain time comes from the capacity over time
#      (the reload times as measured), and is where its integral reaches
#      20,000;
#   3. queue: a 10k backlog into a service that slows instead of refusing
#      (rd-downstream --queue 500 --latency 20: one server, 500 requests a
#      second in arrival order, 20 ms each after that).  A probe (hey, 4
#      workers at 5 requests a second each) stands for the service's other
#      clients and measures the latency they see during the drain.
# Every mode runs rd-replay -c 64 --backoff 100ms --backoff-max 2s
# --max-attempts 100 from a copy of the same spool.  Drain time, 503 share,
# amplification and loss come from nginx's access log, as in replay.sh;
# the queue's drain time is rd-replay's own wall time.
# Results are printed and written to bench/results/drain.json.
#
# Environment: BUILD (default build), BEFORE (a directory whose
# bin/rd-replay is the controller to compare with, for example a build of
# the previous commit; unset: not compared), RUNS (default 1), KEEP (a
# directory to keep each mode's access log and probe times in), SCENARIOS
# (default "fixed moving queue").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
helper="$top/$BUILD/tests/rd-downstream"
RUNS=${RUNS:-1}
BEFORE=${BEFORE:-}
KEEP=${KEEP:-}
SCENARIOS=${SCENARIOS:-fixed moving queue}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-drain.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	rm -rf "$w"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
# The P-th percentile (nearest rank) of the response times in hey's CSV
# output, in milliseconds.
pct() { # CSV P
	awk -F, 'NR > 1 && $1 + 0 > 0 { print $1 * 1000 }' "$1" | sort -n |
		awk -v p="$2" '{ v[NR] = $1 } END { r = int(p / 100 * NR + 0.999999);
			if (r < 1) r = 1; printf "%.1f", v[r] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
make_spool() { # DIR N URLPREFIX
	seq "$2" | awk -v u="$3" '{ printf "{\"method\":\"GET\",\"url\":\"%s/%d\"}\n", u, $1 }' |
		RD_SPOOL="$1" "$bin/rd-capture" -q --fsync never > /dev/null
}
replay() { # BINARY SPOOL ARGS...: one drain
	b=$1 sp=$2
	shift 2
	RD_SPOOL="$sp" "$b" -q "$@" -c 64 --backoff 100ms --backoff-max 2s \
		--max-attempts 100 || true
}
modes() { # the modes of a scenario: NAME BINARY ARGS, one a line
	echo "adaptive $bin/rd-replay --adaptive --rate 5000/s"
	[ -n "$BEFORE" ] && echo "before $BEFORE/bin/rd-replay --adaptive --rate 5000/s"
	[ "$1" = fixed ] || echo "fixed2000 $bin/rd-replay --rate 2000/s"
}
# nginx: its limit set in place, then reloaded
set_limit() { # RATE
	sed -i "s/rate=[0-9]*r\/s/rate=${1}r\/s/" "$w/n/nginx.conf"
	nginx -p "$w/n" -c "$w/n/nginx.conf" -e "$w/n/error.log" -s reload
}
# From the access log: drain time (first request to last 200), requests,
# 503s, records delivered.
log_figures() { # LOG
	awk '{ print $1, $2, $5 }' "$1" | sort -n > "$w/d.log"
	total=$(wc -l < "$w/d.log")
	s503=$(awk '$2 == 503' "$w/d.log" | wc -l)
	okk=$(awk '$2 == 200 { print $3 }' "$w/d.log" | sort -u | wc -l)
	t0=$(awk 'NR == 1 { printf "%.3f", $1 }' "$w/d.log")
	t=$(awk 'NR == 1 { f = $1 } $2 == 200 { l = $1 } END { printf "%.2f", l - f }' "$w/d.log")
}
# The ideal drain time of N requests from T0 under a capacity that was
# C0 until T1, C1 until T2, and C2 after.
ideal_moving() { # N T0 T1 T2 C0 C1 C2
	awk -v n="$1" -v t0="$2" -v t1="$3" -v t2="$4" -v c0="$5" -v c1="$6" -v c2="$7" 'BEGIN {
		a = t1 - t0; b = t2 - t1
		if (n <= c0 * a) t = n / c0
		else if (n <= c0 * a + c1 * b) t = a + (n - c0 * a) / c1
		else t = a + b + (n - c0 * a - c1 * b) / c2
		printf "%.2f", t }'
}

base=$((30000 + $$ % 10000))
results=""
case " $SCENARIOS " in
*" fixed "* | *" moving "*)
	make_spool "$w/tmpl" 20000 "http://127.0.0.1:$base/d"
	p=$(sh "$top/tests/helpers/nginx.sh" "$w/n" "$base" --limit 1000 100)
	pids="$pids $p"
esac

for run in $(seq "$RUNS"); do
	for sc in $SCENARIOS; do
		[ "$sc" = queue ] && continue
		echo "# run $run, $sc: 20000 requests into nginx limit_req"
		modes "$sc" | while read -r mode b args; do
			set_limit 1000
			rm -rf "$w/ds"
			cp -a "$w/tmpl" "$w/ds"
			sleep 1.5 # the old worker gone, the limiter's bucket full
			: > "$w/n/access.log"
			t1=0 t2=0
			if [ "$sc" = moving ]; then
				# shellcheck disable=SC2086
				replay "$b" "$w/ds" $args &
				rp=$!
				sleep 6; set_limit 400; t1=$(now)
				sleep 6; set_limit 1500; t2=$(now)
				wait "$rp"
			else
				# shellcheck disable=SC2086
				replay "$b" "$w/ds" $args
			fi
			sleep 1.2
			log_figures "$w/n/access.log"
			[ -z "$KEEP" ] || cp "$w/n/access.log" "$KEEP/$sc-$mode-$run.log"
			if [ "$sc" = moving ]; then
				ideal=$(ideal_moving 20000 "$t0" "$t1" "$t2" 1000 400 1500)
			else
				ideal=19.9
			fi
			echo "$mode: drain ${t}s ($(ratio "$t" "$ideal")x ideal ${ideal}s)  503 share $(ratio "$((s503 * 100))" "$total")%  amplification $(ratio "$total" 20000)  lost $((20000 - okk))"
			echo "{\"run\":$run,\"scenario\":\"$sc\",\"mode\":\"$mode\",\"drain_s\":$t,\"ideal_s\":$ideal,\"requests\":$total,\"s503\":$s503,\"delivered\":$okk}," >> "$w/results"
		done
	done

	case " $SCENARIOS " in *" queue "*) ;; *) continue ;; esac
	echo "# run $run, queue: 10000 requests into rd-downstream --queue 500 --latency 20"
	"$helper" --queue 500 --latency 20 --port-file "$w/qport" --pid-file "$w/qpid" \
		--log "$w/q.log" > /dev/null 2>&1 &
	pids="$pids $!"
	while [ ! -s "$w/qport" ]; do sleep 0.05; done
	qp=$(cat "$w/qport")
	rm -rf "$w/qtmpl"
	make_spool "$w/qtmpl" 10000 "http://127.0.0.1:$qp/q"
	hey -z 10s -c 4 -q 5 -o csv "http://127.0.0.1:$qp/probe" > "$w/idle.csv"
	idle99=$(pct "$w/idle.csv" 99)
	echo "unloaded: probe p50 $(pct "$w/idle.csv" 50) ms  p99 ${idle99} ms"
	{
		echo "adaptive $bin/rd-replay --adaptive --rate 2000/s"
		[ -n "$BEFORE" ] && echo "before $BEFORE/bin/rd-replay --adaptive --rate 2000/s"
		[ -n "$BEFORE" ] && echo "before-target $BEFORE/bin/rd-replay --adaptive --rate 2000/s --latency-target 50ms"
		echo "fixed1000 $bin/rd-replay --rate 1000/s"
	} | while read -r mode b args; do
		rm -rf "$w/qs"
		cp -a "$w/qtmpl" "$w/qs"
		sleep 1
		: > "$w/q.log"
		hey -z 120s -c 4 -q 5 -o csv "http://127.0.0.1:$qp/probe" > "$w/probe.csv" &
		hp=$!
		sleep 0.5
		s=$(now)
		# shellcheck disable=SC2086
		replay "$b" "$w/qs" $args
		t=$(awk -v s="$s" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')
		kill -INT "$hp"
		wait "$hp" || true
		p50=$(pct "$w/probe.csv" 50)
		p99=$(pct "$w/probe.csv" 99)
		[ -z "$KEEP" ] || cp "$w/probe.csv" "$KEEP/queue-$mode-$run.csv"
		[ -z "$KEEP" ] || cp "$w/q.log" "$KEEP/queue-$mode-$run.log"
		# the probe's own 20/s comes out of the service's 500/s
		echo "$mode: drain ${t}s ($(ratio "$t" 20.8)x ideal 20.8s)  probe p50 ${p50} ms  p99 ${p99} ms ($(ratio "$p99" "$idle99")x unloaded)"
		echo "{\"run\":$run,\"scenario\":\"queue\",\"mode\":\"$mode\",\"drain_s\":$t,\"ideal_s\":20.8,\"probe_p50_ms\":$p50,\"probe_p99_ms\":$p99,\"unloaded_p99_ms\":$idle99}," >> "$w/results"
	done
	kill "$(cat "$w/qpid")"
	rm -f "$w/qport"
done

{ echo "["; sed '$ s/,$//' "$w/results"; echo "]"; } > "$out/drain.json"
jq . "$out/drain.json" > /dev/null
echo "# written to bench/results/drain.json"
