#!/bin/bash
# What the Node.js SDK does when momento-topics-local behaves as the real
# service may (momento-topics-local(1), BEHAVING LIKE THE SERVICE). This test
# records the SDK's behaviour; its assertions are the facts observed with the
# pinned SDK (package.json), written down in tests/interop/README.md.
#
# A. A fresh subscription to a topic holding m1..m5, under each combination of
#    --announce-page (off, on) and --discontinuity-seq (after, at). Its first
#    stream is reset after 1 s (--stream-lifetime 1s --stream-end rst); m6 is
#    published while the SDK waits before resubscribing, then m7 and "end".
#    Recorded: what the first stream carried, what the SDK asked for when it
#    resubscribed, which messages it passed on.
# B. Streams ended every 3 items in normal operation, with status OK and as a
#    reset, while 20 messages are published at 20 a second, on a server that
#    announces pages and numbers the next item new_topic_sequence. Recorded:
#    every message once or not, the resume numbers, whether the SDK reports a
#    lost connection, and how long it waits before resubscribing.
source "$top_srcdir/tests/interop/lib-interop.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

# opened SRV-NAME: "resume_at/page" of every stream the server opened, in order
opened() {
    sed -n 's/.*stream [0-9]* opened (c\/t) .*: resume_at \([0-9]*\) page \([0-9]*\) -> .*/\1\/\2/p' \
        "$WORK/$1.err" | tr '\n' ' ' | sed 's/ $//'
}
# events NAME: the SDK's items, discontinuities and lost connections, compactly
sdk_events() {
    jq -r 'if .ev == "item" then "i\(.seq):\(.text)"
           elif .ev == "discontinuity" then "d\(.last)/\(.new)/" + (if .page == '"${P:-0}"' then "P" else "\(.page)" end)
           elif .ev == "connection_lost" then "lost" else empty end' "$WORK/$1.out" |
        tr '\n' ' ' | sed 's/ $//'
}
has_event() { grep -q "\"ev\":\"$2\"" "$WORK/$1.out"; }
has_opened() { [ "$(grep -c 'opened (c/t)' "$WORK/$1.err")" -ge "$2" ]; }

# ---- A: the first stream of a fresh subscription, reset before any item ----
for announce in off on; do
    for reading in after at; do
        combo=$announce-$reading
        flags=(--heartbeat 0s --stream-lifetime 1s --stream-end rst --discontinuity-seq "$reading" --verbose)
        [ "$announce" = on ] && flags+=(--announce-page)
        start_local "a-$combo" "${flags[@]}"
        for i in 1 2 3 4 5; do publish "m$i" >/dev/null; done
        # the page: from item 5, or from the announcement that replaces it
        P=$(jq -r 'select(.page) | .page' < <("$PROBE" subscribe --target "127.0.0.1:$LOCAL_PORT" \
            --cache c --topic t --resume 5 --messages 2 --timeout 10))
        [ -n "$P" ] || fail "$combo: no page"
        # (that probe was stream 1 on the server; the SDK's streams follow)
        bg_sdk "sdk-$combo" subscribe --port "$LOCAL_PORT" --cache c --topic t --until-text end \
            --ready "$WORK/ready-$combo" --timeout 20
        SDK=$LAST_PID
        wait_for 15 test -e "$WORK/ready-$combo" || fail "$combo: the SDK did not subscribe: $(cat "$WORK/sdk-$combo.out")"
        wait_for 10 has_event "sdk-$combo" connection_lost ||
            fail "$combo: the first stream did not end: $(cat "$WORK/sdk-$combo.out")"
        publish m6 >/dev/null # the SDK waits 500 ms before it resubscribes
        ! has_opened "a-$combo" 3 ||
            fail "$combo: m6 was published only after the SDK resubscribed (a machine this slow cannot run this test)"
        wait_for 10 has_opened "a-$combo" 3 || fail "$combo: the SDK did not resubscribe: $(cat "$WORK/a-$combo.err")"
        publish m7 >/dev/null
        publish end >/dev/null
        rc=0
        wait "$SDK" || rc=$?
        [ "$rc" = 0 ] || fail "$combo: the SDK subscriber ended with status $rc: $(sdk_events "sdk-$combo")"
        got=$(sdk_events "sdk-$combo")
        asked=$(opened "a-$combo" | cut -d' ' -f2-)
        k=0
        [ "$reading" = at ] && k=1
        case $announce in
        off) # no page: the SDK resubscribes as new, at 0 on page 0, and m6 is lost
            want_events="lost i7:m7 i8:end"
            want_asked="0/0 0/0" ;;
        on) # it keeps last = new_topic_sequence of the announcement and asks for the next
            if [ "$reading" = after ]; then
                want_events="d0/5/P lost i6:m6 i7:m7 i8:end"
            else # resumes at 7: m6, the item the announcement named, is skipped
                want_events="d0/6/P lost i7:m7 i8:end"
            fi
            want_asked="0/0 $((6 + k))/$P" ;;
        esac
        expect_eq "$combo: what the SDK passed on" "$got" "$want_events"
        # (a third stream may open when the second reaches its own lifetime)
        expect_eq "$combo: what the SDK asked for (resume_at/page)" \
            "$(cut -d' ' -f1-2 <<<"$asked")" "$want_asked"
        pass "announce $announce, $reading: the SDK passed on [$got], resubscribing at $(cut -d' ' -f2 <<<"$asked")"
        stop_local
    done
done

# ---- B: streams ended every 3 items, with OK or as a reset ----
N=20
for how in ok rst; do
    start_local "b-$how" --announce-page --discontinuity-seq at --stream-items 3 --stream-end "$how" \
        --heartbeat 0s --verbose
    publish m1 >/dev/null
    publish m2 >/dev/null
    MO_SDK_LOG=trace MO_SDK_STAMP=1 bg_sdk "sdk-$how" subscribe --port "$LOCAL_PORT" --cache c --topic t \
        --count $N --ready "$WORK/ready-$how" --timeout 30
    SDK=$LAST_PID
    wait_for 15 test -e "$WORK/ready-$how" || fail "$how: the SDK did not subscribe: $(cat "$WORK/sdk-$how.out")"
    "$BIN/momento-publish" -c c -t t -n $N -r 20 --connections 1 --max-in-flight 1 \
        --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure -q >"$WORK/pub-$how.out" 2>&1 ||
        fail "momento-publish failed: $(cat "$WORK/pub-$how.out")"
    rc=0
    wait "$SDK" || rc=$?
    [ "$rc" = 0 ] || fail "$how: the SDK subscriber ended with status $rc: $(grep -v '"log"' "$WORK/sdk-$how.out" | tail -5)"
    out=$WORK/sdk-$how.out
    P=$(jq -r 'select(.ev=="discontinuity") | .page' "$out" | head -1)
    # the announcement first, then every message exactly once, in order
    jq -e -s --argjson n $N '
        [.[] | select(.ev == "item" or .ev == "discontinuity")] as $m
        | $m[0].ev == "discontinuity" and $m[0].last == 0 and $m[0].new == 3
          and ([$m[1:][] | .ev] | all(. == "item"))
          and ([$m[1:][].seq] == [range(3; $n + 3)])
          and ([$m[1:][].text | fromjson | .key_three] == [range(1; $n + 1)])' "$out" >/dev/null ||
        fail "$how: not the announcement and then every message once: $(sdk_events "sdk-$how")"
    # each resubscription asks for the last item + 1 on its page
    asked=$(opened "b-$how")
    streams=$(wc -w <<<"$asked")
    want="0/0"
    for s in $(seq 2 "$streams"); do want="$want $((3 * s))/$P"; done
    expect_eq "$how: resume_at/page of each stream" "$asked" "$want"
    lost=$(count_lines "$out" '"ev":"connection_lost"')
    ends=$((streams - 1))
    # how long from a stream's end to the next stream's first message (its heartbeat)
    gaps=$(jq -r -s '
        [.[] | select((.ev == "log" and (.msg | test("^Stream ended on topic|Will attempt to restart stream")))
                      or .ev == "heartbeat")]
        | [range(1; length) as $i | select(.[$i - 1].ev == "log" and .[$i].ev == "heartbeat")
           | .[$i].ms - .[$i - 1].ms] | map(tostring) | join(" ")' "$out")
    min_gap=$(tr ' ' '\n' <<<"$gaps" | sort -n | head -1)
    max_gap=$(tr ' ' '\n' <<<"$gaps" | sort -n | tail -1)
    [ "$(wc -w <<<"$gaps")" -ge $((ends - 1)) ] || fail "$how: $ends stream ends, $(wc -w <<<"$gaps") measured"
    if [ "$how" = ok ]; then
        # status OK: resubscribed without reporting a lost connection, and at once
        expect_eq "ok: lost connections reported" "$lost" 0
        [ "$(count_lines "$out" 'Stream ended on topic: t; restarting')" -eq "$ends" ] ||
            fail "ok: the SDK did not restart each stream as a clean end"
    else
        # INTERNAL: a lost connection each time, and its 500 ms retry delay
        expect_eq "rst: lost connections reported" "$lost" "$ends"
        [ "$min_gap" -ge 450 ] || fail "rst: resubscribed after $min_gap ms, sooner than the SDK's 500 ms delay"
        [ "$(count_lines "$out" '"ev":"error"')" -eq 0 ] || fail "rst: the SDK reported an error to the application"
    fi
    stop_local
    pass "stream ends ($how) every 3 items: $N messages once over $streams streams, $lost lost connections reported, resubscribed after ${min_gap}-${max_gap} ms"
done
