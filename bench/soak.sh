#!/bin/bash
# soak.sh - an hour of random network faults under 1000 messages a second.
#
#   bench/soak.sh BUILD_DIR [SECONDS] [RATE]     default 3600 s, 1000/s
#
# Runs in the network fault rig (tests/netfault/lib-rig.sh: namespaces of its
# own, root, nft, tc): momento-topics-local, the daemon and momento-publish at
# RATE, and, for SECONDS, one fault after another, each drawn at random from
# the rig's list (a black hole, random loss of 1, 10 or 100%, resets, MTU 576,
# the loopback down, the server SIGSTOPped), each for a random 3 to 20 s, with
# 5 to 30 s of health between them. Every 10 s it writes the daemon's CPU
# (ticks since start) and RSS to soak.csv; at the end, the ledger (what the
# server took against what the daemon counted) and the faults it made.
# Prints where its files are. Not part of the test suite.
set -euo pipefail
build=$(cd "${1:?usage: bench/soak.sh BUILD_DIR [SECONDS] [RATE]}" && pwd)
export top_builddir=$build top_srcdir
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
export MO_SOAK_SECONDS=${2:-3600} MO_SOAK_RATE=${3:-1000}
TEST_NAME=soak
source "$top_srcdir/tests/netfault/lib-rig.sh" "$@"

out=${MO_SOAK_OUT:-$PWD/soak-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
rig_server
RIG_MESSAGES=none RIG_SUMMARY=60s rig_daemon
wait_events 10 "$WORK/daemon.out" '.event=="subscribed"' 1 || fail "the daemon did not subscribe"
rig_publish "$MO_SOAK_RATE"
echo "t_s,cpu_ticks,rss_kb,received" >"$out/soak.csv" # received: by the summaries so far
: >"$out/faults.txt"
t0=$(date +%s)
counted() { jq -s '[.[] | select(.event=="summary" and .cache=="c") | .count] | add // 0' "$WORK/daemon.out"; }
sample() { echo "$(($(date +%s) - t0)),$(rig_cpu_ticks "$DAEMON_PID"),$(rig_rss_kb "$DAEMON_PID"),$(counted)" >>"$out/soak.csv"; }
( while sleep 10; do sample; done ) &
sampler=$!
faults=(blackhole loss1 loss10 loss100 reset mtu lodown sigstop)
while [ $(($(date +%s) - t0)) -lt "$MO_SOAK_SECONDS" ]; do
    sleep $((5 + RANDOM % 26))
    f=${faults[RANDOM % ${#faults[@]}]}
    d=$((3 + RANDOM % 18))
    echo "$(($(date +%s) - t0)) $f $d" >>"$out/faults.txt"
    case $f in
    blackhole | loss100) rig_drop 100 ;;
    loss1) rig_drop 1 ;;
    loss10) rig_drop 10 ;;
    reset) rig_reset ;;
    mtu) ip link set lo mtu 576 ;;
    lodown) ip link set lo down ;;
    sigstop) kill -STOP "$SERVER_PID" ;;
    esac
    sleep "$d"
    [ "$f" != sigstop ] || kill -CONT "$SERVER_PID"
    rig_clear
done
sleep 10
rig_publish_stop
kill "$sampler" 2>/dev/null || true
sample
sleep 15 # (the replay and the last discontinuity's count reach the daemon)
stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
python3 "$RIG_ANALYZE" --events "$WORK/daemon.out" --ledger "$WORK/ledger" --marks "$WORK/marks" \
    --case soak --expect-loss --no-messages >"$out/ledger.json" || true
cp "$WORK/daemon.out" "$out/daemon.jsonl"
echo "soak: $(wc -l <"$out/faults.txt") faults in ${MO_SOAK_SECONDS} s at ${MO_SOAK_RATE}/s"
echo "ledger: $(cat "$out/ledger.json")"
echo "files: $out (soak.csv, faults.txt, ledger.json, daemon.jsonl)"
