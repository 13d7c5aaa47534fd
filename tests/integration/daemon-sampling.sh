#!/usr/bin/env bash
# logging.messages: sample logs one message in sample_every plus every slow one;
# none logs no message events; summaries count every message either way.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
write_daemon_config "$WORK/sample.yaml" "
  - cache: c
    topic: t" "
logging:
  messages: sample
  sample_every: 10
  slow_threshold: 1h"
start_daemon d "$WORK/sample.yaml"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
publish c t -n 100
wait_events 10 "$out" '.event=="message"' 10 || fail "sampled message events missing"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="*"' 1 || fail "no summary"
events "$out" '.event=="message"' | jq -s -e 'map(.seq) == [10,20,30,40,50,60,70,80,90,100]' >/dev/null \
    || fail "sampled seqs: $(events "$out" '.event=="message"' | jq -s -c 'map(.seq)')"
jq -e '.count == 100' <<<"$(events "$out" '.event=="summary" and .cache=="*"')" >/dev/null || fail "summary count"
stop "$DAEMON_PID" || fail "exit status"

# every message is slower than a 0 ms threshold: all of them are logged
write_daemon_config "$WORK/slow.yaml" "
  - cache: c
    topic: t2" "
logging:
  messages: sample
  sample_every: 1000
  slow_threshold: 0ms"
start_daemon d2 "$WORK/slow.yaml"
out=$WORK/d2.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
publish c t2 -n 20
wait_events 10 "$out" '.event=="message"' 20 || fail "slow messages not all logged"
stop "$DAEMON_PID" || fail "exit status"

write_daemon_config "$WORK/none.yaml" "
  - cache: c
    topic: t3" "
logging:
  messages: none"
start_daemon d3 "$WORK/none.yaml"
out=$WORK/d3.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
publish c t3 -n 30
# summaries on demand until their counts add up (the last messages may still be
# on their way when the first SIGUSR1 arrives)
summed() {
    kill -USR1 "$DAEMON_PID"
    sleep 0.2
    [ "$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.count) | add')" = 30 ]
}
wait_for 10 summed || fail "summary count with messages: none"

[ "$(count_events "$out" '.event=="message"')" = 0 ] || fail "message events with messages: none"
stop "$DAEMON_PID" || fail "exit status"
pass "sampling: 1 in N plus slow ones; none"
