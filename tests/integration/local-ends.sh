#!/bin/bash
# momento-topics-local ending healthy streams as the service does in normal
# operation (src/proto/README.md §7.1): --stream-items N and --stream-lifetime
# DURATION, with status OK (--stream-end ok, the default) or with what a gRPC
# client reports for an RST_STREAM(NO_ERROR) (--stream-end rst: INTERNAL,
# "Received RST_STREAM with error code 0"). Every stream ends so, again and
# again: a subscriber that resumes at last + 1 each time gets every message
# exactly once while 1000 messages a second are published.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

summary() {
    jq -r 'if .type=="item" then "i\(.seq)" elif .type=="discontinuity" then "d\(.last)/\(.new)"
           elif .type=="status" then "s:\(.name):\(.details):\(.err)" else .type end' \
        "$WORK/$1.out" | grep -v heartbeat | tr '\n' ' ' | sed 's/ $//'
}

# ended NAME: waits for the probe, which must have seen the server end the stream
ended() {
    local rc=0
    wait "$SUB_PID" || rc=$?
    expect_eq "$1: probe exit (1 = the server ended the stream)" "$rc" 1
}

# --stream-items 3: items 1..3, then status OK with no message and no `err`
start_local items --stream-items 3 --verbose
subscribe e1 --timeout 20
wait_type e1 heartbeat 1
publish --count 5 x >/dev/null
ended e1
expect_eq "--stream-items 3" "$(summary e1)" "i1 i2 i3 s:OK::"
grep -q -- '--stream-items: stream 1 ended with OK after 3 items' "$WORK/items.err" ||
    fail "--verbose does not say why the stream ended: $(cat "$WORK/items.err")"
subscribe e2 --resume 4 --timeout 20
wait_type e2 item 2
publish --count 2 x >/dev/null
ended e2
expect_eq "resubscribed at 4" "$(summary e2)" "i4 i5 i6 s:OK::"
stop_local
# discontinuities and heartbeats are not items: they do not count
start_local items-disc --stream-items 2 --fault-drop-every 2 --heartbeat 50ms
subscribe e3 --timeout 20
wait_type e3 heartbeat 1
publish --count 5 x >/dev/null
ended e3
expect_eq "discontinuities do not count" "$(summary e3)" "i1 d1/2 i3 s:OK::"
[ "$(count_type e3 heartbeat)" -ge 1 ] || fail "no heartbeat"
stop_local
pass "--stream-items: status OK after N items on each stream"

# --stream-end rst: the same ends, as a client sees a reset with NO_ERROR
start_local rst --stream-items 2 --stream-end rst
subscribe r1 --timeout 20
wait_type r1 heartbeat 1
publish --count 3 x >/dev/null
ended r1
expect_eq "--stream-end rst" "$(summary r1)" "i1 i2 s:INTERNAL:Received RST_STREAM with error code 0:"
stop_local
pass "--stream-end rst: INTERNAL \"Received RST_STREAM with error code 0\""

# --stream-lifetime: an idle stream ends once it is that old; so does one
# that carries items (the end waits for the item in flight)
start_local life --stream-lifetime 300ms --heartbeat 100ms --verbose
t0=$(date +%s%N)
subscribe l1 --timeout 20
ended l1
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed_ms" -ge 300 ] || fail "a 300ms lifetime ended the stream after $elapsed_ms ms"
expect_eq "idle stream, lifetime 300ms" "$(summary l1)" "s:OK::"
[ "$(count_type l1 heartbeat)" -ge 2 ] || fail "no heartbeats during the lifetime: $(types l1 | tr '\n' ' ')"
grep -q -- '--stream-lifetime: stream 1 ended with OK after 0 items' "$WORK/life.err" ||
    fail "--verbose does not say why the stream ended: $(cat "$WORK/life.err")"
stop_local
# with items flowing (1000 a second, from 5 already published): the end
# comes after the lifetime, between two items
start_local life2 --stream-lifetime 1s --heartbeat 0s
publish --count 5 x >/dev/null
"$BIN/momento-publish" -c c -t t -n 3000 -r 1000 --format text \
    --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure -q >"$WORK/pub-life.out" 2>&1 &
PUB=$!
BG_PIDS+=("$PUB")
subscribe l2 --resume 1 --timeout 20 --no-values
ended l2
n=$(count_type l2 item)
[ "$n" -ge 5 ] || fail "$n items before the stream ended, not even the 5 replayed"
expect_eq "items before the end, in order" "$(jq -r 'select(.type=="item") | .seq' "$WORK/l2.out" | tr '\n' ' ')" \
    "$(seq 1 "$n" | tr '\n' ' ')"
expect_eq "last message" "$(tail -1 "$WORK/l2.out" | jq -r .name)" OK
kill "$PUB" 2>/dev/null || true
stop_local
pass "--stream-lifetime: status OK after the lifetime, idle (${elapsed_ms} ms) or with $n items flowing"

# Every stream ends after 100 items, at 1000 messages a second: resuming at
# last + 1 on the same page each time gets every message exactly once.
N=1000
for how in ok rst; do
    start_local "many-$how" --stream-items 100 --stream-end "$how" --heartbeat 0s
    "$BIN/momento-publish" -c c -t t -n $N -r 1000 --format text \
        --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure -q >"$WORK/pub-$how.out" 2>&1 &
    PUB=$!
    BG_PIDS+=("$PUB")
    last=0 page=0 streams=0
    : >"$WORK/all-$how.out"
    while [ "$last" -lt $N ]; do
        streams=$((streams + 1))
        [ "$streams" -le 20 ] || fail "more than 20 streams for $N messages ($how)"
        rc=0
        "$PROBE" subscribe --target "127.0.0.1:$LOCAL_PORT" --cache c --topic t --resume $((last + 1)) \
            --page "$page" --count $((N - last)) --timeout 20 --no-values >"$WORK/s.out" || rc=$?
        [ "$rc" -le 1 ] || fail "stream $streams ($how): probe exit $rc: $(tail -3 "$WORK/s.out")"
        cat "$WORK/s.out" >>"$WORK/all-$how.out"
        if [ "$rc" = 1 ]; then
            want=OK
            [ "$how" = ok ] || want=INTERNAL
            expect_eq "end of stream $streams ($how)" "$(tail -1 "$WORK/s.out" | jq -r .name)" "$want"
            expect_eq "items on stream $streams ($how)" "$(count_type s item)" 100
        fi
        if [ "$(count_type s item)" -gt 0 ]; then
            last=$(jq -r 'select(.type=="item") | .seq' "$WORK/s.out" | tail -1)
            page=$(jq -r 'select(.type=="item") | .page' "$WORK/s.out" | tail -1)
        fi
    done
    wait "$PUB" || fail "momento-publish failed ($how): $(cat "$WORK/pub-$how.out")"
    expect_eq "every message once, in order ($how)" \
        "$(jq -r 'select(.type=="item") | .seq' "$WORK/all-$how.out" | tr '\n' ' ')" "$(seq 1 $N | tr '\n' ' ')"
    [ "$(count_type "all-$how" discontinuity)" -eq 0 ] || fail "discontinuities ($how)"
    stop_local
    pass "--stream-items 100 --stream-end $how at 1000 msg/s: $N messages exactly once over $streams streams"
done
