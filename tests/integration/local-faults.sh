#!/bin/bash
# momento-topics-local fault options: --fault-end-after, --fault-stall-after,
# --fault-drop-every, --fault-reset-after, --fault-reject, --fault-malformed-every,
# --fault-delay-publish (--fault-reject-rpc: local-reject-rpc.sh).
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"
source "$top_srcdir/tests/integration/publish-lib.sh"

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

# --fault-delay-publish 500ms: every Publish answered at least 500 ms late, by a
# timer (20 at once take 500 ms, not 10 s), the messages delivered meanwhile
start_local delay --fault-delay-publish 500ms --ledger "$WORK/delay.ledger"
sub dl c t --count 20
pub -c c -t t -n 20 >"$WORK/delay.pub" 2>"$WORK/delay.pub.err" || fail "momento-publish: $(cat "$WORK/delay.pub.err")"
wait_sub dl
line=$(closing_line "$WORK/delay.pub")
read -r secs p50 max < <(sed -nE 's/^published 20 messages in ([0-9.]+) s .*latency ms: p50 ([0-9.]+) .* max ([0-9.]+);.*errors: 0$/\1 \2 \3/p' <<<"$line")
[ -n "${p50:-}" ] || fail "closing line: $line"
awk -v p="$p50" 'BEGIN { exit !(p >= 500) }' || fail "publish latency p50 $p50 ms < 500 ms: $line"
awk -v m="$max" 'BEGIN { exit !(m < 5000) }' || fail "publish latency max $max ms: $line"
awk -v s="$secs" 'BEGIN { exit !(s < 5) }' || fail "20 publishes took $secs s: answered one after another: $line"
expect_eq "ledger" "$(cut -d' ' -f1 "$WORK/delay.ledger" | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
    " 20 delivered, 20 published,"
stop_local
pass "--fault-delay-publish 500ms: latency p50 $p50 ms, max $max ms; 20 in $secs s"

# delivered at once: the subscriber has the message (and the ledger its lines)
# while momento-publish still waits for its answer
start_local delay3 --fault-delay-publish 3s --ledger "$WORK/delay3.ledger"
sub d3 c t --count 1
pub -c c -t t -n 1 >"$WORK/delay3.pub" 2>"$WORK/delay3.pub.err" &
PUB_PID=$!
wait_sub d3
kill -0 $PUB_PID 2>/dev/null || fail "momento-publish was answered before the subscriber got the message"
expect_eq "ledger while the answer is held" \
    "$(awk '{ print $1 == "published" ? $1 " " $2 " " $3 " " $4 : $0 }' "$WORK/delay3.ledger" | tr '\n' ,)" \
    "published c t 1,delivered c t 1 1,"
wait $PUB_PID || fail "momento-publish: $(cat "$WORK/delay3.pub.err")"
p50=$(sed -nE 's/.*latency ms: p50 ([0-9.]+) .*/\1/p' "$WORK/delay3.pub")
awk -v p="$p50" 'BEGIN { exit !(p >= 3000) }' || fail "publish latency $p50 ms < 3000 ms"
stop_local
pass "--fault-delay-publish 3s: the subscriber had the message while the publish waited ($p50 ms)"

# a refused Publish is answered late too; Subscribe is not delayed
start_local delayrej --fault-delay-publish 500ms --fault-reject unavailable:1 --fault-reject-rpc publish
t0=$(now_us)
expect_eq "refused late" "$(publish x | jq -r .name)" UNAVAILABLE
t1=$(now_us)
[ $((t1 - t0)) -ge 500000 ] || fail "the refusal came after $(((t1 - t0) / 1000)) ms"
subscribe dr --timeout 20 --messages 1
wait "$SUB_PID" || fail "dr: $(cat "$WORK/dr.out")"
stop_local
pass "--fault-delay-publish: a refused publish is answered $(((t1 - t0) / 1000)) ms late"

# a stop does not wait for the answers held back: they go out to the cancelled calls
start_local delaystop --fault-delay-publish 60s --ledger "$WORK/delaystop.ledger"
rc=0
pub -c c -t t -n 5 --timeout 120s >"$WORK/delaystop.pub" 2>"$WORK/delaystop.pub.err" &
PUB_PID=$!
five_published() { [ "$(grep -c '^published' "$WORK/delaystop.ledger")" = 5 ]; }
wait_for 30 five_published ||
    fail "publishes not accepted: $(cat "$WORK/delaystop.ledger")"
t0=$(now_us)
stop_local
t1=$(now_us)
[ $((t1 - t0)) -lt 30000000 ] || fail "the stop took $(((t1 - t0) / 1000)) ms"
wait $PUB_PID || rc=$?
expect_eq "momento-publish exit" "$rc" 1
grep -q "errors: 5 (UNAVAILABLE 5)$" "$WORK/delaystop.pub" || fail "momento-publish: $(cat "$WORK/delaystop.pub")"
pass "--fault-delay-publish: a stop answers the held publishes at once (UNAVAILABLE), exit 0"
