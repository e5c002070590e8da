# tests/replay.bash - what the rd-replay suites share.  Loaded after
# common.bash.

# teardown: the test downstream, and a background process a test left in
# BG_PID.
rp_teardown() {
	ds_stop
	[ -z "${BG_PID:-}" ] || { kill "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null; } || true
	common_teardown
}

# Requests the downstream answered with status $1.
served() { jq -c "select(.status == $1)" "$T/ds.log" 2>/dev/null | wc -l; }
