#!/usr/bin/env bash
# journald stops reading its socket for 5 seconds (SIGSTOP) while 2,000 msg/s
# arrive and every message event is asked for: the daemon keeps receiving
# and stays responsive (STATUS, WATCHDOG=1), and when journald reads again
# every summary is in the journal and counts every message, the message
# records that did not fit are counted in log_dropped (records + log_dropped
# = messages), and nothing else was lost.
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

RATE=2000 SECS=5
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
J=$WORK/journal.json
records() { journalctl -q --no-pager -o json _PID="$DAEMON_PID" >"$J" 2>/dev/null || true; }
have() { records; [ "$(jq -c "select($1)" "$J" | wc -l)" -ge "$2" ]; }
wait_for 10 have '.EVENT=="subscribed"' 1 || fail "not subscribed"

kill -STOP "$JPID"
trap 'rc=$?; kill -CONT "$JPID" 2>/dev/null || true; set +e; (exit $rc); cleanup' EXIT
stall_from=$(wc -l <"$NOTES")
publish_fast -q -r "$RATE" -n "$N" || fail "momento-publish failed"
stall_to=$(wc -l <"$NOTES")
kill -CONT "$JPID"
sed -n "$((stall_from + 1)),${stall_to}p" "$NOTES" >"$WORK/stall.notes"
busy=$(grep -c 'STATUS=1/1 streams up, [1-9][0-9]* msg/s' "$WORK/stall.notes" || true)
[ "$busy" -ge $((SECS - 2)) ] || fail "STATUS showed messages arriving $busy times in the stall: $(cat "$WORK/stall.notes")"
[ "$(grep -c 'WATCHDOG=1' "$WORK/stall.notes")" -ge $((SECS * 2 - 2)) ] || fail "WATCHDOG=1 not kept up: $(cat "$WORK/stall.notes")"

# summaries until they count every message, then stop; all of it in the journal
counted() {
    kill -USR1 "$DAEMON_PID"
    sleep 0.3
    records
    [ "$(jq -s '[.[] | select(.EVENT=="summary" and .CACHE!="*") | .COUNT | tonumber] | add' "$J")" = "$N" ]
}
wait_for 60 counted || fail "the summaries in the journal count $(jq -s '[.[] | select(.EVENT=="summary" and .CACHE!="*") | .COUNT | tonumber] | add' "$J") of $N"
stop "$DAEMON_PID" || fail "daemon exit status"
wait_for 10 have '.EVENT=="stopping"' 1 || fail "no stopping record"
records
sum() { jq -s "[.[] | select($1) | .$2 | tonumber] | add // 0" "$J"; }
logged=$(jq -c 'select(.EVENT=="message")' "$J" | wc -l)
dropped=$(sum '.EVENT=="summary" and .CACHE!="*"' LOG_DROPPED)
[ $((logged + dropped)) = "$N" ] || fail "$logged message records + $dropped log_dropped != $N"
if [ -z "${MO_WRAPPER:-}" ]; then
    [ "$dropped" -gt 0 ] || fail "no message record had to be dropped: was journald really stopped?"
fi
[ "$(sum '.EVENT=="summary" and .CACHE=="*"' SINK_DROPPED)" = 0 ] || fail "records other than message records lost"
[ "$(sum '.EVENT=="summary" and .CACHE!="*"' GAPS)" = 0 ] && [ "$(sum '.EVENT=="summary" and .CACHE!="*"' DISCONTINUITIES)" = 0 ] \
    || fail "the daemon fell behind the stream"
# every summary: as many per subscription as totals, intervals without a hole
totals=$(jq -c 'select(.EVENT=="summary" and .CACHE=="*")' "$J" | wc -l)
[ "$(jq -c 'select(.EVENT=="summary" and .CACHE!="*")' "$J" | wc -l)" = "$totals" ] || fail "summaries missing"
span=$(jq -s '[.[] | select(.EVENT=="summary" and .CACHE=="*") | (.INTERVAL_S | tonumber)] | add' "$J")
first=$(jq -s '[.[] | select(.EVENT=="started")][0].__REALTIME_TIMESTAMP | tonumber' "$J")
last=$(jq -s '[.[] | select(.EVENT=="summary" and .CACHE=="*")][-1].__REALTIME_TIMESTAMP | tonumber' "$J")
awk -v s="$span" -v a="$first" -v b="$last" 'BEGIN { d = (b - a) / 1e6 - s; exit !(d < 0.5 && d > -0.5) }' \
    || fail "the summaries' intervals add up to $span s, over $(((last - first) / 1000)) ms"
pass "journal stall: $N messages, $totals summaries, $logged message records, $dropped dropped and counted"
