#!/usr/bin/env bash
# Two kinds of bad input, each counted on its own side, exactly:
# - payloads whose publish time cannot be read (a publisher's doing) are
#   messages: in count, in decode_errors with their reasons, decode_error
#   warnings;
# - server messages the wire format does not allow (the service's doing:
#   momento-topics-local --fault-malformed-every sends garbled bytes and
#   items of no kind in turn) are not: in protocol_errors with their reasons,
#   protocol_error warnings (their own kind under
#   logging.warnings_per_interval), never in count nor decode_errors, and no
#   gap: they take no sequence number.
# Both in the "*" total, the Prometheus textfile (promtool-valid), the EMF
# document, and the report tool's sums.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"

command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus)"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3 jsonschema is not installed (apt-get install python3-jsonschema)"

# after every 5th item of a stream: garbled, no kind, garbled, no kind, ...
start_local srv --heartbeat 200ms --fault-malformed-every 5
PROM=$WORK/momento.prom
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: both
  - cache: c
    topic: server
  - cache: c
    topic: payload" "
logging:
  summary_interval: 1h
export:
  prometheus_textfile: $PROM
  emf: true"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 3 || fail "not subscribed"

CACHE=c
# both: items 1-10 good, 11-17 not JSON, 18-20 a boolean timestamp, 21-31
# good; a malformed message after items 5, 10, 15, 20, 25 and 30
TOPIC=both publish_fast -q -n 10
TOPIC=both publish_fast -q -n 7 "not json"
TOPIC=both publish_fast -q -n 3 '{"timestamp": true}'
TOPIC=both publish_fast -q -n 11
# server: 6 good items, garbled bytes after the 5th
TOPIC=server publish_fast -q -n 6
# payload: 3 items, the first one bad; no malformed message (fewer than 5)
TOPIC=payload publish_fast -q -n 1 "{"
TOPIC=payload publish_fast -q -n 2
# each stream's last item comes after its last malformed message: once its
# message event is out, everything before it was counted
for t in both:31 server:6 payload:3; do
    wait_events 20 "$out" ".event==\"message\" and .topic==\"${t%:*}\" and .seq==${t#*:}" 1 ||
        fail "${t%:*}: message ${t#*:} never logged"
done
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="*"' 1 || fail "no summary after SIGUSR1"

s=$(events "$out" '.event=="summary" and .topic=="both"')
jq -e '.count == 31 and .with_latency == 21 and .decode_errors == 10 and .protocol_errors == 6
       and .gaps == 0 and .discontinuities == 0 and .reconnects == 0 and .warnings_dropped == 10
       and .decode_error_reasons == "7: invalid JSON at byte N | 3: field timestamp is a boolean, expected a string or number"
       and .protocol_error_reasons == "3: malformed _SubscriptionItem (N bytes) | 3: subscription item with no kind (neither item, discontinuity nor heartbeat)"' \
    <<<"$s" >/dev/null || fail "c/both summary: $s"
s=$(events "$out" '.event=="summary" and .topic=="server"')
jq -e '.count == 6 and .with_latency == 6 and .decode_errors == 0 and .protocol_errors == 1 and .gaps == 0
       and .decode_error_reasons == "" and .protocol_error_reasons == "1: malformed _SubscriptionItem (N bytes)"
       and .warnings_dropped == 0' <<<"$s" >/dev/null || fail "c/server summary: $s"
s=$(events "$out" '.event=="summary" and .topic=="payload"')
jq -e '.count == 3 and .with_latency == 2 and .decode_errors == 1 and .protocol_errors == 0
       and .decode_error_reasons == "1: invalid JSON at byte N" and .protocol_error_reasons == ""' \
    <<<"$s" >/dev/null || fail "c/payload summary: $s"
t=$(events "$out" '.event=="summary" and .cache=="*"')
jq -e '.count == 40 and .with_latency == 29 and .decode_errors == 11 and .protocol_errors == 7
       and .warnings_dropped == 10
       and .protocol_error_reasons == "4: malformed _SubscriptionItem (N bytes) | 3: subscription item with no kind (neither item, discontinuity nor heartbeat)"
       and (.message | test("; 7 server messages the protocol does not allow"))' \
    <<<"$t" >/dev/null || fail "total summary: $t"
pass "summaries: decode errors (11) and protocol errors (7) apart, with their reasons, in the total"

# the warnings: each kind capped at 3 per subscription and interval, apart
count_w() { count_events "$out" ".event==\"$1\" and .topic==\"$2\""; }
[ "$(count_w decode_error both)" = 3 ] || fail "$(count_w decode_error both) decode_error events for c/both"
[ "$(count_w protocol_error both)" = 3 ] || fail "$(count_w protocol_error both) protocol_error events for c/both"
[ "$(count_w protocol_error server)" = 1 ] || fail "$(count_w protocol_error server) protocol_error events for c/server"
[ "$(count_w decode_error server)" = 0 ] || fail "decode_error events for c/server"
[ "$(count_w protocol_error payload)" = 0 ] || fail "protocol_error events for c/payload"
[ "$(count_w decode_error payload)" = 1 ] || fail "$(count_w decode_error payload) decode_error events for c/payload"
G="malformed _SubscriptionItem (3 bytes)"
N="subscription item with no kind (neither item, discontinuity nor heartbeat)"
events "$out" '.event=="protocol_error"' | jq -e -s --arg g "$G" --arg n "$N" '
    all(.[]; .level == "warning" and has("seq") == false and .message ==
             "\(.cache)/\(.topic): the server sent a message the protocol does not allow, skipped: \(.reason)")
    and map(select(.topic == "both") | .reason) == [$g, $n, $g]
    and map(select(.topic == "server") | .reason) == [$g]' >/dev/null ||
    fail "protocol_error events: $(events "$out" '.event=="protocol_error"')"
# the stream went on: every good message measured, nothing resubscribed
[ "$(count_events "$out" '.event=="message"')" = 29 ] || fail "$(count_events "$out" '.event=="message"') message events, expected 29"
[ "$(count_events "$out" '.event=="resubscribing"')" = 0 ] || fail "a stream was resubscribed"
pass "warnings: decode_error and protocol_error capped apart (3 each); streams kept"

# ---- the exports ----
wait_for 10 test -s "$PROM" || fail "no textfile after the summary"
promtool check metrics <"$PROM" >"$WORK/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$WORK/promtool.out")"
value() { awk -v k="momento_subscriber_$1{cache=\"c\",topic=\"$2\"}" '$1 == k { print $2 }' "$PROM"; }
for want in "both 31 10 6" "server 6 0 1" "payload 3 1 0"; do
    read -r topic m d p <<<"$want"
    got="$(value messages_total "$topic") $(value decode_errors_total "$topic") $(value protocol_errors_total "$topic")"
    [ "$got" = "$m $d $p" ] || fail "textfile, $topic: messages, decode and protocol errors $got, expected $m $d $p"
done
grep -q '^# TYPE momento_subscriber_protocol_errors_total counter$' "$PROM" || fail "no protocol_errors_total family"
emf=$(grep '^{"_aws":' "$out" | jq -s -c 'map({(.topic): [.Messages, .DecodeErrors, .ProtocolErrors]}) | add')
[ "$emf" = '{"both":[31,10,6],"server":[6,0,1],"payload":[3,1,0]}' ] || fail "EMF Messages, DecodeErrors, ProtocolErrors: $emf"
grep '^{"_aws":' "$out" >"$WORK/emf.jsonl"
python3 "$top_srcdir/tests/emf/emf-check.py" "$top_srcdir/tests/emf/emf.schema.json" "$WORK/emf.jsonl" \
    >"$WORK/emf-check.out" 2>&1 || fail "EMF documents do not pass the schema: $(head -5 "$WORK/emf-check.out")"
pass "textfile (promtool-valid) and EMF: decode and protocol errors per topic"

# the stop's summary adds nothing: every one was counted once
stop "$DAEMON_PID" || fail "daemon exit status"
[ "$(sum_summaries "$out" protocol_errors)" = 7 ] || fail "protocol_errors over all summaries: $(sum_summaries "$out" protocol_errors)"
[ "$(sum_summaries "$out" decode_errors)" = 11 ] || fail "decode_errors over all summaries: $(sum_summaries "$out" decode_errors)"
${MO_WRAPPER:-} "$BIN/momento-latency-report" --file "$out" --json >"$WORK/report.json" 2>"$WORK/report.err" ||
    fail "momento-latency-report: $(cat "$WORK/report.err")"
jq -e '.total.messages == 40 and .total.measured == 29 and .total.decode_errors == 11
       and .total.protocol_errors == 7 and .total.gaps == 0
       and (.topics[] | select(.topic=="both") | .decode_errors == 10 and .protocol_errors == 6)
       and (.topics[] | select(.topic=="server") | .decode_errors == 0 and .protocol_errors == 1)' \
    "$WORK/report.json" >/dev/null || fail "report: $(jq -c '[.total, .topics]' "$WORK/report.json")"
pass "report: decode_errors 11 and protocol_errors 7 summed apart"
