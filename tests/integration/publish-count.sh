#!/bin/bash
# momento-publish -n: exactly COUNT messages, sequence numbers 1..COUNT with
# none missing or doubled, and a closing line that says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

start_local srv

# check_run NAME N : the subscriber of topic NAME got N messages then the END sentinel,
# and key_three is 1..N, each once
check_run() {
    local name=$1 n=$2
    [ "$(values "$name" | tail -1)" = END ] || fail "$name: the last item is not the sentinel"
    [ "$(jq -r 'select(.type=="item") | .seq' "$WORK/$name.out" | tail -1)" = $((n + 1)) ] ||
        fail "$name: the server saw $(($(jq -r 'select(.type=="item") | .seq' "$WORK/$name.out" | tail -1) - 1)) publishes, expected $n"
    values "$name" | head -n "$n" | jq -r .key_three | sort -n >"$WORK/$name.seqs"
    seq 1 "$n" | diff - "$WORK/$name.seqs" >"$WORK/$name.diff" ||
        fail "$name: key_three is not 1..$n exactly once: $(head -5 "$WORK/$name.diff")"
}

# --- many in flight over several connections
N=500
sub many c many --count $((N + 1))
pub -c c -t many -n $N >"$WORK/many.pub" 2>"$WORK/many.pub.err" || fail "publish -n $N failed: $(cat "$WORK/many.pub.err")"
pub -c c -t many --quiet END || fail "sentinel publish failed"
wait_sub many
check_run many $N
line=$(closing_line "$WORK/many.pub")
[[ $line == "published $N messages in "* ]] || fail "closing line count: $line"
[[ $line == *"target none); "* ]] || fail "closing line target: $line"
[[ $line == *"; behind schedule ms: none; errors: 0" ]] || fail "closing line tail: $line"
[ ! -s "$WORK/many.pub.err" ] || fail "unexpected stderr: $(cat "$WORK/many.pub.err")"
pass "-n $N: exactly $N, 1..$N once each"

# --- one at a time on one connection: the order of key_three is the topic's order
sub ordered c ordered --count 51
pub -c c -t ordered -n 50 --connections 1 --max-in-flight 1 --format epoch_ms >"$WORK/ordered.pub" ||
    fail "ordered publish failed"
pub -c c -t ordered --quiet END || fail "sentinel publish failed"
wait_sub ordered
check_run ordered 50
[ "$(values ordered | head -n 50 | jq -r .key_three | tr '\n' ' ')" = "$(seq 1 50 | tr '\n' ' ')" ] ||
    fail "one in flight: key_three out of order"
pass "one in flight keeps the order"

# --- --quiet prints nothing on success, and the exit status is 0
out=$(pub -c c -t quiet -n 3 --quiet 2>&1) || fail "--quiet run failed"
[ -z "$out" ] || fail "--quiet printed: $out"
pass "--quiet"
