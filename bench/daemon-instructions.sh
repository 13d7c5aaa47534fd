#!/bin/bash
# daemon-instructions.sh - user-space instructions momento-subscriberd executes
# per message received, and where they go, counted by callgrind. Unlike CPU
# time, the count hardly depends on the machine's load, so it shows the effect
# of a change to the daemon's receive path even on a busy machine.
#
#   bench/daemon-instructions.sh BUILDDIR [COUNT [RATE]]   (default 2000 at 200/s)
#
# Runs the daemon (logging.messages: none, or $MESSAGES: MESSAGES=all counts
# the per-message JSON events too, written to a file; MESSAGE_BUDGET=N sets
# logging.message_budget, whose default of 100 a second logs half of the
# messages at 200/s) under valgrind --tool=callgrind
# twice against momento-topics-local for the same time: once idle, once while
# momento-publish sends COUNT seed messages at RATE. The difference, divided
# by COUNT, is the cost of a message: gRPC (all its threads), the loop, decoding,
# the histogram. LOCAL_ARGS are passed to momento-topics-local (e.g.
# LOCAL_ARGS="--publisher-id pub-a" for items that carry a publisher id).
# CLOCK_SOURCE=clockbound|adjtimex sets clock.source; with clockbound a
# segment in the run's directory is kept fresh by tests/tools/clockbound-write
# (from BUILDDIR), as ClockBound's daemon would.
# PUB_ARGS are passed to momento-publish (e.g. "--clock-source none": payloads
# without clock_error_us, as before it was written).
# Prints the total per message and the inclusive cost per
# message of the functions that matter most (gRPC internals show as addresses
# where the library has no symbols). Keep RATE low: callgrind slows the daemon
# some 50 times, and a daemon that falls behind reads several messages per
# wakeup, which makes a message look cheaper than it is at that rate.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: daemon-instructions.sh BUILDDIR [COUNT [RATE]]" >&2
    exit 64
fi
B=$(cd "$1" && pwd)
COUNT=${2:-2000}
RATE=${3:-200}
for v in "$COUNT" "$RATE"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "daemon-instructions: \"$v\" is not a positive integer" >&2; exit 64; }
done
for t in valgrind callgrind_annotate jq; do
    command -v "$t" >/dev/null || { echo "daemon-instructions: $t not found" >&2; exit 1; }
done
LOCAL=$B/src/momento-topics-local
DAEMON=$B/src/momento-subscriberd
PUB=$B/src/momento-publish
for p in "$LOCAL" "$DAEMON" "$PUB"; do
    [ -x "$p" ] || { echo "daemon-instructions: $p is not built" >&2; exit 1; }
done
SECS=$(((COUNT + RATE - 1) / RATE))

source "$(dirname "$0")/lib.sh"
bench_init daemon-instructions

# shellcheck disable=SC2086 # LOCAL_ARGS: words
"$LOCAL" --listen 127.0.0.1:0 --port-file "$WORK/port" ${LOCAL_ARGS:-} >/dev/null 2>"$WORK/local.err" &
PIDS+=($!)
wait_for 20 test -s "$WORK/port" || die "momento-topics-local did not start"
PORT=$(cat "$WORK/port")
cat >"$WORK/subscriber.yaml" <<EOF
momento:
  endpoint_override: 127.0.0.1:$PORT
  tls: false
subscriptions:
  - cache: bench
    topic: instructions
logging:
  messages: ${MESSAGES:-none}
  summary_interval: 1h
${MESSAGE_BUDGET:+  message_budget: $MESSAGE_BUDGET}
EOF
case "${CLOCK_SOURCE:-}" in
'') ;;
adjtimex) printf 'clock:\n  source: adjtimex\n' >>"$WORK/subscriber.yaml" ;;
clockbound)
    [ -x "$B/tests/tools/clockbound-write" ] || die "tests/tools/clockbound-write is not built (make check builds it)"
    "$B/tests/tools/clockbound-write" "$WORK/shm0" --bound-ns 350000 --follow 0 &
    PIDS+=($!)
    wait_for 10 test -s "$WORK/shm0" || die "no ClockBound segment"
    printf 'clock:\n  source: clockbound\n  clockbound_path: %s\n' "$WORK/shm0" >>"$WORK/subscriber.yaml"
    ;;
*) die "CLOCK_SOURCE \"$CLOCK_SOURCE\": expected clockbound or adjtimex" ;;
esac

# run NAME N : the daemon under callgrind while N messages are published (0:
# just as long idle); leaves WORK/NAME.out (callgrind) and WORK/NAME.jsonl
run() {
    local name=$1 n=$2
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" \
        "$DAEMON" -c "$WORK/subscriber.yaml" --log-format json >"$WORK/$name.jsonl" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 60 grep -qs '"event":"subscribed"' "$WORK/$name.jsonl" || die "the daemon did not subscribe ($name)"
    if [ "$n" -gt 0 ]; then
        # shellcheck disable=SC2086 # PUB_ARGS: words
        "$PUB" -c bench -t instructions -r "$RATE" -n "$n" --endpoint-override "127.0.0.1:$PORT" ${PUB_ARGS:-} \
            --insecure -q || die "momento-publish failed"
    else
        sleep "$SECS"
    fi
    # drained: the daemon's CPU time stopped moving for a second
    local last='' idle=0 t
    for _ in $(seq 300); do
        sleep 0.25
        t=$(ticks "$pid")
        if [ "$t" = "$last" ]; then idle=$((idle + 1)); else idle=0; fi
        last=$t
        [ $idle -lt 4 ] || break
    done
    kill -USR1 "$pid"
    wait_for 30 grep -qs '"event":"summary"' "$WORK/$name.jsonl" || die "no summary ($name)"
    kill -TERM "$pid"
    wait "$pid" || die "the daemon exited with status $? ($name)"
    callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$WORK/$name.out" >"$WORK/$name.txt" 2>/dev/null
}

run idle 0
run busy "$COUNT"
got=$(grep '"event":"summary"' "$WORK/busy.jsonl" | grep '"cache":"bench"' | head -1 | jq .count)
[ "$got" = "$COUNT" ] || die "the daemon counted $got messages of $COUNT"

# "Ir (pct) file:function [object]" lines, keyed by function, both runs
awk -v n="$COUNT" '
    FNR == 1 { run++ }
    $1 ~ /^[0-9,]+$/ && NF >= 3 {
        v = $1; gsub(",", "", v)
        key = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", key)
        if ($0 ~ /PROGRAM TOTALS/) key = "PROGRAM TOTALS"
        if (run == 1) idle[key] = v; else busy[key] = v
    }
    END {
        for (k in busy) {
            d = (busy[k] - idle[k]) / n
            if (d >= 50) printf "%9.0f  %s\n", d, k
        }
    }' "$WORK/idle.txt" "$WORK/busy.txt" | sort -rn >"$WORK/per-message.txt"
total=$(awk '/PROGRAM TOTALS/ { print $1 }' "$WORK/per-message.txt")
echo "momento-subscriberd: $total instructions per message ($COUNT seed messages at $RATE/s, messages: ${MESSAGES:-none}${MESSAGE_BUDGET:+, message_budget: $MESSAGE_BUDGET}${CLOCK_SOURCE:+, clock.source: $CLOCK_SOURCE}; callgrind, all threads)"
echo "inclusive instructions per message, by function (>= 50):"
grep -v -e "PROGRAM TOTALS" -e "below main" -e "libc_start" -e "ld-linux" "$WORK/per-message.txt" |
    sed -E -e 's| \[/[^]]*/([^/]+)\]$| [\1]|' -e 's|  /[^ ]*/(src/[a-z]+/[^/ ]+:)|  \1|' | head -"${TOP:-40}"
