#!/usr/bin/env bash
# momento-subscriberd end to end: several topics on two caches, every message
# event present once with the right seq and a plausible latency, decode errors
# counted and the stream going on, summaries on SIGUSR1, SIGTERM within 2 s.
source "$(dirname "$0")/lib.sh"

start_local srv --caches c1,c2 --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c1
    topic: a
  - cache: c1
    topic: b
    timestamp: { field: published_ms, format: epoch_ms }
  - cache: c2
    topic: a
    decode: text
    timestamp: { format: rfc3339 }
  - cache: c2
    topic: bin
    decode: text" "
logging:
  summary_interval: 1h
  warnings_per_interval: 4"
start_daemon d "$cfg"
out=$WORK/d.out

wait_events 10 "$out" '.event=="subscribed"' 4 || fail "not every topic subscribed"
[ "$(count_events "$out" '.event=="started" and .subscriptions==4')" = 1 ] || fail "no started event"

N=20
publish c1 a -n $N
publish c1 b -n $N --format epoch_ms
publish c2 a -n $N --format text
publish c2 bin -n $N --format text --binary
for i in 1 2 3; do publish c1 a "not json $i"; done
publish c1 a '{"timestamp": true}'

wait_events 10 "$out" '.event=="message"' $((4 * N)) || fail "message events missing"
wait_events 10 "$out" '.event=="decode_error"' 4 || fail "decode errors missing"

for t in c1/a c1/b c2/a c2/bin; do
    cache=${t%/*} topic=${t#*/}
    seqs=$(events "$out" ".event==\"message\" and .cache==\"$cache\" and .topic==\"$topic\"" | jq -r .seq | tr '\n' ' ')
    [ "$seqs" = "$(seq -s ' ' 1 $N) " ] || fail "$t: message seqs are '$seqs'"
done
# every latency is plausible: same clock on both ends, so >= 0 and well under 10 s
bad=$(events "$out" '.event=="message" and (.latency_us < 0 or .latency_us > 10000000)' | head -3)
[ -z "$bad" ] || fail "implausible latencies: $bad"
# fields of a message event
m=$(events "$out" '.event=="message" and .cache=="c2" and .topic=="bin" and .seq==1')
[ "$(jq -r .kind <<<"$m")" = binary ] || fail "c2/bin should be binary: $m"
[ "$(jq -r .level <<<"$m")" = info ] || fail "message level: $m"
jq -e '.published_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$")' <<<"$m" >/dev/null || fail "published_at: $m"
jq -e '.received_at >= .published_at and .page > 0 and .bytes > 20 and (.ts|length) == 27' <<<"$m" >/dev/null || fail "message fields: $m"
m=$(events "$out" '.event=="message" and .cache=="c1" and .topic=="a" and .seq==1')
[ "$(jq -r .kind <<<"$m")" = text ] || fail "c1/a should be text: $m"
# decode errors name the message and the reason, and the stream goes on
events "$out" '.event=="decode_error"' | jq -e -s '
  map(.seq) == [21,22,23,24] and
  (.[0].reason | test("invalid JSON at byte 0")) and
  (.[3].reason | test("boolean")) and all(.[]; .level == "warning" and .cache == "c1")' >/dev/null \
    || fail "decode_error events: $(events "$out" '.event=="decode_error"')"
publish c1 a -n 1
wait_events 10 "$out" '.event=="message" and .cache=="c1" and .topic=="a" and .seq==25' 1 \
    || fail "the stream did not go on after decode errors"

# SIGUSR1: a summary per subscription and one for all
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 5 || fail "no summaries after SIGUSR1"
s=$(events "$out" '.event=="summary" and .cache=="*"')
jq -e '.count == 85 and .decode_errors == 4 and .gaps == 0 and .duplicates == 0 and .negative == 0
       and .min_us >= 0 and .p50_us >= .min_us and .p99_us >= .p50_us and .max_us >= .p999_us
       and (.histogram | startswith("h1,")) and (.clock_synced | type) == "boolean"' <<<"$s" >/dev/null \
    || fail "total summary: $s"
s=$(events "$out" '.event=="summary" and .cache=="c1" and .topic=="a"')
jq -e '.count == 25 and .decode_errors == 4' <<<"$s" >/dev/null || fail "c1/a summary: $s"

# SIGTERM: clean stop within 2 s with a final summary
t0=$(date +%s%N)
rc=0
stop "$DAEMON_PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
[ $ms -le 2000 ] || fail "took $ms ms to stop"
[ "$(count_events "$out" '.event=="stopping"')" = 1 ] || fail "no stopping event"
[ "$(count_events "$out" '.event=="summary"')" = 10 ] || fail "no final summaries"
pass "daemon basic: $((4 * N)) messages, decode errors, summaries, stop in $ms ms"
