#!/bin/bash
# momento-topics-local fault options: --fault-end-after, --fault-stall-after,
# --fault-drop-every, --fault-reset-after, --fault-reject, --fault-malformed-every.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

summary() {
    jq -r 'if .type=="item" then "i\(.seq)" elif .type=="discontinuity" then "d\(.last)/\(.new)" elif .type=="status" then "s\(.code)" elif .type=="malformed" then "m\(.bytes)" else .type end' \
        "$WORK/$1.out" | grep -v heartbeat | tr '\n' ' ' | sed 's/ $//'
}

# --fault-end-after 3: items 1..3, then UNAVAILABLE
start_local endafter --fault-end-after 3 --verbose
subscribe e1 --timeout 20
wait_type e1 heartbeat 1
publish --count 5 x >/dev/null
rc=0
wait "$SUB_PID" || rc=$?
expect_eq "probe exit (stream ended by the server)" "$rc" 1
expect_eq "end after 3" "$(summary e1)" "i1 i2 i3 s14"
grep -q 'fault: stream 1 ended with UNAVAILABLE after 3 items' "$WORK/endafter.err" ||
    fail "--verbose does not log the fault: $(cat "$WORK/endafter.err")"
# a resubscription gets the rest, and is itself ended after 3 more
subscribe e2 --resume 4 --timeout 20
wait_type e2 item 2
publish --count 2 x >/dev/null
wait "$SUB_PID" || true
expect_eq "resubscribe at 4" "$(summary e2)" "i4 i5 i6 s14"
pass "--fault-end-after: UNAVAILABLE after N items on each stream"
stop "$LOCAL_PID" || fail "server exit status"

# --fault-stall-after 2: items 1, 2, then nothing (not even heartbeats), stream open
start_local stall --fault-stall-after 2 --heartbeat 100ms
subscribe st --timeout 1.5
wait_type st heartbeat 1
publish --count 4 x >/dev/null
rc=0
wait "$SUB_PID" || rc=$?
expect_eq "probe exit (its own timeout: the stream stayed open)" "$rc" 2
expect_eq "items before the stall" "$(count_type st item)" 2
expect_eq "after the stall" "$(types st | awk '/item/ {n++; next} n >= 2' | tr '\n' ' ')" "timeout "
pass "--fault-stall-after: silent after N items, stream left open"

# --fault-drop-every 3: 3 and 6 lost, a discontinuity in their place, also on replay
start_local drop --fault-drop-every 3
subscribe d1 --timeout 20 --count 5
wait_type d1 heartbeat 1
statuses=$(publish --count 7 x | jq -r .name | sort -u)
expect_eq "publishes of lost messages still succeed" "$statuses" OK
wait "$SUB_PID" || fail "d1: $(cat "$WORK/d1.out")"
expect_eq "live with losses" "$(summary d1)" "i1 i2 d2/3 i4 i5 d5/6 i7"
subscribe d2 --resume 1 --timeout 20 --count 5
wait "$SUB_PID" || fail "d2: $(cat "$WORK/d2.out")"
expect_eq "replay with losses" "$(summary d2)" "i1 i2 d2/3 i4 i5 d5/6 i7"
page=$(jq -r 'select(.type=="discontinuity") | .page' "$WORK/d1.out" | sort -u)
expect_eq "discontinuity page" "$page" "$(jq -r 'select(.type=="item") | .page' "$WORK/d1.out" | sort -u)"
pass "--fault-drop-every: the Nth message becomes a discontinuity, live and on replay"

# --fault-reset-after 3: a new, larger page after every 3 messages
start_local reset --fault-reset-after 3
subscribe r1 --timeout 20 --count 5
wait_type r1 heartbeat 1
publish --count 5 x >/dev/null
wait "$SUB_PID" || fail "r1: $(cat "$WORK/r1.out")"
expect_eq "reset" "$(summary r1)" "i1 i2 i3 d3/0 i1 i2"
p1=$(jq -r 'select(.type=="item" and .seq==3) | .page' "$WORK/r1.out")
p2=$(jq -r 'select(.type=="discontinuity") | .page' "$WORK/r1.out")
p2i=$(jq -r 'select(.type=="item") | .page' "$WORK/r1.out" | tail -1)
[ "$p2" -gt "$p1" ] || fail "the new page $p2 is not larger than $p1"
expect_eq "items of the new page" "$p2i" "$p2"
# resuming with the old page gives the current page from its start
subscribe r2 --resume 3 --page "$p1" --timeout 20 --count 2
wait "$SUB_PID" || fail "r2: $(cat "$WORK/r2.out")"
expect_eq "resume on the old page" "$(summary r2)" "d2/0 i1 i2"
pass "--fault-reset-after: page $p1 -> $p2, numbering from 1"

# --fault-reject unavailable:2: the first two calls refused, then normal
start_local reject --fault-reject unavailable:2
out=$(publish --count 3 x) || true
expect_eq "reject 2 of 3" "$(jq -r .code <<<"$out" | tr '\n' ' ')" "14 14 0 "
expect_eq "reject message" "$(jq -r .details <<<"$out" | head -1)" "rejected by fault injection (--fault-reject)"
subscribe ok --timeout 20 --messages 1
wait "$SUB_PID" || fail "subscribe after the rejections: $(cat "$WORK/ok.out")"
start_local reject2 --fault-reject resource-exhausted
subscribe no --timeout 20
rc=0
wait "$SUB_PID" || rc=$?
expect_eq "probe exit" "$rc" 1
expect_eq "rejected subscribe" "$(types no | tr '\n' ' ')" "status "
expect_eq "rejected subscribe code" "$(jq -r .name "$WORK/no.out")" RESOURCE_EXHAUSTED
start_local reject3 --fault-reject 7
expect_eq "numeric code" "$(publish x | jq -r .name)" PERMISSION_DENIED
pass "--fault-reject: by name with a count, for every call, by number"

# --fault-malformed-every 2: after items 2, 4, 6 a message that is no item:
# garbled bytes (3 of them), an item of no kind, garbled again; on each stream
start_local malformed --fault-malformed-every 2 --verbose
subscribe m1 --timeout 20 --count 7
wait_type m1 heartbeat 1
publish --count 7 x >/dev/null
wait "$SUB_PID" || fail "m1: $(cat "$WORK/m1.out")"
expect_eq "malformed in turn" "$(summary m1)" "i1 i2 m3 i3 i4 empty i5 i6 m3 i7"
grep -q 'fault: stream 1 sends an item of no kind after 4 items' "$WORK/malformed.err" ||
    fail "--verbose does not log the fault: $(cat "$WORK/malformed.err")"
subscribe m2 --resume 1 --timeout 20 --count 3
wait "$SUB_PID" || fail "m2: $(cat "$WORK/m2.out")"
expect_eq "a new stream counts again" "$(summary m2)" "i1 i2 m3 i3"
pass "--fault-malformed-every: garbled bytes and items of no kind in turn, every N items of a stream"
