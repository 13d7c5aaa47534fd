#!/bin/bash
# The server SIGSTOPped for 20 s, then SIGCONT: half-open, its sockets stay
# and the kernel still accepts connections, nothing answers. Found by the
# idle timeout, recovered after, nothing lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_case_fault() {
    kill -STOP "$SERVER_PID"
    sleep 20
    kill -CONT "$SERVER_PID"
}
rig_case --expect-detect
