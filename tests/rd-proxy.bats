#!/usr/bin/env bats
# rd-proxy: forwarding and relaying, every capture condition, the 202 and
# its headers, byte-exact replay of what was captured, the breaker, worker
# threads, signals, the access log, the metrics, and kill -9 under load
# (its limits, slow clients and request smuggling: rd-proxy-limits.bats).
# Upstreams are the project's test downstream, Debian's nginx and small
# perl servers on 127.0.0.1, started here and stopped by PID.

load common
load proxy

setup() { px_setup; }
teardown() { px_teardown; }

@test "forwards requests and relays answers unchanged: status, headers, body" {
	ds_start --dump "$T" --retry-after 7 --route /gone=404 --route /busy=503
	px_start "http://127.0.0.1:$PORT"
	run pcurl "http://$PX/orders/1?x=1"
	assert_output 200
	assert_equal "$(cat "$T/b")" '{"ok":true,"key":""}'
	assert_equal "$(hdr Content-Type)" "application/json"
	# 4xx is relayed for any method, 503 for a GET, with the upstream's headers
	run pcurl -X POST -d 'a=1' "http://$PX/gone"
	assert_output 404
	run pcurl "http://$PX/busy"
	assert_output 503
	assert_equal "$(hdr Retry-After)" 7
	assert_equal "$(cat "$T/b")" '{"ok":false}'
	# the upstream saw the client's headers, not Host or hop-by-hop ones
	run curl -s -H 'X-Trace: abc' -H 'Connection: close, X-Gone' -H 'X-Gone: 1' \
		-H 'Keep-Alive: 5' "http://$PX/orders/2"
	assert_success
	f=$(grep -l 'GET /orders/2 ' "$T"/*.http)
	grep -q $'^X-Trace: abc\r$' "$f"
	grep -q "^Host: 127.0.0.1:$PORT"$'\r$' "$f"
	grep -qi '^X-Gone\|^Keep-Alive' "$f" && fail "a hop-by-hop field was forwarded: $(cat "$f")"
	# nothing was captured: a 404 and a failed GET are relayed
	assert_equal "$(stored_ids | wc -l)" 0
	px_stop
}

@test "captures on a refused connection: 202 with Redrive-Id and Idempotency-Key, once stored" {
	px_start "http://127.0.0.1:$(dead_port)"
	run pcurl -X POST -H 'Content-Type: application/json' -d '{"n":1}' "http://$PX/orders/1"
	assert_output 202
	id=$(hdr Redrive-Id)
	assert_equal "$(hdr Idempotency-Key)" "$id"
	assert_equal "$(jq -r .id "$T/b")" "$id"
	run rd-audit --show "$id"
	assert_success
	line=$(head -n 1 <<< "$output")
	assert_equal "$(jq -r .failure.type <<< "$line")" connect
	assert_equal "$(jq -r .body <<< "$line")" '{"n":1}'
	assert_equal "$(jq -r .attempts <<< "$line")" 1
	# a GET that fails is relayed, not captured
	run pcurl "http://$PX/orders/1"
	assert_output 502
	assert_equal "$(stored_ids)" "$id"
	px_stop
}

@test "captures on a DNS failure, a TLS failure, a reset and a timeout" {
	px_start "http://no-such-host.invalid:8080"
	run pcurl -X PUT -d x "http://$PX/a"
	assert_output 202
	px_stop
	perl_up plain
	px_start "https://127.0.0.1:$UP_PORT"
	run pcurl -X PATCH -d x "http://$PX/b"
	assert_output 202
	px_stop
	tls=$UP_PORT
	kill "$UP_PID"
	rm "$T/up.port"
	perl_up reset
	px_start "http://127.0.0.1:$UP_PORT"
	run pcurl -X DELETE "http://$PX/c"
	assert_output 202
	px_stop
	ds_start --latency 2000
	px_start "http://127.0.0.1:$PORT" --upstream-timeout 300ms
	run pcurl -X POST -d x "http://$PX/d"
	assert_output 202
	run pcurl "http://$PX/d"
	assert_output 504
	px_stop
	run sh -c "rd-audit --list | jq -r '.url + \" \" + .failure.type'"
	assert_line "http://no-such-host.invalid:8080/a dns"
	assert_line "https://127.0.0.1:$tls/b tls"
	assert_line "http://127.0.0.1:$UP_PORT/c network"
	assert_line "http://127.0.0.1:$PORT/d timeout"
	assert_equal "${#lines[@]}" 4
	# what the record says went wrong reads as a sentence ("no a
	# response head within ...")
	assert_equal "$(rd-audit --list | jq -r 'select(.failure.type == "timeout") | .failure.message')" \
		"the response head did not come within 300 ms"
}

@test "captures the statuses of --capture-status, only for --capture-methods" {
	ds_start --route /b502=502 --route /b503=503 --route /b504=504 --route /b500=500
	px_start "http://127.0.0.1:$PORT"
	for s in 502 503 504; do
		run pcurl -X POST -d x "http://$PX/b$s"
		assert_output 202
	done
	run pcurl -X POST -d x "http://$PX/b500"
	assert_output 500
	px_stop
	run sh -c "rd-audit --list | jq -r .failure.type | sort | tr '\n' ' '"
	assert_output "http_502 http_503 http_504 "
	rm -rf "$SPOOL"
	px_start "http://127.0.0.1:$PORT" --capture-status 500 --capture-methods PUT
	run pcurl -X PUT -d x "http://$PX/b500"
	assert_output 202
	run pcurl -X PUT -d x "http://$PX/b503"
	assert_output 503
	run pcurl -X POST -d x "http://$PX/b500"
	assert_output 500
	px_stop
	assert_equal "$(rd-audit --list | jq -r .failure.type)" http_500
}

@test "--answer upstream answers with the upstream's own error, and the ids" {
	ds_start --route /busy=503 --retry-after 3
	px_start "http://127.0.0.1:$PORT" --answer upstream
	run pcurl -X POST -d x "http://$PX/busy"
	assert_output 503
	assert_equal "$(cat "$T/b")" '{"ok":false}'
	assert_equal "$(hdr Retry-After)" 3
	id=$(hdr Redrive-Id)
	assert_equal "$(stored_ids)" "$id"
	px_stop
	# a long error body is cut at 64 KiB, never spliced from pieces
	perl_up big503
	px_start "http://127.0.0.1:$UP_PORT" --answer upstream
	run pcurl -X POST -d x "http://$PX/busy"
	assert_output 503
	assert_equal "$(wc -c < "$T/b")" 65536
	assert_equal "$(tr -d A < "$T/b" | tr -d B | wc -c)" 0
	assert_equal "$(tr -d A < "$T/b" | wc -c)" 5536
	px_stop
}

@test "a 304 is relayed with no Content-Length or framing rd-proxy would add" {
	perl_up 304
	px_start "http://127.0.0.1:$UP_PORT"
	run pcurl -H 'If-None-Match: "e1"' "http://$PX/page"
	assert_output 304
	assert_equal "$(hdr ETag)" '"e1"'
	# "Content-Length: 0" would tell a cache the page is empty
	tr -d '\r' < "$T/h" | grep -qi '^Content-Length:\|^Transfer-Encoding:' && fail "$(cat "$T/h")"
	px_stop
}

@test "a client's own idempotency key is kept, sent, stored and announced" {
	ds_start --route /busy=503 --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT"
	run pcurl -X POST -H 'Idempotency-Key: order-77' -d x "http://$PX/busy"
	assert_output 202
	assert_equal "$(hdr Idempotency-Key)" order-77
	assert_equal "$(jq -r .key "$T/ds.log")" order-77
	assert_equal "$(rd-audit --list | jq -r .idempotency_key)" order-77
	# one a record cannot hold (over 256 bytes) is not captured, and not
	# answered 202 for a record no reader would take: 503
	long=$(printf 'k%.0s' $(seq 300))
	run curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Idempotency-Key: $long" -d x "http://$PX/busy"
	assert_output 503
	grep -q 'not captured: the idempotency key header is over the 256 bytes' "$T/body" || fail "$(cat "$T/body")"
	# nor is a header value that is not UTF-8 (JSON, which records are,
	# cannot hold it)
	run curl -s -o "$T/body" -w '%{http_code}' -X POST -H $'X-Name: caf\xe9' -d x "http://$PX/busy"
	assert_output 503
	grep -q "('X-Name'): value is not valid UTF-8 at byte 3" "$T/body" || fail "$(cat "$T/body")"
	assert_equal "$(rd-audit --json | jq .requests)" 1
	run rd-audit --verify
	assert_success
	px_stop
}

@test "a key header sent twice: the same key is one, two different keys are refused with 400 and not forwarded" {
	ds_start --route /busy=503 --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT"
	run pcurl -X POST -H 'Idempotency-Key: k1' -H 'Idempotency-Key: k1' -d x "http://$PX/busy"
	assert_output 202
	assert_equal "$(hdr Idempotency-Key)" k1
	run curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Idempotency-Key: k1' \
		-H 'Idempotency-Key: k2' -d x "http://$PX/busy"
	assert_output 400
	grep -q 'Idempotency-Key repeated with different values' "$T/body" || fail "$(cat "$T/body")"
	assert_equal "$(wc -l < "$T/ds.log")" 1
	assert_equal "$(rd-audit --list | jq -r .idempotency_key)" k1
	# a method never captured has no key of rd-proxy's: forwarded as
	# sent (this upstream refuses two keys itself, and rd-proxy relays it)
	run curl -s -o "$T/body" -w '%{http_code}' -H 'Idempotency-Key: k1' \
		-H 'Idempotency-Key: k2' "http://$PX/a"
	assert_output 400
	assert_equal "$(cat "$T/body")" '{"ok":false}'
	px_stop
}

@test "a header value that is not UTF-8 (obs-text) is forwarded; only a capture that needs a record of it fails, with 503" {
	mkdir "$T/dump"
	ds_start --route /busy=503 --dump "$T/dump"
	px_start "http://127.0.0.1:$PORT"
	run pcurl -H $'X-Lat: caf\xe9' "http://$PX/a"
	assert_output 200
	run pcurl -X POST -H $'X-Lat: caf\xe9' -d x "http://$PX/b"
	assert_output 200
	grep -q $'^X-Lat: caf\xe9\r$' "$T/dump/000001.http"
	grep -q $'^X-Lat: caf\xe9\r$' "$T/dump/000002.http"
	# a GET's failure is relayed as ever; a POST's capture fails: 503,
	# never a 202 for a record no reader would take
	run pcurl -H $'X-Lat: caf\xe9' "http://$PX/busy"
	assert_output 503
	assert_equal "$(cat "$T/b")" '{"ok":false}'
	run pcurl -X POST -H $'X-Lat: caf\xe9' -d x "http://$PX/busy"
	assert_output 503
	assert_equal "$(hdr Retry-After)" 5
	assert_equal "$(hdr Redrive-Id)" ""
	grep -q "not delivered, and not captured: a record cannot hold the request: .*('X-Lat'): value is not valid UTF-8 at byte 3" "$T/b" ||
		fail "$(cat "$T/b")"
	px_stop
	assert_equal "$(stored_ids | wc -l)" 0
}

@test "captured requests replay byte-exact, with the key the 202 announced" {
	mkdir "$T/dump"
	head -c 3000 /dev/urandom > "$T/body.bin"
	# the first attempt of each key fails with 503: captured; the replay
	# is the second attempt and succeeds
	ds_start --fail-first 1 --dump "$T/dump" --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT"
	run pcurl -X POST -H 'Content-Type: application/octet-stream' \
		-H 'X-Order: 1' --data-binary @"$T/body.bin" "http://$PX/orders/1"
	assert_output 202
	key=$(hdr Idempotency-Key)
	px_stop
	run rd-replay -q
	assert_success
	assert_equal "$(ls "$T/dump" | wc -l)" 2
	# what the upstream got from the proxy and from the replay: the same bytes
	cmp "$T/dump/000001.http" "$T/dump/000002.http"
	grep -q "^Idempotency-Key: $key"$'\r$' "$T/dump/000002.http"
	sum=$(sha256sum < "$T/body.bin" | cut -d' ' -f1)
	run jq -r '[.status, .key, .sha256] | join(" ")' "$T/ds.log"
	assert_line --index 0 "503 $key $sum"
	assert_line --index 1 "200 $key $sum"
}

@test "a plain replay carries the first attempt's key, under its name: --no-idempotency-key, --idempotency-header" {
	mkdir "$T/dump"
	# the first attempts fail (503 while $T/down exists) and are captured
	ds_start --outage-file "$T/down" --dump "$T/dump" --log "$T/ds.log"
	touch "$T/down"
	# a client's own key, forwarded as sent, is the record's and the
	# replay's: rd-proxy only adds none
	px_start "http://127.0.0.1:$PORT" --no-idempotency-key
	run pcurl -X POST -H 'Idempotency-Key: mine' -d x "http://$PX/a"
	assert_output 202
	assert_equal "$(hdr Idempotency-Key)" ""
	assert_equal "$(jq -r .idempotency_key "$T/b")" mine
	px_stop
	assert_equal "$(rd-audit --list | jq -r .idempotency_key)" mine
	rm "$T/down"
	run rd-replay -q
	assert_success
	run jq -r '[.status, .key] | join(" ")' "$T/ds.log"
	assert_line --index 0 "503 mine"
	assert_line --index 1 "200 mine"
	# the header of --idempotency-header is replayed, not only
	# rd-replay's Idempotency-Key
	touch "$T/down"
	px_start "http://127.0.0.1:$PORT" --idempotency-header X-Idem
	run pcurl -X POST -d x "http://$PX/b"
	assert_output 202
	id=$(hdr Redrive-Id)
	assert_equal "$(hdr X-Idem)" "$id"
	px_stop
	rm "$T/down"
	run rd-replay -q
	assert_success
	first=$(grep -l '^POST /b ' "$T"/dump/* | head -n 1)
	again=$(grep -l '^POST /b ' "$T"/dump/* | tail -n 1)
	[ "$first" != "$again" ]
	assert_equal "$(tr -d '\r' < "$first" | grep -i '^X-Idem:')" "X-Idem: $id"
	assert_equal "$(tr -d '\r' < "$again" | grep -i '^X-Idem:')" "X-Idem: $id"
	# rd-replay's own Idempotency-Key, which the first attempt did not
	# carry, has the same key
	run jq -r 'select(.path == "/b") | "\(.status) [\(.key)]"' "$T/ds.log"
	assert_line --index 0 "503 []"
	assert_line --index 1 "200 [$id]"
	# a client's own Idempotency-Key beside X-Idem goes again as the
	# first attempt sent it (a plain replay put the record's key there,
	# and a service keyed on it would act twice)
	touch "$T/down"
	px_start "http://127.0.0.1:$PORT" --idempotency-header X-Idem
	run pcurl -X POST -H 'Idempotency-Key: ik-B' -d x "http://$PX/c"
	assert_output 202
	id=$(hdr Redrive-Id)
	px_stop
	rm "$T/down"
	run rd-replay -q
	assert_success
	run jq -r 'select(.path == "/c") | "\(.status) \(.key)"' "$T/ds.log"
	assert_line --index 0 "503 ik-B"
	assert_line --index 1 "200 ik-B"
	again=$(grep -l '^POST /c ' "$T"/dump/* | tail -n 1)
	assert_equal "$(tr -d '\r' < "$again" | grep -ci '^Idempotency-Key:')" 1
	assert_equal "$(tr -d '\r' < "$again" | grep -i '^X-Idem:')" "X-Idem: $id"
}

@test "the service's log says when the upstream starts failing, while it fails, and when it answers again; not a line a request" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	px_start "http://127.0.0.1:$PORT"
	for i in 1 2 3; do
		run pcurl -X POST -d x "http://$PX/a$i"
		assert_output 202
	done
	run pcurl "http://$PX/g"
	assert_output 503
	wait_until 10 grep -q 'upstream failing' "$T/px.err"
	grep -qE '^rd-proxy: upstream failing: [1-4] requests? in the last second, none answered \(HTTP 503\)$' "$T/px.err" ||
		fail "$(cat "$T/px.err")"
	rm "$T/down"
	run pcurl -X POST -d x "http://$PX/b"
	assert_output 200
	wait_until 10 grep -q 'upstream answering again' "$T/px.err"
	grep -qE '^rd-proxy: upstream answering again, after [0-9]+ s failing$' "$T/px.err" || fail "$(cat "$T/px.err")"
	assert_equal "$(grep -c '^rd-proxy: upstream' "$T/px.err")" 2
	px_stop
	# an upstream nobody listens on: why, in curl's words
	px_start "http://127.0.0.1:$(dead_port)"
	run pcurl -X POST -d x "http://$PX/c"
	assert_output 202
	wait_until 10 grep -q 'upstream failing' "$T/px.err"
	grep -qE '^rd-proxy: upstream failing: 1 request in the last second, none answered \(connect: .+\)$' "$T/px.err" ||
		fail "$(cat "$T/px.err")"
	px_stop
	# while it fails, a count each minute: 30 times as fast under
	# libfaketime (preloaded, so that rd-proxy itself is stopped by PID)
	local lib
	lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2> /dev/null | head -n 1)
	[ -n "$lib" ] || skip "libfaketime is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	rm "$T/px.err"          # (the last one's "listening on" is not this one's)
	LD_PRELOAD=$lib FAKETIME='+0 x30' rd-proxy --listen 127.0.0.1:0 \
		--upstream "http://127.0.0.1:$(dead_port)" --spool "$SPOOL" 2> "$T/px.err" 3>&- &
	PX_PID=$!
	wait_until 10 grep -q 'listening on' "$T/px.err"
	PX=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$T/px.err")
	for i in $(seq 12); do
		run pcurl -X POST -d x "http://$PX/e$i"
		assert_output 202
		sleep 0.3
	done
	wait_until 10 grep -q 'upstream still failing' "$T/px.err"
	grep -qE '^rd-proxy: upstream still failing: [0-9]+ requests in the last minute \(connect: .+\)$' "$T/px.err" ||
		fail "$(cat "$T/px.err")"
	assert_equal "$(grep -c 'upstream failing' "$T/px.err")" 1
	px_stop
}

@test "a spool removed or replaced while rd-proxy runs: it goes on in the one its path names, and says so" {
	px_start "http://127.0.0.1:$(dead_port)"
	run pcurl -X POST -d a "http://$PX/a"
	assert_output 202
	# removed: made again, as at the first capture (every capture was
	# answered 503 until a restart: the segment could not be made in
	# the directory removed)
	rm -rf "$SPOOL"
	run pcurl -X POST -d b "http://$PX/b"
	assert_output 202
	assert_equal "$(rd-audit --list | jq -r .body)" b
	# replaced, as a rotation does
	mv "$SPOOL" "$T/old"
	mkdir -m 700 "$SPOOL"
	run pcurl -X POST -d c "http://$PX/c"
	assert_output 202
	assert_equal "$(rd-audit --list | jq -r .body)" c
	assert_equal "$(rd-audit --spool "$T/old" --list | jq -r .body)" b
	px_stop
	grep -qx "rd-proxy: spool '$SPOOL' was removed and made again while in use: writing to the one there now" "$T/px.err" ||
		fail "$(cat "$T/px.err")"
	grep -qx "rd-proxy: spool '$SPOOL' was replaced while in use: writing to the one there now" "$T/px.err" ||
		fail "$(cat "$T/px.err")"
	run rd-audit --verify
	assert_success
}

@test "breaker open: captured without touching the upstream; closed: forwarded again" {
	ds_start --log "$T/ds.log"
	dead=$(dead_port)
	run rd-health -q --state "$T/brk" --open-after 1 --cooldown 0s --close-after 1 \
		--url "http://127.0.0.1:$dead/health"
	assert_failure 1
	[ "$(jq -r .state "$T/brk")" = open ]
	px_start "http://127.0.0.1:$PORT" --breaker "$T/brk"
	run pcurl -X POST -d x "http://$PX/orders/1"
	assert_output 202
	run pcurl "http://$PX/orders/1"
	assert_output 503
	assert_equal "$(hdr Retry-After)" 5
	assert_equal "$(wc -c < "$T/ds.log")" 0
	assert_equal "$(rd-audit --list | jq -r '[.failure.type, .attempts] | join(" ")')" "breaker 0"
	# the upstream is healthy again: one good probe makes it half-open,
	# the next closes it; forwarding resumes at half-open
	run rd-health -q --state "$T/brk" --open-after 1 --cooldown 0s --close-after 2 \
		--url "http://127.0.0.1:$PORT/health"
	[ "$(jq -r .state "$T/brk")" = half-open ]
	for i in $(seq 40); do
		grep -q 'breaker half-open' "$T/px.err" && break
		sleep 0.1
	done
	run rd-health -q --state "$T/brk" --open-after 1 --cooldown 0s --close-after 2 \
		--url "http://127.0.0.1:$PORT/health"
	assert_success
	for i in $(seq 40); do
		[ "$(pcurl -X POST -d x "http://$PX/orders/2")" = 200 ] && break
		sleep 0.1
	done
	assert_equal "$(cat "$T/b")" "$(jq -c . "$T/b")"
	grep -q '"path":"/orders/2"' "$T/ds.log"
	for i in $(seq 100); do
		grep -q 'breaker closed' "$T/px.err" && break
		sleep 0.1
	done
	px_stop
	# each state is in the service's log, without -v, in order, the one
	# it started with after the line saying where it listens
	run grep -o -e 'listening on' -e 'breaker .*' "$T/px.err"
	assert_output "$(printf '%s\n' 'listening on' 'breaker open: capturing without forwarding' \
		'breaker half-open: forwarding, a probe decides' 'breaker closed: forwarding')"
}

@test "-v shows the server's notices, and no warning of libmicrohttpd's about its own options" {
	ds_start
	px_start "http://127.0.0.1:$PORT" -v --metrics-listen 127.0.0.1:0
	px_stop
	grep -q 'listening on' "$T/px.err"
	run grep -c 'not the first option' "$T/px.err"
	assert_output 0
}

@test "worker threads: a listening socket each on the one port; a second rd-proxy there is refused" {
	ngx_start
	px_start "http://127.0.0.1:$NGX_PORT" --threads 2
	port=${PX##*:}
	# one socket per thread (SO_REUSEPORT), so the kernel spreads the
	# connections; one shared socket went mostly to one thread
	assert_equal "$(ss -Hltn "sport = :$port" | wc -l)" 2
	for i in $(seq 20); do
		run curl -s -o /dev/null -w '%{http_code}' "http://$PX/t$i"
		assert_output 200
	done
	# the port is taken: another rd-proxy fails as on any busy port
	for n in 1 2; do
		run rd-proxy --listen "$PX" --upstream "http://127.0.0.1:$NGX_PORT" \
			--spool "$SPOOL.2" --threads "$n"
		assert_failure 2
		assert_output --partial "cannot listen on '$PX'"
	done
	px_stop
	assert_equal "$(ss -Hltn "sport = :$port" | wc -l)" 0
}

@test "SIGTERM drains requests in flight; SIGHUP reopens the access log; secrets are redacted" {
	ds_start --latency 800
	px_start "http://127.0.0.1:$PORT" --access-log "$T/acc.log"
	run pcurl "http://$PX/a?token=s3cr3t&page=2"
	assert_output 200
	mv "$T/acc.log" "$T/acc.log.1"
	kill -HUP "$PX_PID"
	wait_until 10 test -e "$T/acc.log"
	run pcurl -X POST -d x "http://$PX/b"
	assert_output 200
	assert_equal "$(jq -r .url "$T/acc.log.1")" "http://127.0.0.1:$PORT/a?token=[REDACTED]&page=2"
	grep -q s3cr3t "$T/acc.log.1" && fail "a secret in the access log"
	assert_equal "$(jq -r '[.method, .status, .outcome] | join(" ")' "$T/acc.log")" "POST 200 forwarded"
	# a request refused before its URL was rebased: logged as received,
	# its credentials masked
	raw 'GET http://alice:hunter2@example.com/abs?token=zz HTTP/1.1\r\nHost: x\r\nX-A: a\001b\r\n\r\n' > /dev/null
	wait_until 10 grep -q '"status":400' "$T/acc.log"
	assert_equal "$(jq -r 'select(.status == 400) | .url' "$T/acc.log")" "http://[REDACTED]@example.com/abs"
	grep -q 'hunter2\|zz' "$T/acc.log" && fail "a secret in the access log"
	# a request in flight when SIGTERM comes is answered, then it exits 0
	pcurl "http://$PX/slow" > "$T/code" &
	cl=$!
	# in flight: the downstream has it (it answers 800 ms later)
	wait_until 10 grep -q '"path":"/slow"' "$T/ds.log"
	px_stop
	wait "$cl"
	assert_equal "$(cat "$T/code")" 200
}

@test "SIGTERM: new connections are refused at once; past the grace, a POST still at the upstream is captured (202), a GET gets 503" {
	ds_start --latency 8000
	px_start "http://127.0.0.1:$PORT" --grace 2s --threads 3
	curl -s -D "$T/ph" -o /dev/null -w '%{http_code}' -X POST -d x "http://$PX/orders" > "$T/post" &
	c1=$!
	curl -s -D "$T/gh" -o /dev/null -w '%{http_code}' "http://$PX/slow" > "$T/get" &
	c2=$!
	# in flight: the downstream has both (it answers 8 s later)
	wait_until 10 grep -q '"path":"/slow"' "$T/ds.log"
	wait_until 10 grep -q '"path":"/orders"' "$T/ds.log"
	kill -TERM "$PX_PID"
	sleep 0.5
	# the listening socket is closed: refused now, not accepted and
	# reset at the stop
	run curl -s -m 5 -o /dev/null "http://$PX/new"
	assert_equal "$status" 7
	wait "$c1"
	wait "$c2"
	# the grace ran out: the POST is captured as a timeout (the
	# upstream may have acted; its replay carries the same key), the
	# GET gets 503
	assert_equal "$(cat "$T/post")" 202
	assert_equal "$(cat "$T/get")" 503
	assert_equal "$(tr -d '\r' < "$T/gh" | sed -n 's/^Retry-After: //p')" 5
	id=$(tr -d '\r' < "$T/ph" | sed -n 's/^Redrive-Id: //p')
	px_stop
	grep -q 'grace over with 2 requests in flight' "$T/px.err"
	assert_equal "$(stored_ids)" "$id"
	assert_equal "$(rd-audit --list | jq -r '[.failure.type, .attempts] | join(" ")')" "timeout 1"
}

@test "SIGTERM: a capture waiting for its sync is answered at once" {
	# --fsync interval: a captured request waits for the next sync (30 s
	# here), but draining syncs it now, and its 202 goes out in the grace
	px_start "http://127.0.0.1:$(dead_port)" --fsync interval --fsync-interval 30s
	pcurl -X POST -d x "http://$PX/orders" > "$T/code" &
	cl=$!
	# written (a segment begins with the first record), not yet synced
	written() { compgen -G "$SPOOL/*.ndjson.gz" > /dev/null; }
	wait_until 10 written
	kill -TERM "$PX_PID"
	wait "$cl"
	assert_equal "$(cat "$T/code")" 202
	px_stop
	assert_equal "$(stored_ids)" "$(hdr Redrive-Id)"
}

@test "/metrics: Prometheus text that promtool accepts, with the counts" {
	ds_start --route /busy=503
	px_start "http://127.0.0.1:$PORT" --metrics-listen 127.0.0.1:0
	pcurl "http://$PX/a" > /dev/null
	pcurl -X POST -d x "http://$PX/busy" > /dev/null
	pcurl "http://$PX/busy" > /dev/null
	run curl -s "http://$METRICS/metrics"
	assert_success
	echo "$output" > "$T/m.txt"
	run promtool check metrics < "$T/m.txt"
	assert_success
	grep -q '^rd_proxy_requests_total{outcome="forwarded"} 1$' "$T/m.txt"
	grep -q '^rd_proxy_requests_total{outcome="captured"} 1$' "$T/m.txt"
	grep -q '^rd_proxy_requests_total{outcome="relayed_error"} 1$' "$T/m.txt"
	grep -q '^rd_proxy_capture_seconds_count 1$' "$T/m.txt"
	run curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/other"
	assert_output 404
	px_stop
}

@test "kill -9 under load: every id a 202 announced is stored, and no 202 without a record" {
	px_start "http://127.0.0.1:$(dead_port)" --fsync batch --threads 3
	mkdir "$T/h.d"
	seq 400 | xargs -P 16 -I{} sh -c \
		"curl -s -m 5 -D '$T/h.d/{}' -o /dev/null -X POST -d '{\"n\":{}}' 'http://$PX/o/{}' || true" &
	load=$!
	# kill once the first 202 is out, while the other clients still send
	has_202() { cat "$T"/h.d/* 2> /dev/null | grep -q '^Redrive-Id:'; }
	wait_until 20 has_202
	kill -9 "$PX_PID"
	PX_PID=""
	wait "$load" || true
	cat "$T"/h.d/* 2> /dev/null | tr -d '\r' | sed -n 's/^Redrive-Id: //p' | sort > "$T/announced"
	[ "$(wc -l < "$T/announced")" -gt 0 ]
	stored_ids > "$T/stored"
	assert_equal "$(comm -23 "$T/announced" "$T/stored" | wc -l)" 0
	run rd-audit --verify
	assert_success
}

@test "usage errors and unusable sockets exit 2" {
	run rd-proxy --upstream http://127.0.0.1:1
	assert_failure 2
	assert_output --partial "give --listen ADDR:PORT and --upstream URL"
	run rd-proxy --listen 127.0.0.1:0 --upstream ftp://x --spool "$SPOOL"
	assert_failure 2
	assert_output --partial "is not an http or https URL"
	# an upstream's credentials are masked where it is named
	run rd-proxy --listen 127.0.0.1:0 --upstream 'http://bob:hunter2@127.0.0.1:1/?token=hunter2' --spool "$SPOOL"
	assert_failure 2
	assert_output --partial "upstream 'http://[REDACTED]@127.0.0.1:1/?token=[REDACTED]'"
	refute_output --partial hunter2
	px_start "http://bob:hunter2@127.0.0.1:1"
	grep -q 'forwarding to http://\[REDACTED\]@127.0.0.1:1,' "$T/px.err" || fail "$(cat "$T/px.err")"
	grep -q hunter2 "$T/px.err" && fail "a secret on standard error"
	px_stop
	run rd-proxy --listen nowhere --upstream http://127.0.0.1:1 --spool "$SPOOL"
	assert_failure 2
	assert_output --partial "rd-proxy: --listen: 'nowhere' is not ADDR:PORT"
	# a method in lower case would capture nothing: refused (it started,
	# and relayed every failed POST)
	run rd-proxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --spool "$SPOOL" --capture-methods POST,put
	assert_failure 2
	assert_output --partial "rd-proxy: --capture-methods: 'put' has lower-case letters, and methods are case-sensitive"
	# a port out of range is refused, not bound as another port (where it
	# was, rd-proxy ran: the timeout ends it)
	run timeout 10 rd-proxy --listen 127.0.0.1:99999 --upstream http://127.0.0.1:1 --spool "$SPOOL"
	assert_failure 2
	assert_line "rd-proxy: --listen: '127.0.0.1:99999': the port is not a number from 0 to 65535"
	run rd-proxy --listen 127.0.0.1:0 --metrics-listen ::1:9464 --upstream http://127.0.0.1:1 --spool "$SPOOL"
	assert_failure 2
	assert_line "rd-proxy: --metrics-listen: '::1:9464': an IPv6 address goes in brackets, as in [::1]:8080"
	run rd-proxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --answer 200
	assert_failure 2
	# a key in a header rd-proxy does not forward as sent would never
	# reach the upstream, or would break the request's framing
	for h in Host Connection Keep-Alive Content-Length Transfer-Encoding TE Upgrade Expect; do
		run timeout 10 rd-proxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --spool "$SPOOL" \
			--idempotency-header "$h"
		assert_failure 2
		assert_line --index 0 --regexp "^rd-proxy: --idempotency-header: '$h' is (a hop-by-hop or framing field|set by rd-proxy|answered by rd-proxy)"
	done
	run timeout 10 rd-proxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --spool "$SPOOL" \
		--idempotency-header Redrive-Id
	assert_failure 2
	ds_start
	run rd-proxy --listen "127.0.0.1:$PORT" --upstream http://127.0.0.1:1 --spool "$SPOOL"
	assert_failure 2
	assert_output --partial "cannot listen on"
}

@test "a --cacert file that cannot be read exits 2 at start, naming it" {
	# (it started, and then every GET got 502 and every POST was
	# captured as a TLS failure)
	run timeout 10 rd-proxy --listen 127.0.0.1:0 --upstream https://127.0.0.1:1 \
		--spool "$SPOOL" --cacert "$T/no-such.pem"
	assert_failure 2
	assert_line --index 0 "rd-proxy: --cacert: cannot read '$T/no-such.pem': No such file or directory"
	run timeout 10 rd-proxy --listen 127.0.0.1:0 --upstream https://127.0.0.1:1 \
		--spool "$SPOOL" --cacert "$T"
	assert_failure 2
	assert_line --index 0 "rd-proxy: --cacert: '$T' is a directory, not a file of CA certificates"
}

@test "the systemd unit's command runs: it forwards, reloads its log and stops with 0" {
	unit="$RD_TOP/examples/systemd/rd-proxy.service"
	grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' "$unit"
	grep -q '^RestartPreventExitStatus=2$' "$unit"
	ds_start
	mkdir -p "$T/var/lib/redrive" "$T/var/log/redrive" "$T/var/spool"
	# the spool's parent, made as the unit makes it, for its user
	pre=$(sed -n 's/^ExecStartPre=+//p' "$unit" | sed -e "s|/var/|$T/var/|g" \
		-e "s|-o redrive -g redrive|-o $(id -un) -g $(id -gn)|")
	sh -c "$pre"
	assert_equal "$(stat -c '%a %U' "$T/var/spool/redrive")" "700 $(id -un)"
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed \
		-e "s|/usr/local/bin/rd-proxy|rd-proxy|" -e "s|/var/|$T/var/|g" \
		-e "s|127.0.0.1:8080|127.0.0.1:0|" -e "s|127.0.0.1:9464|127.0.0.1:0|" \
		-e "s|127.0.0.1:9000|127.0.0.1:$PORT|")
	spool=$(sed -n 's/^Environment=RD_SPOOL=//p' "$unit" | sed "s|/var/|$T/var/|")
	(export RD_SPOOL="$spool"; eval "exec $cmd") 2> "$T/px.err" 3>&- &
	PX_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$T/px.err" && break; sleep 0.05; done
	PX=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$T/px.err")
	run pcurl "http://$PX/a"
	assert_output 200
	mv "$T/var/log/redrive/proxy.log" "$T/moved.log"
	kill -HUP "$PX_PID"
	wait_until 10 test -e "$T/var/log/redrive/proxy.log"
	run pcurl "http://$PX/b"
	assert_output 200
	grep -q '"url":"http://127.0.0.1:'"$PORT"'/b"' "$T/var/log/redrive/proxy.log"
	px_stop
	grep -qF "capturing into '$spool'" "$T/px.err"
}
