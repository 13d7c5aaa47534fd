#!/usr/bin/env bash
# A flood with logging.messages: all at 20,000 msg/s (what the machine
# reaches: the publisher's line is printed): the message budget holds (the
# default, 100 a second with a burst of 100, over every span of the run),
# the drops are counted exactly (messages counted = message events logged +
# log_dropped, per subscription and in the total), every summary is
# written, and the exports carry the drops: the Prometheus textfile's
# log_dropped_total (since start) and each EMF document's LogDropped. Under
# valgrind the rate is 500 msg/s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"

RATE=20000 SECS=3
[ -z "${MO_WRAPPER:-}" ] || RATE=500
N=$((RATE * SECS))
# a replay ring that covers the run: a hiccup of a busy machine is no loss
start_local srv --heartbeat 200ms --replay 100000
CACHE=c TOPIC=flood
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: flood" "
logging:
  messages: all
  summary_interval: 1s
export:
  prometheus_textfile: $WORK/flood.prom
  emf: true"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"

publish_fast -r "$RATE" -n "$N" >"$WORK/pub.line" || fail "momento-publish failed: $(cat "$WORK/pub.line")"
wait_counted "$out" "$N" || fail "the summaries count $(sum_summaries "$out" count) of $N messages"
stop "$DAEMON_PID" || fail "daemon exit status"

logged=$(count_events "$out" '.event=="message"')
dropped=$(sum_summaries "$out" log_dropped)
[ $((logged + dropped)) = "$N" ] || fail "$logged message events + $dropped log_dropped != $N messages"
[ "$dropped" -gt 0 ] || fail "nothing over the budget at $RATE msg/s"
total_dropped=$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.log_dropped) | add')
[ "$total_dropped" = "$dropped" ] || fail "log_dropped in the total $total_dropped, per subscription $dropped"
[ "$(events "$out" '.event=="summary" and .cache=="*"' | jq -s 'map(.sink_dropped) | add')" = 0 ] \
    || fail "events lost by the output"
[ "$(sum_summaries "$out" gaps)" = 0 ] && [ "$(sum_summaries "$out" discontinuities)" = 0 ] \
    || fail "messages lost on the way"
prom=$(sed -n 's/^momento_subscriber_log_dropped_total \([0-9]*\)$/\1/p' "$WORK/flood.prom")
[ "$prom" = "$dropped" ] || fail "textfile: log_dropped_total '$prom', the summaries' log_dropped $dropped"
emf=$(grep '^{"_aws":' "$out" | jq -s 'map(.LogDropped // 0) | add')
[ "$emf" = "$dropped" ] || fail "EMF: LogDropped adds up to $emf, the summaries' log_dropped to $dropped"
check_budget "$out" 100 100
check_all_summaries "$out" 1
pass "flood: $(cat "$WORK/pub.line"); $logged message events logged, $dropped counted in log_dropped (and in the exports)"
