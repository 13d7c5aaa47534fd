#!/usr/bin/env bash
# momento-latency-report on the JSON lines of a real daemon run: per topic and
# in total, its figures equal the exact ones computed from the same run's
# message events (counts and extremes exactly, percentiles within the
# histogram's 1%); its total agrees with the daemon's own "*" summaries; the
# window, standard input and the exit statuses.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

start_local srv --heartbeat 200ms
publish_all() {
    publish c fast -n 1500 -r 500 &
    local p1=$!
    publish c slow -n 300 -r 100 --size 2000 &
    local p2=$!
    { wait $p1 && wait $p2; } || fail "publish failed"
    publish c slow "not json"
    publish c slow '{"timestamp": "yesterday"}'
}
run_daemon d "
  - cache: c
    topic: fast
  - cache: c
    topic: slow" 1802 publish_all
D=$WORK/d.out

report --file "$D" --json || fail "report exit status $?: $(cat "$WORK/report.err")"
jq -e . "$WORK/report.out" >/dev/null || fail "--json output is not JSON"
[ "$(row '.topics | length')" = 2 ] || fail "not two topics: $(cat "$WORK/report.out")"
check_row "c/fast" "$(row '.topics[] | select(.topic=="fast")')" "$(exact "$D" '.event=="message" and .topic=="fast"')"
check_row "c/slow" "$(row '.topics[] | select(.topic=="slow")')" "$(exact "$D" '.event=="message" and .topic=="slow"')"
check_row "total" "$(row '.total')" "$(exact "$D" '.event=="message"')"
# messages count every message taken in order, decode errors included
jq -e '.topics[] | select(.topic=="slow") | .messages == 302 and .decode_errors == 2 and .measured == 300' \
    "$WORK/report.out" >/dev/null || fail "slow counts: $(row '.topics[] | select(.topic=="slow")')"
jq -e '.total.messages == 1802 and .total.gaps == 0 and .total.duplicates == 0 and .total.log_dropped == 0
       and .total.lost == 0 and .total.warnings_dropped == 0
       and .summaries > 4 and .host_count == 1 and .topic_count == 2 and .by_host == false' \
    "$WORK/report.out" >/dev/null || fail "totals: $(row '.total')"
# the total rebuilt from the topics agrees with the daemon's own "*" summaries
star=$(events "$D" '.event=="summary" and .cache=="*"' | jq -s 'map(.count) | add')
[ "$(row '.total.messages')" = "$star" ] || fail "total $(row '.total.messages') != sum of * summaries $star"
# rate: messages over the time the topic's summaries cover
for t in fast slow; do
    want=$(events "$D" ".event==\"summary\" and .topic==\"$t\"" |
        jq -s '(map(.count) | add) / (map(.interval_s) | add) * 1000 | round / 1000')
    jq -e --arg t "$t" --argjson w "$want" '.topics[] | select(.topic==$t) |
        (.rate_per_s - $w) | (if . < 0 then -. else . end) <= 0.002' "$WORK/report.out" >/dev/null ||
        fail "rate of $t: $(row ".topics[] | select(.topic==\"$t\") | .rate_per_s"), want $want"
done
pass "report --json of $(count_events "$D" '.event=="summary"') summaries equals the exact figures of 1800 messages"

# the table: same figures, 80 columns
report --file "$D" || fail "table exit status"
T=$WORK/report.out
fits_80 "$T"
grep -qE '^c/fast +[0-9.]+ +[0-9.]+' "$T" || fail "no c/fast latency row: $(cat "$T")"
grep -qE '^total +1802 +[0-9.]+ +2 +0 +0 +0 +0 +0$' "$T" || fail "no total counts row: $(cat "$T")"
grep -q '^input   .* summaries, 2 topics, 1 host$' "$T" || fail "input line: $(head -3 "$T")"
[ ! -s "$WORK/report.err" ] || grep -q 'ignored [0-9]* events that are not summaries' "$WORK/report.err" ||
    fail "stderr: $(cat "$WORK/report.err")"
min_us=$(exact "$D" '.event=="message" and .topic=="fast"' | jq .min)
want=$(awk -v m="$min_us" 'BEGIN { printf "%.3f", m / 1000 }')
awk -v w="$want" '$1=="c/fast" && NF==8 && $2==w { ok=1 } END { exit !ok }' "$T" ||
    fail "c/fast min is not $want ms in the table: $(cat "$T")"
pass "table fits 80 columns"

# standard input, and the same file twice: every figure doubles but percentiles
report --file - --json <"$D" || fail "stdin exit status"
cp "$WORK/report.out" "$WORK/stdin.json"
report --file "$D" --json || fail "exit status"
jq -e --slurpfile a "$WORK/stdin.json" '. == $a[0]' "$WORK/report.out" >/dev/null || fail "stdin differs from the file"
# shellcheck disable=SC2094 # both only read it
report --file "$D" --file - --json <"$D" || fail "twice exit status"
jq -e --slurpfile a "$WORK/stdin.json" '.total.messages == 2 * $a[0].total.messages and
    .total.p99_us == $a[0].total.p99_us and .total.rate_per_s == $a[0].total.rate_per_s and
    .host_count == 2' "$WORK/report.out" >/dev/null || fail "the file twice: $(row '.total')"
pass "standard input"

# the window: --since/--until select summaries by their ts (inclusive)
mapfile -t ts < <(events "$D" '.event=="summary" and .topic=="fast"' | jq -r .ts)
n=${#ts[@]}
[ "$n" -ge 4 ] || fail "only $n summaries"
mid=${ts[$((n / 2))]}
since_epoch=$(jq -rn --arg t "$mid" '$t | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601')
frac=$(sed -E 's/.*(\.[0-9]+)Z$/\1/' <<<"$mid")
for since in "$mid" "@$since_epoch$frac"; do
    report --file "$D" --json --since "$since" || fail "--since $since exit status"
    want=$(events "$D" ".event==\"summary\" and .cache!=\"*\" and .ts >= \"$mid\"" | jq -s 'map(.count) | add')
    [ "$(row '.total.messages')" = "$want" ] || fail "--since $since: $(row '.total.messages') messages, want $want"
done
report --file "$D" --json --until "$mid" || fail "--until exit status"
want=$(events "$D" ".event==\"summary\" and .cache!=\"*\" and .ts <= \"$mid\"" | jq -s 'map(.count) | add')
[ "$(row '.total.messages')" = "$want" ] || fail "--until: $(row '.total.messages'), want $want"
report --file "$D" --json --since "$mid" --until "$mid" || fail "one instant exit status"
[ "$(row '.summaries')" = 1 ] || fail "--since = --until = a summary's ts: $(row '.summaries') summaries"
pass "--since/--until"

# nothing in the window: exit 1, said on stderr, nothing on stdout
rc=0; report --file "$D" --until "2000-01-01" || rc=$?
[ $rc = 1 ] || fail "empty window: exit $rc"
[ ! -s "$WORK/report.out" ] || fail "output for an empty window"
grep -q "no summary in $D until 2000-01-01" "$WORK/report.err" || fail "empty window: $(cat "$WORK/report.err")"
grep -q "summaries lie outside the window" "$WORK/report.err" || fail "outside count: $(cat "$WORK/report.err")"
rc=0; report --file "$D" --since now || rc=$?
[ $rc = 1 ] || fail "--since now: exit $rc"
# input that cannot be read: 66; usage errors: 64
rc=0; report --file "$WORK/missing.jsonl" || rc=$?
[ $rc = 66 ] || fail "missing file: exit $rc"
grep -q "cannot open $WORK/missing.jsonl: No such file or directory" "$WORK/report.err" || fail "missing: $(cat "$WORK/report.err")"
rc=0; report --file "$WORK" || rc=$?
[ $rc = 66 ] || fail "a directory as --file: exit $rc"
for bad in "--since" "--since=soon" "--until=2012-13-01" "--json --plot" "--file x --unit u" \
    "--file x --directory d" "--bogus" "extra" "--since today --until yesterday" "--unit="; do
    rc=0
    # shellcheck disable=SC2086 # the words are the options
    report $bad || rc=$?
    [ $rc = 64 ] || fail "\"$bad\": exit $rc, want 64"
    grep -q "Try 'momento-latency-report --help'" "$WORK/report.err" || fail "\"$bad\": $(cat "$WORK/report.err")"
done
report --help || fail "--help"
grep -q "^Usage: momento-latency-report" "$WORK/report.out" || fail "--help output"
fits_80 "$WORK/report.out"
report --version || fail "--version"
grep -qE "^momento-latency-report [0-9]" "$WORK/report.out" || fail "--version output"
pass "exit statuses"
