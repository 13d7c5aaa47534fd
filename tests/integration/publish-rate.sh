#!/bin/bash
# momento-publish -r: a modest open-loop rate delivers every message; without
# -n it runs until SIGINT/SIGTERM, lets the publishes in flight finish and
# reports exactly what reached the server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

start_local srv

# items_before_end NAME : key_three of every item before the END sentinel, sorted
items_before_end() { values "$1" | sed '/^END$/,$d' | jq -r .key_three | sort -n; }
has_items() { [ "$(count_lines "$WORK/$1.out" '"type":"item"')" -ge "$2" ]; }

# --- a fixed count at 2000/s
sub rate c rate --count 2001
pub -c c -t rate -r 2000 -n 2000 >"$WORK/rate.pub" 2>"$WORK/rate.pub.err" ||
    fail "publish -r 2000 -n 2000 failed: $(cat "$WORK/rate.pub.err")"
pub -c c -t rate --quiet END || fail "sentinel publish failed"
wait_sub rate
items_before_end rate | diff <(seq 1 2000) - >/dev/null || fail "-r 2000: key_three is not 1..2000"
[ "$(values rate | grep -vc '^END$')" = 2000 ] || fail "-r 2000: $(values rate | grep -vc '^END$') messages"
line=$(closing_line "$WORK/rate.pub")
[[ $line == "published 2000 messages in "*"msg/s, target 2000); "* ]] || fail "closing line: $line"
[[ $line == *"; behind schedule ms: p99 "*" max "*"; errors: 0" ]] || fail "closing line: $line"
pass "-r 2000 -n 2000: all delivered"

# --- until a signal: the closing line counts exactly what the server received
for sig in INT TERM; do
    name=sig$sig
    sub "$name" c "$name"
    bg "$name.pub" ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure \
        -c c -t "$name" -r 1000 --format epoch_ms
    PUB_PID=$LAST_PID
    wait_for 20 has_items "$name" 50 ||
        fail "$name: no traffic before the signal"
    kill -"$sig" "$PUB_PID"
    rc=0
    wait "$PUB_PID" || rc=$?
    [ $rc -eq 0 ] || fail "SIG$sig: momento-publish exited $rc: $(cat "$WORK/$name.pub.err")"
    line=$(closing_line "$WORK/$name.pub.out")
    n=$(sed -E 's/^published ([0-9]+) messages.*/\1/' <<<"$line")
    [ "$n" -ge 50 ] || fail "SIG$sig: only $n published: $line"
    [[ $line == *"target 1000); "*"; errors: 0" ]] || fail "SIG$sig: closing line: $line"
    pub -c c -t "$name" --quiet END || fail "sentinel publish failed"
    wait_for 10 grep -q '"value":"END"' "$WORK/$name.out" || fail "$name: sentinel not received"
    items_before_end "$name" | diff <(seq 1 "$n") - >/dev/null ||
        fail "SIG$sig: the server received other messages than the $n reported"
    pass "SIG$sig: stops, finishes in-flight publishes, reports $n = what arrived"
done
