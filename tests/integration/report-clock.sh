#!/usr/bin/env bash
# momento-latency-report and the clock error bounds, on hand-written JSON
# lines: per topic (and per host with --by-host, and in the totals) the
# largest clock_bound_us and publisher_bound_us of the window, skewed
# summed, the clock sources each host named; the clock table's exact lines
# (±bound the two bounds summed, "+?" when the publishers' is unknown, "-"
# when this host's is), the source line under it, the --json members; a
# summary of an older daemon (no clock field) merged as unknown, never
# damaged; a log of such summaries only prints no clock table.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

# summary TS HOST TOPIC CLOCK HISTOGRAM-ITEMS...: a summary of the values
# V*N of the items; CLOCK is a JSON object of clock fields merged in ({}: a
# summary of an older daemon, which writes none of them)
summary() {
    local ts=$1 host=$2 topic=$3 clock=$4
    shift 4
    local items=("$@") n=0 neg=0 min= max= item v c
    for item in "${items[@]}"; do
        v=${item%\**} c=${item#*\*}
        n=$((n + c))
        [ "$v" -lt 0 ] && neg=$((neg + c))
        { [ -z "$min" ] || [ "$v" -lt "$min" ]; } && min=$v
        { [ -z "$max" ] || [ "$v" -gt "$max" ]; } && max=$v
    done
    jq -cn --arg ts "$ts" --arg host "$host" --arg topic "$topic" --argjson clock "$clock" \
        --argjson n $n --argjson neg $neg --argjson min "$min" --argjson max "$max" \
        --arg h "$(hist_encode "${items[@]}")" '
        {ts: $ts, event: "summary", level: "info", message: "summary", host: $host, cache: "c",
         topic: $topic, interval_s: 60.0, count: $n, rate_per_s: ($n / 60), min_us: $min,
         max_us: $max, negative: $neg, decode_errors: 0, gaps: 0, duplicates: 0, discontinuities: 0,
         resets: 0, reconnects: 0, with_latency: $n, histogram: $h} + $clock'
}
# clock SOURCE BOUND PUBLISHER SKEWED: the fields a daemon with the bounds writes
clock() {
    jq -cn --arg s "$1" --argjson b "$2" --argjson p "$3" --argjson k "$4" \
        '{clock_source: $s, clock_bound_us: $b, clock_status: "synchronized", publisher_bound_us: $p,
          skewed: $k}'
}

T0=2026-12-07T10:00:00.000000Z
T1=2026-12-07T10:01:00.000000Z
T2=2026-12-07T10:02:00.000000Z
T3=2026-12-07T10:03:00.000000Z
A=$WORK/a.jsonl
B=$WORK/b.jsonl
{
    summary $T0 web-1 eu '{}' '500*10' # an older daemon: no clock field
    summary $T1 web-1 eu "$(clock clockbound 350 200 0)" '500*10'
    # -1000 us is below -(300 + 350): a wrong clock
    summary $T2 web-1 eu "$(clock clockbound 300 350 1)" '500*9' '-1000*1'
    # ClockBound gone: adjtimex's bound, no publisher bound in the interval
    summary $T3 web-1 eu "$(clock adjtimex 400 -1 0)" '600*10'
    summary $T1 web-1 us "$(clock clockbound 350 -1 0)" '800*5'
    summary $T1 web-1 legacy '{}' '300*4'
} >"$A"
{
    # -1500 us is below -(1200 + 100)
    summary $T2 web-2 eu "$(clock adjtimex 1200 100 2)" '2000*8' '-1500*2'
    summary $T3 web-2 eu "$(clock adjtimex -1 -1 0)" '700*5' # adjtimex failed: unknown
    summary $T3 web-2 dark "$(clock adjtimex -1 250 0)" '900*3'
} >"$B"

clock_part() { sed -n '/^clock (ms)/,/^$/p' "$WORK/report.out"; }
same() { # same WANT-FILE WHAT: the clock table is WANT-FILE, line for line
    clock_part | diff "$1" - >"$WORK/diff.txt" || fail "$2: $(cat "$WORK/diff.txt")"
}

TZ=UTC0 LC_ALL=C report --file "$A" --file "$B" || fail "exit status $?: $(cat "$WORK/report.err")"
[ ! -s "$WORK/report.err" ] || fail "stderr (an old summary called damaged?): $(cat "$WORK/report.err")"
fits_80 "$WORK/report.out"
cat >"$WORK/want.txt" <<'TABLE'
clock (ms)         +-bound    host publisher    skewed
c/dark                   -       -     0.250         0
c/eu                 1.550   1.200     0.350         3
c/legacy                 -       -         -         0
c/us               0.350+?   0.350         -         0
total                1.550   1.200     0.350         3
clock source  web-1: clockbound+adjtimex, web-2: adjtimex

TABLE
same "$WORK/want.txt" "clock table"
# right under the latency table, which keeps its columns; the counts follow
grep -A9 '^latency (ms)' "$WORK/report.out" | grep -q '^clock (ms)' || fail "not under the latencies: $(cat "$WORK/report.out")"
grep -q '^latency (ms)         min     p50     p90     p99   p99.9     max  negative$' "$WORK/report.out" ||
    fail "latency header: $(cat "$WORK/report.out")"
grep -qE '^c/eu +-1\.500 .* 3$' "$WORK/report.out" || fail "c/eu negative: $(cat "$WORK/report.out")"
grep -qE '^total +67 ' "$WORK/report.out" || fail "counts: $(cat "$WORK/report.out")"
pass "clock table: largest bounds of the window summed, skewed summed, sources per host"

# in UTF-8 the header says ±bound, and the columns stay where they were
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    TZ=UTC0 LC_ALL=C.UTF-8 report --file "$A" --file "$B" || fail "UTF-8 exit status $?"
    fits_80 "$WORK/report.out"
    sed '1s/^clock (ms)         +-bound/clock (ms)          ±bound/' "$WORK/want.txt" >"$WORK/want-utf8.txt"
    same "$WORK/want-utf8.txt" "UTF-8 clock table"
    pass "UTF-8: ±bound"
fi

# --json: the same figures per row, null when unknown
report --file "$A" --file "$B" --json || fail "--json exit status $?"
sel() { row ".topics[] | select(.topic==\"$1\") | $CLOCK"; }
CLOCK='[.clock_bound_us, .publisher_bound_us, .bound_us, .bound_partial, .skewed, .clock_sources]'
[ "$(sel eu)" = '[1200,350,1550,false,3,["clockbound","adjtimex"]]' ] || fail "eu: $(sel eu)"
[ "$(sel us)" = '[350,null,350,true,0,["clockbound"]]' ] || fail "us: $(sel us)"
[ "$(sel legacy)" = '[null,null,null,false,0,[]]' ] || fail "legacy: $(sel legacy)"
[ "$(sel dark)" = '[null,250,null,false,0,["adjtimex"]]' ] || fail "dark: $(sel dark)"
[ "$(row ".total | $CLOCK")" = '[1200,350,1550,false,3,["clockbound","adjtimex"]]' ] || fail "total: $(row .total)"
[ "$(row '.total.negative')" = 3 ] || fail "negative: $(row .total)"
pass "--json: clock_bound_us, publisher_bound_us, bound_us, bound_partial, skewed, clock_sources"

# --by-host: each host's own bounds, and the same grand total
TZ=UTC0 LC_ALL=C report --file "$A" --file "$B" --by-host || fail "--by-host exit status $?"
fits_80 "$WORK/report.out"
cat >"$WORK/want.txt" <<'TABLE'
clock (ms)         +-bound    host publisher    skewed
web-1
  c/eu               0.750   0.400     0.350         1
  c/legacy               -       -         -         0
  c/us             0.350+?   0.350         -         0
  total              0.750   0.400     0.350         1
web-2
  c/dark                 -       -     0.250         0
  c/eu               1.300   1.200     0.100         2
  total              1.450   1.200     0.250         2
all hosts            1.550   1.200     0.350         3
clock source  web-1: clockbound+adjtimex, web-2: adjtimex

TABLE
same "$WORK/want.txt" "--by-host clock table"
report --file "$A" --file "$B" --by-host --json || fail "--by-host --json exit status $?"
hsel() { row ".hosts[] | select(.host==\"$1\") | $CLOCK"; }
[ "$(hsel web-1)" = '[400,350,750,false,1,["clockbound","adjtimex"]]' ] || fail "web-1: $(hsel web-1)"
[ "$(hsel web-2)" = '[1200,250,1450,false,2,["adjtimex"]]' ] || fail "web-2: $(hsel web-2)"
[ "$(row ".topics[] | select(.host==\"web-2\" and .topic==\"eu\") | $CLOCK")" = '[1200,100,1300,false,2,["adjtimex"]]' ] ||
    fail "web-2 eu: $(row '.topics')"
[ "$(row ".total | $CLOCK")" = '[1200,350,1550,false,3,["clockbound","adjtimex"]]' ] || fail "total: $(row .total)"
pass "--by-host: each host's bounds and sources, the grand total unchanged"

# the window: bounds outside it are not the window's
TZ=UTC0 LC_ALL=C report --file "$A" --since $T3 || fail "--since exit status $?"
cat >"$WORK/want.txt" <<'TABLE'
clock (ms)         +-bound    host publisher    skewed
c/eu               0.400+?   0.400         -         0
total              0.400+?   0.400         -         0
clock source  web-1: adjtimex

TABLE
same "$WORK/want.txt" "--since clock table"
pass "a window's own bounds and sources"

# summaries of older daemons only: no clock table, the JSON's members unknown
jq -c 'select(.clock_source == null)' "$A" >"$WORK/old.jsonl"
TZ=UTC0 LC_ALL=C report --file "$WORK/old.jsonl" || fail "old summaries exit status $?"
[ ! -s "$WORK/report.err" ] || fail "old summaries: stderr: $(cat "$WORK/report.err")"
! grep -q '^clock' "$WORK/report.out" || fail "old summaries: a clock table: $(cat "$WORK/report.out")"
grep -q '^counts ' "$WORK/report.out" || fail "old summaries: $(cat "$WORK/report.out")"
report --file "$WORK/old.jsonl" --json || fail "old summaries --json exit status $?"
[ "$(row ".total | $CLOCK")" = '[null,null,null,false,0,[]]' ] || fail "old total: $(row .total)"
pass "older daemons' summaries: unknown, never damaged, no clock table"

# clock fields that are not what the daemon writes: the summary is damaged
{
    summary $T1 web-1 eu "$(clock chrony 350 200 0)" '500*10'
    summary $T1 web-1 eu '{"clock_bound_us": "wide"}' '500*10'
    summary $T1 web-1 eu "$(clock clockbound 350 200 2)" '500*9' '-1000*1'
    summary $T2 web-1 eu "$(clock clockbound 350 200 0)" '500*10'
} >"$WORK/bad.jsonl"
report --file "$WORK/bad.jsonl" --json || fail "bad fields exit status $?"
E=$WORK/report.err
grep -qxF "momento-latency-report: skipped 3 damaged records:" "$E" || fail "bad fields: $(cat "$E")"
grep -qxF "  $WORK/bad.jsonl:1: summary: field clock_source: \"chrony\" is neither clockbound nor adjtimex" "$E" ||
    fail "clock_source: $(cat "$E")"
grep -qxF "  $WORK/bad.jsonl:2: summary: field clock_bound_us: \"wide\" is not a whole number" "$E" ||
    fail "clock_bound_us: $(cat "$E")"
grep -qxF "  $WORK/bad.jsonl:3: summary: skewed is 2, but negative is 1: a skewed latency is negative" "$E" ||
    fail "skewed: $(cat "$E")"
[ "$(row ".total | $CLOCK")" = '[350,200,550,false,0,["clockbound"]]' ] || fail "bad fields total: $(row .total)"
pass "a clock field the daemon does not write: damaged, named"
