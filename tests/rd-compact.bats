#!/usr/bin/env bats
# rd-compact: resolved history leaves the spool, unresolved requests never
# do, and rd-audit's totals survive.  Spools are built by capturing into
# small segments and replaying against the project's test downstream on
# 127.0.0.1, stopped by PID.

load common

setup() { common_setup; }
teardown() {
	ds_stop
	[ -z "${BG_PID:-}" ] || { kill "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null; } || true
	common_teardown
}

# $1 records for host:port $2 under path $3, into small segments.
fill() {
	seq "$1" | awk -v hp="$2" -v pre="$3" '{
		printf "{\"method\":\"POST\",\"url\":\"http://%s%s/%d\",\"body\":\"{\\\"pad\\\":\\\"%0200d\\\"}\",\"failure\":{\"type\":\"http_503\",\"status\":503}}\n", hp, pre, $1, $1
	}' | rd-capture -q --segment-size 16k > /dev/null
}

# A spool with 1000 delivered, 20 dead and 5 pending requests (the
# pending ones captured last, in the newest segment).  The dead ones get
# 400, a permanent failure: a host that refuses connections would pause
# itself for 15 s before its records went dead.
build() {
	ds_start --route /dead=400
	fill 1000 "127.0.0.1:$PORT" /ok
	fill 20 "127.0.0.1:$PORT" /dead
	rd-replay -q --rate max --max-attempts 1 2> /dev/null || true
	fill 5 "127.0.0.1:$PORT" /late
}

# id and state of every request that is not delivered, sorted.
unresolved() {
	rd-audit --list | jq -r 'select(.state != "ok") | "\(.id) \(.state) \(.replay_attempts)"' | sort
}

# The totals rd-audit reports (not whether a pending retry is due yet:
# that moves with the clock).
totals() {
	rd-audit --json | jq -c '{requests, state: (.state | {pending, ok, dead}), replay: (.replay | {attempts, ok, retry, permanent, replayed})}'
}

# Event lines about a request no line of the spool holds (zcat stops a
# damaged segment at the damage).
orphans() {
	zcat -f "$SPOOL"/*.ndjson.gz 2> /dev/null |
		jq -rR 'fromjson? | if .kind == "request" then "R \(.id)" elif .ref then "E \(.ref)" else empty end' |
		awk '$1 == "R" { r[$2] = 1 } $1 == "E" { e[$2]++ }
			END { n = 0; for (k in e) if (!(k in r)) n += e[k]; print n }'
}

files_sum() { (cd "$SPOOL" && ls | grep -v '^replay\.' | xargs sha256sum); }

@test "a spool that does not exist yet means nothing to compact: exit 0, quiet under -q" {
	run rd-compact --spool "$T/none"
	assert_success
	assert_output "rd-compact: spool '$T/none' does not exist yet; nothing to compact"
	run rd-compact -q --spool "$T/none"
	assert_success
	assert_output ""
	# --json still prints its one object
	run rd-compact -q --json --spool "$T/none"
	assert_success
	assert_equal "$(jq -c '{requests, removed, bytes_before}' <<< "$output")" '{"requests":0,"removed":0,"bytes_before":0}'
	[ ! -e "$T/none" ]
}

@test "removes delivered history; pending and dead stay with every event; totals survive" {
	build
	before_u=$(unresolved)
	before_t=$(totals)
	bytes=$(du -sb "$SPOOL" | cut -f1)
	run rd-compact --keep 0s
	assert_success
	assert_output --partial "removed 1000 of 1025 requests (1000 delivered, 0 dead)"
	assert_output --partial "kept: 5 pending, 20 dead"
	assert_equal "$(unresolved)" "$before_u"
	assert_equal "$(totals)" "$before_t"
	[ "$(du -sb "$SPOOL" | cut -f1)" -lt $((bytes / 4)) ]
	run rd-audit --verify
	assert_success
	assert_output --partial "0 findings"
	# what is left still replays: the pending records go out, once each
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r 'select(.path | startswith("/late/")) | .path' "$T/ds.log" | sort -u | wc -l)" 5
	assert_equal "$(jq -r 'select(.path | startswith("/late/")) | .path' "$T/ds.log" | wc -l)" 5
}

# intents_in N: the spool holds N intents or more
intents_in() {
	[ "$(rd-audit --json | jq .replay.attempts)" -ge "$1" ]
}

@test "sends whose outcome never came stay counted after compaction: a counter never goes down" {
	ds_start --latency 2000
	fill 3 "127.0.0.1:$PORT" /slow
	# a run killed while its sends wait (their intents are durable, the
	# downstream holds each for 2 s): their outcome is unknown
	rd-replay -q --rate max &
	BG_PID=$!
	wait_until 20 intents_in 3
	kill -9 "$BG_PID"
	wait "$BG_PID" 2> /dev/null || true
	BG_PID=
	rd-replay -q --rate max
	ds_stop
	before=$(rd-audit --json | jq -c '.replay | {attempts, ok, unknown}')
	[ "$(jq .unknown <<< "$before")" -gt 0 ] || fail "no unknown outcome to keep: $before"
	prom_before=$(rd-audit --prom | grep 'outcome="unknown"')
	run rd-compact --keep 0s
	assert_success
	assert_output --partial "removed 3 of 3 requests"
	assert_equal "$(rd-audit --json | jq -c '.replay | {attempts, ok, unknown}')" "$before"
	assert_equal "$(rd-audit --prom | grep 'outcome="unknown"')" "$prom_before"
}

@test "--dry-run and --json say what would go and change nothing; a second run changes nothing" {
	build
	sum=$(files_sum)
	run rd-compact --keep 0s --dry-run --json
	assert_success
	assert_equal "$(jq -c '{dry_run, removed, removed_ok, kept_pending, kept_dead}' <<< "$output")" \
		'{"dry_run":true,"removed":1000,"removed_ok":1000,"kept_pending":5,"kept_dead":20}'
	# an estimate: the spool's bytes in the proportion of the lines that go
	freed=$(jq .bytes_freed <<< "$output")
	total=$(jq .bytes_before <<< "$output")
	[ "$freed" -gt $((total / 2)) ] && [ "$freed" -lt "$total" ]
	[ "$(jq .removed_lines <<< "$output")" -ge 2000 ]
	assert_equal "$(files_sum)" "$sum"
	rd-compact -q --keep 0s
	sum=$(files_sum)
	run rd-compact --keep 0s --json
	assert_success
	assert_equal "$(jq -c '{removed, segments_rewritten}' <<< "$output")" '{"removed":0,"segments_rewritten":0}'
	assert_equal "$(files_sum)" "$sum"
}

@test "--keep spares what was resolved recently; --dead removes dead letters too" {
	build
	run rd-compact --keep 1h --json
	assert_success
	assert_equal "$(jq .removed <<< "$output")" 0
	run rd-compact --keep 0s --dead --json
	assert_success
	assert_equal "$(jq -c '{removed, removed_dead, kept_pending, kept_dead}' <<< "$output")" \
		'{"removed":1020,"removed_dead":20,"kept_pending":5,"kept_dead":0}'
	assert_equal "$(rd-audit --json | jq -c '{requests, compacted}')" '{"requests":1025,"compacted":1020}'
	run rd-compact --keep soon
	assert_failure 2
	assert_output --partial "rd-compact: --keep:"
}

@test "rd-compact(1)'s archive of dead letters keeps them whole and private, and they can be captured anew" {
	printf '{"method":"POST","url":"http://u:pw@127.0.0.1:1/a","headers":[["Authorization","Bearer sk_1"]],"body":"b","idempotency_key":"k-1"}\n' |
		rd-capture -q > /dev/null
	rd-replay -q --max-attempts 1 --rate max || [ $? -eq 4 ]
	cd "$T"
	# the two lines of EXAMPLES, as written
	(umask 077; rd-audit --list --no-redact |
	    jq -c 'select(.state == "dead")' > dead.ndjson)
	rd-compact --keep 0s --dead
	assert_file_permission 600 dead.ndjson
	assert_equal "$(jq -r '[.url, .headers[0][1], .idempotency_key] | join(" ")' dead.ndjson)" "http://u:pw@127.0.0.1:1/a Bearer sk_1 k-1"
	assert_equal "$(rd-audit --list | wc -l)" 0
	jq -c 'del(.id, .state, .replay_attempts)' dead.ndjson | rd-capture -q > /dev/null
	assert_equal "$(rd-audit --list --no-redact | jq -r '[.state, .url, .idempotency_key] | join(" ")')" "pending http://u:pw@127.0.0.1:1/a k-1"
}

@test "the segment writers append to is sealed first, writers go on in a new one; a running replay stops compaction (exit 3)" {
	ds_start
	printf '{"method":"POST","url":"http://127.0.0.1:%s/ok/1","body":"{}"}\n' "$PORT" |
		rd-capture -q > /dev/null
	rd-replay -q --rate max
	fill 3 "127.0.0.1:$PORT" /pending
	# everything is in one segment, the one writers append to
	assert_equal "$(ls "$SPOOL" | grep -c 'ndjson.gz$')" 1
	run rd-compact --keep 0s --json
	assert_success
	assert_equal "$(jq -c '{removed, kept_pending, segments_rewritten}' <<< "$output")" \
		'{"removed":1,"kept_pending":3,"segments_rewritten":1}'
	fill 2 "127.0.0.1:$PORT" /after
	assert_equal "$(ls "$SPOOL" | grep -c 'ndjson.gz$')" 2
	assert_equal "$(rd-audit --json | jq -c '{requests, pending: .state.pending, compacted}')" \
		'{"requests":6,"pending":5,"compacted":1}'
	# a replay that holds the spool: waiting on a closed gate
	fill 1 "127.0.0.1:$PORT" /wait
	rd-replay -q --gate false --gate-every 100ms --max-time 20s 2> /dev/null 3>&- &
	BG_PID=$!
	# its own status, not the one the first replay left: it holds the spool
	holds() { jq -e --argjson p "$BG_PID" '.pid == $p and .state == "running"' "$SPOOL/replay.status" > /dev/null 2>&1; }
	wait_until 10 holds
	run rd-compact --keep 0s
	assert_failure 3
	assert_output --partial "held by rd-replay (pid $BG_PID, since "
	# under -q (cron) exit 3 says it all: an overlap mails nothing
	run rd-compact -q --keep 0s
	assert_failure 3
	assert_output ""
}

@test "a replay started while rd-compact runs exits 3 and names rd-compact, not another replay" {
	command -v strace > /dev/null || skip "strace is not installed"
	build
	# rd-compact held in the middle of its run: its first rename waits
	# 5 s (no leak check under strace: LeakSanitizer needs ptrace)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e inject=rename,renameat,renameat2:delay_enter=5000000:when=1 \
		rd-compact --keep 0s > /dev/null 2>&1 3>&- &
	BG_PID=$!
	held() { grep -q '"by":"rd-compact"' "$SPOOL/replay.lock" 2> /dev/null; }
	wait_until 20 held
	run rd-replay --rate max
	assert_failure 3
	assert_output --regexp "^rd-replay: spool '.*' is held by rd-compact \(pid [0-9]+, since [0-9T:-]+Z\)$"
	wait "$BG_PID"
	BG_PID=
	# and once it is done, the replay runs
	run rd-replay -q --rate max
	assert_success
}

@test "replay.lock removed while rd-compact runs: it stops before the next segment (exit 3), losing nothing" {
	{ command -v strace && command -v flock; } > /dev/null || skip "strace or flock is not installed"
	build
	want_u=$(unresolved)
	# rd-compact held at its first rename, 3 s
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e inject=rename,renameat,renameat2:delay_enter=3000000:when=1 \
		rd-compact --keep 0s > /dev/null 2> "$T/compact.err" 3>&- &
	BG_PID=$!
	held() { grep -q '"by":"rd-compact"' "$SPOOL/replay.lock" 2> /dev/null; }
	wait_until 20 held
	# a runbook removes the lock file, and another process takes a new one
	rm "$SPOOL/replay.lock"
	exec 8> "$SPOOL/replay.lock"
	flock -n 8
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	exec 8>&-
	assert_equal "$rc" 3
	run cat "$T/compact.err"
	assert_output --regexp "^rd-compact: '.*/replay\.lock' was removed or replaced while this process held it: another process may hold the spool now; stopping, so that two never run at once$"
	# nothing lost, nothing half-done; the rest is left for the next run
	assert_equal "$(unresolved)" "$want_u"
	run rd-audit --verify
	assert_success
	assert [ "$(rd-compact --json --keep 0s | jq .removed)" -gt 0 ]
	assert_equal "$(unresolved)" "$want_u"
}

@test "ENOSPC in the middle of a rewrite leaves the original intact" {
	command -v strace > /dev/null || skip "strace is not installed"
	build
	sum=$(files_sum)
	before_u=$(unresolved)
	# (LeakSanitizer cannot work under ptrace: the sanitized build is told)
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e trace=pwrite64 \
		-e inject=pwrite64:error=ENOSPC:when=3 rd-compact --keep 0s
	assert_failure 2
	assert_output --partial "No space left on device"
	assert_equal "$(files_sum)" "$sum"
	assert_equal "$(ls "$SPOOL" | grep -c compact)" 0
	assert_equal "$(unresolved)" "$before_u"
	run rd-compact --keep 0s
	assert_success
	assert_equal "$(unresolved)" "$before_u"
}

@test "kill -9 at every step of a compaction: every unresolved record stays, once; the next run finishes, --verify clean" {
	command -v strace > /dev/null || skip "strace is not installed"
	build
	cp -a "$SPOOL" "$T/orig"
	want_u=$(unresolved)
	want_t=$(totals)
	steps=0
	# each syscall that moves a file or makes it durable, in turn
	for call in unlinkat renameat fsync; do
		for n in 1 2 3 5 8 13; do
			rm -rf "$SPOOL"
			cp -a "$T/orig" "$SPOOL"
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
				strace -f -o /dev/null -e trace=$call \
				-e inject=$call:signal=KILL:when=$n \
				rd-compact -q --keep 0s > /dev/null 2>&1 || true
			steps=$((steps + 1))
			# read right after the kill: every unresolved record, once
			assert_equal "$(unresolved)" "$want_u"
			# the next run finishes what was begun and the rest
			rd-compact -q --keep 0s
			assert_equal "$(unresolved)" "$want_u"
			assert_equal "$(totals)" "$want_t"
			assert_equal "$(ls "$SPOOL" | grep -c compact)" 0
			# nor events whose request went before the kill, in a
			# part the killed run did not reach
			assert_equal "$(orphans)" 0
			run rd-audit --verify
			assert_success
		done
	done
	echo "# $steps kill points, every unresolved record kept once" >&3
}

@test "writers keep appending during a compaction; nothing they write is lost" {
	build
	# a writer in a loop, one record per process
	(for i in $(seq 200); do
		printf '{"method":"POST","url":"http://127.0.0.1:%s/w/%d","body":"{}","failure":{"type":"http_503","status":503}}\n' "$PORT" "$i" |
			rd-capture -q --segment-size 16k > /dev/null
	done) 3>&- &
	BG_PID=$!
	rd-compact -q --keep 0s
	rd-compact -q --keep 0s
	wait "$BG_PID"
	BG_PID=
	assert_equal "$(rd-audit --list | jq -r 'select(.url | contains("/w/")) | .url' | sort -u | wc -l)" 200
	assert_equal "$(rd-audit --list | jq -r 'select(.url | contains("/w/")) | .url' | wc -l)" 200
	run rd-audit --verify
	assert_success
}

@test "model: random histories compacted at random points keep every unresolved record's state" {
	ds_start --fail-first 1
	for round in 1 2 3 4 5; do
		fill $((RANDOM % 200 + 50)) "127.0.0.1:$PORT" "/r$round"
		fill $((RANDOM % 10 + 1)) "127.0.0.1:1" "/d$round"
		rd-replay -q --rate max --max-attempts $((RANDOM % 3 + 1)) --backoff 1ms \
			--backoff-max 2ms --max-time 2s 2> /dev/null || true
		[ $((RANDOM % 2)) -eq 0 ] && rd-replay -q --revive --failure 'http_5*' --limit 3 \
			--max-time 1s 2> /dev/null || true
		want_u=$(unresolved)
		want_t=$(totals)
		rd-compact -q --keep 0s $([ $((RANDOM % 3)) -eq 0 ] && echo --dead)
		if [ -n "$(rd-audit --json | jq 'select(.compacted > 0)')" ]; then
			# with --dead the dead ones may go: compare what stays
			got_u=$(unresolved)
			assert_equal "$(grep -v ' dead ' <<< "$got_u")" "$(grep -v ' dead ' <<< "$want_u")"
		fi
		assert_equal "$(totals)" "$want_t"
		run rd-audit --verify
		assert_success
	done
}

@test "a spool at its --max-spool-size says what compaction would free, and compaction makes room" {
	command -v faketime > /dev/null || skip "faketime is not installed"
	# faketime works by LD_PRELOAD, which AddressSanitizer wants first
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	build
	# the cap: what the log takes now (segments and their indexes)
	cap=$(cat "$SPOOL"/*.ndjson.gz "$SPOOL"/*.idx | wc -c)
	rec 1 > "$T/one"
	# today: nothing resolved is old enough for the default --keep
	run rd-capture --max-spool-size "$cap" < "$T/one"
	assert_failure 2
	assert_output --partial "(--max-spool-size); nothing resolved is older than 7 days for rd-compact to remove"
	# eight days on: the 1000 delivered requests may go
	run faketime -f '+8d' rd-capture --max-spool-size "$cap" < "$T/one"
	assert_failure 2
	assert_output --regexp "\(--max-spool-size\); rd-compact would free about [0-9.]+ KiB \(1000 requests resolved over 7 days ago\)"
	run faketime -f '+8d' rd-compact
	assert_success
	assert_output --partial "removed 1000 of 1025 requests"
	run rd-capture --max-spool-size "$cap" < "$T/one"
	assert_success
}

@test "a segment with damage is left as it is: what cannot be read is not thrown away" {
	build
	seg=$(ls "$SPOOL"/*.ndjson.gz | head -1)
	# one byte flipped in the deflate data of the first member (past its
	# 10-byte header, whose time and OS bytes no check covers)
	b=$(od -An -tu1 -j 100 -N 1 "$seg" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	sum=$(sha256sum < "$seg")
	run rd-compact --keep 0s --json
	assert_success
	assert_equal "$(jq .segments_damaged <<< "$(tail -1 <<< "$output")")" 1
	# the events of the requests that member held read as about no
	# known request: they stay too, while the damage may hide them
	assert_equal "$(jq .removed_orphans <<< "$(tail -1 <<< "$output")")" 0
	[ "$(jq .segments_rewritten <<< "$(tail -1 <<< "$output")")" -ge 1 ]
	assert_equal "$(sha256sum < "$seg")" "$sum"
	assert_equal "$(ls "$SPOOL" | grep -c compact)" 0
}

@test "a request line found twice goes with its history, never left behind to read as pending" {
	ds_start
	fill 1 "127.0.0.1:$PORT" /once
	rd-replay -q --rate max
	# the same capture again in a segment of its own (a merged spool, a
	# producer's own copy): readers count it once
	zcat "$SPOOL"/00000000000000000001.ndjson.gz | head -1 | gzip -n > "$SPOOL"/00000000000000000002.ndjson.gz
	chmod 600 "$SPOOL"/*
	assert_equal "$(rd-audit --json 2> /dev/null | jq -c '.state | {pending, ok}')" '{"pending":0,"ok":1}'
	run rd-compact --keep 0s
	assert_success
	assert_equal "$(rd-audit --json 2> /dev/null | jq -c '.state | {pending, ok}')" '{"pending":0,"ok":1}'
	rd-replay -q --rate max
	assert_equal "$(wc -l < "$T/ds.log")" 1
}

@test "--dead removes no dead letter while the spool has damage: a revive may be in it" {
	touch "$T/outage"
	ds_start --outage-file "$T/outage"
	# bodies that do not compress, so segments of 4 KiB roll
	pad() {
		printf '{"method":"POST","url":"http://127.0.0.1:1/pad","body":"%s"}\n' \
			"$(head -c 3000 /dev/urandom | base64 -w0)" | rd-capture -q --segment-size 4k > /dev/null
	}
	x=$(printf '{"method":"POST","url":"http://127.0.0.1:%s/x"}\n' "$PORT" | rd-capture -q --segment-size 4k)
	pad; pad   # x alone in the first segment
	run rd-replay -q --rate max --max-attempts 1 --match-url /x
	assert_failure 4
	# revived, and waiting for a retry: pending
	run rd-replay -q --rate max --revive --max-attempts 5 --max-time 300ms --match-url /x
	pad
	rd-replay -q --rate max --max-time 300ms --match-url /x || true
	ds_stop
	assert_equal "$(rd-audit --list | jq -r --arg x "$x" 'select(.id == $x) | .state')" pending
	# the member holding the revive, past the first segment, damaged
	for seg in "$SPOOL"/*.ndjson.gz; do
		off=$(member_with "$seg" '"kind":"revive"') && break
	done
	[ "$seg" != "$SPOOL/00000000000000000001.ndjson.gz" ] || fail "the revive is in x's segment"
	flip "$seg" $((off + 30))
	run rd-compact --dead --keep 0s --json
	assert_success
	assert_output --partial "--dead: dead letters kept: the spool has damage"
	jq -e '.dead_held == true and .removed_dead == 0' <<< "$(tail -1 <<< "$output")"
	# x's request line is still there: replay finds it again once the
	# damage is repaired or the segment restored
	assert_equal "$(rd-audit --list 2>/dev/null | jq -r --arg x "$x" 'select(.id == $x) | .id')" "$x"
}

@test "a full spool over 32 MiB points to rd-compact --dry-run instead of reading itself whole" {
	# random base64 (6 bits a byte, so about 35 MiB on disk)
	base64 -w 3000 /dev/urandom | head -n 15000 |
		jq -Rc '{method:"POST", url:"http://127.0.0.1:9/x", body:., failure:{type:"timeout"}}' |
		rd-capture -q --fsync never > /dev/null
	cap=$(cat "$SPOOL"/*.ndjson.gz "$SPOOL"/*.idx | wc -c)
	[ "$cap" -gt $((32 << 20)) ]
	rec 1 > "$T/one"
	run rd-capture --max-spool-size "$cap" < "$T/one"
	assert_failure 2
	assert_output --partial "(--max-spool-size); rd-compact --dry-run says what compaction would free"
}
