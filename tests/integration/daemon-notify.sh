#!/usr/bin/env bash
# systemd notifications: READY=1 once every subscription has its first server
# message (or after 10 s when the service is unreachable), STATUS=, WATCHDOG=1
# from the loop, RELOADING=1 with MONOTONIC_USEC= then READY=1, STOPPING=1.
source "$(dirname "$0")/lib.sh"

sock=$WORK/notify.sock
bg notify "$TOOLS/notify-listen" "$sock"
wait_for 5 test -S "$sock" || fail "notify-listen did not start"
N=$WORK/notify.out

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: a
  - cache: c
    topic: b"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 start_daemon d "$cfg"
out=$WORK/d.out
wait_for 10 grep -q "READY=1" "$N" || fail "no READY=1"
# READY only after both streams had their first message
[ "$(count_events "$out" '.event=="subscribed"')" = 2 ] || fail "READY=1 before every subscription was up"
wait_for 5 grep -q "STATUS=2/2 streams up, [0-9]* msg/s" "$N" || fail "no STATUS line: $(cat "$N")"
publish c a -n 20 -r 100
wait_for 5 grep -q "STATUS=2/2 streams up, [0-9]* msg/s, p99 [0-9.]* ms" "$N" || fail "STATUS without latency: $(grep STATUS "$N" | tail -3)"
# the watchdog is fed from the loop, at half the period
wait_for 5 test "$(grep -c 'WATCHDOG=1' "$N")" -ge 3 || fail "WATCHDOG=1 not sent often enough: $(cat "$N")"

kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no reload"
wait_for 5 grep -q "RELOADING=1 MONOTONIC_USEC=[0-9]*" "$N" || fail "no RELOADING=1 with MONOTONIC_USEC"
line_reloading=$(grep -n "RELOADING=1" "$N" | head -1 | cut -d: -f1)
wait_for 5 sh -c "tail -n +$line_reloading '$N' | grep -q 'READY=1'" || fail "no READY=1 after the reload"

stop "$DAEMON_PID" || fail "daemon exit status"
grep -q "STOPPING=1" "$N" || fail "no STOPPING=1"

# unreachable service: READY=1 after 10 s at the latest, and the daemon stays up
stop "$LOCAL_PID" || true
: >"$N"
NOTIFY_SOCKET=$sock start_daemon d2 "$cfg"
t0=$(date +%s)
wait_for 14 grep -q "READY=1" "$N" || fail "no READY=1 with the service unreachable"
took=$(($(date +%s) - t0))
[ $took -ge 8 ] || fail "READY=1 after $took s, before the 10 s fallback"
grep -q "STATUS=0/2 streams up" "$N" || fail "STATUS does not show streams down: $(grep STATUS "$N" | tail -1)"
kill -0 "$DAEMON_PID" || fail "daemon exited"
stop "$DAEMON_PID" || fail "daemon exit status"
pass "notify: READY, STATUS, WATCHDOG, RELOADING, STOPPING"
