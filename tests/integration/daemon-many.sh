#!/usr/bin/env bash
# 250 subscriptions: spread over connections of at most 100 streams (3 TCP
# connections), every one subscribed, messages on the first and last arrive.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 500ms
subs=$(for i in $(seq 250); do printf '  - cache: many\n    topic: t%03d\n' "$i"; done)
write_daemon_config "$WORK/sub.yaml" "$subs" "
logging:
  messages: all"
start_daemon d "$WORK/sub.yaml"
out=$WORK/d.out
wait_events 20 "$out" '.event=="subscribed"' 250 || fail "not all 250 subscribed: $(count_events "$out" '.event=="subscribed"')"

# established TCP connections from the daemon to the server's port (gRPC uses
# IPv6 sockets with v4-mapped addresses, so look in tcp and tcp6)
port_hex=$(printf '%04X' "$LOCAL_PORT")
inodes=$(ls -l /proc/"$DAEMON_PID"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p' | sort -u)
conns=0
for ino in $inodes; do
    if awk -v p=":$port_hex" -v i="$ino" '$3 ~ p"$" && $4 == "01" && $10 == i {found=1} END {exit !found}' \
        /proc/net/tcp /proc/net/tcp6; then
        conns=$((conns + 1))
    fi
done
[ $conns = 3 ] || fail "$conns TCP connections to the server for 250 streams, expected 3"

publish many t001 -n 5
publish many t250 -n 5
wait_events 10 "$out" '.event=="message"' 10 || fail "messages missing"
[ "$(count_events "$out" '.event=="message" and .topic=="t250"')" = 5 ] || fail "t250 messages"
rc=0
stop "$DAEMON_PID" || rc=$?
[ $rc = 0 ] || fail "exit status $rc"
[ "$(count_events "$out" '.event=="summary"')" = 251 ] || fail "final summaries: $(count_events "$out" '.event=="summary"')"
pass "250 subscriptions on $conns connections"
