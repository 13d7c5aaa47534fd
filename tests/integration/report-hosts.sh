#!/usr/bin/env bash
# Two daemons ("hosts") subscribed to one shared topic and one topic each:
# their logs merged equal the union of their messages, per topic and in total;
# --by-host gives each host its own figures, and the grand total is the same
# with or without it. The host is the file name, or a "host" field.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

start_local srv --heartbeat 200ms
write_daemon_config "$WORK/a.yaml" "
  - cache: c
    topic: shared
  - cache: c
    topic: only-a" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s"
write_daemon_config "$WORK/b.yaml" "
  - cache: c
    topic: shared
  - cache: c
    topic: only-b" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s"
start_daemon a "$WORK/a.yaml"
pa=$DAEMON_PID
start_daemon b "$WORK/b.yaml"
pb=$DAEMON_PID
wait_events 10 "$WORK/a.out" '.event=="subscribed"' 2 || fail "a did not subscribe"
wait_events 10 "$WORK/b.out" '.event=="subscribed"' 2 || fail "b did not subscribe"
publish c shared -n 800 -r 400 &
p1=$!
publish c only-a -n 300 -r 300 &
p2=$!
publish c only-b -n 500 -r 250 --size 4000 &
p3=$!
{ wait $p1 && wait $p2 && wait $p3; } || fail "publish failed"
wait_events 20 "$WORK/a.out" '.event=="message"' 1100 || fail "a: messages missing"
wait_events 20 "$WORK/b.out" '.event=="message"' 1300 || fail "b: messages missing"
stop "$pa" || fail "a exit status"
stop "$pb" || fail "b exit status"
A=$WORK/a.out
B=$WORK/b.out
cat "$A" "$B" >"$WORK/union.out"
U=$WORK/union.out

report --file "$A" --file "$B" --json || fail "exit status $?: $(cat "$WORK/report.err")"
jq -e '.host_count == 2 and .topic_count == 3 and (.topics | length) == 3 and .hosts == []' \
    "$WORK/report.out" >/dev/null || fail "shape: $(cat "$WORK/report.out")"
for t in shared only-a only-b; do
    check_row "c/$t" "$(row ".topics[] | select(.topic==\"$t\")")" \
        "$(exact "$U" ".event==\"message\" and .topic==\"$t\"")"
done
check_row "total" "$(row '.total')" "$(exact "$U" '.event=="message"')"
jq -e '(.topics[] | select(.topic=="shared") | .messages == 1600 and .summaries > 4) and .total.messages == 2400' \
    "$WORK/report.out" >/dev/null || fail "merged counts: $(cat "$WORK/report.out")"
# the shared topic's rate is per subscription: both hosts' summaries cover
# their time, so it is not twice one host's; the total's rate adds the topics
cov=$(events "$U" '.event=="summary" and .topic=="shared"' | jq -s 'map(.interval_s) | add')
jq -e --argjson cov "$cov" 'def abs: if . < 0 then -. else . end;
    (.topics[] | select(.topic=="shared") | ((.covered_s - $cov) | abs) < 0.001 and
        ((.rate_per_s - 1600 / $cov) | abs) < 0.001) and
    ((.topics | map(.rate_per_s) | add) - .total.rate_per_s | abs) < 0.01' \
    "$WORK/report.out" >/dev/null || fail "rates (covered $cov s): $(cat "$WORK/report.out")"
cp "$WORK/report.out" "$WORK/merged.json"
pass "two hosts merged: 2400 messages, the union's exact figures"

report --file "$A" --file "$B" --json --by-host || fail "--by-host exit status"
jq -e --arg a "$A" --arg b "$B" '.by_host and (.hosts | map(.host)) == [$a, $b] and
    (.topics | map([.host, .topic])) == [[$a, "only-a"], [$a, "shared"], [$b, "only-b"], [$b, "shared"]]' \
    "$WORK/report.out" >/dev/null || fail "--by-host shape: $(cat "$WORK/report.out")"
for h in a b; do
    f=$WORK/$h.out
    check_row "$h total" "$(row ".hosts[] | select(.host==\"$f\")")" "$(exact "$f" '.event=="message"')"
    check_row "$h shared" "$(row ".topics[] | select(.host==\"$f\" and .topic==\"shared\")")" \
        "$(exact "$f" '.event=="message" and .topic=="shared"')"
done
# the grand total does not depend on the split
jq -e --slurpfile m "$WORK/merged.json" '.total == $m[0].total' "$WORK/report.out" >/dev/null ||
    fail "--by-host total $(row '.total') differs from $(jq -c .total "$WORK/merged.json")"
pass "--by-host: each host's exact figures, the same grand total"

# a "host" field names the host; standard input and a file together
jq -c '. + {host: "alpha"}' "$A" | report --file - --file "$B" --json --by-host || fail "host field exit status"
jq -e --arg b "$B" '(.hosts | map(.host)) == [$b, "alpha"]' "$WORK/report.out" >/dev/null ||
    fail "host field: $(row '.hosts | map(.host)')"
check_row "alpha" "$(row '.hosts[] | select(.host=="alpha")')" "$(exact "$A" '.event=="message"')"
pass "host from the \"host\" field"

# the table split by host: headings, indented rows, 80 columns
report --file "$A" --file "$B" --by-host || fail "table exit status"
T=$WORK/report.out
fits_80 "$T"
grep -q '^input   .* summaries, 3 topics, 2 hosts$' "$T" || fail "input line: $(head -3 "$T")"
# the latency and counts tables, and the clock table between them when the
# daemon writes the clock's fields: each closed by "all hosts"
tables=$(grep -c '^all hosts ' "$T")
[ "$tables" = 2 ] || { [ "$tables" = 3 ] && grep -q '^clock (ms) ' "$T"; } || fail "$tables tables: $(cat "$T")"
for h in "$A" "$B"; do
    [ "$(grep -cxF "$h" "$T")" = "$tables" ] || fail "host heading $h not in every table: $(cat "$T")"
done
grep -qE '^  c/shared +800 ' "$T" || fail "per-host shared row: $(cat "$T")"
grep -qE '^all hosts +2400 ' "$T" || fail "all hosts row: $(cat "$T")"
[ "$(grep -cE '^  total ' "$T")" = $((2 * tables)) ] || fail "host totals: $(cat "$T")"
pass "table by host"
