#!/usr/bin/env bash
# momento-subscriberd writing to a real journald: every event a structured
# record with upper-case fields, MESSAGE, PRIORITY and its type's MESSAGE_ID,
# read back with journalctl -o json.
source "$(dirname "$0")/lib.sh"

command -v journalctl >/dev/null || skip "journalctl is not installed (apt-get install systemd)"
ensure_journald
# and garbled bytes after the 10th item of a stream: one protocol_error
start_local srv --heartbeat 200ms --fault-malformed-every 10
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: jc
    topic: jt
  - cache: jc
    topic: jt2"
bg d "$BIN/momento-subscriberd" -c "$cfg" --log-format journal
pid=$LAST_PID

wait_for 15 journal_have "$pid" '.EVENT=="subscribed"' 2 || fail "no subscribed records in the journal"
publish jc jt -n 10
publish jc jt2 "not json"
wait_for 15 journal_have "$pid" '.EVENT=="message"' 10 || fail "message records missing"
wait_for 15 journal_have "$pid" '.EVENT=="protocol_error"' 1 || fail "protocol_error record missing"
kill -USR1 "$pid"
wait_for 15 journal_have "$pid" '.EVENT=="summary"' 3 || fail "summary records missing"
stop "$pid" || fail "daemon exit status"
wait_for 15 journal_have "$pid" '.EVENT=="stopping"' 1 || fail "stopping record missing"
journal_records "$pid"
J=$WORK/journal.json
# stdout stays empty: everything went to the journal
[ ! -s "$WORK/d.out" ] || fail "output on stdout with --log-format journal: $(head -3 "$WORK/d.out")"

check() { jq -e -s "$1" "$J" >/dev/null || fail "$2"; }
check 'map(select(.EVENT=="message")) | length == 10' "not 10 message records"
check 'map(select(.EVENT=="message")) | all(.MESSAGE_ID=="5745c755483f4658ae0a27109185854f"
        and .PRIORITY=="6" and .LEVEL=="info" and .CACHE=="jc" and .TOPIC=="jt"
        and (.SEQ|tonumber) >= 1 and (.LATENCY_US|tonumber) >= 0 and .KIND=="text"
        and (.PUBLISHED_AT|test("Z$")) and (.RECEIVED_AT|test("Z$"))
        and (.MESSAGE|test("^jc/jt #[0-9]+: latency [0-9]+\\.[0-9]{3} ms ± [0-9]+\\.[0-9]{3} ms$"))
        and .SYSLOG_IDENTIFIER=="momento-subscriberd")' "message records lack fields"
check '[.[] | select(.EVENT=="message") | .SEQ | tonumber] == [range(1;11)]' "message SEQ not 1..10"
check 'map(select(.EVENT=="summary")) | all(.MESSAGE_ID=="e1ef2f3c18224e94b429efc3d4e5bf7c"
        and .PRIORITY=="6" and (.HISTOGRAM|startswith("h1")) and has("P99_US") and has("CLOCK_SYNCED")
        and has("PROTOCOL_ERRORS") and has("PROTOCOL_ERROR_REASONS"))' \
    "summary records lack fields"
check 'map(select(.EVENT=="summary" and .TOPIC=="jt")) | .[0].PROTOCOL_ERRORS=="1" and .[0].DECODE_ERRORS=="0"' \
    "jc/jt summary: not 1 protocol error and no decode error"
check 'map(select(.EVENT=="summary" and .CACHE=="*")) | length >= 1' "no total summary"
check 'map(select(.EVENT=="decode_error")) | length == 1 and (.[0].MESSAGE_ID=="b884bc1011f647ccb1aa5184760975ff"
        and .[0].PRIORITY=="4" and .[0].LEVEL=="warning" and .[0].TOPIC=="jt2"
        and (.[0].REASON|test("invalid JSON")))' "decode_error record"
check 'map(select(.EVENT=="protocol_error")) | length == 1 and (.[0].MESSAGE_ID=="3b24292518bd4e2abae429e585754432"
        and .[0].PRIORITY=="4" and .[0].LEVEL=="warning" and .[0].TOPIC=="jt"
        and .[0].REASON=="malformed _SubscriptionItem (3 bytes)")' "protocol_error record"
check 'map(select(.EVENT=="subscribed")) | all(.MESSAGE_ID=="3adeb06ab8224a658116a5c06b33dd8b" and has("RESUME_AT"))' \
    "subscribed records"
check 'map(select(.EVENT=="started")) | length == 1 and .[0].MESSAGE_ID=="e6fe88bfff2d4158b1a17e87e723d68b"
        and .[0].PRIORITY=="5" and .[0].SUBSCRIPTIONS=="2"' "started record"
check 'map(select(.EVENT=="stopping")) | length == 1 and .[0].MESSAGE_ID=="19c4cc6afef44a4faea9702b4acc9021"
        and .[0].PRIORITY=="5"' "stopping record"
pass "journal: $(jq -s length "$J") records with their fields and MESSAGE_IDs"
