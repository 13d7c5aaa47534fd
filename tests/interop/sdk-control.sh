#!/bin/bash
# The control plane of momento-topics-local as the Node.js SDK's CacheClient
# uses it (momento-topics-local(1), CONTROL PLANE): with --caches '' a cache
# must be created first and one never created is CACHE_NOT_FOUND_ERROR to a
# publish and a subscribe; CreateCache twice is AlreadyExists; ListCaches
# gives each cache's --topic-limits; DeleteCache ends a subscription on the
# cache through onError with CACHE_NOT_FOUND_ERROR; the limits reach the SDK
# as LIMIT_EXCEEDED_ERROR.
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
