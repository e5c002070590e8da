#!/bin/sh
# bench/nats.sh - the NATS JetStream spool against the directory spool, on
# the same records, in the same run:
#   1. capture: bench/records.sh records into a directory (--fsync batch
#      and --fsync never), into a one-node stream (R1) and into a
#      three-replica stream on a 3-node loopback cluster (R3);
#   2. replay: the same records sent to nginx (--target) from a directory,
#      and from an R1 and an R3 stream by one rd-replay and by two at once
#      on the same location (they share the backlog through the consumer);
#      every stream is checked with rd-audit afterwards (all ok, attempts);
#   3. memory: peak RSS of a replayer with MEM_N pending records, in a
#      stream and in a directory, and how long the stream took to fill.
# The servers (nats-server through tests/helpers/nats.sh, nginx through
# tests/helpers/nginx.sh) are started here and stopped by PID.  Each timed
# run gets a stream of its own (the prepare step captures it; no stream is
# reused), so the stores grow to about MEM_N x 400 bytes plus 40 x N x 1 KiB
# (max_file_store is 1 GiB a node).  Results are printed and written to
# bench/results/nats.json.
#
# Environment: N_NATS (records for 1 and 2, default 20000; not N, which
# the other scripts take at 500000), RUNS (default 3), MEM_N (default
# 1000000), BUILD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
bin="$top/$BUILD/bin"
N=${N_NATS:-20000}
RUNS=${RUNS:-3}
MEM_N=${MEM_N:-1000000}
out="$top/bench/results"
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/rd-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	# hyperfine's own messages, but its warnings about ignored exit codes
	[ -f "$w/hyperfine.err" ] && grep -v -e 'Warning: Ignoring non-zero' -e '^ *$' "$w/hyperfine.err" >&2
	rm -rf "$w"
}
trap cleanup EXIT INT TERM

nats="$top/tests/helpers/nats.sh"
median() { jq ".results[] | select(.command == \"$2\") | .median" "$1"; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- servers --------------------------------------------------------------
r=$(sh "$nats" single "$w/r1")
# shellcheck disable=SC2086 # PID CLIENT-PORT MONITOR-PORT, split on purpose
set -- $r
pids="$pids $1"
R1="nats://127.0.0.1:$2"
servers="" R3MON=""
sh "$nats" cluster "$w/r3" > "$w/r3.txt"
while read -r _ pid port mon; do
	pids="$pids $pid"
	servers="$servers${servers:+,}127.0.0.1:$port"
	R3MON=${R3MON:-$mon}
done < "$w/r3.txt"
R3="nats://$servers"
np=$((20000 + $$ % 10000))
p=$(sh "$top/tests/helpers/nginx.sh" "$w/ng" "$np" --no-log)
pids="$pids $p"
target="http://127.0.0.1:$np"
echo "# nats-server $(nats-server --version | sed 's/.*v//'): R1 $R1, R3 $R3; nginx on $target"

# a stream's replicas as its leader's server reports them
replicas() { # MONITOR STREAM
	curl -s "http://127.0.0.1:$1/jsz?streams=true&config=true" |
		jq -r --arg s "$2" 'first(.account_details[]?.stream_detail[]? | select(.name == $s) | .config.num_replicas) // "?"'
}

sh "$top/bench/records.sh" "$N" > "$w/records.ndjson"
echo "# $N records, $(($(wc -c < "$w/records.ndjson") / N)) bytes each on average"
echo 0 > "$w/ctr"
# every timed run gets a new stream: S<ctr>, the counter bumped by the prepare
bump="n=\$((\$(cat $w/ctr) + 1)); echo \$n > $w/ctr"
cur="\$(cat $w/ctr)"

echo "# 1. capture, $N records, RUNS=$RUNS"
hyperfine --style basic --runs "$RUNS" --export-json "$w/cap.json" \
	--prepare "rm -rf '$w/spool'; $bump" \
	-n dir-batch "'$bin/rd-capture' --spool '$w/spool' --fsync batch < '$w/records.ndjson' > /dev/null" \
	-n dir-never "'$bin/rd-capture' --spool '$w/spool' --fsync never < '$w/records.ndjson' > /dev/null" \
	-n nats-r1 "'$bin/rd-capture' --spool \"$R1/C$cur\" --fsync batch < '$w/records.ndjson' > /dev/null" \
	-n nats-r3 "'$bin/rd-capture' --spool \"$R3/C$cur\" --fsync batch < '$w/records.ndjson' > /dev/null" > /dev/null 2>> "$w/hyperfine.err"
last=$(cat "$w/ctr")
r3rep=$(replicas "$R3MON" "C$last")
c_dir=$(rate "$N" "$(median "$w/cap.json" dir-batch)")
c_never=$(rate "$N" "$(median "$w/cap.json" dir-never)")
c_r1=$(rate "$N" "$(median "$w/cap.json" nats-r1)")
c_r3=$(rate "$N" "$(median "$w/cap.json" nats-r3)")
echo "directory --fsync batch $c_dir/s  --fsync never $c_never/s  NATS R1 $c_r1/s  NATS R3 $c_r3/s (stream C$last: $r3rep replicas)"
echo "directory / R1 = $(ratio "$c_dir" "$c_r1")  directory / R3 = $(ratio "$c_dir" "$c_r3")  R1 / R3 = $(ratio "$c_r1" "$c_r3")"

echo "# 2. replay, $N records to nginx, --rate max -c 16 each worker, RUNS=$RUNS"
"$bin/rd-capture" -q --spool "$w/tmpl" --fsync never < "$w/records.ndjson" > /dev/null
# two workers on one location at once; each one's exit status and summary
cat > "$w/two.sh" <<EOF
s=\$1
"$bin/rd-replay" --rate max -c 16 --target $target --spool "\$s" 2> "$w/two.\$(cat $w/ctr).a" &
a=\$!
"$bin/rd-replay" --rate max -c 16 --target $target --spool "\$s" 2> "$w/two.\$(cat $w/ctr).b" &
b=\$!
wait \$a; echo "exit \$?" >> "$w/two.\$(cat $w/ctr).a"
wait \$b; echo "exit \$?" >> "$w/two.\$(cat $w/ctr).b"
EOF
first=$(($(cat "$w/ctr") + 1))
one="'$bin/rd-replay' -q --rate max -c 16 --target $target"
# -i: a NATS run can end with exit 1 though nothing is left (see the README);
# rd-audit below says what was delivered
hyperfine --style basic -i --runs "$RUNS" --export-json "$w/rep.json" \
	--prepare "rm -rf '$w/sp'; cp -a '$w/tmpl' '$w/sp'" \
	-n dir "$one --spool '$w/sp'" > /dev/null 2>> "$w/hyperfine.err"
for loc in R1 R3; do
	case $loc in R1) l=$R1 ;; *) l=$R3 ;; esac
	hyperfine --style basic -i --runs "$RUNS" --export-json "$w/rep-$loc-1.json" \
		--prepare "$bump; '$bin/rd-capture' -q --spool \"$l/P$cur\" --fsync never < '$w/records.ndjson' > /dev/null" \
		-n "$loc-1" "$one --spool \"$l/P$cur\"" > /dev/null 2>> "$w/hyperfine.err"
	hyperfine --style basic -i --runs "$RUNS" --export-json "$w/rep-$loc-2.json" \
		--prepare "$bump; '$bin/rd-capture' -q --spool \"$l/P$cur\" --fsync never < '$w/records.ndjson' > /dev/null" \
		-n "$loc-2" "sh '$w/two.sh' \"$l/P$cur\"" > /dev/null 2>> "$w/hyperfine.err"
done
lastp=$(cat "$w/ctr")
r_dir=$(rate "$N" "$(median "$w/rep.json" dir)")
r_r1=$(rate "$N" "$(median "$w/rep-R1-1.json" R1-1)")
r_r1b=$(rate "$N" "$(median "$w/rep-R1-2.json" R1-2)")
r_r3=$(rate "$N" "$(median "$w/rep-R3-1.json" R3-1)")
r_r3b=$(rate "$N" "$(median "$w/rep-R3-2.json" R3-2)")
# what each stream holds now: every record ok, and how many attempts
check=""
i=$first
while [ "$i" -le "$lastp" ]; do
	for loc in R1 R3; do
		case $loc in R1) l=$R1 ;; *) l=$R3 ;; esac
		a=$("$bin/rd-audit" --spool "$l/P$i" --json 2> /dev/null) || continue
		ok=$(printf '%s' "$a" | jq '.state.ok')
		att=$(printf '%s' "$a" | jq '.replay.attempts')
		split=""
		[ -f "$w/two.$i.a" ] && split=$(cat "$w/two.$i.a" "$w/two.$i.b" |
			awk '/^rd-replay: sent/ { gsub(",", ""); s = s (s ? "+" : "") $3 } /^exit/ { e = e (e ? "," : "") $2 }
				END { printf "%s (exit %s)", s, e }')
		echo "  $loc P$i: ok $ok of $N, attempts $att${split:+, two workers sent $split}"
		check="$check{\"stream\":\"$loc/P$i\",\"ok\":$ok,\"attempts\":$att,\"split\":\"$split\"},"
	done
	i=$((i + 1))
done
echo "directory $r_dir/s  R1: one worker $r_r1/s, two $r_r1b/s  R3: one worker $r_r3/s, two $r_r3b/s"
echo "directory / R1 one worker = $(ratio "$r_dir" "$r_r1")  R1 two / one = $(ratio "$r_r1b" "$r_r1")  R3 two / one = $(ratio "$r_r3b" "$r_r3")"

echo "# 3. memory: peak RSS of a replayer with $MEM_N records pending"
r=$(sh "$nats" single "$w/mem")
# shellcheck disable=SC2086
set -- $r
pids="$pids $1"
M="nats://127.0.0.1:$2/MEM" MMON=$3
seq "$MEM_N" | awk -v u="$target/m" '{ printf "{\"method\":\"GET\",\"url\":\"%s/%d\"}\n", u, $1 }' > "$w/mem.ndjson"
t0=$(now)
"$bin/rd-capture" -q --spool "$w/mdir" --fsync never < "$w/mem.ndjson" > /dev/null
fill_dir=$(since "$t0")
t0=$(now)
"$bin/rd-capture" -q --spool "$M" --fsync never < "$w/mem.ndjson" > /dev/null
fill_nats=$(since "$t0")
srv_rss=$(curl -s "http://127.0.0.1:$MMON/varz" | jq '.mem / 1048576 | floor')
held=$(curl -s "http://127.0.0.1:$MMON/jsz" | jq '.messages')
echo "filled: directory ${fill_dir}s, NATS ${fill_nats}s ($(rate "$MEM_N" "$fill_nats")/s; $held messages; nats-server RSS ${srv_rss} MiB)"
mem=""
for t in 3s 10s; do
	for kind in dir nats; do
		[ $kind = dir ] && s="$w/mdir" || s="$M"
		/usr/bin/time -o "$w/rss" -f '%M' "$bin/rd-replay" --rate 2000/s --max-time "$t" \
			--spool "$s" > /dev/null 2> "$w/mem.err" || true
		rss=$(tail -1 "$w/rss")
		sent=$(awk '/^rd-replay: sent/ { gsub(",", ""); print $3 }' "$w/mem.err")
		echo "$kind, $t at 2000/s: peak RSS $((rss / 1024)) MiB (bar 64), sent ${sent:-?}"
		mem="$mem{\"spool\":\"$kind\",\"run\":\"$t\",\"rss_kib\":$rss,\"sent\":${sent:-null}},"
	done
done

cat > "$out/nats.json" <<EOF
{"records":$N,"runs":$RUNS,
"capture_per_s":{"dir_batch":$c_dir,"dir_never":$c_never,"nats_r1":$c_r1,"nats_r3":$c_r3,"r3_replicas":"$r3rep"},
"replay_per_s":{"dir":$r_dir,"nats_r1_one":$r_r1,"nats_r1_two":$r_r1b,"nats_r3_one":$r_r3,"nats_r3_two":$r_r3b},
"replay_streams":[${check%,}],
"memory":{"pending":$MEM_N,"fill_dir_s":$fill_dir,"fill_nats_s":$fill_nats,"nats_server_rss_mib":$srv_rss,"runs":[${mem%,}]}}
EOF
jq . "$out/nats.json" > /dev/null
echo "# written to bench/results/nats.json"
