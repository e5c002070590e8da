#!/usr/bin/env bats
# The libFuzzer targets (tests/fuzz/), each over its checked-in corpus --
# the seeds and every crash kept as a regression input -- and then for a
# fixed number of fresh runs.  `make fuzz` runs them longer.

load common

setup() { common_setup; }
teardown() { rm -rf /tmp/rd-fuzz-member.*; common_teardown; }

fuzz() {
	local t=$1
	mkdir -p "$T/new"
	run "$RD_TOP/build-fuzz/fuzz_$t" -runs=5000 -max_len=16384 -timeout=10 \
		-rss_limit_mb=1024 -artifact_prefix="$T/" "$T/new" "$RD_TOP/tests/fuzz/corpus/$t"
	assert_success
	assert_output --partial "Done 5000 runs"
}

@test "fuzz: the segment and member reader, and verify" { fuzz member; }
@test "fuzz: the record and event parsers" { fuzz record; }
@test "fuzz: the raw HTTP parser" { fuzz rawhttp; }
@test "fuzz: thresholds, ranges, sizes, durations, rates and status sets" { fuzz thr; }
@test "fuzz: the text exposition reader, metric selectors and their sum" { fuzz expo; }
@test "fuzz: the proxy's request guard, target rebase and upstream head walk" { fuzz proxy; }
