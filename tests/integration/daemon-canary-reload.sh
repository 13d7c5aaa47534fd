#!/usr/bin/env bash
# The canary across reloads: added, changed in place (the same instance, its
# counts and probes in flight kept, the new rate in effect), moved to another
# topic (a new instance; the old one's last summary balances), removed; the
# other subscription's stream is never touched.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
SUBS="
  - cache: c
    topic: a"
LOG="logging:
  summary_interval: 1s
  messages: none"
write_daemon_config "$cfg" "$SUBS" "$LOG"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed" and .topic=="a"' 1 || fail "not subscribed"

reload() { # reload N : the Nth config_reloaded, and it said canary=$2
    kill -HUP "$DAEMON_PID"
    wait_events 10 "$out" '.event=="config_reloaded"' "$1" || fail "reload $1: no config_reloaded"
    r=$(events "$out" '.event=="config_reloaded"' | tail -n 1)
    jq -e --arg c "$2" '.canary == $c' <<<"$r" >/dev/null || fail "reload $1: config_reloaded: $r"
}

# ---- added ----
write_daemon_config "$cfg" "$SUBS" "$LOG
canary:
  cache: c
  rate: 10/s"
reload 1 added
wait_events 10 "$out" '.event=="canary" and .received > 0' 1 || fail "the added canary gets no probe back"
id1=$(canary_last "$out" .id)

# ---- changed in place: rate and deadline ----
write_daemon_config "$cfg" "$SUBS" "$LOG
canary:
  cache: c
  rate: 50/s
  deadline: 2s"
reload 2 kept
n=$(count_events "$out" '.event=="canary"')
wait_events 10 "$out" '.event=="canary"' $((n + 2)) || fail "no canary summaries after the change"
last=$(events "$out" '.event=="canary"' | tail -n 1)
jq -e --arg id "$id1" '.id == $id and .sent >= 35 and .sent <= 65' <<<"$last" >/dev/null ||
    fail "the kept canary (same id, about 50 a second): $last"

# ---- another topic: a new instance ----
write_daemon_config "$cfg" "$SUBS" "$LOG
canary:
  cache: c
  topic: other-canary
  rate: 50/s"
reload 3 replaced
wait_events 10 "$out" '.event=="canary" and .topic=="other-canary" and .received > 0' 1 ||
    fail "the replaced canary gets no probe back"
id2=$(canary_last "$out" .id)
[ "$id2" != "$id1" ] || fail "a canary on a new topic kept the old instance id"
# the old instance's last summary came at the reload and balances
old_last=$(events "$out" ".event==\"canary\" and .id==\"$id1\"" | tail -n 1)
jq -e '.topic == "momento-subscriber-canary" and .sent_total == .received_total + .lost_total + .in_flight' \
    <<<"$old_last" >/dev/null || fail "the retired canary's last summary: $old_last"
wait_events 10 "$out" '.event=="summary" and .topic=="momento-subscriber-canary"' 1 ||
    fail "the old canary topic's subscription not summarised on removal"

# ---- removed ----
write_daemon_config "$cfg" "$SUBS" "$LOG"
reload 4 removed
sleep 2
n=$(count_events "$out" ".event==\"canary\" and .id==\"$id2\"")
sleep 2
[ "$(count_events "$out" ".event==\"canary\" and .id==\"$id2\"")" = "$n" ] || fail "a removed canary still reports"

stop "$DAEMON_PID" || fail "daemon exit status"
# the other stream was never touched: one subscription, no resubscribe
[ "$(count_events "$out" '.event=="subscribed" and .topic=="a"')" = 1 ] || fail "c/a subscribed more than once"
[ "$(count_events "$out" '.event=="resubscribing" and .topic=="a"')" = 0 ] || fail "c/a resubscribed"
bad=$(canary_unbalanced "$out")
[ -z "$bad" ] || fail "canary totals do not add up: $bad"
pass "canary reloads: added, kept ($id1 at a new rate), replaced ($id2), removed; c/a untouched; every summary balanced"
