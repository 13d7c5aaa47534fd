#!/bin/bash
# Resume: momento-topics-local ends every stream with UNAVAILABLE after a few
# items (--fault-end-after). The Node.js SDK resubscribes by itself, asking for
# last + 1 on the same page, and must end up with every message exactly once,
# in order, while messages keep being published across the stream ends.
source "$top_srcdir/tests/interop/lib-interop.sh"

N=30
PER_STREAM=7
start_local srv --fault-end-after $PER_STREAM --verbose

bg_sdk sub subscribe --port "$LOCAL_PORT" --cache c --topic t --count $N \
    --ready "$WORK/sub.ready" --timeout 25
SUB=$LAST_PID
wait_for 15 test -e "$WORK/sub.ready" || fail "the SDK did not subscribe: $(cat "$WORK/sub.out")"

# 20 messages a second for 1.5 s: some are published while the SDK is between
# two streams (it waits 500 ms before resubscribing), so they must come from
# the server's replay buffer.
"$BIN/momento-publish" -c c -t t -n $N -r 20 --connections 1 --max-in-flight 1 \
    --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure >"$WORK/pub.out" 2>&1 ||
    fail "momento-publish failed: $(cat "$WORK/pub.out")"
rc=0
wait "$SUB" || rc=$?
[ "$rc" -eq 0 ] || fail "the SDK subscriber ended with status $rc (2 = timeout) after seq $(jq -s -c '[.[] | select(.ev == "item") | .seq]' "$WORK/sub.out")"

jq -e -s --argjson n $N '
    [.[] | select(.ev == "item")] as $it
    | ($it | length) == $n
      and ([$it[].seq] == [range(1; $n + 1)])
      and ([$it[].text | fromjson | .key_three] == [range(1; $n + 1)])' "$WORK/sub.out" >/dev/null ||
    fail "not every message arrived exactly once and in order: seq $(jq -s -c '[.[] | select(.ev == "item") | .seq]' "$WORK/sub.out")"

# The stream really ended several times: the SDK reports each loss once
# (onConnectionLost), and the server saw the resubscriptions.
lost=$(count_lines "$WORK/sub.out" '"ev":"connection_lost"')
min_ends=$(((N - 1) / PER_STREAM))
[ "$lost" -ge "$min_ends" ] ||
    fail "expected at least $min_ends stream ends seen by the SDK, saw $lost"
[ "$(count_lines "$WORK/sub.out" '"ev":"(error|discontinuity)"')" -eq 0 ] ||
    fail "the SDK reported errors or discontinuities: $(grep -E '"ev":"(error|discontinuity)"' "$WORK/sub.out")"
pass "SDK received $N messages exactly once in order across $lost stream ends"
