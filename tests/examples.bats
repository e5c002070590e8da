#!/usr/bin/env bats
# Every file in examples/ run as a user would run it, against the test
# downstream on 127.0.0.1 (the files name 127.0.0.1:8080; the tests put
# the downstream's port there).

load common

setup() { common_setup; PX_PID=""; }
teardown() {
	[ -z "$PX_PID" ] || kill -9 "$PX_PID" 2> /dev/null || true
	ds_stop; nats_ex_stop; common_teardown
}

EX="$BATS_TEST_DIRNAME/../examples"

# The command of a crontab line (after the five time fields and the user),
# with \% turned back into %, as cron does.
cron_command() {
	grep -E '^[*0-9]' "$1" | head -1 |
		awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }' |
		sed 's/\\%/%/g'
}

@test "cron.d: the line drains a captured backlog, and stays quiet when the last run still holds the spool" {
	ds_start --fail-first 1
	capture_n 30
	cmd=$(cron_command "$EX/cron.d/redrive" | sed "s|127.0.0.1:8080|127.0.0.1:$PORT|; s|/var/lib/redrive|$T|")
	run sh -c "$cmd"
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 30
	# an overlapping run: exit 3 is turned into success, and nothing is sent
	mkdir -p "$SPOOL"
	hold_lock "$SPOOL/replay.lock" 3
	lockpid=$HELD_PID
	capture_n 2
	run sh -c "$cmd"
	assert_success
	kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null || true
	grep -q '^RD_SPOOL=' "$EX/cron.d/redrive"
}

@test "cron.d and systemd: the nightly rd-compact removes delivered history older than its --keep, and yields to a replay" {
	command -v faketime > /dev/null || skip "faketime is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	ds_start
	capture_n 40
	rd-replay -q --rate max
	cron=$(grep -E '^[*0-9].*rd-compact' "$EX/cron.d/redrive" |
		awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }')
	unit=$(sed -n 's/^ExecStart=//p' "$EX/systemd/redrive-compact.service" | sed 's|/usr/local/bin/||')
	# delivered just now: younger than --keep, nothing goes
	run sh -c "$cron"
	assert_success
	assert_equal "$(rd-audit --json | jq .compacted)" 0
	# eight days on, as the timer's service runs it
	run faketime -f '+8d' sh -c "$unit"
	assert_success
	assert_equal "$(rd-audit --json | jq -c '{requests, compacted}')" '{"requests":40,"compacted":40}'
	# a replay holding the spool: exit 3, which both treat as success
	mkdir -p "$SPOOL"
	hold_lock "$SPOOL/replay.lock" 3
	lockpid=$HELD_PID
	run sh -c "$cron"
	assert_success
	run sh -c "$unit"
	assert_equal "$status" 3
	kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null || true
	grep -q '^SuccessExitStatus=3$' "$EX/systemd/redrive-compact.service"
	grep -q '^OnCalendar=\*-\*-\* 03:17:00$' "$EX/systemd/redrive-compact.timer"
	grep -q '^WantedBy=timers.target$' "$EX/systemd/redrive-compact.timer"
}

@test "systemd: the service's command drains the spool; the timer fires every five minutes" {
	ds_start
	capture_n 10
	cmd=$(sed -n 's/^ExecStart=//p' "$EX/systemd/redrive-replay.service" |
		sed "s|/usr/local/bin/||; s|127.0.0.1:9000|127.0.0.1:$PORT|; s|/var/lib/redrive|$T|")
	run sh -c "$cmd"
	assert_success
	assert_equal "$(jq -r 'select(.status==200)' "$T/ds.log" | grep -c key)" 10
	grep -q '^SuccessExitStatus=1 3$' "$EX/systemd/redrive-replay.service"
	grep -q '^OnCalendar=\*:0/5$' "$EX/systemd/redrive-replay.timer"
	grep -q '^Unit=\|^WantedBy=timers.target$' "$EX/systemd/redrive-replay.timer"
}

@test "systemd: the replay's gate probes the service, not rd-proxy, so the breaker they share closes once the service is back" {
	command -v faketime > /dev/null || skip "faketime is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	ds_start --outage-file "$T/down"
	mkdir -p "$T/var/lib/redrive" "$T/var/log/redrive"
	# rd-proxy as its unit runs it, in front of the test downstream
	cmd=$(sed -n 's/^ExecStart=//p' "$EX/systemd/rd-proxy.service" | sed \
		-e "s|/usr/local/bin/rd-proxy|rd-proxy|" -e "s|/var/|$T/var/|g" \
		-e "s|127.0.0.1:8080|127.0.0.1:0|" -e "s|127.0.0.1:9464|127.0.0.1:0|" \
		-e "s|127.0.0.1:9000|127.0.0.1:$PORT|")
	(export RD_SPOOL="$SPOOL"; eval "exec $cmd") 2> "$T/px.err" 3>&- &
	PX_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$T/px.err" && break; sleep 0.05; done
	PX=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$T/px.err")
	# the replay service's gate, with the ports of this test
	gate=$(sed -n 's/^ExecStart=.*--gate "\(.*\)"$/\1/p' "$EX/systemd/redrive-replay.service" |
		sed -e "s|/var/|$T/var/|g" -e "s|127.0.0.1:8080|$PX|" -e "s|127.0.0.1:9000|127.0.0.1:$PORT|")
	[ -n "$gate" ]
	touch "$T/down"
	for i in 1 2 3; do sh -c "$gate" || true; done
	assert_equal "$(jq -r .state "$T/var/lib/redrive/payments.breaker")" open
	# the service is back, and rd-proxy sheds what it does not capture
	# while the breaker is open (it reads the file twice a second)
	rm "$T/down"
	wait_until 10 grep -q 'breaker open' "$T/px.err"
	run curl -s -o /dev/null -w '%{http_code}' "http://$PX/a"
	assert_output 503
	# past the cooldown, three healthy checks of the service close it
	for i in 1 2 3; do run faketime -f '+120s' sh -c "$gate"; done
	assert_success
	assert_equal "$(jq -r .state "$T/var/lib/redrive/payments.breaker")" closed
	wait_until 10 grep -q 'breaker closed' "$T/px.err"
	run curl -s -o /dev/null -w '%{http_code}' "http://$PX/a"
	assert_output 200
	kill -TERM "$PX_PID"
	wait "$PX_PID"
	PX_PID=""
}

@test "the payments runbook waits for recovery, canaries, drains and proves it" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	capture_n 40
	( sleep 2; rm -f "$T/down" ) &
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=30s sh "$EX/runbook-payments.sh"
	assert_success
	assert_output --partial "healthy 3 times in a row"
	assert_output --partial "runbook: backlog delivered"
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 40
	# no replay while the service was down: every request arrived once
	assert_equal "$(jq -r .key "$T/ds.log" | sort | uniq -d | wc -l)" 0
}

@test "the payments runbook: a dead letter from before the incident neither stops the canary nor fails the proof" {
	ds_start --outage-file "$T/down" --route /gone=404
	capture_n 1 /gone
	run rd-replay -q
	assert_failure 4
	touch "$T/down"
	capture_n 30
	( sleep 2; rm -f "$T/down" ) &
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=30s sh "$EX/runbook-payments.sh"
	assert_success
	assert_output --partial "runbook: 1 dead letters from before"
	assert_output --partial "runbook: backlog delivered"
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 30
}

@test "the payments runbook: a canary request that fails stops it, exit 1, before the drain" {
	ds_start --route /orders/1=400
	capture_n 30
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=30s sh "$EX/runbook-payments.sh"
	assert_failure 1
	assert_output --partial "runbook: the canary failed"
	refute_output --partial "== 4. drain"
}

@test "the payments runbook gives up, exit 1, when the service stays down" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	capture_n 5
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=2s sh "$EX/runbook-payments.sh"
	assert_failure 1
	assert_output --partial "did not recover within 2s"
	[ ! -s "$T/ds.log" ]
}

@test "the CI smoke test passes on a healthy service and fails on a broken one" {
	ds_start
	run env SERVICE_URL="http://127.0.0.1:$PORT" RD_SPOOL="$T/smoke" sh "$EX/ci-smoke.sh"
	assert_success
	assert_output --partial "smoke test passed"
	ds_stop
	ds_start --route /smoke=500
	run env SERVICE_URL="http://127.0.0.1:$PORT" RD_SPOOL="$T/smoke2" sh "$EX/ci-smoke.sh"
	assert_failure
}

# tests/data/sqs-receive-message.json is the output shown for the first
# command of aws-cli's awscli/examples/sqs/receive-message.rst ("To receive
# a message", --attribute-names All --message-attribute-names All), as
# printed: a body that is not JSON, Attributes and MessageAttributes.
@test "sqs-dlq.jq: the output of aws sqs receive-message, a text body with message attributes" {
	ds_start
	run env SQS_REDRIVE_URL="http://127.0.0.1:$PORT/events" \
		rd-capture --jq "$(cat "$EX/sqs-dlq.jq")" < "$BATS_TEST_DIRNAME/data/sqs-receive-message.json"
	assert_success
	assert_equal "$(wc -l <<< "$output")" 1
	run sh -c 'zcat "$RD_SPOOL"/*.ndjson.gz | jq -c "[.body, .headers, .attempts, .idempotency_key, .tags, .failure]"'
	assert_output '["My first message.",[["Content-Type","text/plain; charset=utf-8"]],5,"d6790f8d-d575-4f01-bc51-40122EXAMPLE",{"sqs_message_id":"d6790f8d-d575-4f01-bc51-40122EXAMPLE","sqs_attr_PostalCode":"ABC123","sqs_attr_City":"Any City"},{"type":"sqs_dlq","message":"received 5 times before the DLQ"}]'
	rd-replay -q --rate max
	assert_equal "$(jq -r '[.key, .sha256] | @tsv' "$T/ds.log")" \
		"$(printf 'd6790f8d-d575-4f01-bc51-40122EXAMPLE\t%s' "$(printf 'My first message.' | sha256sum | cut -d' ' -f1)")"
	# in a dead-letter queue, --attribute-names All also gives the source queue
	jq '.Messages[0].Attributes.DeadLetterQueueSourceArn = "arn:aws:sqs:us-east-1:80398EXAMPLE:MyQueue"' \
		"$BATS_TEST_DIRNAME/data/sqs-receive-message.json" |
		rd-capture -q --spool "$T/s2" --jq "$(cat "$EX/sqs-dlq.jq")"
	assert_equal "$(zcat "$T"/s2/*.ndjson.gz | jq -r .tags.sqs_source_queue)" arn:aws:sqs:us-east-1:80398EXAMPLE:MyQueue
}

# An empty queue: aws-cli prints nothing (its JSON formatter skips an empty
# response, awscli/formatter.py), and the SQS API itself answers {}.
@test "sqs-dlq.jq: an empty queue stores nothing and exits 0, as no output or as {}" {
	run rd-capture --jq "$(cat "$EX/sqs-dlq.jq")" < /dev/null
	assert_success
	assert_output ''
	run rd-capture --jq "$(cat "$EX/sqs-dlq.jq")" <<< '{}'
	assert_success
	assert_output ''
	# pages appended by a loop of receive-message calls, the last one empty
	run sh -c 'cat "$1" "$2"; echo "{}"' sh "$BATS_TEST_DIRNAME/data/sqs-dlq.json" \
		"$BATS_TEST_DIRNAME/data/sqs-receive-message.json"
	run rd-capture -q --jq "$(cat "$EX/sqs-dlq.jq")" <<< "$output"
	assert_success
	assert_equal "$(spool_lines | wc -l)" 3
}

@test "sqs-dlq.jq turns an SQS dead-letter export into records keyed by message id" {
	ds_start
	run env SQS_REDRIVE_URL="http://127.0.0.1:$PORT/events" \
		rd-capture --jq "$(cat "$EX/sqs-dlq.jq")" < "$BATS_TEST_DIRNAME/data/sqs-dlq.json"
	assert_success
	assert_equal "$(wc -l <<< "$output")" 2
	spool_lines | jq -e -s 'map(.idempotency_key) == ["5fea7756-0ea4-451a-a703-a558b933e274", "a1b2c3d4-0000-4000-8000-000000000002"]'
	spool_lines | jq -e -s '.[0].attempts == 5 and .[0].failure.type == "sqs_dlq"'
	rd-replay -q --rate max
	assert_equal "$(jq -r .key "$T/ds.log" | sort | tr '\n' ' ')" \
		"5fea7756-0ea4-451a-a703-a558b933e274 a1b2c3d4-0000-4000-8000-000000000002 "
	assert_equal "$(jq -r 'select(.key | startswith("5fea")) | .sha256' "$T/ds.log")" \
		"$(printf '{"order":42,"event":"paid"}' | sha256sum | cut -d' ' -f1)"
}

@test "har.jq turns a browser HAR export into records" {
	run rd-capture --jq "$(cat "$EX/har.jq")" < "$BATS_TEST_DIRNAME/data/sample.har"
	assert_success
	[ "$(spool_lines | wc -l)" -ge 1 ]
}

@test "har.jq: the commands in its header run as written" {
	mkdir "$T/w"
	cp -r "$EX" "$T/w/examples"
	cp "$BATS_TEST_DIRNAME/data/sample.har" "$T/w/session.har"
	# each "#   rd-capture" line with the "#       " lines that follow it,
	# one command each, NUL-terminated
	awk '/^#   rd-capture/ { if (c != "") printf "%s%c", c, 0; c = substr($0, 5); next }
	     /^#       / && c != "" { c = c "\n" substr($0, 5); next }
	     c != "" { printf "%s%c", c, 0; c = "" }' "$EX/har.jq" > "$T/cmds"
	n=0
	while IFS= read -r -d '' cmd; do
		n=$((n + 1))
		run bash -c "cd '$T/w' && $cmd"
		assert_success
		assert_line --regexp '^[0-7][0-9A-Z]{25}$'
	done < "$T/cmds"
	assert_equal "$n" 2
}

# tests/data/chromium.har, playwright.har and playwright-omit.har were
# recorded by tests/data/record-hars.js from Debian's chromium on a
# loopback HTTPS (HTTP/2) page: chromium.har through the Network panel's own
# "Export HAR (with sensitive data)" of the DevTools bundled with the
# browser, the other two by Playwright's recordHar (content embedded, and
# content: 'omit').  The entries: GET / and /api/health (200), a
# urlencoded form, a multipart form with a file, one without, a JSON POST
# and a binary POST (503), a PUT (429), a fetch aborted by AbortController,
# an HTTP/2 stream reset by the server, a POST to a port nothing listens on
# (and, in chromium.har, its CORS preflight), one to a name that does not
# resolve, and a PATCH answered 408.

# [method, path, failure type, failure message] of every stored record.
har_summary() {
	spool_lines | jq -c '[.method, (.url | sub("^https?://[^/]*"; "")), .failure.type, (.failure.message // "")]'
}

@test "har.jq: a Chromium DevTools export keeps the failed requests, aborted ones as connection failures" {
	har="$BATS_TEST_DIRNAME/data/chromium.har"
	# the browser recorded HTTP/2 pseudo-headers
	jq -e '[.log.entries[].request.headers[].name] | index(":authority") and index(":path")' "$har"
	run rd-capture --jq "$(cat "$EX/har.jq")" < "$har"
	# the file upload: DevTools keeps no file content (301 bytes sent, a
	# 284-byte text in the HAR), so it is reported and not stored
	assert_failure 1
	n=$(jq '.log.entries | map(.request.url | endswith("/upload")) | index(true) + 1' "$har")
	assert_output --regexp "jq: 1 failed request\\(s\\) not stored, the HAR does not hold the body sent: entry $n POST https://127\\.0\\.0\\.1:[0-9]+/upload: 301 bytes sent, 284 in the HAR"
	run har_summary
	assert_output "$(cat <<-'EOF'
		["POST","/form","http_503",""]
		["POST","/profile","http_503",""]
		["POST","/api/orders","http_503",""]
		["PUT","/api/limited","http_429",""]
		["POST","/api/blob","http_503",""]
		["POST","/api/slow","connect","net::ERR_ABORTED"]
		["POST","/api/reset","network","net::ERR_HTTP2_PROTOCOL_ERROR"]
		["POST","/api/orders","connect","net::ERR_CONNECTION_REFUSED"]
		["POST","/api/orders","dns","net::ERR_NAME_NOT_RESOLVED"]
		["PATCH","/api/late","http_408",""]
		EOF
	)"
	# no pseudo-header stored, and the request's own headers kept
	spool_lines | jq -e -s 'all(.[]; all(.headers[]; .[0] | startswith(":") | not))'
	spool_lines | jq -e -s 'map(select(.url | endswith("/api/orders"))) | .[0].idempotency_key == "order-42"'
	# bodies: the form as sent, and the binary one (recorded as Latin-1 text)
	# as its 8 bytes
	assert_equal "$(spool_lines | jq -r 'select(.url | endswith("/form")) | .body')" \
		'name=Zo%C3%AB+%26+Co&note=50%25+off%3B+a%2Bb%3Dc+%7E*%27%28%29%21&lines=line+1%0D%0Aline+2'
	assert_equal "$(spool_lines | jq -r 'select(.url | endswith("/api/blob")) | .body_b64')" \
		"$(printf '\000\001\002\376\377\200\n\r' | base64)"
	assert_equal "$(spool_lines | jq -r 'select(.url | endswith("/api/slow")) | .body')" '{"wait":true}'
}

@test "har.jq: Playwright's status -1 entries are kept; a body the HAR left out is not stored" {
	run rd-capture --jq "$(cat "$EX/har.jq")" < "$BATS_TEST_DIRNAME/data/playwright.har"
	assert_failure 1
	# the upload has no postData at all (Content-Length 301), the binary
	# POST an empty text (Playwright embeds no application/octet-stream)
	assert_output --regexp 'jq: 2 failed request\(s\) not stored, the HAR does not hold the body sent: entry 3 POST https://127\.0\.0\.1:[0-9]+/upload: no postData for 301 bytes sent; entry 8 POST https://127\.0\.0\.1:[0-9]+/api/blob: 8 bytes sent, none in the HAR'
	assert_equal "$(jq '[.log.entries[] | select(.response.status == -1)] | length' "$BATS_TEST_DIRNAME/data/playwright.har")" 4
	run har_summary
	assert_output "$(cat <<-'EOF'
		["POST","/form","http_503",""]
		["POST","/profile","http_503",""]
		["POST","/api/orders","http_503",""]
		["PUT","/api/limited","http_429",""]
		["POST","/api/slow","connect","net::ERR_ABORTED"]
		["POST","/api/reset","network","net::ERR_HTTP2_PROTOCOL_ERROR"]
		["POST","/api/orders","connect","net::ERR_CONNECTION_REFUSED"]
		["POST","/api/orders","dns","net::ERR_NAME_NOT_RESOLVED"]
		["PATCH","/api/late","http_408",""]
		EOF
	)"
	spool_lines | jq -e -s 'all(.[]; all(.headers[]; .[0] | startswith(":") | not))'
	spool_lines | jq -e -s 'all(.[]; (.failure.status // 0) >= 0)'
	assert_equal "$(spool_lines | jq -r 'select(.url | endswith("/api/slow")) | .body')" '{"wait":true}'
}

@test "har.jq: a form with params and no text (Playwright, content: omit) gets its body back, byte for byte" {
	ds_start
	har="$BATS_TEST_DIRNAME/data/playwright-omit.har"
	jq -e '.log.entries[] | select(.request.url | endswith("/form")) | .request.postData | .text == "" and (.params | length) == 3' "$har"
	run rd-capture --jq "$(cat "$EX/har.jq")" < "$har"
	assert_failure 1
	assert_output --partial 'jq: 10 failed request(s) not stored, the HAR does not hold the body sent: '
	form='name=Zo%C3%AB+%26+Co&note=50%25+off%3B+a%2Bb%3Dc+%7E*%27%28%29%21&lines=line+1%0D%0Aline+2'
	# what the same browser sent for the same form, recorded with its text
	assert_equal "$(jq -r '.log.entries[] | select(.request.url | endswith("/form")) | .request.postData.text' "$BATS_TEST_DIRNAME/data/playwright.har")" "$form"
	run har_summary
	assert_output '["POST","/form","http_503",""]'
	assert_equal "$(spool_lines | jq -r .body)" "$form"
	rd-replay -q --rate max --target "http://127.0.0.1:$PORT" --allow-host 127.0.0.1
	assert_equal "$(jq -r '[.status, .bytes, .sha256] | @tsv' "$T/ds.log")" \
		"$(printf '200\t90\t%s' "$(printf '%s' "$form" | sha256sum | cut -d' ' -f1)")"
}

# Browsers record a multipart body as text; a HAR that follows the spec's
# "text and params are mutually exclusive" holds params only.  The
# Chromium /profile entry without its text must give back its bytes, and
# Kong/httpsnippet's fixture src/fixtures/requests/multipart-data.json
# (MIT License, Copyright (c) 2022 Kong), a multipart request with a file
# param and no boundary, tests/data/httpsnippet-multipart-data.json, gets a
# boundary of its own.
@test "har.jq: multipart params without a text are rebuilt with the request's boundary, or one chosen" {
	jq '.log.entries |= map(select(.request.url | endswith("/profile")) | del(.request.postData.text))' \
		"$BATS_TEST_DIRNAME/data/chromium.har" > "$T/profile.har"
	run rd-capture -q --jq "$(cat "$EX/har.jq")" < "$T/profile.har"
	assert_success
	assert_equal "$(spool_lines | jq -c .body)" \
		"$(jq -c '.log.entries[] | select(.request.url | endswith("/profile")) | .request.postData.text' "$BATS_TEST_DIRNAME/data/chromium.har")"
	jq '{log: {entries: [{request: ., response: {status: 503}}]}}' \
		"$BATS_TEST_DIRNAME/data/httpsnippet-multipart-data.json" > "$T/snippet.har"
	run rd-capture -q --spool "$T/s2" --jq "$(cat "$EX/har.jq")" < "$T/snippet.har"
	assert_success
	b=----redrive-har-boundary-5b1f7e0c2a9d4e83
	run sh -c 'zcat "$1"/*.ndjson.gz | jq -c "[.headers, .body]"' sh "$T/s2"
	assert_output "$(jq -cn --arg b "$b" '[[["content-type", "multipart/form-data; boundary=\($b)"]],
		"--\($b)\r\nContent-Disposition: form-data; name=\"foo\"; filename=\"hello.txt\"\r\nContent-Type: text/plain\r\n\r\nHello World\r\n--\($b)\r\nContent-Disposition: form-data; name=\"bar\"\r\n\r\nBonjour le monde\r\n--\($b)--\r\n"]')"
	# a file param without its content cannot be rebuilt
	jq '.log.entries[0].request.postData.params[0] |= del(.value)' "$T/snippet.har" > "$T/nofile.har"
	run rd-capture --spool "$T/s3" --jq "$(cat "$EX/har.jq")" < "$T/nofile.har"
	assert_failure 1
	assert_output --partial "entry 1 POST http://mockbin.com/har: a file's content is not in the HAR"
	[ -z "$(zcat "$T"/s3/*.ndjson.gz 2>/dev/null)" ]
}

@test "node_exporter: the textfile script writes metrics promtool accepts, atomically" {
	rec 1 | rd-capture -q > /dev/null
	mkdir -p "$T/textfile"
	run env TEXTFILE_DIR="$T/textfile" sh "$EX/node_exporter/redrive-textfile.sh"
	assert_success
	assert_equal "$(ls "$T/textfile")" redrive.prom
	run promtool check metrics < "$T/textfile/redrive.prom"
	assert_success
	grep -q '^redrive_requests{spool="spool",state="due"} 1$' "$T/textfile/redrive.prom"
}

@test "node_exporter: no spool yet publishes nothing and is no error; a failed run leaves no file behind" {
	mkdir -p "$T/textfile"
	run env RD_SPOOL="$T/none" TEXTFILE_DIR="$T/textfile" sh "$EX/node_exporter/redrive-textfile.sh"
	assert_success
	assert_equal "$(ls "$T/textfile")" ""
	# a spool that cannot be read: the error, and no half-written file
	mkdir -p "$T/bad"
	chmod 777 "$T/bad"
	run env RD_SPOOL="$T/bad" TEXTFILE_DIR="$T/textfile" sh "$EX/node_exporter/redrive-textfile.sh"
	assert_failure 2
	assert_equal "$(ls "$T/textfile")" ""
}

# examples/nats: three nodes' configurations and the unit that runs one.
# The nodes run here as the unit starts them, on 127.0.0.1: each file with
# its hosts and ports turned into free loopback ones and its store moved
# into $T.  nats-server 2.9 (Debian bookworm) does not know sync_interval,
# which the files set: there it must refuse them, and they run without it.
NATS_EX_PIDS=()
nats_ex_stop() {
	local p
	for p in "${NATS_EX_PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
	for p in "${NATS_EX_PIDS[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2> /dev/null || kill -9 "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	NATS_EX_PIDS=()
}

nats_old() {
	[[ $(nats-server --version) =~ v2\.[0-9]\. ]]
}

@test "nats: the three example nodes, started as the unit starts them, form one JetStream cluster; SIGUSR2 stops one cleanly" {
	command -v nats-server > /dev/null || skip "nats-server is not installed"
	cmd=$(sed -n 's/^ExecStart=//p' "$EX/nats/nats-server@.service")
	assert_equal "$cmd" '/usr/sbin/nats-server -c /etc/nats/nats-%i.conf'
	read -r -a P <<< "$(python3 -c 'import socket; ss = [socket.socket() for _ in range(9)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
	# client, monitor and route port of node i: P[3i-3], P[3i-2], P[3i-1]
	mkdir -p "$T/nats"
	for i in 1 2 3; do
		c=${P[3 * i - 3]} m=${P[3 * i - 2]} r=${P[3 * i - 1]}
		sed -e "s|^listen: 0\.0\.0\.0:4222\$|listen: 127.0.0.1:$c|" \
			-e "s|^http: 127\.0\.0\.1:8222\$|http: 127.0.0.1:$m|" \
			-e "s|^\tlisten: 0\.0\.0\.0:6222\$|\tlisten: 127.0.0.1:$r|" \
			-e "s|nats-route://nats-1:6222|nats-route://127.0.0.1:${P[2]}|" \
			-e "s|nats-route://nats-2:6222|nats-route://127.0.0.1:${P[5]}|" \
			-e "s|nats-route://nats-3:6222|nats-route://127.0.0.1:${P[8]}|" \
			-e "s|\"/var/lib/nats/nats-$i\"|\"$T/nats/nats-$i\"|" \
			"$EX/nats/nats-$i.conf" > "$T/nats/nats-$i.conf"
		# every address was rewritten: nothing listens beyond 127.0.0.1
		assert_equal "$(grep -c '127\.0\.0\.1:[0-9]' "$T/nats/nats-$i.conf")" 6
		run grep -E '0\.0\.0\.0|nats-route://nats-|/var/lib' "$T/nats/nats-$i.conf"
		assert_failure
		grep -qx "server_name: nats-$i" "$T/nats/nats-$i.conf"
		grep -qx $'\tsync_interval: always' "$T/nats/nats-$i.conf"
		if nats_old; then
			run nats-server -t -c "$T/nats/nats-$i.conf"
			assert_failure
			assert_output --partial 'unknown field "sync_interval"'
			sed -i '/sync_interval: always/d' "$T/nats/nats-$i.conf"
		fi
		run nats-server -t -c "$T/nats/nats-$i.conf"
		assert_success
	done
	for i in 1 2 3; do
		run_cmd=${cmd//%i/$i}
		${run_cmd//\/etc\/nats\//$T/nats/} > "$T/nats/nats-$i.log" 2>&1 3>&- &
		NATS_EX_PIDS+=($!)
	done
	for i in 1 2 3; do
		m=${P[3 * i - 2]}
		for _ in $(seq 150); do
			[ "$(curl -s "http://127.0.0.1:$m/healthz" | jq -r .status)" = ok ] && break
			sleep 0.1
		done
		assert_equal "$(curl -s "http://127.0.0.1:$m/healthz" | jq -r .status)" ok
	done
	leader=$(curl -s "http://127.0.0.1:${P[1]}/jsz" | jq -r .meta_cluster.leader)
	[[ $leader == nats-[123] ]]
	run sh -c "curl -s http://127.0.0.1:${P[3 * ${leader#nats-} - 2]}/jsz | jq -c '.meta_cluster | [.name, ([.leader, .replicas[].name] | sort)]'"
	assert_output '["redrive",["nats-1","nats-2","nats-3"]]'
	# the unit's stop: lame duck mode, which ends with exit 0
	kill -USR2 "${NATS_EX_PIDS[2]}"
	run timeout 15 sh -c "while kill -0 ${NATS_EX_PIDS[2]} 2> /dev/null; do sleep 0.1; done"
	assert_success
	wait "${NATS_EX_PIDS[2]}"
}

@test "nats: the unit passes systemd-analyze verify, and its paths match the nodes' files" {
	command -v systemd-analyze > /dev/null || skip "systemd-analyze is not installed"
	command -v nats-server > /dev/null || skip "nats-server is not installed (the unit runs it)"
	unit="$EX/nats/nats-server@.service"
	# an instance of the template; verify exits 0 on unknown keys, but says so
	cp "$unit" "$T/nats-server@1.service"
	run systemd-analyze verify "$T/nats-server@1.service"
	assert_success
	assert_output ''
	grep -qx 'Type=simple' "$unit"
	grep -qx 'Restart=on-failure' "$unit"
	grep -qx 'KillSignal=SIGUSR2' "$unit"
	grep -qx 'ProtectSystem=strict' "$unit"
	grep -q '^LimitNOFILE=[0-9]' "$unit"
	# the store each node's file names is the one the unit lets it write
	rw=$(sed -n 's/^ReadWritePaths=//p' "$unit")
	for i in 1 2 3; do
		assert_equal "$(sed -n 's/^\tstore_dir: "\(.*\)"$/\1/p' "$EX/nats/nats-$i.conf")" "${rw//%i/$i}"
	done
	# lame duck mode ends before systemd's stop timeout
	ldm=$(sed -n 's/^lame_duck_duration: \([0-9]*\)s$/\1/p' "$EX/nats/nats-1.conf")
	stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
	[ "$ldm" -gt 0 ] && [ "$stop" -gt "$ldm" ]
}
