#!/bin/bash
# momento-latency-report never writes an API key anywhere: a key as the name
# of a file it reads (missing, or present and then the host of --by-host),
# in the records it reads (a line that is a key, a key as a summary's cache,
# topic, host, histogram, count or time), as the value of --since, --until,
# --unit or --directory, an unknown option or an argument; in the table, the
# JSON and the plot. Checked: standard output and error, for a v2 key and a v1
# key (outer base64 and inner api_key). The summaries come from a real daemon
# that used the v2 key.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/secrets-lib.sh"

REPORT=$BIN/momento-latency-report
[ -x "$REPORT" ] || fail "momento-latency-report is not built ($REPORT)"
unset MOMENTO_API_KEY MOMENTO_ENDPOINT CREDENTIALS_DIRECTORY

# ---- real summaries, from a daemon with the v2 key
start_local srv --token-file "$KEYS/v2.key"
write_daemon_config "$WORK/d.yaml" "  - cache: rc
    topic: rt" "logging:
  summary_interval: 1s"
sed -i "s|^momento:|momento:\n  api_key_file: $KEYS/v2.key|" "$WORK/d.yaml"
start_daemon d "$WORK/d.yaml"
wait_events 20 "$WORK/d.out" '.event=="subscribed"' 1 || fail "the daemon did not subscribe: $(cat "$WORK/d.err")"
"$BIN/momento-publish" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure --api-key-file "$KEYS/v2.key" \
    -c rc -t rt -n 20 -q || fail "publish"
wait_events 20 "$WORK/d.out" '.event=="message"' 20 || fail "messages missing"
stop "$DAEMON_PID" || fail "daemon exit status"
SUMMARIES=$WORK/summaries.jsonl
events "$WORK/d.out" '.event=="summary"' >"$SUMMARIES"
[ -s "$SUMMARIES" ] || fail "no summaries"
no_secrets "$WORK/d.out" "$WORK/d.err" "$SUMMARIES"
one=$(events "$SUMMARIES" '.cache=="rc" and .count > 0' | head -n 1)
[ -n "$one" ] || fail "no summary with messages"

# run NAME STATUS ARGS... : the report must exit with STATUS; outputs checked
run() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout -k 5 60 ${MO_WRAPPER:-} "$REPORT" "$@" >"$WORK/$name.rep" 2>"$WORK/$name.rep.err" || rc=$?
    [ $rc = "$want" ] || fail "$name: exit status $rc, expected $want: $(head -c 600 "$WORK/$name.rep.err")"
    no_secrets "$WORK/$name.rep" "$WORK/$name.rep.err"
}

run plain 0 --file "$SUMMARIES"
grep -q "rc/rt" "$WORK/plain.rep" || fail "plain: $(cat "$WORK/plain.rep")"

for k in "$V2" "$V1_INNER" "$V1"; do
    # the key as a file name: missing, then present (its name is the host)
    if [[ $k != */* ]] && [ ${#k} -le 255 ]; then # a v1 key may be too long, or hold a /
        run name-missing 66 --file "$WORK/$k"
        cp "$SUMMARIES" "$WORK/$k"
        for fmt in "" --json --plot; do
            run "name-by-host$fmt" 0 --file "$WORK/$k" --file "$SUMMARIES" --by-host $fmt
        done
        grep -q "<hidden>" "$WORK/name-by-host.rep" || fail "by-host: the key-named file is not hidden: $(cat "$WORK/name-by-host.rep")"
        rm -f "$WORK/$k"
    fi
    # the key in the records: a line of its own, and in each field a summary shows or checks
    {
        printf '%s\n' "$k"
        printf '{"event":"%s"}\n' "$k"
        for field in cache topic histogram count ts host; do
            jq -c --arg k "$k" --arg f "$field" '.[$f] = $k' <<<"$one"
        done
    } >"$WORK/keyed.jsonl"
    for fmt in "" --json --plot; do
        run "records$fmt" 0 --file "$WORK/keyed.jsonl" --file "$SUMMARIES" --by-host $fmt
    done
    grep -q "skipped 6 damaged records" "$WORK/records.rep.err" || fail "records: $(cat "$WORK/records.rep.err")"
    # the key as an option's value, an unknown option or an argument
    run since 64 --file "$SUMMARIES" --since "$k"
    run until 64 --file "$SUMMARIES" --until "$k"
    run unknown 64 "--$k"
    run argument 64 "$k"
    run unit-file 64 --file "$SUMMARIES" --unit "$k"
    rc=0
    timeout -k 5 60 ${MO_WRAPPER:-} "$REPORT" --unit "$k" --since -1min >"$WORK/unit.rep" 2>"$WORK/unit.rep.err" || rc=$?
    [ $rc = 1 ] || [ $rc = 66 ] || fail "--unit KEY: exit status $rc: $(cat "$WORK/unit.rep.err")"
    run directory 66 --directory "$WORK/nodir/$k"
    no_secrets "$WORK/unit.rep" "$WORK/unit.rep.err"
done
pass "the key as a file name, in records, as an option's value, an option or an argument: never shown"

stop "$LOCAL_PID" || true
no_secrets "$WORK/srv.out" "$WORK/srv.err"
pass "no piece of either key in $CHECKED_FILES outputs"
