#!/bin/bash
# momento-topics-local never writes an API key anywhere: given one as its
# token (--token, wiped from its command line; --token-file), with --verbose
# logging every call, against clients that send the key, another token, or
# the key as a cache or topic name; with the key as an option's value, an
# argument or a file name; an unreadable token file; stop. Checked: standard
# output and error, and /proc/PID/cmdline, for a v2 key and a v1 key (outer
# base64 and inner api_key).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/local-lib.sh"
source "$(dirname "$0")/secrets-lib.sh"

L=$BIN/momento-topics-local
printf '%s\n' "$V1_INNER" >"$KEYS/v1-inner.key"

# ---- running with a key as its token, logging every call
for how in token token-file; do
    if [ $how = token ]; then
        start_local "srv-$how" -v --token "$V2" --caches known,c --heartbeat 200ms \
            --ledger "$WORK/srv-$how.ledger"
        key=$V2
    else
        start_local "srv-$how" -v --token-file "$KEYS/v1-inner.key" --caches known,c --heartbeat 200ms \
            --ledger "$WORK/srv-$how.ledger"
        key=$V1_INNER
    fi
    srv=$LOCAL_PID
    # under valgrind the command line is valgrind's own, which the program cannot wipe
    [ -n "${MO_WRAPPER:-}" ] && [ $how = token ] || no_secrets_in_cmdline $srv
    expect_ok() { [ "$(publish "$@" | jq -r .name)" = OK ] || fail "$how: publish $*: not OK"; }
    expect_ok --token "$key" x
    # another token, the other key, no token: UNAUTHENTICATED, logged
    for t in other "$V1" "$BAD_V2" ""; do
        [ "$(publish --token "$t" x | jq -r .name)" = UNAUTHENTICATED ] || fail "$how: token accepted"
    done
    # the key as the cache or topic a client names: refused or served, and logged
    [ "$(publish --token "$key" --cache "$V2" x | jq -r .name)" = NOT_FOUND ] || fail "$how: unknown cache"
    [ "$(publish --token "$key" --cache "$V1" x | jq -r .name)" = NOT_FOUND ] || fail "$how: unknown cache"
    expect_ok --token "$key" --topic "$V1_INNER" x
    subscribe "sub-$how" --token "$key" --topic "$V2" --count 1 --timeout 20
    wait_type "sub-$how" heartbeat 1
    expect_ok --token "$key" --topic "$V2" y
    expect_ok --token "$key" "the key: $key, published"
    wait "$SUB_PID" || fail "$how: the subscriber did not get its item"
    subscribe "sub2-$how" --token "$key" --cache "$V1_INNER" --timeout 20
    wait "$SUB_PID" || true
    stop_local
    grep -q "refused a call: UNAUTHENTICATED" "$WORK/srv-$how.err" || fail "$how: refusals not logged"
    grep -q "stream .* closed" "$WORK/srv-$how.err" || fail "$how: streams not logged: $(cat "$WORK/srv-$how.err")"
    no_secrets "$WORK/srv-$how.out" "$WORK/srv-$how.err" "$WORK/srv-$how.ledger"
    # the ledger has the lines, with the key hidden
    grep -q '^published c "<hidden>" 1 "y"$' "$WORK/srv-$how.ledger" ||
        fail "$how: ledger: $(cat "$WORK/srv-$how.ledger")"
    grep -q '^published c t [0-9]* "the key: <hidden>, published"$' "$WORK/srv-$how.ledger" ||
        fail "$how: ledger: $(cat "$WORK/srv-$how.ledger")"
done
pass "--token and --token-file with a key, -v, --ledger: every call logged, no key echoed"

# ---- the key where it does not belong, and unreadable token files
# usage NAME STATUS ARGS... : the server must exit with STATUS at once
usage() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout -k 5 20 ${MO_WRAPPER:-} "$L" --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ $rc = "$want" ] || fail "$name: exit status $rc, expected $want: $(cat "$WORK/$name.err")"
    [ -s "$WORK/$name.err" ] || fail "$name: no message"
    no_secrets "$WORK/$name.out" "$WORK/$name.err"
}
for k in "$V2" "$V1" "$V1_INNER"; do
    for opt in --listen --heartbeat --replay --replay-window --discontinuity-seq --stream-items \
        --stream-lifetime --stream-end --max-subscribers --max-payload --fault-end-after \
        --fault-reject --fault-reject-rpc --fault-delay-publish --port-file --ledger; do
        if [ $opt = --port-file ] || [ $opt = --ledger ]; then # a file that cannot be written
            usage "w$opt" 1 $opt "$WORK/nodir/$k"
        else
            usage "w$opt" 64 $opt "$k"
        fi
    done
    usage w-caches 64 --caches ",$k"
    usage w-unknown 64 "--$k"
    usage w-arg 64 "$k"
    usage w-token-file 64 --token-file "$k"
    grep -q "looks like an API key" "$WORK/w-token-file.err" || fail "w-token-file: $(cat "$WORK/w-token-file.err")"
    usage w-tls 1 --tls-cert "$WORK/$k.pem" --tls-key "$WORK/$k.key"
done
usage token-missing 64 --token-file "$KEYS/missing.key"
usage token-dir 64 --token-file "$KEYS"
mkfifo "$KEYS/fifo.key"
usage token-fifo 64 --token-file "$KEYS/fifo.key"
grep -q "not a regular file" "$WORK/token-fifo.err" || fail "token-fifo: $(cat "$WORK/token-fifo.err")"
pass "the key as an option's value, an argument or a file name; unreadable token files: not echoed"

pass "no piece of either key in $CHECKED_FILES outputs and command lines"
