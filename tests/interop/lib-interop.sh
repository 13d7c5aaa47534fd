# lib-interop.sh - sourced by the tests in tests/interop instead of lib.sh.
#
# Checks the prerequisites first: node, and the pinned @gomomento/sdk installed
# by `make interop-deps` in $top_builddir/tests/interop/node_modules (or in
# $MO_NODE_MODULES). When one is missing the test is skipped (exit 77), except
# under MO_REQUIRE_ALL=1, where a missing prerequisite fails the test: the
# project's test command sets it so that a skip is never counted as a pass.
# Then it sources tests/integration/lib.sh and adds:
#
#   sdk ARGS...        run tests/interop/sdk.js (see its header) with the SDK
#   bg_sdk NAME ARGS...  the same in the background, output in $WORK/NAME.out
#   jq_items FILE      the "item" events of a JSON-lines file, one per line
set -euo pipefail

: "${top_builddir:?run this through make check}"
: "${top_srcdir:?run this through make check}"

interop_skip() {
    local name
    name=$(basename "$0" .sh)
    if [ "${MO_REQUIRE_ALL:-0}" = 1 ]; then
        echo "FAIL: $name: $* (MO_REQUIRE_ALL=1: a missing prerequisite is a failure)" >&2
        exit 1
    fi
    echo "SKIP: $name: $*" >&2
    exit 77
}

command -v node >/dev/null || interop_skip "node not found (Debian: apt-get install nodejs npm)"
command -v jq >/dev/null || interop_skip "jq not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 16 ] || interop_skip "node $(node --version) is too old; the SDK needs 16 or later"

MO_NODE_MODULES=${MO_NODE_MODULES:-$top_builddir/tests/interop/node_modules}
sdk_pkg=$MO_NODE_MODULES/@gomomento/sdk/package.json
[ -f "$sdk_pkg" ] || interop_skip "@gomomento/sdk is not installed in $MO_NODE_MODULES (run: make interop-deps)"
sdk_pinned=$(jq -r '.dependencies["@gomomento/sdk"]' "$top_srcdir/tests/interop/package.json")
sdk_installed=$(jq -r .version "$sdk_pkg")
[ "$sdk_pinned" = "$sdk_installed" ] ||
    interop_skip "@gomomento/sdk $sdk_installed in $MO_NODE_MODULES is not the pinned $sdk_pinned (run: make interop-deps)"

# shellcheck source=../integration/lib.sh
source "$top_srcdir/tests/integration/lib.sh"

# sdk.js resolves the SDK through NODE_PATH, so it runs from the source tree
# against modules installed in the build tree.
export NODE_PATH=$MO_NODE_MODULES
SDK_JS=$top_srcdir/tests/interop/sdk.js

sdk() { node "$SDK_JS" "$@"; }

bg_sdk() {
    local name=$1
    shift
    bg "$name" node "$SDK_JS" "$@"
}

jq_items() { jq -c 'select(.ev == "item")' "$1"; }

# A jq function definition to put in front of a jq program: hex_text turns a
# hex string of ASCII bytes back into text.
JQ_HEX='def hex_text: [ascii_downcase | scan("..") | explode
    | map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1]] | implode; '
