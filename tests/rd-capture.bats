#!/usr/bin/env bats
# rd-capture: input modes, output, exit codes, bad input and permissions.

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

@test "the README example: one NDJSON record prints one id and zcat | jq shows it" {
	run rd-capture --spool "$SPOOL" <<< '{"method":"POST","url":"http://127.0.0.1:8080/x","body":"hi","failure":{"type":"http_503","status":503}}'
	assert_success
	assert_output --regexp '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'
	id=$output
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | jq -r 'select(.id == \"$id\") | [.method, .url, .body, .failure.type, .failure.status, .v, .kind, .idempotency_key == .id] | @tsv'"
	assert_success
	assert_output "$(printf 'POST\thttp://127.0.0.1:8080/x\thi\thttp_503\t503\t1\trequest\ttrue')"
}

@test "NDJSON stream: ids in input order, every record stored exactly" {
	rec_seq 500 > "$T/in.ndjson"
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

@test "a captured_at given is kept as given, the Unix epoch itself included; none given is now" {
	printf '{"method":"POST","url":"http://h.example/%s","captured_at":"%s"}\n' \
		a 1970-01-01T00:00:00Z b 2020-02-29T12:00:00+01:00 > "$T/in"
	printf '{"method":"POST","url":"http://h.example/c"}\n' >> "$T/in"
	run rd-capture < "$T/in"
	assert_success
	assert_equal "$(spool_lines | jq -r '.captured_at' | head -2 | tr '\n' ' ')" "1970-01-01T00:00:00.000Z 2020-02-29T11:00:00.000Z "
	now=$(date -u +%Y-%m-%d)
	assert_equal "$(spool_lines | jq -r '.captured_at[:10]' | sed -n 3p)" "$now"
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
	{ rec 1; rec 2; } | rd-capture --format json > "$T/out"
	run jq -r '[.input, .method, .url, (.id | length)] | @tsv' "$T/out"
	assert_output "$(printf '1\tPOST\thttp://127.0.0.1:8080/orders/1\t26\n2\tPOST\thttp://127.0.0.1:8080/orders/2\t26')"
}

@test "raw HTTP/1.1 messages, pipelined, become records" {
	printf 'POST /api/orders?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}GET http://other.example/ping HTTP/1.1\r\nHost: other.example\r\n\r\n' > "$T/req.http"
	run rd-capture --raw --failure http_502 --status 502 --input "$T/req.http"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 2
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.method, .url, .body, .failure.type]'"
	assert_output "$(printf '%s\n%s' '["POST","http://127.0.0.1:8080/api/orders?x=1","{\"a\":1}","http_502"]' '["GET","http://other.example/ping","","http_502"]')"
}

@test "raw HTTP: --tag, --message, --attempts and --idempotency-key reach every message" {
	printf 'GET /a HTTP/1.1\r\nHost: h.example\r\n\r\nGET /b HTTP/1.1\r\nHost: h.example\r\n\r\n' > "$T/req.http"
	run rd-capture --raw --failure timeout --message slow --attempts 3 --idempotency-key k-9 --tag svc=pay --tag env=prod --input "$T/req.http"
	assert_success
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.url, .failure, .attempts, .idempotency_key, .tags]'"
	assert_output "$(printf '%s\n%s' '["http://h.example/a",{"type":"timeout","message":"slow"},3,"k-9",{"svc":"pay","env":"prod"}]' '["http://h.example/b",{"type":"timeout","message":"slow"},3,"k-9",{"svc":"pay","env":"prod"}]')"
}

@test "raw HTTP: a bad message is rejected with its byte offset, exit 1" {
	printf 'POST /x HTTP/1.1\r\nBad Header: v\r\n\r\n' > "$T/bad.http"
	run rd-capture --raw --input "$T/bad.http"
	assert_failure 1
	assert_output --partial 'rd-capture: message 1: byte'
	assert_output --partial 'header name is not a token'
	assert_file_not_exists "$SPOOL/00000000000000000001.ndjson.gz"
}

@test "--jq maps a HAR file with the shipped example filter" {
	run rd-capture --jq "$(cat "$RD_TOP/examples/har.jq")" --input "$RD_TOP/tests/data/sample.har"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 2
	run sh -c "zcat '$SPOOL'/*.gz | jq -c '[.method, .url, .headers[0], .body, .failure.type, .failure.status]'"
	assert_line --index 0 '["POST","https://api.example.com/v1/orders",["content-type","application/json"],"{\"sku\":\"A-1\",\"qty\":2}","http_503",503]'
	assert_line --index 1 --partial '"GET","https://api.example.com/v1/orders/42"'
}

@test "--jq: a filter error or an unusable output rejects that input only" {
	printf '{"u":"http://h.example/1"}\n{"u":5}\n{"u":"http://h.example/3"}\n' > "$T/in"
	run rd-capture --jq '{method:"GET", url:(if (.u|type)=="string" then .u else error("u is not a string") end)}' --input "$T/in"
	assert_failure 1
	assert_line --partial 'rd-capture: input 2, output 1: jq: u is not a string'
	assert_equal "$(spool_lines | wc -l)" 2
}

@test "--jq: a filter that does not compile is a usage error, exit 2" {
	run rd-capture --jq '{{{' < /dev/null
	assert_failure 2
	# one line, naming the option, jq's message without its echo of the
	# filter or its closing count
	assert_line --index 0 "rd-capture: --jq: jq filter does not compile: syntax error, unexpected '{' (Unix shell quoting issues?) at <top-level>, line 1"
	# and the other filters of the tools, the same way
	run rd-audit --where 'foo(1)'
	assert_failure 2
	assert_line --index 0 "rd-audit: --where: jq filter does not compile: foo/1 is not defined at <top-level>, line 1"
	run rd-replay --dry-run --where '.method=="POST" and'
	assert_failure 2
	assert_line --index 0 "rd-replay: --where: jq filter does not compile: syntax error, unexpected \$end (Unix shell quoting issues?) at <top-level>, line 1"
	run rd-health --jq '$x' <<< '{}'
	assert_failure 2
	assert_output "rd-health: --jq: jq filter does not compile: \$x is not defined at <top-level>, line 1"
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
		echo '{"method":"POST","url":"http://h.example/","method":"GET"}'
		echo '{"method":"GET","url":"http://h.example:99999/"}'
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
	assert_line "rd-capture: line 8: field 'method' given twice"
	assert_line "rd-capture: line 9: field 'url': the port is not 1 to 65535"
	assert_equal "$(spool_lines | jq -r .url)" "$(printf 'http://127.0.0.1:8080/orders/1\nhttp://127.0.0.1:8080/orders/8')"
	# The reject file holds the bad lines verbatim, in order.
	assert_equal "$(cat "$T/rejects")" "$(sed -n '2,6p;8,9p' "$T/in")"
	assert_file_permission 600 "$T/rejects"
}

@test "null is an absent field, as jq writes one: the man page's log example stores a GET without a body" {
	# rd-capture(1), EXAMPLES, "Stream failures from a service's log"
	printf '%s\n' '{"method":"GET","url":"http://h.example/a","status":503}' \
		'{"method":"POST","url":"http://h.example/b","status":502,"body":"{}"}' \
		'{"method":"GET","url":"http://h.example/c","status":200}' > "$T/app.log"
	jq -c 'select(.status >= 500) | {method, url, body,
	    failure: {type: "http_\(.status)", status}}' "$T/app.log" |
		rd-capture --reject "$T/rejected.ndjson" > "$T/stored-ids.txt"
	assert_equal "$(wc -l < "$T/stored-ids.txt")" 2
	assert_equal "$(spool_lines | jq -c '[.url, .body, .failure]')" \
		"$(printf '%s\n' '["http://h.example/a","",{"type":"http_503","status":503}]' '["http://h.example/b","{}",{"type":"http_502","status":502}]')"
	assert_file_empty "$T/rejected.ndjson"
	# every optional field, and failure's, may be null; method and url may not
	printf '%s\n' '{"method":"GET","url":"http://h.example/","headers":null,"body":null,"body_b64":null,"failure":{"type":null,"status":null,"message":null},"attempts":null,"idempotency_key":null,"tags":null,"captured_at":null}' |
		rd-capture -q > /dev/null
	run rd-capture <<< '{"method":null,"url":"http://h.example/"}'
	assert_failure 1
	assert_output "rd-capture: line 1: field 'method': must be a string"
	run rd-capture <<< '{"method":"GET","url":null}'
	assert_output "rd-capture: line 1: field 'url': must be a string"
	# null still counts as given: a field twice is refused
	run rd-capture <<< '{"method":"GET","url":"http://h.example/","body":null,"body":"x"}'
	assert_output "rd-capture: line 1: field 'body' given twice"
}

@test "headers as an object, as services log them: kept in order; a value that is not a string is refused by name" {
	printf '%s\n' '{"method":"POST","url":"http://h.example/","headers":{"Content-Type":"application/json","X-B":"2"}}' \
		'{"method":"POST","url":"http://h.example/","headers":{"X":1}}' > "$T/in"
	run rd-capture < "$T/in"
	assert_failure 1
	assert_line "rd-capture: line 2: field 'headers.X': value must be a string"
	assert_equal "$(spool_lines | jq -c .headers)" '[["Content-Type","application/json"],["X-B","2"]]'
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
	# a bad request on the command line is a usage error, as a bad
	# method or header name is: exit 2, nothing stored
	run rd-capture -H "$(printf 'X-A: a\rb')" http://h.example/
	assert_failure 2
	assert_output --partial "--header 1 (X-A): the value holds CR, LF, NUL or another control byte"
	assert_file_not_exists "$SPOOL/00000000000000000001.ndjson.gz"
}

@test "what a record cannot hold is refused, never stored for readers to skip: bytes that are not UTF-8, a key over 256 bytes" {
	# each was stored before, and every reader then skipped the record
	# ("cannot be parsed"): rd-replay said nothing was pending, exit 0
	run rd-capture -H 'X-A: 1' -H $'X-Name: caf\xe9' http://127.0.0.1:1/a
	assert_failure 2
	assert_output --partial "--header 2 (X-Name): the value is not valid UTF-8 at byte 3"
	run rd-capture --message $'bad \xff' http://127.0.0.1:1/b
	assert_failure 2
	assert_output --partial "field 'failure.message': not valid UTF-8 at byte 4"
	run bash -c "printf 'POST /c HTTP/1.1\r\nHost: h\r\nX-L: \xe9t\r\nContent-Length: 0\r\n\r\n' | rd-capture --raw"
	assert_failure 1
	assert_output --partial "field 'headers' entry 2 ('X-L'): value is not valid UTF-8 at byte 0"
	key=$(printf 'k%.0s' $(seq 300))
	run rd-capture -H "Idempotency-Key: $key" http://127.0.0.1:1/y
	assert_failure 1
	assert_output --partial "idempotency key header is over the 256 bytes"
	printf '{"method":"POST","url":"http://127.0.0.1:1/x","headers":[["Idempotency-Key","%s"]]}\n' "$key" > "$T/in"
	run rd-capture --input "$T/in"
	assert_failure 1
	# UTF-8 is stored and read back
	rd-capture -q -H 'X-Name: café' http://127.0.0.1:1/ok > /dev/null
	assert_equal "$(rd-audit --list | jq -r '.headers[] | select(.[0] == "X-Name") | .[1]')" café
	assert_equal "$(rd-audit --json | jq .requests)" 1
	run rd-audit --verify
	assert_success
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
	run rd-capture -qy < /dev/null
	assert_failure 2
	assert_line --index 0 "rd-capture: unknown option '-y'"
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
		rec_seq 50 | rd-capture --spool "$T/$p" --fsync "$p" --fsync-interval 10ms > "$T/$p.ids"
		assert_equal "$(wc -l < "$T/$p.ids")" 50
		assert_equal "$(spool_lines "$T/$p" | wc -l)" 50
	done
	# always: one member per record.
	assert_equal "$(( ($(stat -c %s "$T/always/00000000000000000001.idx") - 16) / 48 ))" 50
}

@test "segments roll at --segment-size and sort in log order" {
	rec_seq 3000 > "$T/in"
	rd-capture --segment-size 8K < "$T/in" > "$T/ids"
	n=$(ls "$SPOOL"/*.ndjson.gz | wc -l)
	[ "$n" -ge 3 ]
	for f in "$SPOOL"/*.ndjson.gz; do [ "$(stat -c %s "$f")" -le 8192 ]; done
	assert_equal "$(spool_lines | jq -r .id)" "$(cat "$T/ids")"
	for f in "$SPOOL"/*.ndjson.gz; do gzip -t "$f"; done
}

@test "--max-spool-size refuses new records with a clear error, exit 2" {
	rec_seq 20000 > "$T/in"
	run rd-capture --max-spool-size 64K < "$T/in"
	assert_failure 2
	assert_output --partial "is full"
	stored=$(echo "$output" | grep -c '^[0-7][0-9A-Z]\{25\}$' || true)
	# Every id printed is in the spool, and nothing else is.
	assert_equal "$(spool_lines | wc -l)" "$stored"
}

@test "an unknown backend is refused" {
	run rd-capture --spool kafka://127.0.0.1:9092/S < /dev/null
	assert_failure 2
	assert_output --partial "unknown spool backend"
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

@test "--try -s prints nothing on a failure, -sS the one line of what was not delivered, as curl -s and -sS do" {
	rd-capture --try -s "http://127.0.0.1:1/pay" > "$T/out" 2> "$T/err" && fail "exit 0"
	assert_file_empty "$T/err"
	rd-capture --try -sS "http://127.0.0.1:1/pay" > "$T/out" 2> "$T/err" && fail "exit 0"
	id=$(spool_lines | jq -r 'select(.kind=="request") | .id' | tail -1)
	run cat "$T/err"
	assert_output --regexp "^rd-capture: not delivered \(Failed to connect to 127\.0\.0\.1 port 1 after [0-9]+ ms: Couldn't connect to server\); captured as $id\$"
	assert_equal "$(spool_lines | jq -r 'select(.kind=="request") | .failure.type' | sort -u)" connect
}

@test "--try -v counts what it captured, and stdout carries only the response" {
	ds_start --fail-first 1
	rd-capture --try -v --data 'x=1' "http://127.0.0.1:$PORT/pay" >"$T/out" 2>"$T/err" && fail "exit 0"
	ds_stop
	grep -q '1 stored, 0 rejected' "$T/err" || fail "$(cat "$T/err")"
	assert_equal "$(cat "$T/out")" '{"ok":false}'
	assert_equal "$(spool_lines | jq -r 'select(.kind=="request") | .id' | wc -l)" 1
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
	assert_output --partial '--timeout applies to --try'
	assert_equal "$(spool_lines | wc -l)" 1
}

@test "raw HTTP: a bare LF cannot smuggle a second request into the spool" {
	# The LF after "Dummy: x" ends that line for a lenient reader, which
	# then takes 23 bytes of body and finds GET /admin after them.
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\nGET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n' > "$T/smuggle.http"
	run rd-capture --raw --input "$T/smuggle.http"
	assert_failure 1
	assert_output "rd-capture: message 1: byte 41: bare LF, but the request line ends in CRLF (message starts at byte 0)"
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: a bare LF cannot switch on chunked framing" {
	printf 'POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:x\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n0\r\n\r\n' > "$T/te.http"
	run rd-capture --raw --input "$T/te.http"
	assert_failure 1
	assert_output --partial 'rd-capture: message 1: byte 42: bare LF'
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: a chunk line is HEX[;name[=value]] and nothing else" {
	# The chunk line starts at byte 57.
	while IFS='|' read -r line want; do
		printf 'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\naa\r\n0\r\n\r\n' "$line" > "$T/c.http"
		run rd-capture --raw --input "$T/c.http"
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
	run rd-capture --raw --input "$T/c.http"
	assert_failure 1
	assert_output --partial 'message 1: byte 78: bad chunk size'
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "raw HTTP: empty lines after the last message are skipped, exit 0" {
	printf 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n\r\n' > "$T/one.http"
	run rd-capture --raw --input "$T/one.http"
	assert_success
	refute_output --partial 'message 2'
	printf '\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n\r\n\r\n' > "$T/two.http"
	run rd-capture --raw --input "$T/two.http"
	assert_success
	assert_equal "$(spool_lines | jq -r .url | tr '\n' ' ')" "http://h/a http://h/b http://h/c "
}

@test "raw HTTP: an all-LF message is read; a message that mixes endings is not" {
	printf 'POST /lf HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n2\nhi\n0\n\n' > "$T/lf.http"
	run rd-capture --raw --input "$T/lf.http"
	assert_success
	assert_equal "$(spool_lines | jq -c '[.url, .body, .headers]')" '["http://h/lf","hi",[["Host","h"],["Content-Length","2"]]]'
	printf 'POST /mix HTTP/1.1\nHost: h\r\n\n' > "$T/mix.http"
	run rd-capture --raw --input "$T/mix.http"
	assert_failure 1
	assert_output --partial 'message 1: byte 26: CRLF, but the request line ends in LF'
	assert_equal "$(spool_lines | wc -l)" 1
}

@test "raw HTTP: nothing after Connection: close is read as a request" {
	printf 'GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n' > "$T/close.http"
	run rd-capture --raw --input "$T/close.http"
	assert_failure 1
	assert_line --regexp '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'
	assert_line "rd-capture: message 2: byte 0: data after a request with 'Connection: close' (message starts at byte 49)"
	assert_equal "$(spool_lines | jq -r .url)" "http://h/a"
}

# --- --try as a curl drop-in ------------------------------------------------

# Run one script line (a path, then curl's options) with curl, then with
# rd-capture --try, against a test downstream that dumps every request as
# received.  The two requests must be the same bytes, but for the
# idempotency header rd-capture adds (the key its replays will carry) and,
# for a form curl types itself, the place of that Content-Type (see
# rd-capture(1)); both are put back as curl has them before comparing.
same_as_curl() {
	local path=$1 n
	shift
	rm -rf "$T/dump" "$SPOOL"
	mkdir -p "$T/dump"
	ds_start --dump "$T/dump"
	curl -s "$@" "http://127.0.0.1:$PORT$path" > "$T/curl.out" 2>&1 || true
	rd-capture --try -s "$@" "http://127.0.0.1:$PORT$path" > "$T/rd.out" 2> "$T/rd.err" || true
	ds_stop
	n=$(ls "$T/dump" | wc -l)
	[ "$n" -eq 2 ] || { echo "requests received: $n"; cat "$T/rd.err"; return 1; }
	# the first try carried a key: the id rd-capture gave its record
	grep -a -q $'^Idempotency-Key: 01[0-9A-Z]\\{24\\}\r$' "$T/dump/000002.http"
	LC_ALL=C awk 'BEGIN { RS = "\r\n"; ORS = "\r\n" }
		head && /^Idempotency-Key: / { next }
		head && /^Content-Type: application\/x-www-form-urlencoded$/ { held = $0; next }
		head && held != "" && /^Content-Length: / { print; print held; held = ""; next }
		head && $0 == "" { head = 0 }
		NR == 1 { head = 1 }
		{ print }' "$T/dump/000002.http" |
		head -c "$(stat -c %s "$T/dump/000001.http")" > "$T/rd.req"
	if ! cmp "$T/dump/000001.http" "$T/rd.req"; then
		diff <(cat -A "$T/dump/000001.http") <(cat -A "$T/rd.req")
		return 1
	fi
}

@test "--try sends what curl sends, byte for byte, for the same script line" {
	echo '{"order":7}' > "$T/order.json"
	head -c 300 /dev/urandom > "$T/blob"
	same_as_curl /orders -sS -f -H 'Content-Type: application/json' -d '{"order":7}'
	same_as_curl /j --json '{"a":1}' --json @"$T/order.json"
	same_as_curl /blob -X PUT --data-binary @"$T/blob"
	same_as_curl '/search?x=1' -G --data-urlencode 'q=a b&c' -d n=1
	same_as_curl /who -u ops:s3cret -A deploy-bot/2 -e https://ci.example/ -b 'sid=42; theme=dark'
	same_as_curl /form -d a=1 -d b=2 --data-raw @literal
	same_as_curl /enc --data-urlencode msg@"$T/order.json"
	same_as_curl /del -X DELETE -H 'X-Empty;' -H 'Accept:' -H 'User-Agent:'
	same_as_curl /gz --compressed -H 'X-Trace: 1'
	same_as_curl /hdr -H @"$T/order.json" -H 'X-B: 2' || true
	printf 'X-From-File: 1\r\nX-Other: two\n' > "$T/hdrs"
	same_as_curl /hdrfile -H @"$T/hdrs" -d x=1
}

@test "--try: -d is curl's --data, never a directory, and the first try carries the record's key" {
	ds_start --fail-first 1
	cd "$T"
	run rd-capture --try -d '{"order":7}' "http://127.0.0.1:$PORT/orders"
	assert_failure 1
	# no directory named after the data, and the body went out as a POST
	[ ! -e "$T/{\"order\":7}" ]
	assert_equal "$(jq -r '[.method, .bytes] | @tsv' "$T/ds.log")" "$(printf 'POST\t11')"
	id=$(spool_lines | jq -r 'select(.kind=="request") | .id')
	# the failed first try and its replay share one key: the record id
	rd-replay -q --rate max
	assert_equal "$(jq -r .key "$T/ds.log" | sort -u)" "$id"
	assert_equal "$(wc -l < "$T/ds.log")" 2
}

@test "--try: -i, -o, -w, -f and -L print what curl prints" {
	ds_start --route /bad=503
	url="http://127.0.0.1:$PORT"
	# -i -f on an error: the headers, no body, as curl prints them
	curl -s -i -f "$url/bad" > "$T/c" || true
	run rd-capture --try -s -i -f "$url/bad"
	assert_failure 1
	assert_equal "$output" "$(cat "$T/c")"
	# -w with the variables scripts use
	run rd-capture --try -s -o "$T/body" -w '%{http_code} %{url_effective} %{size_download} %{method}\n' "$url/ok"
	assert_success
	assert_output "200 $url/ok $(stat -c %s "$T/body") GET"
	jq -e '.ok == true' "$T/body"
	run rd-capture --try -s -o /dev/null -w '%{time_total}' "$url/ok"
	[[ $output =~ ^[0-9]+\.[0-9]{6}$ ]]
	run rd-capture --try -s -w '%{http_code}|%{stderr}%{exitcode}' "$url/bad"
	assert_failure 1
	assert_output --partial '{"ok":false}503|1'
	# an unknown variable is refused before anything is sent
	run rd-capture --try -w '%{nope}' "$url/ok"
	assert_failure 2
	assert_output --partial "unknown variable '%{nope}'"
	ds_stop
	# -L follows a redirect; %{num_redirects} and the final URL say so
	command -v nginx > /dev/null || skip "nginx is not installed"
	ngx_start
	run rd-capture --try -s -L -o /dev/null -w '%{http_code} %{num_redirects} %{url_effective}' "http://127.0.0.1:$NGX_PORT/redirect"
	assert_success
	assert_output "200 1 http://127.0.0.1:$NGX_PORT/"
	# without -L a redirect is not delivered: 302 is outside --success
	run rd-capture --try -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$NGX_PORT/redirect"
	assert_failure 1
	assert_output "302 http://127.0.0.1:$NGX_PORT/"
	ngx_stop
}

@test "--try -o FILE makes the file when curl does: not for -f on an error, nor without a response" {
	ds_start --route /bad=503
	url="http://127.0.0.1:$PORT"
	for c in "-f $url/bad" "$url/bad" "-f -i $url/bad" "$url/ok" "http://127.0.0.1:1/x"; do
		rm -f "$T/curl.out" "$T/rd.out"
		curl -s $c -o "$T/curl.out" || true
		rd-capture -q --try -s $c -o "$T/rd.out" || true
		if [ -e "$T/curl.out" ]; then
			assert_file_exist "$T/rd.out"
		else
			assert_file_not_exist "$T/rd.out"
		fi
	done
	ds_stop
}

@test "--try: a curl option rd-capture does not take is refused by name, never misread" {
	for opt in '--retry 3' '-F a=b' '-T file' '-x http://proxy:3128' '--head' '--raw' '-I'; do
		run rd-capture --try $opt http://127.0.0.1:1/
		assert_failure 2
		assert_line --index 0 --partial "${opt%% *}"
	done
	run rd-capture --try -f --fail-with-body http://127.0.0.1:1/
	assert_failure 2
	assert_output --partial "cannot be used together"
	# options of the transfer need --try; -s alone is fine
	run rd-capture -w '%{http_code}' http://127.0.0.1:1/
	assert_failure 2
	assert_output --partial "-w applies to --try"
	assert_equal "$(spool_lines | wc -l)" 0
}

@test "a bad request on the command line exits 2 whichever part is wrong, and --jq '' is refused" {
	run rd-capture -X 'PO ST' http://h.example/
	assert_failure 2
	assert_output --partial "field 'method'"
	run rd-capture -H 'Bad Header' http://h.example/
	assert_failure 2
	run rd-capture 'http://bad host/'
	assert_failure 2
	run rd-capture --jq '' < /dev/null
	assert_failure 2
	assert_output --partial "--jq: the filter is empty"
	run rd-capture --jq '  ' < /dev/null
	assert_failure 2
	assert_file_not_exists "$SPOOL/00000000000000000001.ndjson.gz"
}

@test "--format json prints one object per record, its URL's secrets masked" {
	run rd-capture --format json <<< '{"method":"POST","url":"https://ops:pw@h.example/x?api_key=k1&n=2"}'
	assert_success
	assert_output --partial '"url":"https://[REDACTED]@h.example/x?api_key=[REDACTED]&n=2"}'
	refute_output --partial 'pw@'
	run rd-capture --format yaml < /dev/null
	assert_failure 2
}

@test "one record over the spool cap says so, instead of '0 bytes used'" {
	head -c 20000 /dev/urandom | base64 -w0 > "$T/big"
	printf '{"method":"POST","url":"http://h.example/","body":"%s"}\n' "$(cat "$T/big")" > "$T/in"
	run rd-capture --max-spool-size 4096 < "$T/in"
	assert_failure 2
	assert_output --partial "is full even when empty for this batch: it needs "
	refute_output --partial "0 bytes used"
}

@test "the NDJSON path does not load libcurl or libjq; --try and --jq do" {
	rec 1 > "$T/one"
	LD_DEBUG=files rd-capture --input "$T/one" > /dev/null 2> "$T/ld"
	grep -q 'libcurl\|libjq' "$T/ld" && fail "the NDJSON path loaded libcurl or libjq"
	LD_DEBUG=files rd-capture --jq . --input "$T/one" > /dev/null 2> "$T/ld" || true
	grep -q 'file=libjq' "$T/ld"
	LD_DEBUG=files rd-capture --try -s --connect-timeout 1 http://127.0.0.1:1/ > /dev/null 2> "$T/ld" || true
	grep -q 'file=libcurl' "$T/ld"
}

# Records of many batches: "$T/many", $1 of them.
many() {
	seq "$1" | awk '{printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/x/%d\"}\n",$1}' > "$T/many"
}

# The counts of the stdout error line: "STORED PRINTED".
out_counts() {
	sed -n 's/.*stopped after \([0-9]*\) records\{0,1\} stored, \([0-9]*\) of them with their id printed\(; the rest of the input was not stored\| (all the input)\)$/\1 \2/p' <<< "$1"
}

@test "a reader that goes away (| head -1) is an error that names what was stored; capture stops at once" {
	many 40000
	run bash -c "set -o pipefail; rd-capture < '$T/many' | head -1 > '$T/first'"
	assert_failure 2
	assert_output --regexp '^rd-capture: stdout: Broken pipe: stopped after [0-9]+ records stored, [0-9]+ of them with their id printed; the rest of the input was not stored$'
	read -r stored printed <<< "$(out_counts "$output")"
	assert_equal "$(rd-audit --list | wc -l)" "$stored"
	# one batch of about 4000 ids, not the 40000 records read
	[ "$stored" -gt 0 ] && [ "$stored" -lt 10000 ]
	[ "$printed" -gt 0 ] && [ "$printed" -le "$stored" ]
	# the ids printed are the first ones stored
	assert_equal "$(cat "$T/first")" "$(rd-audit --list | head -1 | jq -r .id)"
}

@test "stdout full (/dev/full) or closed (>&-): exit 2, and the line's counts are what the spool holds" {
	many 40000
	run bash -c "rd-capture < '$T/many' > /dev/full"
	assert_failure 2
	assert_output --regexp '^rd-capture: stdout: No space left on device: stopped after [0-9]+ records stored, 0 of them with their id printed; the rest of the input was not stored$'
	read -r stored printed <<< "$(out_counts "$output")"
	assert_equal "$(rd-audit --list | wc -l)" "$stored"
	[ "$stored" -lt 10000 ]
	rm -rf "$SPOOL"
	run bash -c "rd-capture --format json < '$T/many' >&-"
	assert_failure 2
	assert_output "rd-capture: stdout: Bad file descriptor: stopped after 0 records stored, 0 of them with their id printed; the rest of the input was not stored"
	assert_file_not_exists "$SPOOL"
}

@test "--format json and --fsync interval: the same error, and counts that match the spool" {
	many 20000
	run bash -c "rd-capture --format json --fsync interval < '$T/many' > /dev/full"
	assert_failure 2
	read -r stored printed <<< "$(out_counts "$output")"
	assert_equal "$printed" 0
	assert_equal "$(rd-audit --list | wc -l)" "$stored"
	# acks wait for a sync: when the first came at the end, all was stored
	# and the line says so (not "the rest ... was not stored")
	if [ "$stored" -eq 20000 ]; then
		assert_output --partial "of them with their id printed (all the input)"
	else
		assert_output --partial "; the rest of the input was not stored"
	fi
}

@test "--try: a response that cannot be written is exit 2 when delivered, 1 when captured" {
	ds_start
	run bash -c "rd-capture --try 'http://127.0.0.1:$PORT/pay' > /dev/full"
	assert_failure 2
	assert_output 'rd-capture: stdout: No space left on device: the response was not written in full (the request was delivered; nothing stored)'
	assert_equal "$(spool_lines | wc -l)" 0
	run bash -c "rd-capture --try 'http://127.0.0.1:$PORT/pay' >&-"
	assert_failure 2
	assert_output 'rd-capture: stdout: Bad file descriptor: nothing sent, nothing stored'
	# with -o FILE (and no -w) stdout is not needed
	run bash -c "rd-capture --try -o '$T/body' 'http://127.0.0.1:$PORT/pay' >&-"
	assert_success
	[ -s "$T/body" ]
	ds_stop
	assert_equal "$(jq -s length "$T/ds.log")" 2
}
