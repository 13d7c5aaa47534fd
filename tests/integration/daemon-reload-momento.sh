#!/usr/bin/env bash
# A reload applies momento: a key rotated (the key file rewritten in place, a
# new api_key_file, a new systemd credential) or a new endpoint or TLS setting
# moves every stream to a new connection, resuming at last + 1: nothing lost,
# nothing twice; config_reloaded says what changed, never the key. A key file
# that cannot be read or parsed is refused as a bad configuration and the old
# settings keep running.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls-certs.sh"

# Two v2 keys that differ in their signature only (the local server compares
# the whole authorization value).
test_keys
keyfile=$WORK/api-key
cfg=$WORK/sub.yaml
rate=200
[ -z "${MO_WRAPPER:-}" ] || rate=20

config() { # config ENDPOINT-OVERRIDE TLS [EXTRA-MOMENTO-YAML]
    cat >"$cfg" <<YAML
momento:
  endpoint_override: $1
  tls: $2
${3:-}
subscriptions:
  - cache: c
    topic: t
  - cache: c
    topic: u
reconnect:
  backoff_initial: 50ms
  backoff_max: 200ms
state:
  directory: $WORK/state
logging:
  message_budget: 1000000
YAML
}
mkdir "$WORK/state"

# seqs_once FILE... TOPIC N : the message events of TOPIC in the files are exactly 1..N
seqs_once() {
    local topic=${*: -2:1} n=${*: -1}
    local files=("${@:1:$#-2}")
    local seqs
    seqs=$(cat "${files[@]}" | jq -c "select(.event==\"message\" and .topic==\"$topic\") | .seq" | jq -s -c .)
    jq -e --argjson n "$n" '. == [range(1; $n + 1)]' <<<"$seqs" >/dev/null \
        || fail "$topic: seqs are not exactly 1..$n: $(jq -c '[length, .[0], .[-1]]' <<<"$seqs")"
}

# 1. the key rewritten in place while messages flow: both streams move to a
#    new connection, nothing lost, nothing twice
start_local srv --heartbeat 200ms
printf '%s\n' "$K1" >"$keyfile"
config "127.0.0.1:$LOCAL_PORT" false "  api_key_file: $keyfile"
start_daemon d1 "$cfg"
out=$WORK/d1.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed"
bg pub-t "$BIN/momento-publish" -c c -t t -r $rate --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure
PUB_T=$LAST_PID
bg pub-u "$BIN/momento-publish" -c c -t u -r $((rate / 2)) --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure
PUB_U=$LAST_PID
wait_events 20 "$out" '.event=="message" and .topic=="t"' $((rate / 2)) || fail "no traffic"
printf '%s\n' "$K2" >"$keyfile"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded"
r=$(events "$out" '.event=="config_reloaded"')
jq -e '.momento_changed == "key" and .moved == 2 and .kept == 2 and .added == 0 and .removed == 0' <<<"$r" >/dev/null \
    || fail "config_reloaded after a key rotation: $r"
wait_events 10 "$out" '.event=="subscribed"' 4 || fail "the streams did not move"
for t in t u; do
    s=$(events "$out" ".event==\"subscribed\" and .topic==\"$t\"" | tail -1)
    jq -e '.resume_at > 1' <<<"$s" >/dev/null || fail "$t did not resume after the move: $s"
done
n=$(count_events "$out" '.event=="message" and .topic=="t"')
wait_events 20 "$out" '.event=="message" and .topic=="t"' $((n + rate / 2)) || fail "traffic stopped after the move"
stop "$PUB_T" || fail "publisher t"
stop "$PUB_U" || fail "publisher u"
sent_t=$(sed -n 's/^published \([0-9]*\) messages.*/\1/p' "$WORK/pub-t.out")
sent_u=$(sed -n 's/^published \([0-9]*\) messages.*/\1/p' "$WORK/pub-u.out")
wait_events 20 "$out" '.event=="message" and .topic=="t"' "$sent_t" || fail "messages on t missing"
wait_events 20 "$out" '.event=="message" and .topic=="u"' "$sent_u" || fail "messages on u missing"
sleep 0.3
seqs_once "$out" t "$sent_t"
seqs_once "$out" u "$sent_u"
[ "$(count_events "$out" "$ALARM")" = 0 ] || fail "an alarm around the move: $(events "$out" "$ALARM" | head -3)"

# 2. the same key from another file: nothing changes, nothing moves
printf '%s\n' "$K2" >"$WORK/api-key-2"
config "127.0.0.1:$LOCAL_PORT" false "  api_key_file: $WORK/api-key-2"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 2 || fail "no second config_reloaded"
r=$(events "$out" '.event=="config_reloaded"' | tail -1)
jq -e '.momento_changed == "" and .moved == 0' <<<"$r" >/dev/null || fail "the same key from another file moved streams: $r"

# 3. a key file that cannot work: refused like any bad configuration, the old
#    key keeps running (no move, messages go on); the reason never shows the key
printf 'not-a-key-s3cr3t\n' >"$WORK/api-key-2"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_error"' 1 || fail "no config_error for a malformed key file"
e=$(events "$out" '.event=="config_error"')
jq -e --arg f "$cfg" --arg k "$WORK/api-key-2" '.level == "error" and .file == $f and .key == "momento.api_key_file" and (.reason | contains($k))' <<<"$e" >/dev/null \
    || fail "config_error for a malformed key: $e"
rm "$WORK/api-key-2"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_error"' 2 || fail "no config_error for a missing key file"
e=$(events "$out" '.event=="config_error"' | tail -1)
jq -e '.reason | test("cannot open API key file .*: No such file")' <<<"$e" >/dev/null || fail "config_error for a missing key file: $e"
[ "$(count_events "$out" '.event=="config_reloaded"')" = 2 ] || fail "a refused reload was applied"
n=$(count_events "$out" '.event=="message" and .topic=="t"')
publish c t -n 5
wait_events 10 "$out" '.event=="message" and .topic=="t"' $((n + 5)) || fail "the old settings stopped after a refused reload"
[ "$(count_events "$out" '.event=="subscribed"')" = 4 ] || fail "a refused reload moved streams"
stop "$DAEMON_PID" || fail "daemon exit status (1-3)"
stop "$LOCAL_PID" || true

# 4. the new key is the one used: the server accepts only K2. A first run with
#    K2 saves its position; the next starts with K1, which the server refuses,
#    while messages go on; the systemd credential is rewritten with K2 and a
#    reload resumes where the first run stopped: nothing lost
start_local strict --heartbeat 200ms --token "$K2"
mkdir "$WORK/creds"
printf '%s\n' "$K2" >"$WORK/creds/momento-api-key"
config "127.0.0.1:$LOCAL_PORT" false
rm -f "$WORK/state/positions"
strict_pub() { MOMENTO_API_KEY=$K2 publish c t "$@"; }
CREDENTIALS_DIRECTORY=$WORK/creds start_daemon s1 "$cfg"
wait_events 10 "$WORK/s1.out" '.event=="subscribed"' 2 || fail "not subscribed with the accepted key"
strict_pub -n 10
wait_events 10 "$WORK/s1.out" '.event=="message"' 10 || fail "messages missing (strict, run 1)"
stop "$DAEMON_PID" || fail "daemon exit status (strict, run 1)"
printf '%s\n' "$K1" >"$WORK/creds/momento-api-key"
CREDENTIALS_DIRECTORY=$WORK/creds start_daemon s2 "$cfg"
out=$WORK/s2.out
wait_events 10 "$out" '.event=="auth_error" and .topic=="t"' 1 || fail "the old key was not refused"
strict_pub -n 20
printf '%s\n' "$K2" >"$WORK/creds/momento-api-key"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded (strict)"
jq -e '.momento_changed == "key" and .moved == 2' <<<"$(events "$out" '.event=="config_reloaded"')" >/dev/null \
    || fail "config_reloaded (strict): $(events "$out" '.event=="config_reloaded"')"
wait_events 10 "$out" '.event=="subscribed" and .topic=="t"' 1 || fail "the new key was not accepted"
jq -e '.resume_at == 11' <<<"$(events "$out" '.event=="subscribed" and .topic=="t"')" >/dev/null || fail "did not resume at 11"
strict_pub -n 5
wait_events 10 "$out" '.event=="message"' 25 || fail "messages missing after the rotation (strict)"
sleep 0.3
seqs_once "$WORK/s1.out" "$out" t 35
n_auth=$(count_events "$out" '.event=="auth_error"')
sleep 0.5
[ "$(count_events "$out" '.event=="auth_error"')" = "$n_auth" ] || fail "auth errors after the rotation"
stop "$DAEMON_PID" || fail "daemon exit status (strict, run 2)"
stop "$LOCAL_PID" || true

# 5. another endpoint, with TLS: the streams move to the other server
make_ca ca
make_cert ca good localhost
export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=$WORK/ca.pem
start_local plain --heartbeat 200ms
plain_port=$LOCAL_PORT
start_local tls --heartbeat 200ms --tls-cert "$WORK/good.pem" --tls-key "$WORK/good.key"
tls_port=$LOCAL_PORT
rm -f "$WORK/state/positions"
config "127.0.0.1:$plain_port" false
start_daemon e "$cfg"
out=$WORK/e.out
wait_events 10 "$out" '.event=="subscribed"' 2 || fail "not subscribed (plaintext)"
"$BIN/momento-publish" -c c -t t -n 3 -q --endpoint-override "127.0.0.1:$plain_port" --insecure
wait_events 10 "$out" '.event=="message"' 3 || fail "messages missing (plaintext)"
config "localhost:$tls_port" true
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="config_reloaded"' 1 || fail "no config_reloaded (endpoint)"
jq -e '.momento_changed == "endpoint, tls" and .moved == 2' <<<"$(events "$out" '.event=="config_reloaded"')" >/dev/null \
    || fail "config_reloaded (endpoint): $(events "$out" '.event=="config_reloaded"')"
wait_events 10 "$out" '.event=="subscribed"' 4 || fail "not subscribed on the new endpoint"
"$BIN/momento-publish" -c c -t u -n 4 -q --endpoint-override "localhost:$tls_port"
wait_events 10 "$out" '.event=="message" and .topic=="u"' 4 || fail "messages from the new endpoint missing"
stop "$DAEMON_PID" || fail "daemon exit status (endpoint)"

# the keys never appear in anything the daemon wrote
for k in "$K1" "$K2" "${K1##*.}" "${K2##*.}" not-a-key-s3cr3t; do
    ! grep -qF -- "$k" "$WORK"/d1.* "$WORK"/s1.* "$WORK"/s2.* "$WORK"/e.* "$WORK/state/positions" \
        || fail "a key (or a piece of one) was written out"
done
pass "reload applies momento: key rotated in place, by credential and by file, endpoint and TLS; bad keys refused; nothing lost"
