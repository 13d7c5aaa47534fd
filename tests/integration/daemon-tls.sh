#!/usr/bin/env bash
# momento-subscriberd over TLS (endpoint_override: localhost:PORT, TLS on) to a
# server whose certificate a throwaway CA signed; a certificate for another
# name is refused, said so in the resubscribing event, and retried.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls-certs.sh"

make_ca ca
make_cert ca good localhost
make_cert ca other other.test
export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=$WORK/ca.pem
# (c-ares keeps 10 bytes of "localhost" it never frees: lib.sh's tests/lsan.supp)

config() {
    cat >"$WORK/sub.yaml" <<YAML
momento:
  endpoint_override: localhost:$1
subscriptions:
  - cache: c
    topic: t
reconnect:
  backoff_initial: 50ms
  backoff_max: 300ms
YAML
}

start_local good --tls-cert "$WORK/good.pem" --tls-key "$WORK/good.key" --heartbeat 200ms
config "$LOCAL_PORT"
out=$("$BIN/momento-subscriberd" -c "$WORK/sub.yaml" --check-config) || fail "check-config"
grep -q "localhost:$LOCAL_PORT (TLS)" <<<"$out" || fail "TLS is not the default with an override: $out"
start_daemon d "$WORK/sub.yaml"
wait_events 10 "$WORK/d.out" '.event=="subscribed"' 1 || fail "no subscription over TLS"
"$BIN/momento-publish" -c c -t t -n 10 -q --endpoint-override "localhost:$LOCAL_PORT" || fail "publish over TLS"
wait_events 10 "$WORK/d.out" '.event=="message"' 10 || fail "messages over TLS missing"
stop "$DAEMON_PID" || fail "daemon exit status"
stop "$LOCAL_PID" || true

# a certificate for another name: refused, explained, retried, never fatal
start_local other --tls-cert "$WORK/other.pem" --tls-key "$WORK/other.key"
config "$LOCAL_PORT"
start_daemon d2 "$WORK/sub.yaml"
wait_events 10 "$WORK/d2.out" '.event=="resubscribing"' 3 || fail "no resubscribing after a refused certificate"
e=$(events "$WORK/d2.out" '.event=="resubscribing"' | head -1)
jq -e '.status == "UNAVAILABLE" and (.details | length > 0)' <<<"$e" >/dev/null || fail "resubscribing: $e"
[ "$(count_events "$WORK/d2.out" '.event=="subscribed"')" = 0 ] || fail "subscribed despite a wrong certificate"
kill -0 "$DAEMON_PID" || fail "daemon exited"
stop "$DAEMON_PID" || fail "daemon exit status"
pass "daemon over TLS; wrong certificate refused and retried"
