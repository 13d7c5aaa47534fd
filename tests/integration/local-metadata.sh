#!/bin/bash
# momento-topics-local honours the faults momento-local takes in request
# metadata (momento-topics-local(1), FAULTS IN METADATA), through our own
# client (tests/tools/probe --metadata): return-error on the named RPCs only,
# error-count per request id; delay-ms on a Publish (the reply held) and on a
# Subscribe (its first message held); stream-error after so many messages,
# heartbeats counted; unknown words refused with INVALID_ARGUMENT naming them.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

start_local md --heartbeat 200ms
# pub ARGS... : probe publish's status line, whatever the status
pub() { publish "$@" || true; }

# return-error on topic-publish: publishes refused, subscribes untouched
r=$(pub --metadata return-error=unavailable --metadata error-rpcs=topic-publish x)
expect_eq "return-error unavailable" "$(field "$r" name)" UNAVAILABLE
r=$(pub --metadata return-error=not-found --metadata error-rpcs="get topic-publish" x)
expect_eq "return-error not-found" "$(field "$r" name)" NOT_FOUND
[[ $(field "$r" details) == *"cache not found"* ]] || fail "not-found details: $r"
r=$(pub --metadata return-error=unavailable --metadata error-rpcs=topic-subscribe x)
expect_eq "return-error for another RPC" "$(field "$r" name)" OK
# error-count: twice for this request id, then through; another id starts again
for want in UNAVAILABLE UNAVAILABLE OK OK; do
    r=$(pub --metadata request-id=r-1 --metadata return-error=unavailable \
        --metadata error-rpcs=topic-publish --metadata error-count=2 x)
    expect_eq "error-count 2 ($want)" "$(field "$r" name)" "$want"
done
r=$(pub --metadata request-id=r-2 --metadata return-error=internal \
    --metadata error-rpcs=topic-publish --metadata error-count=2 x)
expect_eq "another request id" "$(field "$r" name)" INTERNAL
subscribe refused --metadata return-error=permission-denied --metadata error-rpcs=topic-subscribe --timeout 10
wait "$SUB_PID" && fail "a refused subscribe exited 0"
expect_eq "subscribe refused" "$(jq -r 'select(.type=="status") | .name' "$WORK/refused.out")" PERMISSION_DENIED
pass "return-error: the named RPCs only, error-count per request id"

# unknown words: INVALID_ARGUMENT naming the key and the value
r=$(pub --metadata return-error=sundial --metadata error-rpcs=topic-publish x)
expect_eq "unknown status" "$(field "$r" name)" INVALID_ARGUMENT
[[ $(field "$r" details) == *"return-error: unknown status 'sundial'"* ]] || fail "unknown status: $r"
r=$(pub --metadata return-error=internal --metadata error-rpcs=topic-frobnicate x)
expect_eq "unknown RPC" "$(field "$r" name)" INVALID_ARGUMENT
[[ $(field "$r" details) == *"unknown RPC 'topic-frobnicate'"* ]] || fail "unknown RPC: $r"
r=$(pub --metadata delay-ms=soon --metadata delay-rpcs=topic-publish x)
[[ $(field "$r" details) == *"delay-ms: 'soon' is not a whole number"* ]] || fail "bad delay: $r"
pass "unknown words refused with INVALID_ARGUMENT, named"

# delay-ms: a Publish's reply held; delay-count per request id
t0=$(date +%s%N)
r=$(pub --metadata request-id=d-1 --metadata delay-ms=700 --metadata delay-rpcs=topic-publish \
    --metadata delay-count=1 x)
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "delayed publish" "$(field "$r" name)" OK
[ "$ms" -ge 700 ] || fail "the publish was not held 700 ms ($ms ms)"
t0=$(date +%s%N)
pub --metadata request-id=d-1 --metadata delay-ms=700 --metadata delay-rpcs=topic-publish \
    --metadata delay-count=1 x >/dev/null
ms2=$((($(date +%s%N) - t0) / 1000000))
[ "$ms2" -lt 700 ] || fail "delay-count 1 held the second publish too ($ms2 ms)"
# a Subscribe's first message held
subscribe held --metadata delay-ms=800 --metadata delay-rpcs=topic-subscribe --messages 1 --timeout 10
t0=$(date +%s%N)
wait "$SUB_PID" || fail "the held subscribe: $(cat "$WORK/held.out")"
ms3=$((($(date +%s%N) - t0) / 1000000))
[ "$ms3" -ge 600 ] || fail "the subscribe's first message came after $ms3 ms, not held 800 ms"
pass "delay-ms: a publish held $ms ms (then not: $ms2 ms), a subscribe's first message after $ms3 ms"

# stream-error after 3 messages: two heartbeats and an item, then the status
subscribe se --metadata stream-error=internal --metadata stream-error-rpcs=topic-subscribe \
    --metadata stream-error-message-limit=3 --timeout 10
wait_type se heartbeat 1
publish y >/dev/null
wait "$SUB_PID" && fail "the stream did not end"
expect_eq "stream-error" "$(jq -r 'select(.type=="status") | .name' "$WORK/se.out")" INTERNAL
expect_eq "messages before it" "$(jq -r 'select(.type!="status") | .type' "$WORK/se.out" | wc -l)" 3
pass "stream-error after 3 messages, heartbeats counted"
stop_local
