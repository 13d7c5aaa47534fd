#!/usr/bin/env bash
# The test command leaves nothing out unless told to: MO_TEST_SKIP is the one
# way (scripts/test), E2E_SKIP for tests/e2e/run.sh; what is left out is said
# loudly; a name neither knows is an error; E2E_PENDING, which held e2e cases
# back while the run passed, is an error that names the way now. Checked with
# `scripts/test --plan` (what a run would run, and nothing run) and with
# run.sh's checks that come before anything is booted; no root needed.
source "$(dirname "$0")/lib.sh"

T=$top_srcdir/scripts/test
E2E=$top_srcdir/tests/e2e/run.sh
[ -f "$T" ] || fail "no $T"

# plan ARGS... : scripts/test --plan's output in $WORK/plan.out, its status in $rc
plan() {
    rc=0
    bash "$T" --plan "$@" >"$WORK/plan.out" 2>&1 || rc=$?
}
has() { grep -qF -- "$1" "$WORK/plan.out" || fail "${2:-plan}: no '$1' in: $(cat "$WORK/plan.out")"; }

# the default: every stage, and test-sink left out of arm64 (qemu-user), loudly
unset MO_TEST_SKIP E2E_PENDING E2E_SKIP
plan
[ $rc = 0 ] || fail "--plan: status $rc: $(cat "$WORK/plan.out")"
has "test: would run: default asan valgrind distcheck fuzz netfault man deb e2e arm64"
has "!!! left out on purpose (MO_TEST_SKIP=\"arm64:test-sink\"), NOT RUN and NOT counted as passed:"
has "!!!   arm64: tests/unit/test-sink"
# ... which concerns only a run with arm64
plan default man
has "test: would run: default man"
! grep -q '!!!' "$WORK/plan.out" || fail "a run without arm64 says something is left out: $(cat "$WORK/plan.out")"
# empty: everything runs, nothing is said to be left out
MO_TEST_SKIP= plan
has "test: would run: default asan valgrind distcheck fuzz netfault man deb e2e arm64"
! grep -q '!!!' "$WORK/plan.out" || fail "MO_TEST_SKIP= still leaves something out: $(cat "$WORK/plan.out")"
# a stage, and e2e cases, which are handed to run.sh
MO_TEST_SKIP="asan e2e:flood e2e:resume" plan default asan e2e
[ $rc = 0 ] || fail "status $rc: $(cat "$WORK/plan.out")"
has "test: would run: default e2e (e2e without: flood resume)"
has "!!!   stage asan"
has "!!!   e2e case flood"
has "!!!   e2e case resume"
pass "scripts/test: nothing left out but what MO_TEST_SKIP names (default: arm64's test-sink), each said loudly"

# names it does not know are errors, not silently nothing
for bad in bogus e2e:nope arm64:test-nope; do
    MO_TEST_SKIP=$bad plan
    [ $rc = 64 ] || fail "MO_TEST_SKIP=$bad: status $rc, expected 64: $(cat "$WORK/plan.out")"
    has "MO_TEST_SKIP" "MO_TEST_SKIP=$bad"
done
# E2E_PENDING is gone, and says what to use instead
E2E_PENDING="resume flood" plan
[ $rc = 64 ] || fail "E2E_PENDING: status $rc, expected 64: $(cat "$WORK/plan.out")"
has 'MO_TEST_SKIP="e2e:resume e2e:flood"' "E2E_PENDING"
pass "scripts/test: an unknown name in MO_TEST_SKIP, or E2E_PENDING, is an error (64)"

# run.sh on its own: E2E_PENDING fails at once; an unknown E2E_SKIP case fails
# before anything is booted (dummy packages: nothing gets that far)
rc=0
E2E_PENDING=resume bash "$E2E" >"$WORK/e2e.out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "run.sh with E2E_PENDING: status $rc: $(cat "$WORK/e2e.out")"
grep -qF 'set E2E_SKIP="resume"' "$WORK/e2e.out" || fail "run.sh with E2E_PENDING: $(cat "$WORK/e2e.out")"
mkdir "$WORK/debs"
touch "$WORK/debs/momento-subscriberd_0_amd64.deb" "$WORK/debs/momento-topics-tools_0_amd64.deb"
rc=0
E2E_SKIP="flood nope" E2E_CACHE=$WORK/cache bash "$E2E" "$WORK/debs" >"$WORK/e2e.out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "run.sh with E2E_SKIP=nope: status $rc: $(cat "$WORK/e2e.out")"
grep -q "FAIL: unknown case 'nope'" "$WORK/e2e.out" || fail "run.sh with E2E_SKIP=nope: $(cat "$WORK/e2e.out")"
[ ! -e "$WORK/cache" ] || fail "run.sh went on to its root file system"
pass "tests/e2e/run.sh: E2E_PENDING is an error, an unknown E2E_SKIP case fails before booting"
