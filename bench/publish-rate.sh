#!/bin/bash
# publish-rate.sh - how fast momento-publish can publish through momento-topics-local
# on this machine, with a subscriber attached, and what it costs in CPU.
#
#   bench/publish-rate.sh [BUILDDIR]        (default: the current directory)
#
# Environment: RATE (default 50000 msg/s), COUNT (default 10 s worth of RATE),
# PUBLISH_ARGS (extra momento-publish options, e.g. "--connections 1 --size 512"),
# SUBSCRIBERS (default 1; 0 for none).
#
# It starts the server on a free loopback port, the subscribers (tests/tools/probe,
# output counted, not kept), then runs
#   momento-publish -r RATE -n COUNT --endpoint-override ... --insecure $PUBLISH_ARGS
# and prints the closing line, the achieved rate, what each subscriber received,
# and the CPU time of every process (and its share of one core over the run).
set -euo pipefail

B=$(cd "${1:-.}" && pwd)
PUB=$B/src/momento-publish
LOCAL=$B/src/momento-topics-local
PROBE=$B/tests/tools/probe
for p in "$PUB" "$LOCAL" "$PROBE"; do
    [ -x "$p" ] || { echo "publish-rate: $p is not built (make src/momento-publish src/momento-topics-local tests/tools/probe)" >&2; exit 1; }
done
RATE=${RATE:-50000}
COUNT=${COUNT:-$((RATE * 10))}
SUBSCRIBERS=${SUBSCRIBERS:-1}
source "$(dirname "$0")/lib.sh"
bench_init publish-rate

# children_cpu FILE : user + system seconds of the finished children, from the
# output of bash `times` (its 2nd line) saved in FILE
children_cpu() {
    tail -1 "$1" | awk '{ split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
HZ=$(getconf CLK_TCK)

"$LOCAL" --listen 127.0.0.1:0 --port-file "$WORK/port" --replay 16 >"$WORK/local.out" 2>&1 &
LOCAL_PID=$!
PIDS+=("$LOCAL_PID")
for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
[ -s "$WORK/port" ] || { echo "publish-rate: momento-topics-local did not start" >&2; exit 1; }
PORT=$(cat "$WORK/port")

SUB_PIDS=()
for i in $(seq 1 "$SUBSCRIBERS"); do
    # The probe exits 0 once it has COUNT items (2 on its timeout); its output is
    # not kept. The subshell reports the probe's CPU time when it is done.
    (
        rc=0
        "$PROBE" subscribe --target "127.0.0.1:$PORT" --cache bench --topic rate --count "$COUNT" \
            --timeout 120s >/dev/null 2>"$WORK/sub$i.err" &
        echo $! >"$WORK/sub$i.pid"
        wait $! || rc=$?
        echo $rc >"$WORK/sub$i.rc"
        times >"$WORK/sub$i.times"
    ) &
    SUB_PIDS+=($!)
    PIDS+=($!)
done
sleep 1 # let the streams open (their heartbeat arrives at once)

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "running: momento-publish -r $RATE -n $COUNT ${PUBLISH_ARGS:-} ($SUBSCRIBERS subscriber(s))"
l0=$(ticks "$LOCAL_PID")
times >"$WORK/pub.times0"
t0=$(date +%s%N)
rc=0
# shellcheck disable=SC2086
"$PUB" -c bench -t rate -r "$RATE" -n "$COUNT" --endpoint-override "127.0.0.1:$PORT" --insecure \
    ${PUBLISH_ARGS:-} >"$WORK/pub.out" 2>"$WORK/pub.err" || rc=$?
t1=$(date +%s%N)
l1=$(ticks "$LOCAL_PID")
times >"$WORK/pub.times1"
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')

echo "momento-publish exit status $rc"
cat "$WORK/pub.out"
[ ! -s "$WORK/pub.err" ] || { echo "stderr:"; head -5 "$WORK/pub.err"; }
achieved=$(sed -nE 's/.*\(([0-9]+) msg\/s, target.*/\1/p' "$WORK/pub.out")
echo "achieved: ${achieved:-?} msg/s of $RATE asked"

# the subscribers stop by themselves at COUNT items (or at their timeout)
published=$(sed -nE 's/^published ([0-9]+) messages.*/\1/p' "$WORK/pub.out")
if [ "$SUBSCRIBERS" -gt 0 ]; then
    if [ "${published:-0}" != "$COUNT" ]; then # they would wait for their timeout
        for i in $(seq 1 "$SUBSCRIBERS"); do kill "$(cat "$WORK/sub$i.pid")" 2>/dev/null || true; done
    fi
    wait "${SUB_PIDS[@]}" 2>/dev/null || true
fi
for i in $(seq 1 "$SUBSCRIBERS"); do
    if [ "$(cat "$WORK/sub$i.rc")" = 0 ]; then
        echo "subscriber $i received all $COUNT items"
    else
        echo "subscriber $i did not receive all $COUNT items (probe exit $(cat "$WORK/sub$i.rc"))"
    fi
done

pct() { awk -v s="$1" -v w="$wall" 'BEGIN { printf "%.2f s CPU (%.0f%% of one core)", s, 100 * s / w }'; }
echo "wall time of the publish run: $wall s"
echo "CPU momento-publish:      $(pct "$(awk -v a="$(children_cpu "$WORK/pub.times0")" \
    -v b="$(children_cpu "$WORK/pub.times1")" 'BEGIN { print b - a }')")"
echo "CPU momento-topics-local: $(pct "$(awk -v d=$((l1 - l0)) -v hz="$HZ" 'BEGIN { print d / hz }')")"
for i in $(seq 1 "$SUBSCRIBERS"); do
    echo "CPU subscriber $i (probe, whole life): $(pct "$(children_cpu "$WORK/sub$i.times")")"
done
exit $rc
