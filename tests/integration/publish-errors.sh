#!/bin/bash
# momento-publish failures: a clear message naming the status, its details, the
# err trailer and the target; exit status 1; a server that is down or silent
# ends the run promptly instead of hanging; failures that would repeat stop it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

# Every run here must end by itself; `timeout` only turns a hang into a failure.
# expect_fail_cmd NAME CMD... : CMD must exit 1; output in $WORK/NAME.{pub,pub.err}
expect_fail_cmd() {
    local name=$1 rc=0
    shift
    timeout 60 "$@" >"$WORK/$name.pub" 2>"$WORK/$name.pub.err" || rc=$?
    [ $rc -eq 1 ] || fail "$name: exit status $rc, expected 1: $(cat "$WORK/$name.pub.err")"
    no_sanitizer_report "$WORK/$name.pub.err"
}
# expect_fail NAME ARGS... : momento-publish ARGS against the server started last must exit 1
expect_fail() {
    local name=$1
    shift
    expect_fail_cmd "$name" ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure "$@"
}
stderr_has() { grep -qF -- "$2" "$WORK/$1.pub.err" || fail "$1: stderr lacks '$2': $(cat "$WORK/$1.pub.err")"; }
errors_of() { sed -nE 's/.*; errors: ([0-9]+).*/\1/p' "$WORK/$1.pub"; }

start_local srv --caches known

# --- an unknown cache: NOT_FOUND, named, and the run stops instead of counting 1000 failures
expect_fail nocache -c nope -t t -r 100 -n 1000
stderr_has nocache "failed: NOT_FOUND: "
stderr_has nocache "nope"
stderr_has nocache "127.0.0.1:$LOCAL_PORT"
stderr_has nocache "stopping: further publishes would fail the same way"
closing_line "$WORK/nocache.pub" >/dev/null
grep -q "^published 0 messages" "$WORK/nocache.pub" || fail "nocache: $(cat "$WORK/nocache.pub")"
[ "$(errors_of nocache)" -ge 1 ] && [ "$(errors_of nocache)" -lt 1000 ] ||
    fail "nocache: did not stop at the first NOT_FOUND: $(cat "$WORK/nocache.pub")"
grep -qE "errors: [0-9]+ \(NOT_FOUND [0-9]+\)$" "$WORK/nocache.pub" || fail "nocache: $(cat "$WORK/nocache.pub")"
pass "unknown cache: NOT_FOUND, exit 1, stops"

# --- a message over the server's 4096-byte limit: RESOURCE_EXHAUSTED with its err trailer
expect_fail toobig -c known -t t --size 5000
stderr_has toobig "failed: RESOURCE_EXHAUSTED: "
stderr_has toobig "(err=item_size_limit_exceeded)"
pass "too large: RESOURCE_EXHAUSTED with the err trailer"

# --- failures counted by status while the run goes on (the first 3 calls are refused)
start_local flaky --fault-reject RESOURCE_EXHAUSTED:3
expect_fail flaky -c c -t t -n 10 --connections 1 --max-in-flight 1
grep -qE "^published 7 messages .*; errors: 3 \(RESOURCE_EXHAUSTED 3\)$" "$WORK/flaky.pub" ||
    fail "flaky: $(cat "$WORK/flaky.pub")"
[ "$(grep -c 'failed: RESOURCE_EXHAUSTED' "$WORK/flaky.pub.err")" = 3 ] || fail "flaky: $(cat "$WORK/flaky.pub.err")"
pass "3 refused of 10: counted by status, exit 1"

# --- more failures than are described: a note, then only counts
start_local refuse --fault-reject UNKNOWN
expect_fail many -c c -t t -n 20
[ "$(grep -c 'failed: UNKNOWN' "$WORK/many.pub.err")" = 5 ] || fail "many: $(cat "$WORK/many.pub.err")"
stderr_has many "more publishes failed"
grep -q "errors: 20 (UNKNOWN 20)$" "$WORK/many.pub" || fail "many: $(cat "$WORK/many.pub")"
pass "20 failures: 5 described, 20 counted"

# --- the server is down: UNAVAILABLE with the target named, at once
start_local gone
DEAD_PORT=$LOCAL_PORT
stop "$LOCAL_PID" || true
LOCAL_PORT=$DEAD_PORT
expect_fail down -c c -t t -r 1000 -n 100000
stderr_has down "failed: UNAVAILABLE: "
stderr_has down "127.0.0.1:$DEAD_PORT"
[ "$(errors_of down)" -lt 100000 ] || fail "down: did not stop: $(cat "$WORK/down.pub")"
pass "server down: UNAVAILABLE naming the target, stops"

# --- the server accepts connections but never answers: the publish deadline ends it
start_local silent
kill -STOP "$LOCAL_PID"
expect_fail silent -c c -t t -n 2 --timeout 300ms
kill -CONT "$LOCAL_PID"
stderr_has silent "failed: DEADLINE_EXCEEDED: "
grep -q "errors: 2 (DEADLINE_EXCEEDED 2)$" "$WORK/silent.pub" || fail "silent: $(cat "$WORK/silent.pub")"
pass "silent server: DEADLINE_EXCEEDED after --timeout"

# --- credentials: a wrong key is refused (UNAUTHENTICATED), and no key is ever printed
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
HDR=$(b64url '{"alg":"none"}')
GOOD="$HDR.$(b64url '{"t":"g","id":"good"}').SECRETSIGgood"
BAD="$HDR.$(b64url '{"t":"g","id":"bad"}').SECRETSIGbad"
start_local auth --token "$GOOD"
MOMENTO_API_KEY=$BAD expect_fail badkey -c c -t t
stderr_has badkey "failed: UNAUTHENTICATED"
printf '%s\n' "$GOOD" >"$WORK/key"
timeout 60 env -u MOMENTO_API_KEY "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure \
    --api-key-file "$WORK/key" -c c -t t >"$WORK/goodkey.pub" 2>&1 || fail "good key: $(cat "$WORK/goodkey.pub")"
! grep -q SECRETSIG "$WORK"/*.pub "$WORK"/*.pub.err || fail "a key was printed"
pass "wrong key: UNAUTHENTICATED; right key file: OK; keys never printed"

# --- credential problems before any call: exit 1 with a clear message
printf 'not a key\n' >"$WORK/badfile"
expect_fail keyfile -c c -t t --api-key-file "$WORK/badfile"
stderr_has keyfile "$WORK/badfile"
! grep -q "not a key" "$WORK/keyfile.pub.err" || fail "keyfile: the file content was printed"
expect_fail_cmd nokey env -u MOMENTO_API_KEY -u CREDENTIALS_DIRECTORY "$PUB" -c c -t t
stderr_has nokey "no Momento API key found"
pass "bad key file and missing key: exit 1, clear message"
