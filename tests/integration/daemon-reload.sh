#!/usr/bin/env bash
# SIGHUP reload while traffic flows: an added topic is subscribed, a removed one
# cancelled, an unchanged one keeps its stream (no reconnect, nothing lost);
# an invalid file is reported with file:line:column and the old config runs on.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
# every message event is checked here: no budget in the way
LOG_ALL="logging:
  message_budget: 1000000"
write_daemon_config "$cfg" "
  - cache: c
    topic: keep
  - cache: c
    topic: remove" "$LOG_ALL"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed"

# traffic on both topics for the whole reload (gentler under valgrind, which
# runs every program about fifty times slower)
rate=200
[ -z "${MO_WRAPPER:-}" ] || rate=20
bg pub-keep "$BIN/momento-publish" -c c -t keep -r $rate --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure
PUB_KEEP=$LAST_PID
bg pub-remove "$BIN/momento-publish" -c c -t remove -r $((rate / 2)) --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure
PUB_REMOVE=$LAST_PID
wait_events 20 "$out" '.event=="message" and .topic=="keep"' $((rate / 4)) || fail "no traffic on keep"
wait_events 20 "$out" '.event=="message" and .topic=="remove"' $((rate / 10)) || fail "no traffic on remove"

write_daemon_config "$cfg" "
  - cache: c
    topic: keep
  - cache: c
    topic: added" "$LOG_ALL"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded event"
r=$(events "$out" '.event=="config_reloaded"')
jq -e '.added == 1 and .removed == 1 and .kept == 1 and .level == "notice"' <<<"$r" >/dev/null \
    || fail "config_reloaded: $r"
wait_events 10 "$out" '.event=="subscribed" and .topic=="added"' 1 || fail "added topic not subscribed"
# the removed topic's last partial interval is summarised when its stream ends
wait_events 10 "$out" '.event=="summary" and .topic=="remove"' 1 || fail "no final summary for removed topic"
publish c added -n 10
wait_events 10 "$out" '.event=="message" and .topic=="added"' 10 || fail "added topic gets no messages"

# after the reload, no message of the removed topic is logged
n_remove=$(count_events "$out" '.event=="message" and .topic=="remove"')
wait_events 20 "$out" '.event=="message" and .topic=="keep"' $(($(count_events "$out" '.event=="message" and .topic=="keep"') + rate / 5)) \
    || fail "traffic on keep stopped"
[ "$(count_events "$out" '.event=="message" and .topic=="remove"')" = "$n_remove" ] \
    || fail "messages of the removed topic still logged"

# an invalid file: config_error with file, line and column; the old config keeps running
cat >"$cfg" <<YAML
momento:
  endpoint_override: 127.0.0.1:$LOCAL_PORT
  tls: false
subscriptions:
  - cache: c
    topic: keep
    decode: [json
YAML
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_error"' 1 || fail "no config_error event"
e=$(events "$out" '.event=="config_error"' | head -1)
jq -e --arg f "$cfg" '.file == $f and .line > 0 and .column > 0 and .level == "error" and (.reason | length) > 0' <<<"$e" >/dev/null \
    || fail "config_error: $e"
publish c added -n 5
wait_events 10 "$out" '.event=="message" and .topic=="added"' 15 || fail "old config stopped after a bad reload"

# stop the publisher on keep and check every message it sent arrived exactly once
stop "$PUB_KEEP" || fail "publisher failed"
sent=$(sed -n 's/^published \([0-9]*\) messages.*/\1/p' "$WORK/pub-keep.out")
[ -n "$sent" ] || fail "no closing line from momento-publish"
wait_events 20 "$out" '.event=="message" and .topic=="keep"' "$sent" || fail "messages on keep missing"
seqs=$(events "$out" '.event=="message" and .topic=="keep"' | jq -s 'map(.seq)')
jq -e --argjson n "$sent" '. == [range(1; $n + 1)]' <<<"$seqs" >/dev/null \
    || fail "keep: seqs are not exactly 1..$sent"
# the unchanged stream was never reconnected
[ "$(count_events "$out" '.event=="subscribed" and .topic=="keep"')" = 1 ] || fail "keep resubscribed"
[ "$(count_events "$out" '.event=="resubscribing" and .topic=="keep"')" = 0 ] || fail "keep resubscribed"
stop "$PUB_REMOVE" || true
stop "$DAEMON_PID" || fail "daemon exit status"
pass "reload: added, removed, kept ($sent messages on the kept stream, none lost)"
