#!/bin/bash
# The control plane of momento-topics-local as the Node.js SDK's CacheClient
# uses it (momento-topics-local(1), CONTROL PLANE): with --caches '' a cache
# must be created first and one never created is CACHE_NOT_FOUND_ERROR to a
# publish and a subscribe; CreateCache twice is AlreadyExists; ListCaches
# gives each cache's --topic-limits; DeleteCache ends a subscription on the
# cache through onError with CACHE_NOT_FOUND_ERROR; the limits reach the SDK
# as LIMIT_EXCEEDED_ERROR; the test-admin port's /block and /unblock as the SDK
# lives through them.
source "$top_srcdir/tests/interop/lib-interop.sh"

start_local ctl --caches '' --topic-limits 100,2,1 --heartbeat 200ms
P=(--port "$LOCAL_PORT")
step() { printf '%s\n' "$@" | jq -Rnc '[inputs]'; }
{
    step pub-none publish "${P[@]}" --cache c1 --topic t --text x
    step sub-none subscribe "${P[@]}" --cache c1 --topic t
    step create cache "${P[@]}" create c1
    step create-again cache "${P[@]}" create c1
    step create-2 cache "${P[@]}" create c2
    step list cache "${P[@]}" list
    step pub-ok publish "${P[@]}" --cache c1 --topic t --text x
    step delete-none cache "${P[@]}" delete nosuch
    step pub-big publish "${P[@]}" --cache c1 --topic t --text "$(head -c 1025 /dev/zero | tr '\0' y)"
    step sub-1 subscribe "${P[@]}" --cache c2 --topic t1 --heartbeats 1 --keep s1
    step sub-2 subscribe "${P[@]}" --cache c2 --topic t2 --heartbeats 1 --keep s2
    step sub-3 subscribe "${P[@]}" --cache c2 --topic t3
} >"$WORK/steps.jsonl"
sdk batch <"$WORK/steps.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "sdk.js batch failed: $(cat "$WORK/batch.err")"
ev() { jq -c --arg s "$1" "select(.step == \$s and ($2))" "$WORK/batch.out"; }
has() { [ -n "$(ev "$1" "$2")" ] || fail "$1: expected $2, got: $(jq -c --arg s "$1" 'select(.step == $s)' "$WORK/batch.out")"; }
# (MomentoErrorCode.CACHE_NOT_FOUND_ERROR's text is NOT_FOUND_ERROR)
has pub-none '.ev == "error" and .code == "NOT_FOUND_ERROR" and .class == "CacheNotFoundError"'
has sub-none '.ev == "error" and .code == "NOT_FOUND_ERROR" and .class == "CacheNotFoundError"'
has create '.ev == "cache" and .result == "success"'
has create-again '.ev == "cache" and .result == "already_exists"'
has list '.ev == "caches" and (.caches | map(.name)) == ["c1", "c2"]'
has list '.ev == "caches" and (.caches[0] | .max_publish_rate == 100 and .max_subscription_count == 2 and .max_publish_message_size_kb == 1)'
has pub-ok '.ev == "published"'
has delete-none '.ev == "error" and .code == "NOT_FOUND_ERROR"'
has pub-big '.ev == "error" and .code == "LIMIT_EXCEEDED_ERROR"'
has sub-3 '.ev == "error" and .code == "LIMIT_EXCEEDED_ERROR"'
pass "CreateCache, ListCaches with the topic limits, a cache never made, the limits, as the SDK sees them"

# DeleteCache mid-subscription: onError with CACHE_NOT_FOUND_ERROR, the end
sdk cache "${P[@]}" create gone >/dev/null || fail "create gone"
bg_sdk onc subscribe "${P[@]}" --cache gone --topic t --heartbeats 100000 --timeout 30 --ready "$WORK/onc.ready"
wait_for 20 test -s "$WORK/onc.ready" || fail "the SDK did not subscribe: $(cat "$WORK/onc.out")"
del=$(sdk cache "${P[@]}" delete gone) || fail "delete: $del"
jq -e 'select(.ev == "cache") | .result == "success"' <<<"$del" >/dev/null || fail "delete: $del"
rc=0
wait "$LAST_PID" || rc=$?
[ "$rc" = 3 ] || fail "the subscription did not end with an error (status $rc): $(cat "$WORK/onc.out")"
jq -e -s 'any(.[]; .ev == "error" and .op == "stream" and .class == "CacheNotFoundError")' "$WORK/onc.out" >/dev/null ||
    fail "onError: $(grep -v heartbeat "$WORK/onc.out")"
# (the SDK calls onConnectionLost first, as for every stream that ends, then
# onError once, and does not subscribe again)
[ "$(jq -s '[.[] | select(.ev == "error" or .ev == "connection_lost")] | length' "$WORK/onc.out")" = 2 ] ||
    fail "the SDK retried: $(grep -v heartbeat "$WORK/onc.out")"
stop "$LOCAL_PID" || fail "momento-topics-local did not stop cleanly"
pass "DeleteCache mid-subscription: onError with CACHE_NOT_FOUND_ERROR, not retried"

# the test-admin port: /block loses the SDK's stream (onConnectionLost once,
# no heartbeat while blocked), /unblock brings it back (heartbeats again)
start_local adm --admin-listen 127.0.0.1:0 --admin-port-file "$WORK/adm.aport" --heartbeat 200ms
APORT=$(cat "$WORK/adm.aport")
# admin PATH: the HTTP status of GET /PATH on the test-admin port
admin() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$APORT" || return 1
    printf 'GET /%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" >&3
    read -r line <&3
    exec 3<&-
    awk '{print $2}' <<<"$line"
}
MO_SDK_STAMP=1 bg_sdk blk subscribe --port "$LOCAL_PORT" --cache c --topic t --heartbeats 100000 --timeout 60 \
    --ready "$WORK/blk.ready"
BLK_PID=$LAST_PID
wait_for 20 test -s "$WORK/blk.ready" || fail "the SDK did not subscribe: $(cat "$WORK/blk.out")"
hb() { grep -c '"ev":"heartbeat"' "$WORK/blk.out" || true; }
hb_over() { [ "$(hb)" -gt "$1" ]; }
n=$(hb)
wait_for 5 hb_over $((n + 2)) || fail "no heartbeats before the block"
[ "$(admin block)" = 200 ] || fail "/block"
wait_for 10 grep -q '"ev":"connection_lost"' "$WORK/blk.out" || fail "the SDK did not lose its stream"
sleep 0.3 # (a heartbeat already in flight)
n=$(hb)
sleep 2
[ "$(hb)" = "$n" ] || fail "heartbeats while blocked: $n then $(hb)"
[ "$(admin unblock)" = 200 ] || fail "/unblock"
wait_for 20 hb_over "$n" || fail "heartbeats did not resume after /unblock: $(tail -3 "$WORK/blk.out")"
grep -q '"ev":"error"' "$WORK/blk.out" && fail "the SDK gave up: $(grep '"ev":"error"' "$WORK/blk.out")"
kill "$BLK_PID" 2>/dev/null || true
stop "$LOCAL_PID" || fail "momento-topics-local did not stop cleanly"
pass "test-admin /block and /unblock: the SDK loses its stream, then heartbeats resume"
