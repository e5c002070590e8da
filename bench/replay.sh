#!/bin/sh
# bench/replay.sh - rd-replay against its peers, in the same run, against
# Debian's nginx on 127.0.0.1 (one worker process):
#   1. unthrottled: rd-replay --rate max   vs  wrk, hey, curl --parallel and
#      a `while read; curl` loop, all at concurrency 16, same URLs;
#   2. pacing at 100, 1000 and 10000/s    vs  hey -q (QPS per worker x 10
#      workers), both measured from nginx's own access log;
#   3. the drain: a 20k backlog into nginx limited to 1000 r/s (limit_req,
#      burst 100, 503 beyond): --adaptive, a fixed rate at twice the
#      capacity, and retries with backoff and no pacing;
#   4. memory: peak RSS with 100k and 1M pending records.
# Results are printed and written to bench/results/replay.json.
#
# Environment: N (requests for 1, default 20000), RUNS (default 3), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
N=${N:-20000}
RUNS=${RUNS:-3}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	rm -rf "$w"
}
trap cleanup EXIT INT TERM

nginx_up() { # DIR PORT [options]: start, remember the PID
	p=$(sh "$top/tests/helpers/nginx.sh" "$@")
	pids="$pids $p"
}
# A spool of n records: METHOD URL-prefix, written to DIR.
make_spool() { # DIR N URLPREFIX
	seq "$2" | awk -v u="$3" '{ printf "{\"method\":\"GET\",\"url\":\"%s/%d\"}\n", u, $1 }' |
		RD_SPOOL="$1" "$bin/rd-capture" -q --fsync never > /dev/null
}
median() { jq '.results[0].median' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# achieved rate from nginx's log: (lines - 1) / (last - first)
log_rate() {
	awk '{ print $1 }' "$1" | sort -n | awk 'NR == 1 { f = $1 } { l = $1; n++ }
		END { if (n > 1 && l > f) printf "%.1f", (n - 1) / (l - f); else print 0 }'
}

base=$((20000 + $$ % 10000))
P1=$base P2=$((base + 1)) P3=$((base + 2))

echo "# 1. unthrottled, $N requests, concurrency 16, nginx without a log"
nginx_up "$w/n1" "$P1" --no-log
make_spool "$w/tmpl" "$N" "http://127.0.0.1:$P1/o"
hyperfine -N --runs "$RUNS" --export-json "$w/rd.json" \
	--prepare "sh -c 'rm -rf $w/sp && cp -a $w/tmpl $w/sp'" \
	"env RD_SPOOL=$w/sp $bin/rd-replay -q --rate max -c 16" > /dev/null
rd_rps=$(awk -v n="$N" -v t="$(median "$w/rd.json")" 'BEGIN { printf "%.0f", n / t }')
wrk_rps=$(wrk -t1 -c16 -d5s "http://127.0.0.1:$P1/o/1" | awk '/^Requests\/sec/ { printf "%.0f", $2 }')
hey_rps=$(hey -n "$N" -c 16 "http://127.0.0.1:$P1/o/1" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
seq "$N" | awk -v p="$P1" '{ printf "url = \"http://127.0.0.1:%s/o/%d\"\noutput = /dev/null\n", p, $1 }' > "$w/curl.cfg"
hyperfine -N --runs "$RUNS" --export-json "$w/cp.json" \
	"curl -s --parallel --parallel-max 16 -K $w/curl.cfg" > /dev/null
cp_rps=$(awk -v n="$N" -v t="$(median "$w/cp.json")" 'BEGIN { printf "%.0f", n / t }')
seq 500 | awk -v p="$P1" '{ printf "http://127.0.0.1:%s/o/%d\n", p, $1 }' > "$w/urls"
cat > "$w/loop.sh" <<EOF
while read -r u; do curl -s -o /dev/null "\$u"; done < $w/urls
EOF
hyperfine -N --runs 1 --export-json "$w/loop.json" "sh $w/loop.sh" > /dev/null
loop_rps=$(awk -v t="$(median "$w/loop.json")" 'BEGIN { printf "%.0f", 500 / t }')
echo "rd-replay $rd_rps/s  wrk $wrk_rps/s  hey $hey_rps/s  curl --parallel $cp_rps/s  while-read-curl $loop_rps/s"
echo "rd-replay / wrk = $(ratio "$rd_rps" "$wrk_rps") (bar >= 0.7)   rd-replay / curl --parallel = $(ratio "$rd_rps" "$cp_rps") (bar >= 2)"

echo "# 2. pacing, measured from nginx's access log"
nginx_up "$w/n2" "$P2"
pacing=""
for r in 100 1000 10000; do
	n=$((r * 3))
	rm -rf "$w/ps"
	make_spool "$w/ps" "$n" "http://127.0.0.1:$P2/p"
	: > "$w/n2/access.log"
	RD_SPOOL="$w/ps" "$bin/rd-replay" -q --rate "$r/s" -c 64 || true
	sleep 1.2
	rd=$(log_rate "$w/n2/access.log")
	: > "$w/n2/access.log"
	hey -n "$n" -c 10 -q $((r / 10)) "http://127.0.0.1:$P2/h" > /dev/null
	sleep 1.2
	hy=$(log_rate "$w/n2/access.log")
	err=$(awk -v a="$rd" -v r="$r" 'BEGIN { d = (a - r) / r * 100; printf "%.2f", d }')
	herr=$(awk -v a="$hy" -v r="$r" 'BEGIN { d = (a - r) / r * 100; printf "%.2f", d }')
	echo "target $r/s: rd-replay $rd/s (${err}%)  hey -q $hy/s (${herr}%)"
	pacing="$pacing{\"target\":$r,\"rd_replay\":$rd,\"rd_error_pct\":$err,\"hey\":$hy,\"hey_error_pct\":$herr},"
done

echo "# 3. the drain: 20000 requests into nginx at 1000 r/s (burst 100, 503 beyond)"
nginx_up "$w/n3" "$P3" --limit 1000 100
make_spool "$w/dtmpl" 20000 "http://127.0.0.1:$P3/d"
drain=""
for mode in adaptive fixed2x nogate; do
	case $mode in
	adaptive) args="--adaptive --rate 5000/s" ;;
	fixed2x) args="--rate 2000/s" ;;
	nogate) args="--rate max" ;;
	esac
	rm -rf "$w/ds"
	cp -a "$w/dtmpl" "$w/ds"
	sleep 1.5 # let the limiter's bucket refill between modes
	: > "$w/n3/access.log"
	# shellcheck disable=SC2086
	RD_SPOOL="$w/ds" "$bin/rd-replay" -q $args -c 64 --backoff 100ms \
		--backoff-max 2s --max-attempts 100 || true
	sleep 1.2
	awk '{ print $1, $2, $5 }' "$w/n3/access.log" | sort -n > "$w/d.log"
	total=$(wc -l < "$w/d.log")
	s503=$(awk '$2 == 503' "$w/d.log" | wc -l)
	okk=$(awk '$2 == 200 { print $3 }' "$w/d.log" | sort -u | wc -l)
	t=$(awk 'NR == 1 { f = $1 } $2 == 200 { l = $1 } END { printf "%.2f", l - f }' "$w/d.log")
	ideal=19.9
	echo "$mode: drain ${t}s ($(ratio "$t" "$ideal")x ideal, bar 1.25)  503 share $(ratio "$((s503 * 100))" "$total")% (bar 5)  amplification $(ratio "$total" 20000) (bar 1.1)  lost $((20000 - okk))"
	drain="$drain{\"mode\":\"$mode\",\"drain_s\":$t,\"ideal_s\":$ideal,\"requests\":$total,\"s503\":$s503,\"delivered\":$okk},"
done

echo "# 4. memory: peak RSS of a run with 100k and 1M records pending"
mem=""
for n in 100000 1000000; do
	rm -rf "$w/ms"
	make_spool "$w/ms" "$n" "http://127.0.0.1:$P1/m"
	for t in 3s 10s; do
		/usr/bin/time -o "$w/rss" -f '%M' env RD_SPOOL="$w/ms" "$bin/rd-replay" -q \
			--rate 2000/s --max-time "$t" > /dev/null 2>&1 || true
		rss=$(tail -1 "$w/rss")
		echo "$n pending, $t at 2000/s: peak RSS $((rss / 1024)) MiB (bar 64)"
		mem="$mem{\"pending\":$n,\"run\":\"$t\",\"rss_kib\":$rss},"
	done
done

cat > "$out/replay.json" <<EOF
{"unthrottled":{"n":$N,"rd_replay":$rd_rps,"wrk":$wrk_rps,"hey":$hey_rps,"curl_parallel":$cp_rps,"while_read_curl":$loop_rps},
"pacing":[${pacing%,}],
"drain":[${drain%,}],
"memory":[${mem%,}]}
EOF
jq . "$out/replay.json" > /dev/null
echo "# written to bench/results/replay.json"
