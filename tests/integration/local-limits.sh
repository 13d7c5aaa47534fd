#!/bin/bash
# momento-topics-local refusals as the service sends them: --token and
# --token-file (UNAUTHENTICATED; --token's value wiped from the command line),
# --caches (NOT_FOUND), --max-subscribers
# (RESOURCE_EXHAUSTED, err topic_subscriptions_limit_exceeded, "subscribers"),
# --max-payload (RESOURCE_EXHAUSTED, err item_size_limit_exceeded); and with
# --max-payload 0, messages past gRPC's 4 MiB default accepted and delivered.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

# refused NAME : the probe's stream was refused before any message; sets
# REFUSED to "CODE-NAME ERR" (not in a subshell: it waits for the probe)
refused() {
    local rc=0
    wait "$SUB_PID" || rc=$?
    [ "$rc" -eq 1 ] || fail "$1: probe exited $rc, expected 1 (stream refused): $(cat "$WORK/$1.out")"
    expect_eq "$1: only a status" "$(types "$1" | tr '\n' ' ')" "status "
    REFUSED=$(jq -r '"\(.name) \(.err)"' "$WORK/$1.out")
}

# --token
start_local tok --token sekrit
expect_eq "no token" "$(publish x | jq -r .name)" UNAUTHENTICATED
expect_eq "wrong token" "$(publish --token wrong x | jq -r .name)" UNAUTHENTICATED
expect_eq "right token" "$(publish --token sekrit x | jq -r .name)" OK
subscribe bad --token sekrit2 --timeout 20
refused bad
expect_eq "subscribe, wrong token" "$REFUSED" "UNAUTHENTICATED "
subscribe good --token sekrit --timeout 20 --count 1
wait_type good heartbeat 1
publish --token sekrit y >/dev/null
wait "$SUB_PID" || fail "subscribe with the right token: $(cat "$WORK/good.out")"
# the token no longer shows on the command line once parsed (under valgrind
# the process's command line is valgrind's own, which the program cannot wipe)
if [ -z "${MO_WRAPPER:-}" ]; then
    tr '\0' ' ' <"/proc/$LOCAL_PID/cmdline" | grep -q sekrit && fail "--token still in /proc/PID/cmdline"
fi
# --token-file: the same, read from a file (white space around it dropped)
printf '  sekrit3\n' >"$WORK/token"
start_local tokf --token-file "$WORK/token"
expect_eq "--token-file, wrong token" "$(publish --token sekrit x | jq -r .name)" UNAUTHENTICATED
expect_eq "--token-file, right token" "$(publish --token sekrit3 x | jq -r .name)" OK
start_local any
expect_eq "no --token: the empty token is accepted" "$(publish x | jq -r .name)" OK
expect_eq "no --token: any token is accepted" "$(publish --token whatever x | jq -r .name)" OK
pass "--token, --token-file: UNAUTHENTICATED unless the authorization header matches"

# --caches
start_local caches --caches a,b
out=$(publish --cache c x) || true
expect_eq "unknown cache" "$(jq -r '"\(.name) \(.err)"' <<<"$out")" "NOT_FOUND "
[[ "$(jq -r .details <<<"$out")" == *"cache not found: c"* ]] || fail "NOT_FOUND does not name the cache: $out"
expect_eq "known cache a" "$(publish --cache a x | jq -r .name)" OK
expect_eq "known cache b" "$(publish --cache b x | jq -r .name)" OK
subscribe nf --cache zz --timeout 20
refused nf
expect_eq "subscribe to an unknown cache" "$REFUSED" "NOT_FOUND "
pass "--caches: other caches are NOT_FOUND"

# --max-subscribers 2 (per cache)
start_local subs --max-subscribers 2
subscribe m1 --cache a --topic t1 --timeout 30
subscribe m2 --cache a --topic t2 --timeout 30
M2=$SUB_PID
wait_type m1 heartbeat 1
wait_type m2 heartbeat 1
subscribe m3 --cache a --topic t3 --timeout 20
refused m3
expect_eq "third subscriber" "$REFUSED" "RESOURCE_EXHAUSTED topic_subscriptions_limit_exceeded"
[[ "$(jq -r .details "$WORK/m3.out")" == *subscribers* ]] ||
    fail "the message does not say subscribers: $(cat "$WORK/m3.out")"
subscribe other --cache b --timeout 20 --messages 1
wait "$SUB_PID" || fail "another cache has its own limit: $(cat "$WORK/other.out")"
# when a subscriber leaves, its place is free again
kill "$M2"
wait "$M2" 2>/dev/null || true
try_again() {
    "$PROBE" subscribe --target "127.0.0.1:$LOCAL_PORT" --cache a --topic t3 --messages 1 --timeout 5 \
        >"$WORK/m4.out" 2>&1
}
wait_for 10 try_again || fail "no place after a subscriber left: $(cat "$WORK/m4.out")"
pass "--max-subscribers: RESOURCE_EXHAUSTED with err topic_subscriptions_limit_exceeded, per cache"

# --max-payload
start_local payload --max-payload 10
expect_eq "10 bytes" "$(publish 0123456789 | jq -r .name)" OK
out=$(publish 0123456789a) || true
expect_eq "11 bytes" "$(jq -r '"\(.name) \(.err)"' <<<"$out")" "RESOURCE_EXHAUSTED item_size_limit_exceeded"
out=$(publish --hex 0001020304050607080900) || true
expect_eq "11 binary bytes" "$(jq -r .err <<<"$out")" item_size_limit_exceeded
start_local payload-default
expect_eq "4096 bytes (default limit)" "$(publish "$(head -c 4096 /dev/zero | tr '\0' a)" | jq -r .name)" OK
out=$(publish "$(head -c 4097 /dev/zero | tr '\0' a)") || true
expect_eq "4097 bytes" "$(jq -r .err <<<"$out")" item_size_limit_exceeded
start_local payload-none --max-payload 0
expect_eq "100000 bytes, no limit" "$(publish "$(head -c 100000 /dev/zero | tr '\0' a)" | jq -r .name)" OK
pass "--max-payload: RESOURCE_EXHAUSTED with err item_size_limit_exceeded"

# messages larger than gRPC's default 4 MiB receive limit: the server sets no
# gRPC message size limit of its own, so with --max-payload 0 it accepts and
# delivers them; a subscriber with gRPC's default limit fails on such an item
# (RESOURCE_EXHAUSTED from its own transport), one with a larger limit gets it
start_local big --max-payload 0
subscribe bigrecv --max-receive 16777216 --count 2 --no-values --timeout 30
BIGRECV=$SUB_PID
subscribe defrecv --no-values --timeout 30
wait_type bigrecv heartbeat 1
wait_type defrecv heartbeat 1
expect_eq "publish 5 MiB" "$(publish --size 5242880 0123456789 | jq -r .name)" OK
expect_eq "publish after it" "$(publish small | jq -r .name)" OK
wait "$BIGRECV" || fail "bigrecv: $(cat "$WORK/bigrecv.out")"
expect_eq "delivered sizes" "$(jq -r 'select(.type=="item") | "\(.seq):\(.len)"' "$WORK/bigrecv.out" | tr '\n' ' ')" \
    "1:5242880 2:5 "
refused_after_heartbeat() { [ "$(count_type defrecv status)" -ge 1 ]; }
wait_for 20 refused_after_heartbeat || fail "defrecv: $(cat "$WORK/defrecv.out")"
st=$(jq -c 'select(.type=="status")' "$WORK/defrecv.out")
expect_eq "a 4 MiB subscriber" "$(jq -r .name <<<"$st")" RESOURCE_EXHAUSTED
[[ "$(jq -r .details <<<"$st")" == "Received message larger than max"* ]] ||
    fail "not gRPC's receive limit: $st"
stop_local
pass "--max-payload 0: a 5 MiB message accepted and delivered; gRPC's 4 MiB default is the subscriber's own limit ($(jq -r .details <<<"$st"))"
