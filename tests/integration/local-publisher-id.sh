#!/bin/bash
# momento-topics-local --publisher-id-from-token: each item carries the token of
# the Publish call that sent it as its publisher_id (none for an empty token),
# so tests can have several publishers tell themselves apart; it excludes
# --publisher-id.
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/local-lib.sh"

rc=0
"$BIN/momento-topics-local" --publisher-id x --publisher-id-from-token >/dev/null 2>"$WORK/both.err" || rc=$?
[ "$rc" = 64 ] || fail "both options: exit status $rc, expected 64"
grep -q "exclude each other" "$WORK/both.err" || fail "both options: $(cat "$WORK/both.err")"

start_local srv --publisher-id-from-token
subscribe s --timeout 30
wait_type s heartbeat 1
publish --token pub-a one >/dev/null
publish --token 'pub b "2"' two >/dev/null
publish three >/dev/null
publish --token pub-a four >/dev/null
wait_type s item 4
expect_eq "publisher ids" "$(jq -r 'select(.type=="item") | "\(.value)=\(.publisher_id)"' "$WORK/s.out" | tr '\n' ' ')" \
    'one=pub-a two=pub b "2" three= four=pub-a '
pass "each item carries its publish call's token as publisher_id"
