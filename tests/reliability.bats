#!/usr/bin/env bats
# Faults beyond capture: damage read by replay, injected errors in the
# replay's own writes, concurrency of writers and a replay across rolls,
# clock jumps, and a valgrind pass.  rd-capture's own faults are in
# rd-capture-faults.bats; the kill -9 loop of rd-replay in rd-replay.bats.
# RELIABILITY.md maps each promise to its test.

load common

setup() { common_setup; }
teardown() {
	[ -z "${BG_PID:-}" ] || { kill -CONT "$BG_PID"; kill "$BG_PID"; wait "$BG_PID"; } 2> /dev/null || true
	ds_stop
	common_teardown
}

# Offset of member $2 (0-based) of segment $1, from its index.
member_off() {
	od -An -tu8 -j $((16 + 48 * $2)) -N8 "${1%.ndjson.gz}.idx" | tr -d ' '
}

# Capture records $1..$2 as one batch (one member).
batch() {
	seq "$1" "$2" | awk -v p="$PORT" '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/o/%d\",\"body\":\"{\\\"n\\\":%d}\"}\n", p, $1, $1 }' |
		rd-capture -q > /dev/null
}

# Records 1..30 in three batches (members) of one segment, the middle one
# damaged by a flipped byte; sets seg and off (that member's offset).
damaged_middle() {
	ds_start
	batch 1 10
	batch 11 20
	batch 21 30
	seg=$(ls "$SPOOL"/*.ndjson.gz)
	off=$(member_off "$seg" 1)
	flip "$seg" $((off + 25))
}

# Every logged body is the one captured for its path.
bodies_exact() {
	jq -r '"\(.path) \(.sha256)"' "$T/ds.log" | while read -r p h; do
		n=${p##*/}
		[ "$(printf '{"n":%s}' "$n" | sha256sum | cut -d' ' -f1)" = "$h" ] || echo "$p"
	done
}

@test "damage in a sealed member: replay skips that batch only, says where, sends no garbage" {
	damaged_middle
	run rd-replay --rate max
	assert_success
	echo "$output"
	assert_equal "$(grep -c "skipped damage in '.*/00000000000000000001.ndjson.gz' at byte $off" <<< "$output")" 1
	assert_equal "$(jq -r .path "$T/ds.log" | sort -t/ -k3n | tr '\n' ' ')" \
		"$(for i in $(seq 1 10) $(seq 21 30); do printf '/o/%s ' "$i"; done)"
	assert_equal "$(bodies_exact)" ""
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "at byte $off: damaged member"
	assert_output --partial "10 records cannot be read"
}

@test "damage in a sealed member, replay with a selection: the damage is told once, the selected records around it are sent" {
	damaged_middle
	run rd-replay --rate max --match-url '/o/[0-9]*[02468]$'
	assert_success
	echo "$output"
	assert_equal "$(grep -c "skipped damage in '.*/00000000000000000001.ndjson.gz' at byte $off" <<< "$output")" 1
	assert_equal "$(jq -r .path "$T/ds.log" | sort -t/ -k3n | tr '\n' ' ')" \
		"$(for i in $(seq 2 2 10) $(seq 22 2 30); do printf '/o/%s ' "$i"; done)"
}

@test "a zeroed block and garbage in segments: readers skip them, writers carry on" {
	ds_start
	batch 1 5
	batch 6 10
	seg=$(ls "$SPOOL"/*.ndjson.gz)
	off=$(member_off "$seg" 0)
	dd if=/dev/zero of="$seg" bs=1 seek=$((off + 10)) count=64 conv=notrunc status=none
	printf 'garbage after the last member' >> "$seg"
	# the next writer cuts the garbage tail and says so
	run sh -c "echo '{\"method\":\"GET\",\"url\":\"http://127.0.0.1:$PORT/o/11\"}' | rd-capture -q"
	assert_success
	run rd-replay --rate max
	assert_success
	assert_output --partial "skipped damage"
	assert_equal "$(jq -r .path "$T/ds.log" | sort -t/ -k3n | tr '\n' ' ')" "/o/6 /o/7 /o/8 /o/9 /o/10 /o/11 "
}

@test "ENOSPC while replay appends its events: exit 2, nothing committed lost, the next run completes" {
	ds_start
	capture_n 50
	rc=0
	# the replay's appends are pwrite64 calls on the segment; fail the first
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=pwrite64 \
		-e inject=pwrite64:error=ENOSPC:when=1 \
		rd-replay --rate max -c 4 > "$T/out" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	grep -q "No space left on device" "$T/err"
	rd-audit --verify > /dev/null
	run rd-replay --rate max
	assert_success
	# at least once: every record delivered; what was sent but not recorded
	# went again with the same key
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 50
	diff <(jq -r .key "$T/ds.log" | sort -u) <(spool_lines | jq -r 'select(.kind=="request") | .id' | sort)
}

@test "EIO when the checkpoint is renamed into place: exit 2, the old state is intact" {
	ds_start
	capture_n 10
	rd-replay -q --rate max
	cp "$SPOOL/replay.ckpt" "$T/ckpt.before"
	capture_n 5
	rc=0
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:error=EIO \
		rd-replay --rate max > "$T/out" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	grep -q "Input/output error" "$T/err"
	cmp "$SPOOL/replay.ckpt" "$T/ckpt.before"
	[ ! -e "$SPOOL/replay.ckpt.tmp" ]
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 15
}

@test "EINTR on every write and fsync is retried, not reported" {
	rec_seq 200 > "$T/in"
	rc=0
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=pwrite64,write,fdatasync,fsync \
		-e inject=pwrite64,write:error=EINTR:when=1+2 \
		rd-capture < "$T/in" > "$T/ids" 2> "$T/err" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(wc -l < "$T/ids")" 200
	assert_equal "$(spool_lines | wc -l)" 200
}

@test "8 writers and a replay together across forced rolls: every record delivered, none twice" {
	ds_start
	pids=""
	for w in $(seq 8); do
		# incompressible padding, so that 16K segments roll often
		( seq $(( (w - 1) * 150 + 1 )) $(( w * 150 )) | while read -r i; do
			printf '{"method":"POST","url":"http://127.0.0.1:%s/o/%d","headers":[["X-Pad","%s"]],"body":"{\\"n\\":%d}"}\n' \
				"$PORT" "$i" "$(head -c 150 /dev/urandom | base64 -w0)" "$i"
		done | rd-capture -q --segment-size 16K > "$T/ids.$w" ) &
		pids="$pids $!"
	done
	for round in $(seq 6); do
		rd-replay -q --rate max -c 4 || true
	done
	# the writers only: a bare wait would wait for the downstream too
	for p in $pids; do wait "$p"; done
	rd-replay -q --rate max
	assert_equal "$(cat "$T"/ids.* | wc -l)" 1200
	[ "$(ls "$SPOOL"/*.ndjson.gz | wc -l)" -gt 3 ]
	# segments are numbered without gaps
	n=$(ls "$SPOOL"/*.ndjson.gz | wc -l)
	assert_equal "$(ls "$SPOOL"/*.ndjson.gz | sed 's|.*/0*||; s|\..*||' | sort -n | tail -1)" "$n"
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 1200
	assert_equal "$(jq -r .key "$T/ds.log" | sort | uniq -d | wc -l)" 0
	assert_equal "$(bodies_exact)" ""
	run rd-audit --verify
	assert_success
}

@test "clock jumps (faketime, a day back and a year forward): every retry waits its turn, all delivered" {
	command -v faketime > /dev/null || skip "faketime is not installed"
	ds_start --fail-first 2
	capture_n 20
	# faketime works by LD_PRELOAD, which AddressSanitizer wants to come
	# after it; the sanitizer build is told that this order is fine
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	# a day back: records look captured tomorrow; retries still wait
	run faketime -f '-1d' rd-replay --rate max --backoff 50ms --backoff-max 200ms
	assert_success
	capture_n 10 /later
	run faketime -f '+365d' rd-replay --rate max --backoff 50ms --backoff-max 200ms
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 30
	# within each run, no attempt came before the due time its previous
	# attempt recorded
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -s -r '
		[.[] | select(.kind==\"attempt\")] | group_by(.ref)[] | sort_by(.attempt) | . as \$a |
		range(1; length) | select(\$a[.].at < \$a[.-1].next_due) | \$a[.].ref'"
	assert_output ""
}

@test "a clock that ran a year ahead strands no retry: due times past --backoff-max are clamped" {
	command -v faketime > /dev/null || skip "faketime is not installed"
	ds_start --fail-first 1
	capture_n 5
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	# a run under a clock a year ahead: every first attempt fails, and
	# its retry is due a year from the real now
	run faketime -f '+365d' rd-replay -q --rate max --backoff 1h --backoff-max 2h --max-time 1s
	assert_failure 1
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -r 'select(.kind==\"attempt\" and .outcome==\"retry\") | .next_due' | cut -c1-4 | sort -u"
	assert_output "$(date -u -d '+365 days' +%Y)"
	# the clock is back: the retries are due within --backoff-max, not
	# in a year, and the run says why it moved them
	run rd-replay --rate max --backoff 100ms --backoff-max 1s --max-time 20s
	assert_success
	assert_output --partial "5 retries were due more than --backoff-max from now (did the clock step back?)"
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 5
}

@test "a Retry-After beyond --backoff-max waits --backoff-max, not what the service asked" {
	ds_start --fail-first 1 --retry-after 86400
	capture_n 3
	run rd-replay --rate max --backoff 10ms --backoff-max 300ms --max-time 20s
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 3
	# each retry was due at most --backoff-max after its attempt (a day
	# before the cap), and there were retries
	cat > "$T/gap.jq" <<-'EOF'
		def ms: (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber);
		[.[] | select(.kind == "attempt" and .outcome == "retry")
		 | (.next_due | ms) - (.at | ms)] | length == 3 and max <= 300
	EOF
	spool_lines | jq -se -f "$T/gap.jq"
}

@test "a run held still past --timeout with sends in flight (stopped, a paused machine): what was answered meanwhile is ok, nothing is timed out or dead" {
	ds_start --latency 300
	capture_n 8
	rd-replay --concurrency 8 --timeout 1s --max-attempts 1 > "$T/out" 2> "$T/err" &
	BG_PID=$!
	# every send has started: its intent is durable before it goes
	started() { [ "$(spool_events intent | wc -l)" -ge 8 ]; }
	wait_until 10 started
	kill -STOP "$BG_PID"
	# the service answers each within 300 ms; the run is held for more
	# than --timeout before it can read the answers
	sleep 2
	kill -CONT "$BG_PID"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	assert_equal "$st" 0
	rd-audit --json | jq -e '.state.ok == 8 and .state.dead == 0 and .replay.attempts == 8'
	assert_equal "$(spool_events attempt | jq -r .outcome | sort | uniq -c | awk '{ print $1, $2 }')" "8 ok"
	# each was sent once
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 8
	assert_equal "$(wc -l < "$T/ds.log")" 8
	# a service slower than --timeout, with the run not held: timed out
	ds_stop
	ds_start --latency 5000
	capture_n 1
	run rd-replay --timeout 300ms --max-attempts 1
	assert_failure 4
	spool_events attempt | jq -se 'map(select(.outcome == "retry")) | length == 1 and
		(.[0].error == "the whole response did not come within 300 ms") and .[0].latency_ms < 4000'
}

@test "SIGHUP (an ssh session dropped) stops rd-replay as SIGTERM does; under nohup it is ignored" {
	ds_start --latency 50
	capture_n 100
	rd-replay --rate 50/s > "$T/out" 2> "$T/err" &
	BG_PID=$!
	replay_sent_over 5
	kill -HUP "$BG_PID"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	# the clean stop: exit 1, its summary, its status file finished,
	# every send it made recorded
	assert_equal "$st" 1
	grep -q "stopped by a signal" "$T/err"
	jq -e '.state == "finished"' "$SPOOL/replay.status"
	assert_equal "$(spool_events attempt | wc -l)" "$(wc -l < "$T/ds.log")"
	# nohup's ignored SIGHUP stays ignored: the run goes on to the end
	n0=$(wc -l < "$T/ds.log")
	grew() { [ "$(wc -l < "$T/ds.log")" -gt $((n0 + 2)) ]; }
	nohup rd-replay --rate 20/s > "$T/out2" 2> "$T/err2" &
	BG_PID=$!
	wait_until 10 grew
	kill -HUP "$BG_PID"
	st=0
	wait "$BG_PID" || st=$?
	BG_PID=
	assert_equal "$st" 0
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 100
}

@test "valgrind memcheck: a smoke run of every tool is clean" {
	command -v valgrind > /dev/null || skip "valgrind is not installed"
	[ "${RD_BUILD##*/}" = build ] || skip "valgrind runs on the plain build"
	ds_start
	vg() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$@"; }
	capture_n 20
	run vg rd-capture --try "http://127.0.0.1:$PORT/vg"
	assert_success
	run vg rd-replay --rate max
	assert_success
	run vg rd-health --url "http://127.0.0.1:$PORT/health" --check 'p99<5s'
	assert_success
	run vg rd-audit --json
	assert_success
	run vg rd-audit --verify
	assert_success
}

# The position, among a command's openat calls, of the one that opens a
# file whose name contains $1 (a dry run under strace counts them).
nth_open() {
	local name=$1
	shift
	ASAN_OPTIONS=detect_leaks=0 strace -f -o "$T/trace" -e trace=openat "$@" > /dev/null 2>&1 || true
	grep 'openat(' "$T/trace" | grep -n -- "$name" | head -1 | cut -d: -f1
}

@test "EIO opening a segment or the checkpoint: a clear error, exit 2, the spool still usable" {
	ds_start
	capture_n 3
	echo '{"method":"GET","url":"http://127.0.0.1:1/o/4"}' > "$T/one"
	cp -a "$SPOOL" "$T/spool.copy"
	# one process (strace counts calls per process): no shell in between
	n=$(RD_SPOOL="$T/spool.copy" nth_open '00000000000000000001.ndjson.gz' rd-capture --input "$T/one")
	[ -n "$n" ]
	rc=0
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=openat \
		-e inject=openat:error=EIO:when="$n" rd-capture --input "$T/one" \
		> "$T/out" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	grep -q "cannot open '.*00000000000000000001.ndjson.gz': Input/output error" "$T/err"
	rd-replay -q --rate max
	rm -rf "$T/spool.copy"
	cp -a "$SPOOL" "$T/spool.copy"
	n=$(RD_SPOOL="$T/spool.copy" nth_open 'replay.ckpt' rd-replay --rate max)
	[ -n "$n" ]
	rc=0
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=openat \
		-e inject=openat:error=EIO:when="$n" rd-replay --rate max > "$T/out" 2> "$T/err" || rc=$?
	assert_equal "$rc" 2
	grep -q "replay.ckpt': Input/output error" "$T/err"
	# nothing was lost or broken: every record delivered once, spool sound
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 3
	run rd-audit --verify
	assert_success
}

@test "damage in a sealed segment, not the active one: the rest of the log is still replayed" {
	ds_start
	for b in 0 1 2 3 4 5; do
		seq $((b * 20 + 1)) $((b * 20 + 20)) | awk -v p="$PORT" '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/o/%d\",\"headers\":[[\"X-Pad\",\"%0400d\"]],\"body\":\"{\\\"n\\\":%d}\"}\n", p, $1, $1, $1 }' |
			rd-capture -q --segment-size 4K > /dev/null
	done
	n=$(ls "$SPOOL"/*.ndjson.gz | wc -l)
	[ "$n" -ge 3 ]
	first=$(ls "$SPOOL"/*.ndjson.gz | head -1)
	flip "$first" 30
	run rd-replay --rate max
	assert_success
	assert_output --regexp "skipped damage in '.*/00000000000000000001.ndjson.gz' at byte 0"
	# what the sealed segment held is lost to replay (and reported); every
	# other record arrives, exact
	got=$(jq -r .path "$T/ds.log" | wc -l)
	[ "$got" -ge 80 ] && [ "$got" -lt 120 ]
	assert_equal "$(bodies_exact)" ""
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "00000000000000000001.ndjson.gz at byte 0: damaged member"
}

# --- the checkpoint and the log it describes ---------------------------------

@test "segments deleted by hand: the checkpoint sees the log changed, and new records are replayed" {
	ds_start
	capture_n 30 /old
	rd-replay -q --rate max
	[ -f "$SPOOL/replay.ckpt" ]
	# an operator clears the spool's log, and leaves the checkpoint
	rm "$SPOOL"/*.ndjson.gz "$SPOOL"/*.idx
	capture_n 3 /new
	run timeout -s KILL 60 rd-replay --rate max
	assert_success
	assert_output --partial "ignoring the checkpoint"
	assert_equal "$(jq -r .path "$T/ds.log" | grep -c /new/)" 3
	run rd-audit --json
	assert_equal "$(jq .state.pending <<< "$output")" 0
}

@test "a power loss takes back bytes a checkpoint passed: the checkpoint is not trusted, nothing is skipped" {
	ds_start
	capture_n 5 /kept
	seg="$SPOOL/00000000000000000001.ndjson.gz"
	keep=$(stat -c %s "$seg")
	capture_n 5 /lost
	rd-replay -q --rate max
	# the disk kept only the first batch: the rest of the segment (the
	# second batch, the replay's events) never reached it
	truncate -s "$keep" "$seg"
	capture_n 3 /new
	run timeout -s KILL 60 rd-replay --rate max
	assert_success
	assert_output --partial "ignoring the checkpoint"
	assert_equal "$(jq -r .path "$T/ds.log" | grep -c /new/)" 3
	# at least once: what lost its events is sent again, with its key
	assert_equal "$(jq -r 'select(.path | startswith("/kept/")) | .key' "$T/ds.log" | sort -u | wc -l)" 5
}

# --- who may write to a spool ---------------------------------------------------

@test "a spool other users can write to, or own, is refused unless --trust-spool" {
	ds_start
	capture_n 2
	chmod 0777 "$SPOOL"
	# a request planted by whoever could write there
	printf '{"v":1,"kind":"request","id":"01JDZ00000000000000000000P","captured_at":"2026-11-25T00:00:00.000Z","method":"POST","url":"http://127.0.0.1:%s/planted","headers":[],"body":"","failure":{"type":"x"},"attempts":0,"idempotency_key":"k"}\n' "$PORT" |
		gzip -c > "$SPOOL/00000000000000000002.ndjson.gz"
	for t in "rd-replay --rate max" "rd-audit" "rd-capture --input /dev/null"; do
		run $t
		assert_failure 2
		assert_output --partial "can be written by other users (mode 0777)"
		assert_output --partial "--trust-spool"
	done
	# rd-health: a source it cannot read is no healthy one
	run rd-health --from-spool --check 'p99<1s'
	assert_failure 1
	assert_output --partial "can be written by other users (mode 0777)"
	[ ! -s "$T/ds.log" ]
	chmod 0700 "$SPOOL"
	# a file in it that another user owns (or can write) is refused too
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$SPOOL/00000000000000000002.ndjson.gz"
		run rd-replay --rate max
		assert_failure 2
		assert_output --partial "00000000000000000002.ndjson.gz' belongs to another user"
		chown root "$SPOOL/00000000000000000002.ndjson.gz"
	fi
	chmod 0666 "$SPOOL/00000000000000000002.ndjson.gz"
	run rd-replay --rate max
	assert_failure 2
	assert_output --partial "00000000000000000002.ndjson.gz' can be written by other users"
	[ ! -s "$T/ds.log" ]
	# the owner's explicit word
	run rd-replay --rate max --trust-spool
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | grep -c /planted)" 1
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody "$SPOOL"
		chmod 0700 "$SPOOL"
		run rd-audit
		assert_failure 2
		assert_output --partial "belongs to another user"
		run rd-audit --trust-spool
		assert_success
	fi
}

# --- the blast radius of one damaged byte ---------------------------------------

@test "damage to events the checkpoint had read: rd-audit and rd-replay still agree on every record" {
	ds_start
	batch 1 20
	# one at a time: the outcomes go to the log in many small members
	rd-replay -q --rate max -c 1
	seg=$(ls "$SPOOL"/*.ndjson.gz)
	[ $(( ($(stat -c %s "${seg%.ndjson.gz}.idx") - 16) / 48 )) -gt 3 ]
	# the first member that holds outcomes (attempt events)
	k=1
	until a=$(member_off "$seg" "$k") b=$(member_off "$seg" $((k + 1))) &&
		dd if="$seg" iflag=skip_bytes,count_bytes skip="$a" count=$((b - a)) status=none |
		gzip -dc 2> /dev/null | grep -q '"kind":"attempt"'; do
		k=$((k + 1))
		[ "$k" -lt 50 ]
	done
	flip "$seg" $(($(member_off "$seg" "$k") + 25))
	# the checkpoint had read them: replay sends nothing again...
	run rd-replay --rate max
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" 20
	# ...and audit, which takes the checkpoint's word, says the same
	rd-audit --json 2> /dev/null | jq -e '.state.pending == 0 and .state.ok == 20'
	assert_equal "$(rd-audit --list 2> /dev/null | jq -r .state | sort | uniq -c | tr -s ' ')" " 20 ok"
	# without the checkpoint, both fold what is left: the outcomes lost
	# are pending to audit, and exactly those are sent again
	rm "$SPOOL/replay.ckpt"
	lost=$(rd-audit --json 2> /dev/null | jq .state.pending)
	[ "$lost" -gt 0 ]
	run rd-replay --rate max
	assert_success
	assert_equal "$(wc -l < "$T/ds.log")" $((20 + lost))
	rd-audit --json 2> /dev/null | jq -e '.state.pending == 0 and .state.ok == 20'
}

@test "one flipped byte costs at most 64 KiB of records" {
	# 20,000 records of about 680 bytes as stored: 13 MB, read from a
	# file, so in whole 1 MiB batches
	seq 20000 | awk '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/o/%d\",\"headers\":[[\"X-Pad\",\"%0400d\"]],\"body\":\"{\\\"n\\\":%d}\"}\n", $1, $1, $1 }' > "$T/in"
	rd-capture -q < "$T/in" > /dev/null
	spool_lines > "$T/lines"
	paste -d ' ' <(jq -r .id "$T/lines") <(LC_ALL=C awk '{ print length($0) + 1 }' "$T/lines") |
		sort > "$T/all"
	seg=$(ls "$SPOOL"/*.ndjson.gz)
	size=$(stat -c %s "$seg")
	worst=0
	# bytes at fixed places through the segment: headers, deflate data,
	# trailers of whatever member they fall in
	for at in 0 1 3 10 777 4321 65536 100000 123457 $((size / 3)) $((size / 2)) $((size - 8)) $((size - 1)); do
		cp -a "$SPOOL" "$T/flipped"
		flip "$T/flipped/$(basename "$seg")" "$at"
		RD_SPOOL="$T/flipped" rd-audit --list 2> /dev/null | jq -r .id | sort > "$T/left"
		lost=$(join -v 1 "$T/all" "$T/left" | awk '{ n++; b += $2 } END { print n + 0, b + 0 }')
		bytes=${lost#* }
		[ "$bytes" -gt "$worst" ] && worst=$bytes
		echo "# byte $at flipped: ${lost% *} records lost, $bytes bytes of them" >&3
		[ "$bytes" -le 65536 ]
		rm -rf "$T/flipped"
	done
	echo "# worst: $worst bytes of records lost to one byte, of $(wc -l < "$T/all") records" >&3
	[ "$worst" -gt 0 ]
}
