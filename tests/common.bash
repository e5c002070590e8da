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
	export RD_DIR="$SPOOL"
}

common_teardown() {
	rm -rf "$T"
}

# A valid NDJSON record; $1 is a sequence number, $2 an optional tag.
rec() {
	printf '{"method":"POST","url":"http://127.0.0.1:8080/orders/%s","headers":[["Content-Type","application/json"]],"body":"{\\"n\\":%s}","failure":{"type":"http_503","status":503},"tags":{"w":"%s"}}\n' "$1" "$1" "${2:-0}"
}

# Every line stored in the spool, decompressed, in log order.
spool_lines() {
	local d=${1:-$SPOOL}
	cat "$d"/*.ndjson.gz 2>/dev/null | zcat 2>/dev/null
}
