#!/bin/bash
# How the Node.js SDK takes momento-topics-local's other behaviours:
# - lost messages (--fault-drop-every) reach it as discontinuities
#   (onDiscontinuity) in place of the lost items, and publisher_id as tokenId();
# - topic resets (--fault-reset-after: a new page, numbering from 1) combined
#   with stream ends (--fault-end-after): the SDK resumes on the new page and
#   still gets every message once, in order. Each stream ends with a page, and
#   the SDK publishes in lockstep (the next message once the last one arrived):
#   the server treats an old page as gone, so a reset while the SDK is between
#   two streams loses what the old page still had, with a discontinuity;
# - a message over --max-payload is the SDK's "item size limit exceeded" error.
source "$top_srcdir/tests/interop/lib-interop.sh"

start_local drop --fault-drop-every 3 --publisher-id pub-7
DROP=$LOCAL_PORT
start_local reset --fault-reset-after 3 --fault-end-after 3
RESET=$LOCAL_PORT
start_local payload --max-payload 100
PAYLOAD=$LOCAL_PORT

step() { printf '%s\n' "$@" | jq -Rnc '[inputs]'; }
msgs() {
    local i
    for i in $(seq "$1"); do printf '%s\n' --publish-text "m$i"; done
}
mapfile -t M7 < <(msgs 7)
mapfile -t M9 < <(msgs 9)
X100=$(printf '%100s' '' | tr ' ' x)
{
    step drop subscribe --port "$DROP" --cache c --topic t --count 5 "${M7[@]}"
    step reset subscribe --port "$RESET" --cache c --topic t --count 9 --lockstep "${M9[@]}" \
        --timeout 20
    step fits publish --port "$PAYLOAD" --cache c --topic t --text "$X100"
    step too-big publish --port "$PAYLOAD" --cache c --topic t --text "${X100}y"
    step too-big-bin publish --port "$PAYLOAD" --cache c --topic t --hex "$(printf '%202s' '' | tr ' ' 0)"
} >"$WORK/steps.jsonl"
sdk batch <"$WORK/steps.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err" ||
    fail "sdk.js batch failed: $(cat "$WORK/batch.err")"

# of STEP : the events of one step
of() { jq -c --arg s "$1" 'select(.step == $s)' "$WORK/batch.out"; }
# summary STEP : its items and discontinuities, e.g. "i1:m1 i2:m2 d2/3 i4:m4"
summary() {
    of "$1" | jq -r 'if .ev == "item" then "i\(.seq):\(.text)"
                     elif .ev == "discontinuity" then "d\(.last)/\(.new)" else empty end' |
        tr '\n' ' ' | sed 's/ $//'
}
status() { of "$1" | jq -r 'select(.ev == "exit") | .status'; }

[ "$(status drop)" = 0 ] || fail "drop step failed: $(of drop)"
got=$(summary drop)
[ "$got" = "i1:m1 i2:m2 d2/3 i4:m4 i5:m5 d5/6 i7:m7" ] ||
    fail "lost messages did not reach the SDK as discontinuities: $got"
of drop | jq -e -s '[.[] | select(.ev == "item") | .publisher_id] == ["pub-7", "pub-7", "pub-7", "pub-7", "pub-7"]' \
    >/dev/null || fail "the SDK did not see publisher_id pub-7 as tokenId(): $(of drop | grep item)"
pass "lost messages reach the SDK as discontinuities; publisher_id is its tokenId()"

[ "$(status reset)" = 0 ] || fail "reset step failed: $(of reset | grep -v heartbeat)"
got=$(summary reset)
want="i1:m1 i2:m2 i3:m3 d3/0 i1:m4 i2:m5 i3:m6 d3/0 i1:m7 i2:m8 i3:m9"
[ "$got" = "$want" ] || fail "across resets and stream ends the SDK got [$got], not [$want]"
of reset | jq -e -s '[.[] | select(.ev == "discontinuity") | .page] as $p
                     | ($p | length) == 2 and $p[1] > $p[0]' >/dev/null ||
    fail "the two resets did not give growing pages: $(of reset | grep discontinuity)"
lost=$(of reset | grep -c '"ev":"connection_lost"' || true)
[ "$lost" -ge 2 ] || fail "expected at least 2 stream ends, the SDK saw $lost"
pass "across $lost stream ends and 2 page resets the SDK got all 9 messages once, in order"

[ "$(status fits)" = 0 ] || fail "a 100-byte message was refused with --max-payload 100: $(of fits)"
for s in too-big too-big-bin; do
    of "$s" | jq -e -s 'any(.[]; .ev == "error" and .code == "LIMIT_EXCEEDED_ERROR"
                              and (.message | startswith("Item size limit exceeded")))' >/dev/null ||
        fail "$s: not the SDK's item size limit error: $(of "$s")"
done
pass "101 bytes over --max-payload 100 is the SDK's item size limit error (text and binary)"
