#!/bin/bash
# compare-matrix.sh - bench/compare-node.sh over several rates, with both
# subscribers together and each alone, RUNS times each; prints the median of
# every figure.
#
#   bench/compare-matrix.sh BUILDDIR [RUNS]          (default 3 runs)
#
# Environment: RATES (default "100 1000 5000"), MODES (default "both daemon
# node"), DURATION (seconds per run, default 10; rates below 1000/s run 30 s
# so that the CPU time, counted in 10 ms ticks, has enough of them),
# SETTLE (seconds between subscribing and publishing, default 7: see
# compare-node.sh), MAXLOAD (default 1.0): before each run, wait up to WAIT (default 180) seconds
# for the 1-minute load average to fall below it (runs of this script raise it
# too); the load at the start of each run is kept with its figures.
# RESULTS=FILE keeps the raw JSON lines (default: a temporary file).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: compare-matrix.sh BUILDDIR [RUNS]" >&2
    exit 64
fi
B=$1
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
RATES=${RATES:-100 1000 5000}
MODES=${MODES:-both daemon node}
MAXLOAD=${MAXLOAD:-1.0}
WAIT=${WAIT:-180}
OWN_RESULTS=
if [ -z "${RESULTS:-}" ]; then
    RESULTS=$(mktemp "${TMPDIR:-/tmp}/compare-matrix.XXXXXX")
    OWN_RESULTS=$RESULTS
fi
export RESULTS
trap '[ -z "$OWN_RESULTS" ] || rm -f "$OWN_RESULTS"' EXIT

quiet_enough() { awk -v m="$MAXLOAD" '{ exit !($1 < m) }' /proc/loadavg; }

for run in $(seq 1 "$RUNS"); do
    for rate in $RATES; do
        secs=${DURATION:-10}
        [ -n "${DURATION:-}" ] || [ "$rate" -ge 1000 ] || secs=30
        for mode in $MODES; do
            end=$((SECONDS + WAIT))
            until quiet_enough || [ $SECONDS -ge $end ]; do sleep 5; done
            only=()
            [ "$mode" = both ] || only=(--only "$mode")
            echo "== run $run, $rate msg/s for $secs s, $mode (load $(cut -d' ' -f1 /proc/loadavg))" >&2
            "$HERE/compare-node.sh" "${only[@]}" --settle "${SETTLE:-7}" "$B" "$rate" "$secs" >&2
        done
    done
done

echo "medians of $RUNS runs (latency in µs; CPU s from the start of publishing until drained)"
jq -rs '
  def median: sort | .[(length - 1) / 2 | floor];
  group_by([.rate, .mode, .who])
  | sort_by(.[0].rate, (.[0].mode | {"both": 0, "daemon": 1, "node": 2}[.]), .[0].who)
  | (["rate", "mode", "subscriber", "received", "p50", "p90", "p99", "p99.9", "max", "CPU s", "µs/msg", "RSS MiB", "loads"] | @tsv),
    (.[] | [.[0].rate, .[0].mode, (if .[0].who == "daemon" then "momento-subscriberd" else "node-sdk" end),
            (map(.count) | median), (map(.p50_us) | median), (map(.p90_us) | median),
            (map(.p99_us) | median), (map(.p999_us) | median), (map(.max_us) | median),
            (map(.cpu_s) | median), (map(.cpu_us_per_msg) | median),
            ((map(.rss_kb) | median) / 1024 * 10 | round / 10),
            (map(.load | split(" ")[0]) | join("/"))] | @tsv)
' "$RESULTS" | column -t -s $'\t'
