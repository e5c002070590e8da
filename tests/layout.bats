#!/usr/bin/env bats
# The code's size limits (.ci/sizes): no function over 80 lines, no file
# over 800, in lib/, cmd/, the tests' C sources and bench/; and no test
# assertion that cannot fail.

load common

setup() { common_setup; }
teardown() { common_teardown; }

@test ".ci/sizes names a function over 80 lines and a file over 800, and passes what is within" {
	# fn NAME BODY_LINES: a function of BODY_LINES + 3 lines
	fn() {
		echo "int $1(int a)"
		echo '{'
		for i in $(seq "$2"); do echo "	a += $i;"; done
		echo '}'
	}
	{ fn at_limit 77; fn over_it 78; } > "$T/f.c"
	run sh "$RD_TOP/.ci/sizes" "$T/f.c"
	assert_success
	assert_output "$T/f.c:81: over_it 81 lines"
	for i in $(seq 800); do echo "/* $i */"; done > "$T/g.c"
	run sh "$RD_TOP/.ci/sizes" "$T/g.c"
	assert_output ''
	echo '/* one more */' >> "$T/g.c"
	run sh "$RD_TOP/.ci/sizes" "$T/g.c"
	assert_output "$T/g.c: 801 lines (file)"
}

@test "no function in lib/, cmd/, tests' C sources or bench/ is over 80 lines, and no file over 800" {
	cd "$RD_TOP"
	run sh .ci/sizes
	assert_success
	assert_output ''
}

@test "no test asserts with a bare '! command': bash's errexit ignores it, so it could never fail" {
	cd "$RD_TOP"
	# allowed: '! cmd || ...', which acts; '[ ! ... ]' is not at a line's start
	run grep -nE '^[[:space:]]*! ' tests/*.bats
	lines=$(grep -v '||' <<< "$output" || true)
	assert_equal "$lines" ""
}
