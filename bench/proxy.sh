#!/bin/sh
# bench/proxy.sh - rd-proxy against nginx proxy_pass, in the same run, in
# front of the same upstream (Debian's nginx, one worker, no log), on
# 127.0.0.1:
#   1. forwarding throughput, closed loop (wrk), 1 and 32 connections:
#      direct, nginx proxy_pass (one worker, upstream keepalive) and rd-proxy;
#   2. added latency over direct at 25, 50 and 90% of direct capacity, at
#      fixed rates (hey -q, 32 workers); capacity is hey's own closed-loop
#      rate against the upstream directly, so the load generator is the
#      same throughout.  hey paces each worker and the workers run in
#      step, so the load comes in bursts of up to 32 requests at once;
#      and the CPU time per request of nginx's worker and of rd-proxy;
#   3. the capture path with the upstream down: 202s per second under each
#      --fsync policy (hey, 32 workers, POST of 600 bytes), and the
#      latency of a 202;
#   4. memory: rd-proxy's and nginx's RSS with 10k idle connections, and
#      under a slowloris attack (3000 connections trickling a head), with a
#      legitimate request's latency meanwhile.
# Results are printed and written to bench/results/proxy.json.
#
# Environment: D (seconds per load run, default 5), BUILD, BEFORE (another
# build directory, e.g. of main: its rd-proxy runs beside this one, in
# front of the same upstream, and sections 1 and 2 measure it right
# after, or right before, this build's, taking turns), RUNS (sections 1
# and 2 repeated, default 1), SECTIONS (which to run, default "1 2 3 4"),
# RD_OPTS (more options for this build's rd-proxy in sections 1 and 2,
# e.g. "--threads 1"; BEFORE's runs with its defaults).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
D=${D:-5}
BEFORE=${BEFORE:-}
RUNS=${RUNS:-1}
RD_OPTS=${RD_OPTS:-}
SECTIONS=${SECTIONS:-1 2 3 4}
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
ulimit -n 65536 2>/dev/null || true

# below the ephemeral range (32768-60999), where no client port lands
base=$((10000 + $$ % 10000 / 8 * 8))
UP=$base NGP=$((base + 1)) RDP=$((base + 2)) DEAD=$((base + 3)) BRDP=$((base + 4))

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
wrk_rps() { # CONNS THREADS URL
	wrk -t"$2" -c"$1" -d"${D}s" "$3" | awk '/^Requests\/sec/ { printf "%.0f", $2 }'
}
# hey's p50 and p99 in ms, and its request rate: "P50 P99 RPS"
hey_lat() { # hey arguments...
	hey "$@" | awk '/Requests\/sec/ { r = $2 }
		/ 50% in / { p50 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 }
		END { printf "%.3f %.3f %.0f", p50, p99, r }'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# CPU time (user + system) of a process, in clock ticks
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# CPU microseconds per request: TICKS_BEFORE TICKS_AFTER RATE
cpu_us() { awk -v a="$1" -v b="$2" -v r="$3" -v d="$D" -v hz="$hz" \
	'BEGIN { printf "%.1f", (r > 0 ? (b - a) * 1e6 / hz / (r * d) : 0) }'; }

# the upstream, and nginx as a reverse proxy in front of it
p=$(sh "$top/tests/helpers/nginx.sh" "$w/up" "$UP" --no-log)
pids="$pids $p"
mkdir -p "$w/ngp/tmp"
user=""
[ "$(id -u)" -eq 0 ] && user="user root;"
cat > "$w/ngp/nginx.conf" <<CONF
$user
worker_processes 1;
pid $w/ngp/nginx.pid;
error_log $w/ngp/error.log warn;
events { worker_connections 16384; }
http {
	access_log off;
	client_body_temp_path $w/ngp/tmp/body;
	proxy_temp_path $w/ngp/tmp/proxy;
	fastcgi_temp_path $w/ngp/tmp/fastcgi;
	uwsgi_temp_path $w/ngp/tmp/uwsgi;
	scgi_temp_path $w/ngp/tmp/scgi;
	keepalive_requests 1000000;
	upstream up { server 127.0.0.1:$UP; keepalive 256; }
	server {
		listen 127.0.0.1:$NGP;
		location / {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
CONF
nginx -p "$w/ngp" -c "$w/ngp/nginx.conf" -e "$w/ngp/error.log" -g 'daemon off;' \
	< /dev/null > /dev/null 2>&1 &
ngp_pid=$!
pids="$pids $ngp_pid"
start_rd() { # BIN PORT SPOOL [options]: sets started
	b=$1 port=$2 sp=$3
	shift 3
	"$b" -q --listen "127.0.0.1:$port" --spool "$sp" "$@" 2> "$w/rd.err" &
	started=$!
	pids="$pids $started"
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$w/rd.err" >&2; exit 1; }
		sleep 0.05
	done
}
rd_up() { # SPOOL [options]: rd-proxy on RDP
	start_rd "$bin/rd-proxy" "$RDP" "$@"
	rd_pid=$started
}
rd_down() { kill "$rd_pid"; wait "$rd_pid" 2>/dev/null || true; }
has() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
fwd="" lat="" cap202="" mem=""
if has 1 || has 2; then
	# shellcheck disable=SC2086 # options, split on purpose
	rd_up "$w/sp" --upstream "http://127.0.0.1:$UP" --max-connections 20000 $RD_OPTS
	if [ -n "$BEFORE" ]; then
		start_rd "$BEFORE/bin/rd-proxy" "$BRDP" "$w/bsp" \
			--upstream "http://127.0.0.1:$UP" --max-connections 20000
		before_pid=$started
	fi
fi

# this build's rd-proxy and BEFORE's take turns: the odd runs measure
# this build's first, the even ones BEFORE's
pair() { # RUN
	if [ -z "$BEFORE" ]; then echo "$RDP"
	elif [ $(($1 % 2)) -eq 1 ]; then echo "$RDP $BRDP"
	else echo "$BRDP $RDP"; fi
}
run=1
while [ "$run" -le "$RUNS" ] && { has 1 || has 2; }; do
if has 1; then
echo "# 1. forwarding, closed loop (wrk), ${D}s each (run $run of $RUNS)"
for c in 1 32; do
	t=$([ "$c" -eq 1 ] && echo 1 || echo 2)
	direct=$(wrk_rps "$c" "$t" "http://127.0.0.1:$UP/o")
	ngx=$(wrk_rps "$c" "$t" "http://127.0.0.1:$NGP/o")
	bef=0
	for port in $(pair "$run"); do
		r=$(wrk_rps "$c" "$t" "http://127.0.0.1:$port/o")
		if [ "$port" -eq "$RDP" ]; then rd=$r; else bef=$r; fi
	done
	b=""
	[ -z "$BEFORE" ] || b="  before $bef/s  before/nginx $(ratio "$bef" "$ngx")"
	echo "c=$c: direct $direct/s  nginx proxy_pass $ngx/s  rd-proxy $rd/s  rd-proxy/nginx $(ratio "$rd" "$ngx") (bar 0.5, goal 0.8)$b"
	fwd="$fwd{\"run\":$run,\"connections\":$c,\"direct\":$direct,\"nginx\":$ngx,\"rd_proxy\":$rd,\"ratio\":$(ratio "$rd" "$ngx"),\"before\":$bef,\"before_ratio\":$(ratio "$bef" "$ngx")},"
done
fi

if has 2; then
echo "# 2. added latency over direct, open loop (hey -q, 32 workers), ${D}s each (run $run of $RUNS)"
cap=$(hey_lat -z "${D}s" -c 32 "http://127.0.0.1:$UP/o" | awk '{ print $3 }')
echo "direct capacity with hey: $cap/s"
for pct in 25 50 90; do
	q=$(awk -v c="$cap" -v p="$pct" 'BEGIN { printf "%d", c * p / 100 / 32 }')
	set -- $(hey_lat -z "${D}s" -c 32 -q "$q" "http://127.0.0.1:$UP/o")
	d50=$1 d99=$2 drate=$3
	ngw=$(pgrep -P "$ngp_pid" | head -n 1)
	t0=$(ticks "$ngw")
	set -- $(hey_lat -z "${D}s" -c 32 -q "$q" "http://127.0.0.1:$NGP/o")
	n50=$1 n99=$2 nrate=$3
	ncpu=$(cpu_us "$t0" "$(ticks "$ngw")" "$nrate")
	b50=0 b99=0 brate=0 bcpu=0
	for port in $(pair "$run"); do
		pid=$rd_pid
		[ "$port" -eq "$RDP" ] || pid=$before_pid
		t0=$(ticks "$pid")
		set -- $(hey_lat -z "${D}s" -c 32 -q "$q" "http://127.0.0.1:$port/o")
		if [ "$port" -eq "$RDP" ]; then r50=$1 r99=$2 rrate=$3
			rcpu=$(cpu_us "$t0" "$(ticks "$pid")" "$rrate")
		else b50=$1 b99=$2 brate=$3
			bcpu=$(cpu_us "$t0" "$(ticks "$pid")" "$brate"); fi
	done
	a=$(awk -v d50="$d50" -v d99="$d99" -v n50="$n50" -v n99="$n99" \
		-v r50="$r50" -v r99="$r99" -v b50="$b50" -v b99="$b99" 'BEGIN {
		printf "%.3f %.3f %.3f %.3f %.3f %.3f", n50 - d50, n99 - d99,
			r50 - d50, r99 - d99, b50 - d50, b99 - d99 }')
	set -- $a
	echo "$pct% ($((q * 32))/s asked; got direct $drate, nginx $nrate, rd-proxy $rrate): p50 direct ${d50}ms nginx +$1 rd-proxy +$3 ($(ratio "$3" "$1")x); p99 direct ${d99}ms nginx +$2 rd-proxy +$4 ($(ratio "$4" "$2")x, bar 2)"
	[ -z "$BEFORE" ] || echo "    before (got $brate): p50 +$5 ($(ratio "$5" "$1")x); p99 +$6 ($(ratio "$6" "$2")x)"
	b=""
	[ -z "$BEFORE" ] || b=", before ${bcpu}us ($(ratio "$bcpu" "$ncpu")x)"
	echo "    CPU per request: nginx ${ncpu}us, rd-proxy ${rcpu}us ($(ratio "$rcpu" "$ncpu")x)$b"
	lat="$lat{\"run\":$run,\"nginx_cpu_us\":$ncpu,\"rd_cpu_us\":$rcpu,\"before_cpu_us\":$bcpu,\"pct\":$pct,\"rate\":$((q * 32)),\"direct_p50\":$d50,\"direct_p99\":$d99,\"nginx_added_p50\":$1,\"nginx_added_p99\":$2,\"rd_added_p50\":$3,\"rd_added_p99\":$4,\"nginx_rate\":$nrate,\"rd_rate\":$rrate,\"before_added_p50\":$5,\"before_added_p99\":$6,\"before_rate\":$brate},"
done
fi
run=$((run + 1))
done
if has 1 || has 2; then
	rd_down
	[ -z "$BEFORE" ] || { kill "$before_pid"; wait "$before_pid" 2>/dev/null || true; }
fi

if has 3; then
echo "# 3. the capture path, upstream down, POST of 600 bytes, 32 workers, ${D}s each"
body=$(head -c 600 /dev/zero | tr '\0' x)
cap202=""
for pol in always batch interval never; do
	rm -rf "$w/csp"
	rd_up "$w/csp" --upstream "http://127.0.0.1:$DEAD" --fsync "$pol" --capture-queue 100000
	hey -z "${D}s" -c 32 -m POST -d "$body" "http://127.0.0.1:$RDP/orders" > "$w/hey.out"
	rd_down
	n=$(awk '/\[202\]/ { print $2 }' "$w/hey.out")
	other=$(awk '/^  \[[0-9]+\].*responses/ && !/\[202\]/ { s += $2 } END { print s + 0 }' "$w/hey.out")
	stored=$(RD_SPOOL="$w/csp" "$bin/rd-audit" --json | jq .requests)
	rate=$(awk -v n="${n:-0}" -v d="$D" 'BEGIN { printf "%.0f", n / d }')
	p50=$(awk '/ 50% in / { printf "%.2f", $3 * 1000 }' "$w/hey.out")
	p99=$(awk '/ 99% in / { printf "%.2f", $3 * 1000 }' "$w/hey.out")
	echo "--fsync $pol: $rate 202s/s (${n:-0} answered 202, $other otherwise, $stored stored); a 202 takes p50 ${p50}ms p99 ${p99}ms"
	cap202="$cap202{\"fsync\":\"$pol\",\"per_sec\":$rate,\"accepted\":${n:-0},\"stored\":$stored,\"p50_ms\":$p50,\"p99_ms\":$p99},"
done

fi

if has 4; then
echo "# 4. memory: 10k idle connections, and a slowloris attack"
# hold N connections open for S seconds; with a head rate: trickle one
# header byte per connection every second
cat > "$w/hold.pl" <<'PL'
use IO::Socket::INET;
my ($port, $n, $secs, $trickle) = @ARGV;
my @s;
for (1 .. $n) {
	my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or last;
	print $c "GET / HTTP/1.1\r\nHost: x\r\n" if $trickle;
	push @s, $c;
}
print STDERR scalar(@s), " connections\n";
for (1 .. $secs) {
	sleep 1;
	if ($trickle) { local $SIG{PIPE} = 'IGNORE'; print $_ "X" for @s; }
}
PL
idle() { # PORT PID NAME
	before=$(rss_kb "$2")
	perl "$w/hold.pl" "$1" 10000 6 0 2> "$w/hold.err" &
	h=$!
	sleep 4
	during=$(rss_kb "$2")
	kill "$h" 2>/dev/null || true
	wait "$h" 2>/dev/null || true
	echo "$3: RSS $before kB idle, $during kB with $(cat "$w/hold.err")" >&2
	echo "$before $during"
}
rd_up "$w/sp" --upstream "http://127.0.0.1:$UP" --max-connections 20000 --header-timeout 30s
ngw=$(pgrep -P "$ngp_pid" | head -n 1)
set -- $(idle "$RDP" "$rd_pid" rd-proxy)
rd_idle0=$1 rd_idle=$2
set -- $(idle "$NGP" "$ngw" "nginx proxy_pass (worker)")
ng_idle0=$1 ng_idle=$2
rd_down
rd_up "$w/sp" --upstream "http://127.0.0.1:$UP" --header-timeout 5s
before=$(rss_kb "$rd_pid")
perl "$w/hold.pl" "$RDP" 3000 10 1 2> "$w/slow.err" &
h=$!
sleep 3
during=$(rss_kb "$rd_pid")
t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$RDP/o")
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RDP/o")
sleep 4
cut=$(ss -Htn state established "( dport = :$RDP )" | wc -l)
kill "$h" 2>/dev/null || true
wait "$h" 2>/dev/null || true
rd_down
echo "slowloris, 3000 connections trickling a head, --header-timeout 5s: RSS $before kB before, $during kB during; a request meanwhile: $code in ${t}s; client connections still open 7s in: $cut"

mem="\"rd_idle_kb\":$rd_idle0,\"rd_10k_kb\":$rd_idle,\"nginx_idle_kb\":$ng_idle0,\"nginx_10k_kb\":$ng_idle,
 \"slowloris_before_kb\":$before,\"slowloris_during_kb\":$during,\"slowloris_request_s\":$t,\"slowloris_open_after_7s\":$cut"
fi

cat > "$out/proxy.json" <<EOF
{"forwarding":[${fwd%,}],"latency":[${lat%,}],"capture":[${cap202%,}],
 "memory":{$mem}}
EOF
echo "results: $out/proxy.json"
