#!/bin/bash
# A black hole of 5 s: every packet of the daemon's connection dropped, both
# ways, no FIN, no RST (a NAT or load balancer that forgets the connection).
# Found by the idle timeout, recovered once it ends, nothing lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    rig_drop 100
    sleep 5
    rig_clear
}
rig_case --expect-detect
