# tests/common.bash - shared setup for every bats suite: the bats helper
# libraries, the freshly built binaries first on PATH, and a private
# scratch directory per test.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

RD_TOP=${RD_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
RD_BUILD=${RD_BUILD:-$RD_TOP/build}
export PATH="$RD_BUILD/bin:$RD_BUILD/tests:$PATH"

common_setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/rd.XXXXXX")
	SPOOL="$T/spool"
	export RD_SPOOL="$SPOOL"
}

common_teardown() {
	rm -rf "$T"
}

# A valid NDJSON record; $1 is a sequence number, $2 an optional tag.
rec() {
	printf '{"method":"POST","url":"http://127.0.0.1:8080/orders/%s","headers":[["Content-Type","application/json"]],"body":"{\\"n\\":%s}","failure":{"type":"http_503","status":503},"tags":{"w":"%s"}}\n' "$1" "$1" "${2:-0}"
}

# rec_seq N [W]: rec 1 .. rec N (with tag W), from one awk: a shell loop
# of function calls takes seconds per ten thousand under bats.
rec_seq() {
	awk -v n="$1" -v w="${2:-0}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:8080/orders/%d\",\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\"{\\\"n\\\":%d}\",\"failure\":{\"type\":\"http_503\",\"status\":503},\"tags\":{\"w\":\"%s\"}}\n", i, i, w
	}'
}

# Every line stored in the spool, decompressed, in log order.
spool_lines() {
	local d=${1:-$SPOOL}
	cat "$d"/*.ndjson.gz 2>/dev/null | zcat 2>/dev/null
}

# Start the project's test downstream on 127.0.0.1 with the given knobs;
# sets PORT and DS_PID.  Its request log is $T/ds.log.  ds_stop (called
# from teardown) stops it by PID and fails if it did not exit 0, so a
# sanitizer report in the server fails the test.
ds_start() {
	rm -f "$T/port" "$T/ds.pid"
	rd-downstream --port-file "$T/port" --pid-file "$T/ds.pid" \
		--log "$T/ds.log" "$@" 2> "$T/ds.err" 3>&- &
	DS_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	[ -s "$T/port" ] || { cat "$T/ds.err" >&2; return 1; }
	PORT=$(cat "$T/port")
}

ds_stop() {
	[ -n "${DS_PID:-}" ] || return 0
	local rc=0
	kill -TERM "$DS_PID" 2> /dev/null || true
	wait "$DS_PID" || rc=$?
	DS_PID=
	if [ "$rc" -ne 0 ]; then
		echo "rd-downstream exited $rc" >&2
		cat "$T/ds.err" >&2
		return 1
	fi
}

# Capture n records aimed at the downstream: POST /orders/<i> with a JSON
# body, failure http_503.  $1 = n, $2 = optional path prefix.
capture_n() {
	local n=$1 prefix=${2:-/orders}
	seq "$n" | awk -v p="$PORT" -v pre="$prefix" '{
		printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s%s/%d\",\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\"{\\\"n\\\":%d}\",\"failure\":{\"type\":\"http_503\",\"status\":503}}\n", p, pre, $1, $1
	}' | rd-capture -q > /dev/null
}

# Events of one kind from the spool, as NDJSON.
spool_events() {
	spool_lines | jq -c "select(.kind == \"$1\")"
}

# Start Debian's nginx on a free loopback port (tests/helpers/nginx.sh
# takes the options); sets NGX_PORT and NGX_PID, its files in $T/nginx.
ngx_start() {
	local try
	mkdir -p "$T/nginx"
	for try in 1 2 3 4 5; do
		NGX_PORT=$(( 20000 + (RANDOM % 20000) ))
		NGX_PID=$(sh "$RD_TOP/tests/helpers/nginx.sh" "$T/nginx" "$NGX_PORT" "$@") && return 0
	done
	return 1
}

ngx_stop() {
	[ -n "${NGX_PID:-}" ] || return 0
	kill -TERM "$NGX_PID" 2> /dev/null || true
	local i
	for i in $(seq 100); do
		kill -0 "$NGX_PID" 2> /dev/null || break
		sleep 0.05
	done
	NGX_PID=
}

# Run the command until it succeeds, every 50 ms, for at most $1 seconds;
# fails when it never did.  For "wait until X happened" instead of a
# fixed sleep that a loaded machine can outlast.
wait_until() {
	local limit=$(( $1 * 20 )) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_until: '$*' never succeeded" >&2
	return 1
}

# Hold an flock on $1 for $2 seconds in the background, as another
# process would; returns once it is held.  Sets HELD_PID (flock's).
hold_lock() {
	rm -f "$T/held"
	flock "$1" sh -c ': > "$1"; sleep "$2"' sh "$T/held" "$2" 3>&- &
	HELD_PID=$!
	wait_until 10 test -e "$T/held"
}

# The byte offset of the first member of segment $1 (its .idx beside it)
# whose lines hold the text $2; fails when none does.
member_with() {
	local idx=${1%.ndjson.gz}.idx n i off len
	n=$(( ($(stat -c %s "$idx") - 16) / 48 ))
	for ((i = 0; i < n; i++)); do
		off=$(od -An -tu8 -j $((16 + 48 * i)) -N8 "$idx" | tr -d ' ')
		len=$(od -An -tu4 -j $((24 + 48 * i)) -N4 "$idx" | tr -d ' ')
		if tail -c +$((off + 1)) "$1" | head -c "$len" | zcat 2>/dev/null | grep -qF "$2"; then
			echo "$off"
			return 0
		fi
	done
	return 1
}

# Flip one byte of file $1 at offset $2.
flip() {
	printf "$(printf '\\%03o' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 0x55 )))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Wait (10 s at most) until the running replay's status file says it
# runs and has sent more than ${1:-0}.
replay_sent_over() {
	sent_over() {
		jq -e ".state == \"running\" and .sent > $1" "$SPOOL/replay.status" > /dev/null 2>&1
	}
	wait_until 10 sent_over "${1:-0}"
}

# Wait (10 s at most) for the next picture of the running replay: its
# status file's .updated moves on from what it is now.
replay_next_status() {
	local u
	u=$(jq -r .updated "$SPOOL/replay.status" 2> /dev/null)
	moved() { [ "$(jq -r .updated "$SPOOL/replay.status" 2> /dev/null)" != "$u" ]; }
	wait_until 10 moved
}

# jsz PORT [QUERY]: the monitor's /jsz
jsz() { curl -sf --max-time 5 "http://127.0.0.1:$1/jsz${2:+?$2}"; }
healthz() { curl -s --max-time 5 "http://127.0.0.1:$1/healthz"; }

# nats_req PORT SUBJECT PAYLOAD: one request in the NATS client protocol
# on 127.0.0.1:PORT (no client tool is needed); prints the reply
nats_req() {
	local LC_ALL=C fd line
	exec {fd}<> "/dev/tcp/127.0.0.1/$1"
	printf 'CONNECT {"verbose":false}\r\nSUB _INBOX.t 1\r\nPUB %s _INBOX.t %d\r\n%s\r\n' \
		"$2" "${#3}" "$3" >&"$fd"
	while IFS= read -r -t 5 line <&"$fd"; do
		line=${line%$'\r'}
		case $line in
		MSG*) IFS= read -r -t 5 line <&"$fd"; printf '%s\n' "${line%$'\r'}"; break ;;
		PING) printf 'PONG\r\n' >&"$fd" ;;
		-ERR*) echo "$line" >&2; break ;;
		esac
	done
	exec {fd}>&-
}
