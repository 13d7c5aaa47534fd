#!/usr/bin/env bash
# The Prometheus textfile's rename(2) stalls for 10 seconds (a stuck file
# system, played by tests/tools/stall-rename.so) while 1,000 msg/s arrive and
# a summary is due every second. The loop never waits for the file: during
# the stall STATUS shows the messages arriving, WATCHDOG=1 keeps coming at
# its period and every summary is logged on time; afterwards the summaries
# count every message, and the textfile, written again, counts them all too.
# Then the textfile's directory goes away: export_error is logged once however
# many summaries fail, and export_recovered once when it is back.
# Under valgrind, 200 msg/s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"

SHIM=$TOOLS/stall-rename.so
[ -f "$SHIM" ] || fail "the shim is not built ($SHIM)"
# the shim comes first in LD_PRELOAD; a sanitizer build's runtime need not
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

RATE=1000 SECS=10
[ -z "${MO_WRAPPER:-}" ] || RATE=200
N=$((RATE * SECS))
start_stall_peers
CACHE=c TOPIC=tstall
mkdir "$WORK/node"
PROM=$WORK/node/m.prom
STALL=$WORK/stall
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: tstall" "
logging:
  messages: none
  summary_interval: 1s
export:
  prometheus_textfile: $PROM"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 MO_STALL_RENAME=$PROM MO_STALL_WHILE=$STALL LD_PRELOAD=$SHIM \
    start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
wait_for 10 grep -q "READY=1" "$NOTES" || fail "no READY=1"
wait_for 10 test -s "$PROM" || fail "no textfile after the first summary"

# the next rename onto the textfile stalls, until $STALL goes
touch "$STALL"
trap 'rc=$?; rm -f "$STALL"; set +e; (exit $rc); cleanup' EXIT
wait_for 5 test -e "$STALL.hit" || fail "the textfile's rename did not stall"
stall_from=$(wc -l <"$NOTES")
summaries_from=$(count_events "$out" '.event=="summary" and .cache=="*"')
publish_fast -q -r "$RATE" -n "$N" || fail "momento-publish failed"
stall_to=$(wc -l <"$NOTES")
summaries_to=$(count_events "$out" '.event=="summary" and .cache=="*"')
grep -q 'momento_subscriber_messages_total' "$PROM" &&
    ! grep -q "momento_subscriber_messages_total{cache=\"c\",topic=\"tstall\"} [1-9]" "$PROM" ||
    fail "the textfile changed during the stall: was the rename really stalled? $(grep messages_total "$PROM")"
rm -f "$STALL"

# during the stall: messages kept arriving (STATUS), the watchdog was fed at
# its period (1 s, every 0.5 s), a summary came every second
sed -n "$((stall_from + 1)),${stall_to}p" "$NOTES" >"$WORK/stall.notes"
busy=$(grep -c 'STATUS=1/1 streams up, [1-9][0-9]* msg/s' "$WORK/stall.notes" || true)
[ "$busy" -ge $((SECS - 3)) ] || fail "STATUS showed messages arriving $busy times in the stall: $(grep STATUS "$WORK/stall.notes")"
[ "$(grep -c 'WATCHDOG=1' "$WORK/stall.notes")" -ge $((SECS * 2 - 3)) ] || fail "WATCHDOG=1 not kept up: $(cat "$WORK/stall.notes")"
gap=$(grep 'WATCHDOG=1' "$NOTES" | awk 'NR > 1 && $1 - last > max { max = $1 - last } { last = $1 } END { print max + 0 }')
[ "$gap" -lt 1000 ] || fail "$gap ms without WATCHDOG=1"
[ $((summaries_to - summaries_from)) -ge $((SECS - 3)) ] ||
    fail "$((summaries_to - summaries_from)) summaries during the ${SECS} s stall"

# afterwards: every message counted, in the summaries and in the textfile
wait_counted "$out" "$N" || fail "the summaries count $(sum_summaries "$out" count) of $N messages"
wait_for 10 grep -qx "momento_subscriber_messages_total{cache=\"c\",topic=\"tstall\"} $N" "$PROM" ||
    fail "the textfile counts $(grep 'messages_total{' "$PROM") of $N"
[ "$(count_events "$out" '.event=="export_error"')" = 0 ] || fail "a stall is not an error: $(events "$out" '.event=="export_error"')"
pass "textfile stall: $N messages counted, $busy STATUS lines and $((summaries_to - summaries_from)) summaries during it"

# the directory goes: said once over several summaries; back: said once
mv "$WORK/node" "$WORK/node.away"
for _ in 1 2 3; do
    kill -USR1 "$DAEMON_PID"
    sleep 0.3
done
wait_events 5 "$out" '.event=="export_error"' 1 || fail "no export_error for a missing directory"
kill -USR1 "$DAEMON_PID"
sleep 1.5 # the writer's outcome is taken at the loop's next turn (a second at most)
[ "$(count_events "$out" '.event=="export_error"')" = 1 ] || fail "export_error repeated: $(events "$out" '.event=="export_error"')"
events "$out" '.event=="export_error"' | jq -e --arg f "$PROM" \
    '.file == $f and (.reason | test("^creating a temporary file in its directory: No such file"))' >/dev/null ||
    fail "export_error: $(events "$out" '.event=="export_error"')"
[ "$(count_events "$out" '.event=="export_recovered"')" = 0 ] || fail "export_recovered before the directory is back"
mv "$WORK/node.away" "$WORK/node"
kill -USR1 "$DAEMON_PID"
wait_events 5 "$out" '.event=="export_recovered"' 1 || fail "no export_recovered once the directory is back"
kill -USR1 "$DAEMON_PID"
sleep 1.5
[ "$(count_events "$out" '.event=="export_recovered"')" = 1 ] || fail "export_recovered repeated"
events "$out" '.event=="export_recovered"' | jq -e --arg f "$PROM" '.file == $f and .level == "notice"' >/dev/null ||
    fail "export_recovered: $(events "$out" '.event=="export_recovered"')"
[ "$(count_events "$out" '.event=="export_error"')" = 1 ] || fail "export_error after the recovery"

stop "$DAEMON_PID" || fail "daemon exit status"
pass "a missing directory: one export_error over several summaries, one export_recovered"
