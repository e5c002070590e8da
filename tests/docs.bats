#!/usr/bin/env bats
# Documentation stays in sync with the code: every long option in each
# tool's --help appears in its man page and its bash, zsh and fish
# completions; man pages render without warnings; completions load; the
# tests RELIABILITY.md names exist.

load common

tools() {
	local f
	for f in "$RD_TOP"/cmd/rd-*.c; do basename "$f" .c; done
}

help_options() {
	"$1" --help | grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | sort -u
}

@test "every tool has a man page, three completions and a test suite" {
	for t in $(tools); do
		assert_file_exist "$RD_TOP/man/$t.1"
		assert_file_exist "$RD_TOP/completions/$t.bash"
		assert_file_exist "$RD_TOP/completions/_$t"
		assert_file_exist "$RD_TOP/completions/$t.fish"
		assert_file_exist "$RD_TOP/tests/$t.bats"
	done
}

@test "every long option in --help is in the man page, and the completions offer exactly those" {
	missing=""
	for t in $(tools); do
		opts=$(help_options "$t")
		[ -n "$opts" ]
		# The roff source writes a dash as \-.
		man=$(sed 's/\\-/-/g' "$RD_TOP/man/$t.1")
		for o in $opts; do
			grep -qF -- "$o" <<< "$man" || missing+=" man/$t.1:$o"
		done
		# the completions come from the option table: the same set as
		# --help, in every shell, so the two cannot drift apart
		table=$("$t" --completion-helper bash "" "--" | sort -u)
		assert_equal "$table" "$opts"
		zsh=$("$t" --completion-helper zsh)
		fish=$("$t" --completion-helper fish)
		for o in $opts; do
			grep -qF -- "'$o" <<< "$zsh" || missing+=" zsh:$t:$o"
			grep -qE -- "-l ${o#--}( |$)" <<< "$fish" || missing+=" fish:$t:$o"
		done
		# and a description for each, from --help
		! grep -q '\[\]' <<< "$zsh" || missing+=" zsh:$t:no-description"
	done
	assert_equal "$missing" ""
}

@test "every man page lists the environment the code reads" {
	# what cli_spool_location reads (lib/cli.c), in every tool
	for t in $(tools); do
		env=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$RD_TOP/man/$t.1")
		for v in RD_SPOOL XDG_STATE_HOME HOME; do
			grep -qw "$v" <<< "$env" || fail "$t.1: ENVIRONMENT does not name $v"
		done
	done
	# and what only rd-replay reads (lib/journal.c, lib/msg.c)
	env=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$RD_TOP/man/rd-replay.1")
	for v in USER COLUMNS; do
		grep -qw "$v" <<< "$env" || fail "rd-replay.1: ENVIRONMENT does not name $v"
	done
}

@test "the man pages render with no warnings" {
	for f in "$RD_TOP"/man/*.[1-8]; do
		run sh -c "MANWIDTH=80 man --warnings -l '$f' 2>&1 >/dev/null"
		assert_success
		assert_output ""
		# And something was rendered: the NAME section.
		run sh -c "MANWIDTH=80 man -l '$f' 2>/dev/null | grep -c '^NAME'"
		assert_output 1
	done
}

@test "bash completion offers options by prefix and values for --fsync" {
	source "$RD_TOP/completions/rd-capture.bash"
	COMP_WORDS=(rd-capture --fs)
	COMP_CWORD=1
	_rd_capture
	assert_equal "${COMPREPLY[*]}" "--fsync --fsync-interval"
	COMP_WORDS=(rd-capture --fsync "")
	COMP_CWORD=2
	_rd_capture
	assert_equal "${COMPREPLY[*]}" "always batch interval never"
	# --fsync=VALUE, which bash splits at the '=': only what follows it
	COMP_WORDS=(rd-capture --fsync =)
	COMP_CWORD=2
	_rd_capture
	assert_equal "${COMPREPLY[*]}" "always batch interval never"
	COMP_WORDS=(rd-capture --fsync = b)
	COMP_CWORD=3
	_rd_capture
	assert_equal "${COMPREPLY[*]}" "batch"
	# an optional value only goes after '='
	source "$RD_TOP/completions/rd-replay.bash"
	COMP_WORDS=(rd-replay --dry-run =)
	COMP_CWORD=2
	_rd_replay
	assert_equal "${COMPREPLY[*]}" "curl raw"
	COMP_WORDS=(rd-replay --spool = "$RD_TOP/complet")
	COMP_CWORD=3
	_rd_replay
	assert_equal "${COMPREPLY[*]}" "$RD_TOP/completions"
}

@test "bash completion inserts expressions quoted, so < and > stay text" {
	local c word
	cd "$T"
	source "$RD_TOP/completions/rd-audit.bash"
	COMP_WORDS=(rd-audit --fail-if de)
	COMP_CWORD=2
	_rd_audit
	assert_equal "${#COMPREPLY[@]}" 1
	# what the shell reads back from the inserted text is the expression
	eval "word=${COMPREPLY[0]}"
	assert_equal "$word" "dead>0"
	source "$RD_TOP/completions/rd-health.bash"
	COMP_WORDS=(rd-health --check "'p9")
	COMP_CWORD=2
	_rd_health
	for c in "${COMPREPLY[@]}"; do
		eval "word=$c"
		[[ $word == p99\<* ]]
	done
	assert_equal "${#COMPREPLY[@]}" 1
	# no redirection happened: no file was created
	assert_equal "$(ls "$T" | wc -l)" 0
}

@test "a completion's description is the option's whole --help text, not its first line" {
	run rd-compact --completion-helper fish
	assert_success
	assert_line --partial "-l dry-run -s n -d 'say what would go and what it weighs; change nothing'"
	assert_line --partial "-l keep -x -a '1h 24h 168h 720h' -d 'keep what was resolved less than DUR ago, e.g. 24h, 30m (default 168h: a week)'"
}

@test "zsh and fish completions load and complete" {
	for t in $(tools); do
		run zsh -n "$RD_TOP/completions/_$t"
		assert_success
		run fish -n "$RD_TOP/completions/$t.fish"
		assert_success
		run bash -n "$RD_TOP/completions/$t.bash"
		assert_success
	done
	# fish asks the tool, as a user's shell would on Tab
	run fish -c "source '$RD_TOP/completions/rd-capture.fish'; complete -C 'rd-capture --fsync '"
	assert_success
	assert_equal "$(cut -f1 <<< "$output" | tr '\n' ' ')" "always batch interval never "
	run fish -c "source '$RD_TOP/completions/rd-replay.fish'; complete -C 'rd-replay --no-r'"
	assert_output --partial "--no-redact"
	# an optional value: offered after '=', not as the next word
	run fish -c "source '$RD_TOP/completions/rd-replay.fish'; complete -C 'rd-replay --dry-run='"
	assert_success
	assert_equal "$(cut -f1 <<< "$output" | tr '\n' ' ')" "--dry-run=curl --dry-run=raw "
	# zsh: the specs the script hands to _arguments are well formed
	for t in $(tools); do
		run zsh -c "specs=(\"\${(@f)\$($t --completion-helper zsh)}\"); eval \"print -r -- \${specs[*]}\" > /dev/null"
		assert_success
	done
}

# Values such as p99<250ms: fish's complete -a and zsh's _arguments both
# evaluate the words they offer, where an unescaped '<' is a redirection.
@test "offered values with shell syntax in them complete in fish and zsh" {
	for t in $(tools); do
		opts=$("$t" --completion-helper bash "" "--" | tr '\n' ' ')
		run fish -c "source '$RD_TOP/completions/$t.fish'; for o in $opts; complete -C \"$t \$o \" > /dev/null; end"
		assert_success
		assert_output ''
	done
	run fish -c "source '$RD_TOP/completions/rd-health.fish'; complete -C 'rd-health --check '"
	assert_success
	assert_line --regexp $'^p99<250ms\t'
	assert_line --regexp $'^value>=0.99\t'
	run fish -c "source '$RD_TOP/completions/rd-audit.fish'; complete -C 'rd-audit --fail-if '"
	assert_line --regexp $'^dead>0\t'
	# zsh, at a terminal: Tab after --check= lists the values, quoted
	mkdir -p "$T/zfunc"
	cp "$RD_TOP/completions/_rd-health" "$T/zfunc/"
	cat > "$T/tab.zsh" <<-'EOF'
		zmodload zsh/zpty
		zpty z zsh -f -i
		zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
		sleep 1
		zpty -w -n z "$2"$'\t'
		# read until the listing or an error shows, for 15 s at most
		all=
		for i in {1..30}; do
			sleep 0.5
			while zpty -r -t z out; do all+=$out; done
			[[ $all == *$3* || $all == *'parse error'* ]] && break
		done
		print -r -- "$all"
		zpty -d z
	EOF
	run timeout 30 zsh -f "$T/tab.zsh" "$T/zfunc" 'rd-health --check=' 'value\>=0.99'
	refute_output --partial 'parse error'
	assert_output --partial 'p99\<250ms'
	assert_output --partial 'value\>=0.99'
}

@test "make install puts binaries, man pages and completions under DESTDIR" {
	run make -C "$RD_TOP" -s install BUILD="${RD_BUILD#"$RD_TOP"/}" DESTDIR="$T/root" PREFIX=/usr
	assert_success
	for t in $(tools); do
		assert_file_executable "$T/root/usr/bin/$t"
		assert_file_exist "$T/root/usr/share/man/man1/$t.1"
		assert_file_exist "$T/root/usr/share/bash-completion/completions/$t"
		assert_file_exist "$T/root/usr/share/zsh/vendor-completions/_$t"
		assert_file_exist "$T/root/usr/share/fish/vendor_completions.d/$t.fish"
		run "$T/root/usr/bin/$t" --version
		assert_output "$t 0.1.0"
	done
	assert_file_exist "$T/root/usr/share/man/man5/redrive-spool.5"
	assert_file_exist "$T/root/usr/share/man/man7/redrive.7"
	run make -C "$RD_TOP" -s uninstall BUILD="${RD_BUILD#"$RD_TOP"/}" DESTDIR="$T/root" PREFIX=/usr
	assert_success
	assert_file_not_exist "$T/root/usr/bin/rd-capture"
	assert_file_not_exist "$T/root/usr/share/man/man1/rd-capture.1"
	assert_file_not_exist "$T/root/usr/share/man/man7/redrive.7"
}

@test "--help, --version and usage errors read the same in every tool" {
	for t in $(tools); do
		run "$t" --help
		assert_success
		assert_line --index 0 --regexp "^Usage: $t "
		assert_output --partial "Exit status:"
		assert_output --partial "See $t(1)"
		run "$t" -V
		assert_success
		assert_output "$t 0.1.0"
		run "$t" --no-such-option
		assert_failure 2
		assert_line --index 0 "$t: unknown option '--no-such-option'"
		assert_line --index 1 "Try '$t --help' for more information."
		run "$t" --spool
		assert_failure 2
		assert_line --index 0 --partial "$t: option '--spool' needs a value"
	done
}

@test "the HTTP connection flags are one block: the same names, values and errors in rd-replay, rd-health and rd-proxy" {
	for t in rd-replay rd-health rd-proxy; do
		run "$t" --help
		for o in --connect-timeout -k --insecure --cacert --http1.1 --http2-prior-knowledge; do
			assert_output --partial " $o"
		done
		run "$t" --connect-timeout 0
		assert_failure 2
		assert_line --index 0 "$t: --connect-timeout: must be above zero"
		run "$t" --connect-timeout soon
		assert_failure 2
		assert_line --index 0 --partial "$t: --connect-timeout: 'soon' is not a duration"
		# a CA file that cannot be read is found at start, not at each
		# request (where it failed like TLS)
		run "$t" --cacert /nonexistent/ca.pem
		assert_failure 2
		assert_line --index 0 "$t: --cacert: cannot read '/nonexistent/ca.pem': No such file or directory"
	done
	run rd-capture --try --cacert / http://127.0.0.1:9/x
	assert_failure 2
	assert_line --index 0 "rd-capture: --cacert: '/' is a directory, not a file of CA certificates"
}

@test "the storage flags are one block: the same names, limits and errors in rd-capture and rd-proxy" {
	for t in rd-capture rd-proxy; do
		run "$t" --help
		for o in --fsync --fsync-interval --segment-size --max-spool-size --max-record-size; do
			assert_output --partial " $o "
		done
		run "$t" --fsync-interval 0
		assert_failure 2
		assert_line --index 0 "$t: --fsync-interval: must be above zero (--fsync batch syncs every batch)"
		run "$t" --segment-size 0
		assert_failure 2
		assert_line --index 0 "$t: --segment-size: from 4096 bytes to 1GiB"
		run "$t" --max-record-size 0
		assert_failure 2
		assert_line --index 0 "$t: --max-record-size: must be above zero"
		run "$t" --max-record-size 1GiB
		assert_failure 2
		assert_line --index 0 "$t: --max-record-size: at most 256MiB, the longest record a spool holds"
		run "$t" --fsync sometimes
		assert_failure 2
		assert_line --index 0 --partial "$t: --fsync: 'sometimes' is not"
	done
	# --max-spool-size 0 is no cap, in both
	echo '{"method":"GET","url":"http://127.0.0.1:9/"}' |
		rd-capture -q --spool "$BATS_TEST_TMPDIR/sp" --max-spool-size 0 > /dev/null
	assert_equal "$(rd-audit --spool "$BATS_TEST_TMPDIR/sp" --json | jq .requests)" 1
	run timeout 10 rd-proxy --max-spool-size 0 --listen 127.0.0.1:99999 --upstream http://127.0.0.1:9
	assert_failure 2
	assert_line --index 0 "rd-proxy: --listen: '127.0.0.1:99999': the port is not a number from 0 to 65535"
}

@test "every test RELIABILITY.md names is in the suite it names (a name ending in ... is a prefix)" {
	local refs ln f name missing=""
	refs=$(perl -ne 'while (/`tests\/([a-z0-9-]+\.bats)`((?:,?\s*"[^"]+")+)/g) {
		my ($f, $q) = ($1, $2);
		while ($q =~ /"([^"]+)"/g) { (my $n = $1) =~ s/\s*\.\.\.$//; print "$.\t$f\t$n\n" } }' \
		"$RD_TOP/RELIABILITY.md")
	# the table names dozens; a pattern that found none would check nothing
	[ "$(wc -l <<< "$refs")" -ge 50 ]
	while IFS=$'\t' read -r ln f name; do
		grep -F -- "@test" "$RD_TOP/tests/$f" 2> /dev/null | grep -qF -- "$name" ||
			missing+=" line $ln: tests/$f \"$name\";"
	done <<< "$refs"
	assert_equal "$missing" ""
}
