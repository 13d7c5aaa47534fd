#!/usr/bin/env bash
# momento-subscriberd with export.emf writing to a real journald: each EMF
# document is the MESSAGE of its own `emf` record (fixed MESSAGE_ID, PRIORITY
# info), whole and valid against tests/emf, and nothing goes to stdout.
source "$(dirname "$0")/lib.sh"

command -v journalctl >/dev/null || skip "journalctl is not installed (apt-get install systemd)"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3 jsonschema is not installed (apt-get install python3-jsonschema)"
ensure_journald
start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: je
    topic: emf" "
export:
  emf: true"
bg d "$BIN/momento-subscriberd" -c "$cfg" --log-format journal
pid=$LAST_PID

wait_for 15 journal_have "$pid" '.EVENT=="subscribed"' 1 || fail "no subscribed record in the journal"
publish je emf -n 7
wait_for 15 journal_have "$pid" '.EVENT=="message"' 7 || fail "message records missing"
kill -USR1 "$pid"
wait_for 15 journal_have "$pid" '.EVENT=="emf"' 1 || fail "no emf record"
stop "$pid" || fail "daemon exit status"
journal_records "$pid"
[ ! -s "$WORK/d.out" ] || fail "output on stdout with --log-format journal: $(head -3 "$WORK/d.out")"

J=$WORK/journal.json
jq -e -s 'map(select(.EVENT=="emf")) | length >= 2 and all(.MESSAGE_ID=="625d4ce896864bb3b50610a620b5c861"
          and .PRIORITY=="6" and .LEVEL=="info" and .SYSLOG_IDENTIFIER=="momento-subscriberd")' "$J" >/dev/null ||
    fail "emf records: $(jq -c 'select(.EVENT=="emf")' "$J" | head -3)"
jq -r 'select(.EVENT=="emf") | .MESSAGE' "$J" >"$WORK/emf.jsonl"
python3 "$top_srcdir/tests/emf/emf-check.py" "$top_srcdir/tests/emf/emf.schema.json" "$WORK/emf.jsonl" \
    >"$WORK/emf-check.out" 2>&1 || fail "EMF in the journal: $(head -5 "$WORK/emf-check.out")"
# the first summary's document holds the 7 messages; the final one at stop none
jq -e -s '.[0].Latency.Count == 7 and .[0].Messages == 7 and .[0].cache == "je" and .[0].topic == "emf"
          and (.[1] | has("Latency") | not) and .[1].Messages == 0' "$WORK/emf.jsonl" >/dev/null ||
    fail "EMF documents: $(cat "$WORK/emf.jsonl")"
pass "journal: $(wc -l <"$WORK/emf.jsonl") EMF documents, each the MESSAGE of an emf record"
