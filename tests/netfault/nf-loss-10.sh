#!/bin/bash
# A 30 s loss of 10% of the daemon's packets, both ways: TCP retransmits,
# nothing is lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    rig_drop 10
    sleep 30
    rig_clear
}
rig_case
