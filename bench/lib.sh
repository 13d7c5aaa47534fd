# lib.sh - sourced by the benchmark scripts.
#
#   bench_init NAME     a scratch directory $WORK, removed on exit together with
#                       the processes whose PIDs the script adds to PIDS;
#                       NAME prefixes messages; KEEP=1 keeps the directory
#   die MESSAGE         print (with the tail of any $WORK/*.err) and exit 1
#   wait_for SECONDS CMD...   poll CMD every 50 ms until it succeeds
#   ticks PID           user + system clock ticks of a process, all threads
#   hwm_kb PID          its peak resident set size (VmHWM), in KiB
#   start_local / stop_local   a fresh $LOCAL (momento-topics-local) on an
#                       ephemeral port: PORT and LPID set, stderr in $WORK/local.err
#   rss_kb PID          its resident set size now (VmRSS), in KiB
#   quiet               wait until the 1-minute load average is below $MAXLOAD
#                       (default 1.0), at most $WAIT seconds (default 600);
#                       prints the load average then (all three figures), with
#                       " (still above MAXLOAD)" when the wait ran out

bench_init() {
    BENCH_NAME=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "$BENCH_NAME: kept $WORK" >&2; else rm -rf "$WORK"; fi
}

die() {
    echo "$BENCH_NAME: $*" >&2
    for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
    exit 1
}

wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.05
    done
}

# The fields are counted after the command name, which may hold spaces.
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

quiet() {
    local max=${MAXLOAD:-1.0} end=$((SECONDS + ${WAIT:-600}))
    until awk -v m="$max" '{ exit !($1 < m) }' /proc/loadavg; do
        if [ $SECONDS -ge $end ]; then
            echo "$(cut -d' ' -f1-3 /proc/loadavg) (still above $max)"
            return 0
        fi
        sleep 5
    done
    cut -d' ' -f1-3 /proc/loadavg
}

start_local() {
    rm -f "$WORK/port"
    "$LOCAL" --listen 127.0.0.1:0 --port-file "$WORK/port" >/dev/null 2>"$WORK/local.err" &
    LPID=$!
    PIDS+=("$LPID")
    wait_for 20 test -s "$WORK/port" || die "momento-topics-local did not start"
    PORT=$(cat "$WORK/port")
}
stop_local() { kill "$LPID" 2>/dev/null || true; wait "$LPID" 2>/dev/null || true; }
