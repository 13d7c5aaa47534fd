#!/usr/bin/env bash
# Down for longer than the server can replay: the restarted daemon resumes at
# its saved last + 1, the server answers with a discontinuity and what it still
# has, and the loss is counted exactly: the messages published while it was
# down minus those replayed. Under both readings of new_topic_sequence, with a
# replay buffer of a few messages and with a replay window in time.
source "$(dirname "$0")/lib.sh"

# case NAME SERVER-ARGS... : one server, two daemon runs around a downtime
case_() {
    local name=$1
    shift
    start_local "srv-$name" --heartbeat 200ms "$@"
    local cfg=$WORK/$name.yaml state=$WORK/$name-state
    mkdir "$state"
    write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
state:
  directory: $state"
    start_daemon "$name-1" "$cfg"
    local out1=$WORK/$name-1.out out2=$WORK/$name-2.out
    wait_events 10 "$out1" '.event=="subscribed"' 1 || fail "$name: run 1 not subscribed"
    publish c t -n 20
    wait_events 10 "$out1" '.event=="message"' 20 || fail "$name: run 1 messages missing"
    stop "$DAEMON_PID" || fail "$name: run 1 exit status"
    grep -q '^sub "c" "t" [0-9]* 20$' "$state/positions" || fail "$name: position not saved"

    # down: 200 published, of which the server keeps only the last few
    publish c t -n 200
    [ -z "$WINDOW_WAIT" ] || sleep "$WINDOW_WAIT"
    publish c t -n 10 # 221..230: within any window when the daemon comes back

    start_daemon "$name-2" "$cfg"
    wait_events 10 "$out2" '.event=="subscribed"' 1 || fail "$name: run 2 not subscribed"
    jq -e '.resume_at == 21' <<<"$(events "$out2" '.event=="subscribed"')" >/dev/null || fail "$name: run 2 did not resume at 21"
    publish c t -n 5 # 231..235, live
    wait_events 20 "$out2" '.event=="message" and .seq==235' 1 || fail "$name: run 2 did not get to 235"
    kill -USR1 "$DAEMON_PID"
    wait_events 10 "$out2" '.event=="summary" and .topic=="t"' 1 || fail "$name: no summary"
    stop "$DAEMON_PID" || fail "$name: run 2 exit status"

    # what run 2 got is a contiguous run of the newest ones, each once
    local seqs first replayed lost
    seqs=$(events "$out2" '.event=="message"' | jq -s -c 'map(.seq)')
    first=$(jq '.[0]' <<<"$seqs")
    jq -e --argjson f "$first" '. == [range($f; 236)]' <<<"$seqs" >/dev/null || fail "$name: run 2 seqs: $seqs"
    [ "$first" -gt 21 ] || fail "$name: the server replayed everything (the case needs a loss)"
    replayed=$((230 - first + 1)) # of the 210 published while down
    lost=$((210 - replayed))
    local d sum
    d=$(events "$out2" '.event=="discontinuity"')
    [ "$(wc -l <<<"$d")" = 1 ] && [ -n "$d" ] || fail "$name: not one discontinuity event: $d"
    sum=$(events "$out2" '.event=="summary" and .topic=="t"' | jq -s -c '{lost: map(.lost) | add, discontinuities: map(.discontinuities) | add, gaps: map(.gaps) | add, duplicates: map(.duplicates) | add}')
    jq -e --argjson l "$lost" '.lost == $l and .discontinuities == 1 and .gaps == 0 and .duplicates == 0' <<<"$sum" >/dev/null \
        || fail "$name: the loss of $lost is not counted exactly: $sum; discontinuity: $d"
    # and the report tool adds it up from the summaries
    ${MO_WRAPPER:-} "$BIN/momento-latency-report" --file "$out2" --json >"$WORK/$name-report.json" ||
        fail "$name: momento-latency-report failed"
    jq -e --argjson l "$lost" '.total.lost == $l and .total.discontinuities == 1' "$WORK/$name-report.json" >/dev/null ||
        fail "$name: report: $(jq -c .total "$WORK/$name-report.json")"
    pass "$name: $lost lost while down ($replayed replayed), counted exactly"
    stop "$LOCAL_PID" || true
}

WINDOW_WAIT=
case_ ring-after --replay 50 --discontinuity-seq after
case_ ring-at --replay 50 --discontinuity-seq at
# the service's own limit is a time: everything older than the window is gone
WINDOW_WAIT=2.5
[ -z "${MO_WRAPPER:-}" ] || WINDOW_WAIT=6
window=2s
[ -z "${MO_WRAPPER:-}" ] || window=5s
case_ window --replay-window "$window"
