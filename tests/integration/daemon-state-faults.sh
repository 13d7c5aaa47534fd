#!/usr/bin/env bash
# A state file that cannot be used (corrupt, truncated, foreign) is reported
# with what is wrong and where, and ignored: the daemon starts, every stream
# starts with new messages, and the next save replaces the file. A state
# directory that does not work is an error event at start (once), retried
# every second while messages flow, and a notice once it works again. A
# subscription whose names the file cannot hold is left out with a warning.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
state=$WORK/state
mkdir "$state"
write_daemon_config "$cfg" "
  - cache: c
    topic: a" "
state:
  directory: $state"

# a good file to damage: one run that saves position 10
start_daemon d0 "$cfg"
wait_events 10 "$WORK/d0.out" '.event=="subscribed"' 1 || fail "not subscribed"
publish c a -n 10
wait_events 10 "$WORK/d0.out" '.event=="message"' 10 || fail "messages missing"
stop "$DAEMON_PID" || fail "exit status"
grep -q '^sub "c" "a" [0-9]* 10$' "$state/positions" || fail "no position saved: $(cat "$state/positions")"
cp "$state/positions" "$WORK/good"

# run NAME REASON-REGEX: start with the damaged file in place; expect it
# reported (state_ignored naming the file and the reason) and ignored (new
# messages only), the daemon up, and a good file saved in its place
n_run=0
run() {
    local what=$1 re=$2
    n_run=$((n_run + 1))
    start_daemon "r$n_run" "$cfg"
    local out=$WORK/r$n_run.out
    wait_events 10 "$out" '.event=="subscribed"' 1 || fail "$what: not subscribed (the daemon did not start?)"
    local w
    w=$(events "$out" '.event=="state_ignored"')
    [ "$(wc -l <<<"$w")" = 1 ] && [ -n "$w" ] || fail "$what: no single state_ignored event: $w"
    jq -e --arg d "$state" --arg re "$re" \
        '.level == "warning" and .directory == $d and .file == "\($d)/positions" and (.reason | test($re))' <<<"$w" >/dev/null \
        || fail "$what: state_ignored event: $w"
    jq -e '.resume_at == 0' <<<"$(events "$out" '.event=="subscribed"')" >/dev/null \
        || fail "$what: resumed from a file that should have been ignored"
    # it runs: new messages arrive; the file is replaced by a good one
    publish c a -n 2
    wait_events 10 "$out" '.event=="message"' 2 || fail "$what: messages missing"
    stop "$DAEMON_PID" || fail "$what: exit status"
    head -1 "$state/positions" | grep -qx 'momento-subscriber-state 1' && grep -q '^end 1 ' "$state/positions" \
        || fail "$what: the file was not replaced by a good one: $(cat "$state/positions")"
    [ "$(count_events "$out" '.event=="state_error"')" = 0 ] || fail "$what: state_error"
}

# a byte changed in a number: the checksum no longer matches
sed 's/ 10$/ 19/' "$WORK/good" >"$state/positions"
run "corrupt" "positions:3:[0-9]+: checksum mismatch"
# cut short in the middle of the entry
head -c 30 "$WORK/good" >"$state/positions"
run "truncated" "positions:[0-9]+(:[0-9]+)?: "
# another program's file
printf '{"some": "json"}\n' >"$state/positions"
run "foreign" "positions: not a momento-subscriber state file"
# empty
: >"$state/positions"
run "empty" "positions"

# a state directory that does not exist: an error at start, once; the daemon
# runs on, retrying every second; when the directory appears, a notice and a file
missing=$WORK/missing/state
write_daemon_config "$cfg" "
  - cache: c
    topic: a" "
state:
  directory: $missing"
start_daemon m "$cfg"
out=$WORK/m.out
wait_events 10 "$out" '.event=="state_error"' 1 || fail "no state_error for a missing state directory"
e=$(events "$out" '.event=="state_error"')
jq -e --arg d "$missing" '.level == "error" and .directory == $d and (.reason | test("positions.tmp: No such file or directory"))' <<<"$e" >/dev/null \
    || fail "state_error event: $e"
# reported at start: before the first stream is up
first=$(jq -r 'select(.event=="state_error" or .event=="subscribed") | .event' "$out" | head -1)
[ "$first" = state_error ] || fail "state_error came after the streams started"
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed with a missing state directory"
publish c a -n 5
wait_events 10 "$out" '.event=="message"' 5 || fail "messages missing with a missing state directory"
sleep 2.5 # several retries: still only one error event
[ "$(count_events "$out" '.event=="state_error"')" = 1 ] || fail "state_error repeated: $(events "$out" '.event=="state_error"')"
kill -0 "$DAEMON_PID" || fail "the daemon exited"
mkdir -p "$missing"
wait_events 5 "$out" '.event=="state_recovered"' 1 || fail "no state_recovered once the directory exists"
jq -e --arg d "$missing" '.level == "notice" and .directory == $d' <<<"$(events "$out" '.event=="state_recovered"')" >/dev/null \
    || fail "state_recovered event"
grep -q '^sub "c" "a" [0-9]* 23$' "$missing/positions" || fail "no position saved after recovery: $(cat "$missing/positions" 2>&1)"
# and when it breaks again, one more error
rm -rf "$WORK/missing"
publish c a -n 1
wait_events 5 "$out" '.event=="state_error"' 2 || fail "no state_error when the directory went away"
stop "$DAEMON_PID" || fail "exit status (missing directory)"
# the final save failed too, and says so
[ "$(count_events "$out" '.event=="state_error"')" = 3 ] || fail "final save failure not reported: $(events "$out" '.event=="state_error"')"

# a subscription with a name longer than the state file holds: left out, with a warning
long=$(head -c 4097 /dev/zero | tr '\0' x)
write_daemon_config "$cfg" "
  - cache: c
    topic: a
  - cache: c
    topic: $long" "
state:
  directory: $state"
start_daemon l "$cfg"
out=$WORK/l.out
wait_events 10 "$out" '.event=="state_ignored"' 1 || fail "no warning for a name too long"
jq -e '.level == "warning" and .topic_bytes == 4097 and .cache_bytes == 1' <<<"$(events "$out" '.event=="state_ignored"')" >/dev/null \
    || fail "state_ignored for a long name: $(events "$out" '.event=="state_ignored"' | cut -c1-300)"
wait_events 10 "$out" '.event=="subscribed" and .topic=="a"' 1 || fail "not subscribed (long name)"
# resumes after 18 (the last file the ignored runs replaced): 19..24 replayed, 25 new
publish c a -n 1
wait_events 10 "$out" '.event=="message" and .seq==25' 1 || fail "messages missing (long name)"
stop "$DAEMON_PID" || fail "exit status (long name)"
grep -q '^sub "c" "a" [0-9]* 25$' "$state/positions" || fail "the other subscription was not saved: $(cut -c1-100 "$state/positions")"
[ "$(grep -c '^sub' "$state/positions")" = 1 ] || fail "the long name was saved"
[ "$(count_events "$out" '.event=="state_error"')" = 0 ] || fail "state_error with a long name"
pass "bad state files reported and ignored; a missing directory reported once, retried, recovered; long names left out"
