#!/usr/bin/env bash
# Continuity as the daemon reports it (momento-subscriberd(8), CONTINUITY):
# messages the server lost arrive as discontinuities (counted, logged with
# exactly how many were lost under either reading of new_topic_sequence, the
# messages around them delivered, no gap), and a topic moved to a new page is a
# reset whose numbering starts over without counting duplicates.
source "$(dirname "$0")/lib.sh"

seqs() { events "$1" '.event=="message"' | jq -s -c 'map(.seq)'; }

# subscribed NAME [LOCAL-ARGS...] : momento-topics-local with those arguments
# and the daemon subscribed to c/t on it, its events in $WORK/NAME.out
subscribed() {
    local name=$1
    shift
    start_local "$name-srv" --heartbeat 200ms "$@"
    write_daemon_config "$WORK/$name.yaml" "
  - cache: c
    topic: t"
    start_daemon "$name" "$WORK/$name.yaml"
    wait_events 10 "$WORK/$name.out" '.event=="subscribed"' 1 || fail "$name: not subscribed"
}

# summary FILE : the "*" summary the daemon writes on SIGUSR1
summary() {
    kill -USR1 "$DAEMON_PID"
    wait_events 10 "$1" '.event=="summary" and .cache=="*"' 1 || fail "no summary in $1"
    events "$1" '.event=="summary" and .cache=="*"' | tail -1
}

# 1. every third message is lost: a discontinuity in its place, under both
#    readings of new_topic_sequence (the next item is new + 1, or new itself)
for reading in after at; do
    k=0
    [ "$reading" = at ] && k=1
    subscribed "d-$reading" --fault-drop-every 3 --discontinuity-seq "$reading"
    out=$WORK/d-$reading.out
    publish c t -n 7
    wait_events 10 "$out" '.event=="message"' 5 || fail "$reading: messages around the losses missing"
    # a discontinuity is reported with its loss, at the message after it
    wait_events 10 "$out" '.event=="discontinuity"' 2 || fail "$reading: discontinuities missing"
    [ "$(seqs "$out")" = "[1,2,4,5,7]" ] || fail "$reading: delivered seqs: $(seqs "$out")"
    page=$(events "$out" '.event=="message"' | jq -s '.[0].page')
    events "$out" '.event=="discontinuity"' | jq -s -e --argjson p "$page" --argjson k $k '
        map([.last_seq, .new_seq, .new_page, .level, .last_delivered, .next_seq, .lost])
        == [[2, 3 + $k, $p, "warning", 2, 4, 1], [5, 6 + $k, $p, "warning", 5, 7, 1]]' \
        >/dev/null || fail "$reading: discontinuity events: $(events "$out" '.event=="discontinuity"')"
    events "$out" '.event=="discontinuity"' | head -1 | jq -e --argjson k $k '.message
        | test("skipped from 2 to \(3 + $k) .*: 1 message lost between 2 and 4")' >/dev/null \
        || fail "$reading: discontinuity sentence: $(events "$out" '.event=="discontinuity"' | head -1)"
    [ "$(count_events "$out" '.event=="gap" or .event=="reset"')" = 0 ] \
        || fail "$reading: a loss the server announced was also counted as a gap or reset: $(events "$out" '.event=="gap" or .event=="reset"')"
    s=$(summary "$out")
    jq -e '.count == 5 and .discontinuities == 2 and .lost == 2 and .gaps == 0 and .duplicates == 0
        and .resets == 0' <<<"$s" >/dev/null || fail "$reading: summary after losses: $s"
    stop "$DAEMON_PID" || fail "daemon exit status"
    stop "$LOCAL_PID" || true
    pass "lost messages ($reading): discontinuities with the exact loss, not gaps, nothing else dropped"
done

# 2. the topic moves to a new page after 3 messages: numbering starts over
#    (the discontinuity's new_seq is 0, or 1 in the other reading)
for reading in after at; do
    k=0
    [ "$reading" = at ] && k=1
    subscribed "r-$reading" --fault-reset-after 3 --discontinuity-seq "$reading"
    out=$WORK/r-$reading.out
    publish c t -n 5
    wait_events 10 "$out" '.event=="message"' 5 || fail "$reading: messages across the reset missing"
    [ "$(seqs "$out")" = "[1,2,3,1,2]" ] || fail "$reading: delivered seqs across the reset: $(seqs "$out")"
    p1=$(events "$out" '.event=="message"' | jq -s '.[0].page')
    p2=$(events "$out" '.event=="message"' | jq -s '.[4].page')
    [ "$p2" -gt "$p1" ] || fail "$reading: pages $p1 -> $p2"
    wait_events 10 "$out" '.event=="reset"' 1 || fail "$reading: no reset event"
    events "$out" '.event=="reset"' | jq -s -e --argjson a "$p1" --argjson b "$p2" '
        map([.old_page, .new_page, .level]) == [[$a, $b, "warning"]]' >/dev/null \
        || fail "$reading: reset events: $(events "$out" '.event=="reset"')"
    events "$out" '.event=="discontinuity"' | jq -s -e --argjson b "$p2" --argjson k $k '
        map([.last_seq, .new_seq, .new_page, .last_delivered, .next_seq, .lost]) == [[3, $k, $b, 3, 1, 0]]' \
        >/dev/null || fail "$reading: discontinuity of the reset: $(events "$out" '.event=="discontinuity"')"
    # in the log, the discontinuity comes first, then what it meant
    jq -s -e 'map(select(.event=="discontinuity" or .event=="reset") | .event) == ["discontinuity","reset"]' \
        "$out" >/dev/null || fail "$reading: order of discontinuity and reset"
    s=$(summary "$out")
    jq -e '.count == 5 and .resets == 1 and .discontinuities == 1 and .lost == 0 and .gaps == 0
        and .duplicates == 0' <<<"$s" >/dev/null || fail "$reading: summary after a reset: $s"
    stop "$DAEMON_PID" || fail "daemon exit status"
    stop "$LOCAL_PID" || true
    pass "a new page is a reset ($reading); numbering from 1 is neither a gap, a duplicate nor a loss"
done

# 3. a discontinuity no message followed: counted at once, and reported when
#    the subscription stops, how many it lost unknown
subscribed p --fault-drop-every 3
out=$WORK/p.out
publish c t -n 3
wait_events 10 "$out" '.event=="message"' 2 || fail "pending: messages missing"
s=$(summary "$out")
jq -e '.count == 2 and .discontinuities == 1 and .lost == 0' <<<"$s" >/dev/null || fail "pending: summary: $s"
[ "$(count_events "$out" '.event=="discontinuity"')" = 0 ] || fail "pending: reported before its loss was known"
stop "$DAEMON_PID" || fail "daemon exit status"
events "$out" '.event=="discontinuity"' | jq -s -e 'length == 1 and (.[0] | .last_seq == 2 and .new_seq == 3
    and .last_delivered == 2 and has("lost") == false and has("next_seq") == false
    and (.message | test("how many is not known")))' >/dev/null ||
    fail "pending: discontinuity at stop: $(events "$out" '.event=="discontinuity"')"
stop "$LOCAL_PID" || true
pass "a discontinuity no message followed: counted when it came, reported at stop"
