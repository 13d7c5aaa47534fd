#!/bin/bash
# build-inside.sh - run by scripts/build-deb --fresh in a container of the cached
# Debian 12 root file system (a fresh minimal system): install the build
# dependencies of debian/control with apt, then build the source and binary
# packages as `dpkg-buildpackage -us -uc` does on a new machine.
#   build-inside.sh DIR JOBS [nocheck]    DIR: the source tree, under /build
set -euo pipefail
dir=$1 jobs=$2 nocheck=${3:-}
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
cd "/build/$dir"
# a throwaway system: no man page index to keep, no fsync worth waiting for
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/unsafe-io
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends dpkg-dev >/dev/null
bd=(apt-get build-dep -y -q --no-install-recommends)
[ -z "$nocheck" ] || bd+=(-P nocheck)
"${bd[@]}" ./ >/build/build-deps.log 2>&1 || { tail -n 30 /build/build-deps.log; exit 1; }
echo "build-inside: $(grep -c '^Setting up' /build/build-deps.log) packages installed for the build"
bp=(dpkg-buildpackage -us -uc -J"$jobs")
[ -z "$nocheck" ] || bp+=(-Pnocheck)
[ -z "$nocheck" ] || export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
"${bp[@]}"
