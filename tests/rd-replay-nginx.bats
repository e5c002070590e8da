#!/usr/bin/env bats
# rd-replay against Debian's nginx on 127.0.0.1: connection reuse,
# HTTP/2 over TLS, and certificate verification.

load common

setup() { common_setup; }
teardown() { ngx_stop; common_teardown; }

# Capture n GET requests for the nginx under test.
capture_ngx() {
	local scheme=$1 n=$2
	seq "$n" | awk -v s="$scheme" -v p="$NGX_PORT" '{
		printf "{\"method\":\"POST\",\"url\":\"%s://127.0.0.1:%s/o/%d\",\"body\":\"n=%d\"}\n", s, p, $1, $1
	}' | rd-capture -q > /dev/null
}

# The access log's lines.  nginx writes one after its answer, so a
# count is taken once at least $1 are there (10 s at most), or after a
# moment when none are expected.
log_lines() {
	local want=${1:-0}
	count() { [ "$(wc -l < "$T/nginx/access.log")" -ge "$want" ]; }
	if [ "$want" -gt 0 ]; then wait_until 10 count || true; else sleep 0.2; fi
	wc -l < "$T/nginx/access.log"
}

@test "replays into nginx over kept-alive connections" {
	ngx_start
	capture_ngx http 300
	run rd-replay --rate max -c 4
	assert_success
	assert_equal "$(log_lines 300)" 300
	# one line per record, its key included
	assert_equal "$(awk '{print $5}' "$T/nginx/access.log" | sort -u | wc -l)" 300
	# connections were reused: no more than the concurrency
	conns=$(awk '{print $7}' "$T/nginx/access.log" | sort -u | wc -l)
	[ "$conns" -le 4 ]
	assert_equal "$(awk '{print $6}' "$T/nginx/access.log" | sort -u)" HTTP/1.1
}

@test "TLS is verified: refused without --cacert, HTTP/2 with it, or with --insecure" {
	ngx_start --tls
	capture_ngx https 5
	run rd-replay --rate max --max-time 2s --backoff 5s
	assert_failure 1
	assert_equal "$(log_lines)" 0
	spool_events attempt | jq -e -s '(map(.ref) | unique | length) == 5 and all(.status == 0 and (.error | test("certificate"; "i")))'
	run rd-replay --rate max --cacert "$T/nginx/cert.pem" --backoff 1ms
	assert_success
	assert_equal "$(log_lines 5)" 5
	assert_equal "$(awk '{print $6}' "$T/nginx/access.log" | sort -u)" HTTP/2.0
	# --insecure, and --http1.1 to pin the protocol
	capture_ngx https 2
	run rd-replay --rate max --insecure --http1.1
	assert_success
	assert_equal "$(awk '{print $6}' "$T/nginx/access.log" | tail -2 | sort -u)" HTTP/1.1
}
