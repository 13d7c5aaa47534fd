#!/bin/bash
# 50 ms +- 20 ms of delay each way on the daemon's path, through the rig's
# proxy, for the whole run: nothing is lost, nothing is taken for a fault,
# and the latencies the daemon measures grow by at least the delay.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_daemon() {
    bg proxy python3 "$RIG_PROXY" 127.0.0.2:7001 127.0.0.1:$RIG_PORT 50 20
    wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.2/7001" || fail "the proxy did not start"
    rig_daemon 127.0.0.2:7001
}
rig_case_fault() { sleep 20; }
rig_case
p50=$(jq -s '[.[] | select(.event=="message" and .cache=="c") | .latency_us] | sort | .[length/2|floor]' "$WORK/daemon.out")
[ "$p50" -ge 30000 ] || fail "the median latency through the proxy is $p50 us, below its 30 ms floor"
pass "median latency through the proxy: $p50 us"
