#!/bin/bash
# momento-topics-local as the real service may behave
# (src/proto/README.md §6.1-6.2), under every combination of --announce-page
# (off, on) and --discontinuity-seq (after, at): exactly what a subscriber
# receives on a fresh stream, on a stale page, on page 0 with a number, past
# the replay buffer, in the future, and for lost messages and resets.
#   after: the next item is new_topic_sequence + 1 (the proto's reading)
#   at:    the next item is new_topic_sequence     (the HTTP API reference's)
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

# summary NAME: every message, compactly: h (heartbeat), iSEQ, dLAST/NEW/PAGE
# with PAGE written as P (the current page) or P-1 etc. relative to $P
summary() {
    jq -r --argjson p "$P" 'if .type=="item" then "i\(.seq)"
        elif .type=="discontinuity" then
            "d\(.last)/\(.new)/" + (if .page == $p then "P" else "P\(.page - $p)" end)
        elif .type=="heartbeat" then "h" else .type end' "$WORK/$1.out" | tr '\n' ' ' | sed 's/ $//'
}

# run NAME EXPECTED ARGS...: subscribe, wait for all it expects, compare
run() {
    local name=$1 want=$2
    shift 2
    local n
    n=$(wc -w <<<"$want")
    subscribe "$name" --timeout 20 --messages "$n" "$@"
    wait "$SUB_PID" || fail "$name: $(cat "$WORK/$name.out")"
    expect_eq "$name ($MODE)" "$(summary "$name")" "$want"
}

for announce in off on; do
    for reading in after at; do
        MODE="announce $announce, $reading"
        k=0
        [ "$reading" = at ] && k=1
        flags=(--replay 3 --heartbeat 0s --discontinuity-seq "$reading")
        [ "$announce" = on ] && flags+=(--announce-page)
        start_local "srv-$announce-$reading" "${flags[@]}"

        # a topic with no message yet: nothing to announce, live from 1
        subscribe empty --timeout 20 --messages 2
        wait_type empty heartbeat 1
        publish m1 >/dev/null
        wait "$SUB_PID" || fail "empty: $(cat "$WORK/empty.out")"
        P=$(jq -r 'select(.type=="item") | .page' "$WORK/empty.out")
        [ -n "$P" ] || fail "empty topic ($MODE): no item, got: $(types empty | tr '\n' ' ')"
        expect_eq "empty topic ($MODE)" "$(summary empty)" "h i1"
        for i in 2 3 4 5; do publish "m$i" >/dev/null; done

        # fresh stream (resume 0, page 0) on a topic with messages 1..5
        if [ "$announce" = on ]; then want="h d0/$((5 + k))/P i6 i7"; else want="h i6 i7"; fi
        subscribe fresh --timeout 20 --messages "$(wc -w <<<"$want")"
        wait_type fresh heartbeat 1
        [ "$announce" = off ] || wait_type fresh discontinuity 1
        publish m6 >/dev/null
        publish m7 >/dev/null
        wait "$SUB_PID" || fail "fresh: $(cat "$WORK/fresh.out")"
        expect_eq "fresh stream ($MODE)" "$(summary fresh)" "$want"
        # kept for replay now: 5, 6, 7

        # a page the topic no longer has: announced and live, or (without
        # --announce-page) the current page from the oldest kept
        if [ "$announce" = on ]; then
            subscribe stale --timeout 20 --messages 3 --resume 4 --page $((P - 1))
            wait_type stale discontinuity 1
            publish m8 >/dev/null
            wait "$SUB_PID" || fail "stale: $(cat "$WORK/stale.out")"
            expect_eq "stale page ($MODE)" "$(summary stale)" "h d3/$((7 + k))/P i8"
        else
            publish m8 >/dev/null
            run stale "h d3/$((5 + k))/P i6 i7 i8" --resume 4 --page $((P - 1))
        fi
        # kept: 6, 7, 8

        # page 0 with a number (a client that sends no page)
        if [ "$announce" = on ]; then
            subscribe page0 --timeout 20 --messages 3 --resume 7
            wait_type page0 discontinuity 1
            publish m9 >/dev/null
            wait "$SUB_PID" || fail "page0: $(cat "$WORK/page0.out")"
            expect_eq "page 0, resume 7 ($MODE)" "$(summary page0)" "h d6/$((8 + k))/P i9"
        else
            publish m9 >/dev/null
            run page0 "h i7 i8 i9" --resume 7
        fi
        # kept: 7, 8, 9

        # the right page: resume inclusive, the same with or without announcements
        run inrange "h i8 i9" --resume 8 --page "$P"
        run overflow "h d1/$((6 + k))/P i7 i8 i9" --resume 2 --page "$P"

        # in the future: where the topic stands, then live
        subscribe future --timeout 20 --messages 3 --resume 20 --page "$P"
        wait_type future discontinuity 1
        publish m10 >/dev/null
        wait "$SUB_PID" || fail "future: $(cat "$WORK/future.out")"
        expect_eq "future ($MODE)" "$(summary future)" "h d19/$((9 + k))/P i10"
        pass "$MODE: fresh, stale page, page 0, in range, past the buffer, in the future"
        stop_local
    done
done

# lost messages and resets in both readings: every 3rd message lost, a new
# page after message 4 of a page
for reading in after at; do
    MODE=$reading
    k=0
    [ "$reading" = at ] && k=1
    start_local "faults-$reading" --heartbeat 0s --fault-drop-every 3 --fault-reset-after 4 \
        --discontinuity-seq "$reading"
    subscribe live --timeout 20 --messages 8
    wait_type live heartbeat 1
    publish --count 6 x >/dev/null
    wait "$SUB_PID" || fail "live: $(cat "$WORK/live.out")"
    P=$(jq -r 'select(.type=="item") | .page' "$WORK/live.out" | head -1)
    # 1 2 (3 lost) 4 | reset | 1 (2 lost)
    expect_eq "losses and a reset ($reading)" "$(summary live)" \
        "h i1 i2 d2/$((3 + k))/P i4 d4/$((0 + k))/P1 i1 d1/$((2 + k))/P1"
    stop_local
    pass "$reading: a lost message and a reset name the next item in this reading"
done
