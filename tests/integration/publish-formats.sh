#!/bin/bash
# momento-publish: every payload format, --size, --binary and a literal MESSAGE
# arrive at a subscriber with the documented shape, and the times are "now".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

start_local srv

RFC='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'

# rfc_us TIME : microseconds since the epoch of an RFC 3339 UTC time with 6 digits
rfc_us() {
    jq -rn --arg t "$1" '($t | sub("\\.[0-9]{6}Z$"; "Z") | fromdateiso8601) * 1000000
        + ($t | capture("\\.(?<f>[0-9]{6})Z$").f | tonumber) | floor'
}

# in_window WHAT VALUE LOW HIGH
in_window() {
    [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail "$1: $2 is not within [$3, $4]"
}

# run NAME COUNT PUBLISH-ARGS... : subscribe to topic NAME, publish, wait for COUNT items
run() {
    local name=$1 count=$2
    shift 2
    sub "$name" c "$name" --count "$count"
    BEFORE=$(now_us)
    pub -c c -t "$name" "$@" >"$WORK/$name.pub" 2>"$WORK/$name.pub.err" ||
        fail "$name: momento-publish failed: $(cat "$WORK/$name.pub.err")"
    AFTER=$(now_us)
    wait_sub "$name"
    closing_line "$WORK/$name.pub" >/dev/null
}

# --- seed (the default): exact keys in order, fixed values, a fresh timestamp
run seed 3 -n 3
[ "$(jq -r 'select(.type=="item") | .kind' "$WORK/seed.out" | sort -u)" = text ] ||
    fail "seed: not sent as text values"
while read -r v; do
    [ "$(jq -c keys_unsorted <<<"$v")" = '["key_one","key_two","key_three","timestamp","clock_error_us"]' ] ||
        fail "seed: unexpected keys in $v"
    [ "$(jq -r '.key_one + "," + .key_two' <<<"$v")" = KeyOne,KeyTwo ] || fail "seed: values in $v"
    ts=$(jq -r .timestamp <<<"$v")
    [[ $ts =~ $RFC ]] || fail "seed: timestamp $ts is not RFC 3339 UTC with microseconds"
    in_window "seed timestamp" "$(rfc_us "$ts")" "$BEFORE" "$AFTER"
done < <(values seed)
[ "$(values seed | jq -r .key_three | sort -n | tr '\n' ' ')" = "1 2 3 " ] ||
    fail "seed: key_three values $(values seed | jq -r .key_three | tr '\n' ' ')"
pass "seed format"

# --- epoch_ms
run epoch 2 -n 2 --format epoch_ms
while read -r v; do
    [ "$(jq -c keys_unsorted <<<"$v")" = '["key_one","key_two","key_three","published_ms","clock_error_us"]' ] ||
        fail "epoch_ms: unexpected keys in $v"
    [ "$(jq -r '.published_ms | type' <<<"$v")" = number ] || fail "epoch_ms: not a number: $v"
    in_window "published_ms" "$(jq -r .published_ms <<<"$v")" $((BEFORE / 1000)) $((AFTER / 1000))
done < <(values epoch)
[ "$(values epoch | jq -r .key_three | sort -n | tr '\n' ' ')" = "1 2 " ] || fail "epoch_ms: key_three"
pass "epoch_ms format"

# --- the clock's bound: from the source asked for, or none
fake_adjtimex synced 1500 20
LD_PRELOAD=$SHIM run bound 2 -n 2 --clock-source adjtimex
[ "$(values bound | jq -r .clock_error_us | tr '\n' ' ')" = "1500 1500 " ] ||
    fail "--clock-source adjtimex: clock_error_us $(values bound | jq -c .clock_error_us | tr '\n' ' ')"
# a ClockBound path with no segment: adjtimex's, and said once
LD_PRELOAD=$SHIM run cbnone 2 -n 2 --clock-source clockbound \
    --clockbound-path "$WORK/no-such-shm0"
[ "$(values cbnone | jq -r .clock_error_us | tr '\n' ' ')" = "1500 1500 " ] || fail "clockbound fallback: $(values cbnone)"
[ "$(grep -c 'ClockBound segment .*no-such-shm0 cannot be used' "$WORK/cbnone.pub.err")" = 1 ] ||
    fail "clockbound fallback not said once: $(cat "$WORK/cbnone.pub.err")"
run nobound 1 --clock-source none
[ "$(values nobound | jq -c keys_unsorted)" = '["key_one","key_two","key_three","timestamp"]' ] ||
    fail "--clock-source none: $(values nobound)"
pub -c c -t x --clock-source sundial 2>"$WORK/badclock.err" && fail "--clock-source sundial accepted"
grep -q 'expected auto, clockbound, adjtimex or none' "$WORK/badclock.err" || fail "bad --clock-source: $(cat "$WORK/badclock.err")"
pass "clock_error_us: adjtimex's, ClockBound's fallback said once, none, a bad source refused"

# --- text: the time alone
run text 1 --format text
ts=$(values text)
[[ $ts =~ $RFC ]] || fail "text: '$ts' is not RFC 3339 UTC with microseconds"
in_window "text timestamp" "$(rfc_us "$ts")" "$BEFORE" "$AFTER"
pass "text format"

# --- a literal MESSAGE, sent once by default, byte for byte
sub literal c literal --count 2
pub -c c -t literal 'hello, "world" \ ünïcode' >"$WORK/literal.pub" || fail "literal: publish failed"
pub -c c -t literal --quiet END || fail "literal: sentinel publish failed"
wait_sub literal
[ "$(values literal | head -1)" = 'hello, "world" \ ünïcode' ] || fail "literal: got '$(values literal | head -1)'"
[ "$(values literal | tail -1)" = END ] || fail "literal: the message was sent more than once"
grep -q '^published 1 messages' "$WORK/literal.pub" || fail "literal: $(cat "$WORK/literal.pub")"
pass "literal MESSAGE"

# --- --binary: the same bytes as a binary value
run binary 1 --binary
[ "$(jq -r 'select(.type=="item") | .kind' "$WORK/binary.out")" = binary ] || fail "binary: kind"
hex=$(values binary)
v=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")")
[ "$(jq -c keys_unsorted <<<"$v")" = '["key_one","key_two","key_three","timestamp","clock_error_us"]' ] ||
    fail "binary: bytes are not the seed message: $v"
pass "binary value"

# --- --size: exact lengths, valid JSON either way of padding
run size300 2 -n 2 --size 300
while read -r v; do
    [ ${#v} -eq 300 ] || fail "size 300: got ${#v} bytes"
    [[ $(jq -r .padding <<<"$v") =~ ^x+$ ]] || fail "size 300: padding member: $v"
    [ "$(jq -r .key_one <<<"$v")" = KeyOne ] || fail "size 300: not the seed message: $v"
done < <(values size300)
# the unpadded seed message with key_three 1 is 95 bytes: 5 more cannot hold a member
run size100 1 --size 100
v=$(values size100)
[ ${#v} -eq 100 ] || fail "size 100: got ${#v} bytes"
[ "$(jq -c keys_unsorted <<<"$v")" = '["key_one","key_two","key_three","timestamp"]' ] ||
    fail "size 100: not valid seed JSON: '$v'"
[[ $v == *'"     }' ]] || fail "size 100: expected spaces before the brace: '$v'"
run sizetext 1 --format text --size 40
v=$(values sizetext)
[ ${#v} -eq 40 ] || fail "text size 40: got ${#v} bytes"
[[ ${v%% *} =~ $RFC ]] && [ "${v:27}" = "             " ] || fail "text size 40: '$v'"
run sizelit 1 --size 10 abc
[ "$(values sizelit)" = "abc       " ] || fail "literal size 10: '$(values sizelit)'"
run sizebin 1 --binary --size 128 --format epoch_ms
hex=$(values sizebin)
[ ${#hex} -eq 256 ] || fail "binary size 128: got $((${#hex} / 2)) bytes"
v=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")")
[ "$(jq -r .key_three <<<"$v")" = 1 ] || fail "binary size 128: not valid epoch_ms JSON: '$v'"
pass "--size"
