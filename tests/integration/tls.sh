#!/bin/bash
# TLS end to end: momento-topics-local serves a certificate for localhost made
# by a throwaway CA; momento-publish (TLS is its default) and the probe trust
# that CA through GRPC_DEFAULT_SSL_ROOTS_FILE_PATH and talk over TLS. Then the
# refusals, each with an error that says what is wrong: a certificate for
# another name, a certificate from a CA nobody trusts, and a plaintext client
# knocking on the TLS port.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/tls-certs.sh"

make_ca ca
make_cert ca good localhost
make_cert ca other other.test
make_ca rogue
make_cert rogue untrusted localhost
# The machine may export its own roots file: this test trusts its CA only.
export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=$WORK/ca.pem
# Dialling "localhost" goes through gRPC's c-ares resolver, and Debian 12's
# c-ares loses the 10 bytes of that name: lib.sh points LeakSanitizer at
# tests/lsan.supp, which keeps that out of its verdict.

# publish NAME PORT [ARGS...] : momento-publish to localhost:PORT, output in
# $WORK/NAME.out; returns its exit status.
publish() {
    local name=$1 port=$2
    shift 2
    "$BIN/momento-publish" -c c -t t --connections 1 --timeout 3s \
        --endpoint-override "localhost:$port" "$@" >"$WORK/$name.out" 2>&1
}

# expect_refused NAME WHAT PATTERN RC : the publish NAME failed (RC, its exit status, is 1)
# and its message matches the extended regex PATTERN, which is shown.
expect_refused() {
    local name=$1 what=$2 pattern=$3 rc=$4
    local msg
    [ "$rc" -eq 1 ] || fail "$what: momento-publish exited $rc, expected 1: $(cat "$WORK/$name.out")"
    # its own message, not the lines gRPC logs by itself
    msg=$(grep '^momento-publish: ' "$WORK/$name.out" | head -1)
    grep -Eiq "$pattern" <<<"$msg" ||
        fail "$what: the error does not say why (expected /$pattern/): $(cat "$WORK/$name.out")"
    echo "  $what: $msg"
}

start_local good --tls-cert "$WORK/good.pem" --tls-key "$WORK/good.key"
GOOD=$LOCAL_PORT

bg probe "$TOOLS/probe" subscribe --target "localhost:$GOOD" --tls --cache c --topic t \
    --count 3 --timeout 15
PROBE=$LAST_PID
# The server's first message on a stream is a heartbeat: then the probe is in.
wait_for 10 grep -q heartbeat "$WORK/probe.out" ||
    fail "the probe did not subscribe over TLS: $(cat "$WORK/probe.out" "$WORK/probe.err")"
publish tls "$GOOD" -n 3 || fail "momento-publish over TLS failed: $(cat "$WORK/tls.out")"
wait "$PROBE" || fail "the probe ended with status $?: $(cat "$WORK/probe.err")"
jq -e -s '[.[] | select(.type == "item") | .value | fromjson | .key_three] == [1, 2, 3]' \
    "$WORK/probe.out" >/dev/null ||
    fail "the probe did not receive the 3 messages over TLS: $(cat "$WORK/probe.out")"
pass "publish and subscribe over TLS with a trusted CA"

# (c) a plaintext client on the TLS port: the handshake never happens.
rc=0
publish plain "$GOOD" --insecure || rc=$?
expect_refused plain "plaintext client on the TLS port" \
    'tls|ssl|handshake|plaintext|socket closed|connection (closed|reset)' $rc
# probe_refused NAME PATTERN RC : the probe NAME ended (status 1) with a status
# line saying UNAVAILABLE, whose details match PATTERN
probe_refused() {
    local name=$1 pattern=$2 rc=$3
    [ "$rc" -eq 1 ] || fail "$name: the probe exited $rc, expected 1: $(cat "$WORK/$name.out")"
    jq -e -s --arg p "$pattern" 'any(.[]; .type == "status" and .name == "UNAVAILABLE"
                                          and (.details | test($p; "i")))' "$WORK/$name.out" \
        >/dev/null 2>&1 || fail "$name: no UNAVAILABLE status matching /$pattern/: $(cat "$WORK/$name.out")"
}
rc=0
"$TOOLS/probe" subscribe --target "localhost:$GOOD" --cache c --topic t --count 1 --timeout 5 \
    >"$WORK/probe-plain.out" 2>"$WORK/probe-plain.err" || rc=$?
probe_refused probe-plain 'socket closed|connection' $rc
# The server is unharmed by that.
publish again "$GOOD" || fail "TLS publish after the plaintext attempts failed: $(cat "$WORK/again.out")"
pass "plaintext clients are refused on the TLS port, which keeps serving TLS"

# (a) a certificate that names another host.
start_local other --tls-cert "$WORK/other.pem" --tls-key "$WORK/other.key"
rc=0
publish wrong-name "$LOCAL_PORT" || rc=$?
expect_refused wrong-name "certificate for other.test" 'not in peer certificate|certificate' $rc
pass "a certificate for another name is refused"

# (b) a certificate from a CA that is not trusted.
start_local untrusted --tls-cert "$WORK/untrusted.pem" --tls-key "$WORK/untrusted.key"
rc=0
publish untrusted "$LOCAL_PORT" || rc=$?
expect_refused untrusted "certificate from an untrusted CA" 'certificate verify failed|handshake' $rc
rc=0
"$TOOLS/probe" subscribe --target "localhost:$LOCAL_PORT" --tls --cache c --topic t --count 1 \
    --timeout 5 >"$WORK/probe-untrusted.out" 2>"$WORK/probe-untrusted.err" || rc=$?
probe_refused probe-untrusted 'certificate verify failed|handshake' $rc
pass "a certificate from an untrusted CA is refused"

# The same untrusted server is fine once its CA is trusted: the refusal above
# was about trust, not about a broken server.
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=$WORK/rogue.pem publish trusted-now "$LOCAL_PORT" ||
    fail "publishing with the rogue CA trusted failed: $(cat "$WORK/trusted-now.out")"
pass "trusting the other CA makes the same server acceptable"
