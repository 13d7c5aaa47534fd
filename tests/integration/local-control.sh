#!/bin/bash
# momento-topics-local's control plane on the data port (momento-topics-local(1),
# CONTROL PLANE), through our own client (tests/tools/probe control):
# CreateCache (ALREADY_EXISTS the second time), DeleteCache (NOT_FOUND for a
# cache that is not there; the cache's streams end with NOT_FOUND "cache not
# found", other caches' streams go on), ListCaches in name order, in pages of
# 100, with --topic-limits; the limits enforced (publish rate, subscriptions,
# message size) with the RESOURCE_EXHAUSTED and `err` the service sends.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

pub() { publish "$@" || true; }
ctl() { "$PROBE" control --target "127.0.0.1:$LOCAL_PORT" "$@" || true; }
status_line() { grep '"type":"status"' | tail -1; }
caches() { ctl list-caches | jq -r 'select(.type=="cache") | .name' | tr '\n' ' '; }

# --caches '': no cache until one is created
start_local ctl --caches '' --heartbeat 200ms
expect_eq "no cache" "$(caches)" ""
r=$(pub x | status_line)
expect_eq "publish to a cache never made" "$(field "$r" name)" NOT_FOUND
r=$(ctl create-cache c | status_line)
expect_eq "create" "$(field "$r" name)" OK
r=$(ctl create-cache c | status_line)
expect_eq "create again" "$(field "$r" name)" ALREADY_EXISTS
[[ $(field "$r" details) == *"cache already exists: c"* ]] || fail "create again: $r"
r=$(ctl create-cache ' ' | status_line)
expect_eq "blank name" "$(field "$r" name)" INVALID_ARGUMENT
ctl create-cache other >/dev/null
ctl create-cache b >/dev/null
expect_eq "listed in name order" "$(caches)" "b c other "
r=$(ctl list-caches | jq -c 'select(.type=="cache")' | sed -n 1p)
expect_eq "no --topic-limits: no _TopicLimits" "$(field "$r" limits)" false
r=$(pub x | status_line)
expect_eq "publish once created" "$(field "$r" name)" OK
pass "CreateCache, ListCaches; a cache never made is NOT_FOUND"

# DeleteCache ends the cache's streams, and only those
subscribe on-c --timeout 20
subscribe on-other --cache other --timeout 20
wait_type on-c heartbeat 1
wait_type on-other heartbeat 1
r=$(ctl delete-cache c | status_line)
expect_eq "delete" "$(field "$r" name)" OK
wait_for 5 grep -q '"type":"status"' "$WORK/on-c.out" || fail "the deleted cache's stream did not end"
r=$(status_line <"$WORK/on-c.out")
expect_eq "stream of the deleted cache" "$(field "$r" name)" NOT_FOUND
expect_eq "its details" "$(field "$r" details)" "cache not found"
n=$(count_type on-other heartbeat)
wait_type on-other heartbeat $((n + 2))
grep -q '"type":"status"' "$WORK/on-other.out" && fail "another cache's stream ended"
r=$(ctl delete-cache c | status_line)
expect_eq "delete again" "$(field "$r" name)" NOT_FOUND
r=$(pub x | status_line)
expect_eq "publish to the deleted cache" "$(field "$r" name)" NOT_FOUND
expect_eq "after the delete" "$(caches)" "b other "
# made again: empty, numbered from 1
ctl create-cache c >/dev/null
subscribe again --count 1 --timeout 10
wait_type again heartbeat 1
pub fresh >/dev/null
wait "$SUB_PID" || fail "the stream of the cache made again got no item"
expect_eq "a cache made again starts at 1" "$(items again)" "1 $(jq -r 'select(.type=="item").page' "$WORK/again.out") text fresh "
kill "$(jobs -p)" 2>/dev/null || true
stop_local
pass "DeleteCache: its streams end with NOT_FOUND, others go on; made again it is empty"

# pages of 100
start_local pages --caches ''
for i in $(seq -w 1 230); do ctl create-cache "k$i" >/dev/null; done
out=$(ctl list-caches)
expect_eq "three pages" "$(grep -c '"type":"status"' <<<"$out")" 3
expect_eq "every cache once" "$(jq -r 'select(.type=="cache") | .name' <<<"$out" | sort -u | wc -l)" 230
expect_eq "the last" "$(jq -r 'select(.type=="cache") | .name' <<<"$out" | tail -1)" k230
stop_local
pass "ListCaches: 230 caches in three pages"

# --topic-limits RATE,SUBS,KB: told and enforced
start_local lim --caches c --topic-limits 5,2,1 --heartbeat 200ms
r=$(ctl list-caches | jq -c 'select(.type=="cache")')
expect_eq "max_publish_rate" "$(field "$r" max_publish_rate)" 5
expect_eq "max_subscription_count" "$(field "$r" max_subscription_count)" 2
expect_eq "max_publish_message_size_kb" "$(field "$r" max_publish_message_size_kb)" 1
r=$(pub --size 1024 x | status_line)
expect_eq "1 KiB" "$(field "$r" name)" OK
r=$(pub --size 1025 x | status_line)
expect_eq "over 1 KiB" "$(field "$r" name)" RESOURCE_EXHAUSTED
expect_eq "its err" "$(field "$r" err)" item_size_limit_exceeded
# a bucket of 5 refilled at 5 a second (one taken above): a burst of 40 gets
# through what the bucket held plus what came in meanwhile, the rest refused
t0=$(date +%s%N)
out=$(pub --count 40 x)
ms=$((($(date +%s%N) - t0) / 1000000))
ok=$(grep -c '"name":"OK"' <<<"$out" || true)
max=$((4 + 5 * ms / 1000 + 1))
[ "$ok" -ge 4 ] && [ "$ok" -le "$max" ] || fail "a burst of 40 at 5/s over $ms ms: $ok through (4..$max)"
r=$(grep -m1 RESOURCE_EXHAUSTED <<<"$out")
expect_eq "rate err" "$(field "$r" err)" operations_rate_limit_exceeded
[[ $(field "$r" details) == *"limit of 5 operations per second"* ]] || fail "rate details: $r"
wait_for 3 sh -c "'$PROBE' publish --target 127.0.0.1:$LOCAL_PORT --cache c --topic t y | grep -q '\"OK\"'" ||
    fail "the bucket did not refill"
echo "burst of 40 at 5/s: $ok through in $ms ms"
subscribe s1 --timeout 20
subscribe s2 --timeout 20
wait_type s1 heartbeat 1
wait_type s2 heartbeat 1
subscribe s3 --timeout 10
wait_for 5 grep -q '"type":"status"' "$WORK/s3.out" || fail "the third subscription was not refused"
r=$(status_line <"$WORK/s3.out")
expect_eq "third subscription" "$(field "$r" name)" RESOURCE_EXHAUSTED
expect_eq "its err" "$(field "$r" err)" topic_subscriptions_limit_exceeded
[[ $(field "$r" details) == *"limit of 2 concurrent subscribers"* ]] || fail "subs details: $r"
kill "$(jobs -p)" 2>/dev/null || true
stop_local
pass "--topic-limits: told by ListCaches, message size, publish rate and subscriptions enforced"
