#!/bin/sh
# tests/torture.sh - the long version of the fault suites: `make torture
# N=1000` kills rd-capture and rd-replay N times each at random points,
# fuzzes every target for N/10 seconds, runs the reliability and security
# suites, and prints a summary table.  Exit 0 only if every part passed.
set -u
N=${N:-100}
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
export RD_TOP="$top" RD_BUILD="$top/$BUILD"
out=$(mktemp -d "${TMPDIR:-/tmp}/rd-torture.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
rows=""

part() { # NAME, then the command
	name=$1
	shift
	start=$(date +%s)
	if "$@" > "$out/log" 2>&1; then res=pass; else res=FAIL; status=1; fi
	secs=$(( $(date +%s) - start ))
	detail=$(grep -h '^# \(rounds\|kills\)' "$out/log" | head -1 | sed 's/^# //')
	[ -n "$detail" ] || detail=$(grep -c '^ok' "$out/log" | sed 's/$/ checks/')
	[ "$res" = pass ] || tail -n 20 "$out/log"
	rows="$rows$(printf '| %s | %s | %s | %ss |' "$name" "$res" "$detail" "$secs")
"
}

part "rd-capture kill -9 x$N" env RD_KILL_ROUNDS="$N" \
	bats --tap -f 'kill -9 mid-stream' "$top/tests/rd-capture-faults.bats"
part "rd-replay kill -9 x$N at -c 4" env RD_KILL_ROUNDS="$N" RD_KILL_RECORDS=$((N * 50)) \
	bats --tap -f 'kill -9 loop' "$top/tests/rd-replay.bats"
part "rd-replay kill -9 x$N at -c 16" env RD_KILL_ROUNDS="$N" RD_KILL_CONCURRENCY=16 \
	RD_KILL_RECORDS=$((N * 100)) bats --tap -f 'kill -9 loop' "$top/tests/rd-replay.bats"
part "fuzz, $((N / 10))s per target" sh "$top/tests/fuzz/run" "$top/build-fuzz" \
	-max_total_time=$((N / 10 > 0 ? N / 10 : 1))
part "reliability suite" bats --tap "$top/tests/reliability.bats"
part "security suite" bats --tap "$top/tests/security.bats"
part "rd-capture faults" bats --tap "$top/tests/rd-capture-faults.bats"

printf '\n| part | result | detail | time |\n|---|---|---|---|\n%s' "$rows"
exit $status
