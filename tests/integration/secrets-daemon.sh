#!/bin/bash
# momento-subscriberd never writes an API key anywhere, on every path that can
# report on one: a malformed key, an unreadable key file, a key in the wrong
# field (momento.endpoint, endpoint_override, api_key_file, a cache, a topic,
# state.directory, export.prometheus_textfile, timestamp.field, an enum, a
# mapping key, the configuration's file name, MOMENTO_ENDPOINT, an option),
# UNAUTHENTICATED from the server, --check-config, each log format (journal,
# json, text), reload (SIGHUP) with a changed key and with a key in the
# configuration, a summary (SIGUSR1), and stop (SIGTERM). Checked: standard
# output and error, the journal (a real journald), the state directory and
# export files, and /proc/PID/cmdline, for a v2 key and a v1 key (its outer
# base64 and its inner api_key), with every 8-character piece of each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/secrets-lib.sh"

command -v journalctl >/dev/null || skip "journalctl is not installed (apt-get install systemd)"
ensure_journald
D=$BIN/momento-subscriberd
unset MOMENTO_API_KEY MOMENTO_ENDPOINT CREDENTIALS_DIRECTORY

# A server that accepts the v2 key only (the token from a file, never argv),
# logging every call (-v), its output checked like everything else.
printf '%s\n' "$V1_INNER" >"$KEYS/v1-inner.key"
start_local srv -v --token-file "$KEYS/v2.key" --heartbeat 200ms
SRV_PORT=$LOCAL_PORT
no_secrets_in_cmdline "$LOCAL_PID"

# config FILE [MOMENTO-EXTRA] [SUBS] [TAIL] : a configuration for the local server
config() {
    local file=$1 momento=${2:-} subs=${3:-"  - cache: sc
    topic: st"} tail=${4:-}
    cat >"$file" <<YAML
momento:
  endpoint_override: 127.0.0.1:$SRV_PORT
  tls: false
$momento
subscriptions:
$subs
$tail
YAML
}

# refused NAME CONFIG [ENV...] : the daemon refuses to start (status 78) and
# --check-config refuses too, both quickly; outputs in $WORK/NAME.{out,err}
# and NAME-check.{out,err}
refused() {
    local name=$1 cfg=$2 rc=0
    shift 2
    env "$@" timeout -k 5 20 ${MO_WRAPPER:-} "$D" -c "$cfg" --log-format json \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ $rc = 78 ] || fail "$name: exit status $rc, expected 78: $(head -c 600 "$WORK/$name.err")"
    [ -s "$WORK/$name.err" ] || fail "$name: no error message"
    rc=0
    env "$@" timeout -k 5 20 ${MO_WRAPPER:-} "$D" -c "$cfg" --check-config \
        >"$WORK/$name-check.out" 2>"$WORK/$name-check.err" || rc=$?
    [ $rc = 78 ] || fail "$name --check-config: exit status $rc, expected 78: $(head -c 600 "$WORK/$name-check.err")"
    no_secrets "$WORK/$name.out" "$WORK/$name.err" "$WORK/$name-check.out" "$WORK/$name-check.err"
}

# ---- a malformed key, from each source
config "$WORK/bad-file.yaml" "  api_key_file: $KEYS/bad-v2.key"
refused bad-v2-file "$WORK/bad-file.yaml"
grep -q "malformed" "$WORK/bad-v2-file.err" || fail "bad-v2-file: $(cat "$WORK/bad-v2-file.err")"
config "$WORK/bad-file1.yaml" "  api_key_file: $KEYS/bad-v1.key"
refused bad-v1-file "$WORK/bad-file1.yaml"
config "$WORK/plain.yaml"
refused bad-v2-env "$WORK/plain.yaml" MOMENTO_API_KEY="$BAD_V2"
refused bad-v1-env "$WORK/plain.yaml" MOMENTO_API_KEY="$BAD_V1"
mkdir -p "$WORK/creds-bad"
cp "$KEYS/bad-v2.key" "$WORK/creds-bad/momento-api-key"
refused bad-v2-credential "$WORK/plain.yaml" CREDENTIALS_DIRECTORY="$WORK/creds-bad"
grep -q "systemd credential" "$WORK/bad-v2-credential.err" || fail "bad-v2-credential: $(cat "$WORK/bad-v2-credential.err")"
pass "malformed keys (file, environment, credential): refused, not echoed"

# ---- an unreadable key file: missing, a directory, a FIFO, no permission
config "$WORK/missing.yaml" "  api_key_file: $KEYS/missing.key"
refused key-missing "$WORK/missing.yaml"
config "$WORK/dir.yaml" "  api_key_file: $KEYS"
refused key-dir "$WORK/dir.yaml"
mkfifo "$KEYS/fifo.key"
config "$WORK/fifo.yaml" "  api_key_file: $KEYS/fifo.key"
refused key-fifo "$WORK/fifo.yaml"
grep -q "not a regular file" "$WORK/key-fifo.err" || fail "key-fifo: $(cat "$WORK/key-fifo.err")"
# a file holding the key that the daemon may not read (as root: run as nobody)
pub_dir=$(mktemp -d "${TMPDIR:-/tmp}/mo-secrets.XXXXXX")
chmod 755 "$pub_dir"
cp "$KEYS/v2.key" "$pub_dir/locked.key"
chmod 000 "$pub_dir/locked.key"
config "$pub_dir/locked.yaml" "  api_key_file: $pub_dir/locked.key"
chmod 644 "$pub_dir/locked.yaml"
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed to drop root"
    refused key-locked "$pub_dir/locked.yaml" setpriv --reuid=65534 --regid=65534 --clear-groups
else
    refused key-locked "$pub_dir/locked.yaml"
fi
grep -q "Permission denied" "$WORK/key-locked.err" || fail "key-locked: $(cat "$WORK/key-locked.err")"
rm -rf "$pub_dir"
pass "unreadable key files (missing, directory, FIFO, no permission): refused, not echoed"

# ---- the key in the wrong field
for k in "$V2" "$V1" "$V1_INNER"; do
    n=$((${n:-0} + 1))
    config "$WORK/w$n-endpoint.yaml" "  endpoint: $k" # with the override: still refused
    refused "w$n-endpoint" "$WORK/w$n-endpoint.yaml"
    sed -i "s|  endpoint_override: .*|  endpoint_override: \"$k:443\"|" "$WORK/w$n-endpoint.yaml"
    refused "w$n-override" "$WORK/w$n-endpoint.yaml"
    config "$WORK/w$n-akf.yaml" "  api_key_file: $k"
    refused "w$n-api-key-file" "$WORK/w$n-akf.yaml"
    config "$WORK/w$n-cache.yaml" "" "  - cache: $k
    topic: t"
    refused "w$n-cache" "$WORK/w$n-cache.yaml"
    config "$WORK/w$n-topic.yaml" "" "  - cache: c
    topic: '$k'"
    refused "w$n-topic" "$WORK/w$n-topic.yaml"
    config "$WORK/w$n-state.yaml" "" "" "state:
  directory: $WORK/state/$k"
    refused "w$n-state" "$WORK/w$n-state.yaml"
    config "$WORK/w$n-export.yaml" "" "" "export:
  prometheus_textfile: $k.prom"
    refused "w$n-export" "$WORK/w$n-export.yaml"
    config "$WORK/w$n-field.yaml" "" "  - cache: c
    topic: t
    timestamp: { field: '$k' }"
    refused "w$n-field" "$WORK/w$n-field.yaml"
    config "$WORK/w$n-enum.yaml" "" "" "logging:
  messages: $k"
    refused "w$n-enum" "$WORK/w$n-enum.yaml"
    config "$WORK/w$n-key.yaml" "  '$k': true"
    refused "w$n-key" "$WORK/w$n-key.yaml"
done
# the key as the name of the configuration file (a v1 key may hold '/': v2 and inner)
for k in "$V2" "$V1_INNER"; do
    refused "w-cfgname-missing" "$WORK/$k"
    config "$WORK/$k" # even when it exists and is a good configuration
    refused "w-cfgname" "$WORK/$k"
    rm -f "$WORK/$k"
    config "$WORK/keyname-file.yaml" "  api_key_file: $KEYS/$k"
    refused "w-keyfile-name" "$WORK/keyname-file.yaml"
done
# the key where the endpoint's environment variable belongs (a v2 key needs one)
sed '/endpoint_override\|tls:/d' "$WORK/plain.yaml" >"$WORK/no-override.yaml"
refused w-endpoint-env "$WORK/no-override.yaml" MOMENTO_API_KEY="$V2" MOMENTO_ENDPOINT="$V2"
grep -q "MOMENTO_ENDPOINT" "$WORK/w-endpoint-env.err" || fail "w-endpoint-env: $(cat "$WORK/w-endpoint-env.err")"
# and as the value of an option, or an argument
for k in "$V2" "$V1"; do
    rc=0
    timeout -k 5 20 ${MO_WRAPPER:-} "$D" -c "$WORK/plain.yaml" --log-format "$k" >"$WORK/w-opt.out" 2>"$WORK/w-opt.err" || rc=$?
    [ $rc = 64 ] || fail "--log-format KEY: exit status $rc"
    rc=0
    timeout -k 5 20 ${MO_WRAPPER:-} "$D" -c "$WORK/plain.yaml" "$k" >"$WORK/w-arg.out" 2>"$WORK/w-arg.err" || rc=$?
    [ $rc = 64 ] || fail "an argument: exit status $rc"
    no_secrets "$WORK/w-opt.out" "$WORK/w-opt.err" "$WORK/w-arg.out" "$WORK/w-arg.err"
done
pass "the key in a wrong field, a file name, MOMENTO_ENDPOINT or an option: refused, not echoed"

# ---- --check-config with a good key, from each source
check_ok() {
    local name=$1 cfg=$2 rc=0
    shift 2
    env "$@" timeout -k 5 20 ${MO_WRAPPER:-} "$D" -c "$cfg" --check-config \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ $rc = 0 ] || fail "$name: --check-config exit status $rc: $(cat "$WORK/$name.err")"
    no_secrets "$WORK/$name.out" "$WORK/$name.err"
}
config "$WORK/v2-file.yaml" "  api_key_file: $KEYS/v2.key"
check_ok check-v2-file "$WORK/v2-file.yaml"
grep -q "credentials: v2 API key from API key file $KEYS/v2.key" "$WORK/check-v2-file.out" ||
    fail "check-v2-file: $(cat "$WORK/check-v2-file.out")"
check_ok check-v1-env "$WORK/plain.yaml" MOMENTO_API_KEY="$V1"
sed '/endpoint_override\|tls:/d' "$WORK/v2-file.yaml" >"$WORK/v2-service.yaml"
sed -i 's|^momento:|momento:\n  endpoint: cell-4-us-west-2-1.prod.a.momentohq.com|' "$WORK/v2-service.yaml"
check_ok check-v2-service "$WORK/v2-service.yaml"
grep -q "endpoint: cache.cell-4-us-west-2-1.prod.a.momentohq.com:443 (TLS)" "$WORK/check-v2-service.out" ||
    fail "check-v2-service: $(cat "$WORK/check-v2-service.out")"
check_ok check-v1-service "$WORK/no-override.yaml" MOMENTO_API_KEY="$V1"
grep -q "endpoint: cache.cell-9.example.com:443 (TLS)" "$WORK/check-v1-service.out" ||
    fail "check-v1-service: $(cat "$WORK/check-v1-service.out")"
mkdir -p "$WORK/creds"
cp "$KEYS/v2.key" "$WORK/creds/momento-api-key"
check_ok check-v2-credential "$WORK/plain.yaml" CREDENTIALS_DIRECTORY="$WORK/creds"
pass "--check-config with keys from a file, the environment and a credential"

# ---- running, in the journal: messages, reload with a changed key and with
# keys in the configuration, a summary, stop; state and export files
STATE=$WORK/state
EXPORT=$WORK/export
mkdir -p "$STATE" "$EXPORT"
cfg=$WORK/run.yaml
run_tail="state:
  directory: $STATE
export:
  prometheus_textfile: $EXPORT/metrics.prom
  emf: true
logging:
  summary_interval: 1s"
config "$cfg" "  api_key_file: $KEYS/v2.key" "" "$run_tail"
printf '%s\n' "$V2" >"$WORK/run.key"
sed -i "s|$KEYS/v2.key|$WORK/run.key|" "$cfg"
bg journal ${MO_WRAPPER:-} "$D" -c "$cfg" --log-format journal
jpid=$LAST_PID
journal_of() {
    journalctl --sync 2>/dev/null || true
    journalctl _PID="$1" -o export --no-pager >"$WORK/journal-$1.export" 2>/dev/null || true
    journalctl _PID="$1" -o json --no-pager >"$WORK/journal-$1.json" 2>/dev/null || true
}
jhave() { journal_of "$1"; [ "$(jq -c "select($2)" "$WORK/journal-$1.json" | wc -l)" -ge "$3" ]; }
wait_for 20 jhave $jpid '.EVENT=="subscribed"' 1 || fail "journal run: not subscribed"
no_secrets_in_cmdline $jpid
${MO_WRAPPER:-} "$BIN/momento-publish" --endpoint-override "127.0.0.1:$SRV_PORT" --insecure \
    --api-key-file "$KEYS/v2.key" -c sc -t st -n 5 >"$WORK/pub.out" 2>"$WORK/pub.err" ||
    fail "publish with the v2 key: $(cat "$WORK/pub.err")"
wait_for 20 jhave $jpid '.EVENT=="message"' 5 || fail "journal run: messages missing"
# reload 1: a changed key (now the v1 key) and a new subscription
printf '%s\n' "$V1" >"$WORK/run.key"
config "$cfg" "  api_key_file: $WORK/run.key" "  - cache: sc
    topic: st
  - cache: sc
    topic: st2" "$run_tail"
kill -HUP $jpid
wait_for 20 jhave $jpid '.EVENT=="config_reloaded"' 1 || fail "journal run: no config_reloaded"
# reloads 2-5: keys in the configuration; each refused, the old one kept
reloads=1
for bad in "  - cache: sc
    topic: '$V2'" "  - cache: '$V1_INNER'
    topic: st"; do
    config "$cfg" "  api_key_file: $WORK/run.key" "$bad" "$run_tail"
    kill -HUP $jpid
    reloads=$((reloads + 1))
    wait_for 20 jhave $jpid '.EVENT=="config_error"' $((reloads - 1)) || fail "journal run: no config_error"
done
for momento in "  api_key_file: $WORK/$V2" "  endpoint: $V1" "  api_key_file: $WORK/run.key
  '$V2': 1"; do
    config "$cfg" "$momento" "" "$run_tail"
    kill -HUP $jpid
    reloads=$((reloads + 1))
    wait_for 20 jhave $jpid '.EVENT=="config_error"' $((reloads - 1)) || fail "journal run: no config_error"
done
kill -USR1 $jpid
wait_for 20 jhave $jpid '.EVENT=="summary"' 2 || fail "journal run: no summary"
stop $jpid || fail "journal run: exit status"
wait_for 20 jhave $jpid '.EVENT=="stopping"' 1 || fail "journal run: no stopping record"
journal_of $jpid
jq -e -s 'map(select(.EVENT=="config_error")) | length >= 5 and
          all(.REASON | test("looks like an API key"))' "$WORK/journal-$jpid.json" >/dev/null ||
    fail "journal run: config_error records: $(jq -c 'select(.EVENT=="config_error") | .MESSAGE' "$WORK/journal-$jpid.json")"
no_secrets "$WORK/journal-$jpid.export" "$WORK/journal.out" "$WORK/journal.err"
# what the daemon wrote to disk: the export textfile (written at every
# summary) and whatever the state directory holds
[ -s "$EXPORT/metrics.prom" ] || fail "journal run: no export textfile written"
no_secrets_in_tree "$STATE" "$EXPORT"
pass "journal: $(jq -s length "$WORK/journal-$jpid.json") records, $reloads reloads, stop; state and export files"

# ---- UNAUTHENTICATED: a server that wants another token; JSON and text
# events, with the key from the environment and from a file; a reload with a
# changed key; stop
start_local other -v --token-file "$KEYS/other.key" --heartbeat 200ms
SRV_PORT=$LOCAL_PORT
config "$WORK/auth-env.yaml" "" "" "reconnect:
  backoff_initial: 100ms
  backoff_max: 200ms"
MOMENTO_API_KEY=$V1 bg auth-json ${MO_WRAPPER:-} "$D" -c "$WORK/auth-env.yaml" --log-format json
apid=$LAST_PID
wait_events 20 "$WORK/auth-json.out" '.event=="auth_error"' 2 || fail "no auth_error (json)"
no_secrets_in_cmdline $apid
kill -HUP $apid
wait_events 20 "$WORK/auth-json.out" '.event=="config_reloaded"' 1 || fail "no config_reloaded (json)"
stop $apid || fail "auth-json: exit status"
printf '%s\n' "$V2" >"$WORK/auth.key"
config "$WORK/auth-file.yaml" "  api_key_file: $WORK/auth.key" "" "reconnect:
  backoff_initial: 100ms
  backoff_max: 200ms"
bg auth-text ${MO_WRAPPER:-} "$D" -c "$WORK/auth-file.yaml" --log-format text
apid=$LAST_PID
wait_for 20 grep -q "rejected the API key" "$WORK/auth-text.out" || fail "no auth error (text): $(head -5 "$WORK/auth-text.out")"
grep -q "API key file $WORK/auth.key" "$WORK/auth-text.out" || fail "the hint does not name the key file"
printf '%s\n' "$V1" >"$WORK/auth.key" # a changed key, and the config touched
echo "# touched" >>"$WORK/auth-file.yaml"
kill -HUP $apid
wait_for 20 grep -qi "reloaded" "$WORK/auth-text.out" || fail "no reload (text)"
kill -USR1 $apid
stop $apid || fail "auth-text: exit status"
no_secrets "$WORK/auth-json.out" "$WORK/auth-json.err" "$WORK/auth-text.out" "$WORK/auth-text.err"
pass "UNAUTHENTICATED (json and text events), reload with a changed key, stop"

# every output of the servers, checked last
stop "$LOCAL_PID" || true
no_secrets "$WORK"/srv.out "$WORK"/srv.err "$WORK"/other.out "$WORK"/other.err "$WORK"/pub.out "$WORK"/pub.err
pass "no piece of either key in $CHECKED_FILES outputs, journals, state and export files and command lines"
