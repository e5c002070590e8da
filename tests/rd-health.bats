#!/usr/bin/env bats
# rd-health against servers the tests start on 127.0.0.1: the project's
# test downstream, and Debian's Prometheus scraping it.

load common

setup() { common_setup; }
teardown() {
	ds_stop
	ngx_stop
	local pid
	for pid in ${PROM_PID:-} ${WWW_PID:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	common_teardown
}

health_url() { echo "http://127.0.0.1:$PORT/health"; }

@test "healthy service: exit 0, one line naming what passed" {
	ds_start
	run rd-health --url "$(health_url)" --check 'p99<1s' --check 'error_rate<1%' --jq '.status=="UP"'
	assert_success
	assert_output "healthy: 2 checks passed"
	rd-health -q --url "$(health_url)" && echo go > "$T/go"
	assert_file_exist "$T/go"
}

@test "slow service: the latency threshold fails with its value" {
	ds_start --latency 300
	run rd-health --url "http://127.0.0.1:$PORT/x" -n 3 --check 'p99<200ms'
	assert_failure 1
	assert_output --regexp '^unhealthy: p99=[0-9.]+ms \(want p99<200ms\) at url http://127.0.0.1:[0-9]+/x$'
	run rd-health --url "http://127.0.0.1:$PORT/x" -n 3 --check 'p99<2s'
	assert_success
}

@test "failing, down and unreachable services are unhealthy" {
	ds_start --outage-file "$T/down"
	touch "$T/down"
	run rd-health --url "$(health_url)" --check 'error_rate<1%'
	assert_failure 1
	assert_output --partial "error_rate=100.00% (want error_rate<1%)"
	assert_output --partial "HTTP 503, not an expected status"
	# the body predicate fails even when the status is fine
	rm "$T/down"
	run rd-health --url "$(health_url)" --jq '.status=="DOWN"'
	assert_failure 1
	assert_output --partial "the body does not satisfy --jq"
	# every output must be true, not only the first
	run rd-health --url "$(health_url)" --jq '(.status=="UP"), (.status=="DOWN")'
	assert_failure 1
	assert_output --partial "the body does not satisfy --jq"
	run rd-health --url "$(health_url)" --jq '(.status=="UP"), (.status | length > 0)'
	assert_success
	# and an error on a later output fails it too
	run rd-health --url "$(health_url)" --jq '(.status=="UP"), (.status | error)'
	assert_failure 1
	run rd-health --url "$(health_url)" --match '"UP"'
	assert_success
	ds_stop
	run rd-health --url "$(health_url)" --timeout 2s
	assert_failure 1
	assert_output --partial "Couldn't connect"
}

@test "JSON on standard input with a jq predicate or a number" {
	run rd-health --jq '.db.latency_ms < 50' <<< '{"db":{"latency_ms":12}}'
	assert_success
	run rd-health --jq '.db.latency_ms < 50' <<< '{"db":{"latency_ms":80}}'
	assert_failure 1
	assert_output "unhealthy: --jq is false at stdin"
	# the man page's and README's example: a field that is missing is
	# not fast (jq's null < 50 is true)
	run rd-health --jq '.db.latency_ms | . != null and . < 50' <<< '{"db":{}}'
	assert_failure 1
	run rd-health --jq '.db.latency_ms | . != null and . < 50' <<< '{"db":{"latency_ms":12}}'
	assert_success
	grep -qF "rd-health \-\-jq '.db.latency_ms | . != null and . < 50'" "$RD_TOP/man/rd-health.1"
	grep -qF "rd-health --jq '.db.latency_ms | . != null and . < 50'" "$RD_TOP/README.md"
	run rd-health --jq '.db' <<< '{"db":{}}'
	assert_failure 1
	assert_output "unhealthy: no data at stdin [--jq gave {}: neither true, false, null nor a number]"
	run rd-health --jq '.db.latency_ms' --check 'value<=40' <<< '{"db":{"latency_ms":30}}'
	assert_success
	run rd-health --jq '.a' <<< 'not json'
	assert_failure 2
	assert_output --partial "standard input is not JSON"
	# a later document that is not JSON is the same error, named with
	# its line and column, not an unhealthy verdict with no reason
	run rd-health --jq '.a==1' < <(printf '{"a":1}\n{"a":2')
	assert_failure 2
	assert_output "rd-health: standard input is not JSON (input 2 is not valid JSON: Unfinished JSON term at EOF at line 2, column 6)"
	run rd-health --nagios --jq '.a==1' < <(printf '{"a":1}\n{"a":2')
	assert_failure 3
	assert_output --partial "RD-HEALTH UNKNOWN - standard input is not JSON (input 2 is not valid JSON"
	# a filter that fails on the document is unhealthy, and says why
	run rd-health --jq '.a.b' <<< '{"a":"x"}'
	assert_failure 1
	assert_output 'unhealthy: no data at stdin [--jq failed: jq: Cannot index string with string "b"]'
	run rd-health --jq '.a' < /dev/null
	assert_failure 2
}

@test "standard input's --jq answer is true, false, null or a number; anything else is unhealthy, never taken for true" {
	# a string of digits is not a number: it would pass every check
	run rd-health --jq '.p99' --check 'value<250' <<< '{"p99":"950"}'
	assert_failure 1
	assert_output --partial '--jq gave "950": neither true, false, null nor a number'
	run rd-health --jq '.p99 | tonumber' --check 'value<250' <<< '{"p99":"950"}'
	assert_failure 1
	assert_output --partial "value=950 (want value<250)"
	run rd-health --jq '.status' <<< '{"status":"DOWN"}'
	assert_failure 1
	run rd-health --jq '.x' <<< '{"x":{"a":1}}'
	assert_failure 1
	# a number no check reads passes nothing
	run rd-health --jq '.s' <<< '{"s":0}'
	assert_failure 1
	assert_output --partial "--jq gave the number 0, and no --check or range names value"
	# a --nagios range judges it too
	run rd-health --nagios --jq '.s' -c 'value=5:' <<< '{"s":9}'
	assert_success
	assert_output --partial "RD-HEALTH OK"
	run rd-health --nagios --jq '.s' -c 'value=5:' <<< '{"s":2}'
	assert_failure 2
	# a check on value with a true/false answer has no data
	run rd-health --jq '.up' --check 'value<250' <<< '{"up":true}'
	assert_failure 1
	assert_output --partial "value: no data (want value<250)"
	run rd-health --jq '.up' --check 'value<250' --no-data healthy <<< '{"up":true}'
	assert_success
	run rd-health --jq '.up' <<< '{"up":null}'
	assert_failure 1
	assert_output --partial "--jq is false"
	run rd-health --jq '.up' --json <<< '{"up":true}'
	assert_success
	assert_equal "$(jq -c '[.healthy, (.checks | length)]' <<< "$output")" "[true,1]"
	# every output counts, not only the first: of a filter, of documents
	run rd-health --jq '.c[].ok' <<< '{"c":[{"ok":true},{"ok":false}]}'
	assert_failure 1
	assert_output --partial "--jq gave 2 outputs, the first true"
	run rd-health --jq '.c[].ok' <<< '{"c":[{"ok":true},{"ok":true}]}'
	assert_success
	run rd-health --jq '.a' --check 'value<5' <<< '{"a":1}{"a":9}'
	assert_failure 1
	assert_output --partial "value=9 (want value<5)"
	run rd-health --jq '.a' --check 'value<5' <<< '{"a":1}{"a":3}'
	assert_success
	# more numbers than a source holds: the source fails, none passes
	# unjudged (the seventh, 999, was never looked at)
	run rd-health --jq '.[]' --check 'value<10' <<< '[1,2,3,4,5,6,999]'
	assert_failure 1
	assert_output --partial "--jq gave more than the 6 numbers a source judges"
}

@test "a text exposition metric, and its rate across runs with --state" {
	ds_start
	for i in 1 2 3; do curl -s "http://127.0.0.1:$PORT/o/$i" > /dev/null; done
	sel='rd_downstream_requests_total{code="200"}'
	run rd-health --metrics "http://127.0.0.1:$PORT/metrics" --metric "$sel" --check 'value>=3'
	assert_success
	run rd-health --metrics "http://127.0.0.1:$PORT/metrics" --metric "$sel" --check 'value>=100'
	assert_failure 1
	run rd-health --metrics "http://127.0.0.1:$PORT/metrics" --metric 'nothing_here' --check 'value>=0'
	assert_failure 1
	assert_output --partial "no series matches"
	# the first run has no rate yet: unhealthy, and says why
	run rd-health --state "$T/st" --metrics "http://127.0.0.1:$PORT/metrics" --metric "$sel" --check 'rate<1000000'
	assert_failure 1
	assert_output --partial "no rate yet"
	for i in 1 2 3 4; do curl -s "http://127.0.0.1:$PORT/o/$i" > /dev/null; done
	sleep 0.2
	run rd-health --json --state "$T/st" --metrics "http://127.0.0.1:$PORT/metrics" --metric "$sel" --check 'rate<1000000'
	assert_success
	jq -e '.sources[0].metrics.rate > 0 and .sources[0].metrics.value == 7' <<< "$output"
}

@test "the spool: error rate and latency of recent replay attempts" {
	ds_start --fail-first 1
	capture_n 10
	run rd-health --from-spool --check 'error_rate<10%'
	assert_failure 1
	assert_output "unhealthy: error_rate: no data (want error_rate<10%) at spool $RD_SPOOL [no replay attempts in the window]"
	rd-replay -q --rate max --backoff 1ms --backoff-max 5ms
	run rd-health --from-spool --check 'error_rate<10%'
	assert_failure 1
	assert_output --partial "error_rate=50.00%"
	run rd-health --json --from-spool --check 'error_rate<=50%' --check 'p99<1s'
	assert_success
	jq -e '.sources[0].metrics.attempts == 20' <<< "$output"
	run rd-health --from-spool --window 1ms --check 'error_rate<=50%'
	assert_failure 1
}

@test "the breaker opens after K, waits, and closes only after M healthy in a row" {
	ds_start --outage-file "$T/down"
	h() { rd-health --json --state "$T/st" --open-after 2 --close-after 3 --cooldown 0s --url "$(health_url)" -n 2; }
	state() { jq -r '"\(.healthy) \(.breaker.state)"' <<< "$output"; }
	touch "$T/down"
	run h; assert_equal "$(state)" "false closed"
	run h; assert_equal "$(state)" "false open"
	rm "$T/down"
	run h; assert_equal "$(state)" "false half-open"
	run h; assert_equal "$(state)" "false half-open"
	# flapping: one bad evaluation opens it again
	touch "$T/down"
	run h; assert_equal "$(state)" "false open"
	rm "$T/down"
	run h; assert_equal "$(state)" "false half-open"
	run h; assert_equal "$(state)" "false half-open"
	run h; assert_equal "$(state)" "true closed"
	assert_success
	# the state file is private and replaced whole
	assert_equal "$(stat -c %a "$T/st")" 600
	jq -e '.state == "closed"' "$T/st"
	# a cooldown holds an open breaker even when the service is fine
	printf '{"v":1,"state":"open","bad":3,"good":0,"opened_at":"%s","samples":[]}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" > "$T/st2"
	run rd-health --state "$T/st2" --cooldown 1h --url "$(health_url)"
	assert_failure 1
	assert_output --partial "breaker open"
	# a damaged state file is an error, never a silently closed breaker
	echo garbage > "$T/st2"
	run rd-health --state "$T/st2" --url "$(health_url)"
	assert_failure 2
	assert_output --partial "not a rd-health state file"
}

@test "--nagios: status line and perfdata in the plugin format, exit 0/1/2/3" {
	ds_start
	re="^RD-HEALTH (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \\|( '[a-z0-9_]+'=[-0-9.e+]+(ms|%)?;[^; ]*;[^; ]*;[^; ]*;[^; ]*)+\$"
	run rd-health --nagios --url "$(health_url)" -w p99=1000 -c p99=2000
	assert_success
	assert_output --regexp "$re"
	assert_output --partial "'p99'="
	assert_output --partial ";1000;2000;0;"
	run rd-health --nagios --url "$(health_url)" -w 'p99=~:0.0001' -c p99=2000
	assert_failure 1
	assert_output --regexp "^RD-HEALTH WARNING - p99="
	run rd-health --nagios --url "$(health_url)" -c 'error_rate=@0:100'
	assert_failure 2
	assert_output --regexp "^RD-HEALTH CRITICAL"
	run rd-health --nagios --url "$(health_url)" -w 'p99=x'
	assert_failure 3
	ds_stop
	run rd-health --nagios --url "$(health_url)" --timeout 1s
	assert_failure 2
	assert_output --regexp "^RD-HEALTH CRITICAL - unhealthy: error_rate=100.00%"
}

@test "a PromQL query written over lines, as rd-health(1) writes one, is shown on one line" {
	# port 1: nothing listens there (no root service on loopback)
	run rd-health --prom "http://127.0.0.1:1" --check 'value<0.01' \
		--promql 'sum(rate(http_requests_total{code=~"5.."}[5m]))
            / sum(rate(http_requests_total[5m]))'
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^unhealthy: value: no data \(want value<0\.01\) at promql sum\(rate\(http_requests_total\{code=~"5\.\."\}\[5m\]\)\) / sum\(rate\(http_requests_total\[5m\]\)\) \[Prometheus at '
}

@test "bad thresholds, bad URLs and checks no source measures: exit 2" {
	run rd-health --url http://127.0.0.1:1/ --check 'p99<<3'
	assert_failure 2
	assert_output --partial "expected a number at byte 4"
	run rd-health --url http://127.0.0.1:1/ --check 'p99<5%'
	assert_failure 2
	run rd-health --url http://127.0.0.1:1/ --check 'error_rate<200%'
	assert_failure 2
	run rd-health --url 'ftp://x/'
	assert_failure 2
	run rd-health --url 'http://bad host/'
	assert_failure 2
	run rd-health --url http://127.0.0.1:1/ --check 'value>1'
	assert_failure 2
	assert_output --partial "no source given measures 'value' (they measure p50, p90, p99, error_rate, samples)"
	# a name no source measures is what is wrong, whatever unit follows
	run rd-health --url http://127.0.0.1:1/ --check 'p98<1ms'
	assert_failure 2
	assert_line "rd-health: --check: 'p98<1ms': unknown metric 'p98' (p50, p90, p99, error_rate, samples, attempts, value, rate)"
	run rd-health --url http://127.0.0.1:1/ --check 'samples>1s'
	assert_failure 2
	assert_line "rd-health: --check: threshold 'samples>1s': samples is a number: 's' at byte 9 is a unit it does not take"
	run rd-health
	assert_failure 2
	assert_output --partial "nothing to evaluate: give --url, --promql, --metric, --from-spool, or --jq"
	# the options named are the ones that exist
	run rd-health --from-spool
	assert_failure 2
	assert_output --partial "rd-health: --from-spool needs a --check"
	run rd-health --promql 'up' --check 'value>0'
	assert_failure 2
	run rd-health --url http://127.0.0.1:1/ --match '('
	assert_failure 2
	assert_output --partial "offset 1"
	run rd-health --url http://127.0.0.1:1/ --jq '.['
	assert_failure 2
}

@test "against a real Prometheus scraping the test downstream" {
	ds_start
	for i in $(seq 5); do curl -s "http://127.0.0.1:$PORT/o/$i" > /dev/null; done
	# a port nothing listens on, asked of the kernel (a random pick in the
	# ephemeral range once met a port in use, and Prometheus never came up)
	PP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > "$T/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: ds
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
EOF
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PP" --log.level=warn 2> "$T/prom.err" 3>&- &
	PROM_PID=$!
	prom="http://127.0.0.1:$PP"
	# wait for the first samples to be queryable
	for i in $(seq 150); do
		rd-health -q --prom "$prom" --promql 'sum(rd_downstream_requests_total{code="200"})' \
			--check 'value>=5' && break
		kill -0 "$PROM_PID" 2> /dev/null || { cat "$T/prom.err" >&2; fail "prometheus exited"; }
		sleep 0.2
	done
	run rd-health --prom "$prom" --promql 'sum(rd_downstream_requests_total{code="200"})' --check 'value>=5'
	assert_success
	run rd-health --prom "$prom" --promql 'up{job="ds"}' --check 'value==1' --json
	assert_success
	jq -e '.sources[0].kind == "promql" and .sources[0].metrics.value == 1' <<< "$output"
	run rd-health --prom "$prom" --promql 'sum(rd_downstream_requests_total{code="200"})' --check 'value>=1000000'
	assert_failure 1
	# a query Prometheus refuses as wrong is an error, not an outage:
	# exit 2, and UNKNOWN for a plugin
	run rd-health --prom "$prom" --promql 'sum(' --check 'value>0'
	assert_failure 2
	assert_output --partial "--promql 'sum(': Prometheus rejected the query"
	run rd-health --nagios --prom "$prom" --promql 'sum(' --check 'value>0'
	assert_failure 3
	assert_output --partial "RD-HEALTH UNKNOWN - --promql 'sum(': Prometheus rejected the query"
	run rd-health --prom "$prom" --promql 'up[1m]' --check 'value>0'
	assert_failure 2
	assert_output --partial "gives a matrix"
	# every series is judged, or the source fails: seven, the last over
	q='label_replace(vector(1), "i", "1", "", "")'
	for i in 2 3 4 5 6; do q="$q or label_replace(vector(1), \"i\", \"$i\", \"\", \"\")"; done
	run rd-health --prom "$prom" --promql "$q" --check 'value<10'
	assert_success
	q="$q or label_replace(vector(999), \"i\", \"7\", \"\", \"\")"
	run rd-health --prom "$prom" --promql "$q" --check 'value<10'
	assert_failure 1
	assert_output --partial "the query returned 7 series, more than the 6 a source judges"
	run rd-health --prom "$prom" --promql 'absent_metric_xyz' --check 'value>0'
	assert_failure 1
	assert_output --partial "no data"
}

@test "a rate across runs is taken series by series: one that resets (a restart) or goes is no spike" {
	mkdir "$T/www"
	printf 'c{a="x"} 1000\nc{a="y"} 10\n' > "$T/www/m"
	WP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 -m http.server "$WP" --bind 127.0.0.1 -d "$T/www" > /dev/null 2>&1 3>&- &
	WWW_PID=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$WP/m"
	m=(--metrics "http://127.0.0.1:$WP/m" --metric c --state "$T/st" --json)
	run rd-health "${m[@]}" --check 'rate<100'
	assert_failure 1    # no rate yet
	sleep 1
	# y restarted (10 -> 2): 2 new, not 1002 of a sum that went down
	printf 'c{a="x"} 1000\nc{a="y"} 2\n' > "$T/www/m"
	run rd-health "${m[@]}" --check 'rate<100'
	assert_success
	jq -e '.sources[0].metrics.rate > 0 and .sources[0].metrics.rate <= 2' <<< "$output"
	# a series gone: no spike, and its sample leaves the state file
	sleep 1
	printf 'c{a="x"} 1005\n' > "$T/www/m"
	run rd-health "${m[@]}" --check 'rate<100'
	assert_success
	jq -e '.sources[0].metrics.rate > 0 and .sources[0].metrics.rate <= 5' <<< "$output"
	assert_equal "$(jq '.samples | length' "$T/st")" 1
	# selectors alike for their first 200 bytes keep their own counters
	long=$(printf 'x%.0s' $(seq 220))
	printf 'c{h="%sA"} 100\nc{h="%sB"} 5000\n' "$long" "$long" > "$T/www/m"
	rm -f "$T/st2"
	two=(--metrics "http://127.0.0.1:$WP/m" --metric "c{h=\"${long}A\"}" --metric "c{h=\"${long}B\"}"
	     --state "$T/st2" --check 'rate<10' --json)
	rd-health "${two[@]}" > /dev/null || true
	sleep 1
	run rd-health "${two[@]}"
	assert_success
	assert_equal "$(jq -c '[.sources[].metrics.rate]' <<< "$output")" "[0,0]"
	# past 1000 series a selector keeps no counters: the state file
	# stays small enough to read back (10,000 made it unreadable)
	seq 1500 | awk '{ printf "req_total{path=\"/p/%d\"} %d\n", $1, $1 }' > "$T/www/m"
	many=(--metrics "http://127.0.0.1:$WP/m" --metric req_total --state "$T/st3" --json)
	for i in 1 2; do
		run rd-health "${many[@]}" --check 'value>0'
		assert_success
	done
	assert_output --partial "no rate: the selector matches 1500 series, more than the 1000 the state file keeps"
	assert_equal "$(jq '.samples | length' "$T/st3")" 0
}

@test "numbers are the shortest decimal that reads back, in every output" {
	ds_start
	run rd-health --json --jq '.v' --check 'value>0' <<< '{"v":1756047.3}'
	assert_success
	assert_output --partial '"metrics":{"value":1756047.3}'
	assert_output --partial '"value":1756047.3,"ok":true'
	jq -e '.checks[0].value == 1756047.3' <<< "$output"
	run rd-health --jq '.v' --check 'value<0' <<< '{"v":0.30000000000000004}'
	assert_failure 1
	assert_output --partial "value=0.30000000000000004 (want value<0)"
	# an integer is an integer, however large
	run rd-health --json --jq '.v' --check 'value>0' <<< '{"v":123456789000000}'
	assert_output --partial '"value":123456789000000,"ok":true'
	# the samples of a URL are counted, not measured: 5, never 5.0 or 5e+00
	run rd-health --json --url "$(health_url)"
	jq -e '.sources[0].metrics.samples == 5' <<< "$output"
	assert_output --partial '"samples":5}'
}

@test "--nagios perfdata: values and thresholds in plain decimal, U for no value" {
	ds_start
	perf_re="^RD-HEALTH [A-Z]+ - [^|]+ \\|( '[a-z0-9_]+'=(U|-?[0-9.]+(ms|%)?)(;[~@:0-9.-]*){4})+\$"
	run rd-health --nagios --jq '.v' --check 'value>0' <<< '{"v":123456789012345.67}'
	assert_success
	assert_output --regexp "$perf_re"
	assert_output --partial "'value'=123456789012345.67;;;;"
	run rd-health --nagios --jq '.v' --check 'value>0' <<< '{"v":1.23456789e14}'
	assert_output --partial "'value'=123456789000000;;;;"
	run rd-health --nagios --jq '.v' --check 'value>0' <<< '{"v":1e-7}'
	assert_output --partial "'value'=0.0000001;;;;"
	# ranges are written back in their shortest plain form
	run rd-health --nagios --jq '.v' --check 'value>0' -w 'value=1e3' -c 'value=@:5.75' <<< '{"v":7}'
	assert_success
	assert_output --regexp "$perf_re"
	assert_output --partial "'value'=7;1000;@5.75;;"
	ds_stop
	run rd-health --nagios --url "$(health_url)" --timeout 1s -w p99=100 -c p99=200
	assert_failure 2
	assert_output --regexp "$perf_re"
	assert_output --partial "'p99'=U;100;200;0;"
	assert_output --partial "'error_rate'=100%;;;0;100"
	perf=${output#*|}
	[[ ! "$perf" =~ =[-0-9.]*[eE] ]]
}

@test "--nagios: every status, UNKNOWN included, is one line on standard output" {
	bats_require_minimum_version 1.5.0
	ds_start
	run --separate-stderr rd-health --nagios --url "$(health_url)" -w 'p99=x'
	assert_failure 3
	assert_output --regexp "^RD-HEALTH UNKNOWN - --warning: range 'x': expected a number at byte 0"
	assert_equal "${#lines[@]}" 1
	assert_equal "$stderr" ""
	# a usage error met before --nagios is read, and an abbreviation of it
	run --separate-stderr rd-health --bogus --url "$(health_url)" --nagios
	assert_failure 3
	assert_output "RD-HEALTH UNKNOWN - unknown option '--bogus'"
	run --separate-stderr rd-health --bogus --url "$(health_url)" --nagi
	assert_failure 3
	assert_output "RD-HEALTH UNKNOWN - unknown option '--bogus'"
	# configuration: a range on a metric no source gives
	run --separate-stderr rd-health --nagios --url "$(health_url)" -c 'p98=100'
	assert_failure 3
	assert_output "RD-HEALTH UNKNOWN - --critical 'p98=100': no source given measures 'p98' (they measure p50, p90, p99, error_rate, samples)"
	# failures at run time: standard input that is not JSON, a damaged state file
	run --separate-stderr rd-health --nagios --jq '.a' <<< 'not json'
	assert_failure 3
	assert_output --regexp "^RD-HEALTH UNKNOWN - standard input is not JSON"
	assert_equal "$stderr" ""
	echo garbage > "$T/st"
	run --separate-stderr rd-health --nagios --state "$T/st" --url "$(health_url)"
	assert_failure 3
	assert_output --regexp "^RD-HEALTH UNKNOWN - '.*/st' is not a rd-health state file"
	# -q does not silence a plugin: Nagios would show "(No output returned from plugin)"
	run --separate-stderr rd-health -q --nagios --url "$(health_url)"
	assert_success
	assert_output --regexp "^RD-HEALTH OK - all checks passed \\|"
	# without --nagios, errors stay on standard error with exit 2
	run --separate-stderr rd-health --url "$(health_url)" --bogus
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "rd-health: unknown option '--bogus'"
}

@test "--nagios ranges: the forms the plugin libraries accept, and those they refuse" {
	ds_start
	# samples is exactly -n: 5
	for r in 10 5: '~:10' 5:20 '@6:20' :5.75 '~:' 1e3 '1:12%' 5 5:5 '+5.0'; do
		run rd-health --nagios --url "$(health_url)" -c "samples=$r"
		assert_success
	done
	for r in 4 6: 10: '~:4' 6:20 '@4:20' :4.75 '@~:' 4e0 '1:4%' '@5'; do
		run rd-health --nagios --url "$(health_url)" -c "samples=$r"
		assert_failure 2
		assert_output --regexp "^RD-HEALTH CRITICAL - samples=5 (outside|inside) critical range "
	done
	for r in 20:10 : '1-10' '10:~' '1,10' foo '' '~' '0x10' 'inf' ' 10'; do
		run rd-health --nagios --url "$(health_url)" -c "samples=$r"
		assert_failure 3
		assert_output --regexp "^RD-HEALTH UNKNOWN - --critical: range "
	done
	run rd-health --nagios --url "$(health_url)" -c 'samples=20:10'
	assert_output --partial "the start is above the end"
}

@test "--nagios: the status text names the range that was breached" {
	ds_start
	run rd-health --nagios --url "$(health_url)" -w samples=1 -c samples=2
	assert_failure 2
	assert_output --regexp "^RD-HEALTH CRITICAL - samples=5 outside critical range 2 \\|"
	refute_output --partial "warning range"
	run rd-health --nagios --url "$(health_url)" -c samples=2 -w samples=1
	assert_output --regexp "^RD-HEALTH CRITICAL - samples=5 outside critical range 2 \\|"
	run rd-health --nagios --url "$(health_url)" -w samples=1 -c samples=10
	assert_failure 1
	assert_output --regexp "^RD-HEALTH WARNING - samples=5 outside warning range 1 \\|"
	run rd-health --nagios --url "$(health_url)" -w samples=1 -c samples=@5
	assert_failure 2
	assert_output --regexp "^RD-HEALTH CRITICAL - samples=5 inside critical range @5 \\|"
	assert_output --partial "'samples'=5;1;@5;;"
	# the last range given for a metric is the one that holds
	run rd-health --nagios --url "$(health_url)" -c samples=2 -c samples=10
	assert_success
	assert_output --partial "'samples'=5;;10;;"
}

@test "a source that cannot be read has no values: null and ok:false, U in perfdata" {
	ds_start
	# /health is JSON, not an exposition: the source fails at its first line
	args=(--metrics "http://127.0.0.1:$PORT/health" --metric up --check 'value<5')
	run rd-health --json "${args[@]}"
	assert_failure 1
	jq -e '.sources[0].readable == false and .sources[0].metrics.value == null' <<< "$output"
	jq -e '.checks[0].check == "value<5" and .checks[0].value == null and .checks[0].ok == false' <<< "$output"
	run rd-health --nagios "${args[@]}"
	assert_failure 2
	assert_output --partial "'value'=U;;;;"
	refute_output --partial "'value'=0"
	# a spool with no attempts in the window: no count either
	run rd-health --json --from-spool --check 'attempts<100'
	assert_failure 1
	jq -e '.checks[0].value == null and .checks[0].ok == false and .sources[0].metrics.attempts == null' <<< "$output"
	run rd-health --nagios --from-spool --check 'attempts<100'
	assert_failure 2
	assert_output --partial "'attempts'=U;;;;"
}

# A fixed exposition page on 127.0.0.1: tests/helpers/nginx.sh serves its
# ok.txt for every path, so the page is whatever is written there.
expo_serve() {
	[ -n "${NGX_PID:-}" ] || ngx_start
	cat > "$T/nginx/www/ok.txt"
	EXPO_URL="http://127.0.0.1:$NGX_PORT/metrics"
}

@test "exposition: blanks between tokens are read as Prometheus reads them" {
	expo_serve <<-'EOF'
	# HELP jobs_total Jobs done.
	# TYPE jobs_total counter
	jobs_total {queue="mail"} 3
	jobs_total{ queue = "sms" , } 4 1700000000000
	jobs_total	{queue="push"}	5
	EOF
	run rd-health --metrics "$EXPO_URL" --metric 'jobs_total{queue="sms"}' --check 'value==4'
	assert_success
	run rd-health --metrics "$EXPO_URL" --metric ' jobs_total { queue = "mail" , } ' --check 'value==3'
	assert_success
	run rd-health --json --metrics "$EXPO_URL" --metric jobs_total --check 'value==12'
	assert_success
	jq -e '.sources[0].metrics.value == 12' <<< "$output"
}

@test "exposition: a series of 17 labels and a label value of 300 bytes match exactly" {
	labels=$(for i in $(seq 17); do printf 'l%d="v%d",' "$i" "$i"; done)
	labels=${labels%,}
	long=$(printf 'x%.0s' $(seq 300))
	expo_serve <<-EOF
	wide{$labels} 17
	wide{l1="v1"} 1000
	long{v="${long}A"} 1
	long{v="${long}B"} 2
	EOF
	run rd-health --metrics "$EXPO_URL" --metric "wide{$labels}" --check 'value==17'
	assert_success
	run rd-health --metrics "$EXPO_URL" --metric "long{v=\"${long}B\"}" --check 'value==2'
	assert_success
	# the first 255 bytes are not the value
	run rd-health --metrics "$EXPO_URL" --metric "long{v=\"${long}\"}" --check 'value>=0'
	assert_failure 1
	assert_output --partial "no series matches"
}

@test "exposition: a page Prometheus would refuse is unreadable, naming the line" {
	expo_serve <<-'EOF'
	# TYPE ratio gauge
	ratio 0x1p-3
	EOF
	run rd-health --metrics "$EXPO_URL" --metric ratio --check 'value<1'
	assert_failure 1
	assert_output --partial 'exposition line 2: expected a float as value, got "0x1p-3"'
	# one bad line anywhere, even in a series not asked for
	printf 'ratio 0.125\nother{a="b",a="c"} 1\n' > "$T/nginx/www/ok.txt"
	run rd-health --metrics "$EXPO_URL" --metric ratio --check 'value<1'
	assert_failure 1
	assert_output --partial 'exposition line 2: label "a" appears twice'
	printf 'ratio 0.125\nother \0\n' > "$T/nginx/www/ok.txt"
	run rd-health --metrics "$EXPO_URL" --metric ratio --check 'value<1'
	assert_failure 1
	assert_output --partial 'exposition line 2: expected a float as value'
	printf 'ratio 0.125\n' > "$T/nginx/www/ok.txt"
	run rd-health --metrics "$EXPO_URL" --metric ratio --check 'value<1'
	assert_success
}

@test "--state: 20 runs at once on one file count 20 evaluations, and none fails" {
	local i pids=()
	for i in $(seq 20); do
		echo '{"ok":false}' | rd-health --jq .ok --state "$T/st" --open-after 100 \
			> /dev/null 2> "$T/err.$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		# unhealthy is 1; an error would be 2
		assert_equal "$rc" 1
	done
	assert_equal "$(cat "$T"/err.* | wc -c)" 0
	assert_equal "$(jq .bad "$T/st")" 20
	# no temporary file is left behind
	assert_equal "$(ls "$T" | grep -c 'st\.tmp')" 0
}

@test "a malformed selector or a rate without --state is a configuration error, exit 2" {
	ds_start
	run rd-health --metrics "http://127.0.0.1:$PORT/metrics" --metric 'foo{a=' --check 'value>0'
	assert_failure 2
	assert_output --partial "--metric: metric selector 'foo{a='"
	run rd-health --nagios --metrics "http://127.0.0.1:$PORT/metrics" --metric 'foo{a=' --check 'value>0'
	assert_failure 3
	assert_output --partial "RD-HEALTH UNKNOWN - "
	run rd-health --metrics "http://127.0.0.1:$PORT/metrics" --metric 'rd_requests_total' --check 'rate>0'
	assert_failure 2
	assert_output --partial "a rate needs the counter of an earlier run: give --state"
}

@test "a series that does not exist yet is no data, judged by --no-data" {
	ds_start
	local m=(--metrics "http://127.0.0.1:$PORT/metrics" --metric 'not_exported_yet_total' --check 'value<5')
	run rd-health "${m[@]}"
	assert_failure 1
	assert_output --partial "value: no data (want value<5)"
	refute_output --partial "value=none"
	run rd-health --json "${m[@]}"
	jq -e '.checks[0] | .no_data == true and .value == null and .ok == false' <<< "$output"
	jq -e '.sources[0].readable == true' <<< "$output"
	run rd-health --no-data healthy "${m[@]}"
	assert_success
	run rd-health --nagios --no-data unknown "${m[@]}"
	assert_failure 3
	assert_output --regexp "^RD-HEALTH UNKNOWN - .*no data"
	run rd-health --nagios "${m[@]}"
	assert_failure 2
	run rd-health --no-data maybe "${m[@]}"
	assert_failure 2
	# a breaker that holds is CRITICAL, whatever the checks had
	printf '{"v":1,"state":"open","opened_at":"%s","bad":3,"good":0}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" > "$T/brk"
	run rd-health --nagios --no-data unknown --state "$T/brk" --cooldown 1h "${m[@]}"
	assert_failure 2
	assert_output --regexp "^RD-HEALTH CRITICAL - .*breaker open"
}

@test "concurrent probes each get their own connection: p50 is the service's latency" {
	# ten samples at once of a service that answers in 500 ms over
	# clear-text HTTP/1.1; queued behind one connection they report
	# 1000 and more (the bound leaves room for a stall under load)
	ds_start --latency 500
	run rd-health --json --url "http://127.0.0.1:$PORT/slow" -n 10 --check 'p50<2s'
	assert_success
	p50=$(jq '.sources[0].metrics.p50' <<< "$output")
	echo "p50 $p50 ms"
	[ "$(jq -n "$p50 >= 500 and $p50 < 750")" = true ]
}

@test "--connect-timeout, --http1.1 and --http2-prior-knowledge reach the probe" {
	ds_start
	run rd-health --url "http://127.0.0.1:$PORT/health" --http1.1 --connect-timeout 1s -n 2
	assert_success
	# the test downstream speaks HTTP/1.1 only: prior-knowledge HTTP/2 fails
	run rd-health --url "http://127.0.0.1:$PORT/health" --http2-prior-knowledge -n 1 --timeout 2s
	assert_failure 1
}

@test "secrets in sources never reach any output: URL userinfo and secret query values, a spool location's password" {
	ds_start
	closed=1   # nothing listens on 127.0.0.1:1
	srcs=(
		"--url http://bob:hunter2@127.0.0.1:$PORT/health?token=hunter2&n=1"
		"--url http://bob:hunter2@127.0.0.1:$closed/health?api_key=hunter2"
		"--prom http://bob:hunter2@127.0.0.1:$closed/?token=hunter2 --promql up --check value>0"
		"--metrics http://bob:hunter2@127.0.0.1:$closed/metrics?token=hunter2 --metric up --check value>0"
		"--spool nats://bob:hunter2@127.0.0.1:$closed/PAYMENTS --from-spool --check error_rate<1%"
	)
	for src in "${srcs[@]}"; do
		for fmt in "" --json --nagios -v; do
			# shellcheck disable=SC2086 # the options, split on purpose
			run rd-health $src $fmt
			[[ $output != *hunter2* ]] || fail "rd-health $src $fmt showed a secret: $output"
		done
		# the source is named all the same, masked (its target or note)
		# shellcheck disable=SC2086
		run rd-health $src --json
		[[ $(jq -r '.sources[0] | .target + " " + (.note // "")' <<< "$output") == *"@127.0.0.1:"* ]] ||
			fail "rd-health $src --json names no source: $output"
	done
	# masked where shown only: the probe itself still works
	run rd-health --url "http://bob:hunter2@127.0.0.1:$PORT/health?token=hunter2"
	assert_success
}
