#!/bin/bash
# The Node.js SDK publishes through momento-topics-local: text values arrive
# as text and byte arrays as binary, byte for byte, at our probe and at an SDK
# subscriber alike.
source "$top_srcdir/tests/interop/lib-interop.sh"

start_local srv
TEXT1='hello from node'
TEXT2='ünïcödé ✓ 日本語 "quoted" \ back'
# every byte value once
BYTES=$(for i in $(seq 0 255); do printf '%02x' "$i"; done)

bg probe "$TOOLS/probe" subscribe --target "127.0.0.1:$LOCAL_PORT" --cache c --topic t \
    --count 3 --timeout 15
PROBE=$LAST_PID
# The server's first message on a stream is a heartbeat: then the probe is in.
wait_for 10 grep -q heartbeat "$WORK/probe.out" ||
    fail "the probe did not subscribe: $(cat "$WORK/probe.out" "$WORK/probe.err")"

step() { printf '%s\n' "$@" | jq -Rnc '[inputs]'; }
P=(--port "$LOCAL_PORT")
{
    step publish publish "${P[@]}" --cache c --topic t --text "$TEXT1" --hex "$BYTES" --text "$TEXT2"
    step roundtrip subscribe "${P[@]}" --cache c --topic t2 --count 3 \
        --publish-text "$TEXT1" --publish-hex "$BYTES" --publish-text "$TEXT2"
} >"$WORK/steps.jsonl"
sdk batch <"$WORK/steps.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "sdk.js batch failed: $(cat "$WORK/batch.err")"
jq -e -s 'all(.[] | select(.ev == "exit"); .status == 0)' "$WORK/batch.out" >/dev/null ||
    fail "an SDK step failed: $(grep -E '"(error|exit|timeout)"' "$WORK/batch.out")"

wait "$PROBE" || fail "the probe ended with status $?: $(cat "$WORK/probe.out")"
jq -e -s --arg t1 "$TEXT1" --arg t2 "$TEXT2" --arg b "$BYTES" '
    [.[] | select(.type == "item") | [.seq, .kind, .value]]
    == [[1, "text", $t1], [2, "binary", $b], [3, "text", $t2]]' "$WORK/probe.out" >/dev/null ||
    fail "the probe did not get the SDK's values with their kinds: $(grep item "$WORK/probe.out")"
pass "the SDK's text and binary publishes reach the probe with their kind and bytes"

jq -e -s --arg t1 "$TEXT1" --arg t2 "$TEXT2" --arg b "$BYTES" '
    [.[] | select(.step == "roundtrip" and .ev == "item") | [.seq, .kind, .text // .hex]]
    == [[1, "text", $t1], [2, "binary", $b], [3, "text", $t2]]' "$WORK/batch.out" >/dev/null ||
    fail "the SDK did not receive its own publishes: $(jq -c 'select(.step == "roundtrip")' "$WORK/batch.out")"
pass "the SDK receives what the SDK publishes, text and binary"
