#!/usr/bin/env bash
# journald stops reading its socket for 10 seconds (SIGSTOP) while 2,000
# msg/s arrive and every message event is asked for. The daemon keeps
# receiving and stays responsive (STATUS, WATCHDOG=1); once journald has not
# read for the sink's stall limit (5 s) the events go to standard output as
# JSON lines, with one log_fallback saying so there, and once journald reads
# again they go back to it, with one log_restored there. Between the two
# outputs every summary is there and they count every message, the message
# events are all there but those counted in log_dropped (journal records +
# stdout lines + log_dropped = messages), nothing else was lost, and nothing
# was written twice.
#
# The journald is one of our own, in a mount namespace of this test alone
# (unshare -m, tmpfs on its directories, no rate limit), so that stopping it
# disturbs nothing else. Needs root.
if [ "${MO_LOG_TEST_NS:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    exec unshare --mount --propagation private env MO_LOG_TEST_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/log-lib.sh"
[ "${MO_LOG_TEST_NS:-}" = 1 ] || skip "needs root and unshare(1) for a journald of its own"
command -v journalctl >/dev/null || skip "journalctl is not installed (apt-get install systemd)"
JD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do [ -x "$j" ] && JD=$j && break; done
[ -n "$JD" ] || skip "systemd-journald is not installed (apt-get install systemd)"

for d in /run/systemd/journal /run/log/journal /var/log/journal; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done
printf '[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\n' \
    >"$WORK/journald.conf"
mount --bind "$WORK/journald.conf" /etc/systemd/journald.conf
bg journald "$JD"
JPID=$LAST_PID
wait_for 10 test -S /run/systemd/journal/socket || fail "journald did not start"

RATE=2000 SECS=10
[ -z "${MO_WRAPPER:-}" ] || RATE=200
N=$((RATE * SECS))
start_stall_peers
CACHE=c TOPIC=jstall
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: jstall" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 start_daemon d "$cfg" --log-format journal
OUT=$WORK/d.out # the fallback
J=$WORK/journal.json
records() { journalctl -q --no-pager -o json _PID="$DAEMON_PID" >"$J" 2>/dev/null || true; }
have() { records; [ "$(jq -c "select($1)" "$J" | wc -l)" -ge "$2" ]; }
wait_for 10 have '.EVENT=="subscribed"' 1 || fail "not subscribed"
[ ! -s "$OUT" ] || fail "lines on stdout while journald reads: $(head -3 "$OUT")"

kill -STOP "$JPID"
trap 'rc=$?; kill -CONT "$JPID" 2>/dev/null || true; set +e; (exit $rc); cleanup' EXIT
stall_from=$(wc -l <"$NOTES")
publish_fast -q -r "$RATE" -n "$N" || fail "momento-publish failed"
stall_to=$(wc -l <"$NOTES")
[ "$(count_events "$OUT" '.event=="log_fallback"')" = 1 ] ||
    fail "log_fallback on stdout during the stall: $(count_events "$OUT" '.event=="log_fallback"') times"
kill -CONT "$JPID"
sed -n "$((stall_from + 1)),${stall_to}p" "$NOTES" >"$WORK/stall.notes"
busy=$(grep -c 'STATUS=1/1 streams up, [1-9][0-9]* msg/s' "$WORK/stall.notes" || true)
[ "$busy" -ge $((SECS - 2)) ] || fail "STATUS showed messages arriving $busy times in the stall: $(cat "$WORK/stall.notes")"
[ "$(grep -c 'WATCHDOG=1' "$WORK/stall.notes")" -ge $((SECS * 2 - 2)) ] || fail "WATCHDOG=1 not kept up: $(cat "$WORK/stall.notes")"

# journald reads again: within the retry period (2 s) the events go back to it
wait_for 20 have '.EVENT=="log_restored"' 1 || fail "no log_restored in the journal"

# the two outputs as one list of events: journal records as JSON events
# (numbers as numbers), then the stdout lines
both() {
    records
    {
        jq -c 'with_entries(.key |= ascii_downcase) | select(.event) |
               with_entries(if (.value | type) == "string" and (.value | test("^-?[0-9]+(\\.[0-9]+)?$"))
                            then .value |= tonumber else . end) | . + {out: "journal"}' "$J"
        jq -c '. + {out: "stdout"}' "$OUT"
    } >"$WORK/both.json"
}
sum() { jq -s "[.[] | select($1) | .$2] | add // 0" "$WORK/both.json"; }
# summaries until they count every message, then stop
counted() {
    kill -USR1 "$DAEMON_PID"
    sleep 0.3
    both
    [ "$(sum '.event=="summary" and .cache!="*"' count)" = "$N" ]
}
wait_for 60 counted || fail "the summaries in the journal and on stdout count $(sum '.event=="summary" and .cache!="*"' count) of $N"
stop "$DAEMON_PID" || fail "daemon exit status"
wait_for 10 have '.EVENT=="stopping"' 1 || fail "no stopping record in the journal"
both

# every stdout line is a JSON event, and the stall put some there
[ "$(jq -c . "$OUT" | wc -l)" = "$(wc -l <"$OUT")" ] || fail "a stdout line is not JSON"
fb_summaries=$(count_events "$WORK/both.json" '.event=="summary" and .cache=="*" and .out=="stdout"')
[ "$fb_summaries" -ge 1 ] || fail "no summary went to stdout: was journald really stopped?"
# each change said once, where the events were going then
[ "$(count_events "$WORK/both.json" '.event=="log_fallback"')" = 1 ] || fail "log_fallback not logged once"
[ "$(count_events "$WORK/both.json" '.event=="log_restored"')" = 1 ] || fail "log_restored not logged once"
events "$WORK/both.json" '.event=="log_fallback"' | jq -e '.out == "stdout" and .level == "warning" and
    (.reason | test("did not read its socket")) and .retry_ms == 2000' >/dev/null ||
    fail "log_fallback: $(events "$WORK/both.json" '.event=="log_fallback"')"
restored=$(events "$WORK/both.json" '.event=="log_restored"')
jq -e --argjson n "$(wc -l <"$OUT")" '.out == "journal" and .level == "notice" and .lines == $n and .away_ms > 0' \
    <<<"$restored" >/dev/null || fail "log_restored (stdout has $(wc -l <"$OUT") lines): $restored"

# every message counted exactly, every event there once
logged=$(count_events "$WORK/both.json" '.event=="message"')
dropped=$(sum '.event=="summary" and .cache!="*"' log_dropped)
[ $((logged + dropped)) = "$N" ] || fail "$logged message events + $dropped log_dropped != $N"
[ "$(jq -s '[.[] | select(.event=="message") | .seq] | unique | length' "$WORK/both.json")" = "$logged" ] ||
    fail "a message event was written twice"
if [ -z "${MO_WRAPPER:-}" ]; then
    [ "$dropped" -gt 0 ] || fail "no message event had to be dropped: was journald really stopped?"
fi
[ "$(sum '.event=="summary" and .cache=="*"' sink_dropped)" = 0 ] || fail "events other than message events lost"
[ "$(sum '.event=="summary" and .cache!="*"' gaps)" = 0 ] && [ "$(sum '.event=="summary" and .cache!="*"' discontinuities)" = 0 ] \
    || fail "the daemon fell behind the stream"
# every summary: as many per subscription as totals, intervals without a hole
totals=$(count_events "$WORK/both.json" '.event=="summary" and .cache=="*"')
[ "$(count_events "$WORK/both.json" '.event=="summary" and .cache!="*"')" = "$totals" ] || fail "summaries missing"
span=$(sum '.event=="summary" and .cache=="*"' interval_s)
first=$(jq -s '[.[] | select(.EVENT=="started")][0].__REALTIME_TIMESTAMP | tonumber' "$J")
last=$(jq -s '[.[] | select(.EVENT=="summary" and .CACHE=="*")][-1].__REALTIME_TIMESTAMP | tonumber' "$J")
awk -v s="$span" -v a="$first" -v b="$last" 'BEGIN { d = (b - a) / 1e6 - s; exit !(d < 0.5 && d > -0.5) }' \
    || fail "the summaries' intervals add up to $span s, over $(((last - first) / 1000)) ms"
pass "journal stall: $N messages, $totals summaries ($fb_summaries on stdout), $logged message events, $dropped dropped and counted; one log_fallback, one log_restored"
