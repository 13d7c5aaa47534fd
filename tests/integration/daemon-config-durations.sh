#!/usr/bin/env bash
# Durations in the configuration: digits, an optional fraction and a unit.
# Hex, exponents, signs and spaces are configuration errors (exit 78) that
# name file:line:column and the key; the same file is refused by the daemon.
source "$(dirname "$0")/lib.sh"

D=$BIN/momento-subscriberd
LOCAL_PORT=18080
subs='  - cache: c
    topic: t'

for v in 0x10s 1e1m 1E3ms +5s -5s "'5 s'" .5s 5.s 5S 1_000ms; do
    write_daemon_config "$WORK/bad.yaml" "$subs" "reconnect:
  backoff_initial: $v"
    rc=0
    err=$("$D" -c "$WORK/bad.yaml" --check-config 2>&1) || rc=$?
    [ $rc = 78 ] || fail "backoff_initial: $v: exit $rc, expected 78"
    grep -q "bad.yaml:8:20: reconnect.backoff_initial: '.*' is not a duration" <<<"$err" \
        || fail "backoff_initial: $v: error does not name the place and the key: $err"
done

# too large for any unit: out of range, with the range
write_daemon_config "$WORK/big.yaml" "$subs" "logging:
  summary_interval: 99999999999999999999h"
rc=0
err=$("$D" -c "$WORK/big.yaml" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "huge duration: exit $rc"
grep -q "big.yaml:8:21: logging.summary_interval: .* is out of range: write a duration from 1s to 24h" \
    <<<"$err" || fail "huge duration: $err"

# the daemon itself refuses to start with such a file
rc=0
"$D" -c "$WORK/bad.yaml" --log-format json >/dev/null 2>&1 || rc=$?
[ $rc = 78 ] || fail "daemon with a bad duration: exit $rc, expected 78"

# fractions, every unit, leading zeros: valid
write_daemon_config "$WORK/ok.yaml" "$subs" "logging:
  slow_threshold: 250000us
  summary_interval: 1.5m
reconnect:
  backoff_initial: 0.25s
  backoff_max: 0.01h
  idle_timeout: 007s"
out=$("$D" -c "$WORK/ok.yaml" --check-config 2>&1) || fail "valid durations rejected: $out"
grep -qx "configuration OK" <<<"$out" || fail "$out"
pass "durations in the configuration"
