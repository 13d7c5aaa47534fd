#!/usr/bin/env bash
# Reload edge cases: frequent SIGHUPs do not hold back periodic summaries; a
# removed topic's last messages are counted in its own final summary and in
# the next "*" summary; SIGHUP and SIGTERM at once still stop cleanly with
# every message accounted for.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
two="
  - cache: c
    topic: a
  - cache: c
    topic: b"
write_daemon_config "$cfg" "$two" "
logging:
  summary_interval: 2s"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed"

# 1. a SIGHUP every 0.4 s for 3 s: the 2 s summaries keep coming
for _ in $(seq 8); do kill -HUP "$DAEMON_PID"; sleep 0.4; done
[ "$(count_events "$out" '.event=="config_reloaded"')" -ge 7 ] || fail "reloads not logged"
[ "$(count_events "$out" '.event=="summary" and .cache=="*"')" -ge 1 ] \
    || fail "no periodic summary during frequent reloads"

# 2. remove b after it received messages: b's final summary holds them, and so
#    does the next "*" summary
publish c a -n 3
publish c b -n 5
wait_events 10 "$out" '.event=="message"' 8 || fail "messages missing"
write_daemon_config "$cfg" "
  - cache: c
    topic: a" "
logging:
  summary_interval: 1h"
n0=$(count_events "$out" '.event=="summary" and .cache=="*"')
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .topic=="b"' 1 || fail "no final summary for the removed topic"
# (a periodic summary may have come just before the reload: the removed
# topic's summaries together hold its 5 messages)
[ "$(events "$out" '.event=="summary" and .topic=="b"' | jq -s '[.[].count] | add')" = 5 ] \
    || fail "removed topic's summaries: $(events "$out" '.event=="summary" and .topic=="b"')"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="*"' $((n0 + 1)) || fail "no summary on SIGUSR1"
total=$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.count) | add')
[ "$total" = 8 ] || fail "the \"*\" summaries count $total messages, expected 8"
stop "$DAEMON_PID" || fail "exit status"

# 3. SIGHUP (removing a topic) and SIGTERM together
write_daemon_config "$cfg" "$two"
start_daemon d2 "$cfg"
out=$WORK/d2.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed (2)"
publish c a -n 2
publish c b -n 4
wait_events 10 "$out" '.event=="message"' 6 || fail "messages missing (2)"
write_daemon_config "$cfg" "
  - cache: c
    topic: a"
kill -HUP "$DAEMON_PID"
kill -TERM "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGHUP + SIGTERM"
total=$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.count) | add')
[ "$total" = 6 ] || fail "after SIGHUP + SIGTERM the \"*\" summaries count $total messages, expected 6"
pass "reload edges: periodic summaries, removed topics counted, HUP+TERM"
