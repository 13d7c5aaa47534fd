#!/usr/bin/env bash
# momento-latency-report reading a real journald. Two "hosts", each a private
# journald in its own mount and UTS namespaces (its own hostname, machine id
# and journal directory, so nothing else on the machine writes to it or reads
# from it), each with momento-subscriberd running in the cgroup of a unit
# named momento-subscriberd.service, so journald attributes its records to
# that unit. Host a also runs a second daemon as mo-other.service.
#
# The report reads each host's journal by unit (the default, --unit, another
# unit), then both hosts' journal files copied into one directory
# (--directory, --by-host); its figures equal the exact ones computed from the
# message records in the same journals. A damaged summary record is counted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root: private journalds in mount namespaces, unit cgroups"
for t in unshare nsenter journalctl logger; do
    command -v $t >/dev/null || skip "$t is not installed (apt-get install util-linux systemd bsdutils)"
done
for JD in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald ""; do
    [ -x "$JD" ] && break
done
[ -n "$JD" ] || skip "systemd-journald is not installed (apt-get install systemd)"
# the cgroup hierarchies journald reads a unit from (cgroup v2, or v1's name=systemd)
CG_ROOTS=()
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    CG_ROOTS+=(/sys/fs/cgroup)
else
    for d in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
        [ -w "$d/cgroup.procs" ] && CG_ROOTS+=("$d")
    done
fi
[ ${#CG_ROOTS[@]} -gt 0 ] || skip "no writable cgroup hierarchy to put the daemon in a unit's cgroup"
SLICE=mo-report-$$-$RANDOM
unshare -mu true 2>/dev/null || skip "cannot create mount and UTS namespaces (no CAP_SYS_ADMIN?)"
{ mkdir "${CG_ROOTS[0]}/$SLICE-probe.slice" 2>/dev/null && rmdir "${CG_ROOTS[0]}/$SLICE-probe.slice"; } ||
    skip "cannot create cgroups under ${CG_ROOTS[0]}"

# ---- private journalds, unit cgroups, and their cleanup ----

declare -A NS_PID
CG_DIRS=()
cat >"$WORK/ns-journald.sh" <<'EOF'
# in new mount and UTS namespaces: HOSTNAME JOURNAL-DIR MACHINE-ID-FILE JOURNALD
set -e
hostname "$1"
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$2" /run/log/journal
mount -t tmpfs tmpfs /var/log/journal
mount --bind "$3" /etc/machine-id
exec "$4"
EOF

# start_ns NAME HOSTNAME: a journald of its own, files in $WORK/j-NAME
start_ns() {
    local name=$1 host=$2
    mkdir -p "$WORK/j-$name"
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$WORK/machine-id-$name"
    echo >>"$WORK/machine-id-$name"
    bg "jd-$name" unshare -mu bash "$WORK/ns-journald.sh" "$host" "$WORK/j-$name" "$WORK/machine-id-$name" "$JD"
    NS_PID[$name]=$LAST_PID
    wait_for 10 nsenter -t "${NS_PID[$name]}" -m test -S /run/systemd/journal/socket ||
        fail "journald of $name did not start: $(cat "$WORK/jd-$name.err")"
}
in_ns() {
    local name=$1
    shift
    nsenter -t "${NS_PID[$name]}" -m -u -- "$@"
}

# unit_cgroups NS UNIT: the unit's cgroup in every hierarchy, in $UNIT_CGS
unit_cgroups() {
    UNIT_CGS=()
    local root d
    for root in "${CG_ROOTS[@]}"; do
        d=$root/$SLICE-$1.slice/$2
        mkdir -p "$d"
        CG_DIRS+=("$d")
        UNIT_CGS+=("$d")
    done
}

# start_unit NAME NS UNIT CONFIG: the daemon in the unit's cgroup, logging to
# the namespace's journald
start_unit() {
    local name=$1 ns=$2 unit=$3 cfg=$4
    unit_cgroups "$ns" "$unit"
    # shellcheck disable=SC2016 # expanded by the inner shell
    bg "$name" nsenter -t "${NS_PID[$ns]}" -m -u -- bash -c \
        'for c in "${@:4}"; do echo $$ >"$c/cgroup.procs"; done; exec $1 "$2" -c "$3" --log-format journal' \
        _ "${MO_WRAPPER:-}" "$BIN/momento-subscriberd" "$cfg" "${UNIT_CGS[@]}"
}

report_cleanup() {
    local rc=$? d p
    set +e
    # the unit cgroups can only go once their processes are gone
    for d in "${CG_DIRS[@]}"; do
        while read -r p; do kill -TERM "$p" 2>/dev/null; done <"$d/cgroup.procs" 2>/dev/null
    done
    for d in "${CG_DIRS[@]}"; do
        for _ in $(seq 100); do [ -s "$d/cgroup.procs" ] || break; sleep 0.05; done
        rmdir "$d" "$(dirname "$d")" 2>/dev/null
    done
    (exit $rc)
    cleanup
}
trap report_cleanup EXIT

# journal NS FILTER...: the namespace's journal records matching, as JSON lines
journal() {
    local ns=$1
    shift
    in_ns "$ns" journalctl --sync 2>/dev/null || true
    in_ns "$ns" journalctl -o json --no-pager "$@" 2>/dev/null || true
}
records_at_least() { [ "$(journal "$1" "${@:3}" | wc -l)" -ge "$2" ]; }

# ---- two hosts ----

start_ns a host-a
start_ns b host-b
start_local srv --heartbeat 200ms
cfg() {
    write_daemon_config "$WORK/$1.yaml" "$2" "
logging:
  messages: all
  message_budget: 1000000
  summary_interval: 1s"
}
cfg a "
  - cache: c
    topic: shared
  - cache: c
    topic: only-a"
cfg other "
  - cache: c
    topic: other"
cfg b "
  - cache: c
    topic: shared
  - cache: c
    topic: only-b"
U=momento-subscriberd.service
start_unit da a $U "$WORK/a.yaml"
pa=$LAST_PID
start_unit dother a mo-other.service "$WORK/other.yaml"
po=$LAST_PID
start_unit db b $U "$WORK/b.yaml"
pb=$LAST_PID
wait_for 15 records_at_least a 3 EVENT=subscribed || fail "host a: not subscribed: $(cat "$WORK/da.err")"
wait_for 15 records_at_least b 2 EVENT=subscribed || fail "host b: not subscribed: $(cat "$WORK/db.err")"
records_at_least a 2 EVENT=subscribed _SYSTEMD_UNIT=$U || fail "journald does not attribute records to $U"
start_us=$(($(date +%s%N) / 1000))

publish c shared -n 600 -r 300 &
p1=$!
publish c only-a -n 200 -r 200 &
p2=$!
publish c only-b -n 300 -r 150 --size 3000 &
p3=$!
publish c other -n 50 -r 100 &
p4=$!
{ wait $p1 && wait $p2 && wait $p3 && wait $p4; } || fail "publish failed"
wait_for 20 records_at_least a 850 EVENT=message || fail "host a: message records missing"
wait_for 20 records_at_least b 900 EVENT=message || fail "host b: message records missing"
stop "$pa" || fail "daemon a exit status"
stop "$po" || fail "daemon other exit status"
stop "$pb" || fail "daemon b exit status"
wait_for 10 records_at_least a 2 EVENT=stopping || fail "host a: no stopping records"
wait_for 10 records_at_least b 1 EVENT=stopping || fail "host b: no stopping records"

# a damaged summary in the unit (its histogram holds 1 value, count says 5);
# journald takes the unit from the sender's cgroup, which a sender that exits
# at once may have left: send until one is attributed
damaged() {
    unit_cgroups a $U
    local f=$WORK/damaged.fields
    printf '%s\n' "MESSAGE=damaged summary" "EVENT=summary" "MESSAGE_ID=e1ef2f3c18224e94b429efc3d4e5bf7c" \
        "CACHE=c" "TOPIC=shared" "INTERVAL_S=1.000" "COUNT=5" "DECODE_ERRORS=0" "NEGATIVE=0" "GAPS=0" \
        "DUPLICATES=0" "DISCONTINUITIES=0" "RESETS=0" "RECONNECTS=0" "MIN_US=100" "MAX_US=100" \
        "HISTOGRAM=h1,100:1" >"$f"
    # shellcheck disable=SC2016
    in_ns a bash -c 'for c in "${@:2}"; do echo $$ >"$c/cgroup.procs"; done; logger --journald <"$1"; sleep 0.3' \
        _ "$f" "${UNIT_CGS[@]}"
    records_at_least a 1 _SYSTEMD_UNIT=$U MESSAGE="damaged summary"
}
wait_for 10 damaged || fail "no damaged summary record attributed to $U"
n_damaged=$(journal a _SYSTEMD_UNIT=$U MESSAGE="damaged summary" | wc -l)
end_us=$(($(date +%s%N) / 1000))

# exact figures from each host's message records of the unit
for ns in a b; do
    journal $ns _SYSTEMD_UNIT=$U EVENT=message |
        jq -c '{event: "message", topic: .TOPIC, host: ._HOSTNAME, latency_us: (.LATENCY_US | tonumber)}' \
            >"$WORK/msg-$ns.jsonl"
done
journal a _SYSTEMD_UNIT=mo-other.service EVENT=message |
    jq -c '{event: "message", topic: .TOPIC, latency_us: (.LATENCY_US | tonumber)}' >"$WORK/msg-other.jsonl"
cat "$WORK/msg-a.jsonl" "$WORK/msg-b.jsonl" >"$WORK/msg-all.jsonl"
[ "$(wc -l <"$WORK/msg-all.jsonl")" = 1700 ] || fail "$(wc -l <"$WORK/msg-all.jsonl") message records, not 1700"

# report_in NS ARGS...: the report run in a host's namespace (its local journal)
report_in() {
    local ns=$1 rc=0
    shift
    # shellcheck disable=SC2086 # the wrapper is words
    in_ns "$ns" ${MO_WRAPPER:-} "$REPORT" "$@" >"$WORK/report.out" 2>"$WORK/report.err" || rc=$?
    return $rc
}

# ---- each host's local journal, by unit ----

for args in "" "--unit $U" "--unit momento-subscriberd"; do
    # shellcheck disable=SC2086
    report_in a --json $args || fail "host a ($args): exit $?: $(cat "$WORK/report.err")"
    jq -e '(.topics | map(.topic)) == ["only-a", "shared"] and .host_count == 1' "$WORK/report.out" >/dev/null ||
        fail "host a ($args) topics: $(cat "$WORK/report.out")"
    check_row "a shared ($args)" "$(row '.topics[] | select(.topic=="shared")')" \
        "$(exact "$WORK/msg-a.jsonl" '.topic=="shared"')"
    check_row "a total ($args)" "$(row '.total')" "$(exact "$WORK/msg-a.jsonl" 'true')"
    [ "$(row '.total.messages')" = 800 ] || fail "host a: $(row '.total.messages') messages"
    grep -q "skipped $n_damaged damaged record" "$WORK/report.err" || fail "damaged: $(cat "$WORK/report.err")"
    grep -qE "journal entry of host-a at [0-9T:.-]+Z: summary: the histogram holds 1 latencies, but count - decode_errors is 5 - 0" \
        "$WORK/report.err" || fail "damaged record not quoted: $(cat "$WORK/report.err")"
done
report_in b --json || fail "host b: exit $?"
check_row "b total" "$(row '.total')" "$(exact "$WORK/msg-b.jsonl" 'true')"
[ ! -s "$WORK/report.err" ] || fail "host b stderr: $(cat "$WORK/report.err")"
report_in a --json --unit mo-other || fail "--unit mo-other: exit $?"
jq -e '(.topics | map(.topic)) == ["other"] and .total.messages == 50' "$WORK/report.out" >/dev/null ||
    fail "--unit mo-other: $(cat "$WORK/report.out")"
check_row "other" "$(row '.total')" "$(exact "$WORK/msg-other.jsonl" 'true')"
pass "each host's journal by unit equals its exact figures; other units left out"

# the window, on the journal's own timestamps
report_in a --json --since "@$((start_us / 1000000 - 60))" --until "@$((end_us / 1000000 + 1))" ||
    fail "window around the run: exit $?"
[ "$(row '.total.messages')" = 800 ] || fail "window around the run: $(row '.total.messages')"
rc=0; report_in a --since "@$((end_us / 1000000 + 2))" || rc=$?
[ $rc = 1 ] || fail "--since after the run: exit $rc"
grep -q "no summary in the journal of $U since @" "$WORK/report.err" || fail "empty window: $(cat "$WORK/report.err")"
rc=0; report_in a --unit nothing-here || rc=$?
[ $rc = 1 ] || fail "a unit with no records: exit $rc"
grep -q "no summary in the journal of nothing-here.service" "$WORK/report.err" || fail "$(cat "$WORK/report.err")"
# a middle summary's time splits the messages exactly
journal a _SYSTEMD_UNIT=$U EVENT=summary CACHE=c TOPIC=shared |
    jq -s -c '[.[] | select(.MESSAGE != "damaged summary")] | map({t: .__REALTIME_TIMESTAMP | tonumber, n: .COUNT | tonumber})' \
        >"$WORK/sums.json"
mid=$(jq '.[length / 2 | floor].t' "$WORK/sums.json")
want=$(jq --argjson m "$mid" 'map(select(.t >= $m) | .n) | add' "$WORK/sums.json")
report_in a --json --unit $U --since "@$((mid / 1000000)).$(printf %06d $((mid % 1000000)))" ||
    fail "--since a summary: exit $?"
[ "$(row '.topics[] | select(.topic=="shared") | .messages')" = "$want" ] ||
    fail "--since a summary's time: $(row '.topics[] | select(.topic=="shared")'), want $want messages"
pass "--since/--until on the journal"

# ---- canary events in the journal ----

# a canary, a canary_peer and a damaged canary record in the unit, sent as
# the damaged summary was (until each is attributed)
canary_record() {
    local kind=$1
    shift
    unit_cgroups a $U
    printf '%s\n' "MESSAGE=$kind" "$@" >"$WORK/canary.fields"
    # shellcheck disable=SC2016
    in_ns a bash -c 'for c in "${@:2}"; do echo $$ >"$c/cgroup.procs"; done; logger --journald <"$1"; sleep 0.3' \
        _ "$WORK/canary.fields" "${UNIT_CGS[@]}"
    records_at_least a 1 _SYSTEMD_UNIT=$U MESSAGE="$kind"
}
canary_fields=("EVENT=canary" "CACHE=c" "TOPIC=canary" "HOST=host-a" "ID=0123456789abcdef" "INTERVAL_S=1.000"
    "SENT=10" "RECEIVED=10" "LOST=0" "LATE=1" "DUPLICATES=0" "OUT_OF_ORDER=0" "AFTER_DEADLINE=0"
    "PUBLISH_ERRORS=0" "RTT_MIN_US=100" "RTT_MAX_US=100" "HISTOGRAM=h1,100:10")
wait_for 10 canary_record "canary record" "${canary_fields[@]}" || fail "no canary record attributed to $U"
wait_for 10 canary_record "canary peer record" "EVENT=canary_peer" "CACHE=c" "TOPIC=canary" "HOST=host-b" \
    "ID=fedcba9876543210" "RECEIVED=2" "LOST=1" "MAX_US=200" "BOUND_US=50" "HISTOGRAM=h1,200:2" ||
    fail "no canary_peer record attributed to $U"
no_sent=()
for f in "${canary_fields[@]}"; do [ "$f" = SENT=10 ] || no_sent+=("$f"); done
wait_for 10 canary_record "damaged canary" "${no_sent[@]}" || fail "no damaged canary attributed"
nc=$(journal a _SYSTEMD_UNIT=$U MESSAGE="canary record" | wc -l)
np=$(journal a _SYSTEMD_UNIT=$U MESSAGE="canary peer record" | wc -l)
report_in a --json || fail "canary in the journal: exit $?: $(cat "$WORK/report.err")"
jq -e --argjson nc "$nc" --argjson np "$np" '(.canary | map(.host)) == ["host-a"] and
    (.canary[0] | .events == $nc and .sent == 10 * $nc and .received == 10 * $nc and .late == $nc and
        .availability == 0.9 and .rtt_p50_us == 100 and .rtt_max_us == 100) and
    (.canary_peers | map([.reporter, .host])) == [["host-a", "host-b"]] and
    (.canary_peers[0] | .received == 2 * $np and .lost == $np and .max_us == 200 and .bound_us == 50) and
    .total.messages == 800' "$WORK/report.out" >/dev/null ||
    fail "canary in the journal: $(jq -c '{canary, canary_peers}' "$WORK/report.out")"
grep -qE "journal entry of host-a at [0-9T:.-]+Z: canary: no field sent" "$WORK/report.err" ||
    fail "damaged canary record not quoted: $(cat "$WORK/report.err")"
pass "canary and canary_peer records of the unit; a damaged one counted"

# ---- the clock error bounds in the journal ----

# a summary with the clock's fields, in a unit of its own (so the figures
# above keep theirs), sent as the damaged summary was
CU=mo-clock.service
clock_record() {
    unit_cgroups a $CU
    printf '%s\n' "MESSAGE=clock summary" "EVENT=summary" "MESSAGE_ID=e1ef2f3c18224e94b429efc3d4e5bf7c" \
        "CACHE=c" "TOPIC=clock" "INTERVAL_S=1.000" "COUNT=5" "WITH_LATENCY=5" "DECODE_ERRORS=0" "NEGATIVE=1" \
        "GAPS=0" "DUPLICATES=0" "DISCONTINUITIES=0" "RESETS=0" "RECONNECTS=0" "MIN_US=-1000" "MAX_US=500" \
        "HISTOGRAM=$(hist_encode '-1000*1' '500*4')" "CLOCK_SOURCE=clockbound" "CLOCK_BOUND_US=350" \
        "CLOCK_STATUS=synchronized" "PUBLISHER_BOUND_US=200" "SKEWED=1" >"$WORK/clock.fields"
    # shellcheck disable=SC2016
    in_ns a bash -c 'for c in "${@:2}"; do echo $$ >"$c/cgroup.procs"; done; logger --journald <"$1"; sleep 0.3' \
        _ "$WORK/clock.fields" "${UNIT_CGS[@]}"
    records_at_least a 1 _SYSTEMD_UNIT=$CU MESSAGE="clock summary"
}
wait_for 10 clock_record || fail "no clock summary attributed to $CU"
ncl=$(journal a _SYSTEMD_UNIT=$CU MESSAGE="clock summary" | wc -l)
report_in a --json --unit $CU || fail "clock summary: exit $?: $(cat "$WORK/report.err")"
[ ! -s "$WORK/report.err" ] || fail "clock summary: stderr: $(cat "$WORK/report.err")"
jq -e --argjson n "$ncl" '.total | .messages == 5 * $n and .clock_bound_us == 350 and
    .publisher_bound_us == 200 and .bound_us == 550 and .bound_partial == false and .skewed == $n and
    .clock_sources == ["clockbound"]' "$WORK/report.out" >/dev/null ||
    fail "clock summary: $(row '.total')"
LC_ALL=C report_in a --unit $CU || fail "clock summary table: exit $?"
grep -qE "^c/clock +0\.550 +0\.350 +0\.200 +$ncl\$" "$WORK/report.out" || fail "clock table: $(cat "$WORK/report.out")"
grep -qx "clock source  host-a: clockbound" "$WORK/report.out" || fail "clock source: $(cat "$WORK/report.out")"
pass "a summary's CLOCK_SOURCE, CLOCK_BOUND_US, PUBLISHER_BOUND_US and SKEWED from the journal"

# ---- journals copied from both hosts into one directory ----

stop "${NS_PID[a]}" || true
stop "${NS_PID[b]}" || true
mkdir "$WORK/fleet"
cp -r "$WORK"/j-a/* "$WORK"/j-b/* "$WORK/fleet/"
[ "$(find "$WORK/fleet" -name '*.journal' | wc -l)" -ge 2 ] || fail "journal files not copied: $(ls -R "$WORK/fleet")"
report --directory "$WORK/fleet" --json || fail "--directory: exit $?: $(cat "$WORK/report.err")"
jq -e '.host_count == 2 and (.topics | map(.topic)) == ["only-a", "only-b", "shared"]' "$WORK/report.out" >/dev/null ||
    fail "--directory: $(cat "$WORK/report.out")"
check_row "fleet shared" "$(row '.topics[] | select(.topic=="shared")')" \
    "$(exact "$WORK/msg-all.jsonl" '.topic=="shared"')"
check_row "fleet total" "$(row '.total')" "$(exact "$WORK/msg-all.jsonl" 'true')"
[ "$(row '.total.messages')" = 1700 ] || fail "fleet: $(row '.total.messages') messages"
report --directory "$WORK/fleet" --json --by-host || fail "--by-host: exit $?"
jq -e '(.hosts | map(.host)) == ["host-a", "host-b"]' "$WORK/report.out" >/dev/null ||
    fail "hosts: $(row '.hosts | map(.host)')"
for h in a b; do
    check_row "host-$h" "$(row ".hosts[] | select(.host==\"host-$h\")")" "$(exact "$WORK/msg-$h.jsonl" 'true')"
done
report --directory "$WORK/fleet" --by-host --plot || fail "table: exit $?"
fits_80 "$WORK/report.out"
{ grep -qx "host-a" "$WORK/report.out" && grep -qx "host-b" "$WORK/report.out"; } || fail "$(cat "$WORK/report.out")"
pass "--directory with two hosts' journals: the union's exact figures, split by _HOSTNAME"

rc=0; report --directory "$WORK/no-such-dir" || rc=$?
[ $rc = 66 ] || fail "missing --directory: exit $rc"
mkdir "$WORK/empty"
rc=0; report --directory "$WORK/empty" || rc=$?
[ $rc = 66 ] || fail "empty --directory: exit $rc"
grep -q "no journal files in $WORK/empty" "$WORK/report.err" || fail "empty dir: $(cat "$WORK/report.err")"
pass "unreadable journal directories"
