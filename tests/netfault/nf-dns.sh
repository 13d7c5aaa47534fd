#!/bin/bash
# DNS for the endpoint's host name failing (SERVFAIL from the rig's resolver,
# which a resolv.conf of the rig's own mount namespace names) when the daemon
# starts, for 10 s, then answering: a connect_error that says the name does not
# resolve, retried with backoff (no hot loop), subscribed within the recovery
# bound once it resolves again, nothing lost.
source "$top_srcdir/tests/netfault/lib-rig.sh"
echo fail >"$WORK/dns.mode"
bg dns python3 "$top_srcdir/tests/netfault/dns.py" 127.0.0.53 momento.rig.test 127.0.0.2 "$WORK/dns.mode"
printf 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
rig_server
rig_publish 100
rig_mark fault_start
rig_daemon momento.rig.test:$RIG_PORT
c0=$(rig_cpu_ticks "$DAEMON_PID")
sleep 10
c1=$(rig_cpu_ticks "$DAEMON_PID")
echo ok >"$WORK/dns.mode"
rig_mark fault_end
wait_events 15 "$WORK/daemon.out" '.event=="subscribed"' 1 || fail "not subscribed once the name resolves"
sleep 4
rig_publish_stop
rig_settle
ce=$(events "$WORK/daemon.out" '.event=="connect_error"')
[ "$(wc -l <<<"$ce")" = 1 ] && [ -n "$ce" ] || fail "expected one connect_error, got: $ce"
jq -e '.hint | test("does not resolve")' <<<"$ce" >/dev/null || fail "connect_error: $ce"
out=$(rig_analyze --fresh --expect-detect --detect-within 6 --recover-within 10 --max-attempts 15 8 \
    --cpu-ticks $((c1 - c0)) --cpu-seconds 10) || fail "$(jq -r '.failures | join("; ")' <<<"$out")"
echo "$out" >>"${MO_RIG_RESULTS:-/dev/null}"
pass "$TEST_NAME: $(jq -c 'del(.failures)' <<<"$out")"
