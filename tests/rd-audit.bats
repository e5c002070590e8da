#!/usr/bin/env bats
# rd-audit: counts against a scripted history, every format, redaction,
# --verify against damage, --fail-if, and bad input.

load common

setup() { common_setup; }
teardown() { ds_stop; common_teardown; }

# A scripted history: 10 orders that fail once then succeed, 2 requests
# that fail permanently (400), 3 captured and never replayed, with a
# secret header on each.
history() {
	ds_start --fail-first 1 --route /bad=400
	seq 10 | awk -v p="$PORT" '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/orders/%d\",\"headers\":[[\"Authorization\",\"Bearer sk_live_abc\"],[\"Cookie\",\"sid=42\"],[\"X-Api-Key\",\"k123\"]],\"body\":\"{\\\"card\\\":\\\"4111111111111111\\\"}\",\"failure\":{\"type\":\"http_503\",\"status\":503}}\n", p, $1 }' |
		rd-capture -q > /dev/null
	seq 2 | awk -v p="$PORT" '{ printf "{\"method\":\"GET\",\"url\":\"http://127.0.0.1:%s/bad/%d\",\"failure\":{\"type\":\"timeout\"}}\n", p, $1 }' |
		rd-capture -q > /dev/null
	# two requests fail for good: exit 4 says records went dead
	rd-replay -q --rate max --backoff 1ms --backoff-max 2ms || [ $? -eq 4 ]
	seq 3 | awk '{ printf "{\"method\":\"PUT\",\"url\":\"http://other.example/users/0b3f6c1e-8a2d-4c3e-9f10-12345678%04d\",\"failure\":{\"type\":\"connect\"}}\n", $1 }' |
		rd-capture -q > /dev/null
	ds_stop
}

@test "counts match a scripted history of captures, retries and deaths" {
	history
	run rd-audit --json
	assert_success
	j=$output
	jq -e '.requests == 15 and .state.ok == 10 and .state.dead == 2 and .state.pending == 3 and .state.due == 3' <<< "$j"
	jq -e '.replay.attempts == 22 and .replay.ok == 10 and .replay.retry == 10 and .replay.permanent == 2 and .replay.replayed == 12' <<< "$j"
	# amplification: 22 attempts for 12 replayed requests
	jq -e '(.replay.amplification * 100 | round) == 183' <<< "$j"
	jq -e '[.by_failure[] | {(.name): .requests}] | add == {"http_503":10,"timeout":2,"connect":3}' <<< "$j"
	jq -e '.by_route[] | select(.name | endswith("/orders/:n")) | .requests == 10 and .amplification == 2' <<< "$j"
	jq -e '.by_route[] | select(.name == "PUT other.example/users/:uuid") | .requests == 3' <<< "$j"
	jq -e '.by_attempts == [3,2,10,0,0,0,0]' <<< "$j"
	jq -e '[.by_status[] | {(.name): .requests}] | add == {"200":10,"400":2,"not replayed":3}' <<< "$j"
	jq -e '(.timeline.captures | add) == 15 and (.timeline.replays | add) == 22' <<< "$j"
	# the replays by outcome: each attempt once, the two 400s as dead
	jq -e '(.timeline.ok | add) == 10 and (.timeline.retry | add) == 10 and (.timeline.dead | add) == 2 and (.timeline.unknown | add) == 0' <<< "$j"
	jq -e '.timeline.pending | last == 3' <<< "$j"
	jq -e '.timeline.column_s > 0 and (.timeline.captures | length) <= 120' <<< "$j"
	# key times: the first failure before the drain, drained is null
	# while 3 are pending
	jq -e '.times.first_failure <= .times.last_failure and .times.first_failure < .times.drain_start and .times.drained == null and .times.drain_s == null' <<< "$j"
	# dead letters: the reason, and what the service answered
	jq -e '[.dead_letters[] | {(.reason): .requests}] | add == {"permanent failure: HTTP 400": 2}' <<< "$j"
	jq -e '.dead_letters[0].examples | length == 2 and all(.status == 400 and (.status_line | startswith("HTTP/1.1 400")))' <<< "$j"
	jq -e '.oldest_pending.age_s >= 0' <<< "$j"
	# the human table says the same
	run rd-audit
	assert_success
	assert_output --partial "15 requests"
	assert_output --partial "pending 3 (due 3, backing off 0)   ok 10   dead 2"
	assert_output --partial "amplification 1.83"
}

@test "filters: --match-url, --where, --since/--until, and bad ones" {
	history
	run rd-audit --json --match-url '/orders/'
	assert_success
	jq -e '.requests == 10' <<< "$output"
	run rd-audit --json --where '.method == "PUT"'
	jq -e '.requests == 3' <<< "$output"
	run rd-audit --json --until 2000-01-01T00:00:00Z
	jq -e '.requests == 0' <<< "$output"
	run rd-audit --json --since 1h
	jq -e '.requests == 15' <<< "$output"
	run rd-audit --where '.['
	assert_failure 2
	run rd-audit --match-url '('
	assert_failure 2
	assert_output --partial "offset"
	run rd-audit --since yesterday
	assert_failure 2
	run rd-audit --list --prom
	assert_failure 2
	assert_output --partial "choose one"
}

@test "route rules fold what the built-in ones do not, and high cardinality is capped" {
	history
	run rd-audit --json --route-rule '/users/[^/]+=/users/:user'
	jq -e '.by_route[] | select(.name == "PUT other.example/users/:user") | .requests == 3' <<< "$output"
	run rd-audit --json --max-groups 1
	jq -e '.by_route | length == 2 and (map(.name) | index("(other)") != null) and (map(.requests) | add) == 15' <<< "$output"
}

@test "secrets are redacted in every output unless --no-redact" {
	history
	rd-audit > "$T/human"
	rd-audit --json > "$T/json"
	rd-audit --prom > "$T/prom"
	rd-audit --list > "$T/list"
	id=$(jq -r 'select(.method=="POST") | .id' "$T/list" | head -1)
	rd-audit --show "$id" > "$T/show"
	rd-audit --html "$T/r.html" 2> /dev/null > /dev/null
	for f in human json prom list show r.html; do
		run grep -l -e 'sk_live_abc' -e 'sid=42' -e 'k123' "$T/$f"
		assert_failure
	done
	grep -q '"Authorization","\[REDACTED\]"' "$T/list"
	grep -q '"X-Api-Key","\[REDACTED\]"' "$T/show"
	# user patterns: header names, and matches in URLs and bodies
	rd-audit --list --redact '4111[0-9]+' > "$T/list2"
	run grep -c '4111111111111111' "$T/list2"
	assert_output 0
	rd-audit --json --redact 'orders' > "$T/json2"
	run grep -c 'orders' "$T/json2"
	assert_output 0
	# explicitly raw
	rd-audit --list --no-redact > "$T/raw"
	grep -q 'sk_live_abc' "$T/raw"
	run rd-audit --no-redact --redact x
	assert_failure 2
}

@test "--list and --show print records and their history as NDJSON" {
	history
	run rd-audit --list
	assert_success
	assert_equal "$(wc -l <<< "$output")" 15
	jq -e -s 'map(.state) | group_by(.) | map({(.[0]): length}) | add == {"ok":10,"dead":2,"pending":3}' <<< "$output"
	id=$(jq -r 'select(.url | endswith("/bad/1")) | .id' <<< "$output")
	run rd-audit --show "$id"
	assert_success
	# the request, the intent its send began with, its outcome, its end
	jq -e -s 'map(.kind) == ["request","intent","attempt","dead"]' <<< "$output"
	jq -e -s '.[1].attempt == 1 and .[2].attempt == 1' <<< "$output"
	jq -e -s '.[3].reason == "permanent failure: HTTP 400"' <<< "$output"
	# the list feeds a replay selection
	rd-audit --list --where '.method == "PUT"' | jq -c 'select(.state == "pending")' > "$T/pick"
	assert_equal "$(wc -l < "$T/pick")" 3
	run rd-audit --show 01M89FXCC4AN64DKWZN4MJP9ZZ
	assert_failure 1
	assert_output --partial "no record"
	run rd-audit --show not-an-id
	assert_failure 2
}

@test "--prom passes promtool check metrics" {
	history
	rd-audit --prom > "$T/m.prom"
	run promtool check metrics < "$T/m.prom"
	assert_success
	grep -q '^redrive_requests{spool="spool",state="dead"} 2$' "$T/m.prom"
	grep -q '^redrive_replay_attempts_total{spool="spool",outcome="ok"} 10$' "$T/m.prom"
	grep -q '^redrive_replay_latency_seconds_count{spool="spool"} 22$' "$T/m.prom"
	# an empty spool too
	rd-audit --spool "$T/empty" --prom > "$T/e.prom" 2> /dev/null || mkdir -p "$T/empty"
	rd-capture -q --spool "$T/empty2" < /dev/null > /dev/null
	rd-audit --spool "$T/empty2" --prom > "$T/e.prom"
	run promtool check metrics < "$T/e.prom"
	assert_success
}

@test "--fail-if turns the audit into an assertion" {
	history
	run rd-audit -q --fail-if 'dead>0'
	assert_failure 1
	assert_output --partial "--fail-if 'dead>0' holds: dead is 2"
	run rd-audit -q --fail-if 'pending>1000' --fail-if 'oldest_pending>1h' --fail-if 'amplification>2'
	assert_success
	run rd-audit -q --fail-if 'amplification>1.5'
	assert_failure 1
	run rd-audit -q --fail-if 'success_rate<40%'
	assert_success
	run rd-audit --fail-if 'pendin>3'
	assert_failure 2
	assert_output --partial "unknown quantity 'pendin'"
	run rd-audit --fail-if 'p98<1ms'
	assert_failure 2
	assert_output --partial "unknown quantity 'p98'"
	run rd-audit --fail-if 'pending>>3'
	assert_failure 2
	run rd-audit --fail-if 'oldest_pending>1x'
	assert_failure 2
	# it judges the summary: --list, --prom and --json hold one, --verify
	# and --show none (it never held there, and a cron job heard nothing)
	for f in --list --prom --json; do
		run rd-audit -q $f --fail-if 'dead>0'
		assert_failure 1
	done
	run rd-audit --verify --fail-if 'dead>0'
	assert_failure 2
	assert_output --partial "--fail-if goes with the summary, --list, --prom or --json, not with --verify"
	id=$(rd-audit --list | jq -r .id | head -1)
	run rd-audit --show "$id" --fail-if 'dead>0'
	assert_failure 2
	assert_output --partial "not with --show"
}

@test "--verify after a writer died before indexing its batch: no finding, before another reader indexes it and after" {
	command -v strace > /dev/null || skip "strace is not installed"
	seq 20000 | awk '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/x/%d\",\"body\":\"%0300d\"}\n", $1, $1 }' > "$T/in"
	# killed between writing its second batch and syncing it: the
	# members are whole, their index entries never written
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e inject=fdatasync:signal=KILL:when=2 \
		rd-capture -q --fsync batch < "$T/in" > /dev/null 2>&1 || true
	run rd-audit --verify
	assert_success
	assert_output --regexp "rd-audit: [0-9]+ complete members past the newest segment's index: a writer died before indexing them"
	assert_output --partial " 0 findings"
	# a reader indexes them: the same answer, without the notice
	rd-audit --list > /dev/null 2>&1
	run rd-audit --verify
	assert_success
	refute_output --partial "complete members past"
	assert_output --partial " 0 findings"
}

@test "--verify: members past the index that follow damage are findings: the next writer cuts them with the damage" {
	command -v strace > /dev/null || skip "strace is not installed"
	seq 20000 | awk '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/x/%d\",\"body\":\"%0300d\"}\n", $1, $1 }' > "$T/in"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e inject=fdatasync:signal=KILL:when=2 \
		rd-capture -q --fsync batch < "$T/in" > /dev/null 2>&1 || true
	# one byte flipped well inside the unindexed tail (its members are
	# about 2 KB each, the tail more than 20 KB)
	seg=$(ls "$SPOOL"/*.ndjson.gz | tail -1)
	off=$(( $(stat -c %s "$seg") - 12000 ))
	b=$(od -An -tu1 -j "$off" -N 1 "$seg" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$seg" bs=1 seek="$off" conv=notrunc status=none
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "member not in the index"
}

@test "--verify is clean on a sound spool and names every kind of damage" {
	for i in 1 2 3; do
		rec "$i" | rd-capture -q > /dev/null
	done
	run rd-audit --verify
	assert_success
	assert_output --partial "3 members, 3 records"
	assert_output --partial "0 findings"
	seg=$(ls "$SPOOL"/*.ndjson.gz)
	name=$(basename "$seg")
	off2=$(od -An -tu8 -j $((16 + 48)) -N8 "$SPOOL"/*.idx | tr -d ' ')
	# a bit flip in the middle member: found, named, costed; the rest readable
	flip "$seg" $((off2 + 20))
	run rd-audit --verify
	assert_failure 1
	assert_output --regexp "$name at byte $off2: damaged member.*; 1 records cannot be read"
	run rd-audit --verify --json
	assert_failure 1
	jq -e --argjson o "$off2" 'select(.offset == $o) | .records_lost == 1' <<< "$output"
	# garbage appended, and a torn tail
	flip "$seg" $((off2 + 20))
	size=$(stat -c %s "$seg")
	printf 'garbage that is not gzip' >> "$seg"
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "at byte $size: garbage"
	truncate -s "$size" "$seg"
	rec 9 | gzip -c | head -c 30 >> "$seg"
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "at byte $size: torn tail"
	truncate -s "$size" "$seg"
	# a zeroed index entry
	dd if=/dev/zero of="$(ls "$SPOOL"/*.idx)" bs=1 seek=$((16 + 48)) count=8 conv=notrunc status=none
	run rd-audit --verify
	assert_failure 1
	assert_output --partial "index entry damaged"
}

@test "a dead letter whose dead event is in a damaged member, behind the checkpoint, is counted dead with an unknown reason (it crashed)" {
	ds_start --route /bad=400
	printf '{"method":"POST","url":"http://127.0.0.1:%s/bad"}\n' "$PORT" | rd-capture -q > /dev/null
	run rd-replay -q --rate max
	assert_failure 4
	printf '{"method":"POST","url":"http://127.0.0.1:%s/ok"}\n' "$PORT" | rd-capture -q > /dev/null
	rd-replay -q --rate max
	rd-replay -q --rate max   # the checkpoint moves past the dead event
	ds_stop
	seg=$SPOOL/00000000000000000001.ndjson.gz
	off=$(member_with "$seg" '"kind":"dead"')
	flip "$seg" $((off + 30))
	for f in "" --json --prom --list; do
		run rd-audit $f
		[ "$status" -lt 128 ] || fail "rd-audit $f died: status $status"
	done
	rd-audit --json 2> "$T/err" | jq -e '.state.dead == 1 and .state.ok == 1 and
		.dead_letters[0].reason == "unknown: its dead event could not be read"'
	grep -q "corrupt gzip member" "$T/err"
}

@test "an index entry lost is rebuilt and said as a repair, not as records lost" {
	for i in 1 2 3; do
		rec "$i" | rd-capture -q > /dev/null
	done
	idx=$(ls "$SPOOL"/*.idx)
	truncate -s $(( $(stat -c %s "$idx") - 48 )) "$idx"
	run rd-audit --json
	assert_success
	assert_output --regexp "rd-audit: repaired '.*\.ndjson\.gz' at byte [0-9]+: indexed complete members a writer that died left unindexed \(1 records kept\)"
	refute_output --partial "lost"
	assert_equal "$(grep -v '^rd-audit' <<< "$output" | jq .requests)" 3
}

@test "the summary says a latency is not known when no send got an answer (it printed 'nanms')" {
	printf '{"method":"POST","url":"http://127.0.0.1:1/x"}\n' | rd-capture -q > /dev/null
	run rd-replay -q --rate max --max-attempts 1
	assert_failure 4
	run rd-audit
	assert_success
	assert_output --partial "success rate 0.0%   latency not known (no answer)"
	refute_output --partial nan
}

@test "the HTML report is self-contained and renders in headless Chromium without errors" {
	command -v chromium > /dev/null || skip "chromium is not installed"
	history
	run rd-audit --html "$T/report.html" --title 'INC-4242 <payments> & "orders"'
	assert_success
	assert_output --partial "report written to $T/report.html"
	# no network fetches: no src=, href= or url( pointing anywhere, and
	# no script is needed to read it
	run grep -E -o '(src|href)="[^"#]+|url\(|<script' "$T/report.html"
	assert_failure
	# the title, escaped, heads the page
	grep -qF '<title>INC-4242 &lt;payments&gt; &amp; &quot;orders&quot;</title>' "$T/report.html"
	grep -qF '<h1>INC-4242 &lt;payments&gt; &amp; &quot;orders&quot;</h1>' "$T/report.html"
	render() {
		timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
			--enable-logging=stderr --v=0 --user-data-dir="$T/chrome" \
			--dump-dom "file://$1" 2>&1
	}
	# the console check catches errors: a page with one shows it
	echo '<html><body><script>nosuchfn()</script></body></html>' > "$T/bad.html"
	run render "$T/bad.html"
	assert_output --partial ":CONSOLE:"
	run render "$T/report.html"
	assert_success
	refute_output --partial ":CONSOLE:"
	# every chart and table of the story is there
	for id in key-times chart-captures chart-sends chart-latency chart-backlog \
		chart-outcomes dead-letters chart-amp-host chart-amp-route by-host by-route; do
		assert_output --partial "id=\"$id\""
	done
	assert_output --partial "permanent failure: HTTP 400"
	# a screenshot, as a reader sees it: far more drawn than on an empty page
	shot() {
		timeout 60 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
			--user-data-dir="$T/chrome" --window-size=1100,3000 \
			--screenshot="$2" "file://$1" > /dev/null 2>&1
	}
	echo '<html><body></body></html>' > "$T/empty.html"
	shot "$T/empty.html" "$T/empty.png"
	shot "$T/report.html" "$T/report.png"
	[ "$(head -c 8 "$T/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	[ "$(stat -c %s "$T/report.png")" -gt $((10 * $(stat -c %s "$T/empty.png"))) ]
	# and printed to PDF
	run timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
		--user-data-dir="$T/chrome" --print-to-pdf="$T/report.pdf" "file://$T/report.html"
	[ -s "$T/report.pdf" ]
	# --title is for the report only
	run rd-audit --title x
	assert_failure 2
	assert_output --partial "--title goes with --html"
}

@test "the report draws a drain from the replay's own run lines: the gate, the rate" {
	ds_start
	seq 300 | awk -v p="$PORT" '{ printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/orders/%d\",\"failure\":{\"type\":\"timeout\"}}\n", p, $1 }' |
		rd-capture -q > /dev/null
	# a dry run writes nothing to the spool
	rd-replay -q --dry-run > /dev/null
	run sh -c "zcat '$SPOOL'/*.ndjson.gz | grep -c '\"kind\":\"run\"'"
	assert_output 0
	# the gate opens after about a second; then 300 at 200/s
	( sleep 1.2; touch "$T/open" ) &
	opener=$!
	rd-replay -q --rate 200/s --gate "test -f '$T/open'" --gate-every 100ms
	wait "$opener"
	zcat "$SPOOL"/*.ndjson.gz | jq -c 'select(.kind == "run")' > "$T/runs"
	# a line each second while it moved, at once on the gate's change,
	# and a last one that says the run ended
	[ "$(wc -l < "$T/runs")" -ge 3 ]
	jq -se 'any(.[]; .gate == "closed") and any(.[]; .gate == "open") and (last | .state == "ended" and .pending == 0 and .ok == 300) and all(.[]; .rate_limit == 200)' "$T/runs"
	run rd-audit --json
	assert_success
	j=$output
	jq -e '.times.gate_open != null and .times.gate_open <= .times.drain_start' <<< "$j"
	jq -e '.times.drained != null and .times.drain_s > 0' <<< "$j"
	jq -e 'any(.timeline.gate_closed[]; . == 1) and any(.timeline.rate_limit[]; . == 200)' <<< "$j"
	jq -e '(.timeline.ok | add) == 300 and (.timeline.pending | last) == 0 and (.timeline.pending | max) == 300' <<< "$j"
	# on a terminal, the same story as sparklines
	run script -qec "rd-audit" /dev/null < /dev/null
	assert_success
	assert_output --partial "drained in"
	assert_output --regexp "captured +\|[^|]*[▁▂▃▄▅▆▇█][^|]*\| max [0-9]+ per column"
	assert_output --regexp "pending +\|[^|]*█[^|]*\| max 300"
	# not on a pipe
	run rd-audit
	refute_output --partial "▁"
	assert_output --partial "drained in"
}

@test "the HTML report stays small however many hosts, routes and failure types" {
	# 20000 requests, each with its own host, route and failure type:
	# groups are capped and the timeline has fixed columns, so the page
	# is as large as it will ever be
	seq 20000 | awk '{ printf "{\"method\":\"POST\",\"url\":\"http://h%d.example/a%d/b\",\"failure\":{\"type\":\"t%d\"}}\n", $1, $1, $1 }' |
		rd-capture -q > /dev/null
	run rd-audit -q --html "$T/r.html"
	assert_success
	size=$(stat -c %s "$T/r.html")
	echo "report: $size bytes"
	[ "$size" -lt 300000 ]
	grep -q '(other)' "$T/r.html"
}

@test "--json and --prom numbers are the shortest decimal that reads back" {
	history
	run rd-audit --json
	assert_success
	# 22 attempts for 12 replayed requests, to the last digit
	assert_output --partial '"amplification":1.8333333333333333,'
	jq -e '.replay.amplification == 22 / 12' <<< "$output"
	jq -e '.by_route[] | select(.name | endswith("/orders/:n")) | .amplification == 2' <<< "$output"
	assert_output --regexp '"amplification":2\}'
	p50=$(jq '.replay.latency_ms.p50' <<< "$output")
	rd-audit --prom > "$T/m.prom"
	grep -qx 'redrive_replay_amplification_ratio{spool="spool"} 1.8333333333333333' "$T/m.prom"
	grep -qE '^redrive_route_amplification_ratio\{spool="spool",route="POST 127.0.0.1:[0-9]+/orders/:n"\} 2$' "$T/m.prom"
	grep -qx 'redrive_replay_latency_seconds{spool="spool",quantile="0.5"} [0-9.]*' "$T/m.prom"
	# seconds are the milliseconds with the point moved, all digits kept
	s=$(sed -n 's/^redrive_replay_latency_seconds{spool="spool",quantile="0.5"} //p' "$T/m.prom")
	jq -en --argjson s "$s" --argjson ms "$p50" '($s * 1000 - $ms) | fabs < 1e-9 * $ms'
	# every sample value is a number Prometheus reads, with no lost digits
	run awk '!/^#/ { print $NF }' "$T/m.prom"
	refute_output --regexp '^[0-9.]+e[+-]0[0-9]$'
	run promtool check metrics < "$T/m.prom"
	assert_success
}

@test "-q with --fail-if prints nothing while the condition does not hold, one line when it does" {
	history
	run rd-audit -q --fail-if 'dead>5'
	assert_success
	assert_output ""
	run rd-audit -q --fail-if 'dead>0'
	assert_failure 1
	assert_output "rd-audit: --fail-if 'dead>0' holds: dead is 2"
	# the formats asked for still print under -q
	run rd-audit -q --json
	jq -e '.state.dead == 2' <<< "$output"
}

@test "the selection options of rd-replay: --failure and --limit preview a revive" {
	history
	run rd-audit --list --failure 'time*'
	assert_success
	assert_equal "$(jq -r .url <<< "$output" | grep -c /bad/)" 2
	refute_output --partial /orders/
	run rd-audit --list --failure 'http_5*' --limit 3
	assert_equal "$(wc -l <<< "$output")" 3
	run rd-audit --json --failure connect
	jq -e '.requests == 3' <<< "$output"
	run rd-audit --limit 0
	assert_failure 2
}

@test "--prom: _total counters, a spool label, --prom-label, the spool's size and the last replay run" {
	history
	rd-audit --prom --prom-label env=prod --prom-label team=pay > "$T/m.prom"
	run promtool check metrics < "$T/m.prom"
	assert_success
	refute_output --partial "should have \"_total\""
	grep -qx 'redrive_replay_attempts_total{spool="spool",env="prod",team="pay",outcome="ok"} 10' "$T/m.prom"
	grep -qx '# TYPE redrive_replay_attempts_total counter' "$T/m.prom"
	size=$(cat "$SPOOL"/*.ndjson.gz "$SPOOL"/*.idx | wc -c)
	grep -qx "redrive_spool_size_bytes{spool=\"spool\",env=\"prod\",team=\"pay\"} $size" "$T/m.prom"
	grep -qx 'redrive_replay_running{spool="spool",env="prod",team="pay"} 0' "$T/m.prom"
	ended=$(jq -r .ended "$SPOOL/replay.status")
	ts=$(sed -n 's/^redrive_replay_last_run_timestamp_seconds{[^}]*} //p' "$T/m.prom")
	assert_equal "$(date -u -d "@$ts" +%Y-%m-%dT%H:%M:%S)" "${ended%.*}"
	# every series has the spool label; spool= replaces it
	grep -v '^#' "$T/m.prom" | grep -v 'spool="spool"' && fail "a series without the spool label"
	rd-audit --prom --prom-label spool=payments > "$T/p.prom"
	grep -q '^redrive_requests{spool="payments",state="dead"} 2$' "$T/p.prom"
	run rd-audit --prom --prom-label '__x=1'
	assert_failure 2
	run rd-audit --prom-label a=b
	assert_failure 2
}

@test "the summary shows the last replay, and a running one with its pid and progress" {
	ds_start --latency 200
	capture_n 40
	rd-replay --rate 10/s > /dev/null 2>&1 &
	BG=$!
	replay_sent_over 2
	run rd-audit
	assert_output --regexp "replay running since [0-9T:.-]+Z \([0-9.]+s, pid $BG\): sent [0-9]+, ok [0-9]+, dead 0, pending [0-9]+, [0-9.]+/s"
	run rd-audit --json
	jq -e --argjson pid "$BG" '.replay_run.pid == $pid and .replay_run.alive == true and .replay_run.state == "running"' <<< "$output"
	kill "$BG"
	wait "$BG" || true
	run rd-audit
	assert_output --regexp "last replay finished at [0-9T:.-]+Z \(pid $BG\): sent "
}

@test "URL secrets are masked in routes and records: userinfo and credential query values" {
	printf '{"method":"POST","url":"https://ops:hunter2@h.example/a/1?api_key=k123&page=2"}\n' | rd-capture -q > /dev/null
	for f in "" --json --prom --list; do
		run rd-audit $f
		assert_success
		refute_output --partial hunter2
		refute_output --partial k123
	done
	run rd-audit --list
	assert_output --partial '"url":"https://[REDACTED]@h.example/a/1?api_key=[REDACTED]&page=2"'
	run rd-audit --list --no-redact
	assert_output --partial hunter2
}

@test "secrets inside a failure message and an attempt's response are masked in --list and --show" {
	# the message names the URL, its userinfo and token, and a path's query
	printf '{"method":"POST","url":"http://ops:hunter2@127.0.0.1:1/a?access_token=tok123","failure":{"type":"connect","message":"connect to http://ops:hunter2@127.0.0.1:1/a?access_token=tok123 failed; retry /a?token=tok456"}}\n' |
		rd-capture -q > /dev/null
	ds_start --status 503
	printf '{"method":"POST","url":"http://127.0.0.1:%s/b"}\n' "$PORT" | rd-capture -q > /dev/null
	rd-replay -q --rate max --max-attempts 1 || [ $? -eq 4 ]
	ds_stop
	run rd-audit --list
	assert_success
	refute_output --partial hunter2
	refute_output --partial tok123
	refute_output --partial tok456
	assert_output --partial '"message":"connect to http://[REDACTED]@127.0.0.1:1/a?access_token=[REDACTED] failed; retry /a?token=[REDACTED]"'
	ids=$(rd-audit --list | jq -r .id)
	for id in $ids; do
		run rd-audit --show "$id" --redact '"ok"'
		assert_success
		refute_output --partial hunter2
		refute_output --partial tok456
		refute_output --partial '\"ok\"'
	done
	# the attempt's response body went through the user pattern; the
	# events are still valid lines, whole
	run rd-audit --show "${ids##*$'\n'}" --redact '"ok"'
	assert_output --partial '"body":"{[REDACTED]:false}"'
	jq -e . <<< "$output" > /dev/null
	run rd-audit --show "${ids%%$'\n'*}" --no-redact
	assert_output --partial tok456
}

@test "the oldest pending request's capture time is given to the second it is kept to, never with a made-up .000" {
	printf '{"method":"POST","url":"http://h.example/a","captured_at":"2026-11-30T10:20:30.777Z"}\n' | rd-capture -q > /dev/null
	run rd-audit --json
	assert_success
	assert_equal "$(jq -r .oldest_pending.captured_at <<< "$output")" 2026-11-30T10:20:30Z
	assert_equal "$(jq -r .times.first_failure <<< "$output")" 2026-11-30T10:20:30.777Z
	run rd-audit
	assert_output --partial '(captured 2026-11-30T10:20:30Z)'
	assert_output --partial "first failure 2026-11-30T10:20:30.777Z"
	run rd-audit --list
	assert_output --partial '"captured_at":"2026-11-30T10:20:30.777Z"'
}

@test "--stdin: only the records named, and an id the spool does not have is named" {
	history
	rd-audit --list --failure connect | head -2 > "$T/two"
	echo 01ZZZZZZZZZZZZZZZZZZZZZZZZ >> "$T/two"
	run rd-audit --stdin --json < "$T/two"
	assert_success
	assert_line --index 0 "rd-audit: standard input: no record 01ZZZZZZZZZZZZZZZZZZZZZZZZ in the spool"
	jq -e '.requests == 2' <<< "$(tail -n 1 <<< "$output")"
	run rd-audit --stdin --list <<< "not an id"
	assert_failure 2
}
