#!/usr/bin/env bash
# The API key's lifetime as momento-subscriberd reports it, for v2 keys that
# carry `exp`: key_expiring at start with under 7 days left (and
# key_expires_in_s in the summary, the textfile and STATUS=-like figures),
# again after a reload to a key with under a day left, key_expired for one
# past its time; --check-config prints the expiry; an UNAUTHENTICATED answer
# after exp says the key expired. Nothing of the key itself is printed.
source "$(dirname "$0")/lib.sh"

b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
# key EXP [SIGNATURE]: a v2 key expiring at EXP (seconds since the epoch)
key() { echo "eyJhbGciOiJIUzI1NiJ9.$(b64url "{\"t\":\"g\",\"exp\":$1}").${2:-c2lnbmF0dXJlLW9uZQ}"; }
now=$(date +%s)
K3D=$(key $((now + 3 * 86400 + 600)))
K12H=$(key $((now + 12 * 3600 + 600)))
KOLD=$(key $((now - 3600)))
KOTHER=$(key $((now + 86400 * 30)) b3RoZXItc2lnbmF0dXJl)

start_local srv --heartbeat 200ms
keyfile=$WORK/api-key
printf '%s\n' "$K3D" >"$keyfile"
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
logging:
  summary_interval: 1h
export:
  prometheus_textfile: $WORK/key.prom"
config_key_file "$cfg" "$keyfile"

chk=$(${MO_WRAPPER:-} "$BIN/momento-subscriberd" -c "$cfg" --check-config) || fail "--check-config: $chk"
grep -qE "^key expiry: [0-9-]{10}T[0-9:]{8}Z \(in 3 d 0 h\)$" <<<"$chk" || fail "--check-config: $(grep -i key <<<"$chk")"
start_daemon d "$cfg"
out=$WORK/d.out
wait_events 10 "$out" '.event=="key_expiring"' 1 || fail "no key_expiring at start"
e=$(events "$out" '.event=="key_expiring"')
jq -e '.level == "warning" and .key_expires_in_s > 3 * 86400 and .key_expires_in_s <= 3 * 86400 + 600
       and (.expires_at | test("^[0-9-]{10}T[0-9:]{8}Z$")) and (.message | test("in 3 d 0 h"))' <<<"$e" >/dev/null ||
    fail "key_expiring at start: $e"
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "not subscribed"
sleep 1.2
[ "$(count_events "$out" '.event=="key_expiring"')" = 1 ] || fail "key_expiring repeated"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="c"' 1 || fail "no summary"
s=$(events "$out" '.event=="summary" and .cache=="c"')
jq -e '.key_expires_in_s > 3 * 86400 and .key_expires_in_s <= 3 * 86400 + 600' <<<"$s" >/dev/null ||
    fail "summary's key_expires_in_s: $(jq .key_expires_in_s <<<"$s")"
wait_for 10 grep -qE '^momento_subscriber_key_expires_in_seconds 2[0-9]{5}$' "$WORK/key.prom" ||
    fail "textfile: $(grep key_ "$WORK/key.prom" || true)"
pass "under 7 days at start: key_expiring once, key_expires_in_s in the summary and the textfile"

# a reload to a key with 12 hours left: said again, as the last day
printf '%s\n' "$K12H" >"$keyfile"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="key_expiring"' 2 || fail "no key_expiring after the reload"
jq -e '.key_expires_in_s > 12 * 3600 and .key_expires_in_s <= 12 * 3600 + 600 and (.message | test("in 12 h"))' \
    <<<"$(events "$out" '.event=="key_expiring"' | tail -n 1)" >/dev/null ||
    fail "key_expiring after reload: $(events "$out" '.event=="key_expiring"' | tail -n 1)"
# and to one past its time
printf '%s\n' "$KOLD" >"$keyfile"
kill -HUP "$DAEMON_PID"
wait_events 10 "$out" '.event=="key_expired"' 1 || fail "no key_expired"
jq -e '.level == "error" and .key_expires_in_s < -3500 and (.message | test("expired at .*, 1 h 0 min ago"))' \
    <<<"$(events "$out" '.event=="key_expired"')" >/dev/null || fail "key_expired: $(events "$out" '.event=="key_expired"')"
stop "$DAEMON_PID" || fail "daemon exit status"
for k in "$K3D" "$K12H" "$KOLD"; do
    ! grep -qF "${k##*.}" "$out" || fail "the key's signature is in the output"
done
pass "reloads: the last day said again, an expired key said as such; no key printed"

# the service refuses an expired key: the auth_error says it expired, not that it is wrong
start_local srv2 --heartbeat 200ms --token "$KOTHER"
write_daemon_config "$WORK/sub2.yaml" "
  - cache: c
    topic: t"
config_key_file "$WORK/sub2.yaml" "$keyfile"
start_daemon d2 "$WORK/sub2.yaml"
wait_events 10 "$WORK/d2.out" '.event=="auth_error"' 1 || fail "no auth_error for the expired key"
jq -e '.status == "UNAUTHENTICATED" and (.hint | test("expired at .*: the key is not wrong, it is too old"))' \
    <<<"$(events "$WORK/d2.out" '.event=="auth_error"' | head -n 1)" >/dev/null ||
    fail "auth_error: $(events "$WORK/d2.out" '.event=="auth_error"' | head -n 1)"
stop "$DAEMON_PID" || fail "daemon exit status"
pass "UNAUTHENTICATED after exp: the hint says the key expired"
