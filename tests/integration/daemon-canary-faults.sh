#!/usr/bin/env bash
# The canary's accounting is exact under every fault momento-topics-local can
# make, checked against what the server says it accepted and delivered
# (--ledger, tests/tools/canary-ledger): messages dropped, streams ended,
# a loop stalled past the deadline, publishes refused with each status,
# a stream gone silent (lost probes arriving late after the resubscribe: lost
# all the same, and after_deadline), pages reset, a server restart; a publish
# that fails with a passing status is counted by status, one the key may not
# make is a canary_error with its hint while the other stream runs on; a
# canary stream that cannot subscribe says so and sends nothing.
source "$(dirname "$0")/lib.sh"

CHECK=$top_srcdir/tests/tools/canary-ledger
OTHER="
  - cache: c
    topic: other"
canary_cfg() { # FILE [EXTRA] : 20 probes a second, deadline 1 s, every loss logged
    write_daemon_config "$1" "$OTHER" "
logging:
  summary_interval: 1s
  messages: none
  warnings_per_interval: 100000
reconnect:
  idle_timeout: 2s
  backoff_max: 1s
canary:
  cache: c
  rate: 20/s
  deadline: 1s
${2:-}"
}

# run_case NAME SECONDS SERVER-ARGS... : a server with a ledger, the daemon
# for SECONDS, then the check
run_case() {
    local name=$1 secs=$2
    shift 2
    start_local "srv-$name" --heartbeat 200ms --ledger "$WORK/$name.ledger" "$@"
    canary_cfg "$WORK/$name.yaml"
    start_daemon "d-$name" "$WORK/$name.yaml"
    wait_events 10 "$WORK/d-$name.out" '.event=="canary" and .received_total > 0' 1 ||
        fail "$name: no probe came back: $(tail -3 "$WORK/d-$name.out")"
    sleep "$secs"
    stop "$DAEMON_PID" || fail "$name: daemon exit status"
    stop "$LOCAL_PID" || true
    "$CHECK" "$WORK/d-$name.out" "$WORK/$name.ledger" >"$WORK/$name.check" ||
        fail "$name: $(cat "$WORK/$name.check")"
    echo "$name: $(cat "$WORK/$name.check")"
}

run_case drops 2.5 --fault-drop-every 9
[ "$(canary_last "$WORK/d-drops.out" .lost_total)" -ge 5 ] || fail "drops: too few probes lost to count"
run_case ends 2.5 --fault-end-after 15
run_case resets 2.5 --fault-reset-after 25
# a silent stream: what it held back comes after the resubscribe, too late
run_case stall 4.5 --fault-stall-after 30
[ "$(events "$WORK/d-stall.out" '.event=="canary"' | jq -s 'map(.after_deadline) | add')" -ge 1 ] ||
    fail "stall: no probe counted after_deadline"

# ---- the daemon's loop stalled 3 s, longer than the deadline (1 s) ----
# the probes due in its first 2 s are lost unpublished; those of its last
# second leave late but within their deadline and come back: none of them
# is pushed out of the ring by the ones before
start_local srv-sigstop --heartbeat 200ms --ledger "$WORK/sigstop.ledger"
canary_cfg "$WORK/sigstop.yaml"
start_daemon d-sigstop "$WORK/sigstop.yaml"
out=$WORK/d-sigstop.out
wait_events 10 "$out" '.event=="canary" and .received_total > 0' 1 || fail "sigstop: no probe came back"
kill -STOP "$DAEMON_PID"
sleep 3
kill -CONT "$DAEMON_PID"
sleep 2.5
stop "$DAEMON_PID" || fail "sigstop: daemon exit status"
stop "$LOCAL_PID" || true
"$CHECK" "$out" "$WORK/sigstop.ledger" >"$WORK/sigstop.check" || fail "sigstop: $(cat "$WORK/sigstop.check")"
lost=$(canary_last "$out" .lost_total)
[ "$lost" -ge 30 ] && [ "$lost" -le 50 ] || fail "sigstop: $lost lost in a 3 s stall at 20/s with a 1 s deadline (about 40 expected)"
# those published at the very end of their second may still miss it: a few
late=$(count_events "$out" '.event=="canary_lost" and (.reason|test("not published")|not)')
[ "$late" -le 3 ] || fail "sigstop: $late probes published within their deadline were lost: $(events "$out" '.event=="canary_lost" and (.reason|test("not published")|not)' | sed -n 1p)"
[ "$(count_events "$out" '.event=="canary_lost" and (.reason|test("ring"))')" = 0 ] || fail "sigstop: the ring overflowed"
echo "sigstop: $(cat "$WORK/sigstop.check")"

# ---- a server restart: two ledgers, one daemon ----
start_local srv-r1 --heartbeat 200ms --ledger "$WORK/r1.ledger"
port=$LOCAL_PORT
canary_cfg "$WORK/restart.yaml"
start_daemon d-restart "$WORK/restart.yaml"
D=$DAEMON_PID
out=$WORK/d-restart.out
wait_events 10 "$out" '.event=="canary" and .received_total > 0' 1 || fail "restart: no probe came back"
sleep 1
stop "$LOCAL_PID" || true
sleep 1.5
bg srv-r2 "$BIN/momento-topics-local" --listen "127.0.0.1:$port" --heartbeat 200ms --ledger "$WORK/r2.ledger"
n=$(canary_last "$out" .received_total)
wait_events 15 "$out" ".event==\"canary\" and .received_total > $((n + 20))" 1 || fail "restart: the canary does not recover"
stop "$D" || fail "restart: daemon exit status"
stop "$LAST_PID" || true
"$CHECK" "$out" "$WORK/r1.ledger" "$WORK/r2.ledger" >"$WORK/restart.check" || fail "restart: $(cat "$WORK/restart.check")"
[ "$(canary_last "$out" .lost_total)" -ge 10 ] || fail "restart: a 1.5 s outage lost fewer than 10 probes"
echo "restart: $(cat "$WORK/restart.check")"

# ---- the first 3 publishes refused, with each status a client tells apart:
# counted by status, the probes lost (and nothing else), a canary_error only
# for what the operator must act on; all cases at once, each with its server
CODES="INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND PERMISSION_DENIED RESOURCE_EXHAUSTED UNAVAILABLE UNAUTHENTICATED"
declare -A DPID SPID
for code in $CODES; do
    start_local "srv-$code" --heartbeat 200ms --fault-reject "$code:3" --fault-reject-rpc publish \
        --ledger "$WORK/$code.ledger"
    SPID[$code]=$LOCAL_PID
    canary_cfg "$WORK/$code.yaml"
    start_daemon "d-$code" "$WORK/$code.yaml"
    DPID[$code]=$DAEMON_PID
done
for code in $CODES; do
    wait_events 10 "$WORK/d-$code.out" '.event=="canary" and .received_total > 0' 1 || fail "$code: no probe came back"
done
sleep 1.2 # the refused probes' deadline (1 s) has passed
for code in $CODES; do
    out=$WORK/d-$code.out
    stop "${DPID[$code]}" || fail "$code: daemon exit status"
    stop "${SPID[$code]}" || true
    events "$out" '.event=="canary"' | jq -s -e --arg c "$code" '(map(.publish_errors) | add) == 3 and
        (map(.publish_error_statuses // empty) | all(. == ($c + ":" + (.|split(":")[1]))))' >/dev/null ||
        fail "$code: publish errors not counted by status: $(events "$out" '.event=="canary" and .publish_errors > 0')"
    [ "$(canary_last "$out" .lost_total)" = 3 ] || fail "$code: $(canary_last "$out" .lost_total) lost, not the 3 refused"
    "$CHECK" "$out" "$WORK/$code.ledger" >"$WORK/$code.check" || fail "$code: $(cat "$WORK/$code.check")"
    case $code in
    UNAVAILABLE | DEADLINE_EXCEEDED) want=0 ;;
    *) want=1 ;;
    esac
    [ "$(count_events "$out" '.event=="canary_error"')" = "$want" ] || fail "$code: not $want canary_error"
done
echo "refused publishes: $CODES: each counted by status, 3 lost, canary_error only where the operator acts"

# ---- publish-only failure: the key may not publish ----
start_local srv-deny --heartbeat 200ms --fault-reject PERMISSION_DENIED --fault-reject-rpc publish
canary_cfg "$WORK/deny.yaml"
start_daemon d-deny "$WORK/deny.yaml"
out=$WORK/d-deny.out
wait_events 10 "$out" '.event=="canary_error"' 1 || fail "publish denied: no canary_error: $(tail -3 "$out")"
e=$(events "$out" '.event=="canary_error"' | sed -n 1p)
jq -e '.status == "PERMISSION_DENIED" and .level == "error" and
    (.hint | contains("this key cannot publish to c/momento-subscriber-canary: give the canary a key with publish rights, or remove canary:"))' \
    <<<"$e" >/dev/null || fail "publish denied: canary_error: $e"
# the rest runs on: every stream stays up (the server refuses every publish,
# so there is nothing to receive; a stream that ended would resubscribe)
sleep 2
[ "$(count_events "$out" '.event=="subscribed"')" = 2 ] || fail "publish denied: the streams did not both come up"
[ "$(count_events "$out" '.event=="resubscribing"')" = 0 ] || fail "publish denied: a stream ended"
stop "$DAEMON_PID" || fail "publish denied: daemon exit status"
stop "$LOCAL_PID" || true
[ "$(count_events "$out" '.event=="canary_error"')" = 1 ] || fail "publish denied: canary_error said more than once"
[ "$(canary_last "$out" .received_total)" = 0 ] || fail "publish denied: probes received"
[ -z "$(canary_unbalanced "$out")" ] || fail "publish denied: unbalanced: $(canary_unbalanced "$out")"

# ---- subscribe-only failure: the canary stream cannot start ----
start_local srv-nosub --heartbeat 200ms --fault-reject PERMISSION_DENIED --fault-reject-rpc subscribe
canary_cfg "$WORK/nosub.yaml"
start_daemon d-nosub "$WORK/nosub.yaml"
out=$WORK/d-nosub.out
wait_events 10 "$out" '.event=="auth_error" and .topic=="momento-subscriber-canary"' 1 ||
    fail "subscribe denied: no error event for the canary's stream: $(tail -3 "$out")"
e=$(events "$out" '.event=="auth_error" and .topic=="momento-subscriber-canary"' | sed -n 1p)
jq -e '.status == "PERMISSION_DENIED" and (.hint|length) > 0' <<<"$e" >/dev/null || fail "subscribe denied: $e"
wait_events 10 "$out" '.event=="canary"' 2 || fail "subscribe denied: no canary summary"
c=$(canary_last "$out" .)
jq -e '.sent_total == 0 and (.message|contains("waiting for the canary stream"))' <<<"$c" >/dev/null ||
    fail "subscribe denied: probes sent on a stream that never came up: $c"
stop "$DAEMON_PID" || fail "subscribe denied: daemon exit status"
stop "$LOCAL_PID" || true
pass "canary accounting exact under drops, stream ends, resets, a stall, a server restart; publish and subscribe refusals said"
