#!/bin/bash
# The official Node.js SDK subscribes to momento-topics-local (its momento-local
# settings: plaintext, empty token) and receives, in order, exactly what
# momento-publish sends, plus the heartbeats.
source "$top_srcdir/tests/interop/lib-interop.sh"

N=25
start_local srv --heartbeat 200ms

# 1. Strict order: one connection, one publish in flight, so the server
#    receives message i as item i. Also wait for 3 heartbeats (onHeartbeat).
bg_sdk sub1 subscribe --port "$LOCAL_PORT" --cache c1 --topic t1 --count $N \
    --heartbeats 3 --ready "$WORK/sub1.ready" --timeout 20
SUB1=$LAST_PID
wait_for 15 test -e "$WORK/sub1.ready" || fail "the SDK did not subscribe: $(cat "$WORK/sub1.out")"
"$BIN/momento-publish" -c c1 -t t1 -n $N --connections 1 --max-in-flight 1 \
    --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure >"$WORK/pub1.out" 2>&1 ||
    fail "momento-publish failed: $(cat "$WORK/pub1.out")"
wait "$SUB1" || fail "the SDK subscriber ended with status $? (2 = timeout)"

jq -e -s --argjson n $N '
    [.[] | select(.ev == "item")] as $it
    | ($it | length) == $n
      and ([$it[].seq] == [range(1; $n + 1)])
      and ([$it[].kind] | unique) == ["text"]
      and ([$it[].text | fromjson | .key_three] == [range(1; $n + 1)])
      and ([$it[].text | fromjson | .key_one == "KeyOne" and .key_two == "KeyTwo"
            and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$"))]
           | all)' "$WORK/sub1.out" >/dev/null ||
    fail "the SDK did not receive messages 1..$N in order: $(jq_items "$WORK/sub1.out" | head -5)"
[ "$(count_lines "$WORK/sub1.out" '"ev":"heartbeat"')" -ge 3 ] ||
    fail "the SDK saw fewer than 3 heartbeats"
[ "$(count_lines "$WORK/sub1.out" '"ev":"(error|connection_lost|discontinuity)"')" -eq 0 ] ||
    fail "the SDK saw errors or a lost connection: $(grep -E 'error|connection_lost|discontinuity' "$WORK/sub1.out")"
pass "SDK received $N seed messages in order, with heartbeats"

# 2. Default publisher settings (4 connections, many in flight): order across
#    publishes is not defined, but every message arrives exactly once and the
#    SDK sees sequence numbers 1..N in order. Binary values and a literal
#    MESSAGE padded with --size also keep their bytes and kind.
bg_sdk sub2 subscribe --port "$LOCAL_PORT" --cache c2 --topic t2 --count $N \
    --ready "$WORK/sub2.ready" --timeout 20
SUB2=$LAST_PID
wait_for 15 test -e "$WORK/sub2.ready" || fail "the SDK did not subscribe: $(cat "$WORK/sub2.out")"
"$BIN/momento-publish" -c c2 -t t2 -n $N --binary --endpoint-override "127.0.0.1:$LOCAL_PORT" \
    --insecure >"$WORK/pub2.out" 2>&1 || fail "momento-publish --binary failed: $(cat "$WORK/pub2.out")"
wait "$SUB2" || fail "the SDK subscriber ended with status $? (2 = timeout)"
# The binary value is the seed JSON's bytes (ASCII): hex_text turns it back.
jq -e -s --argjson n $N "$JQ_HEX"'
    [.[] | select(.ev == "item")] as $it
    | ($it | length) == $n
      and ([$it[].seq] == [range(1; $n + 1)])
      and ([$it[].kind] | unique) == ["binary"]
      and ([$it[].hex | hex_text | fromjson | .key_three] | sort == [range(1; $n + 1)])' \
    "$WORK/sub2.out" >/dev/null ||
    fail "binary messages 1..$N did not all arrive exactly once: $(jq_items "$WORK/sub2.out" | head -3)"
pass "SDK received $N binary messages from 4 connections exactly once each"

bg_sdk sub3 subscribe --port "$LOCAL_PORT" --cache c3 --topic t3 --count 3 \
    --ready "$WORK/sub3.ready" --timeout 20
SUB3=$LAST_PID
wait_for 15 test -e "$WORK/sub3.ready" || fail "the SDK did not subscribe: $(cat "$WORK/sub3.out")"
"$BIN/momento-publish" -c c3 -t t3 -n 3 --connections 1 --max-in-flight 1 --size 40 \
    --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure 'héllo wörld' >"$WORK/pub3.out" 2>&1 ||
    fail "momento-publish MESSAGE failed: $(cat "$WORK/pub3.out")"
wait "$SUB3" || fail "the SDK subscriber ended with status $? (2 = timeout)"
want=$(printf '%27s' '')   # 40 bytes less the 13 of 'héllo wörld' in UTF-8
jq -e -s --arg want "héllo wörld$want" '[.[] | select(.ev == "item") | .text] == [$want, $want, $want]' \
    "$WORK/sub3.out" >/dev/null ||
    fail "the literal UTF-8 message padded to 40 bytes did not arrive intact: $(jq_items "$WORK/sub3.out")"
pass "SDK received a padded UTF-8 literal message intact"
