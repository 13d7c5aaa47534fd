#!/usr/bin/env bash
# The Prometheus alerting rules shipped in conf/alerts.yml: promtool accepts
# them, their unit tests (tests/alerts/alerts.test.yml) pass, and every series
# they name is one a running daemon's textfile really holds (a canary and a
# subscription with messages, so that each kind of series is there).
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus)"
RULES=$top_srcdir/conf/alerts.yml
out=$(promtool check rules "$RULES" 2>&1) || fail "promtool check rules: $out"
grep -q "SUCCESS: 8 rules found" <<<"$out" || fail "promtool check rules: $out"
out=$(cd "$top_srcdir/tests/alerts" && promtool test rules alerts.test.yml 2>&1) || fail "promtool test rules: $out"
pass "promtool check rules and test rules"

start_local srv --heartbeat 200ms
# a key that expires in 30 days, for the key's series
claims=$(printf '{"t":"g","exp":%s}' $(($(date +%s) + 30 * 86400)) | base64 -w0 | tr '+/' '-_' | tr -d '=')
echo "eyJhbGciOiJIUzI1NiJ9.$claims.c2lnbmF0dXJl" >"$WORK/api-key"
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
logging:
  summary_interval: 1s
export:
  prometheus_textfile: $WORK/alerts.prom
canary:
  cache: c
  rate: 20/s"
config_key_file "$cfg" "$WORK/api-key"
start_daemon d "$cfg"
wait_events 10 "$WORK/d.out" '.event=="subscribed"' 2 || fail "not subscribed"
publish c t -n 3 || fail "publish failed"
# a summary with the messages and one with the canary's probes back
wait_events 10 "$WORK/d.out" '.event=="summary" and .cache=="c" and .topic=="t" and .count > 0' 1 ||
    fail "no summary with the messages"
wait_for 10 grep -q '^momento_subscriber_canary_burn_rate{' "$WORK/alerts.prom" || fail "no canary burn rate in the textfile"
wait_for 10 grep -q '^momento_subscriber_latency_seconds_bucket{cache="c",topic="t"' "$WORK/alerts.prom" ||
    fail "no latency buckets in the textfile"
stop "$DAEMON_PID" || fail "daemon exit status"
# every momento_subscriber_* name in an expression, with the histogram's
# _bucket taken back to its family
names=$(grep -E '^\s+expr:' "$RULES" | grep -oE 'momento_subscriber_[a-z_]+' | sort -u)
[ -n "$names" ] || fail "no series named in $RULES"
for n in $names; do
    family=${n%_bucket}
    grep -q "^# TYPE $family " "$WORK/alerts.prom" || fail "the rules use $n, which the textfile does not hold"
    grep -q "^$n[{ ]" "$WORK/alerts.prom" || fail "the rules use $n, which has no sample in the textfile"
done
pass "every series the rules use is in the daemon's textfile: $(echo $names | wc -w) names"
