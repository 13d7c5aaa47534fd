#!/usr/bin/env bash
# The canary end to end against momento-topics-local: probes published on the
# canary's own channel come back on its stream, every summary balances
# (sent_total = received_total + lost_total + in_flight), the round trip is
# measured, STATUS= shows it, --check-config prints its cost, the final
# summary at a stop includes it; a loop stalled for 2 s (SIGSTOP) shows as
# probes with ~2 s round trips and no missing schedule slot (late, so the
# interval is degraded, and the next recovers); two daemons on one
# topic see each other's probes as one-way latencies (canary_peer).
source "$(dirname "$0")/lib.sh"

sock=$WORK/notify.sock
bg notify "$TOOLS/notify-listen" "$sock"
wait_for 5 test -S "$sock" || fail "notify-listen did not start"
N=$WORK/notify.out

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: a" "
logging:
  summary_interval: 2s
canary:
  cache: c
  rate: 20/s
  deadline: 5s
  slo:
    latency: 500ms"

# the cost of it, before it runs
"$BIN/momento-subscriberd" -c "$cfg" --check-config >"$WORK/check.out" || fail "--check-config failed"
grep -q "^canary: 1728000 publishes a day" "$WORK/check.out" || fail "--check-config cost: $(cat "$WORK/check.out")"

NOTIFY_SOCKET=$sock start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="canary" and .received > 0' 2 || fail "no probe came back: $(tail -5 "$out")"
wait_for 5 grep -q "STATUS=2/2 streams up, .*, canary rtt p99 [0-9.]* ms, 100.00%" "$N" ||
    fail "STATUS without the canary: $(grep STATUS "$N" | tail -2)"

# a probe is a JSON text value any subscriber reads: the canary topic's own
# summary decodes every one of them (json, field timestamp)
s=$(events "$out" '.event=="summary" and .topic=="momento-subscriber-canary" and .count > 0' | tail -n 1)
[ -n "$s" ] || fail "no summary of the canary topic"
jq -e '.decode_errors == 0 and .with_latency == .count' <<<"$s" >/dev/null || fail "probes not read as JSON: $s"

# ---- the loop stalled for 2 s ----
wait_events 10 "$out" '.event=="canary"' 3 || fail "too few canary summaries"
before=$(canary_last "$out" .sent_total)
kill -STOP "$DAEMON_PID"
sleep 2
kill -CONT "$DAEMON_PID"
wait_events 10 "$out" '.event=="canary" and .rtt_max_us >= 1500000' 1 ||
    fail "the stall does not show as round trips of ~2 s: $(events "$out" '.event=="canary"' | tail -3)"
# the probes due during the stall left late, timed from their own moments
# (the schedule's lag shows it, in the interval they left in); within the
# deadline (5 s) they all came back, slow (late: over 500 ms)
events "$out" '.event=="canary" and .schedule_lag_us >= 1500000' | grep -q . ||
    fail "the schedule's lag does not show the stall: $(events "$out" '.event=="canary"' | tail -3)"
st=$(events "$out" '.event=="canary" and .rtt_max_us >= 1500000' | sed -n 1p)
jq -e '.late >= 20 and .lost == 0 and .rtt_max_us < 3000000' <<<"$st" >/dev/null ||
    fail "the stall's probes (late, none lost): $st"
sleep 2
# no schedule slot is missing: 20/s across the stall and the time around it
after=$(canary_last "$out" .sent_total)
n=$((after - before))
[ "$n" -ge 70 ] || fail "only $n probes sent across 4 s and a stall at 20/s: slots were skipped"
[ "$(canary_last "$out" .lost_total)" = 0 ] || fail "probes lost in a stall shorter than the deadline"
[ "$(count_events "$out" '.event=="canary_lost"')" = 0 ] || fail "canary_lost without a loss"
# the interval of the stall missed the SLO (late probes): degraded, and the
# next clean one recovers
wait_events 10 "$out" '.event=="canary_recovered"' 1 || fail "no canary_recovered after the stall"
dg=$(events "$out" '.event=="canary_degraded"' | sed -n 1p)
jq -e '.availability < 0.999 and .burn_rate > 1' <<<"$dg" >/dev/null || fail "canary_degraded: $dg"

# ---- two instances on one topic ----
start_daemon e "$cfg"
wait_events 10 "$WORK/e.out" '.event=="canary_peer" and .received > 0' 1 ||
    fail "the second daemon does not see the first one's probes: $(tail -3 "$WORK/e.out")"
wait_events 10 "$out" '.event=="canary_peer" and .received > 0' 1 || fail "the first does not see the second's"
id_d=$(canary_last "$out" .id)
id_e=$(canary_last "$WORK/e.out" .id)
[ "$id_d" != "$id_e" ] || fail "two daemons share an instance id"
p=$(events "$out" '.event=="canary_peer"' | tail -n 1)
jq -e --arg id "$id_e" '.id == $id and .p50_us >= 0 and .max_us >= .p50_us and (.histogram|startswith("h1"))' <<<"$p" >/dev/null ||
    fail "canary_peer of the first daemon: $p"
# each counts its own probes only: the other's are not received twice
sleep 1.5
e=$(events "$WORK/e.out" '.event=="canary"' | tail -n 1)
jq -e '.received <= .sent and .duplicates == 0' <<<"$e" >/dev/null || fail "the second daemon counts probes not its own: $e"
stop "$LAST_PID" || fail "second daemon exit status"

stop "$DAEMON_PID" || fail "daemon exit status"
# the final summary includes the canary, after the stopping event
last=$(jq -c 'select(.event=="stopping" or .event=="canary")' "$out" | tail -n 1)
jq -e '.event=="canary"' <<<"$last" >/dev/null || fail "no canary in the final summary: $last"
bad=$(canary_unbalanced "$out"; canary_unbalanced "$WORK/e.out")
[ -z "$bad" ] || fail "canary totals do not add up: $bad"
pass "canary: $(canary_last "$out" .sent_total) probes, none lost, a 2 s stall seen as ~2 s round trips, degraded and recovered, every summary balanced; peers seen both ways"
