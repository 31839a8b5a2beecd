#!/usr/bin/env bash
# Build the pikaci Debian guest image (~200 MB): debootstrap --variant=minbase bookworm, an
# unprivileged `pikaci` user (uid 1000), bats, the guest runner, a sleeping /sbin/init.
# Usage: images/build-debian.sh [--alias NAME] [--workdir DIR] [--no-import] [--print-hash] [--help]
# The Debian mirror is read at run time from the machine's apt sources (or debootstrap's default).
set -euo pipefail
IMAGE_KIND=debian
DEFAULT_ALIAS=pikaci-debian
# shellcheck source=images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=${PIKACI_DEBIAN_SUITE:-bookworm}

build_rootfs() { # rootfs
  local r=$1 mirror
  command -v debootstrap >/dev/null || die "debootstrap not found; apt-get install debootstrap"
  mirror=$(debian_mirror || true)
  say "debootstrap --variant=minbase $SUITE (~30 s)${mirror:+ from the local apt source URI}"
  # bats: a real JUnit-writing test tool in the image (pure bash, ~100 kB), for lanes and the e2e tests.
  # shellcheck disable=SC2086
  if ! debootstrap --variant=minbase --include=bats "$SUITE" "$r" ${mirror:+"$mirror"} >"$r.debootstrap.log" 2>&1; then
    tail -n 30 "$r.debootstrap.log" >&2
    [ -f "$r/debootstrap/debootstrap.log" ] && tail -n 30 "$r/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (log: $r.debootstrap.log); check that the Debian mirror in /etc/apt/sources.list.d is reachable"
  fi
  rm -f "$r.debootstrap.log"
  say "configuring Debian rootfs"
  chroot "$r" /usr/sbin/groupadd --gid 1000 pikaci
  chroot "$r" /usr/sbin/useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash pikaci
  echo pikaci-debian >"$r/etc/hostname"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*.log
  # No network in CI guests; keep the image's own apt source as debootstrap wrote it.
}

image_metadata() { # dir
  write_metadata "$1" debian "$SUITE" "pikaci Debian $SUITE minbase guest"
}

image_main "$@"
