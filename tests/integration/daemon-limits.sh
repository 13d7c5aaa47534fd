#!/usr/bin/env bash
# The account's topic limits as momento-subscriberd learns them from the
# control plane (momento-subscriberd(8), ACCOUNT LIMITS), against
# momento-topics-local's ListCaches with --topic-limits: cache_limits for each
# configured cache the list names, over_limit for one with more subscriptions
# configured than it allows, the same in --check-config, asked again at a
# reload; a key the control plane refuses and a control plane that cannot be
# reached are one info line each, never retried, the subscriptions unharmed.
source "$(dirname "$0")/lib.sh"

subs="
  - cache: a
    topic: t1
  - cache: a
    topic: t2
  - cache: a
    topic: t3
  - cache: b
    topic: t1
  - cache: zz
    topic: t1"

start_local srv --caches a,b --topic-limits 50,2,4 --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "$subs" "
logging:
  summary_interval: 1h"
chk=$(${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -qx "limits: cache a allows 2 subscriptions, 50 publishes a second, 4 KiB messages; 3 subscriptions configured" <<<"$chk" ||
    fail "--check-config, cache a: $(grep limits <<<"$chk")"
grep -qx "warning: over_limit: 3 subscriptions on cache a, which allows 2: ask Momento support to raise the limit, or subscribe to fewer topics" <<<"$chk" ||
    fail "--check-config, over_limit: $(grep -i limit <<<"$chk")"
grep -qx "limits: cache b allows 2 subscriptions, 50 publishes a second, 4 KiB messages; 1 subscription configured" <<<"$chk" ||
    fail "--check-config, cache b: $(grep limits <<<"$chk")"
grep -q "^limits: cache zz: not among the account's caches" <<<"$chk" || fail "--check-config, cache zz: $chk"
pass "--check-config: each cache's limits, over_limit, a cache not listed"

start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="over_limit"' 1 || fail "no over_limit"
e=$(events "$out" '.event=="cache_limits" and .cache=="a"')
jq -e '.level=="info" and .max_subscription_count==2 and .max_publish_rate==50 and .max_publish_message_size_kb==4
       and .configured==3' <<<"$e" >/dev/null || fail "cache_limits a: $e"
e=$(events "$out" '.event=="over_limit"')
jq -e '.level=="warning" and .cache=="a" and .configured==3 and .max_subscription_count==2 and (.hint|test("fewer topics"))' \
    <<<"$e" >/dev/null || fail "over_limit: $e"
jq -e '.configured==1' <<<"$(events "$out" '.event=="cache_limits" and .cache=="b"')" >/dev/null ||
    fail "cache_limits b: $(events "$out" '.event=="cache_limits" and .cache=="b"')"
[ "$(count_events "$out" '.event=="cache_limits" and .cache=="zz"')" = 0 ] || fail "cache_limits for a cache not listed"
# the third subscription on a is refused by the server, and says why
wait_events 10 "$out" '.event=="limit_exceeded" and .cache=="a"' 1 || fail "no limit_exceeded"
jq -e '.limit_name=="subscriptions" and .limit==2' <<<"$(events "$out" '.event=="limit_exceeded"' | sed -n 1p)" >/dev/null ||
    fail "limit_exceeded: $(events "$out" '.event=="limit_exceeded"' | sed -n 1p)"
pass "at start: cache_limits per listed cache, over_limit for cache a, the refusal names the limit"

# a reload to two subscriptions on a: asked again, nothing over
write_daemon_config "$cfg" "
  - cache: a
    topic: t1
  - cache: a
    topic: t2
  - cache: b
    topic: t1" "
logging:
  summary_interval: 1h"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="cache_limits" and .cache=="a"' 2 || fail "not asked again at the reload"
jq -e '.configured==2' <<<"$(events "$out" '.event=="cache_limits" and .cache=="a"' | tail -1)" >/dev/null ||
    fail "cache_limits a after the reload: $(events "$out" '.event=="cache_limits" and .cache=="a"' | tail -1)"
sleep 0.5
[ "$(count_events "$out" '.event=="over_limit"')" = 1 ] || fail "over_limit after the reload"
stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
stop "$LOCAL_PID" || fail "momento-topics-local did not stop cleanly"
pass "reload: asked again, with the new counts"

# a key the control plane refuses: one info line, subscriptions unharmed
start_local denied --caches a,b --fault-reject permission-denied --fault-reject-rpc control --heartbeat 200ms
write_daemon_config "$cfg" "
  - cache: a
    topic: t1" "
logging:
  summary_interval: 1h"
chk=$(${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -q "^limits: not checked: the key may not use the control plane (a key limited to topics is normal) (PERMISSION_DENIED from 127.0.0.1:$LOCAL_PORT" <<<"$chk" ||
    fail "--check-config, denied: $(grep limits <<<"$chk")"
start_daemon dn "$cfg"
out=$WORK/dn.out
wait_events 10 "$out" '.event=="cache_limits"' 1 || fail "no cache_limits line for a refused key"
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
e=$(events "$out" '.event=="cache_limits"')
jq -e '.level=="info" and .cache=="*" and .status=="PERMISSION_DENIED" and (.message|test("may not use the control plane"))' \
    <<<"$e" >/dev/null || fail "refused: $e"
sleep 2
[ "$(count_events "$out" '.event=="cache_limits"')" = 1 ] || fail "the refused check was retried"
w='(.level=="error" or .level=="warning") and (.event|test("^clock_")|not)'
[ "$(count_events "$out" "$w")" = 0 ] || fail "warnings: $(events "$out" "$w")"
stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
stop "$LOCAL_PID" || fail "momento-topics-local did not stop cleanly"
pass "a key without control-plane rights: one info line, no retry, no warning"

# no control plane reachable (nothing listens): --check-config says it could not check
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s|endpoint_override: 127.0.0.1:[0-9]*|endpoint_override: 127.0.0.1:$port|" "$cfg"
chk=$(${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -q "^limits: not checked: the control plane could not be reached (UNAVAILABLE from 127.0.0.1:$port" <<<"$chk" ||
    fail "--check-config, offline: $(grep limits <<<"$chk")"
pass "--check-config offline: not checked, and why"
start_daemon off "$cfg"
wait_events 10 "$WORK/off.out" '.event=="cache_limits"' 1 || fail "no cache_limits line offline"
jq -e '.status=="UNAVAILABLE" and (.message|test("could not be reached"))' <<<"$(events "$WORK/off.out" '.event=="cache_limits"')" >/dev/null ||
    fail "offline: $(events "$WORK/off.out" '.event=="cache_limits"')"
sleep 2
[ "$(count_events "$WORK/off.out" '.event=="cache_limits"')" = 1 ] || fail "the check was retried offline"
stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
pass "offline: one info line, not retried"
