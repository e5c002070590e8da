#!/usr/bin/env bats
# Security promises, each with its test: private files, symlinks refused,
# no file name taken from input, header injection refused at capture and
# at replay, oversized input refused before it is held whole.  The
# allow-list and metadata addresses are in rd-replay.bats, TLS
# verification in rd-replay-nginx.bats, redaction in rd-audit.bats.

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

@test "everything created is private: 0700 directories, 0600 files, whatever the umask" {
	umask 000
	ds_start
	capture_n 5
	rd-replay -q --rate max
	rd-health -q --state "$T/breaker" --url "http://127.0.0.1:$PORT/health"
	rd-audit --html "$T/report.html" > /dev/null 2>&1
	assert_file_permission 700 "$SPOOL"
	for f in "$SPOOL"/*; do
		assert_file_permission 600 "$f"
	done
	ls "$SPOOL" | grep -q replay.ckpt
	ls "$SPOOL" | grep -q replay.lock
	assert_file_permission 600 "$T/breaker"
	assert_file_permission 600 "$T/report.html"
}

@test "symlinks planted in the spool are refused, never followed" {
	ds_start
	capture_n 2
	echo secret > "$T/target"
	ln -s "$T/target" "$SPOOL/replay.ckpt"
	run rd-replay --rate max
	assert_failure 2
	assert_output --partial "replay.ckpt"
	assert_output --partial "Too many levels of symbolic links"
	assert_equal "$(cat "$T/target")" secret
	rm "$SPOOL/replay.ckpt" "$SPOOL/replay.lock"
	ln -s "$T/target" "$SPOOL/replay.lock"
	run rd-replay --rate max
	assert_failure 2
	assert_equal "$(cat "$T/target")" secret
	rm "$SPOOL/replay.lock"
	# a segment that is a symlink is neither read nor appended to
	mv "$SPOOL/00000000000000000001.ndjson.gz" "$T/seg"
	ln -s "$T/seg" "$SPOOL/00000000000000000001.ndjson.gz"
	run sh -c "rec 3 | rd-capture"
	run rd-capture -q http://127.0.0.1:1/x
	assert_failure 2
	assert_output --partial "Too many levels of symbolic links"
	cp "$T/seg" "$T/seg.before"
	run rd-audit --verify
	assert_failure 2
	cmp "$T/seg" "$T/seg.before"
}

@test "no file name comes from input: ids are generated, and --show takes ids only" {
	run sh -c 'printf "{\"id\":\"../../x\",\"method\":\"GET\",\"url\":\"http://h/\"}\n" | rd-capture'
	assert_failure 1
	[ ! -e "$T/x" ]
	run rd-audit --show ../../etc/passwd
	assert_failure 2
	assert_output --partial "is not a record id"
	# every file in the spool has one of the fixed name patterns
	rec 1 | rd-capture -q > /dev/null
	run sh -c "ls '$SPOOL' | grep -vE '^([0-9]{20}\\.(ndjson\\.gz|idx)|LOCK|replay\\.(lock|ckpt))$'"
	assert_output ""
}

@test "header injection: CR, LF or NUL refused at capture and at replay" {
	ds_start
	# on the command line, a usage error: exit 2, nothing stored
	run rd-capture -H "$(printf 'X-A: a\r\nX-Injected: 1')" "http://127.0.0.1:$PORT/"
	assert_failure 2
	run sh -c "printf '{\"method\":\"GET\",\"url\":\"http://127.0.0.1:$PORT/\",\"headers\":[[\"X-A\",\"a\\\\r\\\\nX-Injected: 1\"]]}\n' | rd-capture"
	assert_failure 1
	assert_output --partial "CR, LF, NUL"
	run rd-capture --raw < <(printf 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n')
	assert_failure 1
	# a record crafted straight into a segment is refused by replay too
	mkdir -p "$SPOOL"
	printf '{"v":1,"kind":"request","id":"01JDZ00000000000000000000A","captured_at":"2026-11-25T00:00:00.000Z","method":"GET","url":"http://127.0.0.1:%s/evil","headers":[["X-A","a\\r\\nX-Injected: 1"]],"body":"","failure":{"type":"x"},"attempts":0,"idempotency_key":"k"}\n' "$PORT" |
		gzip -c > "$SPOOL/00000000000000000001.ndjson.gz"
	run rd-replay --rate max
	assert_output --partial "cannot be parsed"
	[ ! -s "$T/ds.log" ]
	# the same goes for a method or URL that is not one
	printf '{"v":1,"kind":"request","id":"01JDZ00000000000000000000B","captured_at":"2026-11-25T00:00:00.000Z","method":"GET / HTTP/1.1\\r\\nX","url":"http://127.0.0.1:%s/","headers":[],"body":"","failure":{"type":"x"},"attempts":0,"idempotency_key":"k"}\n' "$PORT" |
		gzip -c >> "$SPOOL/00000000000000000001.ndjson.gz"
	run rd-replay --rate max
	[ ! -s "$T/ds.log" ]
	# and rd-replay's own -H
	run rd-replay -H "$(printf 'X-A: a\r\nX-B: b')"
	assert_failure 2
}

@test "oversized input is refused before it is held whole" {
	head -c 50000000 /dev/zero | tr '\0' a | sed 's/^/{"method":"POST","url":"http:\/\/h\/","body":"/; s/$/"}/' > "$T/big"
	/usr/bin/time -o "$T/rss" -f '%M' rd-capture --max-record-size 1M < "$T/big" > "$T/out" 2> "$T/err" || true
	grep -q "larger than the 1048576-byte limit" "$T/err"
	# 50 MB of input, and far less than that held in memory
	[ "$(tail -1 "$T/rss")" -lt 30000 ]
	[ ! -e "$SPOOL/00000000000000000001.ndjson.gz" ] || [ "$(spool_lines | wc -l)" -eq 0 ]
	# the same for a body given by file, and for standard input of rd-health
	head -c 3000000 /dev/zero > "$T/body"
	run rd-capture --max-record-size 1M --data-binary @"$T/body" http://h/
	assert_failure 2
	assert_output --partial "--max-record-size"
	run sh -c "head -c 20000000 /dev/zero | tr '\\\\0' ' ' | rd-health --jq ."
	assert_failure 2
}
