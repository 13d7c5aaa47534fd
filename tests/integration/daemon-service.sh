#!/usr/bin/env bash
# The daemon against a server that behaves as the real service does
# (src/proto/README.md §11), with momento-topics-local's options for it:
#  1. streams ended every 100 items (--stream-items 100, --stream-end ok and
#     rst) at 1000 msg/s: resubscribed at once, every message exactly once,
#     the run's median latency that of loopback (as in a run without ends);
#     each end classified and counted, normal ends logged at info
#  2. fresh streams that open with a page announcement (--announce-page),
#     under both readings of new_topic_sequence (--discontinuity-seq), and a
#     replay overflow in each: no false alarm at start, no message dropped,
#     the loss counted exactly
#  3. messages over the daemon's 1 MiB receive limit: counted, reported with
#     their size, skipped, and the next one arrives
source "$(dirname "$0")/lib.sh"

# subscribed NAME EXTRA-YAML [LOCAL-ARGS...] : momento-topics-local with those
# arguments, the daemon subscribed to c/t on it (every message logged), its
# events in $WORK/NAME.out
subscribed() {
    local name=$1 extra=$2
    shift 2
    start_local "$name-srv" "$@"
    write_daemon_config "$WORK/$name.yaml" "
  - cache: c
    topic: t" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1h
$extra"
    start_daemon "$name" "$WORK/$name.yaml"
    wait_events 10 "$WORK/$name.out" '.event=="subscribed"' 1 || fail "$name: not subscribed"
}

# summary FILE : the c/t summary the daemon writes on SIGUSR1
summary() {
    local n
    n=$(count_events "$1" '.event=="summary" and .cache=="c"')
    kill -USR1 "$DAEMON_PID"
    wait_events 10 "$1" '.event=="summary" and .cache=="c"' $((n + 1)) || fail "no summary in $1"
    events "$1" '.event=="summary" and .cache=="c"' | tail -1
}

# seqs FILE : the delivered sequence numbers, in order, as a JSON array
seqs() { events "$1" '.event=="message"' | jq -s -c 'map(.seq)'; }

# done_both NAME : stop the daemon and the server, checking the daemon's exit
done_both() {
    stop "$DAEMON_PID" || fail "$1: daemon exit status"
    stop "$LOCAL_PID" || true
}

# Under valgrind the daemon cannot keep up with 1000 msg/s: fewer messages,
# no latency figures.
rate=1000 n=10000 n_rst=2000
[ -z "${MO_WRAPPER:-}" ] || rate=100 n=1000 n_rst=500

# ---- 1. streams ended by the server in normal operation ----

# run NAME N LOCAL-ARGS... : N messages at $rate/s through a server with those
# arguments; checks every message came exactly once; sets S (the summary)
run() {
    local name=$1 count=$2
    shift 2
    subscribed "$name" "" --heartbeat 200ms "$@"
    publish c t -n "$count" -r "$rate"
    wait_events 30 "$WORK/$name.out" '.event=="message"' "$count" || fail "$name: messages missing"
    sleep 0.3 # anything more (a duplicate) would show now
    [ "$(seqs "$WORK/$name.out")" = "$(seq 1 "$count" | jq -s -c .)" ] ||
        fail "$name: not every message exactly once, in order: $(seqs "$WORK/$name.out" | head -c 300)"
    S=$(summary "$WORK/$name.out")
    jq -e --argjson n "$count" '.count == $n and .with_latency == $n and .duplicates == 0
        and .gaps == 0 and .lost == 0 and .discontinuities == 0' <<<"$S" >/dev/null ||
        fail "$name: summary: $S"
}

# p50 SUMMARY : its median latency in microseconds
p50() { jq -r .p50_us <<<"$1"; }

run plain "$n"
plain_p50=$(p50 "$S")
jq -e '.reconnects == 0 and .ends_ok == 0 and .ends_rst == 0 and .ends_error == 0
    and .max_silence_ms < 5000' <<<"$S" >/dev/null ||
    fail "plain: streams ended without being asked to: $S"
done_both plain

run ends "$n" --stream-items 100
ends_p50=$(p50 "$S")
out=$WORK/ends.out
streams=$((n / 100))
# the stream that carried the last 100 may still be open; the one after the
# last end has had no item to answer its resume with
jq -e --argjson k "$streams" '.ends_ok >= $k - 1 and .ends_ok <= $k and .reconnects == .ends_ok
    and .ends_rst == 0 and .ends_idle == 0 and .ends_error == 0 and .oversized == 0
    and .resumes_exact >= .ends_ok - 1 and .resumes_exact <= .ends_ok
    and .resumes_repeated == 0 and .resumes_skipped == 0 and .resumes_discontinuity == 0' <<<"$S" >/dev/null ||
    fail "ends: stream ends counted wrong: $S"
# each end: at once, at info, the stream's lifetime and its 100 items, and
# how its resume was answered
events "$out" '.event=="resubscribing"' | jq -s -e --argjson k "$streams" 'length >= $k - 1
    and all(.level == "info" and .status == "OK" and .end == "ok" and .delay_ms == 0
            and .attempt == 1 and .items == 100 and (.lifetime_ms | type) == "number")
    and (.[1:] | all(.resume == "exact" and .first_seq == .resume_at))
    and (map(.first_seq) | . == [range(1; length * 100; 100)])' >/dev/null ||
    fail "ends: resubscribing events: $(events "$out" '.event=="resubscribing"' | head -3)"
[ "$(count_events "$out" "$ALARM")" = 0 ] ||
    fail "ends: a normal end raised an alarm: $(events "$out" "$ALARM" | head -3)"
# from a stream's end to the next message delivered, in ms: median and max
gap_ms=$(jq -s -c '
    def us: capture("^(?<s>[^.]+)\\.(?<f>[0-9]{6})Z$") | ((.s + "Z") | fromdateiso8601) * 1000000 + (.f | tonumber);
    reduce .[] as $e ({end: null, gaps: []};
        if $e.event == "resubscribing" then .end = ($e.ts | us)
        elif $e.event == "message" and .end != null then .gaps += [($e.ts | us) - .end] | .end = null
        else . end)
    | .gaps | sort | {median: (.[length / 2 | floor] / 1000), max: (.[-1] / 1000)}' "$out")
if [ -z "${MO_WRAPPER:-}" ]; then
    # the loopback path costs well under a millisecond; the old 100 ms backoff
    # after every end made the median 75 ms
    [ "$plain_p50" -lt 5000 ] || fail "median latency without stream ends: $plain_p50 us"
    [ "$ends_p50" -lt 5000 ] || fail "median latency with a stream end every 100 items: $ends_p50 us"
fi
done_both ends
pass "streams ended every 100 items at $rate msg/s: $n messages exactly once, $(jq .ends_ok <<<"$S") ends (ok, info, at once); p50 ${ends_p50} us (${plain_p50} us without ends); end to next message (ms): $gap_ms"

run rst "$n_rst" --stream-items 100 --stream-end rst
out=$WORK/rst.out
jq -e --argjson k $((n_rst / 100)) '.ends_rst >= $k - 1 and .ends_ok == 0 and .ends_error == 0
    and .reconnects == .ends_rst' <<<"$S" >/dev/null || fail "rst: stream ends counted wrong: $S"
events "$out" '.event=="resubscribing"' | jq -s -e --argjson k $((n_rst / 100)) 'length >= $k - 1 and all(.level == "info"
    and .status == "INTERNAL" and .end == "rst" and .delay_ms == 0 and .items == 100)' >/dev/null ||
    fail "rst: resubscribing events: $(events "$out" '.event=="resubscribing"' | head -3)"
[ "$(count_events "$out" "$ALARM")" = 0 ] ||
    fail "rst: a normal end raised an alarm: $(events "$out" "$ALARM" | head -3)"
done_both rst
pass "streams reset with RST_STREAM(NO_ERROR) (INTERNAL) every 100 items: a normal end, at once, counted as rst"

# ---- 2. page announcements, both readings, and a replay overflow ----

# The server announces the page to fresh streams, reads new_topic_sequence
# as told, keeps 1 s of messages, and stalls every stream after 10 items (so
# the daemon's idle watchdog, at $idle s, replaces it while messages go by:
# long enough for a publish to be over and older than the replay window).
idle=4
[ -z "${MO_WRAPPER:-}" ] || idle=10
for reading in after at; do
    k=0
    [ "$reading" = at ] && k=1
    name=ann-$reading
    start_local "$name-srv" --heartbeat 200ms --announce-page --discontinuity-seq "$reading" \
        --replay-window 1s --fault-stall-after 10
    publish c t -n 5 # a busy topic: 1..5 before the daemon starts
    write_daemon_config "$WORK/$name.yaml" "
  - cache: c
    topic: t" "
logging:
  messages: all
  summary_interval: 1h
reconnect:
  idle_timeout: ${idle}s
  backoff_initial: 20ms"
    start_daemon "$name" "$WORK/$name.yaml"
    out=$WORK/$name.out
    wait_events 10 "$out" '.event=="page_announced"' 1 || fail "$name: no page announcement"
    publish c t -n 10 # 6..15, then the stream stalls
    wait_events 10 "$out" '.event=="message"' 10 || fail "$name: 6..15 missing"
    publish c t -n 10 # 16..25, while the stream is stalled: gone from the replay by the resubscribe
    wait_events $((idle + 10)) "$out" '.event=="subscribed"' 2 || fail "$name: the stalled stream was not replaced"
    publish c t -n 10 # 26..35, live on the new stream
    wait_events 10 "$out" '.event=="message"' 20 || fail "$name: 26..35 missing"
    sleep 0.3
    [ "$(seqs "$out")" = "$( (seq 6 15; seq 26 35) | jq -s -c .)" ] ||
        fail "$name: delivered: $(seqs "$out")"
    page=$(events "$out" '.event=="message"' | jq -s '.[0].page')
    # the start: information, not an alarm
    events "$out" '.event=="page_announced"' | jq -s -e --argjson p "$page" --argjson n $((5 + k)) '
        length == 1 and .[0].page == $p and .[0].new_seq == $n and .[0].level == "info"' >/dev/null ||
        fail "$name: page_announced: $(events "$out" '.event=="page_announced"')"
    jq -s -e 'map(select(.event == "idle_timeout" or ('"$ALARM"')))
        | .[0].event == "idle_timeout"' "$out" >/dev/null ||
        fail "$name: an alarm before the overflow: $(events "$out" "$ALARM" | head -2)"
    # the overflow: one discontinuity, exactly the 10 messages lost, reported
    # once the next message showed which reading the server follows
    events "$out" '.event=="discontinuity"' | jq -s -e --argjson p "$page" --argjson n $((25 + k)) '
        length == 1 and (.[0] | .level == "warning" and .last_seq == 15 and .new_seq == $n
            and .new_page == $p and .last_delivered == 15 and .next_seq == 26 and .lost == 10
            and .discontinuities == 1 and (.message | test("10 messages lost between 15 and 26")))' \
        >/dev/null || fail "$name: discontinuity: $(events "$out" '.event=="discontinuity"')"
    S=$(summary "$out")
    jq -e --argjson idle $idle '.count == 20 and .discontinuities == 1 and .lost == 10 and .gaps == 0
        and .duplicates == 0 and .resets == 0 and .ends_idle == 1 and .resumes_discontinuity == 1
        and .max_silence_ms >= $idle * 1000 and .max_silence_ms < $idle * 2000' <<<"$S" >/dev/null ||
        fail "$name: summary: $S"
    events "$out" '.event=="resubscribing"' | jq -s -e 'length == 1 and .[0].end == "idle"
        and .[0].level == "warning" and .[0].items == 10 and .[0].first_seq == 6' >/dev/null ||
        fail "$name: resubscribing: $(events "$out" '.event=="resubscribing"')"
    done_both "$name"
    pass "--announce-page --discontinuity-seq $reading: the page announced at start (info, not counted); a replay overflow: 10 lost, counted and reported exactly; nothing dropped"
done

# ---- 3. messages over the daemon's receive limit (1 MiB) ----

big=2097152 # 2 MiB: under the server's limit (--max-payload 0: none), over the daemon's
# publish_big N : N messages of $big bytes (the probe: momento-publish stops at 1 MiB)
publish_big() {
    ${MO_WRAPPER:-} "$TOOLS/probe" publish --target "127.0.0.1:$LOCAL_PORT" --cache c --topic t \
        --count "$1" --size $big x >"$WORK/probe.out" || fail "probe publish: $(cat "$WORK/probe.out")"
}
subscribed big "" --heartbeat 200ms --max-payload 0
out=$WORK/big.out
publish c t -n 5             # 1..5
publish_big 1 # 6
publish c t -n 5             # 7..11
wait_events 20 "$out" '.event=="message"' 10 || fail "big: messages after the oversized one missing"
publish_big 2 # 12, 13: one after the other
publish c t -n 1             # 14
wait_events 20 "$out" '.event=="message"' 11 || fail "big: the message after two oversized ones missing"
sleep 0.3
[ "$(seqs "$out")" = "[1,2,3,4,5,7,8,9,10,11,14]" ] || fail "big: delivered: $(seqs "$out")"
events "$out" '.event=="oversized"' | jq -s -e --argjson b $big 'map(.seq) == [6, 12, 13]
    and all(.level == "warning" and .bytes > $b and .bytes < $b + 64 and .limit_bytes == 1048576
            and (.page | type) == "number" and (.message | test("larger than the daemon receives")))' \
    >/dev/null || fail "big: oversized events: $(events "$out" '.event=="oversized"')"
events "$out" '.event=="resubscribing"' | jq -s -e 'length == 3 and all(.end == "oversized"
    and .status == "RESOURCE_EXHAUSTED" and .level == "info" and .delay_ms == 0)
    and map(.resume_at) == [null, 7, 13]' >/dev/null ||
    fail "big: resubscribing: $(events "$out" '.event=="resubscribing"')"
[ "$(count_events "$out" '.event=="limit_exceeded" or .event=="gap" or .event=="discontinuity"')" = 0 ] ||
    fail "big: a skipped message taken for something else: $(events "$out" '.event=="limit_exceeded" or .event=="gap"')"
S=$(summary "$out")
jq -e '.count == 11 and .oversized == 3 and .ends_error == 0 and .gaps == 0 and .lost == 0
    and .duplicates == 0 and .reconnects == 3' <<<"$S" >/dev/null || fail "big: summary: $S"
stop "$DAEMON_PID" || fail "big: daemon exit status"

# the first message a fresh subscription sees is too large: its number is not
# known; the next stream asks for new messages, which gets past it
write_daemon_config "$WORK/big2.yaml" "
  - cache: c
    topic: t" "
logging:
  messages: all
  summary_interval: 1h"
start_daemon big2 "$WORK/big2.yaml"
out=$WORK/big2.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "big2: not subscribed"
publish_big 1 # 15
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "big2: no new stream after the oversized message"
publish c t -n 1             # 16
wait_events 10 "$out" '.event=="message"' 1 || fail "big2: the message after it missing"
[ "$(seqs "$out")" = "[16]" ] || fail "big2: delivered: $(seqs "$out")"
events "$out" '.event=="oversized"' | jq -s -e 'length == 1 and (.[0] | has("seq") | not) and .[0].bytes > 2097152' \
    >/dev/null || fail "big2: oversized: $(events "$out" '.event=="oversized"')"
done_both big2
pass "messages of 2 MiB (over the 1 MiB limit): counted, reported with their size, skipped (also two in a row, and the first of a stream); the next one arrives"
