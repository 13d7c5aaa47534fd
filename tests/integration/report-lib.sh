# shellcheck shell=bash
# report-lib.sh - sourced by the momento-latency-report tests, after lib.sh.
#
#   REPORT                         the program under test (through $MO_WRAPPER)
#   report ARGS...                 run it; stdout in $WORK/report.out, stderr in
#                                  $WORK/report.err; returns its exit status
#   exact FILE FILTER              exact latency figures of the message events
#                                  in FILE (JSON lines) that match a jq filter:
#                                  {n,min,p50,p90,p99,p999,max}, rank ceil(q*n)
#   check_row LABEL ROW EXACT      a report row (JSON) against exact figures:
#                                  counts and extremes equal, percentiles within
#                                  the histogram's 1%
#   row FILTER                     the row of $WORK/report.out (--json) that a
#                                  jq filter selects, e.g. '.total'
#   fits_80 FILE                   no line of FILE is wider than 80 columns
#   hist_encode V*N...             the histogram encoding (src/lib/hist.h) of N
#                                  values V each (V integer microseconds), for
#                                  hand-written events
#   run_daemon NAME SUBS N PUBLISH a daemon with every message logged and 1 s
#                                  summaries; PUBLISH (a function) publishes N
#                                  messages, the daemon stops once they are in;
#                                  events in $WORK/NAME.out

REPORT="$BIN/momento-latency-report"

report() {
    local rc=0
    ${MO_WRAPPER:-} "$REPORT" "$@" >"$WORK/report.out" 2>"$WORK/report.err" || rc=$?
    return $rc
}

exact() {
    jq -s -c "[.[] | select($2) | .latency_us] | sort as \$v | (\$v | length) as \$n |
        def at(\$q): \$v[((\$n * \$q) | ceil) - 1];
        {n: \$n, min: \$v[0], p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999),
         max: \$v[\$n - 1]}" "$1"
}

check_row() {
    local label=$1 r=$2 x=$3
    jq -n -e --argjson r "$r" --argjson x "$x" '
        def abs: if . < 0 then -. else . end;
        def near($a; $b): (($a - $b) | abs) <= ($b | abs) * 0.01;
        $x.n > 0 and $r.measured == $x.n and $r.min_us == $x.min and $r.max_us == $x.max and
        near($r.p50_us; $x.p50) and near($r.p90_us; $x.p90) and near($r.p99_us; $x.p99) and
        near($r.p999_us; $x.p999)' >/dev/null || fail "$label: report $r, exact $x"
}

row() { jq -c "$1" "$WORK/report.out"; }

fits_80() {
    local w
    w=$(LC_ALL=C.UTF-8 wc -L <"$1")
    [ "$w" -le 80 ] || fail "$1 is $w columns wide: $(LC_ALL=C.UTF-8 awk 'length > 80' "$1" | head -3)"
}

# hist_key V: the bucket key of a value (mo_hist_key)
hist_key() {
    local v=$1 neg=0 m b
    if [ "$v" -lt 0 ]; then
        neg=1
        v=$((-v))
    fi
    if [ "$v" -lt 256 ]; then
        b=$v
    else
        m=0
        while [ $((v >> (m + 1))) -gt 0 ]; do m=$((m + 1)); done # floor(log2 v)
        m=$((m - 7))
        b=$((256 + (m - 1) * 128 + (v >> m) - 128))
    fi
    [ $neg = 1 ] && b=$((-(b + 1)))
    echo "$b"
}

hist_encode() {
    local item
    for item in "$@"; do
        echo "$(hist_key "${item%\**}") ${item#*\*}"
    done | sort -n | awk 'BEGIN { printf "h1" }
        { if (NR > 1 && $1 == key) { n += $2; next } if (NR > 1) { printf ",%d:%d", key - prev, n; prev = key }
          key = $1; n = $2 }
        END { if (NR) printf ",%d:%d", key - prev, n; printf "\n" }'
}

run_daemon() {
    local name=$1 subs=$2 expected=$3 publisher=$4
    write_daemon_config "$WORK/$name.yaml" "$subs" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s"
    start_daemon "$name" "$WORK/$name.yaml"
    local pid=$DAEMON_PID n
    n=$(grep -c 'topic:' <<<"$subs")
    wait_events 10 "$WORK/$name.out" '.event=="subscribed"' "$n" || fail "$name did not subscribe"
    "$publisher"
    # every message in, then the final summary at stop covers the rest
    wait_events 20 "$WORK/$name.out" '.event=="message" or .event=="decode_error"' "$expected" ||
        fail "$name: fewer than $expected messages arrived"
    stop "$pid" || fail "$name exit status"
    [ "$(count_events "$WORK/$name.out" '.event=="message" or .event=="decode_error"')" = "$expected" ] ||
        fail "$name: more than $expected messages"
}
