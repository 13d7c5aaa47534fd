# publish-lib.sh - helpers for the momento-publish tests; source after lib.sh.
#
#   pub ARGS...                 momento-publish against the server started last
#                               (plaintext override); stdout and stderr as given
#   sub NAME CACHE TOPIC [ARGS] probe subscriber in the background, output in
#                               $WORK/NAME.out, pid in SUB_PID; returns once the
#                               stream is open (its first heartbeat arrived)
#   wait_sub NAME               wait for that subscriber to exit 0 (it got --count)
#   values NAME                 the value of every item, one per line
#   closing_line FILE           the closing line of a momento-publish run, checked
#                               against the documented shape
#   no_sanitizer_report FILE    fail if FILE holds an ASan/LSan/UBSan report (for
#                               runs expected to exit 1, where the status cannot tell)
PUB=$BIN/momento-publish
PROBE=$TOOLS/probe
[ -x "$PUB" ] || fail "momento-publish is not built ($PUB)"
[ -x "$PROBE" ] || fail "the probe is not built ($PROBE)"

pub() {
    ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure "$@"
}

sub() {
    local name=$1 cache=$2 topic=$3
    shift 3
    bg "$name" "$PROBE" subscribe --target "127.0.0.1:$LOCAL_PORT" --cache "$cache" \
        --topic "$topic" --timeout 60s "$@"
    SUB_PID=$LAST_PID
    wait_for 10 grep -q '"type":"heartbeat"' "$WORK/$name.out" ||
        fail "subscriber $name did not open its stream: $(cat "$WORK/$name.err")"
}

wait_sub() {
    local rc=0
    wait "$SUB_PID" || rc=$?
    [ $rc -eq 0 ] || fail "subscriber $1 exited $rc: $(tail -3 "$WORK/$1.out")"
}

values() { jq -r 'select(.type=="item") | .value' "$WORK/$1.out"; }

# The closing line: published N messages in T s (R msg/s, target X); publish
# latency ms: p50 A p90 B p99 C p99.9 D max E; behind schedule ms: (p99 F max G|none);
# errors: E[ (STATUS n, ...)]
MS='[0-9]+\.[0-9]{3}'
CLOSING_RE="^published [0-9]+ messages in [0-9]+\.[0-9]{3} s \([0-9]+ msg/s, target ([0-9.]+|none)\); publish latency ms: p50 $MS p90 $MS p99 $MS p99\.9 $MS max $MS; behind schedule ms: (p99 $MS max $MS|none); errors: [0-9]+( \([A-Z_]+ [0-9]+(, [A-Z_]+ [0-9]+)*\))?$"

closing_line() {
    local n
    n=$(grep -c '^published ' "$1" || true)
    [ "$n" = 1 ] || fail "expected one closing line in $1, found $n: $(cat "$1")"
    grep -E "$CLOSING_RE" "$1" || fail "closing line has an unexpected shape: $(grep '^published ' "$1")"
}

no_sanitizer_report() {
    ! grep -qE "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$1" ||
        fail "sanitizer report in $1: $(grep -m3 -E 'Sanitizer|runtime error:' "$1")"
}

# now_us : the real-time clock in microseconds
now_us() { date +%s%6N; }
