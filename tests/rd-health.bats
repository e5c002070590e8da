#!/usr/bin/env bats
# rd-health against servers the tests start on 127.0.0.1: the project's
# test downstream, and Debian's Prometheus scraping it.

load common

setup() { common_setup; }
teardown() {
	ds_stop
	if [ -n "${PROM_PID:-}" ]; then
		kill "$PROM_PID" 2>/dev/null || true
		wait "$PROM_PID" 2>/dev/null || true
	fi
	common_teardown
}

health_url() { echo "http://127.0.0.1:$PORT/health"; }

@test "healthy service: exit 0, one line naming what passed" {
	ds_start
	run rd-health --url "$(health_url)" --check 'p99<200ms' --check 'error_rate<1%' --jq '.status=="UP"'
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
	assert_output --partial "--jq is false"
	run rd-health --jq '.db.latency_ms' --check 'value<=40' <<< '{"db":{"latency_ms":30}}'
	assert_success
	run rd-health --jq '.a' <<< 'not json'
	assert_failure 2
	assert_output --partial "standard input is not JSON"
	run rd-health --jq '.a' < /dev/null
	assert_failure 2
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
	run rd-health --spool --check 'error_rate<10%'
	assert_failure 1
	assert_output --partial "no replay attempts in the window"
	rd-replay -q --rate max --backoff 1ms --backoff-max 5ms
	run rd-health --spool --check 'error_rate<10%'
	assert_failure 1
	assert_output --partial "error_rate=50.00%"
	run rd-health --json --spool --check 'error_rate<=50%' --check 'p99<1s'
	assert_success
	jq -e '.sources[0].metrics.attempts == 20' <<< "$output"
	run rd-health --spool --window 1ms --check 'error_rate<=50%'
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
	assert_output --partial "no source given measures 'value'"
	run rd-health
	assert_failure 2
	assert_output --partial "nothing to evaluate"
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
	PP=$(( 30000 + RANDOM % 20000 ))
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
		sleep 0.2
	done
	run rd-health --prom "$prom" --promql 'sum(rd_downstream_requests_total{code="200"})' --check 'value>=5'
	assert_success
	run rd-health --prom "$prom" --promql 'up{job="ds"}' --check 'value==1' --json
	assert_success
	jq -e '.sources[0].kind == "promql" and .sources[0].metrics.value == 1' <<< "$output"
	run rd-health --prom "$prom" --promql 'sum(rd_downstream_requests_total{code="200"})' --check 'value>=1000000'
	assert_failure 1
	run rd-health --prom "$prom" --promql 'sum(' --check 'value>0'
	assert_failure 1
	assert_output --partial "Prometheus rejected the query"
	run rd-health --prom "$prom" --promql 'absent_metric_xyz' --check 'value>0'
	assert_failure 1
	assert_output --partial "no data"
}
