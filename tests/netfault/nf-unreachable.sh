#!/bin/bash
# The server's address unreachable when the daemon starts (its packets
# dropped, no answer at all) for 10 s: the daemon says it cannot connect,
# does not hot-loop (at most 15 attempts in 8 s), and subscribes once the
# address answers, within the recovery bound; nothing is lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_server
rig_publish 100
rig_mark fault_start
rig_drop 100
rig_daemon
c0=$(rig_cpu_ticks "$DAEMON_PID")
sleep 10
c1=$(rig_cpu_ticks "$DAEMON_PID")
rig_clear
rig_mark fault_end
sleep 8
rig_publish_stop
rig_settle
out=$(rig_analyze --fresh --expect-detect --detect-within 6 --recover-within 10 --max-attempts 15 8 \
    --cpu-ticks $((c1 - c0)) --cpu-seconds 10) || fail "$(jq -r '.failures | join("; ")' <<<"$out")"
echo "$out" >>"${MO_RIG_RESULTS:-/dev/null}"
pass "$TEST_NAME: $(jq -c 'del(.failures)' <<<"$out")"
