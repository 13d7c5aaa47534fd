#!/usr/bin/env bash
# The source tree keeps the shape src/README.md gives it: scripts/check-layout.
# First the checker itself, on a small tree of its own, where each rule is
# broken once and named; then the real tree, which breaks none.
source "$(dirname "$0")/lib.sh"

check() { python3 "$top_srcdir/scripts/check-layout" "$@"; }

# ---- the checker on a tree that breaks every rule ------------------------------
t=$WORK/tree
mkdir -p "$t/src/lib" "$t/src/daemon/low" "$t/src/daemon/high" "$t/src/daemon/peer" "$t/src/other"
cat >"$t/src/README.md" <<'EOF'
# tree
### `src/lib/`
`base`
### `src/daemon/`
`main.c`
#### Include order
```
(top)
high peer
low
```
#### `src/daemon/low/`
`low`
#### `src/daemon/high/`
`high`
#### `src/daemon/peer/`
`peer`
### `src/other/`
`main.c`
EOF
printf '/* base.h */\n' >"$t/src/lib/base.h"
printf '#include "base.h"\n' >"$t/src/lib/base.c"
printf '#include "high/high.h"\n#include "low/low.h"\n' >"$t/src/daemon/main.c"
printf '/* low.h */\n' >"$t/src/daemon/low/low.h"
printf '#include "high/high.h"\n' >"$t/src/daemon/low/low.c"       # against the order
printf '#include "low/low.h"\n' >"$t/src/daemon/high/high.h"
printf '#include "low.h"\n#include "peer/peer.h"\n' >"$t/src/daemon/high/high.c" # bare name; a peer
printf '/* peer.h: see NOWHERE.md */\n' >"$t/src/daemon/peer/peer.h"  # a document not in the tree
printf '#include "high/high.h"\n' >"$t/src/daemon/peer/peer.c"     # a peer
printf '#include "low/low.h"\n' >"$t/src/other/main.c"            # a daemon header elsewhere
printf '#include "base.h"\n' >"$t/src/other/extra.c"              # not named in the README
for _ in $(seq 801); do echo '/* x */'; done >"$t/src/other/extra.h" # over 800 lines

check "$t" >"$WORK/bad.out" 2>&1 && fail "check-layout passed a tree that breaks every rule"
expect() { grep -qF -- "$1" "$WORK/bad.out" || fail "check-layout did not say: $1 (it said: $(cat "$WORK/bad.out"))"; }
expect 'src/daemon/low/low.c:1: low/ may not include "high/high.h": high stands above it'
expect 'src/daemon/high/high.c:1: "low.h": include it by its qualified name, "low/low.h"'
expect 'src/daemon/high/high.c:2: high/ may not include "peer/peer.h": peer is its peer'
expect 'src/daemon/peer/peer.c:1: peer/ may not include "high/high.h": high is its peer'
expect 'src/daemon/peer/peer.h:1: cites NOWHERE.md, which is not a file in this tree'
expect 'src/other/main.c:1: "low/low.h": only the daemon includes daemon headers'
expect 'src/README.md: src/other/extra.c is not named in its section'
expect 'src/other/extra.h: 801 lines, over 800'
expect 'src/other/extra.c: with its header 802 lines, over 800'
expect 'src/README.md: src/other/extra.h is not named in its section'
expect 'check-layout: 10 problems'
[ "$(grep -c . "$WORK/bad.out")" = 11 ] || fail "check-layout said more than the 10 problems and its count: $(cat "$WORK/bad.out")"

# the same tree put right passes
printf '#include "low/low.h"\n' >"$t/src/daemon/low/low.c"
printf '#include "low/low.h"\n' >"$t/src/daemon/high/high.c"
printf '/* peer.h */\n' >"$t/src/daemon/peer/peer.h"
printf '#include "low/low.h"\n' >"$t/src/daemon/peer/peer.c"
printf '#include "base.h"\n' >"$t/src/other/main.c"
rm "$t/src/other/extra.c" "$t/src/other/extra.h"
# what a build in the tree leaves (the Debian package builds there) is no source
mkdir -p "$t/src/daemon/.deps" "$t/src/daemon/low/.deps"
touch "$t/src/daemon/.deps/main.Po" "$t/src/daemon/low/low.o" "$t/src/daemon/libdaemon.a" "$t/src/other/prog"
check "$t" >"$WORK/good.out" 2>&1 || fail "check-layout refused a tree that keeps every rule: $(cat "$WORK/good.out")"

# ---- the real tree --------------------------------------------------------------
check "$top_srcdir" >"$WORK/real.out" 2>&1 || fail "the source tree breaks its layout:
$(cat "$WORK/real.out")"
pass "check-layout names each broken rule of a test tree, and the source tree keeps them all"
