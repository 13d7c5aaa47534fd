#!/usr/bin/env bash
# --check-config and the exit codes of momento-subscriberd.
source "$(dirname "$0")/lib.sh"

D=$BIN/momento-subscriberd
LOCAL_PORT=18080
write_daemon_config "$WORK/ok.yaml" "
  - cache: c1
    topic: a
  - cache: c2
    topic: b"
out=$("$D" -c "$WORK/ok.yaml" --check-config) || fail "valid config rejected: $out"
grep -qx "configuration OK" <<<"$out" || fail "no 'configuration OK': $out"
grep -q "2 subscriptions -> 2 streams on 1 gRPC connection" <<<"$out" || fail "no summary line: $out"
grep -q "127.0.0.1:18080 (plaintext)" <<<"$out" || fail "no endpoint line: $out"

# 150 subscriptions need two connections
subs=$(for i in $(seq 150); do printf '  - cache: c\n    topic: t%d\n' "$i"; done)
write_daemon_config "$WORK/many.yaml" "$subs"
out=$("$D" -c "$WORK/many.yaml" --check-config) || fail "150 subscriptions rejected"
grep -q "150 subscriptions -> 150 streams on 2 gRPC connections" <<<"$out" || fail "$out"

# the canary: one more stream, not one of the subscriptions, and what it costs
write_daemon_config "$WORK/canary.yaml" "
  - cache: c1
    topic: a
  - cache: c2
    topic: b" "canary:
  cache: probes
  size: 1000"
out=$("$D" -c "$WORK/canary.yaml" --check-config) || fail "canary config rejected: $out"
grep -q "2 subscriptions and the canary -> 3 streams on 1 gRPC connection" <<<"$out" || fail "$out"
grep -qx "canary: probes/momento-subscriber-canary, 1/s, deadline 5s, slo 20ms at 99.9%" <<<"$out" \
    || fail "no canary line: $out"
grep -qx "canary: 86400 publishes a day, 86.4 MB a day (probes of at most 1000 bytes)" <<<"$out" \
    || fail "no canary cost line: $out"
! grep -q "^  probes/" <<<"$out" || fail "the canary listed as a subscription: $out"
write_daemon_config "$WORK/canary-slow.yaml" "
  - cache: c1
    topic: a" "canary:
  cache: probes
  topic: rtt
  rate: 0.1/s
  size: 1000
  deadline: 2s
  slo:
    latency: 50ms
    target: 99.95%"
out=$("$D" -c "$WORK/canary-slow.yaml" --check-config) || fail "canary config rejected: $out"
grep -q "1 subscription and the canary -> 2 streams on 1 gRPC connection" <<<"$out" || fail "$out"
grep -qx "canary: probes/rtt, 0.1/s, deadline 2s, slo 50ms at 99.95%" <<<"$out" || fail "$out"
grep -qx "canary: 8640 publishes a day, 8.64 MB a day (probes of at most 1000 bytes)" <<<"$out" \
    || fail "$out"
# unpadded, the probes' size depends on this host's name
write_daemon_config "$WORK/canary-small.yaml" "
  - cache: c1
    topic: a" "canary:
  cache: probes"
out=$("$D" -c "$WORK/canary-small.yaml" --check-config) || fail "canary config rejected: $out"
grep -Eqx "canary: 86400 publishes a day, [0-9.]+ MB a day \(probes of at most [0-9]+ bytes\)" <<<"$out" \
    || fail "$out"
# a canary on a listed subscription's topic is an error at canary.topic
write_daemon_config "$WORK/canary-dup.yaml" "
  - cache: probes
    topic: rtt" "canary:
  cache: probes
  topic: rtt"
rc=0
err=$("$D" -c "$WORK/canary-dup.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "canary on a subscription's topic: exit $rc, expected 78"
grep -qx "$WORK/canary-dup.yaml:10:10: canary.topic: the canary's topic is also subscriptions\[0\] (line 6): give the canary a topic of its own" <<<"$err" \
    || fail "$err"

# configuration errors: exit 78 with file:line:column
cat >"$WORK/bad.yaml" <<'YAML'
momento:
  endpoint_override: 127.0.0.1:1
  tls: false
subscriptions:
  - cache: c1
    topic: a
    decode: jsn
YAML
rc=0
err=$("$D" -c "$WORK/bad.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "bad config: exit $rc, expected 78"
grep -q "bad.yaml:7:13: " <<<"$err" || fail "error does not name file:line:column: $err"
grep -q "json" <<<"$err" || fail "error does not list the allowed values: $err"
# the daemon itself refuses to start with it, with the same exit code
rc=0
"$D" -c "$WORK/bad.yaml" --log-format json >/dev/null 2>&1 || rc=$?
[ $rc = 78 ] || fail "daemon with bad config: exit $rc, expected 78"

rc=0
err=$("$D" -c "$WORK/missing.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "missing config: exit $rc"
grep -q "missing.yaml" <<<"$err" || fail "missing file not named: $err"

# a malformed key is a configuration error that never shows the key
rc=0
err=$(MOMENTO_API_KEY="not-a-key-secret123" "$D" -c "$WORK/ok.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "malformed key: exit $rc"
grep -q "MOMENTO_API_KEY" <<<"$err" || fail "malformed key error does not name the source: $err"
! grep -q "secret123" <<<"$err" || fail "the key was printed: $err"

# no endpoint for a v2 key
cat >"$WORK/v2.yaml" <<'YAML'
subscriptions:
  - cache: c
    topic: t
YAML
v2="eyJhbGciOiJIUzI1NiJ9.$(printf '{"t":"g","id":"x"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').c2ln"
rc=0
err=$(env -u MOMENTO_ENDPOINT MOMENTO_API_KEY="$v2" "$D" -c "$WORK/v2.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "v2 key without endpoint: exit $rc"
grep -q "MOMENTO_ENDPOINT" <<<"$err" || fail "$err"
out=$(MOMENTO_ENDPOINT=cell-1.example.com MOMENTO_API_KEY="$v2" "$D" -c "$WORK/v2.yaml" --check-config) \
    || fail "v2 key with MOMENTO_ENDPOINT rejected"
grep -q "cache.cell-1.example.com:443 (TLS)" <<<"$out" || fail "$out"
grep -q "v2 API key from environment variable MOMENTO_API_KEY" <<<"$out" || fail "$out"

# no key and no override: the file is still valid (the service may get the key
# from a systemd credential this shell cannot see), and the output says so
out=$(env -u MOMENTO_API_KEY -u CREDENTIALS_DIRECTORY "$D" -c "$WORK/v2.yaml" --check-config) \
    || fail "valid file without a key rejected by --check-config"
grep -q "credentials: no API key found here" <<<"$out" || fail "$out"
# but the daemon cannot run without one
rc=0
err=$(env -u MOMENTO_API_KEY -u CREDENTIALS_DIRECTORY "$D" -c "$WORK/v2.yaml" --log-format json 2>&1) || rc=$?
[ $rc = 78 ] || fail "daemon without a key: exit $rc, expected 78"
grep -q "no Momento API key found" <<<"$err" || fail "$err"
# the shipped example is valid
"$D" -c "$top_srcdir/conf/subscriber.yaml" --check-config >/dev/null || fail "conf/subscriber.yaml is not valid"

# usage errors: 64
for args in "--bogus" "--log-format xml" "extra-arg"; do
    rc=0
    "$D" $args >/dev/null 2>&1 || rc=$?
    [ $rc = 64 ] || fail "'$args': exit $rc, expected 64"
done
"$D" --help | grep -q -- "--check-config" || fail "--help"
"$D" --version | grep -q "momento-subscriberd " || fail "--version"
pass "check-config and exit codes"
