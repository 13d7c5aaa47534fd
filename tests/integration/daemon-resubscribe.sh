#!/usr/bin/env bash
# The daemon never exits or spins because the server went away: streams that
# end are resubscribed from the last position (nothing lost, nothing doubled),
# silent streams are replaced, refusals are explained, and a server that is
# down is retried with growing delays.
source "$(dirname "$0")/lib.sh"

# 1. every stream ends with UNAVAILABLE after 7 items: resume at last + 1
start_local srv --heartbeat 200ms --fault-end-after 7
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
reconnect:
  backoff_initial: 20ms
  backoff_max: 200ms
  idle_timeout: 2s"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
publish c t -n 50 -r 500
wait_events 15 "$out" '.event=="message"' 50 || fail "messages lost across stream ends"
events "$out" '.event=="message"' | jq -s -e 'map(.seq) == [range(1;51)]' >/dev/null \
    || fail "seqs not exactly 1..50: $(events "$out" '.event=="message"' | jq -s -c 'map(.seq)')"
[ "$(count_events "$out" '.event=="resubscribing" and .status=="UNAVAILABLE" and .level=="warning"')" -ge 7 ] \
    || fail "expected a resubscribing event per stream end"
# a stream that delivered is healthy: an error end of it is resubscribed at
# once; the backoff is for consecutive failures only
events "$out" '.event=="resubscribing"' | jq -s -e 'all(.end == "error" and .items == 7 and .delay_ms == 0
    and .attempt == 1)' >/dev/null \
    || fail "healthy streams not resubscribed at once: $(events "$out" '.event=="resubscribing"' | head -2)"
# resubscribes ask for last + 1 on the last page
events "$out" '.event=="subscribed" and .resume_at > 0' | jq -s -e 'length >= 7 and all(.page > 0)
    and (map(.resume_at) | . == (sort) and (.[0] == 8))' >/dev/null \
    || fail "resume positions: $(events "$out" '.event=="subscribed"' | jq -s -c 'map([.resume_at,.page])')"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="*"' 1 || fail "no summary"
s=$(events "$out" '.event=="summary" and .cache=="*"')
jq -e '.count == 50 and .duplicates == 0 and .gaps == 0 and .reconnects >= 7 and .ends_error == .reconnects
    and .resumes_exact == .reconnects' <<<"$s" >/dev/null \
    || fail "summary after resubscribes: $s"
stop "$DAEMON_PID" || fail "daemon exit status"
stop "$LOCAL_PID" || true

# 2. a stalled stream (no items, no heartbeats) is replaced after idle_timeout
start_local stall --heartbeat 100ms --fault-stall-after 3
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
reconnect:
  backoff_initial: 20ms
  idle_timeout: 1s"
start_daemon d2 "$cfg"
out=$WORK/d2.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed (stall)"
publish c t -n 5
wait_events 10 "$out" '.event=="idle_timeout"' 1 || fail "no idle_timeout on a stalled stream"
jq -e '.idle_ms >= 1000 and .level == "warning"' <<<"$(events "$out" '.event=="idle_timeout"' | head -1)" >/dev/null \
    || fail "idle_timeout event: $(events "$out" '.event=="idle_timeout"' | head -1)"
wait_events 10 "$out" '.event=="message"' 5 || fail "messages after the stall were not recovered"
events "$out" '.event=="message"' | jq -s -e 'map(.seq) | . == [range(1;6)]' >/dev/null || fail "seqs after stall"
stop "$DAEMON_PID" || fail "daemon exit status"
stop "$LOCAL_PID" || true

# 3. refusals are explained: wrong token, unknown cache, subscription limit;
#    the daemon keeps running and retrying through all of them
v2="eyJhbGciOiJIUzI1NiJ9.$(printf '{"t":"g"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').c2ln"
start_local refuse --token "$v2" --caches known --max-subscribers 1
write_daemon_config "$cfg" "
  - cache: known
    topic: a
  - cache: known
    topic: b
  - cache: unknown
    topic: t" "
reconnect:
  backoff_initial: 50ms
  backoff_max: 200ms"
MOMENTO_API_KEY= start_daemon d3 "$cfg"   # no key: an empty token
out=$WORK/d3.out
wait_events 10 "$out" '.event=="auth_error"' 2 || fail "no auth_error for a wrong token"
jq -e '.status == "UNAUTHENTICATED" and .level == "error" and (.hint | test("API key"))' \
    <<<"$(events "$out" '.event=="auth_error"' | head -1)" >/dev/null || fail "auth_error event"
kill -0 "$DAEMON_PID" || fail "the daemon exited on an auth error"
stop "$DAEMON_PID" || fail "daemon exit status"

MOMENTO_API_KEY=$v2 start_daemon d4 "$cfg"
out=$WORK/d4.out
wait_events 10 "$out" '.event=="not_found" and .cache=="unknown"' 2 || fail "no not_found for an unknown cache"
wait_events 10 "$out" '.event=="limit_exceeded"' 1 || fail "no limit_exceeded past --max-subscribers"
jq -e '.status == "RESOURCE_EXHAUSTED" and .limit_name == "subscriptions" and .limit == 1
       and (.hint | test("this account allows 1 subscriptions; ask Momento support to raise it, or subscribe to fewer topics"))' \
    <<<"$(events "$out" '.event=="limit_exceeded"' | head -1)" >/dev/null || fail "limit_exceeded event: $(events "$out" '.event=="limit_exceeded"' | head -1)"
jq -e '.status == "NOT_FOUND" and (.hint | test("cache unknown"))' \
    <<<"$(events "$out" '.event=="not_found"' | head -1)" >/dev/null || fail "not_found event"
[ "$(count_events "$out" '.event=="subscribed" and .cache=="known"')" -ge 1 ] || fail "the allowed stream did not subscribe"
[ "$(count_events "$out" '.event=="auth_error"')" = 0 ] || fail "auth_error with the right key"
stop "$DAEMON_PID" || fail "daemon exit status"
stop "$LOCAL_PID" || true

# 4. the server goes away: the daemon stays up, retries with growing delays
#    (never a hot loop), and resumes once the server is back on the same port
start_local gone --heartbeat 200ms
port=$LOCAL_PORT
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
reconnect:
  backoff_initial: 50ms
  backoff_max: 400ms"
start_daemon d5 "$cfg"
out=$WORK/d5.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed (gone)"
stop "$LOCAL_PID" || true
sleep 2
kill -0 "$DAEMON_PID" || fail "the daemon exited when the server went away"
n=$(count_events "$out" '.event=="resubscribing"')
[ "$n" -ge 3 ] && [ "$n" -le 30 ] || fail "$n resubscribe attempts in ~2 s: not backing off sensibly"
# the first end (of a stream that delivered nothing for under 10 s) already
# waits: failures count from it
events "$out" '.event=="resubscribing"' | jq -s -e 'map(.delay_ms) | .[-1] > .[0] and .[0] >= 40 and max <= 400' >/dev/null \
    || fail "delays do not grow: $(events "$out" '.event=="resubscribing"' | jq -s -c 'map(.delay_ms)')"
events "$out" '.event=="resubscribing"' | jq -s -e 'map(.attempt) | . == [range(2; length + 2)]' >/dev/null \
    || fail "attempts: $(events "$out" '.event=="resubscribing"' | jq -s -c 'map(.attempt)')"
start_local back --listen "127.0.0.1:$port" --heartbeat 200ms 2>/dev/null || true
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "did not resubscribe when the server came back"
stop "$DAEMON_PID" || fail "daemon exit status"

# 5. with the service unreachable, SIGTERM still stops the daemon within 2 s
stop "$LOCAL_PID" || true
start_daemon d6 "$cfg"
wait_events 10 "$WORK/d6.out" '.event=="resubscribing"' 2 || fail "no resubscribing with the server down"
t0=$(date +%s%N)
stop "$DAEMON_PID" || fail "exit status with the server down"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -le 2000 ] || fail "took $ms ms to stop with the service unreachable"
pass "resubscribe: stream ends, stalls, refusals, server restart; stop in $ms ms while unreachable"
