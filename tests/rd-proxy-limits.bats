#!/usr/bin/env bats
# rd-proxy under abuse: each limit hit on purpose (record size, buffers,
# header memory, the capture queue, a full spool, connections, the
# upstream concurrency), slow clients, request smuggling and bare LF, and
# answers streamed with bounded memory.  Upstreams as in rd-proxy.bats.

load common
load proxy

setup() { px_setup; }
teardown() { px_teardown; }

@test "a body the size limit takes whose record would not fit the spool is 413, never 503: a retry cannot help" {
	dead=$(dead_port)
	px_start "http://127.0.0.1:$dead" --max-record-size 256MiB --max-buffer 1GiB
	# 256 MiB of body, and the record's own fields past the spool's
	# 256 MiB a record
	head -c $((256 << 20)) /dev/zero | tr '\0' a > "$T/big"
	run pcurl -H 'Expect:' -X POST --data-binary @"$T/big" "http://$PX/big"
	rm -f "$T/big"
	assert_output 413
	assert_equal "$(hdr Retry-After)" ""
	grep -q 'not captured: the record is over the spool' "$T/b"
	px_stop
	assert_equal "$(stored_ids | wc -l)" 0
}

@test "limits: record size 413, buffer 503, header memory and more than 200 fields 431; nothing stored or sent" {
	ds_start --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT" --max-record-size 1KiB --connection-memory 4KiB \
		--access-log "$T/acc.log"
	head -c 2048 /dev/zero | tr '\0' a > "$T/2k"
	run pcurl -X POST --data-binary @"$T/2k" "http://$PX/big"
	assert_output 413
	run pcurl -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T/2k" "http://$PX/big"
	assert_output 413
	run pcurl -H "X-Big: $(head -c 6000 /dev/zero | tr '\0' b)" "http://$PX/big"
	assert_output 431
	px_stop
	# each is logged as refused, the 431 libmicrohttpd answers too
	assert_equal "$(jq -r '"\(.status) \(.outcome)"' "$T/acc.log" | sort | uniq -c | awk '{ print $1, $2, $3 }' | paste -sd, -)" \
		"2 413 refused,1 431 refused"
	# the one libmicrohttpd refused names its client too (it was "")
	assert_equal "$(jq -r '.client | sub(":[0-9]+$"; "")' "$T/acc.log" | sort -u)" 127.0.0.1
	# and with the bytes of the answer rd-proxy wrote itself (it said 0)
	assert_equal "$(jq -r 'select(.status == 413) | .bytes_out > 0' "$T/acc.log" | sort -u)" true
	px_start "http://127.0.0.1:$PORT" --max-buffer 1KiB
	run pcurl -X POST --data-binary @"$T/2k" "http://$PX/big"
	assert_output 503
	[ -n "$(hdr Retry-After)" ]
	run pcurl -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T/2k" "http://$PX/big"
	assert_output 503
	px_stop
	assert_equal "$(wc -c < "$T/ds.log")" 0
	assert_equal "$(stored_ids | wc -l)" 0
	# more header fields than a record keeps (200): 431, and the proxy
	# serves on (it crashed, reading the refused field at a garbage index)
	px_start "http://127.0.0.1:$PORT"
	local many=()
	for i in $(seq 198); do many+=(-H "X-H$i: v"); done
	run pcurl "${many[@]}" "http://$PX/many"
	assert_output 431
	assert_equal "$(jq -r .error "$T/b")" "more header fields than a record keeps"
	run pcurl "${many[@]:2}" "http://$PX/fewer"
	assert_output 200
	assert_equal "$(jq -r .path "$T/ds.log")" /fewer
	px_stop
}

@test "limits: a full capture queue and a full spool get 503, never 202" {
	px_start "http://127.0.0.1:$(dead_port)" --capture-queue 1
	# another writer holds the spool's lock: the writer waits, the queue fills
	hold_lock "$SPOOL" 3
	lk=$HELD_PID
	cl=""
	for i in 1 2 3 4; do
		pcurl -m 10 -X POST -d x "http://$PX/q$i" > "$T/code.$i" &
		cl="$cl $!"
	done
	wait $cl "$lk"
	codes=$(for f in "$T"/code.*; do cat "$f"; echo; done | sort | tr '\n' ' ')
	echo "answers: $codes"
	[[ $codes == *503* ]]
	[[ $codes == *202* ]]
	px_stop
	# as many records as 202s
	assert_equal "$(stored_ids | wc -l)" "$(grep -o 202 <<< "$codes" | wc -l)"
	rm -rf "$SPOOL"
	px_start "http://127.0.0.1:$(dead_port)" --max-spool-size 1
	run pcurl -X POST -d x "http://$PX/full"
	assert_output 503
	[ -n "$(hdr Retry-After)" ]
	grep -q 'cannot store captured requests' "$T/px.err"
	px_stop
	assert_equal "$(stored_ids | wc -l)" 0
}

@test "limits: max connections, and a concurrency limit toward the upstream" {
	ds_start --latency 400
	px_start "http://127.0.0.1:$PORT" --max-connections 2 --upstream-concurrency 1
	exec 6<> "/dev/tcp/127.0.0.1/${PX##*:}"
	exec 7<> "/dev/tcp/127.0.0.1/${PX##*:}"
	sleep 0.2
	run curl -s -m 1 -o /dev/null "http://$PX/x"
	assert_failure 28
	exec 6<&- 7<&-
	sleep 0.2
	# three at once, one at a time at the upstream: at least 3 x 400 ms
	start=$(date +%s%N)
	curl -s -o /dev/null "http://$PX/y1" &
	c1=$!
	curl -s -o /dev/null "http://$PX/y2" &
	c2=$!
	curl -s -o /dev/null "http://$PX/y3"
	wait "$c1" "$c2"
	end=$(date +%s%N)
	[ $(( (end - start) / 1000000 )) -ge 1150 ]
	px_stop
	# with worker threads the limit holds in all (each took a share
	# rounded up: two threads served two connections under a limit of 1)
	px_start "http://127.0.0.1:$PORT" --threads 2 --max-connections 1
	exec 6<> "/dev/tcp/127.0.0.1/${PX##*:}"
	sleep 0.2
	for i in 1 2 3 4; do
		run curl -s -m 0.5 -o /dev/null "http://$PX/z$i"
		assert_failure 28
	done
	exec 6<&-
	px_stop
}

@test "limits: the upstream concurrency holds in all, shared by the worker threads" {
	ds_start --latency 400
	# 3 at once for 2 threads: shares of 2 and 1 (each thread rounding
	# its share up would let 4 go); of 4 requests at once, one waits
	px_start "http://127.0.0.1:$PORT" --threads 2 --upstream-concurrency 3
	start=$(date +%s%N)
	pids=()
	for i in 1 2 3 4; do
		curl -s -o /dev/null "http://$PX/z$i" &
		pids+=("$!")
	done
	wait "${pids[@]}"
	end=$(date +%s%N)
	[ $(( (end - start) / 1000000 )) -ge 750 ]
	assert_equal "$(wc -l < "$T/ds.log")" 4
	px_stop
}

@test "slow clients are cut: a trickled head and a trickled body" {
	ds_start --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT" --header-timeout 1s --body-timeout 1s
	port=${PX##*:}
	# a slowloris head: one byte every 200 ms, never finished
	start=$(date +%s)
	(
		trap '' PIPE
		exec 5<> "/dev/tcp/127.0.0.1/$port"
		printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&5
		for i in $(seq 50); do printf 'X' >&5 2> /dev/null || exit 0; sleep 0.2; done
		exit 1
	)
	[ $(( $(date +%s) - start )) -lt 5 ]
	# a body that trickles: cut too, and neither forwarded nor captured
	start=$(date +%s)
	(
		trap '' PIPE
		exec 5<> "/dev/tcp/127.0.0.1/$port"
		printf 'POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' >&5
		for i in $(seq 50); do printf 'y' >&5 2> /dev/null || exit 0; sleep 0.2; done
		exit 1
	)
	[ $(( $(date +%s) - start )) -lt 5 ]
	# the proxy still serves
	run pcurl "http://$PX/ok"
	assert_output 200
	px_stop
	run grep -c /slow "$T/ds.log"
	assert_output 0
	assert_equal "$(stored_ids | wc -l)" 0
}

@test "request smuggling vectors are refused with 400, never forwarded or captured" {
	ds_start --log "$T/ds.log"
	px_start "http://127.0.0.1:$PORT"
	# Refused at the head, before the body: the head alone is sent, as the
	# connection is closed after the answer (and unread bytes would reset it).
	run raw 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'both Transfer-Encoding and Content-Length'
	run raw 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'different values'
	run raw 'POST /c HTTP/1.1\r\nHost: x\nContent-Length: 1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'bare LF'
	run raw 'POST /d HTTP/1.1\nHost: x\r\nContent-Length: 1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length : 1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST /g HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: 1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST /h HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST /i HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'GET /j HTTP/1.1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	# a dot segment, which an upstream with a path prefix would resolve
	# out of it (it was forwarded as sent)
	run raw 'POST /k/../../admin HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'dot segment'
	run raw 'GET /k/%2e%2E/admin HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	# obsolete line folding, which libmicrohttpd joins into another name
	# ("X-A: a" folded onto " b" went on as "X-Ab: a"), and which hid a
	# bare LF after it
	run raw 'GET /k HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nX-C: c\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'folded'
	run raw 'GET /l HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'GET /m HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nX-B: x\nX-C: c\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	# the answer names the field (its place and name, not its value), or
	# what is wrong with the target
	run raw 'GET /n HTTP/1.1\r\nHost: x\r\nX-A: a\001b\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial "a header value holds CR, LF, NUL or another control byte: header field 2, 'X-A'"
	run raw 'GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'request target holds a space, a control byte or a non-ASCII byte'
	# what is well-formed goes through: equal Content-Lengths, chunked alone
	run raw 'POST /ok1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab'
	assert_line --index 0 --partial ' 200 '
	run raw 'POST /ok2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nab\r\n0\r\n\r\n'
	assert_line --index 0 --partial ' 200 '
	# a long head (150 fields, 16 KB) sent in pieces is not taken for a
	# folded one: its fields stay where the server reads them
	head=$(for i in $(seq 150); do printf 'X-H%d: %0100d\\r\\n' "$i" "$i"; done)
	exec 5<> "/dev/tcp/127.0.0.1/${PX##*:}"
	printf '%b' "GET /ok3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n$head" > "$T/long"
	printf '\r\n' >> "$T/long"
	for off in $(seq 0 2000 "$(wc -c < "$T/long")"); do
		tail -c +$((off + 1)) "$T/long" | head -c 2000 >&5
		sleep 0.01
	done
	run timeout 5 cat <&5
	exec 5<&-
	assert_line --index 0 --partial ' 200 '
	px_stop
	assert_equal "$(jq -r .path "$T/ds.log" | tr '\n' ' ')" "/ok1 /ok2 /ok3 "
	assert_equal "$(stored_ids | wc -l)" 0
}

@test "a bare LF ending the last header line is refused with 400, never captured" {
	# The upstream is down and GET is captureable: whatever gets through
	# is captured, so "nothing stored" says each was refused.
	px_start "http://127.0.0.1:$(dead_port)" --capture-methods GET,POST
	run raw 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_output --partial 'bare LF'
	# the blank line in a bare LF, and both
	run raw 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\n'
	assert_line --index 0 --partial ' 400 '
	run raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\n\n'
	assert_line --index 0 --partial ' 400 '
	# the request line alone, then the end of the head
	run raw 'GET / HTTP/1.0\n\r\n'
	assert_line --index 0 --partial ' 400 '
	assert_equal "$(stored_ids | wc -l)" 0
	# the same request with CR LF is captured
	run raw 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nConnection: close\r\n\r\n'
	assert_line --index 0 --partial ' 202 '
	px_stop
	assert_equal "$(stored_ids | wc -l)" 1
}

@test "answers stream with bounded memory: 64 MiB through a slow reader" {
	ngx_start --no-log
	echo small > "$T/nginx/www/ok.txt"
	# a sanitizer build keeps freed memory in quarantine (libcurl frees a
	# buffer at every pause): without it, its peak is the program's
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	px_start "http://127.0.0.1:$NGX_PORT"
	curl -s -o /dev/null "http://$PX/warm-up"
	base=$(awk '/VmHWM/ { print $2 }' "/proc/$PX_PID/status")
	head -c $((64 << 20)) /dev/urandom > "$T/nginx/www/ok.txt"
	run sh -c "curl -s --limit-rate 32M http://$PX/file | sha256sum"
	assert_success
	assert_equal "${output%% *}" "$(sha256sum < "$T/nginx/www/ok.txt" | cut -d' ' -f1)"
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PX_PID/status")
	# the whole answer is 65536 kB; the proxy's peak grew by a small part
	# of it (0.1 MiB here; 2 MiB in a sanitizer build)
	echo "peak RSS $base kB before, $hwm kB after"
	[ $((hwm - base)) -lt 8192 ]
	px_stop
}
