#!/bin/bash
# momento-topics-local streams: a heartbeat first on every stream, then at the
# set period, also while items flow; sequence numbers from 1; payload, kind
# and publisher_id preserved; every subscriber gets the same items; a client's
# grpc-timeout does not cut a stream; bad names and unknown methods refused.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

before=$(date +%s)
start_local srv --heartbeat 200ms --publisher-id pub-7

subscribe s1 --timeout 30
subscribe s2 --timeout 30
wait_type s1 heartbeat 1
wait_type s2 heartbeat 1
expect_eq "first message of s1" "$(types s1 | head -1)" heartbeat
expect_eq "first message of s2" "$(types s2 | head -1)" heartbeat
pass "a heartbeat is the first message on every stream"

publish hello >"$WORK/p1.out"
expect_eq "publish status" "$(jq -r .name "$WORK/p1.out")" OK
publish --binary 'raw bytes' >/dev/null
publish --hex 00ff7f0a >/dev/null
publish '' >/dev/null
publish 'quote " backslash \ tab	done' >/dev/null
publish --count 3 again >"$WORK/p2.out"
expect_eq "three statuses" "$(grep -c '"name":"OK"' "$WORK/p2.out")" 3
wait_type s1 item 8
wait_type s2 item 8

items s1 >"$WORK/s1.items"
items s2 >"$WORK/s2.items"
cmp -s "$WORK/s1.items" "$WORK/s2.items" || fail "the two subscribers got different items"
page=$(jq -r 'select(.type=="item") | .page' "$WORK/s1.out" | sort -u)
[ "$(wc -l <<<"$page")" -eq 1 ] || fail "items on several pages: $page"
[ "$page" -ge "$before" ] || fail "page $page is not the server's start time (>= $before)"
expect_eq "sequence numbers" "$(jq -r 'select(.type=="item") | .seq' "$WORK/s1.out" | tr '\n' ' ')" \
    "1 2 3 4 5 6 7 8 "
expect_eq "kinds" "$(jq -r 'select(.type=="item") | .kind' "$WORK/s1.out" | tr '\n' ' ')" \
    "text binary binary text text text text text "
expect_eq "item 1" "$(jq -r 'select(.seq==1) | .value' "$WORK/s1.out")" hello
# binary values are printed as hex by the probe
expect_eq "item 2" "$(jq -r 'select(.seq==2) | .value' "$WORK/s1.out")" \
    "$(printf 'raw bytes' | od -An -tx1 | tr -d ' \n')"
expect_eq "item 3" "$(jq -r 'select(.seq==3) | .value' "$WORK/s1.out")" 00ff7f0a
expect_eq "item 4 (empty text)" "$(jq -c 'select(.seq==4) | [.kind, .value]' "$WORK/s1.out")" '["text",""]'
expect_eq "item 5" "$(jq -r 'select(.seq==5) | .value' "$WORK/s1.out")" 'quote " backslash \ tab	done'
expect_eq "publisher ids" "$(jq -r 'select(.type=="item") | .publisher_id' "$WORK/s1.out" | sort -u)" pub-7
pass "items 1..8 on page $page, text and binary preserved, the same for both subscribers"

# heartbeats keep their period: 5 more take at least 4 periods (800 ms)
h0=$(count_type s1 heartbeat)
t0=$(date +%s%N)
wait_type s1 heartbeat $((h0 + 5))
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed_ms" -ge 750 ] || fail "5 heartbeats in $elapsed_ms ms with a 200 ms period"
pass "heartbeats every 200 ms (5 in $elapsed_ms ms)"

# ... also while items flow: publish for about a second, one message every 50 ms
subscribe s3 --timeout 30
wait_type s3 heartbeat 1
for i in $(seq 20); do
    publish "flow $i" >/dev/null
    sleep 0.05
done
wait_type s3 item 20
between=$(jq -r .type "$WORK/s3.out" | sed -n '/item/,$p' | awk '/item/ {n++} /heartbeat/ && n < 20 {h++} END {print h+0}')
[ "$between" -ge 2 ] || fail "no heartbeats between items: $(types s3 | tr '\n' ' ')"
pass "$between heartbeats interleaved with 20 items"

# a grpc-timeout (sent, not enforced by the probe) does not end the stream
subscribe d1 --deadline 300ms --timeout 1.5
rc=0
wait "$SUB_PID" || rc=$?
expect_eq "probe exit (2 = its own timeout, no status)" "$rc" 2
[ "$(count_type d1 status)" -eq 0 ] || fail "the server ended the stream: $(grep status "$WORK/d1.out")"
[ "$(count_type d1 heartbeat)" -ge 4 ] || fail "the stream went quiet after its deadline: $(types d1 | tr '\n' ' ')"
pass "a client's grpc-timeout does not cut a Subscribe stream"

# names: empty or blank cache or topic names are INVALID_ARGUMENT
for args in "--cache ''" "--cache ' '" "--topic ''" "--topic '	 '"; do
    out=$(eval publish "$args" x) || true
    expect_eq "publish $args" "$(jq -r .name <<<"$out")" INVALID_ARGUMENT
done
subscribe bad --topic '' --timeout 10
rc=0
wait "$SUB_PID" || rc=$?
expect_eq "probe exit on a refused subscribe" "$rc" 1
expect_eq "subscribe with an empty topic" "$(jq -r 'select(.type=="status") | .name' "$WORK/bad.out")" INVALID_ARGUMENT
expect_eq "no heartbeat before a refusal" "$(count_type bad heartbeat)" 0
out=$(publish --method /cache_client.pubsub.Pubsub/Nope x) || true
expect_eq "unknown method" "$(jq -r .name <<<"$out")" UNIMPLEMENTED
pass "blank names are INVALID_ARGUMENT, unknown methods UNIMPLEMENTED"
