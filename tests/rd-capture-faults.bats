#!/usr/bin/env bats
# rd-capture under faults: kill -9, ENOSPC, EIO on fsync, EFBIG, and
# concurrent writers across segment rolls.  Each test proves that nothing
# acknowledged is lost and that the spool stays readable by gzip; that
# what a writer takes back was never seen by a reader; that every printed
# id is covered by its --fsync policy; and that the size cap holds with
# many writers.

load common

setup() { common_setup; }
teardown() {
	# a writer left stopped under strace (a failed test) is killed, not
	# just detached: stopped, it would hold the test's output open
	[ -z "${CAP_PID:-}" ] || kill -9 "$CAP_PID" 2> /dev/null || true
	[ -z "${STRACE_PID:-}" ] || kill -9 "$STRACE_PID" 2> /dev/null || true
	ds_stop
	common_teardown
}

ID_RE='^[0-7][0-9A-HJKMNP-TV-Z]{25}$'

# Incompressible records, so that batches and file limits are predictable.
random_records() {
	base64 -w 400 /dev/urandom | head -n "$1" |
		jq -Rc '{method:"POST", url:"http://127.0.0.1:9/x", body:., failure:{type:"timeout"}}'
}

stored_ids() { spool_lines "${1:-$SPOOL}" | jq -r .id | sort; }
printed_ids() { grep -hE "$ID_RE" "$@" | sort; }

assert_spool_clean() {
	for f in "$SPOOL"/*.ndjson.gz; do
		run gzip -t "$f"
		assert_success
	done
	run sh -c "cat '$SPOOL'/*.ndjson.gz | zcat | jq -c . > /dev/null"
	assert_success
}

@test "kill -9 mid-stream never loses a printed id; the next writer repairs the tail" {
	rec_seq 3000 > "$T/chunk"
	rounds=${RD_KILL_ROUNDS:-8}
	for round in $(seq 1 "$rounds"); do
		( while cat "$T/chunk"; do :; done ) | rd-capture > "$T/ids.$round" 2> "$T/err.$round" &
		pid=$!
		sleep "0.$(( RANDOM % 5 + 1 ))"
		kill -9 "$pid"
		wait "$pid" || true
	done
	# One more write repairs whatever the last kill left.
	rec 0 | rd-capture > "$T/ids.final" 2> "$T/err.final"
	assert_spool_clean
	printed_ids "$T"/ids.* > "$T/printed"
	[ "$(wc -l < "$T/printed")" -gt 0 ]
	stored_ids > "$T/stored"
	# Every printed id is stored (comm -23: lines only in printed).
	assert_equal "$(comm -23 "$T/printed" "$T/stored" | wc -l)" 0
	echo "# rounds $rounds, acknowledged $(wc -l < "$T/printed"), lost 0" >&3
	# And no record is stored twice.
	assert_equal "$(uniq -d "$T/stored" | wc -l)" 0
}

@test "ENOSPC on a segment write: clear error, exit 2, acknowledged records kept" {
	random_records 8000 > "$T/in"
	# pwrite64 calls: index header, then per batch one segment write and
	# one index entry.  The 6th is the third batch's segment write.
	rc=0
	# LeakSanitizer cannot run under ptrace; the sanitizer build still
	# checks memory errors here.
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:error=ENOSPC:when=6 \
		rd-capture < "$T/in" > "$T/ids" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	run cat "$T/err"
	assert_output --regexp "rd-capture: cannot store records: write '.*/00000000000000000001.ndjson.gz': No space left on device"
	printed_ids "$T/ids" > "$T/printed"
	stored_ids > "$T/stored"
	[ "$(wc -l < "$T/printed")" -gt 0 ]
	assert_equal "$(cat "$T/stored")" "$(cat "$T/printed")"
	assert_spool_clean
	# The next writer carries on.
	rec 1 | rd-capture > /dev/null
	assert_equal "$(stored_ids | wc -l)" "$(( $(wc -l < "$T/printed") + 1 ))"
}

@test "EIO on fsync is final for that batch: not acknowledged, not kept, exit 2" {
	random_records 8000 > "$T/in"
	rc=0
	# LeakSanitizer cannot run under ptrace; the sanitizer build still
	# checks memory errors here.
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=EIO:when=2 \
		rd-capture < "$T/in" > "$T/ids" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	run cat "$T/err"
	assert_output --partial 'Input/output error'
	printed_ids "$T/ids" > "$T/printed"
	stored_ids > "$T/stored"
	assert_equal "$(cat "$T/stored")" "$(cat "$T/printed")"
	assert_spool_clean
}

@test "EFBIG from ulimit -f: clear error, exit 2, acknowledged records kept" {
	random_records 12000 > "$T/in"
	rc=0
	( ulimit -f 2048; exec rd-capture < "$T/in" > "$T/ids" 2> "$T/err" ) || rc=$?
	assert_equal "$rc" 2
	run cat "$T/err"
	assert_output --partial 'File too large'
	printed_ids "$T/ids" > "$T/printed"
	[ "$(wc -l < "$T/printed")" -gt 0 ]
	assert_equal "$(stored_ids)" "$(cat "$T/printed")"
	assert_spool_clean
}

@test "8 concurrent writers across forced segment rolls: every record intact" {
	for w in 1 2 3 4 5 6 7 8; do
		rec_seq 1500 "$w" > "$T/in.$w"
	done
	pids=""
	for w in 1 2 3 4 5 6 7 8; do
		rd-capture --segment-size 16K < "$T/in.$w" > "$T/ids.$w" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	[ "$(ls "$SPOOL"/*.ndjson.gz | wc -l)" -gt 8 ]
	assert_spool_clean
	assert_equal "$(stored_ids | wc -l)" 12000
	assert_equal "$(stored_ids | uniq | wc -l)" 12000
	assert_equal "$(printed_ids "$T"/ids.*)" "$(stored_ids)"
	# Each writer's records are all there, whole, and in its own order.
	for w in 1 2 3 4 5 6 7 8; do
		got=$(spool_lines | jq -r "select(.tags.w == \"$w\") | .body | fromjson | .n" | tr '\n' ' ')
		assert_equal "$got" "$(seq 1 1500 | tr '\n' ' ')"
	done
}

@test "creating the spool and each segment fsyncs the directory that holds it" {
	random_records 400 > "$T/in"
	# -y names each fd's file, so the syncs can be matched to paths.
	ASAN_OPTIONS=detect_leaks=0 strace -f -y -e trace=fsync,fdatasync -o "$T/trace" \
		rd-capture --spool "$T/new/spool" --segment-size 64K < "$T/in" > /dev/null
	segs=$(ls "$T/new/spool"/*.ndjson.gz | wc -l)
	[ "$segs" -ge 2 ]
	# Each parent once when a directory is made in it, the spool once
	# per segment created in it.
	assert_equal "$(grep -c "fsync([0-9]*<$T>)" "$T/trace")" 1
	assert_equal "$(grep -c "fsync([0-9]*<$T/new>)" "$T/trace")" 1
	assert_equal "$(grep -c "fsync([0-9]*<$T/new/spool>)" "$T/trace")" "$segs"
	# And a data sync of a segment before any id was printed: at least one.
	grep -q "fdatasync([0-9]*<$T/new/spool/[0-9]*.ndjson.gz>)" "$T/trace"
}

# --- what each printed id is covered by -------------------------------------

# "path start end id" for every record in the spool: the member that holds
# it, from the segments' indexes, as the bytes of that member decompress.
member_map() {
	local seg idx n i off len
	for seg in "$SPOOL"/*.ndjson.gz; do
		idx=${seg%.ndjson.gz}.idx
		n=$(( ($(stat -c %s "$idx") - 16) / 48 ))
		for i in $(seq 0 $((n - 1))); do
			off=$(od -An -tu8 -j $((16 + 48 * i)) -N8 "$idx" | tr -d ' ')
			len=$(od -An -tu4 -j $((16 + 48 * i + 8)) -N4 "$idx" | tr -d ' ')
			tail -c +$((off + 1)) "$seg" | head -c "$len" | zcat | jq -r .id |
				sed "s|^|$seg $off $((off + len)) |"
		done
	done
}

# The events of an strace -f -y -s 0 log that matter to acknowledgement,
# one per line, in the order the calls completed (a call split by another
# thread's is joined up; its completion is where it resumed):
#   W path start end line   a pwrite64 of segment bytes [start, end)
#   S path line             an fsync or fdatasync of a segment
#   D line                  an fsync of the spool directory
#   C path line             a segment created (openat O_CREAT)
#   O start end line        a write of stdout bytes [start, end), by where
#                           it began
trace_events() {
	awk -v spool="$SPOOL" '
	function path_of(s,    p) {
		if (!match(s, /^[0-9]+<[^>]*>/))
			return ""
		p = substr(s, RSTART, RLENGTH)
		sub(/^[0-9]+</, "", p)
		sub(/>$/, "", p)
		return p
	}
	function call(name, args, ret, sl, el,    p, a, n) {
		p = path_of(args)
		if (name == "pwrite64" && p ~ /\.ndjson\.gz$/ && ret + 0 > 0) {
			n = split(args, a, ", ")
			print "W", p, a[n] + 0, a[n] + ret, el
		} else if ((name == "fdatasync" || name == "fsync") && ret == "0") {
			if (p ~ /\.ndjson\.gz$/)
				print "S", p, el
			else if (p == spool)
				print "D", el
		} else if (name == "openat" && args ~ /O_CREAT/ && ret ~ /ndjson\.gz>$/) {
			print "C", path_of(ret), el
		} else if (name == "write" && args ~ /^1</ && ret + 0 > 0) {
			print "O", out + 0, out + ret, sl
			out += ret
		}
	}
	{
		pid = $1
		line = $0
		sub(/^[0-9]+ +/, "", line)
		if (line ~ /^(---|\+\+\+)/)
			next
		if (match(line, /^<\.\.\. [a-z0-9_]+ resumed>/)) {
			name = substr(line, 6, RLENGTH - 14)
			rest = substr(line, RLENGTH + 1)
			full = pname[pid] "(" pargs[pid] rest
			start = pline[pid]
		} else if (match(line, / <unfinished \.\.\.>$/)) {
			name = line
			sub(/\(.*/, "", name)
			pname[pid] = name
			pargs[pid] = substr(line, length(name) + 2, RSTART - length(name) - 2)
			pline[pid] = NR
			next
		} else {
			full = line
			start = NR
		}
		name = full
		sub(/\(.*/, "", name)
		if (!match(full, /\) += [^ ]+/))
			next
		ret = substr(full, RSTART, RLENGTH)
		sub(/^\) += /, "", ret)
		args = substr(full, length(name) + 2, RSTART - length(name) - 2)
		call(name, args, ret, start, NR)
	}' "$1"
}

# For each printed id, in order: the stdout write that printed it, the
# write of its member, the sync of that segment between the two, and the
# directory fsync between the segment's creation and the print.  Prints
# "covered N of M" and one line per id that is not.
ack_coverage() {
	local policy=$1
	printed_ids "$T/ids" > /dev/null
	member_map > "$T/map"
	trace_events "$T/trace" > "$T/events"
	awk -v policy="$policy" '
	FILENAME == ARGV[1] { where[$4] = $1 " " $2 " " $3; next }
	FILENAME == ARGV[2] { ev[++ne] = $0; next }
	{
		k = FNR - 1
		if (!($1 in where)) { print "id " $1 " is not in the spool"; bad++; next }
		split(where[$1], m, " ")
		pos = k * 27
		oline = wline = sline = cline = dline = 0
		for (i = 1; i <= ne; i++) {
			split(ev[i], e, " ")
			if (e[1] == "O" && e[2] <= pos && pos < e[3]) oline = e[4]
			if (e[1] == "W" && e[2] == m[1] && e[3] <= m[2] && e[4] >= m[3] && !wline) wline = e[5]
			if (e[1] == "C" && e[2] == m[1]) cline = e[3]
		}
		for (i = 1; i <= ne; i++) {
			split(ev[i], e, " ")
			if (e[1] == "S" && e[2] == m[1] && e[3] > wline && e[3] < oline && !sline) sline = e[3]
			if (e[1] == "D" && e[2] > cline && e[2] < oline && !dline) dline = e[2]
		}
		why = ""
		if (!oline) why = why " never printed"
		if (!wline || wline > oline) why = why " printed before its member was written"
		if (policy != "never" && !sline) why = why " printed with no fsync of its segment after the write"
		if (!cline || !dline) why = why " printed before the directory was synced after its segment was made"
		if (why != "") { print "id " $1 " (" m[1] " bytes " m[2] "-" m[3] "):" why; bad++ }
		else n++
	}
	END {
		syncs = 0
		for (i = 1; i <= ne; i++) if (ev[i] ~ /^S /) syncs++
		if (policy == "never" && syncs) print "never: " syncs " segment syncs"
		print "covered " n + 0 " of " n + bad
	}' "$T/map" "$T/events" "$T/ids"
}

@test "every printed id is covered by its policy's sync, across segment rolls (strace)" {
	random_records 100 > "$T/in"
	for policy in always batch interval never; do
		rm -rf "$SPOOL"
		# interval: a sync period no run reaches, so only the rolls and
		# the end of input sync anything
		ASAN_OPTIONS=detect_leaks=0 strace -f -y -s 0 -o "$T/trace" \
			-e trace=write,pwrite64,fdatasync,fsync,openat,rename \
			rd-capture --fsync "$policy" --fsync-interval 1h --segment-size 16K \
			< "$T/in" > "$T/ids"
		assert_equal "$(wc -l < "$T/ids")" 100
		[ "$(ls "$SPOOL"/*.ndjson.gz | wc -l)" -ge 3 ]
		run ack_coverage "$policy"
		assert_output "covered 100 of 100"
		echo "# --fsync $policy: $output, in $(ls "$SPOOL"/*.ndjson.gz | wc -l) segments" >&3
	done
}

# --- a batch taken back was never seen ----------------------------------------

# Wait until process $1 is stopped (state T, or t under a tracer) and
# stays stopped: a tracee also shows t for the moment the tracer looks at
# each system call, so one look is not enough (seen under load).
wait_stopped() {
	local i n=0
	for i in $(seq 400); do
		case $(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null) in
		T | t) n=$((n + 1)); [ "$n" -ge 5 ] && return 0 ;;
		*) n=0 ;;
		esac
		sleep 0.05
	done
	return 1
}

# Records POST /$1/<n>, n = 1..$2, aimed at the downstream.
aimed() {
	seq "$2" | awk -v p="$PORT" -v pre="$1" '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/%s/%d\",\"body\":\"{\\\"n\\\":%d}\"}\n", p, pre, $1, $1 }'
}

# One batch fails as strace's inject spec $1 says (on the calls in $2), and
# the writer is stopped right after the failure: its batch is on disk,
# not yet taken back.  A replay then must send none of it; and once it is
# taken back, the next acknowledged record (at the same offset) must be
# delivered.
taken_back_unseen() {
	local cpid="" i rc=0
	ds_start
	aimed failed 300 > "$T/in"
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace="$2" \
		-e inject="$1" rd-capture < "$T/in" > "$T/ids" 2> "$T/err" 3>&- &
	STRACE_PID=$!
	for i in $(seq 200); do
		cpid=$(ps -o pid= --ppid "$STRACE_PID" | tr -d ' ')
		[ -n "$cpid" ] && break
		sleep 0.05
	done
	CAP_PID=$cpid
	wait_stopped "$cpid"
	[ "$(stat -c %s "$SPOOL/00000000000000000001.ndjson.gz")" -gt 0 ]
	# (a replay that did read the batch would then wait for the writer's
	# lock to record its sends: timeout ends it)
	run timeout -s KILL 8 rd-replay --rate max
	kill -CONT "$cpid"
	wait "$STRACE_PID" || rc=$?
	STRACE_PID=
	CAP_PID=
	assert_equal "$rc" 2
	assert_equal "$(wc -c < "$T/ids")" 0
	assert_equal "$(jq -r .path "$T/ds.log" 2> /dev/null | grep -c /failed/)" 0
	aimed after 1 | rd-capture > "$T/ids.after"
	assert_equal "$(wc -l < "$T/ids.after")" 1
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | tr '\n' ' ')" "/after/1 "
	assert_spool_clean
}

@test "EIO on fsync: the batch taken back was never seen by a replay running meanwhile" {
	taken_back_unseen fdatasync:error=EIO:signal=SIGSTOP:when=1 fdatasync
}

@test "ENOSPC on the index write: the batch taken back was never seen by a replay running meanwhile" {
	# pwrite64 calls: the index header, the batch, its index entries
	taken_back_unseen pwrite64:error=ENOSPC:signal=SIGSTOP:when=3 pwrite64
}

# --- operators and many writers -------------------------------------------

@test "a LOCK file deleted while a writer streams lets no second writer in: the lock is the directory" {
	for w in 1 2; do
		rec_seq 20000 "$w" > "$T/in.$w"
	done
	# the first writer stores its first records, then waits for more input
	( head -n 100 "$T/in.1"
	  while [ ! -e "$T/go" ]; do sleep 0.05; done
	  tail -n +101 "$T/in.1" ) |
		rd-capture --segment-size 64K > "$T/ids.1" 2> "$T/err.1" &
	p1=$!
	for i in $(seq 400); do
		[ "$(wc -l < "$T/ids.1")" -ge 100 ] && break
		sleep 0.05
	done
	assert_equal "$(wc -l < "$T/ids.1")" 100
	# an operator "clears a stale lock" while it holds the spool open; a
	# second writer starts
	rm -f "$SPOOL/LOCK"
	touch "$T/go"
	rc2=0
	rd-capture --segment-size 64K < "$T/in.2" > "$T/ids.2" 2> "$T/err.2" || rc2=$?
	rc1=0
	wait "$p1" || rc1=$?
	assert_equal "$rc1 $rc2" "0 0"
	assert_spool_clean
	assert_equal "$(printed_ids "$T"/ids.* | wc -l)" 40000
	assert_equal "$(stored_ids | uniq | wc -l)" 40000
	assert_equal "$(printed_ids "$T"/ids.*)" "$(stored_ids)"
}

@test "--max-spool-size holds with 4 writers: never more on disk than the cap" {
	for w in 1 2 3 4; do random_records 6000 > "$T/in.$w"; done
	pids=""
	for w in 1 2 3 4; do
		rd-capture --max-spool-size 2M < "$T/in.$w" > "$T/ids.$w" 2> "$T/err.$w" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || true; done
	used=$(cat "$SPOOL"/*.ndjson.gz "$SPOOL"/*.idx | wc -c)
	echo "# 4 writers, cap 2097152 bytes: $used on disk" >&3
	[ "$used" -le 2097152 ]
	grep -q "is full" "$T"/err.*
	# what was refused was refused whole: every printed id is stored
	assert_equal "$(printed_ids "$T"/ids.*)" "$(stored_ids)"
	assert_spool_clean
}

@test "--max-record-size cannot pass what readers inflate (256MiB)" {
	run rd-capture --max-record-size 300M < /dev/null
	assert_failure 2
	assert_output --partial "at most 256MiB"
	run rd-capture --max-record-size 256M < /dev/null
	assert_success
}
