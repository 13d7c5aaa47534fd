#!/bin/bash
# 8 s of TCP resets to every packet of the daemon's, both ways: the stream
# dies at once, every reconnect is refused at once; at most 15 attempts in
# those 8 s (no hot loop), recovered after, nothing lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    rig_reset
    sleep 8
    rig_clear
}
rig_case --expect-detect --max-attempts 15 8
