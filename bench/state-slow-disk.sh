#!/bin/bash
# state-slow-disk.sh - does a slow disk show in the latencies the daemon
# measures? The daemon saves resume positions once a second while messages
# flow; each save syncs twice. Here every fsync of the daemon takes DELAY ms
# (an LD_PRELOAD shim), and the daemon's latency summary is compared with a run
# whose fsyncs take no extra time.
#
#   bench/state-slow-disk.sh BUILDDIR [RATE [SECONDS [DELAY_MS]]]
#
# Defaults: 1000 messages/s for 10 s, fsync 300 ms. Per run it prints the
# daemon's count, p50, p99, p99.9 and max latency (µs) from its final summary
# (and checks that positions were saved). Since the write and its syncs happen on a
# thread of their own, the two runs should not differ beyond noise; a save on
# the loop would have added up to DELAY x 2 to the messages arriving during
# each save (p99 and above at this rate: 2 saves of 2 syncs a second).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [RATE [SECONDS [DELAY_MS]]]" >&2; exit 64; }
build=$(cd "$1" && pwd)
rate=${2:-1000} secs=${3:-10} delay=${4:-300}
bench_init state-slow-disk

cat >"$WORK/slowsync.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
/* fsync takes SLOWSYNC_MS longer than it does: a slow or busy disk */
int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *ms = getenv("SLOWSYNC_MS");
    long d = ms ? atol(ms) : 0;
    struct timespec ts = {d / 1000, (d % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return real(fd);
}
EOF
cc -shared -fPIC -O2 -o "$WORK/slowsync.so" "$WORK/slowsync.c" -ldl || die "cannot build the fsync shim"

"$build/src/momento-topics-local" --listen 127.0.0.1:0 --port-file "$WORK/port" >/dev/null 2>"$WORK/srv.err" &
PIDS+=($!)
wait_for 10 test -s "$WORK/port" || die "no server"
port=$(cat "$WORK/port")

run() { # run NAME DELAY_MS
    local name=$1 ms=$2 state=$WORK/state-$1
    mkdir -p "$state"
    cat >"$WORK/$name.yaml" <<YAML
momento:
  endpoint_override: 127.0.0.1:$port
  tls: false
subscriptions:
  - cache: bench
    topic: $name
logging:
  messages: none
  summary_interval: 1h
state:
  directory: $state
YAML
    SLOWSYNC_MS=$ms LD_PRELOAD=$WORK/slowsync.so "$build/src/momento-subscriberd" -c "$WORK/$name.yaml" \
        --log-format json >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=($pid)
    wait_for 10 grep -qs '"event":"subscribed"' "$WORK/$name.out" || die "$name: not subscribed"
    "$build/src/momento-publish" -c bench -t "$name" -r "$rate" -n $((rate * secs)) -q \
        --endpoint-override "127.0.0.1:$port" --insecure
    sleep 1
    kill -TERM "$pid"
    wait "$pid" || die "$name: daemon exit status"
    jq -r --arg n "$name" --arg ms "$ms" 'select(.event=="summary" and .topic==$n) |
        "\($n): fsync +\($ms) ms: \(.count) messages, latency us p50 \(.p50_us) p99 \(.p99_us) p99.9 \(.p999_us) max \(.max_us)"' \
        "$WORK/$name.out"
    grep -q "^end 1 " "$state/positions" || die "$name: no position saved"
}

run fast 0
run slow "$delay"
