#!/bin/bash
# momento-topics-local resume rules (see momento-topics-local(1)):
# resume_at N is inclusive; N = 0 is live only; page 0 is the current page;
# older than the replay buffer, another page, or in the future gives a
# _Discontinuity first.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

start_local srv --replay 5 --heartbeat 5s
for i in $(seq 8); do publish "m$i" >/dev/null; done

# find the page: a live subscriber sees the next item
subscribe live --timeout 20 --count 1
wait_type live heartbeat 1
publish m9 >/dev/null
wait "$SUB_PID" || fail "live subscriber: $(cat "$WORK/live.out")"
expect_eq "live only (resume 0)" "$(types live | tr '\n' ' ')" "heartbeat item "
expect_eq "live item" "$(jq -r 'select(.type=="item") | "\(.seq) \(.value)"' "$WORK/live.out")" "9 m9"
P=$(jq -r 'select(.type=="item") | .page' "$WORK/live.out")
pass "resume 0: live only; page $P"

# summary NAME: the messages after the first heartbeat, compactly
summary() {
    jq -r 'if .type=="item" then "i\(.seq)" elif .type=="discontinuity" then "d\(.last)/\(.new)/\(.page)" else .type end' \
        "$WORK/$1.out" | grep -v heartbeat | tr '\n' ' ' | sed 's/ $//'
}

# replay buffer: seq 5..9 kept
subscribe r6 --resume 6 --page "$P" --count 4 --timeout 20
wait "$SUB_PID" || fail "r6: $(cat "$WORK/r6.out")"
expect_eq "first message" "$(types r6 | head -1)" heartbeat
expect_eq "resume 6" "$(summary r6)" "i6 i7 i8 i9"
pass "resume inclusive from 6"

subscribe r6p0 --resume 6 --count 4 --timeout 20
wait "$SUB_PID" || fail "r6p0: $(cat "$WORK/r6p0.out")"
expect_eq "resume 6, page 0" "$(summary r6p0)" "i6 i7 i8 i9"
pass "page 0 means the current page"

subscribe r5 --resume 5 --page "$P" --count 5 --timeout 20
wait "$SUB_PID" || fail "r5: $(cat "$WORK/r5.out")"
expect_eq "resume at the oldest kept" "$(summary r5)" "i5 i6 i7 i8 i9"

subscribe r2 --resume 2 --page "$P" --count 5 --timeout 20
wait "$SUB_PID" || fail "r2: $(cat "$WORK/r2.out")"
expect_eq "resume older than the buffer" "$(summary r2)" "d1/4/$P i5 i6 i7 i8 i9"
pass "resume 2 (older than kept): discontinuity 1 -> 4, then 5..9"

subscribe rp --resume 7 --page $((P - 100)) --count 5 --timeout 20
wait "$SUB_PID" || fail "rp: $(cat "$WORK/rp.out")"
expect_eq "resume on another page" "$(summary rp)" "d6/4/$P i5 i6 i7 i8 i9"
pass "resume on a wrong page: discontinuity carrying page $P, then the oldest kept"

# latest + 1: nothing to replay, no discontinuity; then live
subscribe r10 --resume 10 --page "$P" --count 1 --timeout 20
subscribe r14 --resume 14 --page "$P" --count 1 --timeout 20
wait_type r10 heartbeat 1
wait_type r14 discontinuity 1
publish m10 >/dev/null
wait_type r10 item 1
wait_type r14 item 1
expect_eq "resume at latest + 1" "$(summary r10)" "i10"
expect_eq "resume in the future" "$(summary r14)" "d13/9/$P i10"
pass "resume at latest + 1 is live; resume in the future: discontinuity 13 -> 9, then live"
