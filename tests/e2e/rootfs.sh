#!/usr/bin/env bash
# rootfs.sh - build the end-to-end tests' cached Debian 12 root file system if
# it is not there yet, and print its path. scripts/test runs it in the
# background while other stages build; tests/e2e/run.sh calls it too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_rootfs >&2
echo "$ROOTFS"
