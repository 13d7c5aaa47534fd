#!/usr/bin/env bash
# The clock's synchronisation as momento-subscriberd reports it, with
# adjtimex(2) answered from a file (tests/tools/fake-adjtimex.so): no event
# for a clock synchronised at start; clock_unsynced (warning) when it stops
# being synchronised; clock_synced (notice) when it is again; clock_unsynced
# with at_start for a daemon started with an unsynchronised clock; summaries
# and the Prometheus textfile carry the maximum and estimated errors.
source "$(dirname "$0")/lib.sh"

set_clock() { fake_adjtimex "$@"; }

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
logging:
  summary_interval: 1h
export:
  prometheus_textfile: $WORK/clock.prom
clock:
  source: adjtimex"

set_clock synced 1500 20
LD_PRELOAD=$SHIM start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
sleep 1.5 # a status period or more
[ "$(count_events "$out" '.event=="clock_unsynced" or .event=="clock_synced"')" = 0 ] ||
    fail "a clock event for a synchronised clock: $(events "$out" '.event|startswith("clock")')"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 2 || fail "no summary"
s=$(events "$out" '.event=="summary" and .cache=="c"')
jq -e '.clock_synced == true and .clock_error_us == 1500 and .clock_esterror_us == 20' <<<"$s" >/dev/null ||
    fail "summary's clock fields: $s"
wait_for 10 test -s "$WORK/clock.prom" || fail "no textfile"
grep -qx 'momento_subscriber_clock_synchronized 1' "$WORK/clock.prom" &&
    grep -qx 'momento_subscriber_clock_max_error_seconds 0.0015' "$WORK/clock.prom" &&
    grep -qx 'momento_subscriber_clock_estimated_error_seconds 0.00002' "$WORK/clock.prom" ||
    fail "textfile clock gauges: $(grep clock "$WORK/clock.prom")"
pass "a synchronised clock: no event; summary and textfile carry its errors"

set_clock unsynced 16000000 300
wait_events 10 "$out" '.event=="clock_unsynced"' 1 || fail "no clock_unsynced when the clock lost sync"
e=$(events "$out" '.event=="clock_unsynced"')
jq -e '.level == "warning" and .at_start == false and .clock_error_us == 16000000 and .clock_esterror_us == 300
       and (.message | test("no longer synchronised"))' <<<"$e" >/dev/null || fail "clock_unsynced: $e"
sleep 1.5
[ "$(count_events "$out" '.event=="clock_unsynced"')" = 1 ] || fail "clock_unsynced repeated"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 4 || fail "no second summary"
s=$(events "$out" '.event=="summary" and .cache=="c"' | tail -1)
jq -e '.clock_synced == false and .clock_error_us == 16000000 and .clock_esterror_us == 300' <<<"$s" >/dev/null ||
    fail "summary's clock fields: $s"
wait_for 10 grep -qx 'momento_subscriber_clock_synchronized 0' "$WORK/clock.prom" || fail "textfile still synchronised"

set_clock synced 2500 40
wait_events 10 "$out" '.event=="clock_synced"' 1 || fail "no clock_synced when the clock was synchronised again"
e=$(events "$out" '.event=="clock_synced"')
jq -e '.level == "notice" and .clock_error_us == 2500 and .clock_esterror_us == 40 and .unsynced_s >= 1' \
    <<<"$e" >/dev/null || fail "clock_synced: $e"
pass "lost and regained: one clock_unsynced, one clock_synced"
stop "$DAEMON_PID" || fail "daemon exit status"

# started with an unsynchronised clock
set_clock unsynced 16000000 16000000
LD_PRELOAD=$SHIM start_daemon d2 "$cfg"
wait_events 10 "$WORK/d2.out" '.event=="clock_unsynced"' 1 || fail "no clock_unsynced at start"
e=$(events "$WORK/d2.out" '.event=="clock_unsynced"')
jq -e '.at_start == true and .clock_error_us == 16000000 and (.message | test("is not synchronised"))' \
    <<<"$e" >/dev/null || fail "clock_unsynced at start: $e"
# ... before any subscription's event, right after started
jq -s -e 'map(.event) | index("clock_unsynced") == index("started") + 1' "$WORK/d2.out" >/dev/null ||
    fail "clock_unsynced does not follow started: $(jq -r .event "$WORK/d2.out" | head -5 | tr '\n' ' ')"
stop "$DAEMON_PID" || fail "daemon exit status"
pass "started unsynchronised: clock_unsynced at start"
