# shellcheck shell=bash
# lib.sh - a Debian 12 system booted with a real systemd as PID 1, for the
# end-to-end tests. Sourced by tests/e2e/rootfs.sh, tests/e2e/run.sh and
# scripts/build-deb --fresh.
#
#   e2e_rootfs              build (once) the cached root file system; sets $ROOTFS
#   e2e_boot                boot it in systemd-nspawn (writes go to a tmpfs overlay,
#                           the cache stays pristine); sets $LEADER
#   ct CMD...               run CMD inside the booted system (all its namespaces)
#   e2e_poweroff            shut it down (also done on exit)
#   e2e_run [OPT...] -- CMD...  run CMD in a throwaway container of the root file
#                           system, not booted, on the host's network (scripts/build-deb
#                           --fresh builds the packages that way); OPT: nspawn options
#
# Needs root, debootstrap and systemd-nspawn (installed here when missing).
#   E2E_CACHE=DIR    where root file systems are cached (default
#                    /var/cache/momento-subscriber-e2e), one per hash of
#                    tests/e2e/packages, so a changed list builds a new one
#   E2E_MIRROR=URL   Debian mirror (default: the first one apt uses here)
#   E2E_REBUILD=1    rebuild the cached root file system
#   E2E_BOOT_MAX=S   upper bound on the container's lifetime (default 1200 s)
#
# How it works on a host whose PID 1 is not systemd (no machined, no D-Bus):
#  * --register=no --keep-unit: nspawn does not talk to a host bus;
#  * a cgroup of our own per run: nspawn leaves payload/ and supervisor/ in the
#    cgroup it runs in, so that must be ours to remove (and runs do not collide);
#  * a private mount namespace with a tmpfs on /run/systemd: nspawn keeps state
#    there and refuses to clean it up on a disk file system;
#  * --volatile=overlay: the cached tree is the read-only lower layer;
#  * --private-network: the booted system has its own loopback, so its ports
#    cannot collide with anything else running here;
#  * --system-call-filter: nspawn's own seccomp filter refuses clock_adjtime (and
#    so glibc's adjtimex) to a container without CAP_SYS_TIME, even the read-only
#    call the daemon makes for the clock's state; allowed here as on a real host
#    (the container still has no CAP_SYS_TIME, so it cannot set the clock);
#  * nsenter -t PID1 -a instead of machinectl/systemd-run -M (they need machined).

E2E_SUITE=bookworm
E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
E2E_CACHE=${E2E_CACHE:-/var/cache/momento-subscriber-e2e}
E2E_T0=${E2E_T0:-$(date +%s.%N)}

e2e_since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }
e2e_log() { printf '[e2e %6ss] %s\n' "$(e2e_since "$E2E_T0")" "$*"; }
e2e_die() {
    e2e_log "FAIL: $*" >&2
    exit 1
}

e2e_host_tools() {
    [ "$(id -u)" = 0 ] || e2e_die "must run as root (debootstrap, systemd-nspawn)"
    local need=()
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v systemd-nspawn >/dev/null || need+=(systemd-container)
    command -v jq >/dev/null || need+=(jq)
    if [ ${#need[@]} -gt 0 ]; then
        e2e_log "installing ${need[*]}"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
    fi
}

e2e_mirror() { # the first non-security Debian URI apt uses here (deb822 or one-line)
    {
        grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources || true
        grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
            sed -E 's/\[[^]]*\]//' || true
    } | awk '{print $2}' | grep -v -i security | grep -i debian | head -n1 || true
}

# Units a test system does not need; masked so boot is quick and quiet.
E2E_MASK="console-getty.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer
dpkg-db-backup.timer fstrim.timer systemd-tmpfiles-clean.timer"

e2e_rootfs() {
    e2e_host_tools
    local pkgs key
    pkgs=$(grep -vE '^[[:space:]]*(#|$)' "$E2E_DIR/packages" | tr -s ' \n' ',' | sed 's/,$//')
    key=$(printf '%s\n%s\n%s\nhosts\n' "$E2E_SUITE" "$pkgs" "$E2E_MASK" | sha256sum | cut -c1-12)
    ROOTFS=$E2E_CACHE/rootfs-$E2E_SUITE-$key
    mkdir -p "$E2E_CACHE"
    exec 8>"$E2E_CACHE/.lock" # one builder at a time; readers need no lock
    flock -w 900 8 || e2e_die "could not lock $E2E_CACHE/.lock"
    [ "${E2E_REBUILD:-0}" != 1 ] || rm -rf "$ROOTFS"
    if [ ! -e "$ROOTFS/.e2e-ready" ]; then
        local mirror=${E2E_MIRROR:-$(e2e_mirror)}
        [ -n "$mirror" ] || e2e_die "no Debian mirror in the apt sources; set E2E_MIRROR"
        e2e_log "building the root file system with debootstrap from $mirror ($pkgs)"
        rm -rf "$ROOTFS.tmp"
        timeout 900 debootstrap --variant=minbase --include="$pkgs" \
            "$E2E_SUITE" "$ROOTFS.tmp" "$mirror" >"$E2E_CACHE/debootstrap-$key.log" 2>&1 ||
            e2e_die "debootstrap failed, see $E2E_CACHE/debootstrap-$key.log"
        echo e2e >"$ROOTFS.tmp/etc/hostname"
        # what an installed Debian has and debootstrap does not write
        printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOTFS.tmp/etc/hosts"
        local u
        for u in $E2E_MASK; do ln -sf /dev/null "$ROOTFS.tmp/etc/systemd/system/$u"; done
        rm -rf "$ROOTFS.tmp"/var/cache/apt/archives/*.deb
        touch "$ROOTFS.tmp/.e2e-ready"
        mv "$ROOTFS.tmp" "$ROOTFS" # a half-built tree is never used
        e2e_log "root file system built: $ROOTFS ($(du -sh "$ROOTFS" | cut -f1))"
    else
        e2e_log "cached root file system $ROOTFS"
    fi
    exec 8>&-
}

E2E_MACHINE=
E2E_CGS=()
E2E_TO_PID=
E2E_NSPAWN_PID=
LEADER=

e2e_cleanup() {
    set +e
    if [ -n "$E2E_NSPAWN_PID" ] && kill -0 "$E2E_NSPAWN_PID" 2>/dev/null; then
        kill -TERM "$E2E_NSPAWN_PID" # nspawn turns this into a clean halt
        for _ in $(seq 100); do
            kill -0 "$E2E_NSPAWN_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$E2E_NSPAWN_PID" 2>/dev/null && kill -KILL "$E2E_NSPAWN_PID"
    fi
    if [ -n "$E2E_TO_PID" ]; then
        timeout 15 tail --pid="$E2E_TO_PID" -f /dev/null
        wait "$E2E_TO_PID" 2>/dev/null
    fi
    local cg
    for cg in "${E2E_CGS[@]}"; do # depth first: our cgroups are empty now
        [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    E2E_NSPAWN_PID='' E2E_TO_PID='' LEADER=''
}

e2e_boot() {
    E2E_MACHINE=mo-e2e-$$
    E2E_RUN=${E2E_RUN:-$(mktemp -d "${TMPDIR:-/tmp}/mo-e2e.XXXXXX")}
    E2E_CGS=()
    if [ -d /sys/fs/cgroup/systemd ]; then # hybrid or legacy hierarchy
        local h
        for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
            [ -d "$h" ] && E2E_CGS+=("$h/$E2E_MACHINE")
        done
    else
        E2E_CGS+=("/sys/fs/cgroup/$E2E_MACHINE")
    fi
    local cg
    for cg in "${E2E_CGS[@]}"; do mkdir -p "$cg"; done
    [ -d /run/systemd ] || mkdir -p /run/systemd # mount point of the private tmpfs
    local tb
    tb=$(date +%s.%N)
    (
        for cg in "${E2E_CGS[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
        exec timeout --kill-after=10 "${E2E_BOOT_MAX:-1200}" \
            unshare --mount --propagation private -- sh -c '
              mount -t tmpfs -o mode=755 tmpfs /run/systemd &&
              exec systemd-nspawn --quiet -D "$0" --machine="$1" --hostname=e2e \
                --register=no --keep-unit --link-journal=no --private-network \
                --system-call-filter="clock_adjtime adjtimex" \
                --volatile=overlay --console=read-only --boot' "$ROOTFS" "$E2E_MACHINE"
    ) >"$E2E_RUN/boot.log" 2>&1 </dev/null &
    E2E_TO_PID=$! # timeout; its child is nspawn, whose child is the system's PID 1
    for _ in $(seq 300); do
        E2E_NSPAWN_PID=$(pgrep -P "$E2E_TO_PID" -x systemd-nspawn || true)
        [ -n "$E2E_NSPAWN_PID" ] && LEADER=$(pgrep -P "$E2E_NSPAWN_PID" || true)
        [ -n "$LEADER" ] && [ "$(cat /proc/"$LEADER"/comm 2>/dev/null)" = systemd ] && break
        LEADER=
        kill -0 "$E2E_TO_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$LEADER" ] || {
        cat "$E2E_RUN/boot.log" >&2
        e2e_die "the container did not start"
    }
    local state=
    for _ in $(seq 100); do # the private bus socket appears a moment after PID 1
        state=$(CT_TIMEOUT=60 ct systemctl is-system-running --wait 2>/dev/null || true)
        case $state in running | degraded) break ;; esac
        sleep 0.1
    done
    case $state in
    running) ;;
    degraded) e2e_die "booted degraded: $(ct systemctl --failed --no-legend --plain | tr '\n' ' ')" ;;
    *) e2e_die "system not ready: '$state'" ;;
    esac
    e2e_log "systemd $(ct systemctl --version | head -n1 | cut -d' ' -f2) running in $(e2e_since "$tb") s (PID 1 is $LEADER here)"
}

# ct CMD... : run CMD inside the booted system, with a clean environment
ct() {
    timeout "${CT_TIMEOUT:-60}" nsenter --target "$LEADER" --all -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

e2e_poweroff() {
    [ -n "$LEADER" ] || return 0
    ct systemctl poweroff --no-block >/dev/null 2>&1 || true
    for _ in $(seq 300); do
        kill -0 "$E2E_NSPAWN_PID" 2>/dev/null || break
        sleep 0.1
    done
    e2e_cleanup
}

# e2e_run [NSPAWN-OPTION...] -- CMD... : CMD in a container of the cached root file
# system: not booted, writes to a tmpfs overlay, the host's network; its status.
# (clock_adjtime allowed, as for the booted system: the tests read the clock's state)
e2e_run() {
    local opts=() cgs=() cg name=mo-run-$$-$RANDOM rc=0
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    if [ -d /sys/fs/cgroup/systemd ]; then
        for cg in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do [ -d "$cg" ] && cgs+=("$cg/$name"); done
    else
        cgs+=("/sys/fs/cgroup/$name")
    fi
    for cg in "${cgs[@]}"; do mkdir -p "$cg"; done
    [ -d /run/systemd ] || mkdir -p /run/systemd
    (
        for cg in "${cgs[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
        exec unshare --mount --propagation private -- sh -c '
          root=$1 name=$2; shift 2
          mount -t tmpfs -o mode=755 tmpfs /run/systemd &&
          exec systemd-nspawn --quiet -D "$root" --machine="$name" --register=no --keep-unit \
            --system-call-filter="clock_adjtime adjtimex" --volatile=overlay --pipe "$@"' \
        sh "$ROOTFS" "$name" "${opts[@]}" "$@"
    ) </dev/null || rc=$?
    for cg in "${cgs[@]}"; do [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    return $rc
}
