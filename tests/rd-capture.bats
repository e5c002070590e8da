#!/usr/bin/env bats
# rd-capture: input modes, output, exit codes, bad input and permissions.

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

@test "the README example: one NDJSON record prints one id and zcat | jq shows it" {
	run rd-capture -d "$SPOOL" <<< '{"method":"POST","url":"http://127.0.0.1:8080/x","body":"hi","failure":{"type":"http_503","status":503}}'
	assert_success
	assert_output --regexp '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'
	id=$output
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -r 'select(.id == \"$id\") | [.method, .url, .body, .failure.type, .failure.status, .v, .kind, .idempotency_key == .id] | @tsv'"
	assert_success
	assert_output "$(printf 'POST\thttp://127.0.0.1:8080/x\thi\thttp_503\t503\t1\trequest\ttrue')"
}

@test "NDJSON stream: ids in input order, every record stored exactly" {
	for i in $(seq 1 500); do rec "$i"; done > "$T/in.ndjson"
	run rd-capture < "$T/in.ndjson"
	assert_success
	ids=$output
	assert_equal "$(echo "$output" | wc -l)" 500
	assert_equal "$(echo "$output" | sort -c && echo sorted)" sorted
	spool_lines | jq -c '{method, url, headers, body, failure, tags}' > "$T/stored"
	jq -c '{method, url, headers, body, failure, tags: .tags}' "$T/in.ndjson" > "$T/want"
	run diff "$T/want" "$T/stored"
	assert_success
	# Stored ids are the printed ids, in the same order.
	assert_equal "$(spool_lines | jq -r .id)" "$ids"
}

@test "binary body round-trips byte for byte through --data-binary and zcat | jq" {
	head -c 4096 /dev/urandom > "$T/body.bin"
	run rd-capture -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$T/body.bin" --failure timeout http://127.0.0.1:9/blob
	assert_success
	spool_lines | jq -r .body_b64 | base64 -d > "$T/back.bin"
	assert_equal "$(sha256sum < "$T/back.bin")" "$(sha256sum < "$T/body.bin")"
	# curl's own User-Agent and Accept come first, as curl sends them
	assert_equal "$(spool_lines | jq -r '[.method, .failure.type, .headers[2][1]] | @tsv')" "$(printf 'PUT\ttimeout\tapplication/octet-stream')"
}

@test "binary body in NDJSON (body_b64) round-trips" {
	head -c 1000 /dev/urandom > "$T/b.bin"
	b64=$(base64 -w0 < "$T/b.bin")
	run rd-capture <<< "{\"method\":\"POST\",\"url\":\"https://h.example/\",\"body_b64\":\"$b64\"}"
	assert_success
	spool_lines | jq -r .body_b64 | base64 -d | cmp - "$T/b.bin"
}

@test "curl-like flags: method, ordered duplicate headers, data, failure and tags" {
	run rd-capture -H 'X-A: 1' -H 'X-A: 2' --data 'a=1' --data 'b=2' --failure connect --status 0 --message 'refused' --attempts 2 --idempotency-key k-1 --tag svc=pay --tag env=prod http://127.0.0.1:1/p
	assert_success
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.method, .headers, .body, .failure, .attempts, .idempotency_key, .tags]'"
	assert_output '["POST",[["User-Agent","curl/7.88.1"],["Accept","*/*"],["X-A","1"],["X-A","2"],["Content-Type","application/x-www-form-urlencoded"]],"a=1&b=2",{"type":"connect","message":"refused"},2,"k-1",{"svc":"pay","env":"prod"}]'
}

@test "--data @file strips newlines like curl -d; --data-binary keeps them" {
	printf 'a=1\nb=2\r\n' > "$T/f"
	rd-capture --data @"$T/f" http://h.example/1 >/dev/null
	rd-capture --data-binary @"$T/f" http://h.example/2 >/dev/null
	run sh -c "zcat '$SPOOL'/*.gz | jq -c .body"
	assert_output "$(printf '"a=1b=2"\n"a=1\\nb=2\\r\\n"')"
}

@test "--json prints one object per stored record" {
	{ rec 1; rec 2; } | rd-capture --json > "$T/out"
	run jq -r '[.input, .method, .url, (.id | length)] | @tsv' "$T/out"
	assert_output "$(printf '1\tPOST\thttp://127.0.0.1:8080/orders/1\t26\n2\tPOST\thttp://127.0.0.1:8080/orders/2\t26')"
}

@test "raw HTTP/1.1 messages, pipelined, become records" {
	printf 'POST /api/orders?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}GET http://other.example/ping HTTP/1.1\r\nHost: other.example\r\n\r\n' > "$T/req.http"
	run rd-capture --raw --failure http_502 --status 502 -i "$T/req.http"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 2
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.method, .url, .body, .failure.type]'"
	assert_output "$(printf '%s\n%s' '["POST","http://127.0.0.1:8080/api/orders?x=1","{\"a\":1}","http_502"]' '["GET","http://other.example/ping","","http_502"]')"
}

@test "raw HTTP: a bad message is rejected with its byte offset, exit 1" {
	printf 'POST /x HTTP/1.1\r\nBad Header: v\r\n\r\n' > "$T/bad.http"
	run rd-capture --raw -i "$T/bad.http"
	assert_failure 1
	assert_output --partial 'rd-capture: message 1: byte'
	assert_output --partial 'header name is not a token'
	assert_file_not_exists "$SPOOL/00000000000000000001.ndjson.gz"
}

@test "--jq maps a HAR file with the shipped example filter" {
	run rd-capture --jq "$(cat "$RD_TOP/examples/har.jq")" -i "$RD_TOP/tests/data/sample.har"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 2
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.method, .url, .headers[0], .body, .failure.type, .failure.status]'"
	assert_line --index 0 '["POST","https://api.example.com/v1/orders",["content-type","application/json"],"{\"sku\":\"A-1\",\"qty\":2}","http_503",503]'
	assert_line --index 1 --partial '"GET","https://api.example.com/v1/orders/42"'
}

@test "--jq: a filter error or an unusable output rejects that input only" {
	printf '{"u":"http://h.example/1"}\n{"u":5}\n{"u":"http://h.example/3"}\n' > "$T/in"
	run rd-capture --jq '{method:"GET", url:(if (.u|type)=="string" then .u else error("u is not a string") end)}' -i "$T/in"
	assert_failure 1
	assert_line --partial 'rd-capture: input 2, output 1: jq: u is not a string'
	assert_equal "$(spool_lines | wc -l)" 2
}

@test "--jq: a filter that does not compile is a usage error, exit 2" {
	run rd-capture --jq '{{{' < /dev/null
	assert_failure 2
	assert_output --partial 'jq filter does not compile'
}

@test "bad NDJSON lines are rejected by line number, the rest is stored, exit 1" {
	{
		rec 1
		echo '{"method":"GET","url":"http://h.example/","headers":[["X","a\r\nInjected: 1"]]}'
		echo 'not json'
		echo '{"method":"GET","url":"gopher://h.example/"}'
		echo '{"method":"G E T","url":"http://h.example/"}'
		echo '{"method":"GET","url":"http://h.example/","extra":1}'
		echo ''
		rec 8
	} > "$T/in"
	run rd-capture --reject "$T/rejects" < "$T/in"
	assert_failure 1
	assert_line --regexp '^[0-7][0-9A-Z]{25}$'
	assert_line "rd-capture: line 2: field 'headers' entry 1 ('X'): value contains CR, LF, NUL or another control byte"
	assert_line "rd-capture: line 3: invalid JSON: byte 1: invalid literal"
	assert_line "rd-capture: line 4: field 'url': not an absolute http or https URL"
	assert_line "rd-capture: line 5: field 'method': not an HTTP method token"
	assert_line "rd-capture: line 6: unknown field 'extra'"
	assert_equal "$(spool_lines | jq -r .url)" "$(printf 'http://127.0.0.1:8080/orders/1\nhttp://127.0.0.1:8080/orders/8')"
	# The reject file holds the bad lines verbatim, in order.
	assert_equal "$(cat "$T/rejects")" "$(sed -n '2,6p' "$T/in")"
	assert_file_permission 600 "$T/rejects"
}

@test "a record over --max-record-size is refused without being stored" {
	{ rec 1; printf '{"method":"POST","url":"http://h.example/","body":"%s"}\n' "$(head -c 5000 /dev/zero | tr '\0' a)"; rec 3; } > "$T/in"
	run rd-capture --max-record-size 2K --reject "$T/rej" < "$T/in"
	assert_failure 1
	assert_line 'rd-capture: line 2: record is larger than the 2048-byte limit (--max-record-size)'
	assert_equal "$(spool_lines | wc -l)" 2
	assert_equal "$(cat "$T/rej")" "$(sed -n 2p "$T/in")"
}

@test "header values with CR, LF or NUL are refused from flags too" {
	run rd-capture -H "$(printf 'X-A: a\rb')" http://h.example/
	assert_failure 1
	assert_output --partial "value contains CR, LF, NUL"
	assert_file_not_exists "$SPOOL/00000000000000000001.ndjson.gz"
}

@test "usage errors exit 2 with a hint" {
	run rd-capture --fsync sometimes < /dev/null
	assert_failure 2
	assert_line --index 0 "rd-capture: --fsync: 'sometimes' is not an fsync policy (always, batch, interval, never)"
	assert_line --index 1 "Try 'rd-capture --help' for more information."
	run rd-capture -H 'no colon' http://h.example/
	assert_failure 2
	run rd-capture --raw --jq . < /dev/null
	assert_failure 2
	run rd-capture --failure timeout < /dev/null
	assert_failure 2
	run rd-capture -X POST
	assert_failure 2
	run rd-capture --bogus
	assert_failure 2
	assert_output "$(printf '%s\n' "rd-capture: unknown option '--bogus'" "Try 'rd-capture --help' for more information.")"
	run rd-capture -qz < /dev/null
	assert_failure 2
	assert_line --index 0 "rd-capture: unknown option '-z'"
	run rd-capture --fsync
	assert_failure 2
	assert_line --index 0 "rd-capture: option '--fsync' needs a value"
}

@test "-h and -V print to stdout and exit 0" {
	run rd-capture --help
	assert_success
	assert_line --index 0 --partial 'Usage: rd-capture'
	run rd-capture -V
	assert_success
	assert_output --regexp '^rd-capture [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the spool is private: directory 0700, files 0600, whatever the umask" {
	umask 000
	rec 1 | rd-capture >/dev/null
	assert_file_permission 700 "$SPOOL"
	for f in "$SPOOL"/*; do assert_file_permission 600 "$f"; done
}

@test "every fsync policy stores and acknowledges every record" {
	for p in always batch interval never; do
		for i in $(seq 1 50); do rec "$i"; done | rd-capture -d "$T/$p" --fsync "$p" --fsync-interval 10ms > "$T/$p.ids"
		assert_equal "$(wc -l < "$T/$p.ids")" 50
		assert_equal "$(spool_lines "$T/$p" | wc -l)" 50
	done
	# always: one member per record.
	assert_equal "$(( ($(stat -c %s "$T/always/00000000000000000001.idx") - 16) / 48 ))" 50
}

@test "segments roll at --segment-size and sort in log order" {
	for i in $(seq 1 3000); do rec "$i"; done > "$T/in"
	rd-capture --segment-size 8K < "$T/in" > "$T/ids"
	n=$(ls "$SPOOL"/*.ndjson.gz | wc -l)
	[ "$n" -ge 3 ]
	for f in "$SPOOL"/*.ndjson.gz; do [ "$(stat -c %s "$f")" -le 8192 ]; done
	assert_equal "$(spool_lines | jq -r .id)" "$(cat "$T/ids")"
	for f in "$SPOOL"/*.ndjson.gz; do gzip -t "$f"; done
}

@test "--max-spool-size refuses new records with a clear error, exit 2" {
	for i in $(seq 1 20000); do rec "$i"; done > "$T/in"
	run rd-capture --max-spool-size 64K < "$T/in"
	assert_failure 2
	assert_output --partial "is full"
	stored=$(echo "$output" | grep -c '^[0-7][0-9A-Z]\{25\}$' || true)
	# Every id printed is in the spool, and nothing else is.
	assert_equal "$(spool_lines | wc -l)" "$stored"
}

@test "an unknown backend is refused" {
	run rd-capture -d nats://127.0.0.1:4222/S < /dev/null
	assert_failure 2
	assert_output --partial 'NATS JetStream backend is not available'
}

@test "--data @FILE honours --max-record-size wherever it is given" {
	head -c 3000 /dev/zero | tr '\0' a > "$T/body"
	run rd-capture --data @"$T/body" --max-record-size=2K http://h.example/
	assert_failure 2
	assert_output --partial "input is larger than the 2048-byte limit (--max-record-size)"
	run rd-capture --max-record-size 4K --data @"$T/body" http://h.example/
	assert_success
	assert_equal "$(spool_lines | jq -r '.body | length')" 3000
}

@test "--try delivers: prints the response, stores nothing, exits 0" {
	ds_start
	run rd-capture --try -H 'Idempotency-Key: pay-1' --data '{"amount":5}' "http://127.0.0.1:$PORT/pay"
	ds_stop
	assert_success
	assert_output '{"ok":true,"key":"pay-1"}'
	assert_equal "$(spool_lines | wc -l)" 0
	assert_equal "$(jq -r .path "$T/ds.log")" /pay
	assert_equal "$(jq -r .sha256 "$T/ds.log")" "$(printf '{"amount":5}' | sha256sum | cut -d' ' -f1)"
}

@test "--try captures what it cannot deliver, keeps its key, exits 1" {
	ds_start --fail-first 1
	run rd-capture --try -H 'Idempotency-Key: pay-2' --data 'x=1' "http://127.0.0.1:$PORT/pay"
	assert_failure 1
	assert_output --partial '{"ok":false}'
	assert_output --partial 'not delivered (HTTP 503); captured as '
	spool_lines | jq -e 'select(.kind=="request") | .failure.type == "http_503" and .failure.status == 503 and .attempts == 1 and .idempotency_key == "pay-2"'
	# the replay carries the key of the first try, and is delivered
	run rd-replay --rate max
	ds_stop
	assert_success
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u)" pay-2
	assert_equal "$(jq -r .status "$T/ds.log" | tr '\n' ' ')" "503 200 "
}

@test "--try: a refused connection is captured as connect; bad usage exits 2" {
	# a port that was just closed
	ds_start
	closed=$PORT
	ds_stop
	run rd-capture --try --connect-timeout 2s "http://127.0.0.1:$closed/x"
	assert_failure 1
	assert_output --partial 'captured as'
	spool_lines | jq -e 'select(.kind=="request") | .failure.type == "connect"'
	run rd-capture --try 'http://bad host/'
	assert_failure 2
	run rd-capture --try
	assert_failure 2
	run rd-capture --timeout 1s http://h.example/
	assert_failure 2
	assert_output --partial 'apply to --try'
	assert_equal "$(spool_lines | wc -l)" 1
}

@test "raw HTTP: a bare LF cannot smuggle a second request into the spool" {
	# The LF after "Dummy: x" ends that line for a lenient reader, which
	# then takes 23 bytes of body and finds GET /admin after them.
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\nGET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n' > "$T/smuggle.http"
	run rd-capture --raw -i "$T/smuggle.http"
	assert_failure 1
	assert_output "rd-capture: message 1: byte 41: bare LF, but the request line ends in CRLF (message starts at byte 0)"
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: a bare LF cannot switch on chunked framing" {
	printf 'POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:x\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n0\r\n\r\n' > "$T/te.http"
	run rd-capture --raw -i "$T/te.http"
	assert_failure 1
	assert_output --partial 'rd-capture: message 1: byte 42: bare LF'
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: a chunk line is HEX[;name[=value]] and nothing else" {
	# The chunk line starts at byte 57.
	while IFS='|' read -r line want; do
		printf 'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\naa\r\n0\r\n\r\n' "$line" > "$T/c.http"
		run rd-capture --raw -i "$T/c.http"
		assert_failure 1
		assert_output "rd-capture: message 1: $want (message starts at byte 0)"
	done <<-'CASES'
	2 erfrferferf|byte 59: bad chunk size
	2;|byte 59: chunk extension without a name
	2;a="bc|byte 64: unterminated quoted string in a chunk extension
	2 |byte 58: whitespace at the end of a chunk line
	2;a=b c|byte 63: bad chunk extension
	CASES
	printf 'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a = "b c"\r\naa\r\n0 rrrr\r\n\r\n' > "$T/c.http"
	run rd-capture --raw -i "$T/c.http"
	assert_failure 1
	assert_output --partial 'message 1: byte 78: bad chunk size'
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: empty lines after the last message are skipped, exit 0" {
	printf 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n\r\n' > "$T/one.http"
	run rd-capture --raw -i "$T/one.http"
	assert_success
	refute_output --partial 'message 2'
	printf '\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n\r\n\r\n' > "$T/two.http"
	run rd-capture --raw -i "$T/two.http"
	assert_success
	assert_equal "$(spool_lines | jq -r .url | tr '\n' ' ')" "http://h/a http://h/b http://h/c "
}

@test "raw HTTP: an all-LF message is read; a message that mixes endings is not" {
	printf 'POST /lf HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n2\nhi\n0\n\n' > "$T/lf.http"
	run rd-capture --raw -i "$T/lf.http"
	assert_success
	assert_equal "$(spool_lines | jq -c '[.url, .body, .headers]')" '["http://h/lf","hi",[["Host","h"],["Content-Length","2"]]]'
	printf 'POST /mix HTTP/1.1\nHost: h\r\n\n' > "$T/mix.http"
	run rd-capture --raw -i "$T/mix.http"
	assert_failure 1
	assert_output --partial 'message 1: byte 26: CRLF, but the request line ends in LF'
	assert_equal "$(spool_lines | wc -l)" 1
}

@test "raw HTTP: nothing after Connection: close is read as a request" {
	printf 'GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n' > "$T/close.http"
	run rd-capture --raw -i "$T/close.http"
	assert_failure 1
	assert_line --regexp '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'
	assert_line "rd-capture: message 2: byte 0: data after a request with 'Connection: close' (message starts at byte 49)"
	assert_equal "$(spool_lines | jq -r .url)" "http://h/a"
}
