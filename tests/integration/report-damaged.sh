#!/usr/bin/env bash
# Damaged input: lines that are not JSON, not events, or summaries that fail
# their checks (a histogram cut short or malformed, a field missing, a bad
# time, a line cut in the middle, a NUL byte) are skipped whole, counted and
# quoted with FILE:LINE on standard error; everything else is used, so the
# figures equal those of the clean log. Only damage: exit 1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

start_local srv --heartbeat 200ms
publish_some() {
    publish c t -n 400 -r 200 || fail "publish"
    publish c t "not json" || fail "publish"
}
run_daemon d "
  - cache: c
    topic: t" 401 publish_some
D=$WORK/d.out

report --file "$D" --json || fail "clean log: exit $?"
cp "$WORK/report.out" "$WORK/clean.json"
other=$(count_events "$D" '.event!="summary"')

# damaged copies of a real summary (the one with the most messages), then the
# clean log, untouched
S=$(events "$D" '.event=="summary" and .cache=="c"' | jq -s -c 'max_by(.count)')
F=$WORK/damaged.jsonl
{
    echo 'this is not JSON'                                                    # 1
    echo '{"event":"summary","cache":"c"'                                      # 2
    echo '[1,2,3]'                                                             # 3
    echo '{"ts":"2026-11-23T03:35:17.021422Z","level":"info"}'                 # 4
    echo ''                                                                    # 5 (blank: ignored)
    jq -c '.histogram |= sub(",[0-9]+:[0-9]+$"; "")' <<<"$S"                   # 6 cut short
    jq -c '.histogram = "h1,5:"' <<<"$S"                                       # 7 malformed
    jq -c 'del(.count)' <<<"$S"                                                # 8
    jq -c '.ts = "yesterday"' <<<"$S"                                          # 9
    head -c 300 <<<"$S"; echo                                                  # 10 cut in the middle
    printf '{"event":"summary",\0"cache":"c"}\n'                               # 11 NUL byte
    jq -c '.min_us = .max_us + 1000' <<<"$S"                                   # 12
    # not damage: an EMF document as the daemon writes them with export.emf
    echo '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"cache":"c","topic":"t"}' # 13
    cat "$D"
} >"$F"
report --file "$F" --json || fail "damaged log: exit $?: $(cat "$WORK/report.err")"
jq -e --slurpfile c "$WORK/clean.json" '. == $c[0]' "$WORK/report.out" >/dev/null ||
    fail "figures differ from the clean log: $(cat "$WORK/report.out")"
E=$WORK/report.err
expect_err() { grep -qE "$1" "$E" || fail "stderr lacks /$1/: $(cat "$E")"; }
expect_err "^momento-latency-report: skipped 11 damaged records:$"
expect_err "^  $F:1: not JSON \\(at byte [0-9]+\\)$"
expect_err "^  $F:2: not JSON \\(at byte [0-9]+\\)$"
expect_err "^  $F:3: not a JSON object$"
expect_err "^  $F:4: no \"event\": not a momento-subscriberd event$"
expect_err "^  $F:6: summary: the histogram holds [0-9]+ latencies, but count - decode_errors is [0-9]+ - 0$"
expect_err "^  \\.\\.\\. and 6 more$"
expect_err "^momento-latency-report: ignored $((other + 1)) events that are not summaries$"
[ "$(wc -l <"$E")" = 8 ] || fail "stderr has more: $(cat "$E")"
pass "11 damaged lines counted and the first 5 quoted; the figures those of the clean log"

# the reasons of the others, each first in a file of its own
reason() {
    local n=$1 want=$2
    sed -n "${n}p" "$F" >"$WORK/one.jsonl"
    local rc=0
    report --file "$WORK/one.jsonl" || rc=$?
    [ $rc = 1 ] || fail "line $n alone: exit $rc"
    grep -qF "  $WORK/one.jsonl:1: $want" "$E" || fail "line $n: $(cat "$E")"
}
reason 7 'summary: field histogram: "h1,5:" is not a histogram encoding (h1,...)'
reason 8 'summary: no field count'
reason 9 'summary: no RFC 3339 time in "ts"'
reason 10 'not JSON (at byte'
reason 11 'a NUL byte in the line'
reason 12 'summary: min_us'
pass "each kind of damage named"

# nothing but damage: exit 1, the damage reported, nothing on stdout
head -12 "$F" >"$WORK/only.jsonl"
rc=0
report --file "$WORK/only.jsonl" || rc=$?
[ $rc = 1 ] || fail "only damaged lines: exit $rc"
[ ! -s "$WORK/report.out" ] || fail "output with no summary: $(cat "$WORK/report.out")"
expect_err "skipped 11 damaged records"
expect_err "^momento-latency-report: no summary in $WORK/only.jsonl$"
pass "a log of damage only: exit 1"
