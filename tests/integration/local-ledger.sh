#!/bin/bash
# momento-topics-local --ledger: a line for every message published (with its
# value), delivered to each stream, dropped by a fault, and every call a fault
# rejected, over the real gRPC transport with momento-publish and the probe;
# names and values written as the man page says; a file that cannot be
# written stops the ledger, not the server.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"
source "$top_srcdir/tests/integration/publish-lib.sh"

# lines EVENT : the ledger's lines of that event (the file of the server started last)
lines() { grep "^$1 " "$LEDGER" || true; }
n_lines() { grep -c "^$1 " "$LEDGER" || true; }
has_lines() { [ "$(n_lines "$1")" -ge "$2" ]; }

# ---- 10 published with --fault-drop-every 3: 3, 6, 9 dropped, the rest delivered
LEDGER=$WORK/drop.ledger
start_local drop --fault-drop-every 3 --ledger "$LEDGER"
sub live c t --count 7
pub -c c -t t -n 10 --connections 1 --max-in-flight 1 >"$WORK/drop.pub" 2>"$WORK/drop.pub.err" ||
    fail "momento-publish: $(cat "$WORK/drop.pub.err")"
wait_sub live
# a stream's delivered line follows gRPC's word that the item went out
wait_for 10 has_lines delivered 7 || fail "delivered lines: $(lines delivered)"
expect_eq "published" "$(lines published | cut -d' ' -f1-4 | tr '\n' ,)" \
    "$(for i in $(seq 10); do printf 'published c t %d,' "$i"; done)"
expect_eq "dropped" "$(lines dropped | tr '\n' ,)" "dropped c t 3,dropped c t 6,dropped c t 9,"
expect_eq "delivered" "$(lines delivered | tr '\n' ,)" \
    "$(for i in 1 2 4 5 7 8 10; do printf 'delivered c t %d 1,' "$i"; done)"
# every message is delivered or dropped, never both, never neither
acct=$(sort -n <(lines delivered | cut -d' ' -f4) <(lines dropped | cut -d' ' -f4) | tr '\n' ' ')
expect_eq "published = delivered + dropped" "$acct" "$(seq 10 | tr '\n' ' ')"
# the value of each published line is what momento-publish sent and, when
# delivered, what the subscriber got under that number
lines published | cut -d' ' -f5- | jq -r "fromjson | .key_three" | tr '\n' ' ' >"$WORK/drop.k3"
expect_eq "published values (key_three)" "$(cat "$WORK/drop.k3")" "$(seq 10 | tr '\n' ' ')"
for s in 1 2 4 5 7 8 10; do
    want=$(jq -r "select(.type==\"item\" and .seq==$s) | .value" "$WORK/live.out")
    got=$(grep "^published c t $s " "$LEDGER" | cut -d' ' -f5- | jq -r .)
    expect_eq "value of $s" "$got" "$want"
done
# a published line comes before any delivered line of its number
awk '$1 == "published" { p[$4] = NR } $1 == "delivered" && !($4 in p) { bad = bad " " $4 }
     END { if (bad) { print "delivered before published:" bad; exit 1 } }' "$LEDGER" ||
    fail "order: $(cat "$LEDGER")"
pass "10 published, 3 dropped by --fault-drop-every 3, 7 delivered on stream 1, values as sent"

# a replay is a delivery again, on the new stream's number
sub replay c t --resume 1 --count 7
wait_sub replay
wait_for 10 has_lines delivered 14 || fail "delivered lines: $(lines delivered)"
expect_eq "replayed" "$(lines delivered | grep ' 2$' | cut -d' ' -f4 | tr '\n' ' ')" "1 2 4 5 7 8 10 "
expect_eq "no more published or dropped" "$(n_lines published) $(n_lines dropped)" "10 3"
pass "a resume from 1: the same 7 delivered again on stream 2"

# two subscribers of one topic: a delivered line each
sub s3 c u --count 2
sub s4 c u --count 2
publish --topic u --count 2 x >/dev/null
wait "$SUB_PID" || fail "s4"
wait_for 10 has_lines delivered 18 || fail "delivered lines: $(lines delivered)"
expect_eq "two streams" "$(lines delivered | grep ' c u ' | sort | tr '\n' ,)" \
    "delivered c u 1 3,delivered c u 1 4,delivered c u 2 3,delivered c u 2 4,"
stop_local
pass "two streams of a topic: one delivered line per stream and item"

# ---- names and values as written; no line for refusals that are no fault
LEDGER=$WORK/names.ledger
start_local names --ledger "$LEDGER" --caches c,"my cache" --max-payload 20
publish --cache "my cache" --topic 't/é"1' 'a "quoted" line' >/dev/null
publish --topic b.in-ary_1 --hex 00ff10 >/dev/null
publish --topic t "$(printf 'tab\there\x01')" >/dev/null
publish --topic t --size 21 y >/dev/null || true # over --max-payload: refused, no line
publish --cache nope x >/dev/null || true        # unknown cache: refused, no line
stop_local
expect_eq "names and values" "$(cat "$LEDGER")" "$(
    cat <<'EOF'
published "my cache" "t/é\"1" 1 "a \"quoted\" line"
published c b.in-ary_1 1 <binary 3 bytes>
published c t 1 "tab\there\u0001"
EOF
)"
pass "plain names as they are, others and text values as JSON strings, binary as <binary N bytes>"

# ---- a ledger that cannot be opened: exit 1 at start, naming it
rc=0
timeout 20 ${MO_WRAPPER:-} "$BIN/momento-topics-local" --listen 127.0.0.1:0 \
    --ledger "$WORK/nodir/x.ledger" >/dev/null 2>"$WORK/noopen.err" || rc=$?
expect_eq "unopenable ledger: exit" "$rc" 1
grep -q -- "--ledger $WORK/nodir/x.ledger: No such file or directory" "$WORK/noopen.err" ||
    fail "unopenable ledger: $(cat "$WORK/noopen.err")"
# an old file is truncated
echo "old line" >"$WORK/trunc.ledger"
LEDGER=$WORK/trunc.ledger
start_local trunc --ledger "$LEDGER"
stop_local
[ ! -s "$LEDGER" ] || fail "the ledger was not truncated: $(cat "$LEDGER")"
pass "a ledger that cannot be opened stops the start; an old one is truncated"

# ---- a write that fails: said once, the server goes on
if [ -w /dev/full ]; then
    start_local full --ledger /dev/full
    sub f c t --count 3
    expect_eq "publishes" "$(publish --count 3 x | jq -r .name | sort -u)" OK
    wait_sub f
    stop_local
    expect_eq "said once" "$(grep -c -- '--ledger /dev/full: No space left on device' "$WORK/full.err")" 1
    pass "a full disk: said once on stderr, the server serves on"
else
    echo "skip: no writable /dev/full"
fi
