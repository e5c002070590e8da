#!/usr/bin/env bats
# rd-capture under faults: kill -9, ENOSPC, EIO on fsync, EFBIG, and
# concurrent writers across segment rolls.  Each test proves that nothing
# acknowledged is lost and that the spool stays readable by gzip.

load common

setup() { common_setup; }
teardown() { common_teardown; }

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
	for i in $(seq 1 3000); do rec "$i"; done > "$T/chunk"
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
		for i in $(seq 1 1500); do rec "$i" "$w"; done > "$T/in.$w"
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
