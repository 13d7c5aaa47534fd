#!/usr/bin/env bash
# momento-latency-report --plot in a real terminal (tmux, 80 columns): what the
# terminal shows is the program's output line for line, no line is wider than
# 80 columns, and the plots have their labels and bars: Unicode blocks in a
# UTF-8 locale, plain ASCII in the C locale. On a short real run (one column
# per summary interval) and on its summaries repeated over three hours (round
# columns, the plot at its widest).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report-lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed (apt-get install tmux)"
locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || skip "no C.UTF-8 locale"

start_local srv --heartbeat 200ms
publish_some() {
    publish c t1 -n 900 -r 300 &
    local p=$!
    publish c t2 -n 300 -r 100 || fail "publish t2"
    wait $p || fail "publish t1"
}
run_daemon d "
  - cache: c
    topic: t1
  - cache: c
    topic: t2" 1200 publish_some
D=$WORK/d.out
# three hours of summaries: the run's, repeated with their times shifted
jq -c 'select(.event=="summary")' "$D" >"$WORK/sums.jsonl"
for k in $(seq 0 59); do
    jq -c --argjson k "$k" '.ts |= (sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601 + $k * 180 | todateiso8601)' \
        "$WORK/sums.jsonl"
done >"$WORK/long.jsonl"

SOCK=$WORK/tmux.sock
tmx() { LC_ALL=C.UTF-8 tmux -u -S "$SOCK" "$@"; }
plot_cleanup() {
    local rc=$?
    tmx kill-server 2>/dev/null || true
    (exit $rc)
    cleanup
}
trap plot_cleanup EXIT

# in_tmux NAME LOCALE FILE: the report's plot as an 80-column terminal shows
# it, in $WORK/NAME.screen; the same run's output, direct, in $WORK/NAME.direct
in_tmux() {
    local name=$1 loc=$2 file=$3
    tmx new-session -d -s "$name" -x 80 -y 200 \
        "env LC_ALL=$loc TZ=UTC0 '$REPORT' --file '$file' --plot 2>'$WORK/$name.err'; echo __END__; sleep 600"
    done_in() { tmx capture-pane -p -J -t "$name" -S - -E - | grep -q __END__; }
    wait_for 20 done_in || fail "$name: the report did not finish in tmux"
    tmx capture-pane -p -J -t "$name" -S - -E - | sed '/^__END__$/,$d' >"$WORK/$name.screen"
    tmx kill-session -t "$name"
    LC_ALL=$loc TZ=UTC0 "$REPORT" --file "$file" --plot 2>/dev/null >"$WORK/$name.direct" || fail "$name: exit status"
}

# check_screen NAME UTF8 LATENCIES
check_screen() {
    local name=$1 utf8=$2 n=$3 s=$WORK/$1.screen
    [ -s "$s" ] || fail "$name: nothing on the screen"
    # the terminal shows the output line for line (nothing wrapped or mangled)
    sed 's/ *$//' "$WORK/$name.direct" | diff - <(sed 's/ *$//' "$s") >"$WORK/$name.diff" ||
        fail "$name: the terminal shows something else: $(head -20 "$WORK/$name.diff")"
    fits_80 "$s"
    grep -q '^latency (ms)         min     p50     p90     p99   p99.9     max  negative$' "$s" ||
        fail "$name: no latency table"
    grep -q "^latency distribution, all topics: $n latencies, log scale\$" "$s" || fail "$name: distribution title"
    grep -q '^  latency (ms)     count  share$' "$s" || fail "$name: distribution header"
    for m in p50 p90 p99 p99.9; do
        grep -qE " $m( |$)" "$s" || fail "$name: no $m mark"
    done
    # the distribution's rows (count in columns 17-24) add up to every latency
    local sum
    sum=$(sed -n '/^  latency (ms)     count  share$/,/^$/p' "$s" | awk 'NR > 1 && NF { n += substr($0, 17, 8) } END { print n }')
    [ "$sum" = "$n" ] || fail "$name: the distribution's rows add up to $sum, not $n"
    grep -q '^p99 latency over time, all topics$' "$s" || fail "$name: time plot title"
    grep -qE '^  ms, one column per [0-9.]+ (s|min)$' "$s" || fail "$name: time plot scale"
    grep -qE '^ +[0-9]{2}:[0-9]{2}:[0-9]{2}' "$s" || fail "$name: no time under the axis"
    if [ "$utf8" = 1 ]; then
        grep -q '█' "$s" || fail "$name: no full blocks"
        grep -qE '^ +[0-9.]+┤' "$s" || fail "$name: no labelled axis"
        grep -qE '^ +0└─+$' "$s" || fail "$name: no time axis"
    else
        ! LC_ALL=C grep -q '[^ -~]' "$s" || fail "$name: not ASCII: $(LC_ALL=C grep '[^ -~]' "$s" | head -3)"
        grep -q '#' "$s" || fail "$name: no bars"
        grep -qE '^ +[0-9.]+\+' "$s" || fail "$name: no labelled axis"
        grep -qE '^ +0\+-+$' "$s" || fail "$name: no time axis"
    fi
}

in_tmux short-utf8 C.UTF-8 "$D"
check_screen short-utf8 1 1200
grep -q '^  ms, one column per 1 s$' "$WORK/short-utf8.screen" || fail "short run: not one column per interval"
in_tmux short-c C "$D"
check_screen short-c 0 1200
pass "--plot of a real run in tmux, UTF-8 and C locale, within 80 columns"

in_tmux long-utf8 C.UTF-8 "$WORK/long.jsonl"
check_screen long-utf8 1 72000
in_tmux long-c C "$WORK/long.jsonl"
check_screen long-c 0 72000
grep -q '^  ms, one column per 3 min$' "$WORK/long-utf8.screen" || fail "long run: $(grep 'column per' "$WORK/long-utf8.screen")"
# 60 repeats three minutes apart: 60 columns, the axis as long
grep -qE '^ +0└─{60}$' "$WORK/long-utf8.screen" || fail "long run axis: $(grep '└' "$WORK/long-utf8.screen")"
grep -qE '^ +0\+-{60}$' "$WORK/long-c.screen" || fail "long run axis (C): $(grep '^ *0+' "$WORK/long-c.screen")"
pass "--plot over three hours in tmux: 60 columns of 3 min"
