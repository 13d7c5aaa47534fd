#!/bin/bash
# momento-topics-local's test-admin port (momento-topics-local(1), TEST-ADMIN
# PORT), as momento-local has it: GET /block cuts the data port off (streams
# ended with UNAVAILABLE, connections refused), GET /unblock restores it on
# the same port with the topics as they were; both 200 and idempotent, any
# other request 404. A non-loopback address is refused without
# --admin-allow-remote, a port in use is named. The daemon rides a block out
# with its reconnect.backoff_max capping gRPC's reconnects and its own
# resubscribes, and loses nothing.
# A clean stop while blocked exits 0 (so sanitizers and valgrind get their say).
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

# the admin port's answer to a raw request (printf format), through bash's
# /dev/tcp: the whole response, headers and body
http_raw() {
    exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT" || return 1
    printf "$1" >&3
    timeout 5 cat <&3
    exec 3<&-
}
http() { http_raw "$1 $2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }
code_of() { head -1 <<<"$1" | cut -d' ' -f2; }
body_of() { sed '1,/^\r$/d' <<<"$1"; }
# expect_http METHOD PATH CODE [BODY]
expect_http() {
    local r
    r=$(http "$1" "$2") || fail "$1 $2: no answer"
    expect_eq "$1 $2" "$(code_of "$r")" "$3"
    [ -z "${4:-}" ] || expect_eq "$1 $2 body" "$(body_of "$r")" "$4"
}
# start_admin NAME [ARGS...]: momento-topics-local with the admin port on an
# ephemeral port ($ADMIN_PORT); its port file is written before the data port's
start_admin() {
    local name=$1
    shift
    start_local "$name" --admin-listen 127.0.0.1:0 --admin-port-file "$WORK/$name.aport" "$@"
    ADMIN_PORT=$(cat "$WORK/$name.aport")
}
refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$LOCAL_PORT") 2>/dev/null; }
publish_ok() { [ "$(field "$(publish "$@" || true)" name)" = OK ]; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- the HTTP side ----
start_admin adm --heartbeat 200ms --verbose --max-payload 0
r=$(http GET /unblock)
expect_eq "/unblock when not blocked" "$(code_of "$r")" 200
expect_eq "its body" "$(body_of "$r")" "already unblocked"
grep -q $'^Content-Length: 18\r$' <<<"$r" || fail "no Content-Length for its 18 bytes: $r"
grep -q $'^Connection: close\r$' <<<"$r" || fail "no Connection: close: $r"
expect_http GET /nope 404
expect_http GET / 404
expect_http POST /block 404
expect_http PUT /unblock 404
expect_http GET /blockx 404
r=$(http_raw 'hello\r\n\r\n')
expect_eq "not HTTP" "$(code_of "$r")" 400
publish_ok one || fail "a 404 for POST /block blocked the data port"
pass "the admin port: 404 for other paths and methods, 400 for what is no HTTP, headers"

# ---- /block: the stream lost, connections refused ----
subscribe before --timeout 20
wait_type before heartbeat 1
publish_ok two || fail "publish two"
wait_type before item 1
r=$(http_raw 'GET /block HTTP/1.0\n\n') # HTTP/1.0, bare LFs
expect_eq "/block" "$(code_of "$r")" 200
expect_eq "/block body" "$(body_of "$r")" "blocked"
wait "$SUB_PID" && fail "the stream outlived /block"
st=$(jq -c 'select(.type=="status")' "$WORK/before.out")
expect_eq "the stream's end" "$(field "$st" name)" UNAVAILABLE
[[ $(field "$st" details) == *"blocked (test-admin /block)"* ]] || fail "its details: $st"
expect_http GET /block 200 "already blocked"
wait_for 5 refused || fail "the data port still takes connections while blocked"
r=$(publish three || true)
expect_eq "a publish while blocked" "$(field "$r" name)" UNAVAILABLE
grep -q "test-admin /block: the data port is closed" "$WORK/adm.err" || fail "no --verbose line for the block"
pass "/block: the stream ended with UNAVAILABLE, connections refused, idempotent"

# ---- /unblock: the same port, the topic going on ----
expect_http GET /unblock 200 "unblocked"
expect_http GET /unblock 200 "already unblocked"
wait_for 5 publish_ok four || fail "calls still fail after /unblock"
subscribe after --resume 1 --count 3 --timeout 10
wait "$SUB_PID" || fail "the stream after /unblock: $(cat "$WORK/after.out")"
expect_eq "items after /unblock" "$(items after | cut -d' ' -f1,4 | tr '\n' ,)" "1 one,2 two,3 four,"
grep -q "test-admin /unblock: the data port listens again on 127.0.0.1:$LOCAL_PORT" "$WORK/adm.err" \
    || fail "no --verbose line for the unblock"
# /unblock before the blocked server has shut down: it opens once it has
subscribe slow --timeout 20
wait_type slow heartbeat 1
expect_http GET /block 200 blocked
expect_http GET /unblock 200 unblocked
wait "$SUB_PID" && fail "the stream outlived the quick /block"
wait_for 5 publish_ok five || fail "calls fail after a quick /block and /unblock"
pass "/unblock: the same port, sequence numbers going on (also right after a /block)"

# a stream whose message cannot go out (its client stopped, the windows
# full) cannot end until that send is over: cancelled after the grace second
subscribe stuck --timeout 30 --no-values
stuck=$SUB_PID
wait_type stuck heartbeat 1
kill -STOP "$stuck"
publish --count 80 --size 100000 big >/dev/null || fail "publishing 8 MB"
expect_http GET /block 200 blocked
wait_for 5 grep -q "1 calls still open after 1000 ms: cancelled" "$WORK/adm.err" \
    || fail "the stuck stream was not cancelled"
kill -CONT "$stuck"
wait "$stuck" && fail "the stuck stream outlived /block"
expect_eq "the stuck stream's end" "$(jq -r 'select(.type=="status") | .name' "$WORK/stuck.out")" UNAVAILABLE
expect_http GET /unblock 200 unblocked
wait_for 5 publish_ok six || fail "calls fail after the stuck stream's block"
pass "a stream stuck sending is cancelled a second after /block"

# ---- a clean stop while blocked ----
subscribe last --timeout 20
wait_type last heartbeat 1
expect_http GET /block 200 blocked
wait "$SUB_PID" && fail "the stream outlived the last /block"
stop_local
pass "a clean stop while blocked"

# ---- the address: loopback only unless allowed, in use named ----
bin=$BIN/momento-topics-local
rc=0
$bin --listen 127.0.0.1:0 --admin-listen 0.0.0.0:0 2>"$WORK/remote.err" || rc=$?
[ "$rc" = 1 ] || fail "a non-loopback admin address: exit $rc, not 1"
grep -q -- "--admin-listen 0.0.0.0:0: not a loopback address.*--admin-allow-remote" \
    "$WORK/remote.err" || fail "the refusal does not name the options: $(cat "$WORK/remote.err")"
start_local remote --admin-listen 0.0.0.0:0 --admin-allow-remote --admin-port-file "$WORK/remote.aport"
[ -s "$WORK/remote.aport" ] || fail "--admin-allow-remote: no admin port file"
ADMIN_PORT=$(cat "$WORK/remote.aport")
expect_http GET /block 200 blocked
rc=0
$bin --listen 127.0.0.1:0 --admin-listen "127.0.0.1:$ADMIN_PORT" 2>"$WORK/inuse.err" || rc=$?
[ "$rc" = 1 ] || fail "an admin port in use: exit $rc, not 1"
grep -q -- "--admin-listen: address 127.0.0.1:$ADMIN_PORT is in use" "$WORK/inuse.err" \
    || fail "the port in use is not named: $(cat "$WORK/inuse.err")"
stop_local
rc=0
$bin --admin-port-file "$WORK/x" 2>"$WORK/alone.err" || rc=$?
[ "$rc" = 64 ] && grep -q -- "--admin-port-file needs --admin-listen" "$WORK/alone.err" \
    || fail "--admin-port-file alone: exit $rc, $(cat "$WORK/alone.err")"
rc=0
$bin --admin-listen 9090 2>"$WORK/bad.err" || rc=$?
[ "$rc" = 64 ] && grep -q -- '--admin-listen: not HOST:PORT (port 0-65535): "9090"' "$WORK/bad.err" \
    || fail "--admin-listen 9090: exit $rc, $(cat "$WORK/bad.err")"
pass "non-loopback refused (allowed with --admin-allow-remote), a port in use named, usage checked"

# ---- the daemon through a block: backoff_max caps the retries, nothing lost ----
start_admin dm --heartbeat 500ms
cfg=$WORK/sub.yaml
write_daemon_config "$cfg" "
  - cache: c
    topic: t" "
reconnect:
  backoff_max: 2s"
start_daemon d "$cfg"
out=$WORK/d.out
mpublish() {
    ${MO_WRAPPER:-} "$BIN/momento-publish" -c c -t t --endpoint-override "127.0.0.1:$LOCAL_PORT" \
        --insecure -q "$@"
}
wait_events 10 "$out" '.event=="subscribed"' 1 || fail "the daemon did not subscribe"
mpublish -n 5
wait_events 10 "$out" '.event=="message"' 5 || fail "messages before the block"
expect_http GET /block 200 blocked
wait_events 5 "$out" '.event=="resubscribing"' 1 || fail "the daemon did not notice the block"
# While blocked the port is free: a listener of the test's own takes it for
# the 10 s of the block and notes each connection the daemon's gRPC channel
# makes (closed at once: a failed connect to gRPC), and the end. Without the
# cap gRPC waits 1, 1.6, 2.6, 4.1, 6.6 s between them (+-20%), so 10 s see a
# wait of 3.3 s at least (between connects or since the last one); with
# backoff_max 2s, never more than 2.4 s.
wait_for 5 refused || fail "the data port still takes connections while blocked"
bg tap python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
end = time.monotonic() + 10
print("start %.3f" % time.monotonic(), flush=True)
while time.monotonic() < end:
    s.settimeout(end - time.monotonic())
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    print("connect %.3f" % time.monotonic(), flush=True)
    c.close()
print("end %.3f" % time.monotonic(), flush=True)
' "$LOCAL_PORT"
n0=$(count_events "$out" '.event=="resubscribing"')
wait "$LAST_PID" || fail "the test's listener: $(cat "$WORK/tap.err")"
n1=$(count_events "$out" '.event=="resubscribing"')
gaps=$(awk '$1 == "connect" || $1 == "end" { if (prev) printf "%.3f\n", $2 - prev; prev = $2 }' "$WORK/tap.out")
connects=$(grep -c '^connect' "$WORK/tap.out" || true)
[ "$connects" -ge 3 ] || fail "the daemon's channel connected $connects times in 10 s blocked"
awk '$1 > 2.7 { bad = 1 } END { exit bad }' <<<"$gaps" \
    || fail "gRPC's reconnect backoff went past backoff_max 2s (+20%): waits $(tr '\n' ' ' <<<"$gaps")"
# the daemon's own retries: the first few 100 ms doubling (some of them in
# the listener's 10 s), then one every 1.6 to 2 s (backoff_max, up to a
# fifth less): at most 10 in the 10 s, never a hot loop
n=$((n1 - n0))
[ "$n" -ge 3 ] && [ "$n" -le 10 ] || fail "$n resubscribe attempts in the 10 s of the listener"
[ "$n1" -le 15 ] || fail "$n1 resubscribe attempts while blocked"
events "$out" '.event=="resubscribing"' | jq -s -e 'map(.delay_ms) | max <= 2000' >/dev/null \
    || fail "delays past backoff_max: $(events "$out" '.event=="resubscribing"' | jq -s -c 'map(.delay_ms)')"
events "$out" '.event=="resubscribing"' | jq -s -e '.[0].status == "UNAVAILABLE" and
    (.[1:] | all(.status == "UNAVAILABLE"))' >/dev/null \
    || fail "the ends while blocked: $(events "$out" '.event=="resubscribing"' | jq -s -c 'map(.status)')"
subs=$(count_events "$out" '.event=="subscribed"')
t0=$(date +%s%N)
expect_http GET /unblock 200 unblocked
wait_events 10 "$out" '.event=="subscribed"' $((subs + 1)) || fail "no subscribed after /unblock"
ms=$(ms_since "$t0")
# the two backoffs add up: gRPC's next connect (at most 2.4 s away), then the
# daemon's next Subscribe (at most backoff_max away; its attempts meanwhile
# fail at once on the channel still waiting)
[ "$ms" -le 5000 ] || fail "subscribed $ms ms after /unblock, past 2 x backoff_max + 20% and a margin"
mpublish -n 5
wait_events 10 "$out" '.event=="message"' 10 || fail "messages after the block"
events "$out" '.event=="message"' | jq -s -e 'map(.seq) == [range(1;11)]' >/dev/null \
    || fail "not every message once: $(events "$out" '.event=="message"' | jq -s -c 'map(.seq)')"
kill -USR1 "$DAEMON_PID"
wait_events 10 "$out" '.event=="summary" and .cache=="*"' 1 || fail "no summary"
s=$(events "$out" '.event=="summary" and .cache=="*"' | tail -1)
jq -e '.count == 10 and .duplicates == 0 and .gaps == 0' <<<"$s" >/dev/null || fail "summary: $s"
stop "$DAEMON_PID" || fail "daemon exit status"
stop_local
pass "the daemon: $n1 attempts while blocked, $n in 10 s of it, its channel's waits $(tr '\n' ' ' <<<"$gaps")s; subscribed $ms ms after /unblock, 10 messages once"
