#!/usr/bin/env bats
# rd-downstream: the simulated downstream service that the other suites,
# the demo and the benchmarks drive.  One test per knob, plus the HTTP
# handling (keep-alive, pipelining, chunked bodies, bad input) and /metrics.

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

url() { echo "http://127.0.0.1:$PORT$1"; }

# The status code of one request: code PATH [curl args...]
code() {
	local path=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' "$@" "$(url "$path")"
}

# Send stdin raw on a new connection; print the reply, without CRs, until
# the server closes the connection (fail if it does not within 5 s).
raw() {
	exec 5<> "/dev/tcp/127.0.0.1/$PORT"
	cat >&5
	timeout 5 cat <&5 > "$T/raw.out"
	local rc=$?
	exec 5<&-
	tr -d '\r' < "$T/raw.out"
	return $rc
}

# One sample from /metrics, e.g. metric 'rd_downstream_requests_total{code="200"}'.
metric() {
	curl -s "$(url /metrics)" | awk -v k="$1" '$1 == k { print $2 }'
}

@test "port and pid files; --help lists every option; bad values exit 2" {
	ds_start
	assert_regex "$(cat "$T/port")" '^[0-9]+$'
	assert_equal "$(code /health)" 200
	run rd-downstream --help
	assert_success
	for o in port port-file pid-file status route fail-first fail-status \
		retry-after outage-file outage capacity latency latency-jitter log help; do
		assert_output --partial -- "--$o "
	done
	for bad in "--capacity 0" "--capacity x" "--status 99" "--route /x" \
		"--route /x=abc" "--outage 5:1" "--outage 1" "--latency -1" \
		"--latency 5ms" "--fail-first -2" "--port 70000" "--nope" "--port"; do
		# shellcheck disable=SC2086
		run rd-downstream $bad
		assert_failure 2
		assert_line --index 0 --regexp '^rd-downstream: .+'
	done
}

@test "the log records the exact sha256 and length of binary bodies" {
	ds_start
	for n in 0 1 55 56 63 64 65 119 120 1000 300000; do
		head -c "$n" /dev/urandom > "$T/body.$n"
		assert_equal "$(code /orders/$n --data-binary @"$T/body.$n" -H "Idempotency-Key: k-$n")" 200
	done
	for n in 0 1 55 56 63 64 65 119 120 1000 300000; do
		want=$(sha256sum < "$T/body.$n" | cut -d' ' -f1)
		run jq -r --arg p "/orders/$n" 'select(.path == $p) | [.method, .key, .sha256, .bytes, .status] | @tsv' "$T/ds.log"
		assert_output "$(printf 'POST\tk-%s\t%s\t%s\t200' "$n" "$want" "$n")"
	done
	run jq -r .t "$T/ds.log"
	assert_line --index 0 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
	# /health and /metrics are not logged; odd bytes stay valid JSON.
	code /health > /dev/null
	code /metrics > /dev/null
	code '/q?a=%22' -H $'Idempotency-Key: "\\\xff' > /dev/null
	assert_equal "$(wc -l < "$T/ds.log")" 12
	run jq -c 'select(.path == "/q?a=%22") | .key | explode' "$T/ds.log"
	assert_output '[34,92,255]'
}

@test "chunked request bodies hash correctly" {
	ds_start
	head -c 200000 /dev/urandom > "$T/body"
	assert_equal "$(code /c1 -H 'Transfer-Encoding: chunked' --data-binary @"$T/body")" 200
	run jq -r 'select(.path == "/c1") | "\(.sha256) \(.bytes)"' "$T/ds.log"
	assert_output "$(sha256sum < "$T/body" | cut -d' ' -f1) 200000"
	# Several chunks, an extension, upper-case hex and a trailer.
	run raw < <(printf 'POST /c2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n')
	assert_line --index 0 --partial 'HTTP/1.1 200 '
	run jq -r 'select(.path == "/c2") | "\(.sha256) \(.bytes)"' "$T/ds.log"
	assert_output "$(printf 'abc0123456789' | sha256sum | cut -d' ' -f1) 13"
}

@test "--fail-first 2 fails the first two requests of each key" {
	ds_start --fail-first 2
	for k in a b; do
		got=
		for i in 1 2 3 4; do got="$got $(code /p -H "Idempotency-Key: $k")"; done
		assert_equal "$got" " 503 503 200 200"
	done
	assert_equal "$(code /p)" 200
	run curl -s -H 'Idempotency-Key: c' -d x "$(url /p)"
	assert_output '{"ok":false}'
	run curl -s -H 'Idempotency-Key: d' "$(url /p)"
	assert_output '{"ok":false}'
	assert_equal "$(code /p -H 'Idempotency-Key: c')" 503
	run curl -s -H 'Idempotency-Key: c' "$(url /p)"
	assert_output '{"ok":true,"key":"c"}'
}

@test "--fail-first keeps counts for many keys" {
	ds_start --fail-first 1 --fail-status 500
	# One curl, one connection, 300 keys; "next" starts each URL's options.
	for i in $(seq 1 300); do
		[ "$i" -eq 1 ] || echo next
		printf 'url = "%s"\nheader = "Idempotency-Key: key-%s"\n' "$(url /k)" "$i"
		printf 'silent\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n'
	done > "$T/cfg"
	run curl -s -K "$T/cfg"
	assert_equal "$(echo "$output" | grep -c '^500$')" 300
	run curl -s -K "$T/cfg"
	assert_equal "$(echo "$output" | grep -c '^200$')" 300
}

@test "--retry-after is added to 503 and 429 responses only" {
	ds_start --fail-first 1 --retry-after 7 --route /slow=429 --route /err=500
	run curl -s -D - -o /dev/null -H 'Idempotency-Key: r' "$(url /x)"
	assert_line --index 0 --partial ' 503 '
	assert_line --regexp '^Retry-After: 7'
	run curl -s -D - -o /dev/null -H 'Idempotency-Key: r' "$(url /x)"
	assert_line --index 0 --partial ' 200 '
	refute_line --regexp '^Retry-After'
	run curl -s -D - -o /dev/null "$(url /slow)"
	assert_line --index 0 --partial ' 429 '
	assert_line --regexp '^Retry-After: 7'
	run curl -s -D - -o /dev/null "$(url /err)"
	assert_line --index 0 --partial ' 500 '
	refute_line --regexp '^Retry-After'
}

@test "--outage-file: requests and /health fail while the file exists" {
	ds_start --outage-file "$T/down"
	assert_equal "$(code /x) $(code /health)" "200 200"
	touch "$T/down"
	assert_equal "$(code /x) $(code /health) $(code /metrics)" "503 503 200"
	assert_equal "$(curl -s "$(url /health)")" '{"status":"DOWN"}'
	rm "$T/down"
	assert_equal "$(code /x) $(code /health)" "200 200"
	assert_equal "$(curl -s "$(url /health)")" '{"status":"UP"}'
	run curl -s -D - -o /dev/null "$(url /health)"
	assert_line --regexp '^Content-Type: application/json'
}

@test "--outage START:END fails requests inside the window only" {
	ds_start --outage 0:2.5 --outage 600:700 --fail-status 502
	assert_equal "$(code /x) $(code /health)" "502 503"
	sleep 3
	assert_equal "$(code /x) $(code /health)" "200 200"
}

@test "--capacity: a burst beyond the rate is partly refused" {
	ds_start --capacity 20
	curl -s --parallel --parallel-max 50 --create-dirs -o "$T/c/#1" \
		-w '%{http_code}\n' "$(url '/c/[1-200]')" > "$T/codes" 2> /dev/null
	output=$(cat "$T/codes")
	assert_equal "$(echo "$output" | grep -c .)" 200
	ok=$(echo "$output" | grep -c '^200$' || true)
	busy=$(echo "$output" | grep -c '^503$' || true)
	assert_equal "$((ok + busy))" 200
	[ "$ok" -gt 0 ]
	[ "$busy" -gt 0 ]
	assert_equal "$(metric 'rd_downstream_requests_total{code="503"}')" "$busy"
}

@test "--capacity does not count /health and /metrics" {
	ds_start --capacity 1/h
	assert_equal "$(code /health) $(code /metrics) $(code /health)" "200 200 200"
	assert_equal "$(code /a) $(code /b) $(code /health)" "200 503 200"
}

@test "--latency delays every response by at least that much" {
	ds_start --latency 300 --latency-jitter 50
	run curl -s -o /dev/null -w '%{http_code} %{time_total}' "$(url /slow)"
	read -r got t <<< "$output"
	assert_equal "$got" 200
	awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }'
	# The wait includes the latency, so it never falls in le="0.25".
	assert_equal "$(metric 'rd_downstream_request_duration_seconds_bucket{le="0.25"}')" 0
	awk -v s="$(metric rd_downstream_request_duration_seconds_sum)" 'BEGIN { exit !(s >= 0.3) }'
}

@test "--latency holds many connections at once without blocking them" {
	ulimit -n 4096 2> /dev/null || skip "cannot open enough descriptors"
	ds_start --latency 200
	fds=()
	for i in $(seq 1 1100); do
		exec {fd}<> "/dev/tcp/127.0.0.1/$PORT"
		fds+=("$fd")
	done
	for round in 1 2; do
		for fd in "${fds[@]}"; do
			printf 'GET /r/%s HTTP/1.1\r\nHost: x\r\n\r\n' "$fd" >&"$fd"
		done
		ok=0
		for fd in "${fds[@]}"; do
			IFS= read -r -t 10 line <&"$fd" || break
			[[ $line == "HTTP/1.1 200 OK"* ]] && ok=$((ok + 1))
			# Skip the headers and the body to the end of this response.
			while IFS= read -r -t 10 line <&"$fd" && [ "$line" != $'\r' ]; do :; done
			read -r -t 10 -N 20 body <&"$fd"
		done
		assert_equal "$ok" 1100
	done
	for fd in "${fds[@]}"; do exec {fd}<&-; done
	assert_equal "$(metric 'rd_downstream_requests_total{code="200"}')" 2200
}

@test "--route sends a fixed status ahead of every other knob" {
	ds_start --route /bad=400 --route /gone=410 --status 201 --fail-first 1 --outage-file "$T/down"
	assert_equal "$(code /bad/1) $(code /gone) $(code /good)" "400 410 201"
	run curl -s "$(url /bad/1)"
	assert_output '{"ok":false}'
	touch "$T/down"
	assert_equal "$(code /bad/1 -H 'Idempotency-Key: k') $(code /good)" "400 503"
	rm "$T/down"
	# The routed request did not use up the key's failure.
	assert_equal "$(code /x -H 'Idempotency-Key: k') $(code /x -H 'Idempotency-Key: k')" "503 201"
}

@test "/metrics counts every response by code and its histogram is consistent" {
	ds_start --route /nf=404
	for i in 1 2 3 4 5; do code /ok > /dev/null; done
	for i in 1 2 3; do code /nf > /dev/null; done
	for i in 1 2; do code /health > /dev/null; done
	run curl -s -D "$T/hdr" "$(url /metrics)"
	assert_success
	echo "$output" > "$T/m1"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/hdr"
	assert_equal "$(metric 'rd_downstream_requests_total{code="200"}')" 7
	assert_equal "$(metric 'rd_downstream_requests_total{code="404"}')" 3
	# /metrics itself is not counted.
	curl -s "$(url /metrics)" > "$T/m2"
	run diff <(grep -v _sum "$T/m1") <(grep -v _sum "$T/m2")
	assert_success
	for m in rd_downstream_requests_total rd_downstream_request_duration_seconds; do
		grep -q "^# HELP $m " "$T/m1"
		grep -q "^# TYPE $m " "$T/m1"
	done
	run sed -n 's/^rd_downstream_request_duration_seconds_bucket{le="\([^"]*\)"} .*/\1/p' "$T/m1"
	assert_output "$(printf '%s\n' 0.001 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf)"
	run awk '/_bucket/ { if ($2 < prev) bad = 1; prev = $2; inf = $2 }
		/_count/ { count = $2 } END { print (bad ? "not cumulative" : "cumulative"), inf, count }' "$T/m1"
	assert_output "cumulative 10 10"
	# Every sample line is NAME{LABELS} VALUE or NAME VALUE.
	run grep -Ev '^(# (HELP|TYPE) .+|[a-z_]+(\{[a-z]+="[^"]*"\})? [0-9.e+-]+)$' "$T/m1"
	assert_output ''
	if command -v promtool > /dev/null; then
		promtool check metrics < "$T/m1"
	fi
}

@test "malformed requests get 400 and the server keeps serving" {
	ds_start
	head -c 4096 /dev/urandom > "$T/junk"
	printf '\r\n\r\n' >> "$T/junk"
	run raw < "$T/junk"
	assert_line --index 0 'HTTP/1.1 400 Bad Request'
	for req in 'GARBAGE\r\n\r\n' 'GET / HTTP/9.9\r\n\r\n' 'GET /  HTTP/1.1\r\n\r\n' \
		'GET / HTTP/1.1\r\nNo colon\r\n\r\n' 'GET / HTTP/1.1\r\nBad name: x\r\n\r\n' \
		'GET / HTTP/1.1\r\n folded: x\r\n\r\n' 'POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n' \
		'POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n' \
		'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n' \
		'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' \
		'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n' \
		'GET /\x00 HTTP/1.1\r\n\r\n'; do
		run raw < <(printf "$req")
		assert_line --index 0 'HTTP/1.1 400 Bad Request'
		assert_equal "$(code /health)" 200
	done
	run raw < <(printf 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')
	assert_line --index 0 --partial 'HTTP/1.1 501 '
	assert_equal "$(code /still-here)" 200
	assert_equal "$(wc -l < "$T/ds.log")" 1
}

@test "bodies over 64 MiB get 413 and the connection closes" {
	ds_start
	run raw < <(printf 'POST / HTTP/1.1\r\nContent-Length: 67108865\r\n\r\nabc')
	assert_line --index 0 'HTTP/1.1 413 Content Too Large'
	assert_line 'Connection: close'
	run raw < <(printf 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4000001\r\nabc')
	assert_line --index 0 'HTTP/1.1 413 Content Too Large'
	run raw < <(printf 'GET / HTTP/1.1\r\nX: %070000d\r\n\r\n' 0)
	assert_line --index 0 --partial 'HTTP/1.1 431 '
	assert_equal "$(code /health)" 200
}

@test "keep-alive, pipelining, Connection: close and HTTP/1.0" {
	ds_start
	run raw < <(printf 'POST /p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n\r\nPOST /p3 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi')
	assert_success
	assert_equal "$(echo "$output" | grep -o 'HTTP/1.1 200 OK' | wc -l)" 3
	assert_equal "$(echo "$output" | grep -c '^Connection: close')" 1
	run jq -r '"\(.path) \(.bytes) \(.sha256)"' "$T/ds.log"
	assert_output "$(printf '/p1 3 %s\n/p2 0 %s\n/p3 2 %s' "$(printf abc | sha256sum | cut -d' ' -f1)" \
		"$(printf '' | sha256sum | cut -d' ' -f1)" "$(printf hi | sha256sum | cut -d' ' -f1)")"
	# HTTP/1.0 closes after one response (raw returns only at close).
	run raw < <(printf 'GET /old HTTP/1.0\r\n\r\n')
	assert_success
	assert_line --index 0 'HTTP/1.1 200 OK'
	# curl reuses one connection for several URLs.
	run curl -sv -o /dev/null -o /dev/null -o /dev/null "$(url /a)" "$(url /b)" "$(url /c)"
	assert_output --partial 'Re-using existing connection'
	# HEAD gets the headers only.
	run curl -s -I "$(url /h)"
	assert_line --regexp '^Content-Length: 20'
}

@test "SIGTERM and SIGINT stop the server with status 0 and a complete log" {
	ds_start
	code /one > /dev/null
	kill -TERM "$DS_PID"
	rc=0
	wait "$DS_PID" || rc=$?
	DS_PID=
	assert_equal "$rc" 0
	assert_equal "$(jq -r .path "$T/ds.log")" /one
	ds_start
	kill -INT "$DS_PID"
	rc=0
	wait "$DS_PID" || rc=$?
	DS_PID=
	assert_equal "$rc" 0
}
