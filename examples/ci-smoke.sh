#!/bin/sh
# examples/ci-smoke.sh - a CI smoke test around a freshly deployed service:
# it must be healthy, a request sent through rd-capture --try must go
# through, and nothing may be left in the spool.
#
#   SERVICE_URL   base URL of the service under test
# Exit 0 when the smoke test passes.
set -eu
: "${SERVICE_URL:?set SERVICE_URL}"
export RD_SPOOL=${RD_SPOOL:-$(mktemp -d)/spool}

# healthy: fast, no errors, and the body says so
rd-health --url "$SERVICE_URL/health" -n 10 --check 'p99<500ms' \
	--check 'error_rate<=0%' --jq '.status == "UP"'

# a real request goes through (and would be captured if it did not)
rd-capture --try -X POST -H 'Content-Type: application/json' \
	--data '{"smoke":true}' "$SERVICE_URL/smoke" > /dev/null

# nothing captured, nothing dead
rd-audit -q --fail-if 'requests>0' --fail-if 'dead>0' > /dev/null
echo "smoke test passed"
