# local-lib.sh - helpers for the momento-topics-local tests; source after lib.sh.
#
#   subscribe NAME [ARGS...]   probe subscribe in the background against the
#                              server started last (cache c, topic t unless ARGS
#                              say otherwise); output in $WORK/NAME.out, pid in SUB_PID
#   publish [ARGS...] MESSAGE  probe publish (cache c, topic t unless ARGS say otherwise)
#   count_type NAME TYPE       lines of $WORK/NAME.out whose "type" is TYPE
#   wait_type NAME TYPE N      wait (10 s at most) until there are N such lines
#   types NAME                 the types of $WORK/NAME.out, one line each
#   items NAME                 "seq page kind value publisher_id" per item
#   stop_local                 SIGTERM to the server started last; fails unless it
#                              exits 0 (so a sanitizer's leak report fails the test)
PROBE=$TOOLS/probe
[ -x "$PROBE" ] || fail "the probe is not built ($PROBE); run the tests through make check"

subscribe() {
    local name=$1
    shift
    bg "$name" "$PROBE" subscribe --target "127.0.0.1:$LOCAL_PORT" --cache c --topic t "$@"
    SUB_PID=$LAST_PID
}

publish() {
    "$PROBE" publish --target "127.0.0.1:$LOCAL_PORT" --cache c --topic t "$@"
}

count_type() { grep -c "^{\"type\":\"$2\"" "$WORK/$1.out" || true; }

has_type() { [ "$(count_type "$1" "$2")" -ge "$3" ]; }

wait_type() {
    wait_for "${4:-10}" has_type "$1" "$2" "$3" ||
        fail "$1: expected $3 $2 lines, got $(count_type "$1" "$2"): $(tail -5 "$WORK/$1.out")"
}

types() { jq -r .type "$WORK/$1.out"; }

items() { jq -r 'select(.type=="item") | "\(.seq) \(.page) \(.kind) \(.value) \(.publisher_id)"' "$WORK/$1.out"; }

stop_local() {
    local rc=0
    stop "$LOCAL_PID" || rc=$?
    [ "$rc" = 0 ] || fail "momento-topics-local exited with status $rc: $(tail -5 "$WORK"/*.err)"
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# status_of JSON-LINE FIELD
field() { jq -r ".$2" <<<"$1"; }
