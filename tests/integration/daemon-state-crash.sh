#!/usr/bin/env bash
# kill -9 while 500 messages a second flow, then start again: nothing lost
# (every number arrives, in one run or the other), and what is logged twice is
# at most what arrived in the last save interval (one second) before the kill.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
state=$WORK/state
mkdir "$state"
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
state:
  directory: $state
logging:
  message_budget: 1000000
  summary_interval: 1h"

rate=500
[ -z "${MO_WRAPPER:-}" ] || rate=50 # valgrind runs everything about fifty times slower
total=$((rate * 8))

start_daemon d1 "$cfg"
out1=$WORK/d1.out
wait_events 10 "$out1" '.event=="subscribed"' 1 || fail "run 1: not subscribed"
bg pub "$BIN/momento-publish" -c c -t t -r $rate -n $total --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure
PUB=$LAST_PID
wait_events 20 "$out1" '.event=="message"' $((rate * 3)) || fail "run 1: too few messages"
# anywhere in the save interval
sleep "0.$((RANDOM % 10))"
{ kill -KILL "$DAEMON_PID" && wait "$DAEMON_PID"; } 2>/dev/null || true
saved=$(sed -n 's/^sub "c" "t" [0-9]* \([0-9]*\)$/\1/p' "$state/positions")
[ -n "$saved" ] || fail "no position saved before the kill: $(cat "$state/positions")"
sleep 1 # down while messages go on

start_daemon d2 "$cfg"
out2=$WORK/d2.out
wait_events 10 "$out2" '.event=="subscribed"' 1 || fail "run 2: not subscribed"
r=$(events "$out2" '.event=="subscribed"')
jq -e --argjson s "$saved" '.resume_at == $s + 1' <<<"$r" >/dev/null || fail "run 2 did not resume after the saved $saved: $r"
wait "$PUB" || fail "publisher failed"
sent=$(sed -n 's/^published \([0-9]*\) messages.*/\1/p' "$WORK/pub.out")
[ "$sent" = "$total" ] || fail "published $sent of $total"
wait_for 20 bash -c "[ \$(jq -c 'select(.event==\"message\") | .seq' '$out2' | tail -1) = $total ]" \
    || fail "run 2 did not get to $total"
stop "$DAEMON_PID" || fail "run 2: exit status"
[ "$(count_events "$out2" "$ALARM")" = 0 ] || fail "an alarm after the restart: $(events "$out2" "$ALARM" | head -3)"

jq -c 'select(.event=="message") | .seq' "$out1" | sort -n >"$WORK/seq1"
jq -c 'select(.event=="message") | .seq' "$out2" | sort -n >"$WORK/seq2"
# each run alone: every number once
[ -z "$(uniq -d "$WORK/seq1")" ] || fail "run 1 logged a message twice"
[ -z "$(uniq -d "$WORK/seq2")" ] || fail "run 2 logged a message twice"
# both together: every number from 1 to total, nothing else
sort -n -u "$WORK/seq1" "$WORK/seq2" >"$WORK/all"
[ "$(wc -l <"$WORK/all")" = "$total" ] && [ "$(head -1 "$WORK/all")" = 1 ] && [ "$(tail -1 "$WORK/all")" = "$total" ] \
    || fail "messages lost across the kill: $(wc -l <"$WORK/all") distinct of $total"
# twice: exactly those after the saved position that run 1 logged
awk 'NR == FNR { one[$1] = 1; next } ($1 in one)' "$WORK/seq1" "$WORK/seq2" >"$WORK/dup"
dups=$(wc -l <"$WORK/dup")
last1=$(tail -1 "$WORK/seq1")
[ "$dups" = $((last1 - saved)) ] || fail "$dups logged twice, but run 1 logged $((last1 - saved)) after the saved $saved"
# ... which run 1 received within a save interval of its last one (plus the
# save's own time and the timer's lateness on a busy machine)
span_ms=$(jq -s --argjson s "$saved" '
    def t: (.[0:19] + "Z" | fromdate) * 1000 + (.[20:26] | tonumber / 1000);
    map(select(.event=="message")) | (map(.received_at | t) | max) as $latest
    | [.[] | select(.seq > $s) | .received_at | t] | if length == 0 then 0 else $latest - min | floor end' "$out1")
[ "$span_ms" -le 1250 ] || fail "the messages logged twice span $span_ms ms, more than a save interval"
[ "$dups" -le $((rate * 5 / 4)) ] || fail "$dups messages logged twice at $rate/s: more than a save interval's worth"
pass "kill -9 at $rate msg/s: all $total arrived; $dups logged twice, over $span_ms ms (run 1 saved $saved, logged up to $last1)"
