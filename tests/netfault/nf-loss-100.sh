#!/bin/bash
# A 30 s loss of every packet of the daemon's, both ways (a black hole by
# another name): found by the idle timeout, recovered after, nothing lost
# (the server's replay covers 30 s at 100/s).
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    rig_drop 100
    sleep 30
    rig_clear
}
rig_case --expect-detect
