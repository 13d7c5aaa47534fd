#!/bin/bash
# canary-cost.sh - what the canary adds to momento-subscriberd: CPU and memory
# with 1 and 1000 subscriptions, the canary off, at 1/s and at 100/s; and the
# instructions one probe costs, counted by callgrind.
#
#   bench/canary-cost.sh BUILDDIR [SECONDS]     (default 60)
#
# SUBS (default "1 1000") subscriptions, CANARY (default "off 1 100": off,
# or probes a second), REPEATS (default 1; with more, the table has the
# medians), SETTLE (default 2) seconds between the last `subscribed` event and
# the start of the window; NATIVE=0 leaves these runs out, CALLGRIND=0 the
# instruction counts. Before each run it waits for the 1-minute load
# average to fall below MAXLOAD (default 1.0), at most WAIT seconds (default
# 600), and prints the load then.
#
# Per run, against a momento-topics-local of its own (default --heartbeat,
# 1 s, on every stream): the daemon subscribed to topics t0..tN-1 of cache
# bench, nothing published to them, `logging: {messages: none,
# summary_interval: 10s}`, and `canary: {cache: bench, rate: R/s}` unless
# off. Once every stream (the canary's too) is subscribed and SETTLE seconds
# have passed, the daemon's CPU time (user + system, all threads, from
# /proc/PID/stat in clock ticks of 1/CLK_TCK s) is read at the start and the
# end of a window of SECONDS, and the scheduler's run time of each of its
# threads (/proc/PID/task/*/schedstat, ns: the same time, finer); then its
# VmRSS and VmHWM. The canary's events must show every probe back. The table
# gives the CPU as % of one core (the ticks' "CPU %", the scheduler's
# "sched %"), the memory, and each against the canary off with as many
# subscriptions.
#
# Ticks are 10 ms: over 60 s one tick is 0.017% of a core, so at 1/s the
# difference is within a tick or two of noise (schedstat is finer, but the
# run-to-run noise of a shared VM is not). So, unless CALLGRIND=0, the
# daemon also runs under valgrind --tool=callgrind, with 1 subscription, its
# counts zeroed SETTLE s after subscribing and dumped CG_SECONDS (default 30)
# later (callgrind_control -z, -d: start-up and shutdown left out): once with
# the canary off, once at each of CG_RATES (default "1 100") probes a second;
# a summary (SIGUSR1) just before and after gives the probes in the window,
# and the canary's events must show none lost. The difference of the
# totals (all threads) against off is what the canary costs in all: its
# publishes, their way back on the canary's stream and that stream's
# heartbeats, gRPC's polling for all of it, its summaries; per second and per
# probe. The inclusive counts of the canary's own functions (canary/*.c:
# on_tick, on_publish_done, mo_canary_tap, mo_canary_summary, with the gRPC
# calls they make) are the part spent in its code. To turn instructions into
# CPU time, the rate of
# this machine is measured the same way: BUILD/bench/decode-bench 200000 run
# natively 5 times (user + system CPU time from bash's `time`; it varies with
# the host) and once under callgrind (its total instructions): a compute-bound
# rate, far higher than what the daemon's syscall-heavy path achieves, and
# callgrind sees no kernel work, so that extrapolation is a lower bound; the
# ticks above (user and system apart) are the measurement.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: canary-cost.sh BUILDDIR [SECONDS]" >&2
    exit 64
fi
B=$(cd "$1" && pwd)
SECS=${2:-60}
SUBS=${SUBS:-1 1000}
CANARY=${CANARY:-off 1 100}
REPEATS=${REPEATS:-1}
SETTLE=${SETTLE:-2}
CG_SECONDS=${CG_SECONDS:-30}
CG_RATES=${CG_RATES:-1 100}
for v in "$SECS" $SUBS "$REPEATS" "$CG_SECONDS" $CG_RATES; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "canary-cost: \"$v\" is not a positive integer" >&2; exit 64; }
done
for v in $CANARY; do
    [[ $v =~ ^(off|[1-9][0-9]*)$ ]] || { echo "canary-cost: CANARY: \"$v\" is neither off nor a rate" >&2; exit 64; }
done
command -v jq >/dev/null || { echo "canary-cost: jq not found" >&2; exit 1; }
if [ "${CALLGRIND:-1}" != 0 ]; then
    for t in valgrind callgrind_annotate callgrind_control; do
        command -v "$t" >/dev/null || { echo "canary-cost: $t not found (CALLGRIND=0 skips that part)" >&2; exit 1; }
    done
fi
LOCAL=$B/src/momento-topics-local
DAEMON=$B/src/momento-subscriberd
DECODE=$B/bench/decode-bench
for p in "$LOCAL" "$DAEMON" "$DECODE"; do
    [ -x "$p" ] || { echo "canary-cost: $p is not built" >&2; exit 1; }
done
HZ=$(getconf CLK_TCK)

source "$(dirname "$0")/lib.sh"
bench_init canary-cost


# config FILE N CANARY
config() {
    {
        printf 'momento:\n  endpoint_override: 127.0.0.1:%s\n  tls: false\nsubscriptions:\n' "$PORT"
        for i in $(seq 0 $(($2 - 1))); do printf '  - cache: bench\n    topic: t%d\n' "$i"; done
        [ "$3" = off ] || printf 'canary:\n  cache: bench\n  rate: %s/s\n' "$3"
        printf 'logging:\n  messages: none\n  summary_interval: 10s\n'
    } >"$1"
}

n_subscribed() { grep -c '"event":"subscribed"' "$1" || true; }
all_subscribed() { [ "$(n_subscribed "$1")" -ge "$2" ]; }

# user and system ticks apart
ut_st() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }
# the scheduler's run time of every thread, in µs (schedstat: ns)
sched_us() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.0f\n", t / 1000 }'; }

# run N CANARY : one measurement; WORK/row gets
# "N CANARY ticks rss_kib hwm_kib user_ticks system_ticks sched_us"
run() {
    local n=$1 canary=$2 streams=$1
    [ "$canary" = off ] || streams=$((n + 1))
    start_local
    config "$WORK/subscriber.yaml" "$n" "$canary"
    "$DAEMON" -c "$WORK/subscriber.yaml" --log-format json >"$WORK/daemon.jsonl" 2>"$WORK/daemon.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 120 all_subscribed "$WORK/daemon.jsonl" "$streams" ||
        die "the daemon subscribed $(n_subscribed "$WORK/daemon.jsonl") streams of $streams"
    sleep "$SETTLE"
    local u0 s0 u1 s1 rss hwm r0 r1 th0 th1
    th0=$(ls /proc/"$pid"/task | wc -l)
    read -r u0 s0 < <(ut_st "$pid")
    r0=$(sched_us "$pid")
    sleep "$SECS"
    read -r u1 s1 < <(ut_st "$pid")
    r1=$(sched_us "$pid")
    th1=$(ls /proc/"$pid"/task | wc -l)
    [ "$th0" = "$th1" ] || echo "    (threads: $th0 at the start of the window, $th1 at its end: the schedstat figure misses those that came or went)" >&2
    rss=$(rss_kb "$pid") hwm=$(hwm_kb "$pid")
    kill -TERM "$pid"
    wait "$pid" || die "the daemon exited with status $?"
    stop_local
    local reconnects
    reconnects=$(jq -s '[.[] | select(.event == "summary" and .cache == "*") | .reconnects] | add // 0' "$WORK/daemon.jsonl")
    [ "$reconnects" = 0 ] || die "$reconnects reconnects ($n subscriptions, canary $canary)"
    if [ "$canary" != off ]; then
        local tot
        tot=$(jq -r 'select(.event == "canary") | "\(.sent_total) \(.received_total) \(.lost_total)"' \
            "$WORK/daemon.jsonl" | tail -1)
        read -r s r l <<<"$tot"
        [ "$l" = 0 ] && [ "$r" -ge $((s - canary)) ] ||
            die "the canary sent $s probes, $r came back, $l lost ($n subscriptions, $canary/s)"
        echo "    canary: $s probes sent, $r received, $l lost" >&2
    fi
    echo "$n $canary $((u1 + s1 - u0 - s0)) $rss $hwm $((u1 - u0)) $((s1 - s0)) $((r1 - r0))" >"$WORK/row"
}

pct() { awk -v t="$1" -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.3f", t / hz / s * 100 }'; }

echo "canary-cost: $(nproc) CPUs, CLK_TCK $HZ; a window of $SECS s per run (1 tick = $(pct 1)% of a core)"
if [ "${NATIVE:-1}" != 0 ]; then
    printf '%6s %7s %13s %8s %10s %9s %9s  %s\n' subs canary "ticks (u+s)" "CPU %" "sched %" "RSS KiB" "HWM KiB" load
    for _ in $(seq "$REPEATS"); do
        for n in $SUBS; do
            for canary in $CANARY; do
                load=$(quiet)
                run "$n" "$canary"
                read -r _ _ dt rss hwm ut st rt <"$WORK/row"
                cat "$WORK/row" >>"$WORK/rows"
                printf '%6s %7s %13s %8s %10s %9s %9s  %s\n' "$n" "$canary" "$dt ($ut+$st)" "$(pct "$dt")" \
                    "$(awk -v r="$rt" -v s="$SECS" 'BEGIN { printf "%.4f", r / 1e6 / s * 100 }')" "$rss" "$hwm" "$load"
            done
        done
    done

    echo
    [ "$REPEATS" = 1 ] || echo "medians of $REPEATS:"
    echo "subscriptions, canary: CPU % of one core, RSS KiB (VmHWM KiB); and against the canary off"
    printf '%6s %7s %8s %10s %9s %9s %8s %10s %9s %9s\n' subs canary "CPU %" "sched %" "RSS KiB" "HWM KiB" "+CPU %" "+sched %" "+RSS KiB" "+HWM KiB"
    for n in $SUBS; do
        for canary in $CANARY; do
            awk -v n="$n" -v c="$canary" -v hz="$HZ" -v s="$SECS" '
                function med(a, k,   i, j, t) {
                    for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
                }
                $1 == n && $2 == "off" { ko++; to[ko] = $3; ro[ko] = $4; ho[ko] = $5; so[ko] = $8 }
                $1 == n && $2 == c { k++; t[k] = $3; r[k] = $4; h[k] = $5; x[k] = $8 }
                END {
                    if (!k) exit
                    cpu = med(t, k) / hz / s * 100; rss = med(r, k); hwm = med(h, k); sch = med(x, k) / 1e6 / s * 100
                    printf "%6s %7s %8.3f %10.4f %9d %9d", n, c, cpu, sch, rss, hwm
                    if (ko && c != "off") {
                        dc = cpu - med(to, ko) / hz / s * 100; dr = rss - med(ro, ko)
                        printf " %+8.3f %+10.4f %+9d %+9d", dc, sch - med(so, ko) / 1e6 / s * 100, dr, hwm - med(ho, ko)
                        # the targets: under 0.1% of a core at 1/s, under 1% at 100/s, no more than 256 KiB
                        tgt = c == 1 ? 0.1 : c == 100 ? 1 : 0
                        if (tgt)
                            printf "  CPU %s (< %s%%)", dc < tgt ? "met" : "NOT met", tgt
                        printf ", RSS %s (<= 256 KiB)", dr <= 256 ? "met" : "NOT met"
                    }
                    printf "\n"
                }' "$WORK/rows"
        done
    done
fi

[ "${CALLGRIND:-1}" != 0 ] || exit 0

# ---- instructions per probe ----

# cg NAME CANARY : the daemon (1 subscription) under callgrind; its counts
# zeroed SETTLE s after subscribing, dumped CG_SECONDS later (callgrind_control),
# so that start-up and shutdown are left out, as in the window above. A
# summary (SIGUSR1) just before and just after gives the probes sent in
# between. Leaves WORK/NAME.txt (inclusive counts of the window) and
# WORK/NAME.probes
n_canary() { grep -c '"event":"canary"' "$1" || true; }
more_canary() { [ "$(n_canary "$1")" -gt "$2" ]; }
usr1() { # PID FILE : a summary; prints the sent_total of its canary event
    local k
    k=$(n_canary "$2")
    kill -USR1 "$1"
    wait_for 30 more_canary "$2" "$k" || die "no canary event after SIGUSR1"
    jq -r 'select(.event == "canary") | .sent_total' "$2" | tail -1
}
cg() {
    local name=$1 canary=$2
    start_local
    config "$WORK/$name.yaml" 1 "$canary"
    local streams=1
    [ "$canary" = off ] || streams=2
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" \
        "$DAEMON" -c "$WORK/$name.yaml" --log-format json >"$WORK/$name.jsonl" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 120 all_subscribed "$WORK/$name.jsonl" "$streams" || die "the daemon did not subscribe under callgrind ($name)"
    sleep "$SETTLE"
    local s0=0 s1=0
    [ "$canary" = off ] || s0=$(usr1 "$pid" "$WORK/$name.jsonl")
    callgrind_control -z "$pid" >/dev/null || die "callgrind_control -z failed"
    sleep "$CG_SECONDS"
    callgrind_control -d "$pid" >/dev/null || die "callgrind_control -d failed"
    [ "$canary" = off ] || s1=$(usr1 "$pid" "$WORK/$name.jsonl")
    echo $((s1 - s0)) >"$WORK/$name.probes"
    kill -TERM "$pid"
    wait "$pid" || die "the daemon exited with status $? under callgrind ($name)"
    stop_local
    [ -s "$WORK/$name.out.1" ] || die "callgrind wrote no dump ($name)"
    callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$WORK/$name.out.1" >"$WORK/$name.txt" 2>/dev/null
}
total_ir() { awk '/PROGRAM TOTALS/ { v = $1; gsub(",", "", v); print v }' "$1"; }

echo
load=$(quiet)
echo "callgrind: the daemon with 1 subscription for $CG_SECONDS s each: the canary off, then at $(echo $CG_RATES | sed 's/ /, /g') probes/s (load $load)"
cg off off
off=$(total_ir "$WORK/off.txt")
echo "  canary off: $off instructions in all"
for r in $CG_RATES; do
    cg "on$r" "$r"
    sent=$(cat "$WORK/on$r.probes")
    [ "${sent:-0}" -gt 0 ] || die "no probe sent under callgrind at $r/s"
    lag=$(jq -s '[.[] | select(.event == "canary") | .schedule_lag_us] | max' "$WORK/on$r.jsonl")
    lost=$(jq -s '[.[] | select(.event == "canary") | .lost_total] | max' "$WORK/on$r.jsonl")
    on=$(total_ir "$WORK/on$r.txt")
    # the canary's own code: its functions in canary/*.c that the loop or the
    # subscription call into (none calls another), inclusive
    awk '
        $1 ~ /^[0-9,]+$/ && /src\/daemon\/canary\// && /\]$/ {
            v = $1; gsub(",", "", v)
            f = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", f); sub(/ \[.*$/, "", f); sub(/^.*src\/daemon\//, "", f)
            split(f, p, ":")
            if (p[2] ~ /^(on_tick|on_publish_done|on_drained_timer|mo_canary_tap|mo_canary_summary|mo_canary_stream_up)$/) {
                print f, v; own += v
            }
        }
        END { print "own", own + 0 }' "$WORK/on$r.txt" >"$WORK/own$r.txt"
    own=$(awk '$1 == "own" { print $2 }' "$WORK/own$r.txt")
    echo "$r $sent $on $own" >>"$WORK/cg"
    echo "  at $r/s: $sent probes in the window ($lost lost; worst schedule lag under callgrind $lag µs); $on instructions in all:"
    awk -v d=$((on - off)) -v n="$sent" -v o="$own" -v s="$CG_SECONDS" 'BEGIN {
        printf "    %.0f more than off: %.0f a second, %.0f per probe; in the canary'"'"'s own code %.0f per probe:\n", d, d / s, d / n, o / n }'
    awk -v n="$sent" '$1 != "own" { printf "      %-40s %9.0f\n", $1, $2 / n }' "$WORK/own$r.txt"
done

# this machine's instructions per CPU second, compute-bound: decode-bench
# natively (the CPU time of the children of a subshell) and under callgrind
for _ in 1 2 3 4 5; do
    (
        TIMEFORMAT='%U %S'
        { time "$DECODE" 200000 >/dev/null; } 2>&1 | awk '{ printf "%.2f\n", $1 + $2 }'
    )
done | sort -n >"$WORK/native"
valgrind --tool=callgrind --callgrind-out-file="$WORK/decode.out" "$DECODE" 200000 >/dev/null 2>"$WORK/decode.err"
dir=$(callgrind_annotate --threshold=100 --auto=no "$WORK/decode.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { v = $1; gsub(",", "", v); print v }')
ips_lo=$(awk -v i="$dir" 'END { printf "%.0f", i / $1 }' "$WORK/native")
ips_hi=$(awk -v i="$dir" 'NR == 1 { printf "%.0f", i / $1 }' "$WORK/native")
echo "  this machine: decode-bench 200000: $dir instructions under callgrind; natively $(paste -sd' ' "$WORK/native") s of CPU (5 runs):"
echo "    $(awk -v a="$ips_lo" -v b="$ips_hi" 'BEGIN { printf "%.1f to %.1f", a / 1e9, b / 1e9 }') G instructions a CPU second"
while read -r r sent on own; do
    awk -v d=$((on - off)) -v o="$own" -v s="$CG_SECONDS" -v lo="$ips_lo" -v hi="$ips_hi" -v r="$r" 'BEGIN {
        printf "  at %s/s, instructions a second / that rate: %.4f%% to %.4f%% of one core in all, %.4f%% to %.4f%% in the canary'"'"'s own code\n",
            r, d / s / hi * 100, d / s / lo * 100, o / s / hi * 100, o / s / lo * 100 }'
done <"$WORK/cg"
