#!/bin/bash
# A 60 s black hole, no FIN, no RST: found by the idle timeout; at 100/s the
# 6000 messages published meanwhile outgrow the server's replay (4096), so
# the resume is a discontinuity and what it lost is counted, exactly.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    rig_drop 100
    sleep 60
    rig_clear
}
rig_case --expect-detect --expect-loss
