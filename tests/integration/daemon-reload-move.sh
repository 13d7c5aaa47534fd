#!/usr/bin/env bash
# A reload whose new momento: settings do not work breaks nothing that works:
# make before break. Each stream moves only once its new side has answered;
# while the new side fails (nothing listening, a key it rejects) the old
# streams keep delivering, move_failed names the cause with a hint within 3 s
# and the move is retried with backoff; a new side that comes up later gets
# the streams (nothing lost, nothing twice); a reload back to the old
# settings cancels the pending moves.
source "$(dirname "$0")/lib.sh"

test_keys
keyfile=$WORK/api-key
cfg=$WORK/sub.yaml
topics=(t1 t2 t3 t4)

config() { # config HOST:PORT
    cat >"$cfg" <<YAML
momento:
  endpoint_override: $1
  tls: false
  api_key_file: $keyfile
subscriptions:
$(for t in "${topics[@]}"; do printf '  - cache: c\n    topic: %s\n' "$t"; done)
reconnect:
  backoff_initial: 100ms
  backoff_max: 1s
logging:
  message_budget: 1000000
YAML
}
# publish_all PORT KEY N : N messages to every topic
publish_all() {
    local t
    for t in "${topics[@]}"; do
        MOMENTO_API_KEY=$2 ${MO_WRAPPER:-} "$BIN/momento-publish" -c c -t "$t" -n "$3" -q \
            --endpoint-override "127.0.0.1:$1" --insecure || fail "publish to $t at port $1"
    done
}
# run NAME : the daemon with the key K1 on the local server at $LOCAL_PORT,
# subscribed to every topic; its events in $out
run() {
    printf '%s\n' "$K1" >"$keyfile"
    config "127.0.0.1:$LOCAL_PORT"
    start_daemon "$1" "$cfg"
    out=$WORK/$1.out
    wait_events 10 "$out" '.event=="subscribed"' 4 || fail "$1: not subscribed"
}
# delivered FILE TOPIC : message events of TOPIC
delivered() { count_events "$1" ".event==\"message\" and .topic==\"$2\""; }
# all_delivered FILE N : every topic has N message events
all_delivered() {
    local t
    for t in "${topics[@]}"; do [ "$(delivered "$1" "$t")" -ge "$2" ] || return 1; done
}
# last_summary_sum FILE FIELD : FIELD summed over the last summary of each topic
summed() { jq -s "[.[] | select(.event==\"summary\" and .topic != \"*\") | .$2] | add // 0" "$1"; }

# a port where nothing listens (a server started there and stopped)
start_local gone
dead=$LOCAL_PORT
stop "$LOCAL_PID" || true

# 1. the new endpoint has nothing listening: the streams stay, every message
#    sent to the old server afterwards arrives, move_failed within 3 s
start_local a --heartbeat 200ms
port_a=$LOCAL_PORT
run d
publish_all "$port_a" "$K1" 5
wait_for 10 all_delivered "$out" 5 || fail "messages missing before the reload"

config "127.0.0.1:$dead"
kill -HUP "$DAEMON_PID"
wait_events 3 "$out" '.event=="move_failed"' 4 || fail "no move_failed within 3 s: $(events "$out" '.event=="config_reloaded"')"
jq -e '.moved == 4 and .momento_changed == "endpoint"' <<<"$(events "$out" '.event=="config_reloaded"')" >/dev/null \
    || fail "config_reloaded: $(events "$out" '.event=="config_reloaded"')"
for t in "${topics[@]}"; do
    e=$(events "$out" ".event==\"move_failed\" and .topic==\"$t\"" | sed -n 1p)
    jq -e --arg to "127.0.0.1:$dead" --arg from "127.0.0.1:$port_a" \
        '.level == "error" and .status == "UNAVAILABLE" and .endpoint == $to and .from == $from
         and .attempt == 1 and .retry_in_ms > 0 and (.hint | length > 20)' <<<"$e" >/dev/null \
        || fail "move_failed of $t: $e"
done
publish_all "$port_a" "$K1" 10
wait_for 10 all_delivered "$out" 15 || fail "messages sent to the old server after the reload were not counted"
[ "$(count_events "$out" '.event=="resubscribing"')" = 0 ] || fail "a working stream was stopped: $(events "$out" '.event=="resubscribing"' | sed -n 1,2p)"
[ "$(count_events "$out" '.event=="subscribed"')" = 4 ] || fail "a stream moved to a side that does not answer"

# 2. the new side comes up 10 s after the reload: the moves complete, retried
#    with backoff (not once per loop: a handful of probes each), nothing lost,
#    nothing twice
sleep 8
start_local b --heartbeat 200ms --listen "127.0.0.1:$dead"
[ "$LOCAL_PORT" = "$dead" ] || fail "the second server is not on the dead port"
port_b=$LOCAL_PORT
wait_events 10 "$out" '.event=="moved"' 4 || fail "the streams did not move once the new side answered"
wait_events 5 "$out" '.event=="subscribed"' 8 || fail "not subscribed on the new side"
fails=$(count_events "$out" '.event=="move_failed"')
[ "$fails" -le 24 ] || fail "move_failed logged $fails times in 10 s for 4 streams: not backed off"
for t in "${topics[@]}"; do
    m=$(events "$out" ".event==\"moved\" and .topic==\"$t\"")
    jq -e '.attempts > 2 and .level == "notice"' <<<"$m" >/dev/null || fail "moved of $t: $m"
done
publish_all "$port_b" "$K1" 7
wait_for 10 all_delivered "$out" 22 || fail "messages on the new side missing"
kill -USR1 "$DAEMON_PID"
wait_events 5 "$out" '.event=="summary" and .topic=="*"' 1 || fail "no summary"
sleep 0.3
for t in "${topics[@]}"; do
    [ "$(delivered "$out" "$t")" = 22 ] || fail "$t: $(delivered "$out" "$t") messages counted, 22 sent"
done
for f in duplicates gaps lost; do
    [ "$(summed "$out" "$f")" = 0 ] || fail "$f after the move: $(summed "$out" "$f")"
done
[ "$(summed "$out" count)" = 88 ] || fail "summaries count $(summed "$out" count), 88 sent"
stop "$DAEMON_PID" || fail "daemon exit status"
stop "$LOCAL_PID" || true

# 3. a key the new side rejects: the streams stay on the old key, move_failed
#    says the key is refused and where it came from; a reload back to the old
#    key cancels the moves and the streams never stopped
start_local strict --heartbeat 200ms --token "$K1"
port_s=$LOCAL_PORT
run k
printf '%s\n' "$K2" >"$keyfile"
kill -HUP "$DAEMON_PID"
wait_events 3 "$out" '.event=="move_failed"' 4 || fail "no move_failed for a rejected key within 3 s"
e=$(events "$out" '.event=="move_failed"' | sed -n 1p)
jq -e --arg k "$keyfile" '.status == "UNAUTHENTICATED" and (.hint | contains($k))' <<<"$e" >/dev/null \
    || fail "move_failed for a rejected key: $e"
publish_all "$port_s" "$K1" 6
wait_for 10 all_delivered "$out" 6 || fail "the old key's streams stopped delivering"
printf '%s\n' "$K1" >"$keyfile"
kill -HUP "$DAEMON_PID"
wait_events 5 "$out" '.event=="config_reloaded"' 2 || fail "no second config_reloaded"
r=$(events "$out" '.event=="config_reloaded"' | tail -1)
jq -e '.moved == 0 and .moves_cancelled == 4 and .momento_changed == "key"' <<<"$r" >/dev/null \
    || fail "a reload back did not cancel the moves: $r"
n=$(count_events "$out" '.event=="move_failed"')
sleep 2.5
[ "$(count_events "$out" '.event=="move_failed"')" = "$n" ] || fail "moves went on after a reload back"
publish_all "$port_s" "$K1" 4
wait_for 10 all_delivered "$out" 10 || fail "messages missing after the reload back"
[ "$(count_events "$out" '.event=="resubscribing" or .event=="auth_error"')" = 0 ] \
    || fail "a working stream was disturbed: $(events "$out" '.event=="resubscribing" or .event=="auth_error"' | sed -n 1,2p)"
[ "$(count_events "$out" '.event=="subscribed"')" = 4 ] || fail "streams were restarted"
stop "$DAEMON_PID" || fail "daemon exit status (key)"
for k in "$K1" "$K2" "${K1##*.}" "${K2##*.}"; do
    ! grep -qF -- "$k" "$WORK"/d.* "$WORK"/k.* || fail "a key (or a piece of one) was written out"
done
pass "a reload to a side that does not answer breaks nothing: old streams deliver, move_failed with hints, retried with backoff, moved once it answers, a reload back cancels"
