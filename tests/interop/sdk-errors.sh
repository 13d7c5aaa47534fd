#!/bin/bash
# The errors of momento-topics-local reach the Node.js SDK as the error types
# the real service produces: an unknown cache (--caches) is a cache-not-found
# error, a wrong or missing token (--token) an authentication error, and a
# subscriber past --max-subscribers a "topic subscriptions limit exceeded"
# error. All steps run in one Node process (sdk.js batch): Node is slow to start.
source "$top_srcdir/tests/interop/lib-interop.sh"

start_local auth --token s3cret --caches known,other
A=(--port "$LOCAL_PORT")
start_local limit --max-subscribers 1
L=(--port "$LOCAL_PORT")

# step NAME COMMAND ARGS... : one batch line, the arguments (no newlines in
# them) as a JSON array
step() { printf '%s\n' "$@" | jq -Rnc '[inputs]'; }
{
    # The momento-local provider sends an empty token.
    step sub-empty subscribe "${A[@]}" --cache known --topic t
    step sub-wrong subscribe "${A[@]}" --token wrong --cache known --topic t
    step pub-wrong publish "${A[@]}" --token wrong --cache known --topic t --text x
    step sub-nocache subscribe "${A[@]}" --token s3cret --cache nosuch --topic t
    step pub-nocache publish "${A[@]}" --token s3cret --cache nosuch --topic t --text x
    step ok subscribe "${A[@]}" --token s3cret --cache other --topic t --count 1 \
        --publish-text "with token"
    # --max-subscribers 1 counts per cache.
    step first subscribe "${L[@]}" --cache c --topic t1 --heartbeats 1 --keep first
    step second subscribe "${L[@]}" --cache c --topic t2
    step other-cache subscribe "${L[@]}" --cache d --topic t --heartbeats 1
    step drop-first unsubscribe first
    # The server learns of the cancel asynchronously: allow it a moment.
    step third subscribe "${L[@]}" --cache c --topic t3 --heartbeats 1 --retry-for 5
} >"$WORK/steps.jsonl"
sdk batch <"$WORK/steps.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "sdk.js batch failed: $(cat "$WORK/batch.err")"

# expect_status STEP STATUS : the step ended with that status
expect_status() {
    jq -e -s --arg s "$1" --argjson want "$2" \
        'any(.[]; .ev == "exit" and .step == $s and .status == $want)' "$WORK/batch.out" >/dev/null ||
        fail "step $1 did not end with status $2: $(jq -c --arg s "$1" 'select(.step == $s)' "$WORK/batch.out")"
}

# expect_error STEP OP CODE CLASS : the step failed with that SDK error
expect_error() {
    local s=$1 op=$2 code=$3 class=$4
    expect_status "$s" 3
    jq -e -s --arg s "$s" --arg op "$op" --arg code "$code" --arg class "$class" \
        'any(.[]; .step == $s and .ev == "error" and .op == $op and .code == $code
                  and .class == $class)' "$WORK/batch.out" >/dev/null ||
        fail "step $s: expected a $op error $code ($class), got: $(jq -c --arg s "$s" 'select(.step == $s)' "$WORK/batch.out")"
}

expect_error sub-empty subscribe AUTHENTICATION_ERROR AuthenticationError
expect_error sub-wrong subscribe AUTHENTICATION_ERROR AuthenticationError
expect_error pub-wrong publish AUTHENTICATION_ERROR AuthenticationError
pass "a missing or wrong token is an AuthenticationError for subscribe and publish"

expect_error sub-nocache subscribe NOT_FOUND_ERROR CacheNotFoundError
expect_error pub-nocache publish NOT_FOUND_ERROR CacheNotFoundError
pass "an unknown cache is a CacheNotFoundError for subscribe and publish"

expect_status ok 0
jq -e -s '[.[] | select(.step == "ok" and .ev == "item") | .text] == ["with token"]' \
    "$WORK/batch.out" >/dev/null || fail "the right token did not subscribe and publish"
pass "the right token and a known cache are accepted"

expect_status first 0
expect_error second subscribe LIMIT_EXCEEDED_ERROR LimitExceededError
jq -e -s 'any(.[]; .step == "second" and .ev == "error"
                  and (.message | startswith("Topic subscriptions limit exceeded")))' \
    "$WORK/batch.out" >/dev/null ||
    fail "the limit error does not read as the topic subscription limit: $(jq -c 'select(.step == "second")' "$WORK/batch.out")"
expect_status other-cache 0
pass "a subscriber past --max-subscribers gets the topic subscriptions limit error"

expect_status third 0
pass "the slot of an unsubscribed subscriber is free again"
