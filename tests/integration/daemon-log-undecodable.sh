#!/usr/bin/env bash
# 1,000 payloads whose publish time cannot be read: a bounded number of
# decode_error warnings (logging.warnings_per_interval, 3 by default, per
# subscription and summary interval), the exact count in decode_errors, the
# rest in warnings_dropped, and the kinds of reason with their counts in
# decode_error_reasons; the messages around them are measured as usual; the
# report tool reads the summaries and sums warnings_dropped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"

start_local srv --heartbeat 200ms
CACHE=c TOPIC=bad
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: bad
  - cache: c
    topic: bad2" "
logging:
  summary_interval: 1h"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed"

rate=2000
[ -z "${MO_WRAPPER:-}" ] || rate=100
publish_fast -q -n 5
publish_fast -q -n 900 -r $rate "not json at all"
publish_fast -q -n 100 -r $rate '{"timestamp": true}'
publish_fast -q -n 5
TOPIC=bad2 publish_fast -q -n 7 -r $rate "{"
wait_counted "$out" 1017 || fail "the summaries count $(sum_summaries "$out" count) of 1017 messages"

s=$(events "$out" '.event=="summary" and .topic=="bad"')
jq -e '.count == 1010 and .decode_errors == 1000 and .warnings_dropped == 997
       and .decode_error_reasons == "900: invalid JSON at byte N | 100: field timestamp is a boolean, expected a string or number"
       and .p50_us >= 0' <<<"$s" >/dev/null || fail "c/bad summary: $s"
[ "$(count_events "$out" '.event=="decode_error" and .topic=="bad"')" = 3 ] \
    || fail "$(count_events "$out" '.event=="decode_error" and .topic=="bad"') decode_error events for c/bad"
[ "$(count_events "$out" '.event=="decode_error" and .topic=="bad2"')" = 3 ] || fail "decode_error events for c/bad2"
t=$(events "$out" '.event=="summary" and .cache=="*"')
jq -e '.count == 1017 and .decode_errors == 1007 and .warnings_dropped == 1001
       and (.decode_error_reasons | startswith("907: invalid JSON at byte N | 100: field timestamp"))' \
    <<<"$t" >/dev/null || fail "total summary: $t"
stop "$DAEMON_PID" || fail "daemon exit status"
# the report tool takes these summaries, and adds up what the log left out
${MO_WRAPPER:-} "$BIN/momento-latency-report" --file "$out" --json >"$WORK/report.json" 2>"$WORK/report.err" ||
    fail "momento-latency-report: $(cat "$WORK/report.err")"
jq -e '.total.messages == 1017 and .total.decode_errors == 1007 and .total.warnings_dropped == 1001
       and .total.lost == 0 and .total.log_dropped == 0
       and (.topics[] | select(.topic=="bad") | .warnings_dropped == 997)' "$WORK/report.json" >/dev/null ||
    fail "report: $(jq -c .total "$WORK/report.json")"
pass "undecodable: 1,007 decode errors, 6 warnings logged, the rest counted with their reasons (and by the report)"
