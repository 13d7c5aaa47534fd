#!/bin/bash
# momento-topics-local --fault-reject-rpc: --fault-reject refuses the calls of
# one method only, for the statuses clients tell apart, while the other method works;
# COUNT counts only that method's calls; each refusal is a ledger line.
# Checked with the probe and momento-publish over the real gRPC transport.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"
source "$top_srcdir/tests/integration/publish-lib.sh"

n_lines() { grep -c "^$1" "$LEDGER" || true; }

# ---- every status, Publish refused: the subscriber's stream stays up and still gets items
# the statuses a client acts on differently (every name is read by the same
# table, whose spellings tests/unit/test-local-opts covers one by one)
CODES="INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND PERMISSION_DENIED RESOURCE_EXHAUSTED UNAVAILABLE UNAUTHENTICATED"
for code in $CODES; do
    arg=$(tr 'A-Z_' 'a-z-' <<<"$code") # as a user may write it
    LEDGER=$WORK/p-$code.ledger
    start_local "p-$code" --fault-reject "$arg" --fault-reject-rpc publish --ledger "$LEDGER" \
        --heartbeat 100ms
    subscribe "ps-$code" --timeout 20 --messages 4
    wait_type "ps-$code" heartbeat 1
    expect_eq "$code: publish" "$(publish --count 2 x | jq -r .name | sort -u)" "$code"
    wait "$SUB_PID" || fail "$code: the subscriber's stream did not stay up: $(cat "$WORK/ps-$code.out")"
    expect_eq "$code: the subscriber" "$(types "ps-$code" | sort -u)" heartbeat
    stop_local
    expect_eq "$code: ledger" "$(cat "$LEDGER")" "rejected publish $code
rejected publish $code"
done
pass "--fault-reject-rpc publish, each of $(wc -w <<<"$CODES") statuses: Publish refused, Subscribe up"

# ---- every status, Subscribe refused: publishes succeed and are published
for code in $CODES; do
    LEDGER=$WORK/s-$code.ledger
    start_local "s-$code" --fault-reject-rpc subscribe --fault-reject "$code" --ledger "$LEDGER"
    subscribe "ss-$code" --timeout 20
    rc=0
    wait "$SUB_PID" || rc=$?
    expect_eq "$code: probe exit" "$rc" 1
    expect_eq "$code: subscribe" "$(jq -r 'select(.type=="status") | .name' "$WORK/ss-$code.out")" "$code"
    expect_eq "$code: publish" "$(publish x | jq -r .name)" OK
    stop_local
    expect_eq "$code: ledger" "$(cat "$LEDGER")" "rejected subscribe $code
published c t 1 \"x\""
done
pass "--fault-reject-rpc subscribe, each of $(wc -w <<<"$CODES") statuses: Subscribe refused, Publish works"

# ---- a key that may subscribe but not publish: momento-publish fails with the
# status and stops; the probe's stream stays up and the server delivers nothing
LEDGER=$WORK/perm.ledger
start_local perm --fault-reject PERMISSION_DENIED --fault-reject-rpc publish --ledger "$LEDGER" \
    --heartbeat 100ms
sub perm-sub c t --count 1
rc=0
timeout 60 ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure -c c -t t \
    -n 100 --connections 1 --max-in-flight 1 >"$WORK/perm.pub" 2>"$WORK/perm.pub.err" || rc=$?
expect_eq "momento-publish exit" "$rc" 1
grep -qF "failed: PERMISSION_DENIED: the API key does not have permission to publish to this topic" \
    "$WORK/perm.pub.err" || fail "momento-publish: $(cat "$WORK/perm.pub.err")"
grep -qF "stopping: further publishes would fail the same way" "$WORK/perm.pub.err" ||
    fail "momento-publish did not stop: $(cat "$WORK/perm.pub.err")"
errors=$(sed -nE 's/.*; errors: ([0-9]+) \(PERMISSION_DENIED [0-9]+\)$/\1/p' "$WORK/perm.pub")
[ -n "$errors" ] || fail "closing line: $(cat "$WORK/perm.pub")"
expect_eq "one rejected line per refused publish" "$(n_lines "rejected publish PERMISSION_DENIED")" "$errors"
expect_eq "nothing published" "$(n_lines published)" 0
# the stream is still up: more heartbeats, no status
hb=$(count_type perm-sub heartbeat)
wait_type perm-sub heartbeat $((hb + 2))
expect_eq "no status on the stream" "$(count_type perm-sub status)" 0
kill -0 "$SUB_PID" 2>/dev/null || fail "the subscriber is gone: $(cat "$WORK/perm-sub.out")"
stop_local
pass "PERMISSION_DENIED for Publish only: momento-publish fails and stops ($errors refused), the Subscribe stream stays up"

# ---- COUNT counts only the method's calls, whatever comes between them
LEDGER=$WORK/count.ledger
start_local count --fault-reject unavailable:2 --fault-reject-rpc publish --ledger "$LEDGER"
subscribe c1 --timeout 20 --messages 1
wait "$SUB_PID" || fail "c1: $(cat "$WORK/c1.out")"
expect_eq "publish 1" "$(publish x | jq -r .name)" UNAVAILABLE
subscribe c2 --timeout 20 --messages 1
wait "$SUB_PID" || fail "c2: $(cat "$WORK/c2.out")"
expect_eq "publishes 2 to 4" "$(publish --count 3 x | jq -r .name | tr '\n' ' ')" "UNAVAILABLE OK OK "
stop_local
expect_eq "ledger" "$(cut -d' ' -f1-3 "$LEDGER" | tr '\n' ,)" \
    "rejected publish UNAVAILABLE,rejected publish UNAVAILABLE,published c t,published c t,"
LEDGER=$WORK/count2.ledger
start_local count2 --fault-reject unavailable:1 --fault-reject-rpc subscribe --ledger "$LEDGER"
expect_eq "publish before" "$(publish x | jq -r .name)" OK
subscribe c3 --timeout 20
wait "$SUB_PID" || true
expect_eq "subscribe 1" "$(jq -r 'select(.type=="status") | .name' "$WORK/c3.out")" UNAVAILABLE
expect_eq "publish between" "$(publish x | jq -r .name)" OK
subscribe c4 --timeout 20 --messages 1
wait "$SUB_PID" || fail "subscribe 2 was refused: $(cat "$WORK/c4.out")"
stop_local
expect_eq "ledger" "$(cut -d' ' -f1-3 "$LEDGER" | tr '\n' ,)" \
    "published c t,rejected subscribe UNAVAILABLE,published c t,"
pass "COUNT counts only the calls of --fault-reject-rpc's method"
