#!/bin/bash
# momento-publish when every publish fails before it reaches the wire (here:
# gRPC cannot create a call, through the LD_PRELOAD library tests/tools/no-calls.so):
# the failures are counted, the program keeps returning to its loop, and
# SIGTERM or SIGINT stops it within 2 s with the closing line and exit status 1,
# with a count (-n) as with a rate (-r).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

SHIM=$TOOLS/no-calls.so
[ -f "$SHIM" ] || fail "the test library is not built ($SHIM)"
# the library comes before the sanitizer runtime, which must be told it may
export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
budget=40 # 2 s in steps of 0.05 s
[ -z "${MO_WRAPPER:-}" ] || budget=200 # valgrind is slower to wind down

start_local srv

# stopped NAME SIGNAL ARGS... : run with every call failing locally, send SIGNAL
# once failures are reported, expect exit status 1 within the budget
stopped() {
    local name=$1 sig=$2
    shift 2
    LD_PRELOAD=$SHIM ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure \
        -c c -t t "$@" >"$WORK/$name.pub" 2>"$WORK/$name.pub.err" &
    local pid=$! rc=0
    # more than the 5 failures described: the failure repeats
    wait_for 20 grep -q "more publishes failed" "$WORK/$name.pub.err" ||
        { kill -KILL $pid; fail "$name: no repeated local failure: $(cat "$WORK/$name.pub.err")"; }
    kill -"$sig" $pid
    for _ in $(seq $budget); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    if kill -0 $pid 2>/dev/null; then
        kill -KILL $pid
        wait $pid || true
        fail "$name: still running $((budget / 20)) s after SIG$sig"
    fi
    wait $pid || rc=$?
    [ $rc -eq 1 ] || fail "$name: exit status $rc after SIG$sig, expected 1: $(tail -3 "$WORK/$name.pub.err")"
    no_sanitizer_report "$WORK/$name.pub.err"
    closing_line "$WORK/$name.pub" >/dev/null
    grep -qE "^published 0 messages .*; errors: [1-9][0-9]* \(INTERNAL [1-9][0-9]*\)$" "$WORK/$name.pub" ||
        fail "$name: $(cat "$WORK/$name.pub")"
    [ "$(grep -c 'failed: INTERNAL: cannot create the call' "$WORK/$name.pub.err")" = 5 ] ||
        fail "$name: not 5 failures described: $(cat "$WORK/$name.pub.err")"
    pass "$name: every call failing locally, SIG$sig stops it: $(sed -nE 's/.*; (errors: .*)/\1/p' "$WORK/$name.pub")"
}

stopped count-term TERM -n 1000000000
stopped count-int INT -n 1000000000
stopped rate-term TERM -r 10000000
stopped rate-int INT -r 10000000
