#!/bin/bash
# The loopback's MTU lowered to 576 mid-stream for 10 s: segments shrink,
# nothing breaks, nothing is lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    ip link set lo mtu 576
    sleep 10
    rig_clear
}
rig_case
