#!/bin/bash
# momento-publish never writes an API key anywhere: with a v2 key and a v1 key
# (outer base64 and inner api_key), from a file, the environment and a systemd
# credential; a malformed key; an unreadable key file; the key in the wrong
# place (-c, -t, --endpoint, --endpoint-override, --api-key-file, an option's
# value, an argument, MOMENTO_ENDPOINT); UNAUTHENTICATED from the server; a
# run at a rate stopped by SIGTERM. Checked: standard output and error, and
# /proc/PID/cmdline of the running program.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"
source "$(dirname "$0")/secrets-lib.sh"

unset MOMENTO_API_KEY MOMENTO_ENDPOINT CREDENTIALS_DIRECTORY
printf '%s\n' "$V1_INNER" >"$KEYS/v1-inner.key"
start_local v2srv -v --token-file "$KEYS/v2.key"
V2_PORT=$LOCAL_PORT
start_local v1srv -v --token-file "$KEYS/v1-inner.key"
V1_PORT=$LOCAL_PORT
start_local othersrv -v --token-file "$KEYS/other.key"
OTHER_PORT=$LOCAL_PORT

# run NAME STATUS PORT [ENV...] -- ARGS... : momento-publish to the server at
# PORT (plaintext) must exit with STATUS; outputs checked
run() {
    local name=$1 want=$2 port=$3 rc=0
    shift 3
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" timeout -k 5 30 ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$port" --insecure \
        "$@" >"$WORK/$name.pub" 2>"$WORK/$name.pub.err" || rc=$?
    [ $rc = "$want" ] || fail "$name: exit status $rc, expected $want: $(head -c 600 "$WORK/$name.pub.err")"
    no_sanitizer_report "$WORK/$name.pub.err"
    no_secrets "$WORK/$name.pub" "$WORK/$name.pub.err"
}

# ---- good keys, from each source
run v2-file 0 "$V2_PORT" -- --api-key-file "$KEYS/v2.key" -c c -t t -n 3
run v2-env 0 "$V2_PORT" MOMENTO_API_KEY="$V2" -- -c c -t t
mkdir -p "$WORK/creds"
cp "$KEYS/v1.key" "$WORK/creds/momento-api-key"
run v1-credential 0 "$V1_PORT" CREDENTIALS_DIRECTORY="$WORK/creds" -- -c c -t t -n 2
run v1-env 0 "$V1_PORT" MOMENTO_API_KEY="$V1" -- -c c -t t --binary
pass "v2 and v1 keys from a file, the environment and a credential: published"

# ---- malformed keys
run bad-v2-file 1 "$V2_PORT" -- --api-key-file "$KEYS/bad-v2.key" -c c -t t
grep -q "malformed" "$WORK/bad-v2-file.pub.err" || fail "bad-v2-file: $(cat "$WORK/bad-v2-file.pub.err")"
run bad-v1-file 1 "$V2_PORT" -- --api-key-file "$KEYS/bad-v1.key" -c c -t t
run bad-v2-env 1 "$V2_PORT" MOMENTO_API_KEY="$BAD_V2" -- -c c -t t
run bad-v1-env 1 "$V2_PORT" MOMENTO_API_KEY="$BAD_V1" -- -c c -t t
cp "$KEYS/bad-v1.key" "$WORK/creds/momento-api-key"
run bad-v1-credential 1 "$V2_PORT" CREDENTIALS_DIRECTORY="$WORK/creds" -- -c c -t t
pass "malformed keys (file, environment, credential): refused, not echoed"

# ---- unreadable key files
run key-missing 1 "$V2_PORT" -- --api-key-file "$KEYS/missing.key" -c c -t t
run key-dir 1 "$V2_PORT" -- --api-key-file "$KEYS" -c c -t t
mkfifo "$KEYS/fifo.key"
run key-fifo 1 "$V2_PORT" -- --api-key-file "$KEYS/fifo.key" -c c -t t
grep -q "not a regular file" "$WORK/key-fifo.pub.err" || fail "key-fifo: $(cat "$WORK/key-fifo.pub.err")"
pub_dir=$(mktemp -d "${TMPDIR:-/tmp}/mo-secrets.XXXXXX")
chmod 755 "$pub_dir"
cp "$KEYS/v2.key" "$pub_dir/locked.key"
chmod 000 "$pub_dir/locked.key"
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed to drop root"
    rc=0
    setpriv --reuid=65534 --regid=65534 --clear-groups timeout -k 5 30 ${MO_WRAPPER:-} "$PUB" \
        --endpoint-override "127.0.0.1:$V2_PORT" --insecure --api-key-file "$pub_dir/locked.key" \
        -c c -t t >"$WORK/key-locked.pub" 2>"$WORK/key-locked.pub.err" || rc=$?
    [ $rc = 1 ] || fail "key-locked: exit status $rc: $(cat "$WORK/key-locked.pub.err")"
    no_secrets "$WORK/key-locked.pub" "$WORK/key-locked.pub.err"
else
    run key-locked 1 "$V2_PORT" -- --api-key-file "$pub_dir/locked.key" -c c -t t
fi
grep -q "Permission denied" "$WORK/key-locked.pub.err" || fail "key-locked: $(cat "$WORK/key-locked.pub.err")"
rm -rf "$pub_dir"
pass "unreadable key files (missing, directory, FIFO, no permission): refused, not echoed"

# ---- the key in the wrong place
for k in "$V2" "$V1" "$V1_INNER"; do
    run w-cache 64 "$V2_PORT" -- --api-key-file "$KEYS/v2.key" -c "$k" -t t
    grep -q "the cache name looks like an API key" "$WORK/w-cache.pub.err" || fail "w-cache: $(cat "$WORK/w-cache.pub.err")"
    run w-topic 64 "$V2_PORT" -- --api-key-file "$KEYS/v2.key" -c c -t "$k"
    run w-keyfile 1 "$V2_PORT" -- --api-key-file "$k" -c c -t t
    grep -q "looks like an API key" "$WORK/w-keyfile.pub.err" || fail "w-keyfile: $(cat "$WORK/w-keyfile.pub.err")"
    for opt in -n -r --size --format --connections --max-in-flight --timeout --endpoint-override; do
        run "w-opt$opt" 64 "$V2_PORT" -- --api-key-file "$KEYS/v2.key" -c c -t t "$opt" "$k"
    done
    run w-unknown 64 "$V2_PORT" -- -c c -t t "--$k"
    run w-args 64 "$V2_PORT" -- -c c -t t "$k" "$k"
    # where the service's endpoint belongs (no override): --endpoint, MOMENTO_ENDPOINT
    rc=0
    timeout -k 5 30 ${MO_WRAPPER:-} "$PUB" --api-key-file "$KEYS/v2.key" --endpoint "$k" -c c -t t \
        >"$WORK/w-endpoint.pub" 2>"$WORK/w-endpoint.pub.err" || rc=$?
    [ $rc = 1 ] || fail "--endpoint KEY: exit status $rc: $(cat "$WORK/w-endpoint.pub.err")"
    rc=0
    MOMENTO_ENDPOINT=$k timeout -k 5 30 ${MO_WRAPPER:-} "$PUB" --api-key-file "$KEYS/v2.key" -c c -t t \
        >"$WORK/w-endpoint-env.pub" 2>"$WORK/w-endpoint-env.pub.err" || rc=$?
    [ $rc = 1 ] || fail "MOMENTO_ENDPOINT=KEY: exit status $rc: $(cat "$WORK/w-endpoint-env.pub.err")"
    grep -q "MOMENTO_ENDPOINT looks like an API key" "$WORK/w-endpoint-env.pub.err" ||
        fail "MOMENTO_ENDPOINT=KEY: $(cat "$WORK/w-endpoint-env.pub.err")"
    no_secrets "$WORK"/w-endpoint*.pub "$WORK"/w-endpoint*.pub.err
done
pass "the key as a cache, topic, key file name, option value, argument or endpoint: refused, not echoed"

# ---- UNAUTHENTICATED from the server, with each key
run auth-v2 1 "$OTHER_PORT" -- --api-key-file "$KEYS/v2.key" -c c -t t -n 3
grep -q "failed: UNAUTHENTICATED" "$WORK/auth-v2.pub.err" || fail "auth-v2: $(cat "$WORK/auth-v2.pub.err")"
run auth-v1 1 "$OTHER_PORT" MOMENTO_API_KEY="$V1" -- -c c -t t -r 100 -n 50
grep -q "failed: UNAUTHENTICATED" "$WORK/auth-v1.pub.err" || fail "auth-v1: $(cat "$WORK/auth-v1.pub.err")"
pass "UNAUTHENTICATED: reported, the key not echoed"

# ---- a run at a rate: its command line while it runs, then SIGTERM
MOMENTO_API_KEY=$V1 bg rate ${MO_WRAPPER:-} "$PUB" --endpoint-override "127.0.0.1:$V1_PORT" --insecure \
    -c c -t t -r 50
rpid=$LAST_PID
sleep 0.5
kill -0 $rpid || fail "the rate run ended: $(cat "$WORK/rate.err")"
no_secrets_in_cmdline $rpid
stop $rpid || fail "rate run: exit status $?: $(cat "$WORK/rate.err")"
closing_line "$WORK/rate.out" >/dev/null
no_secrets "$WORK/rate.out" "$WORK/rate.err"
pass "a run at a rate: command line, then SIGTERM"

for s in v2srv v1srv othersrv; do no_secrets "$WORK/$s.out" "$WORK/$s.err"; done
pass "no piece of either key in $CHECKED_FILES outputs and command lines"
