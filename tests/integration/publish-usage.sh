#!/bin/bash
# momento-publish usage errors exit 64 with a message naming what is wrong;
# --help and --version exit 0. No server is needed: nothing gets that far.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/publish-lib.sh"

O=(--endpoint-override 127.0.0.1:9 --insecure)

# usage EXPECTED-TEXT ARGS... : must exit 64 and say EXPECTED-TEXT on stderr, nothing on stdout
usage() {
    local want=$1 rc=0
    shift
    ${MO_WRAPPER:-} "$PUB" "$@" >"$WORK/u.out" 2>"$WORK/u.err" || rc=$?
    [ $rc -eq 64 ] || fail "'$*': exit status $rc, expected 64: $(cat "$WORK/u.err")"
    grep -qF -- "$want" "$WORK/u.err" || fail "'$*': stderr lacks '$want': $(cat "$WORK/u.err")"
    [ ! -s "$WORK/u.out" ] || fail "'$*': printed on stdout: $(cat "$WORK/u.out")"
}

usage "missing -c CACHE" -t t "${O[@]}"
usage "missing -t TOPIC" -c c "${O[@]}"
usage "-c: the cache name is empty" -c " " -t t "${O[@]}"
usage "--insecure is only allowed with --endpoint-override" -c c -t t --insecure
usage '--format "json": expected seed, epoch_ms or text' -c c -t t --format json "${O[@]}"
usage '-n "0"' -c c -t t -n 0 "${O[@]}"
usage '-n "ten"' -c c -t t -n ten "${O[@]}"
usage '-r "0"' -c c -t t -r 0 "${O[@]}"
usage '-r "fast"' -c c -t t -r fast "${O[@]}"
usage '--size "0"' -c c -t t --size 0 "${O[@]}"
usage "--size 50 is too small: the seed message" -c c -t t --size 50 "${O[@]}"
usage "--size 2 is too small: the literal message is 5 bytes" -c c -t t --size 2 "${O[@]}" hello
usage "--format and MESSAGE exclude each other" -c c -t t --format text "${O[@]}" hello
usage "more than one MESSAGE" -c c -t t "${O[@]}" hello world
usage '--endpoint-override "localhost": expected HOST:PORT' -c c -t t --endpoint-override localhost
usage '--connections "0"' -c c -t t --connections 0 "${O[@]}"
usage '--max-in-flight "x"' -c c -t t --max-in-flight x "${O[@]}"
usage '--timeout "5"' -c c -t t --timeout 5 "${O[@]}"
usage "unknown option --bogus" -c c -t t --bogus "${O[@]}"
usage "option -n needs a value" -c c -t t "${O[@]}" -n
pass "usage errors exit 64 with a message"

"$PUB" --help >"$WORK/help.out" || fail "--help exit status"
grep -q "^Usage: momento-publish -c CACHE -t TOPIC" "$WORK/help.out" || fail "--help: $(head -3 "$WORK/help.out")"
"$PUB" --version >"$WORK/version.out" || fail "--version exit status"
grep -qE "^momento-publish [0-9]+\.[0-9]+" "$WORK/version.out" || fail "--version: $(cat "$WORK/version.out")"
pass "--help, --version"
