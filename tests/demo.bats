#!/usr/bin/env bats
# `make demo` tells its story and ends green: examples/demo.sh run as a
# user would, checked for what it promises.

load common

setup() { common_setup; }
teardown() { common_teardown; }

@test "the demo runs end to end and loses no acknowledged record" {
	run env TMPDIR="$T" BUILD="${RD_BUILD#"$RD_TOP"/}" sh "$RD_TOP/examples/demo.sh"
	assert_success
	assert_output --partial "gzip -t: ok"
	assert_output --partial "exit status 1 (1 = some input rejected, valid records kept)"
	assert_output --regexp "acknowledged before the kill: [1-9][0-9]*, missing after it: 0"
	assert_output --partial "done: every acknowledged record is in the spool"
	# It cleans up after itself.
	assert_equal "$(ls "$T" | grep -c rd-demo)" 0
}
