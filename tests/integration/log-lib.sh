# log-lib.sh - sourced by the tests of what the daemon logs (daemon-log-*.sh),
# after lib.sh.
#
#   sum_summaries FILE FIELD        FIELD added over the per-subscription summaries
#   wait_counted FILE N             SIGUSR1 until the summaries count N messages
#   check_all_summaries FILE        every summary is there: the intervals of the
#                                   "*" summaries cover the run without a hole
#   check_budget FILE RATE BURST    message events within the token bucket
#   publish_fast ARGS...            momento-publish without a wrapper (valgrind
#                                   would not reach the rate), closing line kept
#   start_stall_peers               notify-listen on $sock (its lines in $NOTES) and
#                                   a local server whose replay ring covers the run

sum_summaries() {
    events "$1" '.event=="summary" and .cache!="*"' | jq -s "map(.$2) | add // 0"
}

wait_counted() {
    local file=$1 n=$2
    counted() {
        kill -USR1 "$DAEMON_PID"
        sleep 0.3
        [ "$(sum_summaries "$file" count)" = "$n" ]
    }
    wait_for 60 counted
}

# Seconds since midnight UTC of an RFC 3339 ts (runs do not cross midnight
# twice; one crossing is unwrapped by the callers' differences).
ts_awk='function secs(ts,   t) { split(substr(ts, 12, 15), t, ":"); return t[1] * 3600 + t[2] * 60 + t[3] }'

# The "*" summaries follow each other without a hole: each interval_s is the
# time since the one before (since `started` for the first), within 0.25 s
# (0.6 s under valgrind, where an event's ts may lag its interval's end
# more), and there are as many per-subscription summaries as NSUBS times those.
check_all_summaries() {
    local file=$1 nsubs=${2:-1}
    local bad tol=0.25
    [ -z "${MO_WRAPPER:-}" ] || tol=0.6
    bad=$({
        events "$file" '.event=="started"' | jq -r '"S \(.ts)"'
        events "$file" '.event=="summary" and .cache=="*"' | jq -r '"T \(.ts) \(.interval_s)"'
    } | awk "$ts_awk"'
        { t = secs($2); if (NR > 1 && t < last) t += 86400 }
        $1 == "T" { d = t - last; if (d - $3 > '"$tol"' || $3 - d > '"$tol"') printf "summary at %s: interval %s s, %.3f s since the last\n", $2, $3, d }
        { last = t }')
    [ -z "$bad" ] || fail "a summary is missing: $bad"
    local total per
    total=$(count_events "$file" '.event=="summary" and .cache=="*"')
    per=$(count_events "$file" '.event=="summary" and .cache!="*"')
    [ "$per" = $((total * nsubs)) ] || fail "$per per-subscription summaries for $total totals"
    [ "$total" -ge 1 ] || fail "no summary"
}

# Over any span of T seconds between two message events, at most
# BURST + RATE * T + 1 events (the + 1: the ts is read just after the
# budget's monotonic clock, a few microseconds apart).
check_budget() {
    local file=$1 rate=$2 burst=$3 bad
    bad=$(events "$file" '.event=="message"' | jq -r .ts | awk "$ts_awk"'
        { t[NR] = secs($1); if (NR > 1 && t[NR] < t[NR - 1]) t[NR] += 86400 }
        END {
            for (i = 1; i <= NR; i++)
                for (j = i; j <= NR; j++)
                    if (j - i + 1 > '"$burst"' + int('"$rate"' * (t[j] - t[i])) + 1) {
                        printf "%d message events in %.6f s\n", j - i + 1, t[j] - t[i]
                        exit
                    }
        }')
    [ -z "$bad" ] || fail "over the budget of $rate/s (burst $burst): $bad"
}

publish_fast() {
    "$BIN/momento-publish" -c "$CACHE" -t "$TOPIC" --endpoint-override "127.0.0.1:$LOCAL_PORT" --insecure "$@"
}

# The daemon is built with AddressSanitizer (its programs run slower).
sanitized() { ldd "$BIN/momento-subscriberd" 2>/dev/null | grep -q libasan; }

start_stall_peers() {
    sock=$WORK/notify.sock
    bg notify "$TOOLS/notify-listen" "$sock"
    wait_for 5 test -S "$sock" || fail "notify-listen did not start"
    NOTES=$WORK/notify.out
    # a replay ring that covers the run: a hiccup of a busy machine is no loss
    start_local srv --heartbeat 200ms --replay 100000
}
