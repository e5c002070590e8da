#!/usr/bin/env bats
# `make demo` tells its story and ends green: examples/demo.sh run as a
# user would, checked for what it promises.

load common

setup() { common_setup; }
teardown() { common_teardown; }

@test "the demo plays the outage end to end and delivers every request once" {
	run env TMPDIR="$T" BUILD="${RD_BUILD#"$RD_TOP"/}" sh "$RD_TOP/examples/demo.sh"
	assert_success
	assert_output --partial "charge 1: exit 1 (1 = not delivered, captured durably)"
	assert_output --partial "breaker open (2 unhealthy evaluations)"
	assert_output --partial "healthy: 2 checks passed; breaker closed"
	assert_output --partial "rd-audit: report written to $T/redrive-demo-report.html"
	grep -q '<svg' "$T/redrive-demo-report.html"
	rm "$T/redrive-demo-report.html"
	assert_output --partial "exit 1 (1 = work remains)"
	assert_output --partial "delivered 1503, each exactly once (0 duplicates)"
	assert_output --partial "the three charges kept their own idempotency keys: charge-1 charge-2 charge-3"
	assert_output --partial "gzip -t: ok"
	assert_output --partial "rd-compact: removed 1503 of 1503 requests (1503 delivered, 0 dead) from 1 segment;"
	assert_output --regexp "spool: [0-9]+ KiB before, [0-9]+ KiB after; rd-audit totals before (\{[^}]*\}), after \1"
	assert_output --regexp "acknowledged before the kill: [1-9][0-9]*, missing after it: 0"
	assert_output --partial "rd-proxy: the client got 202 while the service was down"
	assert_output --partial "rd-proxy: after the outage rd-replay delivered it, with the key the 202 announced"
	assert_output --partial "done: every captured request was delivered once"
	# It cleans up after itself, and stops the service it started.
	assert_equal "$(ls "$T" | grep -c rd-demo)" 0
	run pgrep -f "rd-downstream --port-file $T/rd-demo"
	assert_failure
	run pgrep -f "rd-proxy .*--spool $T/rd-demo"
	assert_failure
}
