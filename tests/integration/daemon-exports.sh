#!/usr/bin/env bash
# momento-subscriberd with both exports on, against momento-topics-local:
# - the Prometheus textfile passes `promtool check metrics`, each `le` bucket
#   counts exactly the latencies below it (recomputed from the message
#   events), _count, _sum and the counters equal what was delivered, and it
#   keeps counting across summaries; it is replaced atomically (no temporary
#   file left, mode 0644); a textfile that cannot be written is reported once;
# - the EMF documents pass the JSON schema written from the EMF specification
#   (tests/emf), their Counts add up to each interval's count and equal the
#   summary's histogram, and an interval of 150 distinct latencies is split
#   into documents of at most 100 values;
# - three publishers of one topic, two with clocks skewed by a known amount
#   (-2 s and +3 s), each show their own latency floor;
# - a canary: the textfile's canary series pass promtool and agree with the
#   `canary` events (totals since start, late and the like summed, in flight,
#   availability, burn rate, round trips counted), its EMF documents with the
#   interval's event; a canary removed by a reload keeps its last values.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus)"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3 jsonschema is not installed (apt-get install python3-jsonschema)"
PROBE=$TOOLS/probe
[ -x "$PROBE" ] || fail "the probe is not built ($PROBE)"

start_local srv --heartbeat 200ms --publisher-id-from-token
mkdir "$WORK/node"
PROM=$WORK/node/momento.prom
cfg=$WORK/sub.yaml
subs="
  - cache: c
    topic: seed
  - cache: c
    topic: skew
    decode: text
    timestamp: { format: epoch_us }
  - cache: c
    topic: spread
    decode: text
    timestamp: { format: epoch_us }"
exports() {
    write_daemon_config "$cfg" "$subs" "
logging:
  message_budget: 1000000
  summary_interval: 1h
export:
  prometheus_textfile: $1
  emf: true
  emf_namespace: Test/Exports"
}
exports "$PROM"
chk=$("$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -qx "export: Prometheus textfile $PROM, rewritten at every summary" <<<"$chk" &&
    grep -qx "export: CloudWatch EMF documents in the log output, namespace Test/Exports" <<<"$chk" ||
    fail "--check-config does not name the exports: $chk"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 3 || fail "not every topic subscribed"
[ ! -e "$PROM" ] || fail "the textfile was written before any summary"

now_us() { echo $(($(date +%s%N) / 1000)); }
pub() { "$PROBE" publish --target "127.0.0.1:$LOCAL_PORT" --cache c "$@" >/dev/null || fail "probe publish $*"; }

publish c seed -n 40
# three publishers: pub-a's clock right, pub-b's 2 s ahead, pub-c's 3 s behind
for _ in 1 2 3 4 5; do
    pub --topic skew --token pub-a "$(now_us)"
    pub --topic skew --token pub-b "$(($(now_us) + 2000000))"
    pub --topic skew --token pub-c "$(($(now_us) - 3000000))"
done
# 150 latencies 4% apart, from 0.2 s to about 70 s: more than 100 buckets
for i in $(seq 0 149); do
    pub --topic spread "$(($(now_us) - $(awk -v i="$i" 'BEGIN { printf "%d", 200000 * 1.04 ^ i }')))"
done
wait_events 20 "$out" '.event=="message"' 205 || fail "message events missing"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 4 || fail "no summaries after SIGUSR1"
wait_for 10 test -s "$PROM" || fail "no textfile after the summary"

# ---- the Prometheus textfile ----
promtool check metrics <"$PROM" >"$WORK/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$WORK/promtool.out")"
[ "$(ls -A "$WORK/node")" = momento.prom ] || fail "left in the directory: $(ls -A "$WORK/node")"
[ "$(stat -c %a "$PROM")" = 644 ] || fail "textfile mode $(stat -c %a "$PROM")"

# value NAME TOPIC : the sample of NAME{cache="c",topic="TOPIC"}
value() { awk -v k="momento_subscriber_$1{cache=\"c\",topic=\"$2\"}" '$1 == k { print $2 }' "$PROM"; }
latencies() { events "$out" ".event==\"message\" and .topic==\"$1\"" | jq -r .latency_us; }

# every bucket of TOPIC counts exactly the latencies below its bound; N in all
check_buckets() {
    local t=$1 n=$2 series v le want buckets=0
    latencies "$t" >"$WORK/lat.$t"
    [ "$(wc -l <"$WORK/lat.$t")" = "$n" ] || fail "$t: $(wc -l <"$WORK/lat.$t") message events, expected $n"
    while read -r series v; do
        le=${series##*le=\"}
        le=${le%\"\}}
        if [ "$le" = +Inf ]; then
            want=$n
        else
            want=$(awk -v b="$(awk -v s="$le" 'BEGIN { printf "%.0f", s * 1000000 }')" '$1 < b' "$WORK/lat.$t" | wc -l)
        fi
        [ "$v" = "$want" ] || fail "$t: bucket le=$le holds $v, but $want latencies are below it"
        buckets=$((buckets + 1))
    done < <(grep "^momento_subscriber_latency_seconds_bucket{cache=\"c\",topic=\"$t\"," "$PROM")
    [ "$buckets" = 26 ] || fail "$t: $buckets buckets, expected 25 bounds and +Inf"
    [ "$(value latency_seconds_count "$t")" = "$n" ] || fail "$t: _count $(value latency_seconds_count "$t"), expected $n"
    [ "$(value messages_total "$t")" = "$n" ] || fail "$t: messages_total $(value messages_total "$t")"
    # _sum: the exact sum, in seconds
    awk -v got="$(value latency_seconds_sum "$t")" '{ s += $1 } END {
        d = got - s / 1e6; if (d < 0) d = -d; exit !(d < 1e-6) }' "$WORK/lat.$t" ||
        fail "$t: _sum $(value latency_seconds_sum "$t") is not the sum of the latencies"
    [ "$(value stream_up "$t")" = 1 ] || fail "$t: stream_up $(value stream_up "$t")"
    for c in gaps duplicates discontinuities resets reconnects decode_errors protocol_errors; do
        [ "$(value "${c}_total" "$t")" = 0 ] || fail "$t: ${c}_total $(value "${c}_total" "$t")"
    done
}
check_buckets seed 40
check_buckets skew 15
check_buckets spread 150
[ "$(value latency_negative_total skew)" = 5 ] || fail "skew: negative_total $(value latency_negative_total skew)"
[ "$(value latency_negative_total seed)" = 0 ] || fail "seed: negative_total $(value latency_negative_total seed)"
synced=$(events "$out" '.event=="summary" and .cache=="*"' | jq -r 'if .clock_synced then 1 else 0 end')
grep -qx "momento_subscriber_clock_synchronized $synced" "$PROM" || fail "clock_synchronized is not $synced"
grep -q '^momento_subscriber_clock_max_error_seconds [0-9.]*$' "$PROM" || fail "no clock_max_error_seconds"
grep -q '^momento_subscriber_clock_estimated_error_seconds [0-9.]*$' "$PROM" || fail "no clock_estimated_error_seconds"
pass "textfile: promtool accepts it; buckets, _count, _sum and counters exact for 3 topics"

# ---- the EMF documents ----
emf() { grep '^{"_aws":' "$out"; }
emf >"$WORK/emf1.jsonl"
python3 "$top_srcdir/tests/emf/emf-check.py" "$top_srcdir/tests/emf/emf.schema.json" "$WORK/emf1.jsonl" \
    >"$WORK/emf-check.out" 2>&1 || fail "EMF documents do not pass the schema: $(head -5 "$WORK/emf-check.out")"
# per topic: the Counts of its documents, in order, are the summary's histogram counts
check_emf() {
    local file=$1 t=$2 n=$3 docs
    docs=$(jq -c "select(.topic==\"$t\")" "$file")
    local s
    s=$(events "$out" ".event==\"summary\" and .topic==\"$t\"" | tail -1)
    jq -e -s --argjson s "$s" --argjson n "$n" '
        (map(.Latency.Counts) | add) == ($s.histogram | split(",")[1:] | map(split(":")[1] | tonumber))
        and (map(.Latency.Count) | add) == $n and $s.count == $n
        and .[0].Messages == $n and .[0].NegativeLatencies == $s.negative and .[0].LogDropped == $s.log_dropped
        and all(.[1:][]; has("Messages") | not)
        and all(.[]; (.Latency.Values | length) <= 100 and ._aws.CloudWatchMetrics[0].Namespace == "Test/Exports"
                     and ._aws.CloudWatchMetrics[0].Dimensions == [["cache","topic"]] and .cache == "c")
        and (map(._aws.Timestamp) | unique | length) == 1
        and .[0].Latency.Min == $s.min_us and .[-1].Latency.Max == $s.max_us' <<<"$docs" >/dev/null ||
        fail "$t: EMF documents do not match the summary: $(head -c 600 <<<"$docs")"
    jq -s length <<<"$docs"
}
[ "$(check_emf "$WORK/emf1.jsonl" seed 40)" = 1 ] || fail "seed: not one document"
[ "$(check_emf "$WORK/emf1.jsonl" skew 15)" = 1 ] || fail "skew: not one document"
spread_docs=$(check_emf "$WORK/emf1.jsonl" spread 150)
[ "$spread_docs" -ge 2 ] || fail "spread: $spread_docs document(s) for more than 100 distinct latencies"
ts=$(jq -s 'map(._aws.Timestamp) | unique | .[0]' "$WORK/emf1.jsonl")
[ $((ts / 1000 - $(date +%s))) -le 1 ] && [ $(($(date +%s) - ts / 1000)) -le 60 ] || fail "EMF timestamp $ts ms is not now"
pass "EMF: $(wc -l <"$WORK/emf1.jsonl") documents pass the schema; Counts equal each summary's histogram; spread split in $spread_docs"

# ---- the publishers' floors ----
floors=$(events "$out" '.event=="publisher_floor"' | jq -s -c 'map({(.publisher_id): .}) | add')
jq -e '(keys == ["pub-a","pub-b","pub-c"]) and all(.[]; .count == 5 and .topic == "skew" and .level == "info")
       and .["pub-a"].min_us >= 0 and .["pub-a"].min_us < 1000000
       and .["pub-b"].min_us >= -2000000 and .["pub-b"].min_us < -1000000
       and .["pub-c"].min_us >= 3000000 and .["pub-c"].min_us < 4000000
       and ([.[].rank] | sort) == [1,2,3]' <<<"$floors" >/dev/null ||
    fail "publisher floors: $floors"
pass "publisher floors: pub-a $(jq '.["pub-a"].min_us' <<<"$floors") us, pub-b (2 s ahead) $(jq '.["pub-b"].min_us' <<<"$floors") us, pub-c (3 s behind) $(jq '.["pub-c"].min_us' <<<"$floors") us"

# ---- a second interval: the textfile keeps counting, EMF has only the new ones ----
publish c seed -n 10
wait_events 10 "$out" '.event=="message" and .topic=="seed"' 50 || fail "second batch missing"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 8 || fail "no second round of summaries"
wait_for 10 grep -qx 'momento_subscriber_latency_seconds_count{cache="c",topic="seed"} 50' "$PROM" ||
    fail "seed: _count after the second interval: $(value latency_seconds_count seed)"
check_buckets seed 50
emf | tail -n +$(($(wc -l <"$WORK/emf1.jsonl") + 1)) >"$WORK/emf2.jsonl"
[ "$(check_emf "$WORK/emf2.jsonl" seed 10)" = 1 ] || fail "seed: second interval's document"
jq -e -s 'map(select(.topic=="skew" or .topic=="spread")) | all(has("Latency") | not) and length == 2' \
    "$WORK/emf2.jsonl" >/dev/null || fail "idle topics' documents: $(cat "$WORK/emf2.jsonl")"
python3 "$top_srcdir/tests/emf/emf-check.py" "$top_srcdir/tests/emf/emf.schema.json" "$WORK/emf2.jsonl" \
    >"$WORK/emf-check.out" 2>&1 || fail "second EMF documents: $(head -5 "$WORK/emf-check.out")"
pass "second interval: the textfile counts since start, EMF the interval only"

# ---- a textfile that cannot be written: said once, then written when it can be ----
exports "$WORK/missing/m.prom"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no reload"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="export_error"' 1 || fail "no export_error for a missing directory"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary"' 16 || fail "no fourth round of summaries"
[ "$(count_events "$out" '.event=="export_error"')" = 1 ] || fail "export_error repeated"
e=$(events "$out" '.event=="export_error"')
jq -e --arg f "$WORK/missing/m.prom" '.file == $f and .level == "warning" and (.reason | test("No such file"))' \
    <<<"$e" >/dev/null || fail "export_error: $e"
mkdir "$WORK/missing"
kill -USR1 "$DAEMON_PID"
wait_for 10 test -s "$WORK/missing/m.prom" || fail "the textfile was not written once it could be"
grep -qx 'momento_subscriber_latency_seconds_count{cache="c",topic="seed"} 50' "$WORK/missing/m.prom" ||
    fail "the new textfile does not count since start"
pass "an unwritable textfile is reported once, and written when it can be"

stop "$DAEMON_PID" || fail "daemon exit status"

# ---- the canary: its series in the textfile, its EMF documents ----
CPROM=$WORK/node/canary.prom
ccfg=$WORK/canary.yaml
canary_config() {
    write_daemon_config "$ccfg" "
  - cache: c
    topic: seed" "
logging:
  summary_interval: 1h
export:
  prometheus_textfile: $CPROM
  emf: true
  emf_namespace: Test/Exports
$1"
}
canary_config "canary: {cache: cc, rate: 10/s}"
start_daemon dc "$ccfg"
cout=$WORK/dc.out
wait_events 10 "$cout" '.event=="subscribed"' 2 || fail "canary daemon: not every topic subscribed"
# probes come back on the canary topic's stream
wait_events 10 "$cout" '.event=="message" and .cache=="cc"' 10 || fail "no probes back: $(tail -3 "$cout")"

CT='{cache="cc",topic="momento-subscriber-canary"}'
cval() { awk -v k="momento_subscriber_canary_$1$CT" '$1 == k { print $2 }' "$CPROM"; }
clast() { events "$cout" '.event=="canary"' | tail -n 1 | jq -r "$1"; }
csum() { events "$cout" '.event=="canary"' | jq -s "map($1) | add"; }
# the textfile agrees with the canary events: N canary events seen
check_canary_prom() {
    local n=$1 c v want
    wait_for 10 grep -qx "momento_subscriber_canary_sent_total$CT $(clast .sent_total)" "$CPROM" ||
        fail "canary: sent_total $(cval sent_total), the last canary event says $(clast .sent_total)"
    promtool check metrics <"$CPROM" >"$WORK/promtool.out" 2>&1 ||
        fail "promtool check metrics (canary): $(cat "$WORK/promtool.out")"
    [ "$(count_events "$cout" '.event=="canary"')" = "$n" ] || fail "canary: not $n canary events"
    for c in received lost; do
        [ "$(cval ${c}_total)" = "$(clast ".${c}_total")" ] ||
            fail "canary: ${c}_total $(cval ${c}_total), the last event says $(clast ".${c}_total")"
    done
    for c in late duplicates out_of_order after_deadline; do
        [ "$(cval ${c}_total)" = "$(csum ".$c")" ] ||
            fail "canary: ${c}_total $(cval ${c}_total), the events add up to $(csum ".$c")"
    done
    [ "$(cval in_flight)" = "$(clast .in_flight)" ] || fail "canary: in_flight $(cval in_flight) vs $(clast .in_flight)"
    [ "$(cval sent_total)" = $(($(cval received_total) + $(cval lost_total) + $(cval in_flight))) ] ||
        fail "canary: the textfile does not balance"
    # every probe received has its round trip, on the topic histogram's bounds
    [ "$(cval rtt_seconds_count)" = "$(cval received_total)" ] || fail "canary: rtt _count $(cval rtt_seconds_count)"
    [ "$(grep -c "^momento_subscriber_canary_rtt_seconds_bucket{cache=\"cc\",topic=\"momento-subscriber-canary\",le=" "$CPROM")" = 26 ] ||
        fail "canary: not 26 rtt buckets"
    grep -qx "momento_subscriber_canary_rtt_seconds_bucket{cache=\"cc\",topic=\"momento-subscriber-canary\",le=\"+Inf\"} $(cval received_total)" "$CPROM" ||
        fail "canary: the +Inf bucket is not received_total"
    [ "$(grep -c '^momento_subscriber_canary_publish_errors_total' "$CPROM")" = 0 ] || fail "canary: publish errors"
    # the events print a fraction with 3 decimals: within half of the last
    want=$(clast '.availability_total // "none"')
    v=$(cval availability)
    if [ "$want" = none ]; then
        [ -z "$v" ] || fail "canary: availability $v without any probe back or lost"
    else
        awk -v a="$v" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.0005001) }' ||
            fail "canary: availability $v, the last event's availability_total $want"
    fi
    want=$(clast '.burn_rate // "none"')
    v=$(cval burn_rate)
    if [ "$want" = none ]; then
        [ -z "$v" ] || fail "canary: burn_rate $v for an interval without one"
    else
        awk -v a="$v" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.0005001) }' ||
            fail "canary: burn_rate $v, the last event's $want"
    fi
}
# the canary documents of FILE: one, agreeing with the last canary event
check_canary_emf() {
    local file=$1 e docs
    e=$(events "$cout" '.event=="canary"' | tail -n 1)
    docs=$(jq -c 'select(has("CanarySent"))' "$file")
    python3 "$top_srcdir/tests/emf/emf-check.py" "$top_srcdir/tests/emf/emf.schema.json" "$file" \
        >"$WORK/emf-check.out" 2>&1 || fail "canary EMF documents: $(head -5 "$WORK/emf-check.out")"
    jq -e -s --argjson e "$e" '
        length == 1 and .[0] as $d
        | $d.cache == "cc" and $d.topic == "momento-subscriber-canary" and $d.host == $e.host and $d.id == $e.id
        and $d._aws.CloudWatchMetrics[0].Dimensions == [["cache","topic"]]
        and $d._aws.CloudWatchMetrics[0].Namespace == "Test/Exports"
        and $d.CanarySent == $e.sent and $d.CanaryReceived == $e.received and $d.CanaryLost == $e.lost
        and $d.CanaryLate == $e.late and $d.CanaryPublishErrors == $e.publish_errors
        and (($d.CanaryRoundTrip.Counts // []) | add // 0) == $e.received
        and (if $e.received > 0 then $d.CanaryRoundTrip.Min == $e.rtt_min_us and $d.CanaryRoundTrip.Max == $e.rtt_max_us
             else ($d | has("CanaryRoundTrip") | not) end)
        and (if $e.availability == null then ($d | has("CanaryAvailability") | not)
             else ($d.CanaryAvailability - $e.availability | if . < 0 then -. else . end) <= 0.0005001 end)
        and ([$d._aws.CloudWatchMetrics[0].Metrics[] | select(.Name == "CanaryAvailability") | .Unit] | . == [] or . == ["None"])' \
        <<<"$docs" >/dev/null || fail "canary EMF document vs its event $e: $docs"
}
cemf() { grep '^{"_aws":' "$cout"; }

kill -USR1 "$DAEMON_PID"
wait_events 10 "$cout" '.event=="canary"' 1 || fail "no canary event after SIGUSR1"
check_canary_prom 1
[ "$(cval received_total)" -gt 0 ] || fail "canary: no probe received in the textfile"
cemf >"$WORK/cemf1.jsonl"
check_canary_emf "$WORK/cemf1.jsonl"
pass "canary: textfile sent_total $(cval sent_total) = the canary event's, received $(cval received_total), in flight $(cval in_flight); one EMF document with the interval"

# a second interval: the textfile counts since start, EMF the interval only
sleep 1
kill -USR1 "$DAEMON_PID"
wait_events 10 "$cout" '.event=="canary"' 2 || fail "no second canary event"
check_canary_prom 2
cemf | tail -n +$(($(wc -l <"$WORK/cemf1.jsonl") + 1)) >"$WORK/cemf2.jsonl"
check_canary_emf "$WORK/cemf2.jsonl"
[ "$(clast .sent)" -lt "$(cval sent_total)" ] || fail "canary: the textfile does not count since start"
pass "canary: a second interval adds up in the textfile ($(cval sent_total) sent), EMF has the interval's $(clast .sent)"

# removed by a reload: its last interval is exported, then its values stay
sleep 1
canary_config ""
kill -HUP "$DAEMON_PID"
wait_events 10 "$cout" '.event=="config_reloaded"' 1 || fail "no reload"
wait_events 10 "$cout" '.event=="canary"' 3 || fail "no last canary event at the reload"
kept=$(clast .sent_total)
cemf | tail -n +$(($(wc -l <"$WORK/cemf1.jsonl") + $(wc -l <"$WORK/cemf2.jsonl") + 1)) >"$WORK/cemf3.jsonl"
check_canary_emf "$WORK/cemf3.jsonl"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$cout" '.event=="summary" and .cache=="*"' 3 || fail "no summary after the reload"
check_canary_prom 3
# one more message, so that the next textfile can be told from the last
publish c seed -n 1
wait_events 10 "$cout" '.event=="message" and .topic=="seed"' 1 || fail "the seed message is missing"
kill -USR1 "$DAEMON_PID"
wait_for 10 grep -qx 'momento_subscriber_latency_seconds_count{cache="c",topic="seed"} 1' "$CPROM" ||
    fail "no textfile after the second summary since the reload"
check_canary_prom 3
[ "$(cval sent_total)" = "$kept" ] || fail "canary: the retired canary's sent_total moved: $(cval sent_total), was $kept"
pass "canary: removed by a reload, its series keep their last values ($kept sent)"

stop "$DAEMON_PID" || fail "canary daemon exit status"
