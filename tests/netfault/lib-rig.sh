# lib-rig.sh - the network fault rig; sourced by the tests in tests/netfault.
#
# Every case runs in network and mount namespaces of its own (unshare -n -m),
# on that namespace's loopback only: nothing it does reaches another address
# or another namespace. momento-topics-local listens on 0.0.0.0:7000 there;
# the publisher reaches it at 127.0.0.1:7000, the daemon at 127.0.0.2:7000
# (or through the rig's delay proxy), so that the faults, filtered by
# address, touch the daemon's traffic only:
#
#   rig_nft RULE...        an nft rule in the rig's table (hook output)
#   rig_drop [PCT]         drop PCT% (default 100) of the daemon's packets, both ways
#   rig_reset              answer the daemon's packets with TCP resets, both ways
#   rig_clear              every rule, the tbf, the MTU and the link as they were
#   rig_tbf RATE           the server's packets to the daemon through a tbf of RATE
#   rig_mark NAME          the wall clock (s.ns) of a moment, kept in $WORK/marks
#   rig_cpu_ticks PID      utime + stime of PID, in clock ticks
#   rig_rss_kb PID         its resident set
#   rig_analyze ARGS...    tests/netfault/analyze.py over this run's files
#
# The rig undoes every fault itself and again at exit (also when a test
# fails); the namespaces go with the last process in them.
#
# Bounds asserted (issue 17): detection (the fault's start to the daemon's
# first warning) within idle_timeout + 3 s; recovery (the fault's end to the
# first message) within backoff_max + 8 s; under 10% of one core while a fault
# lasts; the ledger exact.
set -euo pipefail

: "${top_builddir:?run this through make check}"
: "${top_srcdir:?run this through make check}"

rig_skip() {
    if [ "${MO_REQUIRE_ALL:-0}" = 1 ]; then
        echo "FAIL: $(basename "$0" .sh): $* (MO_REQUIRE_ALL=1: a missing prerequisite is a failure)" >&2
        exit 1
    fi
    echo "SKIP: $(basename "$0" .sh): $*" >&2
    exit 77
}

if [ "${MO_RIG_INSIDE:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || rig_skip "the rig needs root (network namespaces, nft, tc)"
    for t in unshare nft tc ip python3 jq; do
        command -v "$t" >/dev/null || rig_skip "$t not found (Debian: apt-get install nftables iproute2 python3 jq)"
    done
    unshare -n -m true 2>/dev/null || rig_skip "cannot create network and mount namespaces"
    export MO_RIG_INSIDE=1
    exec unshare -n -m --propagation private bash "$0" "$@"
fi

source "$top_srcdir/tests/integration/lib.sh"

ip link set lo up
RIG_PORT=7000
RIG_SERVER=127.0.0.2:$RIG_PORT # the daemon's way to the server
RIG_ANALYZE=$top_srcdir/tests/netfault/analyze.py
RIG_PROXY=$top_srcdir/tests/netfault/proxy.py
: >"$WORK/marks"

rig_nft() { nft add rule inet rig out "$@"; }

rig_table() {
    nft delete table inet rig 2>/dev/null || true
    nft add table inet rig
    nft add chain inet rig out '{ type filter hook output priority 0 ; policy accept ; }'
}

rig_drop() {
    local pct=${1:-100}
    rig_table
    if [ "$pct" = 100 ]; then
        rig_nft ip daddr 127.0.0.2 tcp dport $RIG_PORT drop
        rig_nft ip saddr 127.0.0.2 tcp sport $RIG_PORT drop
    else
        rig_nft ip daddr 127.0.0.2 tcp dport $RIG_PORT numgen random mod 100 '<' "$pct" drop
        rig_nft ip saddr 127.0.0.2 tcp sport $RIG_PORT numgen random mod 100 '<' "$pct" drop
    fi
}

rig_reset() {
    rig_table
    rig_nft ip daddr 127.0.0.2 tcp dport $RIG_PORT reject with tcp reset
    rig_nft ip saddr 127.0.0.2 tcp sport $RIG_PORT reject with tcp reset
}

# (htb classes: everything else unlimited, the daemon's class through the
# tbf; this kernel has htb and tbf, not prio)
rig_tbf() {
    tc qdisc del dev lo root 2>/dev/null || true
    tc qdisc add dev lo root handle 1: htb default 10 r2q 1000
    tc class add dev lo parent 1: classid 1:10 htb rate 10gbit
    tc class add dev lo parent 1: classid 1:30 htb rate "$1" ceil "$1"
    tc qdisc add dev lo parent 1:30 handle 30: tbf rate "$1" burst 8kb latency 500ms
    tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip src 127.0.0.2/32 flowid 1:30
}

rig_clear() {
    nft delete table inet rig 2>/dev/null || true
    tc qdisc del dev lo root 2>/dev/null || true
    ip link set lo mtu 65536 2>/dev/null || true
    ip link set lo up 2>/dev/null || true
}

rig_mark() { echo "$1 $(date +%s.%N)" >>"$WORK/marks"; }

rig_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rig_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# rig_server [ARGS...]: momento-topics-local on 0.0.0.0:7000, with a ledger
rig_server() {
    bg server "$BIN/momento-topics-local" --listen 0.0.0.0:$RIG_PORT --heartbeat 1s \
        --ledger "$WORK/ledger" "$@"
    SERVER_PID=$LAST_PID
    wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RIG_PORT" || fail "momento-topics-local did not start"
}

# rig_daemon [TARGET]: the daemon on c/t through TARGET (default 127.0.0.2:7000),
# in plaintext, or with RIG_TRANSPORT's line in momento: instead
rig_daemon() {
    local target=${1:-$RIG_SERVER}
    cat >"$WORK/sub.yaml" <<YAML
momento:
  endpoint_override: $target
  ${RIG_TRANSPORT:-tls: false}
subscriptions:
  - cache: c
    topic: t
reconnect:
  backoff_initial: 100ms
  backoff_max: 2s
  idle_timeout: 3s
logging:
  summary_interval: ${RIG_SUMMARY:-1h}
  messages: ${RIG_MESSAGES:-all}
  message_budget: 100000
YAML
    bg daemon "$BIN/momento-subscriberd" -c "$WORK/sub.yaml" --log-format json
    DAEMON_PID=$LAST_PID
}

# rig_publish RATE: momento-publish to c/t at RATE a second until rig_publish_stop
rig_publish() {
    bg publisher "$BIN/momento-publish" -c c -t t -r "$1" --endpoint-override 127.0.0.1:$RIG_PORT \
        --insecure --timeout 2s
    PUB_PID=$LAST_PID
}

rig_publish_stop() {
    kill -TERM "$PUB_PID" 2>/dev/null || true
    wait "$PUB_PID" 2>/dev/null || true
}

# received: messages the daemon logged so far
rig_received() { grep -c '"event":"message"' "$WORK/daemon.out" || true; }

# rig_settle: wait until the daemon has every message the server took (or
# counted it lost), at most 30 s, then stop the daemon (its last summary)
rig_settle() {
    settled() {
        python3 "$RIG_ANALYZE" --events "$WORK/daemon.out" --ledger "$WORK/ledger" --settled
    }
    wait_for 30 settled || true
    stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
}

rig_analyze() {
    python3 "$RIG_ANALYZE" --events "$WORK/daemon.out" --ledger "$WORK/ledger" --marks "$WORK/marks" \
        --case "$TEST_NAME" "$@"
}

# the faults undone first, then lib.sh's cleanup with the test's own status
rig_exit() {
    local rc=$?
    rig_clear
    (exit $rc)
    cleanup
}
trap rig_exit EXIT

# rig_case [ANALYZE-ARGS...]: the run every case shares. The server and the
# daemon start, the publisher runs at RIG_RATE (default 100/s); after 4 s of
# health the case's rig_case_fault runs (between the marks fault_start and
# fault_end), then 6 s more of publishing; the daemon settles and stops; the
# run is judged (rig_analyze with the bounds) and its line printed.
rig_case() {
    [ "$(type -t rig_case_server)" = function ] || rig_case_server() { rig_server; }
    [ "$(type -t rig_case_daemon)" = function ] || rig_case_daemon() { rig_daemon; }
    rig_case_server
    rig_case_daemon
    wait_events 10 "$WORK/daemon.out" '.event=="subscribed"' 1 || fail "the daemon did not subscribe"
    rig_publish "${RIG_RATE:-100}"
    some() { [ "$(rig_received)" -gt 0 ]; }
    wait_for 10 some || fail "no message reached the daemon before the fault"
    sleep 4
    local rss0 t0 c0 t1 c1
    rss0=$(rig_rss_kb "$DAEMON_PID")
    c0=$(rig_cpu_ticks "$DAEMON_PID")
    t0=$(date +%s.%N)
    rig_mark fault_start
    rig_case_fault
    rig_mark fault_end
    t1=$(date +%s.%N)
    c1=$(rig_cpu_ticks "$DAEMON_PID")
    sleep 6
    rig_publish_stop
    local rss1
    rss1=$(rig_rss_kb "$DAEMON_PID")
    rig_settle
    local out rc=0
    out=$(rig_analyze --detect-within 6 --recover-within 10 \
        --cpu-ticks $((c1 - c0)) --cpu-seconds "$(awk "BEGIN { print $t1 - $t0 }")" \
        --rss-kb "$rss0" "$rss1" "$@") || rc=$?
    echo "$out"
    echo "$out" >>"${MO_RIG_RESULTS:-/dev/null}"
    [ $rc = 0 ] || fail "$(jq -r '.failures | join("; ")' <<<"$out")"
    pass "$TEST_NAME: $(jq -c 'del(.failures)' <<<"$out")"
}

# rig_certs: a CA the daemon is told to trust (ca.pem), another it is not
# (other-ca.pem), and server certificates for IP 127.0.0.2 signed by each:
# good.pem (valid), expired.pem (valid in 2020 only), untrusted.pem (the
# other CA's), wrong-name.pem (for DNS:elsewhere.test); keys beside them.
rig_certs() {
    local d=$WORK/pki
    mkdir -p "$d"
    ossl() { openssl "$@" 2>>"$d/openssl.err" || fail "openssl $1: $(tail -3 "$d/openssl.err")"; }
    for ca in ca other-ca; do
        ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/$ca.key" -out "$d/$ca.pem" -days 2 -subj "/CN=rig $ca" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    done
    : >"$d/index.txt"
    echo 01 >"$d/serial"
    cat >"$d/ca.cnf" <<CNF
[ ca ]
default_ca = rig
[ rig ]
database = $d/index.txt
new_certs_dir = $d
serial = $d/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
CNF
    # cert NAME CA SAN [START END]
    cert() {
        ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=rig $1"
        printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
            "$3" >"$d/$1.ext"
        local dates=(-days 2)
        [ -z "${4:-}" ] || dates=(-startdate "$4" -enddate "$5")
        ossl ca -batch -config "$d/ca.cnf" -cert "$d/$2.pem" -keyfile "$d/$2.key" -in "$d/$1.csr" \
            -out "$d/$1.pem" -extfile "$d/$1.ext" "${dates[@]}" -notext
    }
    cert good ca IP:127.0.0.2
    cert expired ca IP:127.0.0.2 20200101000000Z 20200102000000Z
    cert untrusted other-ca IP:127.0.0.2
    cert wrong-name ca DNS:elsewhere.test
}

# rig_tls_case CERT CAUSE: the server presents CERT; the daemon, trusting
# ca.pem through momento.ca_file, is refused for CAUSE: one connect_error
# with that cause's words and hint, retried with backoff (no hot loop, at
# most 15 attempts in 8 s, under 10% of a core); then the server gets the
# good certificate and the daemon subscribes within the recovery bound.
rig_tls_case() {
    local cert=$1 want=$2
    rig_certs
    bg server "$BIN/momento-topics-local" --listen 0.0.0.0:$RIG_PORT --heartbeat 1s \
        --tls-cert "$WORK/pki/$cert.pem" --tls-key "$WORK/pki/$cert.key"
    SERVER_PID=$LAST_PID
    wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RIG_PORT" || fail "momento-topics-local did not start"
    RIG_TRANSPORT="ca_file: $WORK/pki/ca.pem" rig_daemon
    rig_mark fault_start
    local c0 c1
    c0=$(rig_cpu_ticks "$DAEMON_PID")
    sleep 8
    c1=$(rig_cpu_ticks "$DAEMON_PID")
    local ce
    ce=$(events "$WORK/daemon.out" '.event=="connect_error"')
    [ "$(wc -l <<<"$ce")" = 1 ] && [ -n "$ce" ] || fail "expected one connect_error, got: $ce"
    jq -e --arg w "$want" '.level=="error" and (.hint | test($w))' <<<"$ce" >/dev/null ||
        fail "connect_error does not say '$want': $ce"
    # the good certificate: the server comes back with it
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    bg server2 "$BIN/momento-topics-local" --listen 0.0.0.0:$RIG_PORT --heartbeat 1s \
        --tls-cert "$WORK/pki/good.pem" --tls-key "$WORK/pki/good.key"
    SERVER_PID=$LAST_PID
    rig_mark fault_end
    wait_events 12 "$WORK/daemon.out" '.event=="subscribed"' 1 || fail "not subscribed with the good certificate"
    stop "$DAEMON_PID" || fail "the daemon did not stop cleanly"
    local out
    out=$(python3 - "$WORK/daemon.out" "$WORK/marks" "$((c1 - c0))" <<'PY'
import json, sys
from datetime import datetime
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
marks = dict(l.split() for l in open(sys.argv[2]))
t = lambda e: (datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ") - datetime(1970, 1, 1)).total_seconds()
start, end = float(marks["fault_start"]), float(marks["fault_end"])
first = [t(e) - start for e in ev if e.get("event") == "connect_error"]
tries = [e for e in ev if e.get("event") == "resubscribing" and start <= t(e) < start + 8]
up = [t(e) - end for e in ev if e.get("event") == "subscribed"]
print(json.dumps({"detection_s": round(first[0], 2), "attempts_8s": len(tries),
                  "recovery_s": round(up[0], 2), "cpu": round(int(sys.argv[3]) / 100 / 8, 4),
                  "cause": next(e["hint"] for e in ev if e.get("event") == "connect_error")}))
PY
)
    echo "$out" >>"${MO_RIG_RESULTS:-/dev/null}"
    jq -e '.detection_s <= 6 and .attempts_8s <= 15 and .recovery_s <= 10 and .cpu < 0.10' <<<"$out" >/dev/null ||
        fail "bounds: $out"
    pass "$TEST_NAME: $out"
}
