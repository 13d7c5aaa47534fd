#!/usr/bin/env bash
# A reload that cannot apply part of the new file says so: when a kept
# subscription cannot take its new timestamp settings (memory runs out in the
# swap), a config_error names that subscription and where it is in the file,
# config_reloaded counts it as not applied, and the subscription goes on
# decoding with its old settings. An added subscription that cannot be set
# up is named likewise, and the next reload of the same file subscribes it.
source "$(dirname "$0")/lib.sh"

start_local srv --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t"
# the loader copies the new field name once (1st strdup of it), the swap
# copies it again (2nd): that one fails
export LD_PRELOAD=$TOOLS/failstrdup.so FAILSTRDUP=meta.sent FAILSTRDUP_NTH=2
export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
start_daemon d "$cfg"
unset LD_PRELOAD
out=$WORK/d.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"

write_daemon_config "$cfg" "
  - cache: c
    topic: t
    timestamp: { field: meta.sent }"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded event"
e=$(events "$out" '.event=="config_error"')
[ -n "$e" ] || fail "the failed swap was not reported: $(events "$out" '.event=="config_reloaded"')"
jq -e --arg f "$cfg" '.file == $f and .line == 6 and .column == 5 and .key == "subscriptions[0]"
        and (.reason | test("c/t") and test("Cannot allocate memory") and test("old timestamp settings") and test("next reload"))
        and (.message | test("not applied"))' <<<"$e" >/dev/null || fail "config_error: $e"
r=$(events "$out" '.event=="config_reloaded"')
jq -e '.kept == 1 and .failed == 1 and (.message | test("1 not applied"))' <<<"$r" >/dev/null \
    || fail "config_reloaded: $r"

# the old settings (field timestamp) still decode the seed payload
publish c t -n 3
summed() {
    kill -USR1 "$DAEMON_PID"
    sleep 0.2
    [ "$(events "$out" '.event=="summary" and .cache=="c"' | jq -s 'map(.count) | add')" = 3 ]
}
wait_for 10 summed || fail "messages not counted"
[ "$(events "$out" '.event=="summary" and .cache=="c"' | jq -s 'map(.decode_errors) | add')" = 0 ] \
    || fail "decode errors after the failed swap"
stop "$DAEMON_PID" || fail "exit status"

# an added subscription that cannot be set up is named, and the next reload
# of the same file subscribes it
write_daemon_config "$cfg" "
  - cache: c
    topic: t"
export LD_PRELOAD=$TOOLS/failstrdup.so FAILSTRDUP=added FAILSTRDUP_NTH=2
start_daemon d2 "$cfg"
unset LD_PRELOAD
out=$WORK/d2.out
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
write_daemon_config "$cfg" "
  - cache: c
    topic: t
  - cache: added
    topic: t"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded event"
jq -e '.key == "subscriptions[1]" and (.reason | test("added/t cannot be subscribed") and test("next reload"))' \
    <<<"$(events "$out" '.event=="config_error"')" >/dev/null || fail "config_error: $(events "$out" '.event=="config_error"')"
jq -e '.added == 0 and .failed == 1' <<<"$(events "$out" '.event=="config_reloaded"')" >/dev/null \
    || fail "config_reloaded: $(events "$out" '.event=="config_reloaded"')"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 2 || fail "no second config_reloaded event"
jq -e '.added == 1 and .failed == 0' <<<"$(events "$out" '.event=="config_reloaded"' | tail -1)" >/dev/null \
    || fail "second reload: $(events "$out" '.event=="config_reloaded"' | tail -1)"
wait_events 10 "$out" '.event=="subscribed" and .cache=="added"' 1 || fail "added subscription not subscribed"
stop "$DAEMON_PID" || fail "exit status"
pass "reload: a subscription that cannot be set up as the file says is named, and tried again"
