#!/usr/bin/env bats
# Security promises, each with its test: private files, symlinks refused,
# no file name taken from input, header injection refused at capture and
# at replay, oversized input refused before it is held whole; and, at the
# end, metadata addresses in every spelling, proxies from the environment,
# the descriptors a gate command could inherit and a record's limits.
# The allow-list is in rd-replay.bats, TLS verification in
# rd-replay-nginx.bats, redaction in rd-audit.bats.

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

@test "an option's error never quotes what may be a credential: a header's value, an argument too many" {
	secret=s3cr3t-Zq9
	shown() { grep -q "$secret" <<< "$output" && fail "the secret was shown: $output"; true; }
	# a line with no colon may be the token itself; a value with a
	# control byte, or not UTF-8, is still the credential
	for h in "Bearer-$secret" "Authorization Bearer $secret" \
		 $'Authorization: Bearer '"$secret"$'\x01' $'Authorization: Bearer '"$secret"$'\xff'; do
		run rd-capture -H 'X-A: 1' -H "$h" http://127.0.0.1:1/x
		assert_failure 2
		assert_output --partial "rd-capture: --header 2"
		shown
		run rd-replay --dry-run -H "$h"
		assert_failure 2
		assert_output --partial "rd-replay: --header 1"
		shown
		run rd-health --url http://127.0.0.1:1/ -H "$h"
		assert_failure 2
		assert_output --partial "rd-health: --header 1"
		shown
		run rd-health --nagios --url http://127.0.0.1:1/ -H "$h"
		assert_failure 3
		assert_output --partial "RD-HEALTH UNKNOWN - --header 1"
		shown
	done
	# nor does an argument too many, which may be a URL with credentials
	for tool in rd-capture rd-replay rd-audit rd-health rd-compact rd-proxy; do
		first=()
		[ "$tool" = rd-capture ] && first=(http://127.0.0.1:1/a)   # its one URL
		run $tool "${first[@]}" "http://u:$secret@127.0.0.1:1/b?token=$secret"
		assert_failure 2
		assert_output --partial "unexpected argument 'http://[REDACTED]@127.0.0.1:1/b?token=[REDACTED]'"
		shown
		# an unquoted -H value leaves its token behind (-H X-Key: TOKEN):
		# never shown
		run $tool "${first[@]}" "$secret"
		assert_failure 2
		assert_output --partial "an argument too many"
		shown
	done
	[ ! -e "$RD_SPOOL" ] || assert_equal "$(spool_lines | wc -l)" 0
}

@test "a URL that does not parse keeps its password out of the error that names it" {
	secret=s3cr3t-Zq9
	shown() { grep -q "$secret" <<< "$output" && fail "the secret was shown: $output"; true; }
	bad="http://u:$secret@[::1"
	run rd-health --url "$bad"
	assert_failure 2
	assert_output --partial "'http://[REDACTED]@[::1' is not an http or https URL"
	shown
	run rd-health --prom "$bad" --promql up --check value==1
	assert_failure 2
	shown
	run rd-health --metrics "$bad/m?token=$secret" --metric up --check value==1
	assert_failure 2
	assert_output --partial "'http://[REDACTED]@[::1/m?token=[REDACTED]'"
	shown
	run rd-proxy --listen 127.0.0.1:0 --upstream "$bad" --spool "$T/px"
	assert_failure 2
	shown
	printf '{"method":"POST","url":"http://127.0.0.1:1/a"}\n' | rd-capture -q > /dev/null
	# refused at the start (exit 2), not record by record
	run rd-replay --dry-run --target "$bad"
	assert_failure 2
	assert_output --partial "--target: 'http://[REDACTED]@[::1' is not an http or https URL without query: no valid host"
	shown
	run rd-replay -q --target 'http://h.example:99999/' --allow-host h.example --max-time 2s
	assert_failure 2
	assert_output --partial "the port is not 1 to 65535"
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

# --- Never leak: metadata addresses, proxies, descriptors, record size ---

# The URLs a captured request could use to reach a cloud metadata service:
# numeric spellings, every IPv6 form that carries an IPv4 address, the
# providers' own IPv6 addresses, and link-local ones.
metadata_urls() {
	printf '%s\n' \
		'http://169.254.169.254/latest/meta-data/' \
		'http://2852039166/latest/meta-data/' \
		'http://0xa9fea9fe/latest/meta-data/' \
		'http://[::ffff:169.254.169.254]/latest/meta-data/' \
		'http://[::ffff:a9fe:a9fe]/latest/meta-data/' \
		'http://[::169.254.169.254]/latest/meta-data/' \
		'http://[::ffff:0:a9fe:a9fe]/latest/meta-data/' \
		'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/' \
		'http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/' \
		'http://[64:ff9b:1:a9fe:a9:fe00::]/latest/meta-data/' \
		'http://[2002:a9fe:a9fe::1]/latest/meta-data/' \
		'http://[fd00:ec2::254]/latest/meta-data/' \
		'http://[fd00:ec2::23]/v1/credentials' \
		'http://[fd20:ce::254]/computeMetadata/v1/' \
		'http://100.100.100.200/latest/meta-data/' \
		'http://192.0.0.192/latest/meta-data/' \
		'http://168.63.129.16/machine?comp=goalstate' \
		'http://169.254.170.2/v2/credentials' \
		'http://169.254.1.1/' \
		'http://[fe80::a9fe:a9fe]/openstack/' |
	while read -r u; do
		printf '{"method":"GET","url":"%s"}\n' "$u"
	done
}

@test "metadata addresses are refused in every form, before a connection is made" {
	ds_start
	metadata_urls | rd-capture -q > /dev/null
	n=$(metadata_urls | wc -l)
	# a request for the downstream in IPv4-mapped form is not refused
	printf '{"method":"GET","url":"http://[::ffff:127.0.0.1]:%s/mapped"}\n' "$PORT" | rd-capture -q > /dev/null
	run rd-replay --rate max --max-attempts 1 --connect-timeout 1s --timeout 2s
	assert_failure 4
	# every metadata attempt ends at the address check, with the address
	# it would have connected to: no connect, no request
	assert_equal "$(spool_events attempt | jq -s "[.[] | select(.error != null and (.error | test(\"^not connecting to [0-9a-f.:]+: a (cloud metadata|link-local) address\")))] | length")" "$n"
	spool_events attempt | jq -e 'select(.outcome == "ok")' > /dev/null
	assert_equal "$(jq -r .path "$T/ds.log")" "/mapped"
}

@test "an allowed name that resolves to a metadata address is refused; the address itself, named, is not" {
	[ "$(id -u)" = 0 ] && command -v unshare > /dev/null || skip "needs root and unshare"
	# a private /etc/hosts in a mount namespace, and a network namespace
	# with nothing in it, so that nothing can leave this machine
	printf '169.254.169.254 meta.allowed.test\n127.0.0.1 localhost\n' > "$T/hosts"
	printf '{"method":"GET","url":"http://meta.allowed.test/latest/meta-data/"}\n' | rd-capture -q > /dev/null
	inns() { unshare -mn sh -c "mount --bind '$T/hosts' /etc/hosts && $*"; }
	run inns rd-replay --rate max --max-attempts 1 --allow-host meta.allowed.test --connect-timeout 1s --timeout 2s
	assert_failure 4
	spool_events attempt | jq -e 'select(.error | test("^not connecting to 169.254.169.254: a cloud metadata address, refused unless the allow-list"))'
	# named as an address, it is the user's call: the attempt gets past
	# the check (and fails to connect, in an empty network namespace)
	run inns rd-replay --revive --reason test --rate max --max-attempts 1 --allow-host meta.allowed.test --allow-host 169.254.169.254 --connect-timeout 1s --timeout 2s
	assert_failure 4
	assert_equal "$(spool_events attempt | jq -s 'last | .error | test("not connecting")')" false
}

@test "a proxy from the environment never carries a request, to a metadata address or any other" {
	ds_start
	metadata_urls | rd-capture -q > /dev/null
	capture_n 2 /direct
	# the downstream plays the proxy: through it, the metadata requests
	# would arrive in absolute form ("GET http://169.254.169.254/...")
	run env http_proxy="http://127.0.0.1:$PORT" HTTPS_PROXY="http://127.0.0.1:$PORT" \
		https_proxy="http://127.0.0.1:$PORT" ALL_PROXY="http://127.0.0.1:$PORT" \
		all_proxy="socks5://127.0.0.1:$PORT" NO_PROXY= \
		rd-replay --rate max --max-attempts 1 --connect-timeout 1s --timeout 2s
	assert_failure 4
	# only the two requests for the downstream itself, sent to it directly
	assert_equal "$(jq -r .path "$T/ds.log" | sort | tr '\n' ' ')" "/direct/1 /direct/2 "
	run jq -e 'select(.path | test("169.254|meta|fd00|100.100"))' "$T/ds.log"
	assert_failure
	# rd-capture --try goes straight to the host as well: a proxy that is
	# not even listening changes nothing
	run env http_proxy=http://127.0.0.1:1 ALL_PROXY=http://127.0.0.1:1 \
		rd-capture --try -s "http://127.0.0.1:$PORT/try"
	assert_success
	assert_equal "$(jq -r .path "$T/ds.log" | tail -1)" "/try"
}

# The gate command checks, every time it runs, that it holds no
# descriptor but 0, 1 and 2, and that every descriptor of the replay
# (its sockets and spool files) is close-on-exec; it counts the replay's
# established TCP connections, to show the check ran while some were
# open.  `exec` makes the replay this script's parent.
fd_gate() {
	cat > "$T/gate.sh" <<'GATE'
#!/bin/sh
d=$1 p=$PPID tcp=0
[ -e "$d/first" ] || { : > "$d/first"; exit 0; }
# wait (briefly) until the replay holds a connection
i=0
while [ $i -lt 200 ]; do
	for f in /proc/$p/fd/*; do
		l=$(readlink "$f") || continue
		case $l in socket:*) ino=${l#socket:[}; ino=${ino%]}
			awk -v i="$ino" '$4 == "01" && $10 == i { f = 1 } END { exit !f }' \
				/proc/net/tcp /proc/net/tcp6 && tcp=$((tcp + 1)) ;;
		esac
	done
	[ $tcp -gt 0 ] && break
	i=$((i + 1))
	sleep 0.01
done
for f in /proc/$p/fd/*; do
	n=${f##*/}
	[ "$n" -gt 2 ] || continue
	l=$(readlink "$f") || continue
	case $l in socket:*|"$d"/*) ;; *) continue ;; esac
	fl=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$p/fdinfo/$n")
	# O_CLOEXEC is 02000000 in the octal flags
	[ $((0$fl & 02000000)) -ne 0 ] || echo "replay fd $n ($l) is inheritable" >> "$d/leaks"
done
# the shell's own: 0, 1, 2 and the script it reads (listed from a
# subshell, so that neither a pipe nor a redirection is the shell's own
# for a moment)
(ls -l /proc/$$/fd) > "$d/self.$$"
awk -v me="$0" 'NR > 1 && $9 > 2 && $11 != me { print "gate has fd " $9 " -> " $11 }' "$d/self.$$" >> "$d/leaks"
echo $tcp >> "$d/tcp"
GATE
	chmod +x "$T/gate.sh"
}

@test "a gate command inherits no descriptor of the replay's, while connections are open" {
	ds_start --latency 100
	capture_n 30
	fd_gate
	run rd-replay --rate 30/s --concurrency 4 --gate-every 10ms --gate "exec '$T/gate.sh' '$T'"
	assert_success
	[ -s "$T/tcp" ]
	# the check ran while the replay held kept-alive connections
	[ "$(sort -n "$T/tcp" | tail -1)" -gt 0 ]
	[ ! -s "$T/leaks" ] || { cat "$T/leaks"; false; }
}

@test "a record of 1.5 million headers is refused in bounded memory, at capture and at replay" {
	# 13.5 MB of ["a",""] pairs: under the record size limit, and far
	# more headers than any server takes
	awk 'BEGIN { printf "{\"method\":\"POST\",\"url\":\"http://h/\",\"headers\":[";
		for (i = 0; i < 1500000; i++) printf "%s[\"a\",\"\"]", i ? "," : "";
		print "]}" }' > "$T/big"
	rec 2 >> "$T/big"
	# at most 200 MB of address space, and under 100 MB resident (the
	# code before the limit took 400 MB); a sanitizer reserves terabytes
	# of address space and keeps freed memory in quarantine, so there
	# only resident memory is measured, against a looser bound
	san= rss=100000
	grep -qa __asan_init "$(command -v rd-capture)" && san=1 rss=300000
	limit() {
		if [ -n "$san" ]; then "$@"; else (ulimit -v 200000; exec "$@"); fi
	}
	run limit /usr/bin/time -o "$T/rss" -f '%M' rd-capture < "$T/big"
	assert_failure 1
	assert_line --index 0 "rd-capture: line 1: field 'headers': more than 200 headers"
	assert_equal "$(spool_lines | wc -l)" 1
	[ "$(tail -1 "$T/rss")" -lt "$rss" ]
	# a stored line of as many, written by another program, is skipped
	# by replay with a message, not read into memory whole
	mkdir -p "$T/s2"
	sed 's/^{/{"v":1,"kind":"request","id":"01JDZ00000000000000000000A","captured_at":"2026-11-25T00:00:00.000Z",/' "$T/big" |
		head -1 | gzip -c > "$T/s2/00000000000000000001.ndjson.gz"
	chmod 700 "$T/s2"
	run limit /usr/bin/time -o "$T/rss" -f '%M' rd-replay --spool "$T/s2" --dry-run
	assert_success
	assert_output --partial "record 01JDZ00000000000000000000A cannot be parsed, skipped: field 'headers': more than 200 headers"
	[ "$(tail -1 "$T/rss")" -lt "$rss" ]
	# the same limit on the command line and through --jq
	seq 201 | sed 's/^/X-H: /' > "$T/hdrs"
	run rd-capture -H @"$T/hdrs" http://h/
	assert_failure 2
	assert_output --partial "--header: more than 200 headers"
	run sh -c 'echo "{}" | rd-capture --jq "{method: \"GET\", url: \"http://h/\", headers: [range(201) | [\"a\", \"\"]]}"'
	assert_failure 1
	assert_output --partial "input 1, output 1: field 'headers': more than 200 headers"
}
