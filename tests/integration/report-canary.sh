#!/usr/bin/env bash
# momento-latency-report with a canary, on hand-written JSON lines: the
# canary events of three hosts merged per host (counts summed, round trips
# from the merged histograms, availability = (received - late) / (received +
# lost) over the window), every host together, and the peers' one-way
# latencies per (reporter, peer); the exact table lines, the --json members,
# --by-host, --plot drawing the round trips, damaged canary events counted
# and named, and a window without canary events printing what it did before.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

# summary TS: one per file, 3 messages of 100 us on c/canary
summary() {
    jq -cn --arg ts "$1" '{ts: $ts, event: "summary", level: "info", message: "summary", cache: "c",
        topic: "canary", interval_s: 60.0, count: 3, rate_per_s: 0.05, min_us: 100, max_us: 100,
        negative: 0, decode_errors: 0, gaps: 0, duplicates: 0, discontinuities: 0, resets: 0,
        reconnects: 0, with_latency: 3, histogram: "h1,100:3"}'
}
# canary TS HOST SENT RECEIVED LOST LATE RTT_MIN RTT_MAX HISTOGRAM: an
# interval's canary event as the daemon writes it (rtt_* only when received)
canary() {
    jq -cn --arg ts "$1" --arg host "$2" --argjson sent "$3" --argjson received "$4" --argjson lost "$5" \
        --argjson late "$6" --argjson min "$7" --argjson max "$8" --arg h "$9" '
        {ts: $ts, event: "canary", level: "info", message: "canary", cache: "c", topic: "canary",
         host: $host, id: "0123456789abcdef", interval_s: 60.0, sent: $sent, received: $received,
         lost: $lost, late: $late, duplicates: 1, out_of_order: 2, after_deadline: 0, publish_errors: 3,
         sent_total: $sent, received_total: $received, lost_total: $lost, in_flight: 0,
         publish_p50_us: 900, publish_p99_us: 2000, schedule_lag_us: 40, histogram: $h}
        + (if $received > 0 then {rtt_min_us: $min, rtt_p50_us: $min, rtt_p90_us: $max, rtt_p99_us: $max,
                                  rtt_p999_us: $max, rtt_max_us: $max} else {} end)
        + (if $received + $lost > 0 then {availability: (($received - $late) / ($received + $lost)),
                                         availability_total: 1, burn_rate: 0.5} else {} end)'
}
# peer TS HOST RECEIVED LOST MAX BOUND HISTOGRAM (BOUND "" when unknown)
peer() {
    jq -cn --arg ts "$1" --arg host "$2" --argjson received "$3" --argjson lost "$4" --argjson max "$5" \
        --arg bound "$6" --arg h "$7" '
        {ts: $ts, event: "canary_peer", level: "info", message: "canary_peer", cache: "c",
         topic: "canary", host: $host, id: "fedcba9876543210", received: $received, lost: $lost,
         histogram: $h}
        + (if $received > 0 then {p50_us: $max, p99_us: $max, max_us: $max} else {} end)
        + (if $bound != "" then {bound_us: ($bound | tonumber)} else {} end)'
}

T1=2026-12-07T10:01:00.000000Z
T2=2026-12-07T10:02:00.000000Z
A=$WORK/a.jsonl
B=$WORK/b.jsonl
C=$WORK/c.jsonl
{
    summary $T1
    # alpha: 998 received, 3 of them late, 2 lost over two intervals
    canary $T1 alpha 500 499 1 1 4995 40100 "$(hist_encode '5000*450' '9000*48' '40000*1')"
    peer $T1 beta 150 0 1500 250 "$(hist_encode '1500*150')"
    peer $T1 gamma 0 10 0 "" h1
    canary $T2 alpha 501 499 1 2 5990 20010 "$(hist_encode '6000*400' '7000*98' '20000*1')"
    peer $T2 beta 150 0 2510 300 "$(hist_encode '2500*150')"
} >"$A"
{
    summary $T2
    canary $T2 beta 300 300 0 0 2993 3005 "$(hist_encode '3000*300')"
    peer $T2 alpha 499 1 200 "" "$(hist_encode '-50*1' '200*498')"
} >"$B"
{
    summary $T2
    canary $T2 gamma 10 0 10 0 0 0 h1
} >"$C"

# the tables after the topic tables, line for line
canary_part() { sed -n '/^canary round trip (ms/,$p' "$WORK/report.out"; }
report --file "$A" --file "$B" --file "$C" || fail "exit status $?: $(cat "$WORK/report.err")"
fits_80 "$WORK/report.out"
[ ! -s "$WORK/report.err" ] || fail "stderr: $(cat "$WORK/report.err")"
canary_part >"$WORK/canary.txt"
cat >"$WORK/want.txt" <<'TABLE'
canary round trip (ms; each host's own probes, one clock)
host               sent   recv lost late   avail     p50     p99   p99.9     max
alpha              1001    998    2    3  99.50%   5.999   8.991  40.063  40.100
beta                300    300    0    0 100.00%   2.999   2.999   2.999   3.005
gamma                10      0   10    0   0.00%       -       -       -       -
all hosts          1311   1298   12    3  98.85%   5.007   8.991  20.031  40.100

canary peers (ms; one-way, two clocks)
reporter         peer host          recv   lost     p50     p99     max   bound
alpha            beta                300      0   1.499   2.503   2.510   0.300
alpha            gamma                 0     10       -       -       -       -
beta             alpha               499      1   0.200   0.200   0.200       -
TABLE
diff "$WORK/want.txt" "$WORK/canary.txt" >"$WORK/diff.txt" || fail "canary tables: $(cat "$WORK/diff.txt")"
# the topic tables come first, as without a canary, then an empty line
grep -qE '^c/canary +9 +0\.1 ' "$WORK/report.out" || fail "topic table: $(cat "$WORK/report.out")"
[ "$(grep -B1 '^canary round trip (ms' "$WORK/report.out" | head -1)" = "" ] || fail "no empty line before"
pass "canary tables: counts summed, availability (998 - 3) / 1000 = 99.50%, merged percentiles"

# --by-host splits the topic tables; the canary's are per host either way
report --file "$A" --file "$B" --file "$C" --by-host || fail "--by-host exit status"
canary_part | diff "$WORK/want.txt" - >"$WORK/diff.txt" || fail "--by-host canary tables: $(cat "$WORK/diff.txt")"
grep -q '^all hosts ' "$WORK/report.out" || fail "--by-host topic table: $(cat "$WORK/report.out")"
pass "--by-host: the same canary tables"

# --json: the same figures, in microseconds, with every count
report --file "$A" --file "$B" --file "$C" --json || fail "--json exit status"
jq -e '(.canary | map(.host)) == ["alpha", "beta", "gamma"] and
    (.canary[0] | .cache == "c" and .topic == "canary" and .events == 2 and .sent == 1001 and
        .received == 998 and .lost == 2 and .late == 3 and .duplicates == 2 and .out_of_order == 4 and
        .after_deadline == 0 and .publish_errors == 6 and .availability == 0.995 and
        .rtt_min_us == 4995 and .rtt_p50_us == 5999 and .rtt_p90_us == 6991 and .rtt_p99_us == 8991 and
        .rtt_p999_us == 40063 and .rtt_max_us == 40100) and
    (.canary[1] | .availability == 1 and .rtt_max_us == 3005) and
    (.canary[2] | .availability == 0 and .received == 0 and .rtt_p50_us == null and .rtt_max_us == null) and
    (.canary_total | has("host") | not) and
    (.canary_total | .events == 4 and .sent == 1311 and .received == 1298 and .lost == 12 and
        .availability == 0.988549 and .rtt_min_us == 2993 and .rtt_p50_us == 5007 and
        .rtt_p999_us == 20031 and .rtt_max_us == 40100) and
    (.canary_peers | map([.reporter, .host])) == [["alpha", "beta"], ["alpha", "gamma"], ["beta", "alpha"]] and
    (.canary_peers[0] | .events == 2 and .received == 300 and .lost == 0 and .p50_us == 1499 and
        .p99_us == 2503 and .max_us == 2510 and .bound_us == 300) and
    (.canary_peers[1] | .received == 0 and .lost == 10 and .p50_us == null and .bound_us == null) and
    (.canary_peers[2] | .received == 499 and .lost == 1 and .p50_us == 200 and .bound_us == null) and
    .summaries == 3 and .total.messages == 9' "$WORK/report.out" >/dev/null ||
    fail "--json: $(jq -c '{canary, canary_total, canary_peers}' "$WORK/report.out")"
pass "--json: canary, canary_total, canary_peers"

# --plot: the round trips' distribution and p99 over time, after the topics'
TZ=UTC0 LC_ALL=C report --file "$A" --file "$B" --file "$C" --plot || fail "--plot exit status"
P=$WORK/report.out
fits_80 "$P"
grep -q '^canary round trip distribution, all hosts: 1298 round trips, log scale$' "$P" ||
    fail "--plot: no canary distribution: $(cat "$P")"
grep -q '^canary round trip p99 over time, all hosts$' "$P" || fail "--plot: no canary p99 over time"
sed -n '/^canary round trip distribution/,/^$/p' "$P" >"$WORK/dist.txt"
sum=$(awk 'NR > 2 && NF { n += substr($0, 17, 8) } END { print n }' "$WORK/dist.txt")
[ "$sum" = 1298 ] || fail "--plot: the distribution's rows add up to $sum: $(cat "$WORK/dist.txt")"
grep -qE '^ +5-6\.3 +850 .*#+ +p50$' "$WORK/dist.txt" || fail "--plot: p50 row: $(cat "$WORK/dist.txt")"
sed -n '/^canary round trip p99 over time/,$p' "$P" >"$WORK/time.txt"
grep -qE '^ +8\.991\+#' "$WORK/time.txt" || fail "--plot: p99 over time: $(cat "$WORK/time.txt")"
grep -q '^latency distribution, all topics and hosts: 9 latencies, log scale$' "$P" || fail "--plot: topics' plot"
pass "--plot draws the canary's round trips"

# a peer event whose source names no canary (standard input) is reported by
# the source's name, as is one whose source names two hosts
{ cat "$B"; canary $T2 delta 5 5 0 0 100 100 "$(hist_encode '100*5')"; } >"$WORK/two.jsonl"
peer $T2 alpha 1 0 300 "" "$(hist_encode '300*1')" |
    report --file "$A" --file "$WORK/two.jsonl" --file - --json || fail "stdin exit status"
jq -e --arg two "$WORK/two.jsonl" '(.canary_peers | map([.reporter, .host])) ==
    [[$two, "alpha"], ["alpha", "beta"], ["alpha", "gamma"], ["stdin", "alpha"]] and
    (.canary | map(.host)) == ["alpha", "beta", "delta"] and .canary_total.received == 1303' \
    "$WORK/report.out" >/dev/null || fail "reporters: $(jq -c '.canary_peers' "$WORK/report.out")"
pass "a peer's reporter: the host its source's canary names, else the source"

# damaged canary events are counted and named, the rest used
D=$WORK/damaged.jsonl
good=$(canary $T2 alpha 5 5 0 0 100 100 "$(hist_encode '100*5')")
{
    jq -c 'del(.sent)' <<<"$good"                                               # 1
    jq -c '.histogram = "h1,5:"' <<<"$good"                                     # 2
    jq -c '.received = 6' <<<"$good"                                            # 3
    jq -c '.late = 9' <<<"$good"                                                # 4
    jq -c '.rtt_max_us = 5000' <<<"$good"                                       # 5
    jq -c 'del(.rtt_min_us)' <<<"$good"                                         # 6
    jq -c '.ts = "soon"' <<<"$good"                                             # 7
    jq -c '.host = ""' <<<"$good"                                               # 8
    peer $T2 beta 3 0 200 "" "$(hist_encode '200*2')"                           # 9
    peer $T2 beta 2 0 200 "" "$(hist_encode '200*2')" | jq -c '.bound_us = "x"'  # 10
    peer $T2 beta 2 0 900 "" "$(hist_encode '200*2')"                           # 11
    jq -c 'del(.lost)' <<<"$(peer $T2 beta 0 0 0 "" h1)"                        # 12
} >"$D"
report --file "$A" --file "$B" --file "$C" --file "$D" || fail "damaged: exit $?: $(cat "$WORK/report.err")"
canary_part | diff "$WORK/want.txt" - >"$WORK/diff.txt" || fail "damaged: figures differ: $(cat "$WORK/diff.txt")"
E=$WORK/report.err
expect_err() { grep -qxF -- "$1" "$E" || fail "stderr lacks \"$1\": $(cat "$E")"; }
expect_err "momento-latency-report: skipped 12 damaged records:"
expect_err "  $D:1: canary: no field sent"
expect_err "  $D:2: canary: field histogram: \"h1,5:\" is not a histogram encoding (h1,...)"
expect_err "  $D:3: canary: the histogram holds 5 probes, but received is 6"
expect_err "  $D:4: canary: late 9 is more than received 5"
expect_err "  $D:5: canary: rtt_min_us 100 or rtt_max_us 5000 lies outside the histogram"
expect_err "  ... and 7 more"
[ "$(wc -l <"$E")" = 7 ] || fail "stderr has more: $(cat "$E")"
reason() {
    sed -n "$1p" "$D" >"$WORK/one.jsonl"
    report --file "$A" --file "$WORK/one.jsonl" || fail "line $1: exit $?"
    grep -qxF "  $WORK/one.jsonl:1: $2" "$E" || fail "line $1: $(cat "$E")"
}
reason 6 'canary: no field rtt_min_us'
reason 7 'canary: no RFC 3339 time in "ts"'
reason 8 'canary: field host is empty'
reason 9 'canary_peer: the histogram holds 2 probes, but received is 3'
reason 10 'canary_peer: field bound_us: "x" is not a whole number'
reason 11 'canary_peer: max_us 900 lies outside the histogram'
reason 12 'canary_peer: no field lost'
pass "damaged canary events counted and named, never merged"

# no canary event in the window: what the report printed before, byte for byte
T3=2026-12-07T10:05:00.000000Z
grep '"event":"summary"' "$A" >"$WORK/sums.jsonl"
{ cat "$WORK/sums.jsonl"; canary $T3 alpha 5 5 0 0 100 100 "$(hist_encode '100*5')"; peer $T3 beta 0 1 0 "" h1; } \
    >"$WORK/later.jsonl"
for opts in "" "--json" "--by-host" "--plot"; do
    # shellcheck disable=SC2086 # the words are the options
    # standard input, so that the host (the file's name with --by-host) is the same
    TZ=UTC0 LC_ALL=C report --file - --until $T2 $opts <"$WORK/sums.jsonl" || fail "summaries only $opts: exit $?"
    mv "$WORK/report.out" "$WORK/plain.out"
    mv "$WORK/report.err" "$WORK/plain.err"
    # shellcheck disable=SC2086
    TZ=UTC0 LC_ALL=C report --file - --until $T2 $opts <"$WORK/later.jsonl" || fail "later canary $opts: exit $?"
    cmp -s "$WORK/plain.out" "$WORK/report.out" || fail "$opts: output differs: $(diff "$WORK/plain.out" "$WORK/report.out")"
    cmp -s "$WORK/plain.err" "$WORK/report.err" || fail "$opts: stderr differs: $(cat "$WORK/report.err")"
done
! grep -qE "^canary " "$WORK/report.out" || fail "canary plots in a window without canary events"
pass "a window without canary events: the output of a log without them"

# canary events alone are no report: exit 1, nothing on stdout
grep -v '"event":"summary"' "$A" >"$WORK/only.jsonl"
rc=0
report --file "$WORK/only.jsonl" || rc=$?
[ $rc = 1 ] || fail "canary events only: exit $rc"
[ ! -s "$WORK/report.out" ] || fail "canary events only: output"
grep -q "no summary in $WORK/only.jsonl" "$E" || fail "canary events only: $(cat "$E")"
pass "canary events without a summary: exit 1"
