#!/usr/bin/env bash
# What a server sends is shown, never obeyed: the local server's details for
# an unknown cache repeat the cache's name, here one with a terminal escape
# (clear the screen), CR LF and a forged line. With --log-format text the
# line shows them escaped, one event per line; in JSON the sentence is
# escaped alike while the details field keeps the exact bytes.
source "$(dirname "$0")/lib.sh"

start_local srv --caches c --heartbeat 200ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" '
  - cache: "x\e[2J\r\nFAKE 2026-01-01T00:00:00.000Z error   forged"
    topic: t'
start_daemon d "$cfg" --log-format text
out=$WORK/d.out
wait_for 10 grep -q "NOT_FOUND" "$out" || fail "no not_found line: $(cat "$out")"
stop "$DAEMON_PID" || fail "daemon exit status"
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$out" && fail "control characters on the terminal: $(od -c "$out" | head)"
bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (info|notice|warning|error) ' "$out" || true)
[ "$bad" = 0 ] || fail "$bad lines that are not one event each: $(cat "$out")"
grep -qF 'NOT_FOUND (cache not found: x\x1b[2J\x0d\x0aFAKE 2026-01-01T00:00:00.000Z error   forged)' "$out" \
    || fail "the details are not shown escaped: $(grep NOT_FOUND "$out")"

start_daemon d2 "$cfg"
out=$WORK/d2.out
wait_events 10 "$out" '.event=="not_found"' 1 || fail "no not_found event"
stop "$DAEMON_PID" || fail "daemon exit status"
e=$(events "$out" '.event=="not_found"' | head -1)
jq -e '(.details == "cache not found: x\u001b[2J\r\nFAKE 2026-01-01T00:00:00.000Z error   forged")
       and (.message | contains("x\\x1b[2J\\x0d\\x0aFAKE")) and (.message | test("[\u0000-\u001f]") | not)' \
    <<<"$e" >/dev/null || fail "not_found event: $e"
pass "text: a server's details shown escaped, never acted on"
