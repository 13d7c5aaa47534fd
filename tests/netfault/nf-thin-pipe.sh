#!/bin/bash
# A thin pipe: the server's packets to the daemon through a tbf of 64 kbit/s
# for 20 s while 1000 messages a second are published (about 10 times what
# fits). The stream falls behind; the server skips what it no longer keeps and
# says so (a discontinuity), so whatever was lost is counted, exactly.
source "$top_srcdir/tests/netfault/lib-rig.sh"
RIG_RATE=1000
rig_case_fault() {
    rig_tbf 64kbit
    sleep 20
    rig_clear
}
rig_case --expect-loss
# the pipe was thin: messages waited seconds in it
max=$(jq -s '[.[] | select(.event=="message" and .cache=="c") | .latency_us] | max' "$WORK/daemon.out")
[ "$max" -ge 2000000 ] || fail "the largest latency is $max us: the pipe did not slow the stream"
pass "the largest latency behind the thin pipe: $max us"
