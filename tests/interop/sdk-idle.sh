#!/bin/bash
# What an idle Node.js SDK client does to the server, and that the server copes:
# - the SDK puts a 5 s deadline on its first Subscribe call only, so its first
#   stream ends with DEADLINE_EXCEEDED after 5 s; the SDK resubscribes (at
#   last + 1) 500 ms later and must keep receiving;
# - the SDK pings every connection, idle ones included (keepalive, permit
#   without calls). Here the period is 1 s instead of its default 5 s, so that
#   a server that punishes pings (GOAWAY too_many_pings, after a few strikes)
#   shows up within the test: momento-topics-local must accept them.
source "$top_srcdir/tests/interop/lib-interop.sh"

start_local srv --heartbeat 500ms

# "early" goes out through one of the SDK's unary connections, which then
# stays idle for the rest of the test while it keeps pinging.
MO_SDK_LOG=debug bg_sdk sub subscribe --port "$LOCAL_PORT" --cache c --topic t --count 2 \
    --publish-text early --keepalive-ms 1000 --ready "$WORK/sub.ready" --timeout 25
SUB=$LAST_PID
wait_for 15 test -e "$WORK/sub.ready" || fail "the SDK did not subscribe: $(cat "$WORK/sub.out")"

# The heartbeats (every 500 ms) are the clock: 14 of them take the first
# stream past its deadline (5 s) and every connection through 6 s of pings
# (a stock gRPC server sends GOAWAY after about 4 s of pings a second).
heartbeats() { count_lines "$WORK/sub.out" '"ev":"heartbeat"'; }
enough_heartbeats() { [ "$(heartbeats)" -ge 14 ]; }
wait_for 20 enough_heartbeats ||
    fail "fewer than 14 heartbeats in 20 s: $(grep -v '"log"' "$WORK/sub.out")"
"$BIN/momento-publish" -c c -t t --connections 1 --endpoint-override "127.0.0.1:$LOCAL_PORT" \
    --insecure late >"$WORK/pub.out" 2>&1 || fail "momento-publish failed: $(cat "$WORK/pub.out")"
wait "$SUB" || fail "the SDK subscriber ended with status $? (2 = timeout)"

jq -e -s '[.[] | select(.ev == "item") | [.seq, .text]] == [[1, "early"], [2, "late"]]' \
    "$WORK/sub.out" >/dev/null ||
    fail "the SDK did not get early and late as items 1 and 2: $(jq_items "$WORK/sub.out")"

# Exactly one stream end, and it was the SDK's own first-call deadline.
lost=$(count_lines "$WORK/sub.out" '"ev":"connection_lost"')
[ "$lost" -eq 1 ] || fail "expected one stream end (the first call's deadline), saw $lost"
jq -e -s 'any(.[]; .ev == "log" and (.msg | test("resubscribe; error: TIMEOUT_ERROR")))' \
    "$WORK/sub.out" >/dev/null ||
    fail "the stream end was not the SDK's deadline: $(grep -E 'resubscribe|Deadline' "$WORK/sub.out")"
pass "the SDK's first stream ends at its 5 s deadline; the resubscribed stream delivers"

if grep -Eiq 'excess pings|too_many_pings|GOAWAY' "$WORK/sub.err" "$WORK/sub.out"; then
    fail "the server pushed back on keepalive pings: $(grep -Ei 'excess pings|too_many_pings|GOAWAY' "$WORK/sub.err" "$WORK/sub.out")"
fi
pass "keepalive pings every second on idle and busy connections were accepted"
