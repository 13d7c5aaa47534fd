# lib.sh - sourced by every integration test.
#
# Gives each test a scratch directory, starts programs in the background and
# stops them all on exit, and offers small assertion helpers. Programs are run
# from the build tree ($top_builddir), which `make check` exports.
#
#   start_local NAME [ARGS...]   start momento-topics-local on a free loopback port;
#                                sets $LOCAL_PORT (and LOCAL_PID)
#   bg NAME CMD...               run CMD in the background, output in $WORK/NAME.out
#   wait_for SECONDS CMD...      retry CMD every 0.05 s until it succeeds
#   fail MESSAGE                 print and exit 1
#
# MO_WRAPPER (e.g. "valgrind --error-exitcode=99 -q") is put in front of every
# program started through run_prog / bg_prog.
set -euo pipefail

: "${top_builddir:?run this through make check}"
: "${top_srcdir:?run this through make check}"

BIN=$top_builddir/src
# leaks of libraries we use, kept out of LeakSanitizer's verdict in sanitizer builds
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
TOOLS=$top_builddir/tests/tools
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mo-it.XXXXXX")
TEST_NAME=$(basename "$0" .sh)
declare -a BG_PIDS=()

cleanup() {
    local rc=$?
    set +e
    for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    local tries=40
    [ -z "${MO_WRAPPER:-}" ] || tries=200 # valgrind takes its time to exit
    for p in "${BG_PIDS[@]}"; do
        for _ in $(seq $tries); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
        # under valgrind (--error-exitcode=99) a leak or error fails the test
        if [ $? = 99 ] && [ -n "${MO_WRAPPER:-}" ] && [ $rc = 0 ]; then
            echo "FAIL: $TEST_NAME: a program exited with valgrind's error status 99" >&2
            rc=1
        fi
    done
    if [ $rc -ne 0 ]; then
        echo "--- $TEST_NAME failed; outputs in $WORK:" >&2
        for f in "$WORK"/*.out "$WORK"/*.err; do
            [ -f "$f" ] || continue
            echo "--- $f (last 30 lines)" >&2
            tail -n 30 "$f" | cut -c1-400 >&2
        done
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

pass() { echo "ok: $*"; }

# bg NAME CMD... : start a background process; stdout to $WORK/NAME.out, stderr to NAME.err
bg() {
    local name=$1
    shift
    # emptied before this returns: the background shell opens them only after
    # the fork, and meanwhile a caller that waits for a line of NAME.out must
    # not find one from an earlier run of the same NAME (a loop's last turn)
    : >"$WORK/$name.out"
    : >"$WORK/$name.err"
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    BG_PIDS+=($!)
    LAST_PID=$!
}

# wait_for SECONDS CMD... : poll until CMD succeeds
wait_for() {
    local secs=$1
    shift
    local tries=$((secs * 20))
    for _ in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.05
    done
    return 1
}

# start_local NAME [ARGS...] : momento-topics-local on an ephemeral port
start_local() {
    local name=$1
    shift
    rm -f "$WORK/$name.port"
    bg "$name" ${MO_WRAPPER:-} "$BIN/momento-topics-local" --listen 127.0.0.1:0 \
        --port-file "$WORK/$name.port" "$@"
    LOCAL_PID=$LAST_PID
    wait_for 10 test -s "$WORK/$name.port" || fail "momento-topics-local ($name) did not start"
    LOCAL_PORT=$(cat "$WORK/$name.port")
}

# stop PID : SIGTERM and wait, returns the exit status
stop() {
    local pid=$1 rc=0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    return $rc
}

# count_lines FILE PATTERN : number of lines matching an extended regex
count_lines() { grep -cE "$2" "$1" || true; }

# Two v2 keys that differ in their signature only (the local server compares
# the whole authorization value): $K1 and $K2.
# shellcheck disable=SC2034
test_keys() {
    local claims
    claims=$(printf '{"t":"g"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
    K1="eyJhbGciOiJIUzI1NiJ9.$claims.b2xkLWtleS1zaWduYXR1cmU"
    K2="eyJhbGciOiJIUzI1NiJ9.$claims.bmV3LWtleS1zaWduYXR1cmU"
}

# ---- the daemon ----

# write_daemon_config FILE SUBSCRIPTIONS-YAML [EXTRA-YAML]
# A configuration for momento-topics-local at $LOCAL_PORT (plaintext). The
# second argument is the body of `subscriptions:`; the third is appended.
write_daemon_config() {
    local file=$1 subs=$2 extra=${3:-}
    cat >"$file" <<YAML
momento:
  endpoint_override: 127.0.0.1:$LOCAL_PORT
  tls: false
subscriptions:
$subs
$extra
YAML
}

# config_key_file CONFIG FILE : the configuration reads its API key from FILE
config_key_file() { sed -i "s|^  tls: false$|  tls: false\n  api_key_file: $2|" "$1"; }

# start_daemon NAME CONFIG [ARGS...] : momento-subscriberd with JSON events in $WORK/NAME.out
start_daemon() {
    local name=$1 cfg=$2
    shift 2
    bg "$name" ${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --log-format json "$@"
    DAEMON_PID=$LAST_PID
}

# events FILE JQ-FILTER : the daemon's JSON events in FILE selected by a jq filter
events() { jq -c "select($2)" "$1" 2>/dev/null; }
# count_events FILE JQ-FILTER
count_events() { events "$1" "$2" | wc -l; }
# wait_events SECONDS FILE JQ-FILTER N : wait until at least N events match
at_least_events() { [ "$(count_events "$1" "$2")" -ge "$3" ]; }
wait_events() {
    local secs=$1 file=$2 filter=$3 n=$4
    wait_for "$secs" at_least_events "$file" "$filter" "$n"
}

# publish CACHE TOPIC [ARGS...] : momento-publish to the local server
publish() {
    local cache=$1 topic=$2
    shift 2
    ${MO_WRAPPER:-} "$BIN/momento-publish" -c "$cache" -t "$topic" \
        --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure -q "$@"
}

# fake_adjtimex "synced|unsynced MAXERROR_US ESTERROR_US" : adjtimex(2) as
# that line says for programs started with LD_PRELOAD=$SHIM
# (tests/tools/fake-adjtimex.so); again to change it
fake_adjtimex() {
    SHIM=$TOOLS/fake-adjtimex.so
    [ -f "$SHIM" ] || fail "the adjtimex shim is not built ($SHIM)"
    echo "$*" >"$WORK/adjtimex.tmp" && mv "$WORK/adjtimex.tmp" "$WORK/adjtimex"
    export MO_FAKE_ADJTIMEX=$WORK/adjtimex
    # the shim comes first in LD_PRELOAD; a sanitizer build's runtime need not
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

# skip REASON : automake's SKIP (77), but a failure when MO_REQUIRE_ALL=1 (the
# project's test command sets it, so a skipped check is never counted as a pass)
skip() {
    if [ "${MO_REQUIRE_ALL:-0}" = 1 ]; then
        fail "cannot run ($*) and MO_REQUIRE_ALL=1"
    fi
    echo "SKIP: $TEST_NAME: $*" >&2
    exit 77
}

# A jq filter for events that alarm an operator: warnings and errors, except
# the clock's state (test machines' clocks are often not synchronised).
# shellcheck disable=SC2034
ALARM='(.level == "warning" or .level == "error") and (.event | startswith("clock_") | not)'

# journal_records PID : the journal's records of PID as JSON lines in $WORK/journal.json
# (only records since this test began: a journal kept across tests holds
# records of earlier processes that had the same PID)
MO_TEST_START=$(date +%s)
journal_records() {
    journalctl --sync 2>/dev/null || true
    journalctl _PID="$1" --since "@$((MO_TEST_START - 1))" -o json --no-pager 2>/dev/null \
        >"$WORK/journal.json" || true
}
# journal_have PID FILTER N : at least N of them match the jq FILTER (for wait_for)
journal_have() { journal_records "$1"; [ "$(jq -c "select($2)" "$WORK/journal.json" | wc -l)" -ge "$3" ]; }

# ensure_journald : a real systemd-journald to send to (started here if none runs)
ensure_journald() {
    # A journald of this mount namespace: one inside a container (systemd-nspawn
    # of the packaging test) is visible to pgrep but serves another /run.
    local pid ns
    ns=$(readlink /proc/self/ns/mnt)
    if [ -S /run/systemd/journal/socket ]; then
        for pid in $(pgrep -x systemd-journal); do
            [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$ns" ] && return 0
        done
    fi
    [ "$(id -u)" = 0 ] || skip "no journald running and not root to start one"
    local jd
    for jd in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
        [ -x "$jd" ] && break
    done
    [ -x "$jd" ] || skip "systemd-journald is not installed (apt-get install systemd)"
    mkdir -p /run/systemd/journal
    bg journald "$jd"
    wait_for 10 test -S /run/systemd/journal/socket || fail "journald did not start"
}

# ---- the canary ----

# canary_unbalanced FILE : the canary events of FILE whose totals do not add
# up (sent_total = received_total + lost_total + in_flight); empty when all do
canary_unbalanced() {
    events "$1" '.event=="canary" and (.sent_total != .received_total + .lost_total + .in_flight)'
}
# canary_last FILE JQ-EXPR : the expression over the last canary event of FILE
canary_last() { events "$1" '.event=="canary"' | tail -n 1 | jq -r "$2"; }
