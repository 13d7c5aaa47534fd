#!/usr/bin/env bash
# Resume positions survive restarts: stop, publish while down, start again:
# every message exactly once across both runs; the state directory comes from
# state.directory, else $STATE_DIRECTORY, and the started event says which;
# entries of removed subscriptions go at the next save; a subscription with no
# position is not saved.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
state=$WORK/state
mkdir "$state"
subs="
  - cache: c
    topic: a
  - cache: c
    topic: b
  - cache: c
    topic: quiet"
write_daemon_config "$cfg" "$subs" "
state:
  directory: $state"

# 1. first run: positions saved in state.directory
start_daemon d1 "$cfg"
out1=$WORK/d1.out
wait_events 10 "$out1" '.event=="subscribed"' 3 || fail "run 1: not subscribed"
s=$(events "$out1" '.event=="started"')
jq -e --arg d "$state" '.state_directory == $d and .state_directory_from == "state.directory"' <<<"$s" >/dev/null \
    || fail "started event: $s"
publish c a -n 30
publish c b -n 20
wait_events 10 "$out1" '.event=="message"' 50 || fail "run 1: messages missing"
stop "$DAEMON_PID" || fail "run 1: exit status"
[ -f "$state/positions" ] || fail "no state file after a stop"
head -1 "$state/positions" | grep -qx 'momento-subscriber-state 1' || fail "state file: $(cat "$state/positions")"
grep -q '^sub "c" "a" [0-9]* 30$' "$state/positions" || fail "position of c/a: $(cat "$state/positions")"
grep -q '^sub "c" "b" [0-9]* 20$' "$state/positions" || fail "position of c/b: $(cat "$state/positions")"
# a subscription that never received anything has no position to save
! grep -q '"quiet"' "$state/positions" || fail "a subscription without a position was saved"
[ ! -e "$state/positions.tmp" ] || fail "positions.tmp left behind"

# 2. down: messages published now must arrive after the restart
publish c a -n 15
publish c b -n 5

# 3. second run: resumes at last + 1 on the saved page; nothing lost, nothing twice
start_daemon d2 "$cfg"
out2=$WORK/d2.out
wait_events 10 "$out2" '.event=="subscribed"' 3 || fail "run 2: not subscribed"
page=$(events "$out1" '.event=="message" and .topic=="a"' | jq -s '.[0].page')
r=$(events "$out2" '.event=="subscribed" and .topic=="a"')
jq -e --argjson p "$page" '.resume_at == 31 and .page == $p' <<<"$r" >/dev/null || fail "run 2 subscribed (a): $r"
r=$(events "$out2" '.event=="subscribed" and .topic=="quiet"')
jq -e '.resume_at == 0' <<<"$r" >/dev/null || fail "run 2 subscribed (quiet): $r"
publish c a -n 5
wait_events 10 "$out2" '.event=="message" and .topic=="a"' 20 || fail "run 2: messages on a missing"
wait_events 10 "$out2" '.event=="message" and .topic=="b"' 5 || fail "run 2: messages on b missing"
sleep 0.5
for t in a:50 b:25; do
    topic=${t%:*} n=${t#*:}
    seqs=$(cat "$out1" "$out2" | jq -c "select(.event==\"message\" and .topic==\"$topic\") | .seq" | jq -s -c .)
    jq -e --argjson n "$n" '. == [range(1; $n + 1)]' <<<"$seqs" >/dev/null \
        || fail "topic $topic: seqs across both runs are not exactly 1..$n: $seqs"
done
for o in "$out1" "$out2"; do
    [ "$(count_events "$o" "$ALARM")" = 0 ] || fail "an alarm in $o: $(events "$o" "$ALARM" | head -3)"
done

# 4. a subscription removed by a reload loses its entry at the next save
write_daemon_config "$cfg" "
  - cache: c
    topic: a" "
state:
  directory: $state"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out2" '.event=="config_reloaded"' 1 || fail "no config_reloaded"
publish c a -n 1
# (the message moves the position of c/a: a save is due within a second)
wait_for 5 grep -q '^sub "c" "a" [0-9]* 51$' "$state/positions" || fail "position of c/a after reload: $(cat "$state/positions")"
! grep -q '"b"' "$state/positions" || fail "entry of a removed subscription kept: $(cat "$state/positions")"
stop "$DAEMON_PID" || fail "run 2: exit status"

# 5. no state.directory: $STATE_DIRECTORY (the first of several), and the started event says so
env_state=$WORK/env-state
mkdir "$env_state"
write_daemon_config "$cfg" "
  - cache: c
    topic: a"
STATE_DIRECTORY="$env_state:$WORK/other" start_daemon d3 "$cfg"
out3=$WORK/d3.out
wait_events 10 "$out3" '.event=="subscribed"' 1 || fail "run 3: not subscribed"
s=$(events "$out3" '.event=="started"')
jq -e --arg d "$env_state" '.state_directory == $d and .state_directory_from == "$STATE_DIRECTORY"' <<<"$s" >/dev/null \
    || fail "started event with \$STATE_DIRECTORY: $s"
r=$(events "$out3" '.event=="subscribed"')
jq -e '.resume_at == 0' <<<"$r" >/dev/null || fail "run 3 resumed from another directory's file: $r"
publish c a -n 3
wait_events 10 "$out3" '.event=="message"' 3 || fail "run 3: messages missing"
stop "$DAEMON_PID" || fail "run 3: exit status"
grep -q '^sub "c" "a" [0-9]* 54$' "$env_state/positions" || fail "\$STATE_DIRECTORY file: $(cat "$env_state/positions" 2>&1)"

# 6. neither: positions are not saved, and the started event says so
env -u STATE_DIRECTORY "$BIN/momento-subscriberd" -c "$cfg" --log-format json >"$WORK/d4.out" 2>"$WORK/d4.err" &
pid=$!
BG_PIDS+=($pid)
wait_events 10 "$WORK/d4.out" '.event=="subscribed"' 1 || fail "run 4: not subscribed"
s=$(events "$WORK/d4.out" '.event=="started"')
jq -e '.state_directory == "" and .state_directory_from == "none"' <<<"$s" >/dev/null || fail "started event without a directory: $s"
stop "$pid" || fail "run 4: exit status"
pass "positions survive a restart (state.directory and \$STATE_DIRECTORY), removed entries go, nothing lost or twice"
