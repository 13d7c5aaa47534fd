#!/bin/bash
# momento-topics-local --replay-window: like the service, which buffers about 5
# seconds of messages (src/proto/README.md §4), only messages younger than the
# window are replayed; a resume from older ones gets a discontinuity, and so
# does a stream that fell that far behind. Without the option only the count
# (--replay) limits the replay.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

summary() {
    jq -r 'if .type=="item" then "i\(.seq)" elif .type=="discontinuity" then "d\(.last)/\(.new)"
           else .type end' "$WORK/$1.out" | grep -v heartbeat | tr '\n' ' ' | sed 's/ $//'
}

# resume NAME N COUNT: a stream from N on the page $P, until COUNT items
resume() {
    subscribe "$1" --resume "$2" --page "$P" --count "$3" --timeout 20
    wait "$SUB_PID" || fail "$1: $(cat "$WORK/$1.out")"
}

for reading in after at; do
    k=0
    [ "$reading" = at ] && k=1
    start_local "win-$reading" --replay-window 2s --heartbeat 0s --discontinuity-seq "$reading"
    publish --count 5 old >/dev/null
    sleep 2.5
    publish --count 3 new >/dev/null
    subscribe p --resume 6 --count 1 --timeout 20
    wait "$SUB_PID" || fail "p: $(cat "$WORK/p.out")"
    P=$(jq -r 'select(.type=="item") | .page' "$WORK/p.out")
    resume r6 6 3
    expect_eq "resume inside the window ($reading)" "$(summary r6)" "i6 i7 i8"
    resume r2 2 3
    expect_eq "resume older than the window ($reading)" "$(summary r2)" "d1/$((5 + k)) i6 i7 i8"
    stop_local
    pass "--replay-window 2s, $reading: 6..8 replayed; 2..5, older than 2 s, a discontinuity"
done

start_local nowin --heartbeat 0s
publish --count 5 old >/dev/null
sleep 1.5
publish --count 3 new >/dev/null
subscribe p --resume 8 --count 1 --timeout 20
wait "$SUB_PID" || fail "p: $(cat "$WORK/p.out")"
P=$(jq -r 'select(.type=="item") | .page' "$WORK/p.out")
resume r2 2 7
expect_eq "resume without a window" "$(summary r2)" "i2 i3 i4 i5 i6 i7 i8"
stop_local
pass "without --replay-window, age does not matter"

# A stopped subscriber behind by more than the window (but not by more than
# the ring) continues after a discontinuity with what is younger than it.
start_local slow --replay-window 2s --replay 100000 --heartbeat 0s --discontinuity-seq at
subscribe slow --timeout 60 --no-values
SLOW=$SUB_PID
wait_type slow heartbeat 1
kill -STOP "$SLOW"
MSG=$(head -c 4000 /dev/zero | tr '\0' m)
publish --count 3000 "$MSG" >"$WORK/pub.out" # 12 MB: more than the transport holds for it
sleep 2.5
publish last >/dev/null
kill -CONT "$SLOW"
wait_type slow item 1 20
last_item() { jq -r 'select(.type=="item") | .seq' "$WORK/slow.out" | tail -1; }
reached() { [ "$(last_item)" = 3001 ]; }
wait_for 20 reached || fail "the subscriber did not get message 3001: $(summary slow | tail -c 300)"
x=$(jq -r 'select(.type=="discontinuity") | .last' "$WORK/slow.out")
[ -n "$x" ] && [ "$x" -lt 3000 ] || fail "no discontinuity for a stream 2.5 s behind: $(summary slow | tail -c 300)"
expect_eq "a stream behind by more than the window" "$(summary slow)" \
    "$(seq 1 "$x" | sed 's/^/i/' | tr '\n' ' ')d$x/3001 i3001"
stop_local
pass "a stream 2.5 s behind (window 2 s): items 1..$x, discontinuity $x -> 3001 (at), then 3001"
