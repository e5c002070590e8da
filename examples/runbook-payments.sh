#!/bin/sh
# examples/runbook-payments.sh - the incident runbook for a payments
# outage, as a script an on-call engineer can run step by step or whole.
#
#   PAYMENTS_URL   base URL of the payments service (its /health answers JSON)
#   RD_SPOOL         the spool the payment clients capture into
#   WAIT           how long to wait for recovery (default 10m)
#
# 1. how bad is it: health now, and what the spool holds;
# 2. wait for recovery: 3 healthy checks in a row, a second apart;
# 3. canary: replay 10 requests, and stop if any of them fails;
# 4. drain: the gated, adaptive replay of the rest;
# 5. prove it: nothing pending, no new dead letter, the spool verified
#    (dead letters from before the incident are counted, not blamed).
# Exit 0 when the backlog is delivered; 1 when something needs a human.
set -u
: "${PAYMENTS_URL:?set PAYMENTS_URL, e.g. http://payments.internal:8080}"
: "${RD_SPOOL:?set RD_SPOOL to the payments spool}"
WAIT=${WAIT:-10m}
state=${STATE_DIR:-/tmp}/payments.breaker
# the gate: a breaker that opens at once and needs 3 healthy checks in a
# row to close; the quotes are for the shell that runs it
health="rd-health -q --state '$state' --open-after 1 --close-after 3 --cooldown 0s --url '$PAYMENTS_URL/health' --check 'p99<500ms' --jq '.status==\"UP\"'"

step() { printf '\n== %s\n' "$*"; }

step "1. the service now, and the backlog"
rd-health --url "$PAYMENTS_URL/health" --check 'p99<500ms' || true
rd-audit
dead_before=$(rd-audit --json | jq .state.dead) || exit 1

step "2. waiting up to $WAIT for 3 healthy checks in a row"
rm -f "$state"
case $WAIT in
*m) secs=$(( ${WAIT%m} * 60 )) ;;
*s) secs=${WAIT%s} ;;
*) secs=$WAIT ;;
esac
deadline=$(( $(date +%s) + secs ))
good=0
while :; do
	# each unhealthy check starts the count again
	if sh -c "$health"; then good=$((good + 1)); else good=0; fi
	[ "$good" -ge 3 ] && break
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "runbook: the service did not recover within $WAIT; escalate" >&2
		exit 1
	fi
	sleep 1
done
echo "healthy 3 times in a row"

step "3. canary: 10 requests"
# one attempt each: a failure makes a dead letter, exit 4; exit 1 is
# the rest of the backlog left for step 4
rc=0
rd-replay --limit 10 --rate 5/s --max-attempts 1 --gate "$health" || rc=$?
case $rc in
0 | 1) ;;
4) echo "runbook: the canary failed; see rd-audit --list" >&2; exit 1 ;;
*) echo "runbook: the canary's rd-replay exited $rc" >&2; exit 1 ;;
esac

step "4. drain, gated and adaptive"
rc=1
while [ "$rc" -eq 1 ]; do
	rc=0
	rd-replay --adaptive --rate 1000/s --max-time 5m --gate "$health" || rc=$?
	[ "$rc" -eq 1 ] && ! sh -c "$health" && { echo "runbook: unhealthy again; stopping" >&2; exit 1; }
done
[ "$rc" -eq 0 ] || { echo "runbook: rd-replay exited $rc" >&2; exit 1; }

step "5. nothing pending, no new dead letter, the spool sound"
rd-audit -q --fail-if 'pending>0' --fail-if "dead>$dead_before" > /dev/null || exit 1
[ "$dead_before" -eq 0 ] || echo "runbook: $dead_before dead letters from before; see rd-audit --list"
rd-audit --verify || exit 1
rd-audit | head -8
echo "runbook: backlog delivered"
