#!/usr/bin/env bash
# No circle of calls between files: scripts/check-calls on this build tree.
# First the checker itself, on a small tree of its own: it names a cycle with
# the symbols behind it, leaves generated protobuf code out, maps a program's
# per-target object to its source, honours an allow-list entry and refuses a
# stale or unexplained one. Then the real tree: every use between two files of
# a program goes one way.
source "$(dirname "$0")/lib.sh"

check() { python3 "$top_srcdir/scripts/check-calls" "$@"; }
CC=${CC:-cc}

# ---- the checker on a tree with a cycle -------------------------------------
t=$WORK/tree
mkdir -p "$t/src/x"
cat >"$t/src/x/a.c" <<'EOF'
int b_fn(void);
int gen_fn(void);
int a_fn(void) { return b_fn() + gen_fn(); }
EOF
cat >"$t/src/x/b.c" <<'EOF'
int a_fn(void);
int c_fn(void);
int b_fn(void) { return c_fn(); }
int b_other(void) { return a_fn(); }
EOF
cat >"$t/src/x/c.c" <<'EOF'
int c_fn(void) { return 1; }
EOF
cat >"$t/src/x/gen.pb-c.c" <<'EOF'
int a_fn(void);
int gen_fn(void) { return 0; }
int gen_back(void) { return a_fn(); }
EOF
cat >"$t/src/x/main.c" <<'EOF'
int a_fn(void);
int main(void) { return a_fn(); }
EOF
for f in a b c gen.pb-c; do
    "$CC" -c -o "$t/src/x/$f.o" "$t/src/x/$f.c" || fail "cannot compile $f.c with $CC"
done
"$CC" -c -o "$t/src/x/prog-main.o" "$t/src/x/main.c" || fail "cannot compile main.c"
touch "$t/src/x/stale.o" # not in the Makefile: never read
cat >"$t/Makefile" <<'EOF'
PROGRAMS = src/prog tests/other
LIBRARIES = src/x/libx.a
src_x_libx_a_OBJECTS = src/x/a.o src/x/b.o src/x/c.o src/x/gen.pb-c.o
src_x_libx_a_SOURCES = src/x/a.c src/x/b.c src/x/c.c src/x/x.h
nodist_src_x_libx_a_SOURCES = src/x/gen.pb-c.c
src_prog_OBJECTS = src/x/prog-main.o
src_prog_SOURCES = src/x/main.c
src_prog_LDADD = src/x/libx.a -lm
all:
	false
EOF

rc=0
out=$(check "$t" 2>&1) || rc=$?
[ $rc = 1 ] || fail "a tree with a cycle: exit $rc, expected 1: $out"
grep -qx 'check-calls: cycle: src/x/a.c -> src/x/b.c -> src/x/a.c' <<<"$out" \
    || fail "the cycle is not named: $out"
grep -qx '    src/x/b.c -> src/x/a.c: a_fn' <<<"$out" || fail "the symbol is not named: $out"
grep -q 'pb-c' <<<"$out" && fail "generated code was not left out: $out"
[ "$(grep -c 'cycle:' <<<"$out")" = 1 ] || fail "one cycle expected: $out"

edges=$(check --edges "$t") || fail "--edges failed"
expected='src/x/a.c -> src/x/b.c: b_fn
src/x/b.c -> src/x/a.c: a_fn
src/x/b.c -> src/x/c.c: c_fn
src/x/main.c -> src/x/a.c: a_fn'
[ "$edges" = "$expected" ] || fail "--edges: got
$edges
expected
$expected"

# an allow-list entry with its reason lets the tree pass
printf '# b calls back into a (for this test)\nsrc/x/b.c -> src/x/a.c\n' >"$WORK/allow"
out=$(check --allow "$WORK/allow" "$t" 2>&1) || fail "allowed cycle: $out"
grep -q 'no cycle, 1 allowed' <<<"$out" || fail "allowed cycle: $out"
# one without a reason is refused
printf 'src/x/b.c -> src/x/a.c\n' >"$WORK/allow"
rc=0
out=$(check --allow "$WORK/allow" "$t" 2>&1) || rc=$?
[ $rc = 2 ] && grep -q 'say why' <<<"$out" || fail "an entry without a reason: exit $rc: $out"
# one that names no use, or a use on no cycle, is stale
printf '# gone\nsrc/x/b.c -> src/x/a.c\nsrc/x/c.c -> src/x/a.c # never was\nsrc/x/b.c -> src/x/c.c # one-way\n' \
    >"$WORK/allow"
rc=0
out=$(check --allow "$WORK/allow" "$t" 2>&1) || rc=$?
[ $rc = 1 ] || fail "stale entries: exit $rc: $out"
grep -q 'allow:3: src/x/c.c -> src/x/a.c: no such use' <<<"$out" || fail "stale entry: $out"
grep -q 'allow:4: src/x/b.c -> src/x/c.c: closes no cycle' <<<"$out" || fail "stale entry: $out"

# ---- this build tree ---------------------------------------------------------
out=$(check "$top_builddir" 2>&1) || fail "cycles between files:
$out"
echo "$out"
