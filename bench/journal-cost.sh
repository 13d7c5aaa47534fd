#!/bin/bash
# journal-cost.sh - what per-message events cost once they go to the journal:
# the CPU time of momento-subscriberd and of journald per message received,
# with logging.messages: none, with messages: all under the default budget
# (100 events a second) and with messages: all and no budget in the way.
#
#   bench/journal-cost.sh BUILDDIR [REPEATS]     (default 3)
#
# RATES (default "1000 5000") messages/s for SECONDS (default 10) each; MODES
# (default "none budget all") picks the configurations. Prints one row per
# run and then the medians.
#
# The journald is one of our own, so that its CPU time is ours to read and
# the journald of the machine (and whoever else uses it) is left alone: the
# script runs in a mount namespace of its own (unshare -m) with fresh tmpfs
# mounts on /run/systemd/journal, /run/log/journal and /var/log/journal and
# a journald.conf of its own (Storage=volatile, no rate limit, no kernel or
# audit messages read, nothing forwarded), starts systemd-journald there, and
# the daemon's records reach it through /run/systemd/journal/socket as they
# would reach the system's. Needs root.
#
# Per run: momento-topics-local on a free port, the daemon with --log-format
# journal subscribed to bench/journal; after 2 s,
#   momento-publish -r RATE -n RATE*SECONDS
# then wait until the daemon and journald are idle (their CPU time stops
# moving for a second); their CPU time from the start of publishing (from
# /proc/PID/stat, clock ticks) per message; the message records in the
# journal; the daemon's summary (SIGUSR1) must count every message.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: journal-cost.sh BUILDDIR [REPEATS]" >&2
    exit 64
fi
B=$(cd "$1" && pwd)
REPEATS=${2:-3}
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "journal-cost: \"$REPEATS\" is not a positive integer" >&2; exit 64; }
RATES=${RATES:-1000 5000}
SECS=${SECONDS_:-10}
MODES=${MODES:-none budget all}
[ "$(id -u)" = 0 ] || { echo "journal-cost: needs root (a mount namespace and a journald of its own)" >&2; exit 1; }
JD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do [ -x "$j" ] && JD=$j && break; done
[ -n "$JD" ] || { echo "journal-cost: systemd-journald is not installed" >&2; exit 1; }
for t in journalctl jq unshare; do
    command -v "$t" >/dev/null || { echo "journal-cost: $t not found" >&2; exit 1; }
done

if [ "${MO_JOURNAL_COST_NS:-}" != 1 ]; then
    exec unshare --mount --propagation private env MO_JOURNAL_COST_NS=1 "$0" "$@"
fi

LOCAL=$B/src/momento-topics-local
DAEMON=$B/src/momento-subscriberd
PUB=$B/src/momento-publish
for p in "$LOCAL" "$DAEMON" "$PUB"; do
    [ -x "$p" ] || { echo "journal-cost: $p is not built" >&2; exit 1; }
done
HZ=$(getconf CLK_TCK)
source "$(dirname "$0")/lib.sh"
bench_init journal-cost

# ---- our own journald, in this mount namespace only ----
for d in /run/systemd/journal /run/log/journal /var/log/journal; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done
cat >"$WORK/journald.conf" <<EOF
[Journal]
Storage=volatile
RuntimeMaxUse=1G
RateLimitIntervalSec=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
EOF
mount --bind "$WORK/journald.conf" /etc/systemd/journald.conf
"$JD" >"$WORK/journald.out" 2>"$WORK/journald.err" &
JPID=$!
PIDS+=("$JPID")
wait_for 10 test -S /run/systemd/journal/socket || die "journald did not start"

"$LOCAL" --listen 127.0.0.1:0 --port-file "$WORK/port" >/dev/null 2>"$WORK/local.err" &
PIDS+=($!)
wait_for 20 test -s "$WORK/port" || die "momento-topics-local did not start"
PORT=$(cat "$WORK/port")

us_per() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }
records() { journalctl -q --no-pager _PID="$1" "$2" 2>/dev/null | wc -l; }
has_records() { [ "$(records "$1" "$2")" -ge "$3" ]; }

# run MODE RATE : one measurement; WORK/row gets "MODE RATE received logged dticks jticks"
run() {
    local mode=$1 rate=$2 n=$(($2 * SECS)) messages=all budget=1000000
    case $mode in none) messages=none ;; budget) budget=100 ;; esac
    cat >"$WORK/subscriber.yaml" <<EOF
momento:
  endpoint_override: 127.0.0.1:$PORT
  tls: false
subscriptions:
  - cache: bench
    topic: journal
logging:
  messages: $messages
  message_budget: $budget
  summary_interval: 1h
EOF
    "$DAEMON" -c "$WORK/subscriber.yaml" --log-format journal >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 20 has_records "$pid" EVENT=subscribed 1 || die "the daemon did not subscribe"
    sleep 2
    local d0 j0 d1 j1
    d0=$(ticks "$pid") j0=$(ticks "$JPID")
    "$PUB" -c bench -t journal -r "$rate" -n "$n" --endpoint-override "127.0.0.1:$PORT" --insecure -q ||
        die "momento-publish failed"
    local last='' idle=0 t
    for _ in $(seq 600); do
        sleep 0.25
        t="$(ticks "$pid") $(ticks "$JPID")"
        if [ "$t" = "$last" ]; then idle=$((idle + 1)); else idle=0; fi
        last=$t
        [ $idle -lt 4 ] || break
    done
    d1=$(ticks "$pid") j1=$(ticks "$JPID")
    kill -USR1 "$pid"
    wait_for 20 has_records "$pid" EVENT=summary 2 || die "no summary"
    local got
    got=$(journalctl -q --no-pager -o json _PID="$pid" EVENT=summary CACHE=bench | jq -s 'map(.COUNT | tonumber) | add')
    [ "$got" = "$n" ] || die "the daemon counted $got messages of $n ($mode at $rate/s)"
    local logged
    logged=$(records "$pid" EVENT=message)
    kill -TERM "$pid"
    wait "$pid" || die "the daemon exited with status $?"
    echo "$mode $rate $got $logged $((d1 - d0)) $((j1 - j0))" >"$WORK/row"
}

printf '%-7s %6s %8s %8s %9s %9s %9s %9s %7s  %s\n' mode rate received logged \
    "daemon s" "µs/msg" "jrnld s" "µs/msg" total load
for _ in $(seq "$REPEATS"); do
    for rate in $RATES; do
        for mode in $MODES; do
            load=$(cut -d' ' -f1-3 /proc/loadavg)
            run "$mode" "$rate"
            read -r m r got logged dt jt <"$WORK/row"
            cat "$WORK/row" >>"$WORK/rows"
            printf '%-7s %6s %8s %8s %9.2f %9s %9.2f %9s %7s  %s\n' "$m" "$r" "$got" "$logged" \
                "$(awk -v t="$dt" -v hz="$HZ" 'BEGIN { print t / hz }')" "$(us_per "$dt" "$got")" \
                "$(awk -v t="$jt" -v hz="$HZ" 'BEGIN { print t / hz }')" "$(us_per "$jt" "$got")" \
                "$(us_per $((dt + jt)) "$got")" "$load"
        done
    done
done
echo
echo "medians of $REPEATS, CPU µs per message received:"
printf '%-7s %6s %8s %9s %9s %9s\n' mode rate logged daemon journald total
for rate in $RATES; do
    for mode in $MODES; do
        awk -v m="$mode" -v r="$rate" -v hz="$HZ" '
            $1 == m && $2 == r { n++; lg[n] = $4; d[n] = $5 / hz * 1e6 / $3; j[n] = $6 / hz * 1e6 / $3; s[n] = d[n] + j[n] }
            function med(a, n,   i, k, t) {
                for (i = 2; i <= n; i++) for (k = i; k > 1 && a[k - 1] > a[k]; k--) { t = a[k]; a[k] = a[k - 1]; a[k - 1] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            END { if (n) printf "%-7s %6s %8d %9.1f %9.1f %9.1f\n", m, r, med(lg, n), med(d, n), med(j, n), med(s, n) }' \
            "$WORK/rows"
    done
done
