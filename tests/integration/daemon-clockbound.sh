#!/usr/bin/env bash
# This host's clock error bound from a ClockBound segment (written by
# tests/tools/clockbound-write into a file the test names), and the
# publisher's from momento-publish on a segment of its own: the message
# sentence "latency X ms ± Y ms", the summary's clock fields, the textfile's
# gauges, publisher_skewed for a latency below both bounds; then the segment
# in each state the daemon must notice: a writer that stops (as_of frozen:
# stale after 5 s), restarting (version 0: the last snapshot kept up to 5 s),
# removed, replaced by another file, bad magic, free-running, past void_after,
# an odd generation held, and version 1: one clock_source_changed per change,
# and back.
source "$(dirname "$0")/lib.sh"

CBW=$TOOLS/clockbound-write
[ -x "$CBW" ] || fail "the segment writer is not built ($CBW)"
# adjtimex as a file says (synchronised, 1.5 ms), whatever this machine's clock
fake_adjtimex synced 1500 20
SEG=$WORK/shm0
PUBSEG=$WORK/pub-shm0
# the daemon's ClockBound writer, as ClockBound's daemon: every 100 ms
writer() { bg writer "$CBW" "$SEG" --follow 0 "$@"; WRITER_PID=$LAST_PID; }
writer_stop() { kill -TERM "$WRITER_PID" 2>/dev/null; wait "$WRITER_PID" 2>/dev/null || true; }

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
logging:
  summary_interval: 1h
export:
  prometheus_textfile: $WORK/clock.prom
clock:
  source: clockbound
  clockbound_path: $SEG"

"$CBW" "$PUBSEG" --bound-ns 200000 # the publisher's: 200 us, static (read once)
bg pubwriter "$CBW" "$PUBSEG" --bound-ns 200000 --follow 0
writer --bound-ns 350000
wait_for 5 test -s "$SEG" || fail "no segment written"
chk=$(LD_PRELOAD=$SHIM ${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -qx "clock: source clockbound: the bound is clockbound's, now 0.350 ms (synchronized)" <<<"$chk" ||
    fail "--check-config's clock line: $(grep clock: <<<"$chk")"
LD_PRELOAD=$SHIM start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
[ "$(count_events "$out" '.event=="clock_source_changed"')" = 0 ] ||
    fail "clock_source_changed with a good segment: $(events "$out" '.event=="clock_source_changed"')"

publish c t -n 5 --clock-source clockbound --clockbound-path "$PUBSEG" || fail "publish failed"
wait_events 10 "$out" '.event=="message"' 5 || fail "messages not received"
m=$(events "$out" '.event=="message"' | head -n 1)
jq -e '.bound_us == 550 and (.message | test(": latency -?[0-9]+\\.[0-9]{3} ms ± 0\\.550 ms$"))' <<<"$m" >/dev/null ||
    fail "message with both bounds: $m"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="c"' 1 || fail "no summary"
s=$(events "$out" '.event=="summary" and .cache=="c"' | tail -n 1)
jq -e '.clock_source == "clockbound" and .clock_bound_us == 350 and .clock_status == "synchronized"
       and .clock_synced == true and .publisher_bound_us == 200 and .skewed == 0
       and (.message | test("± 0\\.550 \\(this host 0\\.350 by clockbound, publishers 0\\.200\\)"))' \
    <<<"$s" >/dev/null || fail "summary's clock fields: $s"
wait_for 10 grep -qx 'momento_subscriber_clock_bound_seconds 0.00035' "$WORK/clock.prom" ||
    fail "textfile: $(grep clock "$WORK/clock.prom" || true)"
grep -qx 'momento_subscriber_clock_info{source="clockbound",status="synchronized"} 1' "$WORK/clock.prom" &&
    grep -qx 'momento_subscriber_publisher_clock_bound_seconds{cache="c",topic="t"} 0.0002' "$WORK/clock.prom" ||
    fail "textfile: $(grep clock "$WORK/clock.prom" || true)"
pass "ClockBound's bound: message ± 0.550 ms, summary, textfile"

# a publisher 2 s ahead with a bound of 100 us (its start-up takes part of that)
future_us=$(($(date +%s%N) / 1000 + 2000000))
ts=$(date -u -d "@$((future_us / 1000000))" +%Y-%m-%dT%H:%M:%S).$(printf '%06d' $((future_us % 1000000)))Z
publish c t "{\"timestamp\":\"$ts\",\"clock_error_us\":100}" || fail "publish of the skewed message failed"
wait_events 10 "$out" '.event=="message"' 6 || fail "the skewed message was not received"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="publisher_skewed"' 1 || fail "no publisher_skewed"
e=$(events "$out" '.event=="publisher_skewed"')
jq -e '.level == "warning" and .cache == "c" and .skewed == 1 and .bound_us == 100 and .clock_bound_us == 350
       and .skew_us > 1000000 and .skew_us <= 1999550 and (.publisher_id | length > 0)
       and (.message | test("one clock is wrong by at least"))' <<<"$e" >/dev/null || fail "publisher_skewed: $e"
wait_events 10 "$out" '.event=="summary" and .cache=="c"' 2 || fail "no second summary"
s=$(events "$out" '.event=="summary" and .cache=="c"' | tail -n 1)
jq -e '.skewed == 1 and .negative == 1' <<<"$s" >/dev/null || fail "summary's skewed: $s"
pass "a latency below both bounds: publisher_skewed with skew_us $(jq .skew_us <<<"$e")"

# now_bound: the bound of a message published now (this host's + the publisher's 200 us)
MSGS=6
now_bound() {
    publish c t -n 1 --clock-source clockbound --clockbound-path "$PUBSEG" || fail "publish failed"
    MSGS=$((MSGS + 1))
    wait_events 10 "$out" '.event=="message"' "$MSGS" || fail "message $MSGS not received"
    events "$out" '.event=="message"' | tail -n 1 | jq -r .bound_us
}

# changes: each one clock_source_changed (warning to adjtimex, notice back)
changed() { count_events "$out" '.event=="clock_source_changed"'; }
last_change() { events "$out" '.event=="clock_source_changed"' | tail -n 1; }
expect_change() { # N JQ WHAT
    wait_events 8 "$out" '.event=="clock_source_changed"' "$1" || fail "$3: no clock_source_changed"
    jq -e "$2" <<<"$(last_change)" >/dev/null || fail "$3: $(last_change)"
}
fell_back() { echo '.level == "warning" and .clock_source == "adjtimex" and .clock_bound_us == 1500 and .at_start == false and '"$1"; }
came_back() { echo '.level == "notice" and .clock_source == "clockbound" and '"$1"; }

# the writer stops: as_of frozen, stale after 5 s, not before 4
writer_stop
t0=$(date +%s%N)
expect_change 1 "$(fell_back '.clockbound_state == "stale" and (.reason | test("as_of"))')" "frozen as_of"
dt=$((($(date +%s%N) - t0) / 1000000))
[ "$dt" -ge 4000 ] || fail "fell back $dt ms after the writer stopped, before the segment was 5 s old"
writer --bound-ns 350000
expect_change 2 "$(came_back '.clock_bound_us == 350')" "writer back"
pass "a writer that stopped: stale after ${dt} ms, back when it writes again"

# restarting (version 0): the last snapshot kept, then stale
writer_stop
"$CBW" "$SEG" --version 0
t0=$(date +%s%N)
expect_change 3 "$(fell_back '.clockbound_state == "stale"')" "version 0"
dt0=$((($(date +%s%N) - t0) / 1000000))
[ "$dt0" -ge 3500 ] || fail "version 0 not kept: fell back after $dt0 ms"
writer --bound-ns 350000
expect_change 4 "$(came_back 'true')" "after version 0"
pass "version 0: kept for $dt0 ms, then stale; back after"

# removed; replaced by another file (a new inode) with another bound
writer_stop
rm -f "$SEG"
expect_change 5 "$(fell_back '.clockbound_state == "absent"')" "removed"
"$CBW" "$SEG" --bound-ns 900000 --replace
writer --bound-ns 900000
expect_change 6 "$(came_back '.clock_bound_us == 900')" "replaced"
writer_stop
"$CBW" "$SEG.new" --bound-ns 40000
bg writer2 "$CBW" "$SEG.new" --bound-ns 40000 --follow 0
W2=$LAST_PID
sleep 0.3
mv "$SEG.new" "$SEG" # the daemon's mapping is of the old inode
sleep 1.5 # a reading
b=$(now_bound)
[ "$b" = 240 ] || fail "the replaced segment's bound not followed: message bound $b, expected 40 + 200"
kill -TERM "$W2"; wait "$W2" 2>/dev/null || true
pass "removed: absent; replaced by rename: the new file's bound"

# bad magic, then a good one again
"$CBW" "$SEG" --magic bad
expect_change 7 "$(fell_back '.clockbound_state == "bad" and (.reason | test("magic"))')" "bad magic"
writer --bound-ns 350000
expect_change 8 "$(came_back 'true')" "good magic"

# free-running: still ClockBound's bound, but not synchronised (a frozen
# as_of above may have said free_running already, for its last second)
writer_stop
u0=$(count_events "$out" '.event=="clock_unsynced"')
s0=$(count_events "$out" '.event=="clock_synced"')
writer --bound-ns 350000 --status free_running
wait_events 8 "$out" '.event=="clock_unsynced"' $((u0 + 1)) || fail "free-running: no clock_unsynced"
jq -e '.clock_source == "clockbound" and .clock_status == "free_running" and .clock_bound_us == 350' \
    <<<"$(events "$out" '.event=="clock_unsynced"' | tail -n 1)" >/dev/null ||
    fail "free-running: $(events "$out" '.event=="clock_unsynced"' | tail -n 1)"
[ "$(changed)" = 8 ] || fail "free-running changed the source: $(last_change)"
[ "$(count_events "$out" '.event=="clock_unsynced"')" = $((u0 + 1)) ] || fail "clock_unsynced repeated"
writer_stop
writer --bound-ns 350000
wait_events 8 "$out" '.event=="clock_synced"' $((s0 + 1)) || fail "no clock_synced"

# past void_after: no bound to use
writer_stop
"$CBW" "$SEG" --status free_running --as-of now-3 --void-after 1
expect_change 9 "$(fell_back '(.reason | test("void"))')" "past void_after"
writer --bound-ns 350000
expect_change 10 "$(came_back 'true')" "after void_after"
pass "bad magic, free-running (clock_unsynced, same source), past void_after"

# an odd generation held 2 s: the last snapshot kept, no change
writer_stop
"$CBW" "$SEG" --bound-ns 350000 --hold-odd 2 || fail "hold-odd"
[ "$(changed)" = 10 ] || fail "an update in progress changed the source: $(last_change)"
# version 1 (ClockBound 1.x)
writer --version 1 --bound-ns 120000 --replace # a new file, as a restarted ClockBound 1.x makes
sleep 1.5
b=$(now_bound)
[ "$b" = 320 ] || fail "version 1 not read: message bound $b, expected 120 + 200"
[ "$(changed)" = 10 ] || fail "version 1 changed the source: $(last_change)"
pass "odd generation held: kept; version 1 read"
stop "$DAEMON_PID" || fail "daemon exit status"
writer_stop

# clock.source clockbound with no segment: a warning at start, measured with adjtimex
cfg2=$WORK/sub2.yaml
write_daemon_config "$cfg2" "
  - cache: c
    topic: t" "
logging:
  summary_interval: 1h
clock:
  source: clockbound
  clockbound_path: $WORK/none/shm0"
chk=$(LD_PRELOAD=$SHIM ${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg2" --check-config) || fail "--check-config: $chk"
grep -qx "clock: source clockbound: the bound is adjtimex's, now 1.500 ms (synchronized); ClockBound $WORK/none/shm0: absent, no such file" <<<"$chk" ||
    fail "--check-config's clock line without a segment: $(grep clock: <<<"$chk")"
LD_PRELOAD=$SHIM start_daemon d2 "$cfg2"
wait_events 10 "$WORK/d2.out" '.event=="clock_source_changed"' 1 || fail "no warning at start"
e=$(events "$WORK/d2.out" '.event=="clock_source_changed"')
jq -e '.level == "warning" and .at_start == true and .clock_source == "adjtimex" and .clockbound_state == "absent"
       and (.message | test("clock.source is clockbound"))' <<<"$e" >/dev/null || fail "at start: $e"
wait_events 10 "$WORK/d2.out" '.event=="subscribed"' 1 || fail "not subscribed without ClockBound"
# ClockBound starts after the daemon: taken up within a second or two
mkdir -p "$WORK/none"
bg writer3 "$CBW" "$WORK/none/shm0" --bound-ns 60000 --follow 0
W3=$LAST_PID
wait_events 5 "$WORK/d2.out" '.event=="clock_source_changed"' 2 || fail "a segment made after the start not taken up"
jq -e '.level == "notice" and .clock_source == "clockbound" and .clock_bound_us == 60' \
    <<<"$(events "$WORK/d2.out" '.event=="clock_source_changed"' | tail -n 1)" >/dev/null ||
    fail "taken up: $(events "$WORK/d2.out" '.event=="clock_source_changed"' | tail -n 1)"
stop "$DAEMON_PID" || fail "daemon exit status"
kill -TERM "$W3"; wait "$W3" 2>/dev/null || true
pass "clock.source clockbound without a segment: one warning, measured with adjtimex; ClockBound started later is taken up"
