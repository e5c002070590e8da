#!/usr/bin/env bats
# Every file in examples/ run as a user would run it, against the test
# downstream on 127.0.0.1 (the files name 127.0.0.1:8080; the tests put
# the downstream's port there).

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

EX="$BATS_TEST_DIRNAME/../examples"

# The command of a crontab line (after the five time fields and the user),
# with \% turned back into %, as cron does.
cron_command() {
	grep -E '^[*0-9]' "$1" | head -1 |
		awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }' |
		sed 's/\\%/%/g'
}

@test "cron.d: the line drains a captured backlog, and stays quiet when the last run still holds the spool" {
	ds_start --fail-first 1
	capture_n 30
	cmd=$(cron_command "$EX/cron.d/redrive" | sed "s|127.0.0.1:8080|127.0.0.1:$PORT|; s|/var/lib/redrive|$T|")
	run sh -c "$cmd"
	assert_success
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 30
	# an overlapping run: exit 3 is turned into success, and nothing is sent
	mkdir -p "$SPOOL"
	flock "$SPOOL/replay.lock" sleep 3 &
	lockpid=$!
	sleep 0.2
	capture_n 2
	run sh -c "$cmd"
	assert_success
	kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null || true
	grep -q '^RD_DIR=' "$EX/cron.d/redrive"
}

@test "systemd: the service's command drains the spool; the timer fires every five minutes" {
	ds_start
	capture_n 10
	cmd=$(sed -n 's/^ExecStart=//p' "$EX/systemd/redrive-replay.service" |
		sed "s|/usr/local/bin/||; s|127.0.0.1:8080|127.0.0.1:$PORT|; s|/var/lib/redrive|$T|")
	run sh -c "$cmd"
	assert_success
	assert_equal "$(jq -r 'select(.status==200)' "$T/ds.log" | grep -c key)" 10
	grep -q '^SuccessExitStatus=1 3$' "$EX/systemd/redrive-replay.service"
	grep -q '^OnCalendar=\*:0/5$' "$EX/systemd/redrive-replay.timer"
	grep -q '^Unit=\|^WantedBy=timers.target$' "$EX/systemd/redrive-replay.timer"
}

@test "the payments runbook waits for recovery, canaries, drains and proves it" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	capture_n 40
	( sleep 2; rm -f "$T/down" ) &
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=30s sh "$EX/runbook-payments.sh"
	assert_success
	assert_output --partial "healthy 3 times in a row"
	assert_output --partial "runbook: backlog delivered"
	assert_equal "$(jq -r 'select(.status==200) | .key' "$T/ds.log" | sort -u | wc -l)" 40
	# no replay while the service was down: every request arrived once
	assert_equal "$(jq -r .key "$T/ds.log" | sort | uniq -d | wc -l)" 0
}

@test "the payments runbook gives up, exit 1, when the service stays down" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	capture_n 5
	run env PAYMENTS_URL="http://127.0.0.1:$PORT" STATE_DIR="$T" WAIT=2s sh "$EX/runbook-payments.sh"
	assert_failure 1
	assert_output --partial "did not recover within 2s"
	[ ! -s "$T/ds.log" ]
}

@test "the CI smoke test passes on a healthy service and fails on a broken one" {
	ds_start
	run env SERVICE_URL="http://127.0.0.1:$PORT" RD_DIR="$T/smoke" sh "$EX/ci-smoke.sh"
	assert_success
	assert_output --partial "smoke test passed"
	ds_stop
	ds_start --route /smoke=500
	run env SERVICE_URL="http://127.0.0.1:$PORT" RD_DIR="$T/smoke2" sh "$EX/ci-smoke.sh"
	assert_failure
}

@test "sqs-dlq.jq turns an SQS dead-letter export into records keyed by message id" {
	ds_start
	run env SQS_REDRIVE_URL="http://127.0.0.1:$PORT/events" \
		rd-capture --jq "$(cat "$EX/sqs-dlq.jq")" < "$BATS_TEST_DIRNAME/data/sqs-dlq.json"
	assert_success
	assert_equal "$(wc -l <<< "$output")" 2
	spool_lines | jq -e -s 'map(.idempotency_key) == ["5fea7756-0ea4-451a-a703-a558b933e274", "a1b2c3d4-0000-4000-8000-000000000002"]'
	spool_lines | jq -e -s '.[0].attempts == 5 and .[0].failure.type == "sqs_dlq"'
	rd-replay -q --rate max
	assert_equal "$(jq -r .key "$T/ds.log" | sort | tr '\n' ' ')" \
		"5fea7756-0ea4-451a-a703-a558b933e274 a1b2c3d4-0000-4000-8000-000000000002 "
	assert_equal "$(jq -r 'select(.key | startswith("5fea")) | .sha256' "$T/ds.log")" \
		"$(printf '{"order":42,"event":"paid"}' | sha256sum | cut -d' ' -f1)"
}

@test "har.jq turns a browser HAR export into records" {
	run rd-capture --jq "$(cat "$EX/har.jq")" < "$BATS_TEST_DIRNAME/data/sample.har"
	assert_success
	[ "$(spool_lines | wc -l)" -ge 1 ]
}

@test "node_exporter: the textfile script writes metrics promtool accepts, atomically" {
	rec 1 | rd-capture -q > /dev/null
	mkdir -p "$T/textfile"
	run env TEXTFILE_DIR="$T/textfile" sh "$EX/node_exporter/redrive-textfile.sh"
	assert_success
	assert_equal "$(ls "$T/textfile")" redrive.prom
	run promtool check metrics < "$T/textfile/redrive.prom"
	assert_success
	grep -q '^redrive_requests{state="due"} 1$' "$T/textfile/redrive.prom"
}
