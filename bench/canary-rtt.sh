#!/bin/bash
# canary-rtt.sh - the canary's round trip through momento-topics-local over
# loopback, and how far it is above the floor: a bare publish-then-receive
# loop on the same gRPC code (BUILD/bench/rtt-floor, nothing of the daemon).
#
#   bench/canary-rtt.sh BUILDDIR
#
# RATES (default "10 100") probes a second, SECONDS_ (default 30) seconds of
# probes per run, REPEATS (default 1). Before each run it waits for the
# 1-minute load average to fall below MAXLOAD (default 1.0), at most WAIT
# seconds (default 600), and prints the load then.
#
# Per rate, each against a momento-topics-local of its own (default
# --heartbeat, 1 s):
#   floor   rtt-floor --rate R --seconds S: one Subscribe stream and one
#           publish channel, open-loop; each message timed from the start of
#           its publish to its receipt (p50..max), and also from its moment in
#           the schedule (due_p50..), the canary's definition;
#   canary  momento-subscriberd with one (idle) subscription and
#           `canary: {cache: bench, rate: R/s}`, `logging: {messages: none,
#           summary_interval: 10s}`, stopped (SIGTERM) S seconds after both
#           streams are subscribed; the histograms of all its `canary` events
#           (the final one included) merged by `rtt-floor merge`; the
#           per-interval rtt_p50_us / rtt_p99_us are listed too; and the
#           canary topic's `summary` histograms, merged the same way: each
#           probe's one-way latency from its `timestamp` (the real-time clock
#           read as the publish is built) to its receipt, on this one host:
#           the canary's counterpart of the floor's publish-start to receipt.
# Prints both and the differences: the canary's round trip minus the floor
# timed from the schedule (the same definition), and the canary's one-way
# latency minus the floor timed from the publish's start.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: canary-rtt.sh BUILDDIR" >&2
    exit 64
fi
B=$(cd "$1" && pwd)
RATES=${RATES:-10 100}
SECS=${SECONDS_:-30}
REPEATS=${REPEATS:-1}
for v in $RATES "$SECS" "$REPEATS"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "canary-rtt: \"$v\" is not a positive integer" >&2; exit 64; }
done
command -v jq >/dev/null || { echo "canary-rtt: jq not found" >&2; exit 1; }
LOCAL=$B/src/momento-topics-local
DAEMON=$B/src/momento-subscriberd
FLOOR=$B/bench/rtt-floor
for p in "$LOCAL" "$DAEMON" "$FLOOR"; do
    [ -x "$p" ] || { echo "canary-rtt: $p is not built" >&2; exit 1; }
done

source "$(dirname "$0")/lib.sh"
bench_init canary-rtt


# field LINE NAME : the number after NAME in an rtt-floor line
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"; }

subscribed() { [ "$(grep -c '"event":"subscribed"' "$WORK/daemon.jsonl")" -ge 2 ]; }

# floor RATE : one run of rtt-floor; WORK/floor.txt gets its line
floor() {
    start_local
    "$FLOOR" --target "127.0.0.1:$PORT" --rate "$1" --seconds "$SECS" >"$WORK/floor.txt" 2>"$WORK/floor.err" ||
        die "rtt-floor failed: $(cat "$WORK/floor.txt")"
    stop_local
}

# canary RATE : the daemon's canary; WORK/canary.txt gets the merged figures
# ("count N p50_us .."), WORK/intervals.txt the per-interval figures
canary() {
    start_local
    cat >"$WORK/subscriber.yaml" <<EOF
momento:
  endpoint_override: 127.0.0.1:$PORT
  tls: false
subscriptions:
  - cache: bench
    topic: idle
canary:
  cache: bench
  rate: $1/s
logging:
  messages: none
  summary_interval: 10s
EOF
    "$DAEMON" -c "$WORK/subscriber.yaml" --log-format json >"$WORK/daemon.jsonl" 2>"$WORK/daemon.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 30 subscribed || die "the daemon did not subscribe"
    sleep "$SECS"
    kill -TERM "$pid"
    wait "$pid" || die "the daemon exited with status $?"
    stop_local
    jq -r 'select(.event == "canary" and .histogram != null) | "\(.histogram) \(.rtt_min_us) \(.rtt_max_us)"' \
        "$WORK/daemon.jsonl" | "$FLOOR" merge >"$WORK/canary.txt" || die "cannot merge the canary's histograms"
    jq -r 'select(.event == "summary" and .topic == "momento-subscriber-canary" and .histogram != null)
           | "\(.histogram) \(.min_us) \(.max_us)"' "$WORK/daemon.jsonl" | "$FLOOR" merge >"$WORK/oneway.txt" ||
        die "cannot merge the canary topic's histograms"
    jq -r 'select(.event == "canary")
           | "\(.interval_s)s: sent \(.sent) received \(.received) lost \(.lost) rtt_p50_us \(.rtt_p50_us) rtt_p99_us \(.rtt_p99_us) rtt_max_us \(.rtt_max_us) publish_p50_us \(.publish_p50_us) schedule_lag_us \(.schedule_lag_us)"' \
        "$WORK/daemon.jsonl" >"$WORK/intervals.txt"
    jq -r 'select(.event == "canary") | "\(.sent_total) \(.received_total) \(.lost_total) \(.in_flight)"' \
        "$WORK/daemon.jsonl" | tail -1 >"$WORK/totals.txt"
}

echo "canary-rtt: $(nproc) CPUs; momento-topics-local on loopback; $SECS s of probes per run; µs"
for run in $(seq "$REPEATS"); do
    for rate in $RATES; do
        echo
        echo "== $rate/s, run $run"
        load=$(quiet)
        echo "floor: load $load"
        floor "$rate"
        f=$(cat "$WORK/floor.txt")
        echo "  $f"
        load=$(quiet)
        echo "canary: load $load"
        canary "$rate"
        c=$(cat "$WORK/canary.txt") o=$(cat "$WORK/oneway.txt")
        read -r sent recv lost inflight <"$WORK/totals.txt"
        echo "  sent $sent received $recv lost $lost in_flight $inflight"
        echo "  round trip, merged: $c"
        echo "  one-way, merged:    $o"
        sed 's/^/    /' "$WORK/intervals.txt"
        printf '  %-4s %14s %14s %8s   %14s %14s %8s\n' "" "canary rtt" "floor from due" "diff" "canary 1-way" "floor" "diff"
        for q in p50_us p99_us max_us; do
            cq=$(field "$c" "$q") dq=$(field "$f" "due_$q") oq=$(field "$o" "$q") fq=$(field "$f" "$q")
            printf '  %-4s %14s %14s %+8d   %14s %14s %+8d\n' "${q%_us}" "$cq" "$dq" $((cq - dq)) "$oq" "$fq" $((oq - fq))
        done
    done
done
