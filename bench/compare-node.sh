#!/bin/bash
# compare-node.sh - momento-subscriberd against the official Momento Node.js SDK
# as latency subscribers of the same topic: what each measures, and what each
# costs in CPU and memory.
#
#   bench/compare-node.sh [--only daemon|node] [--settle S] BUILDDIR [RATE [SECONDS]]
#
# RATE messages/s (default 1000) for SECONDS (default 10). The build directory
# needs src/momento-topics-local, src/momento-subscriberd, src/momento-publish
# and the pinned SDK (`make interop-deps` there, which fills
# BUILDDIR/tests/interop/node_modules; MO_NODE_MODULES=DIR/node_modules
# points elsewhere).
#
# Without --only, both subscribers run at the same time on the same topic, so
# they see the same messages at the same moments (and compete for the same 2
# cores with the server and the publisher). `--only daemon` and `--only node`
# run one of them alone, so that neither disturbs the other's figures.
#
# --settle S (default 7) waits S seconds after both are subscribed before
# publishing. The Node.js SDK (1.118.1) gives the first Subscribe call of a
# subscription a 5 s gRPC deadline, so its first stream ends after 5 s and it
# resubscribes about 0.5 s later, receiving what was published in between late
# (from the server's replay buffer): with --settle 0 that one-off gap shows as
# Node latencies of up to ~500 ms (and "reconnects 1"); the default measures
# the steady state after it.
#
# Steps: start momento-topics-local on a free loopback port; start the daemon
# (logging.messages: none, JSON events to a file, summary_interval 1h) and
# bench/node-subscriber.js, and wait until both are subscribed; run
#   momento-publish -c bench -t compare -r RATE -n RATE*SECONDS
# wait until both subscribers are idle again (their CPU time stops moving:
# a backlog is drained); read CPU time and peak RSS; ask the daemon for a
# summary (SIGUSR1, which covers everything since it started); stop everything
# (SIGTERM) and print one row per subscriber:
#   received     messages each one counted
#   min..max     latency percentiles in µs as each measured them: the daemon
#                from its histogram (≤1% error), the Node subscriber exactly
#   CPU s        user+system CPU time from the start of publishing until
#                drained (from /proc/PID/stat, in clock ticks of CLK_TCK)
#   µs/msg       that CPU time per message received
#   start CPU s  CPU time spent before publishing began (start-up, subscribe,
#                settling)
#   RSS MiB      peak resident set size (VmHWM) before stopping
# plus the publisher's closing line and the CPU time of the server and the
# publisher over the same window, for context.
#
# RESULTS=FILE appends one JSON line per subscriber to FILE (see
# bench/compare-matrix.sh, which runs a series and prints medians).
set -euo pipefail

usage() {
    echo "usage: compare-node.sh [--only daemon|node] [--settle S] BUILDDIR [RATE [SECONDS]]" >&2
    exit 64
}
ONLY=
SETTLE=7
while [ $# -gt 0 ]; do
    case $1 in
    --only)
        [ $# -ge 2 ] || usage
        ONLY=$2
        case $ONLY in daemon | node) ;; *)
            echo "compare-node: --only takes daemon or node, not \"$ONLY\"" >&2
            exit 64
            ;;
        esac
        shift 2
        ;;
    --settle)
        [ $# -ge 2 ] || usage
        SETTLE=$2
        [[ $SETTLE =~ ^[0-9]+$ ]] || { echo "compare-node: --settle takes whole seconds, not \"$SETTLE\"" >&2; exit 64; }
        shift 2
        ;;
    -*) usage ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ] || [ $# -gt 3 ]; then usage; fi
B=$(cd "$1" && pwd)
RATE=${2:-1000}
SECONDS_=${3:-10}
for v in "$RATE" "$SECONDS_"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "compare-node: \"$v\" is not a positive integer" >&2; exit 64; }
done
COUNT=$((RATE * SECONDS_))
HERE=$(cd "$(dirname "$0")" && pwd)
LOCAL=$B/src/momento-topics-local
DAEMON=$B/src/momento-subscriberd
PUB=$B/src/momento-publish
NODE_SUB=$HERE/node-subscriber.js
MODULES=${MO_NODE_MODULES:-$B/tests/interop/node_modules}
for p in "$LOCAL" "$DAEMON" "$PUB"; do
    [ -x "$p" ] || { echo "compare-node: $p is not built" >&2; exit 1; }
done
if [ "$ONLY" != daemon ]; then
    command -v node >/dev/null || { echo "compare-node: node not found" >&2; exit 1; }
    [ -d "$MODULES/@gomomento/sdk" ] || {
        echo "compare-node: no @gomomento/sdk in $MODULES (run \`make interop-deps\` in $B)" >&2
        exit 1
    }
fi
HZ=$(getconf CLK_TCK)

source "$(dirname "$0")/lib.sh"
bench_init compare-node
secs() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'; }

"$LOCAL" --listen 127.0.0.1:0 --port-file "$WORK/port" >"$WORK/local.out" 2>"$WORK/local.err" &
LOCAL_PID=$!
PIDS+=("$LOCAL_PID")
wait_for 20 test -s "$WORK/port" || die "momento-topics-local did not start"
PORT=$(cat "$WORK/port")

WHO=()
if [ "$ONLY" != node ]; then
    cat >"$WORK/subscriber.yaml" <<EOF
momento:
  endpoint_override: 127.0.0.1:$PORT
  tls: false
subscriptions:
  - cache: bench
    topic: compare
logging:
  messages: none
  summary_interval: 1h
EOF
    "$DAEMON" -c "$WORK/subscriber.yaml" --log-format json >"$WORK/daemon.jsonl" 2>"$WORK/daemon.err" &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    WHO+=(daemon)
fi
if [ "$ONLY" != daemon ]; then
    NODE_PATH=$MODULES node "$NODE_SUB" --port "$PORT" --cache bench --topic compare \
        --ready "$WORK/node.ready" >"$WORK/node.json" 2>"$WORK/node.err" &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    WHO+=(node)
fi
pid_of() { if [ "$1" = daemon ]; then echo "$DAEMON_PID"; else echo "$NODE_PID"; fi; }
if [ "$ONLY" != node ]; then
    wait_for 30 grep -qs '"event":"subscribed"' "$WORK/daemon.jsonl" || die "the daemon did not subscribe"
fi
if [ "$ONLY" != daemon ]; then
    wait_for 60 test -e "$WORK/node.ready" || die "the Node subscriber did not subscribe"
fi

sleep "$SETTLE"

declare -A T0 T1
for w in "${WHO[@]}"; do T0[$w]=$(ticks "$(pid_of "$w")"); done
L0=$(ticks "$LOCAL_PID")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s%N)
"$PUB" -c bench -t compare -r "$RATE" -n "$COUNT" --endpoint-override "127.0.0.1:$PORT" --insecure \
    >"$WORK/pub.out" 2>"$WORK/pub.err" &
PUB_PID=$!
PIDS+=("$PUB_PID")
# the publisher's CPU time is read just before it exits: poll while it runs
PUB_TICKS=0
while kill -0 "$PUB_PID" 2>/dev/null; do
    t=$(ticks "$PUB_PID" 2>/dev/null) && PUB_TICKS=$t
    sleep 0.1
done
PUB_RC=0
wait "$PUB_PID" || PUB_RC=$?
[ "$PUB_RC" = 0 ] || die "momento-publish failed (exit $PUB_RC): $(head -3 "$WORK/pub.err")"

# Drained when no subscriber's CPU time moved for 0.6 s (at 100 Hz ticks a
# subscriber still working through a backlog gains ~60 ticks in that time).
idle=0
last=
for _ in $(seq 600); do
    sleep 0.2
    now=
    for w in "${WHO[@]}"; do now+="$(ticks "$(pid_of "$w")") "; done
    if [ "$now" = "$last" ]; then idle=$((idle + 1)); else idle=0; fi
    last=$now
    [ $idle -lt 3 ] || break
done
END=$(date +%s%N)
for w in "${WHO[@]}"; do T1[$w]=$(ticks "$(pid_of "$w")"); done
L1=$(ticks "$LOCAL_PID")
declare -A RSS
for w in "${WHO[@]}"; do RSS[$w]=$(hwm_kb "$(pid_of "$w")"); done

declare -A RES
if [ "$ONLY" != node ]; then
    kill -USR1 "$DAEMON_PID"
    wait_for 10 grep -qs '"event":"summary".*"cache":"bench"' "$WORK/daemon.jsonl" ||
        die "the daemon printed no summary on SIGUSR1"
    RES[daemon]=$(grep '"event":"summary"' "$WORK/daemon.jsonl" | grep '"cache":"bench"' | head -1 |
        jq -c '{count, min_us, p50_us, p90_us, p99_us, p999_us, max_us, gaps, duplicates, negative, decode_errors, reconnects}')
    kill -TERM "$DAEMON_PID"
    wait "$DAEMON_PID" || die "the daemon exited with status $?"
fi
if [ "$ONLY" != daemon ]; then
    kill -TERM "$NODE_PID"
    wait "$NODE_PID" || die "the Node subscriber exited with status $?"
    RES[node]=$(tail -1 "$WORK/node.json")
    jq -e .count <<<"${RES[node]}" >/dev/null 2>&1 || die "the Node subscriber printed no result"
fi

WALL=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
echo "$(nproc) CPUs, load average $LOAD before publishing; mode: ${ONLY:-both}, settle ${SETTLE} s"
cat "$WORK/pub.out"
printf '%-22s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s\n' subscriber received \
    "min" "p50" "p90" "p99" "p99.9" "max" "CPU s" "µs/msg" "start s" "RSS MiB"
for w in "${WHO[@]}"; do
    r=${RES[$w]}
    d=$((T1[$w] - T0[$w]))
    n=$(jq .count <<<"$r")
    per=$(awk -v d="$d" -v hz="$HZ" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "-" }')
    name=momento-subscriberd
    [ "$w" = daemon ] || name="node @gomomento/sdk"
    mapfile -t pct < <(jq -r '.min_us, .p50_us, .p90_us, .p99_us, .p999_us, .max_us' <<<"$r")
    printf '%-22s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s\n' "$name" "$n" "${pct[@]}" \
        "$(secs "$d")" "$per" "$(secs "${T0[$w]}")" "$(awk -v k="${RSS[$w]}" 'BEGIN { printf "%.1f", k / 1024 }')"
    extra=$(jq -r '[to_entries[] | select((.key | test("gaps|duplicates|negative|decode_errors|errors|discontinuities|reconnects")) and .value != 0) | "\(.key) \(.value)"] | join(", ")' <<<"$r")
    [ -z "$extra" ] || echo "    ($w: $extra)"
    if [ -n "${RESULTS:-}" ]; then
        jq -c --arg who "$w" --arg mode "${ONLY:-both}" --argjson rate "$RATE" --argjson secs "$SECONDS_" \
            --arg load "$LOAD" --argjson settle "$SETTLE" --argjson cpu "$(secs "$d")" --argjson start "$(secs "${T0[$w]}")" \
            --argjson rss "${RSS[$w]}" --argjson published "$COUNT" \
            '{who: $who, mode: $mode, rate: $rate, seconds: $secs, settle: $settle, published: $published, load: $load} + .
             + {cpu_s: $cpu, cpu_us_per_msg: (if .count > 0 then ($cpu * 1e6 / .count | floor) else null end),
                start_cpu_s: $start, rss_kb: $rss}' <<<"$r" >>"$RESULTS"
    fi
done
echo "context, over the same ${WALL} s: momento-topics-local $(secs $((L1 - L0))) s CPU, momento-publish $(secs "$PUB_TICKS") s CPU (whole life)"
