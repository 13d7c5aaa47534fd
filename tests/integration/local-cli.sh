#!/bin/bash
# momento-topics-local as a program: --help, --version, usage errors (exit 64,
# naming the option), a taken port, the port file, and a clean stop on
# SIGTERM/SIGINT with streams open.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

LOCAL=$BIN/momento-topics-local

"$LOCAL" --help >"$WORK/help.out" || fail "--help exited $?"
for o in --fault-reject --announce-page --discontinuity-seq --stream-items --stream-lifetime \
    --stream-end --replay-window --fault-reject-rpc --fault-delay-publish --ledger; do
    grep -q -- "$o" "$WORK/help.out" || fail "--help does not list $o"
done
"$LOCAL" --version >"$WORK/version.out" || fail "--version exited $?"
grep -Eq '^momento-topics-local [0-9]' "$WORK/version.out" || fail "--version: $(cat "$WORK/version.out")"
pass "--help and --version"

# usage ARGS... PATTERN : exit 64 and an error matching PATTERN
usage() {
    local pattern=${*: -1} rc=0
    set -- "${@:1:$#-1}"
    "$LOCAL" "$@" >"$WORK/usage.out" 2>"$WORK/usage.err" || rc=$?
    [ "$rc" -eq 64 ] || fail "$*: exit $rc, expected 64: $(cat "$WORK/usage.err")"
    grep -Eq -- "$pattern" "$WORK/usage.err" || fail "$*: the error does not match /$pattern/: $(cat "$WORK/usage.err")"
    echo "  $*: $(head -1 "$WORK/usage.err")"
}
usage --heartbeat soon '--heartbeat: not a duration.*"soon"'
usage --heartbeat 10 '--heartbeat: not a duration'
usage --replay -3 '--replay: not a non-negative integer'
usage --replay 1x '--replay'
usage --max-subscribers many '--max-subscribers'
usage --max-payload 4k '--max-payload'
usage --listen 8080 '--listen: not HOST:PORT'
usage --listen 127.0.0.1:70000 '--listen: not HOST:PORT'
usage --fault-reject bogus '--fault-reject: not a gRPC error status.*bogus'
usage --fault-reject ok '--fault-reject: not a gRPC error status'
usage --fault-reject unavailable:x '--fault-reject'
usage --fault-reject-rpc publish '--fault-reject-rpc needs --fault-reject'
usage --fault-reject-rpc subscribe --fault-reject-rpc publish '--fault-reject-rpc needs --fault-reject'
usage --fault-reject unavailable --fault-reject-rpc both '--fault-reject-rpc: not publish, subscribe or control.*"both"'
usage --fault-reject unavailable --fault-reject-rpc Publish '--fault-reject-rpc: not publish, subscribe or control'
usage --fault-reject-rpc '--fault-reject-rpc needs a value'
usage --fault-delay-publish 500 '--fault-delay-publish: not a duration.*"500"'
usage --fault-delay-publish 500us '--fault-delay-publish: shorter than 1ms'
usage --ledger '' '--ledger: empty file name'
usage --fault-drop-every 0 '--fault-drop-every: must be at least 1'
usage --fault-end-after '' '--fault-end-after'
usage --caches 'a,,b' '--caches: empty cache name'
usage --topic-limits 100,100 '--topic-limits: not RATE,SUBS,KB'
usage --topic-limits 1,2,x '--topic-limits: not RATE,SUBS,KB'
usage --topic-limits 1,2,4294967296 '--topic-limits: not RATE,SUBS,KB'
usage --discontinuity-seq before '--discontinuity-seq: neither after nor at.*"before"'
usage --stream-end reset '--stream-end: neither ok nor rst.*"reset"'
usage --stream-items 0 '--stream-items: must be at least 1'
usage --stream-lifetime 0s '--stream-lifetime: shorter than 1ms'
usage --stream-lifetime forever '--stream-lifetime: not a duration'
usage --replay-window 5 '--replay-window: not a duration'
usage --announce-page=yes '--announce-page takes no value: --announce-page=yes'
usage --verbose=1 '--verbose takes no value'
usage --tls-cert x.pem '--tls-cert and --tls-key go together'
usage --tls-key x.key '--tls-cert and --tls-key go together'
usage --bogus 'unknown option --bogus'
usage extra 'unexpected argument "extra"'
usage --listen '--listen needs a value'
pass "usage errors exit 64 and name the option"

rc=0
"$LOCAL" --listen 127.0.0.1:0 --tls-cert "$WORK/none.pem" --tls-key "$WORK/none.key" 2>"$WORK/tls.err" || rc=$?
expect_eq "missing certificate file: exit" "$rc" 1
grep -q -- "--tls-cert $WORK/none.pem: No such file" "$WORK/tls.err" || fail "missing certificate: $(cat "$WORK/tls.err")"
echo hello >"$WORK/notpem.pem"
rc=0
"$LOCAL" --listen 127.0.0.1:0 --tls-cert "$WORK/notpem.pem" --tls-key "$WORK/notpem.pem" 2>"$WORK/tls.err" || rc=$?
expect_eq "not a PEM file: exit" "$rc" 1
grep -q "not a PEM file" "$WORK/tls.err" || fail "not a PEM file: $(cat "$WORK/tls.err")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/k1.pem" \
    -out "$WORK/c1.pem" -subj /CN=localhost -days 1 2>/dev/null || fail "openssl req"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/k2.pem" 2>/dev/null ||
    fail "openssl genpkey"
rc=0
"$LOCAL" --listen 127.0.0.1:0 --tls-cert "$WORK/c1.pem" --tls-key "$WORK/k2.pem" 2>"$WORK/tls.err" || rc=$?
expect_eq "key of another certificate: exit" "$rc" 1
grep -q "the key does not match the certificate" "$WORK/tls.err" || fail "mismatched key: $(cat "$WORK/tls.err")"
pass "unreadable or mismatched TLS files are clear errors"

# the port file and the listening line agree
start_local srv
grep -q "^momento-topics-local: listening on 127.0.0.1:$LOCAL_PORT\$" "$WORK/srv.err" ||
    fail "listening line: $(cat "$WORK/srv.err")"
[[ "$(cat "$WORK/srv.port")" =~ ^[0-9]+$ ]] || fail "port file: $(cat "$WORK/srv.port")"
ls "$WORK" | grep -q '\.tmp\.' && fail "a temporary port file was left behind"
pass "--port-file and the listening line (port $LOCAL_PORT)"

# a taken port is an error, not a shared port
rc=0
"$LOCAL" --listen "127.0.0.1:$LOCAL_PORT" 2>"$WORK/inuse.err" || rc=$?
expect_eq "port in use: exit" "$rc" 1
grep -q "address 127.0.0.1:$LOCAL_PORT is in use" "$WORK/inuse.err" || fail "port in use: $(cat "$WORK/inuse.err")"
pass "a taken port: $(cat "$WORK/inuse.err")"

# SIGTERM (and SIGINT) with streams open: exit 0 promptly, streams get UNAVAILABLE
for sig in TERM INT; do
    start_local "stop$sig"
    pid=$LOCAL_PID
    subscribe "a$sig" --timeout 30
    A=$SUB_PID
    subscribe "b$sig" --topic other --timeout 30
    B=$SUB_PID
    wait_type "a$sig" heartbeat 1
    wait_type "b$sig" heartbeat 1
    publish x >/dev/null
    wait_type "a$sig" item 1
    kill -"$sig" "$pid"
    gone() { ! kill -0 "$pid" 2>/dev/null; }
    wait_for 3 gone || fail "SIG$sig: still running after 3 s"
    rc=0
    wait "$pid" || rc=$?
    expect_eq "SIG$sig: exit status" "$rc" 0
    wait "$A" || true
    wait "$B" || true
    expect_eq "SIG$sig: stream a ended with" "$(jq -r 'select(.type=="status") | .name' "$WORK/a$sig.out")" UNAVAILABLE
    expect_eq "SIG$sig: stream b ended with" "$(jq -r 'select(.type=="status") | .name' "$WORK/b$sig.out")" UNAVAILABLE
done
pass "SIGTERM and SIGINT with open streams: exit 0 at once, streams get UNAVAILABLE"
