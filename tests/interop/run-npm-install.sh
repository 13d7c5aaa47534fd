#!/bin/bash
# run-npm-install.sh - install the pinned Momento Node.js SDK for the interop tests.
#
#   run-npm-install.sh [DIR]
#
# Copies tests/interop/package.json and package-lock.json into DIR (default:
# $top_builddir/tests/interop, or the parent of $MO_NODE_MODULES when that is
# set) and runs `npm ci` there, so DIR/node_modules holds exactly the locked
# versions. Install scripts are not run: nothing in the tree needs them.
# `make interop-deps` calls this; the interop tests look in the same place.
set -euo pipefail

src=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ]; then
    dest=$1
elif [ -n "${MO_NODE_MODULES:-}" ]; then
    if [ "$(basename "$MO_NODE_MODULES")" != node_modules ]; then
        echo "run-npm-install.sh: MO_NODE_MODULES=$MO_NODE_MODULES must name a directory called node_modules" >&2
        exit 64
    fi
    dest=$(dirname "$MO_NODE_MODULES")
else
    dest=${top_builddir:-.}/tests/interop
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "run-npm-install.sh: $tool not found; on Debian: apt-get install nodejs npm" >&2
        exit 1
    fi
done

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ "$dest" != "$src" ]; then
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
fi
cd "$dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "run-npm-install.sh: @gomomento/sdk $(node -p 'require("./node_modules/@gomomento/sdk/package.json").version') installed in $dest/node_modules"
