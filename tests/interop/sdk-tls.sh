#!/bin/bash
# The Node.js SDK over TLS: momento-topics-local serves a certificate for
# localhost from a throwaway CA, which the SDK (gRPC for Node) trusts through
# GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, as the C programs do. It subscribes,
# publishes and receives; a certificate for another name is refused.
source "$top_srcdir/tests/interop/lib-interop.sh"
source "$top_srcdir/tests/integration/tls-certs.sh"

make_ca ca
make_cert ca good localhost
make_cert ca other other.test
export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=$WORK/ca.pem

start_local good --tls-cert "$WORK/good.pem" --tls-key "$WORK/good.key" --token tls-token
GOOD=$LOCAL_PORT
start_local other --tls-cert "$WORK/other.pem" --tls-key "$WORK/other.key"
OTHER=$LOCAL_PORT

step() { printf '%s\n' "$@" | jq -Rnc '[inputs]'; }
T=(--host localhost --tls --token tls-token)
{
    step roundtrip subscribe "${T[@]}" --port "$GOOD" --cache c --topic t --count 2 \
        --publish-text "over tls" --publish-hex 00ff7f80
    step wrong-name publish "${T[@]}" --port "$OTHER" --cache c --topic t --text x --timeout 8
} >"$WORK/steps.jsonl"
sdk batch <"$WORK/steps.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "sdk.js batch failed: $(cat "$WORK/batch.err")"

jq -e -s '[.[] | select(.step == "roundtrip" and .ev == "item") | [.kind, .text // .hex]]
          == [["text", "over tls"], ["binary", "00ff7f80"]]' "$WORK/batch.out" >/dev/null ||
    fail "the SDK did not round-trip over TLS: $(jq -c 'select(.step == "roundtrip")' "$WORK/batch.out")"
pass "the SDK subscribes, publishes and receives over TLS"

msg=$(jq -r 'select(.step == "wrong-name" and .ev == "error") | .message' "$WORK/batch.out")
jq -e -s 'any(.[]; .step == "wrong-name" and .ev == "exit" and .status == 3)' "$WORK/batch.out" \
    >/dev/null && [[ $msg == *cert* ]] ||
    fail "the SDK did not refuse a certificate for other.test at localhost: $(jq -c 'select(.step == "wrong-name")' "$WORK/batch.out")"
echo "  SDK error for a certificate naming other.test: $msg"
pass "the SDK refuses a certificate for another name"
