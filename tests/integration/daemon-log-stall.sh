#!/usr/bin/env bash
# The daemon's stdout is a pipe that stops being read for 10 seconds while
# 5,000 msg/s arrive (every message event asked for: messages: all, no
# budget in the way). The daemon keeps receiving and stays responsive: STATUS
# shows the messages arriving, WATCHDOG=1 keeps coming, a reload in the middle
# gets its RELOADING=1 and READY=1, and resume positions go on being saved (a
# save waits for the log's writer only so long; the saves that went ahead of
# it are counted in the summaries' state_saves_ahead_of_log and the textfile's
# state_saves_ahead_of_log_total, the same number). When the pipe is read again,
# every summary of the stall is there and they count every message; the
# message events that did not fit are counted in log_dropped (logged +
# log_dropped = messages), and no other event was lost. Under valgrind,
# 200 msg/s (which all fit).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"

RATE=5000 SECS=10
[ -z "${MO_WRAPPER:-}" ] || RATE=200
N=$((RATE * SECS))
start_stall_peers
CACHE=c TOPIC=stall
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: stall" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s
state:
  directory: $WORK/state
export:
  prometheus_textfile: $WORK/momento.prom"
mkdir "$WORK/state"
saved() { sed -n 's/^sub "c" "stall" [0-9]* \([0-9]*\)$/\1/p' "$WORK/state/positions" 2>/dev/null; }

# stdout -> a FIFO -> cat, which is stopped for the stall
mkfifo "$WORK/pipe"
bg reader cat "$WORK/pipe"
READER=$LAST_PID
out=$WORK/reader.out
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 ${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" \
    --log-format json >"$WORK/pipe" 2>"$WORK/d.err" &
DAEMON_PID=$!
BG_PIDS+=("$DAEMON_PID")
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
wait_for 10 grep -q "READY=1" "$NOTES" || fail "no READY=1"

kill -STOP "$READER"
trap 'rc=$?; kill -CONT "$READER" 2>/dev/null || true; set +e; (exit $rc); cleanup' EXIT
stall_from=$(wc -l <"$NOTES")
publish_fast -r "$RATE" -n "$N" -q &
PUB=$!
sleep 2
saved1=$(saved)
sleep $((SECS / 2 - 2))
kill -HUP "$DAEMON_PID" # a reload in the middle of the stall
wait "$PUB" || fail "momento-publish failed"
saved2=$(saved)
stall_to=$(wc -l <"$NOTES")
kill -CONT "$READER"

# during the stall: positions were saved (after the writer kept them waiting
# up to 500 ms each time), messages kept arriving (STATUS), the watchdog was fed at
# its period (1 s, every 0.5 s), the reload was announced and done
sed -n "$((stall_from + 1)),${stall_to}p" "$NOTES" >"$WORK/stall.notes"
[ -n "$saved1" ] && [ -n "$saved2" ] && [ "$saved2" -gt "$saved1" ] ||
    fail "positions not saved during the stall: '$saved1' after 2 s, '$saved2' at its end"
busy=$(grep -c 'STATUS=1/1 streams up, [1-9][0-9]* msg/s' "$WORK/stall.notes" || true)
[ "$busy" -ge $((SECS - 3)) ] || fail "STATUS showed messages arriving $busy times in the stall: $(grep STATUS "$WORK/stall.notes")"
[ "$(grep -c 'WATCHDOG=1' "$WORK/stall.notes")" -ge $((SECS * 2 - 3)) ] || fail "WATCHDOG=1 not kept up: $(cat "$WORK/stall.notes")"
gap=$(grep 'WATCHDOG=1' "$NOTES" | awk 'NR > 1 && $1 - last > max { max = $1 - last } { last = $1 } END { print max + 0 }')
[ "$gap" -lt 1000 ] || fail "$gap ms without WATCHDOG=1"
grep -q 'RELOADING=1' "$WORK/stall.notes" && sed -n '/RELOADING=1/,$p' "$WORK/stall.notes" | grep -q 'READY=1' \
    || fail "the reload was not announced during the stall: $(grep -E 'RELOADING|READY' "$NOTES")"

wait_counted "$out" "$N" || fail "the summaries count $(sum_summaries "$out" count) of $N messages"
stop "$DAEMON_PID" || fail "daemon exit status"
wait "$READER" || true

logged=$(count_events "$out" '.event=="message"')
dropped=$(sum_summaries "$out" log_dropped)
[ $((logged + dropped)) = "$N" ] || fail "$logged message events + $dropped log_dropped != $N messages"
# 5,000 msg/s for 10 s are some 16 MB of message events, far more than the
# 2 MiB the sink holds for them; under valgrind 200 msg/s are 0.7 MB, which
# all wait and are written
if [ -z "${MO_WRAPPER:-}" ]; then
    [ "$dropped" -gt 0 ] || fail "no message event had to be dropped: was the pipe really stalled?"
else
    [ "$dropped" = 0 ] || fail "$dropped message events dropped though they fit"
fi
[ "$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.sink_dropped) | add')" = 0 ] \
    || fail "events other than message events were lost"
[ "$(sum_summaries "$out" gaps)" = 0 ] && [ "$(sum_summaries "$out" discontinuities)" = 0 ] \
    || fail "the daemon fell behind the stream: $(events "$out" '.event=="summary" and .cache=="*" and (.gaps > 0 or .discontinuities > 0)' | head -3)"
# the saves of the stall went ahead of the log, and say so: in the "*"
# summaries only, and in the textfile, whose count since start is their sum
ahead=$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.state_saves_ahead_of_log) | add')
[ "$ahead" -ge 1 ] 2>/dev/null || fail "no save ahead of the log counted in the stall: '$ahead'"
[ "$(count_events "$out" '.event=="summary" and .cache!="*" and has("state_saves_ahead_of_log")')" = 0 ] ||
    fail "state_saves_ahead_of_log in a subscription's summary"
events "$out" '.event=="summary" and .cache=="*" and .state_saves_ahead_of_log > 0' |
    jq -e -s 'all(.message | test("; [0-9]+ saves of resume positions ahead of the log$"))' >/dev/null ||
    fail "a summary counting saves ahead of the log does not say so"
grep -qx "momento_subscriber_state_saves_ahead_of_log_total $ahead" "$WORK/momento.prom" ||
    fail "textfile: $(grep ahead_of_log "$WORK/momento.prom"), summaries: $ahead"
[ "$(count_events "$out" '.event=="config_reloaded"')" = 1 ] || fail "config_reloaded not logged"
[ "$(count_events "$out" '.event=="stopping"')" = 1 ] || fail "stopping not logged"
check_all_summaries "$out" 1
pass "stall: $N messages, $(count_events "$out" '.event=="summary" and .cache=="*"') summaries, $logged message events logged, $dropped dropped and counted, $ahead saves ahead of the log counted"
