#!/usr/bin/env bats
# Trust at 3 AM: what an rd-replay run says about itself (progress line,
# summaries, exit statuses, the lock and replay.status, dead letters that
# explain themselves, revives, secrets masked, --where errors).  The test
# downstream is started by each test on 127.0.0.1 and stopped by PID.

load common
load replay

setup() { common_setup; }
teardown() { rp_teardown; }

@test "a progress line on a terminal only; stdout stays clean" {
	ds_start
	capture_n 30
	# a pseudo-terminal for stderr and stdout, through script(1)
	run script -qec "rd-replay --rate 20/s" /dev/null
	assert_success
	assert_output --partial "gate open"
	assert_output --partial "ETA"
	assert_output --partial "sent 30, ok 30"
	capture_n 5
	# not a terminal: the summary line only
	run rd-replay --rate max
	assert_success
	refute_output --partial "ETA"
}


# nginx with one location of the test's own ($1: its directives), for
# answers rd-downstream does not give; sets NGX_PORT, and BG_PID so that
# teardown stops it.
ngx_custom() {
	local d="$T/ngx" try user=""
	mkdir -p "$d/tmp"
	[ "$(id -u)" -eq 0 ] && user="user root;"
	for try in 1 2 3 4 5; do
		NGX_PORT=$(( 20000 + (RANDOM % 20000) ))
		cat > "$d/nginx.conf" <<CONF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$NGX_PORT;
		location / { $1 }
	}
}
CONF
		nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;' \
			< /dev/null > /dev/null 2>&1 &
		BG_PID=$!
		local i
		for i in $(seq 60); do
			curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" && return 0
			kill -0 "$BG_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null || true
	done
	return 1
}

@test "a run that moves records to dead exits 4, over work remaining, and says so in --help" {
	ds_start --route /bad=400 --route /later=503
	capture_n 2 /bad
	capture_n 1 /later
	# dead letters and a retry still scheduled: 4 wins over 1
	run rd-replay --rate max --backoff 30s --backoff-max 30s --max-time 1s
	assert_failure 4
	assert_output --partial "dead 2"
	# no new dead letter in this run: work remains, 1
	run rd-replay --rate max --max-time 500ms
	assert_failure 1
	# another run holding the spool: 3 wins over everything but errors
	rd-replay --gate false --gate-every 100ms > /dev/null 2>&1 &
	BG_PID=$!
	for i in $(seq 50); do grep -q pid "$SPOOL/replay.lock" 2>/dev/null && break; sleep 0.1; done
	run rd-replay --rate max
	assert_failure 3
	run rd-replay --help
	assert_output --partial "4 this run moved records to dead letters"
}

@test "a second run names the replay that holds the spool: its pid and start time" {
	ds_start
	capture_n 2
	rd-replay --gate false --gate-every 100ms > /dev/null 2>&1 &
	BG_PID=$!
	for i in $(seq 50); do grep -q pid "$SPOOL/replay.lock" 2>/dev/null && break; sleep 0.1; done
	run rd-replay --rate max
	assert_failure 3
	assert_output --regexp "^rd-replay: spool '.*' is held by rd-replay \(pid $BG_PID, since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\)$"
	# under -q (cron) exit 3 says it all: an overlap mails nothing
	run rd-replay -q --rate max
	assert_failure 3
	assert_output ""
	# captures go on meanwhile: the writers' lock is another file
	run rd-capture -q "http://127.0.0.1:$PORT/more"
	assert_success
	kill "$BG_PID"
	wait "$BG_PID" || true
	BG_PID=
	# a clean end names nobody, and a stale name is never believed
	[ ! -s "$SPOOL/replay.lock" ]
	printf '{"pid":999999999,"since":"2026-11-30T04:00:00.000Z"}\n' > "$SPOOL/replay.lock"
	hold_lock "$SPOOL/replay.lock" 3
	BG_PID=$HELD_PID
	run rd-replay --rate max
	assert_failure 3
	assert_output --partial "names no holder"
	refute_output --partial "999999999"
}

@test "a replay whose replay.lock is removed while it runs stops (exit 3) and leaves the status to the run that may hold the spool now" {
	ds_start
	capture_n 100
	rd-replay --rate 20/s > /dev/null 2> "$T/err" &
	BG_PID=$!
	replay_sent_over 2
	# an operator "clears a stale lock"; a second run takes the claim
	rm "$SPOOL/replay.lock"
	rd-replay --gate false --gate-every 100ms > /dev/null 2> "$T/err2" &
	second=$!
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=$second
	cat "$T/err"
	assert_equal "$rc" 3
	grep -q "replay.lock' was removed or replaced while this process held it: another process may hold the spool now; stopping, so that two never run at once" "$T/err"
	grep -q "^rd-replay: stopped by an error after sent " "$T/err"
	# what it sent is recorded; the status is the second run's
	wait_until 10 grep -q "\"pid\":$second" "$SPOOL/replay.lock"
	replay_next_status
	assert_equal "$(jq -r .pid "$SPOOL/replay.status")" "$second"
	kill "$second"
	wait "$second" || true
	BG_PID=
	run rd-replay --rate max
	assert_success
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u | wc -l)" 100
}

@test "a running replay keeps replay.status in the spool, and marks it finished at the end" {
	ds_start
	capture_n 100
	rd-replay --rate 20/s > /dev/null 2> "$T/err" &
	BG_PID=$!
	# the first update after some sends (the run lasts 5 s)
	replay_sent_over 5
	jq -e --argjson pid "$BG_PID" '.v == 1 and .state == "running" and .pid == $pid
		and (.since | test("Z$")) and (.updated | test("Z$")) and .sent > 5
		and .sent < 100 and .ok > 0 and .pending > 0 and .rate > 0
		and .rate_limit == 20 and .gate == "none"' "$SPOOL/replay.status"
	# replaced whole, about once a second: the picture moves
	replay_next_status
	wait "$BG_PID"
	BG_PID=
	jq -e '.state == "finished" and .sent == 100 and .ok == 100 and .pending == 0
		and (.ended | test("Z$"))' "$SPOOL/replay.status"
	[ "$(stat -c %a "$SPOOL/replay.status")" = 600 ]
	# a dry run leaves it alone
	cp "$SPOOL/replay.status" "$T/before"
	rd-replay --dry-run > /dev/null 2>&1
	cmp "$SPOOL/replay.status" "$T/before"
}

@test "a pending record damaged on disk after the run read the log is skipped with a notice, not sought forever" {
	ds_start
	# three members: the second will be damaged
	for i in 1 2 3; do
		capture_n 1 "/m$i"
		sizes[i]=$(stat -c %s "$SPOOL"/*.ndjson.gz)
	done
	# the run reads the log, then waits on its gate
	timeout -k 1 30 rd-replay --rate max --gate "test -e '$T/open'" --gate-every 100ms \
		> "$T/out" 2> "$T/err" 3>&- &
	pid=$!
	wait_until 10 test -s "$SPOOL/replay.status"
	flip "$(ls "$SPOOL"/*.ndjson.gz)" $(( (sizes[1] + sizes[2]) / 2 ))
	: > "$T/open"
	rc=0
	wait "$pid" || rc=$?
	# it ends (124 would be the timeout), with the other two delivered
	[ "$rc" -ne 124 ] || fail "rd-replay was still seeking the damaged record after 30 s"
	assert_equal "$(jq -r .path "$T/ds.log" | sort | tr '\n' ' ')" "/m1/1 /m3/1 "
	grep -q "1 pending record could not be read from the log" "$T/err" || fail "$(cat "$T/err")"
	# nothing was decided about it, and --verify names the damage
	assert_equal "$(rd-audit --json 2> /dev/null | jq .replay.attempts)" 2
	run rd-audit --verify
	assert_failure
	assert_output --partial "corrupt gzip member"
}

@test "dead letters explain themselves: status line, a few headers and the first bytes of the body" {
	ds_start --route /bad=400 --route /down=503 --retry-after 1
	capture_n 1 /bad
	capture_n 1 /down
	run rd-replay --rate max --max-attempts 1
	spool_events attempt | jq -e -s 'length == 2 and all(.response.status_line | test("^HTTP/1.1 (400 Bad Request|503 Service Unavailable)$"))'
	spool_events attempt | jq -e -s 'map(select(.status == 400))[0].response |
		.headers == [["Content-Type","application/json"],["Content-Length","12"]] and
		.body == "{\"ok\":false}" and (has("body_truncated") | not)'
	spool_events attempt | jq -e -s 'map(select(.status == 503))[0].response.headers |
		any(.[0] == "Retry-After" and .[1] == "1")'
	assert_failure 4
	# the body is cut at --response-bytes, and 0 keeps none
	capture_n 1 /bad
	run rd-replay --rate max --response-bytes 4
	spool_events attempt | jq -e -s '.[-1].response | .body == "{\"ok" and .body_truncated == true'
	assert_failure 4
	capture_n 1 /bad
	run rd-replay --rate max --response-bytes 0
	spool_events attempt | jq -e -s '.[-1].response | has("body") | not'
	assert_failure 4
	# a success keeps nothing of its response
	ds_stop
	ds_start
	capture_n 1 /fine
	run rd-replay --rate max
	assert_success
	spool_events attempt | jq -e -s '.[-1] | .status == 200 and (has("response") | not)'
}

@test "a dead letter's response never keeps a Set-Cookie or other secret in clear" {
	command -v nginx > /dev/null || skip "nginx is not installed"
	ngx_custom 'add_header Set-Cookie "session=c00kie-s3cret; HttpOnly" always;
		add_header X-Request-Id "req-4242" always;
		add_header X-Api-Token "t0ken-s3cret" always;
		default_type text/plain; return 401 "denied: token expired\n";'
	printf '{"method":"POST","url":"http://127.0.0.1:%s/login","body":"x"}\n' "$NGX_PORT" | rd-capture -q > /dev/null
	run rd-replay --rate max
	spool_events attempt | jq -e '.response | .status_line == "HTTP/1.1 401 Unauthorized" and
		.body == "denied: token expired\n" and
		(.headers | any(.[0] == "X-Request-Id" and .[1] == "req-4242"))'
	assert_equal "$(spool_lines | grep -c 's3cret')" 0
	assert_failure 4
}

@test "--revive --reason records who revived what and why; --max-revives ends a revive loop in cron" {
	ds_start --route /down=503
	capture_n 2 /down
	rd-replay -q --rate max --max-attempts 1 || [ $? -eq 4 ]
	assert_equal "$(spool_events dead | wc -l)" 2
	# a cron job that revives what keeps dying: three times, then no more
	for i in 1 2 3; do
		run rd-replay --rate max --max-attempts 1 --revive --reason "INC-7: upstream fixed"
		assert_output --partial "revived 2"
		assert_failure 4
	done
	run rd-replay --rate max --max-attempts 1 --revive --reason "INC-7: upstream fixed"
	assert_success
	assert_output --partial "revived 0"
	assert_output --partial "2 dead records not revived: revived 3 times already (--max-revives)"
	assert_equal "$(wc -l < "$T/ds.log")" 8
	spool_events revive | jq -e -s --arg u "$(id -un)" 'length == 6 and
		all(.reason == "INC-7: upstream fixed" and .user == $u) and
		(map(.revives) | sort == [1,1,2,2,3,3])'
	# an explicit override, or a higher limit
	run rd-replay --rate max --max-attempts 1 --revive --force
	assert_failure 4
	assert_output --partial "revived 2"
	run rd-replay --rate max --max-attempts 1 --revive --max-revives 5
	assert_failure 4
	assert_output --partial "revived 2"
	run rd-replay --rate max --max-attempts 1 --revive --max-revives 5
	assert_success
	assert_output --partial "2 dead records not revived"
	# --reason and --force mean nothing without --revive
	run rd-replay --reason x
	assert_failure 2
	run rd-replay --force
	assert_failure 2
}

@test "--max-age: a record captured longer ago goes dead (reason max-age) instead of being sent" {
	ds_start --fail-first 1 --latency 1500
	printf '{"method":"POST","url":"http://127.0.0.1:%s/old","captured_at":"2020-01-01T00:00:00Z"}\n' "$PORT" | rd-capture -q > /dev/null
	capture_n 1 /fresh
	run rd-replay --rate max --max-age 1s --backoff 10ms --backoff-max 10ms
	# the old one was never sent; the fresh one was sent once, failed, and
	# was too old by then to be retried
	assert_equal "$(jq -r .path "$T/ds.log")" /fresh/1
	assert_equal "$(spool_events dead | jq -r .reason | grep -c '^max-age: captured at ')" 2
	spool_events dead | jq -e -s 'map(select(.reason | test("2020-01-01T00:00:00.000Z"))) | length == 1'
	spool_events attempt | jq -e -s 'length == 1 and .[0].outcome == "retry" and (.[0] | has("next_due") | not)'
	assert_output --partial "2 of the dead were captured more than 1s ago (--max-age)"
	assert_failure 4
	run rd-replay --max-age 0s
	assert_failure 2
}

@test "--dry-run=raw of a record captured with --raw prints Host once, and a real server answers it" {
	command -v nginx > /dev/null || skip "nginx is not installed"
	ngx_start
	BG_PID=$NGX_PID
	printf 'POST /orders HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}' "$NGX_PORT" |
		rd-capture --raw -q > /dev/null
	rd-replay --dry-run=raw > "$T/req" 2> /dev/null
	assert_equal "$(grep -ci '^host:' "$T/req")" 1
	# the text as printed, sent as it is
	exec 5<>"/dev/tcp/127.0.0.1/$NGX_PORT"
	cat "$T/req" >&5
	read -r -t 5 status <&5
	exec 5>&-
	[[ "$status" == "HTTP/1.1 200 OK"* ]]
}

@test "the progress line is cut to the terminal width and never scrolls" {
	ds_start
	capture_n 30
	cat > "$T/run.sh" <<SH
stty cols 40 2>/dev/null
COLUMNS=40 rd-replay --rate 20/s --gate 'echo "a long explanation of why the gate is closed" >&2; test -f $T/open' --gate-every 100ms
SH
	( sleep 1; touch "$T/open" ) &
	run script -qec "sh '$T/run.sh'" /dev/null < /dev/null
	assert_success
	# every redraw of the line (after \r) fits in 39 columns, and none
	# holds a newline: only the summary lines end in one
	lines=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep '^sent ')
	[ -n "$lines" ]
	awk 'length($0) >= 40 { bad = 1 } END { exit bad }' <<< "$lines"
	assert_output --partial "rd-replay: sent 30, ok 30"
	# no window size (stty cols 0): COLUMNS says it
	capture_n 30
	run script -qec "stty cols 0 2>/dev/null; COLUMNS=30 rd-replay --rate 20/s" /dev/null < /dev/null
	assert_success
	lines=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep '^sent ')
	[ -n "$lines" ]
	awk 'length($0) >= 30 { bad = 1 } END { exit bad }' <<< "$lines"
}

@test "a summary after a fatal error says the run was stopped by an error" {
	ds_start
	capture_n 3
	# the checkpoint cannot be written: a fatal error at the end of a run
	mkdir "$SPOOL/replay.ckpt.tmp"
	run rd-replay --rate max
	assert_failure 2
	assert_line --index 0 --partial "replay.ckpt.tmp"
	assert_line --index 1 --regexp '^rd-replay: stopped by an error after sent 3, ok 3, '
	refute_line --regexp '^rd-replay: sent '
}

@test "secrets are masked in --dry-run, --json and -v unless --no-redact; Host never carries userinfo" {
	printf '{"method":"POST","url":"http://ops:hunter2@127.0.0.1:1/x?api_key=k123&n=1","headers":[["Authorization","Bearer s3cr3t"],["Cookie","sid=c00kie"],["X-Api-Key","apik3y"],["Proxy-Authorization","Basic cHJveHk="]],"body":"b"}\n' |
		rd-capture -q > /dev/null
	for f in --dry-run --dry-run=raw; do
		run rd-replay $f
		assert_success
		for s in hunter2 k123 s3cr3t c00kie apik3y cHJveHk; do
			refute_output --partial "$s"
		done
		assert_output --partial '[REDACTED]'
	done
	run rd-replay --dry-run=raw
	assert_line $'Host: 127.0.0.1:1\r'
	run rd-replay --dry-run --no-redact
	assert_output --partial "'http://ops:hunter2@127.0.0.1:1/x?api_key=k123&n=1'"
	assert_output --partial "Authorization: Bearer s3cr3t"
	run rd-replay --json -v --rate max --connect-timeout 1 --max-time 1s
	refute_output --partial hunter2
	refute_output --partial k123
	assert_output --partial '"url":"http://[REDACTED]@127.0.0.1:1/x?api_key=[REDACTED]&n=1"'
}

@test "-q: nothing on a clean run, one line when records went dead" {
	ds_start --route /bad=400
	capture_n 2 /fine
	run rd-replay -q --rate max
	assert_success
	assert_output ""
	capture_n 2 /bad
	run rd-replay -q --rate max
	assert_failure 4
	assert_output "rd-replay: 2 records moved to dead letters in this run; rd-audit --list shows why"
}

@test "a --where error masks the record's values jq quotes, unless --no-redact" {
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Proxy-Authorization","S9secret"]]}\n' |
		rd-capture -q > /dev/null
	run rd-replay --dry-run --where '.headers[0][1] | tonumber > 0'
	assert_output --partial "--where failed: jq: "
	assert_output --partial "(while parsing '[REDACTED]')"
	refute_output --partial S9secret
	run rd-replay --dry-run --no-redact --where '.headers[0][1] | tonumber > 0'
	assert_output --partial "(while parsing 'S9secret')"
}

@test "a --where error masks a long value jq cut short, and one with quotes inside" {
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Authorization","Bearer S9secretS9secret"]]}\n' |
		rd-capture -q > /dev/null
	# jq cuts a long value with "..." and no closing quote
	run rd-replay --dry-run --where '.headers[0][1] + 1 > 0'
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial Bearer
	# a quote inside a value is escaped, not the end of it
	run rd-audit --list --where '.headers | tostring | . + 1'
	assert_failure 2
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial Author
	run rd-audit --list --no-redact --where '.headers[0][1] + 1 > 0'
	assert_output --partial 'jq: string ("Bearer S9s'
	# two values cut short in one message; a value that holds "..."
	rm -rf "$SPOOL"
	printf '{"method":"POST","url":"http://127.0.0.1:9/x","headers":[["Authorization","Bearer AAAAAAAAAAAAAAAAAAAA"],["X-Api-Key","SK_LIVE_1234567890abcdef"],["X-Token","x...TOPSECRETTOKENVALUE"]]}\n' |
		rd-capture -q > /dev/null
	run rd-replay --dry-run --where '.headers[0][1] - .headers[1][1]'
	assert_output --partial 'jq: string ("[REDACTED]...) cannot be subtracted'
	refute_output --partial SK_LIVE
	run rd-replay --dry-run --where '.headers[2][1] + 1 > 0'
	assert_output --partial 'jq: string ("[REDACTED]...) and number (1) cannot be added'
	refute_output --partial TOPSEC
}

@test "a --where that fails on some records sends the others, then exits 2 naming how many, even under -q" {
	ds_start
	printf '{"method":"POST","url":"http://127.0.0.1:%s/%s","body":"%s"}\n' \
		"$PORT" json '{\"n\":1}' "$PORT" form 'n=1' | rd-capture -q > /dev/null
	run rd-replay -q --rate max --where '.body | fromjson | .n == 1'
	assert_failure 2
	assert_output "rd-replay: --where failed on 1 record, not sent (each is named above, unless -q)"
	assert_equal "$(jq -r .path "$T/ds.log")" /json
	run rd-audit -q --where '.body | fromjson | .n == 1' --fail-if 'pending>5'
	assert_failure 2
	assert_output --regexp "^rd-audit: --where failed on 1 record, left out \(the first, [0-9A-Z]{26}: jq: "
	run rd-audit --json --where '.body | fromjson | .n == 1'
	assert_failure 2
	run rd-replay --rate max --where '.body | test("n=")'
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | tail -1)" /form
	ds_stop
}

@test "-v: one line per outcome, its status when there was an answer" {
	ds_start --route /busy=503
	printf '{"method":"POST","url":"http://127.0.0.1:%s/ok"}\n{"method":"POST","url":"http://127.0.0.1:%s/busy"}\n{"method":"POST","url":"http://127.0.0.1:1/x"}\n' "$PORT" "$PORT" |
		rd-capture -q > /dev/null
	run rd-replay -v --rate max --max-attempts 1
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:$PORT/ok: ok HTTP 200 [0-9.]+ms$"
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:$PORT/busy: dead HTTP 503 [0-9.]+ms"
	# no answer: no status (it said "dead0")
	assert_line --regexp "^rd-replay: [0-9A-Z]{26} POST http://127.0.0.1:1/x: dead [0-9.]+ms .*onnect"
}
