#!/bin/bash
# The loopback down for 5 s, then up (an interface that flaps; the
# publisher's traffic goes too, so only what the server took counts): found,
# recovered, nothing lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    ip link set lo down
    sleep 5
    ip link set lo up
}
rig_case --expect-detect
