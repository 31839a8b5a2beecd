#!/usr/bin/env bash
# An Incus image with systemd as PID 1, for test/e2e/systemd-units.test.ts: it starts the units in
# deploy/systemd/ for real (DynamicUser, the syscall filter, StateDirectory, …), which
# `systemd-analyze verify` alone cannot show. Debian bookworm minbase + systemd + curl + the C++
# runtime node needs; node and pikaci are pushed in by the test. Idempotent: an existing image with
# the alias is kept. Usage: test/host/systemd-image.sh [ALIAS]   (root, debootstrap, incus)
set -euo pipefail
ALIAS=${1:-pikaci-test-systemd}
SUITE=bookworm
die() { echo "systemd-image.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
incus version >/dev/null 2>&1 || die "incus daemon not reachable; run bash test/host/setup.sh"
if incus image info "$ALIAS" >/dev/null 2>&1; then
  echo "image $ALIAS present"
  exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap not found; apt-get install debootstrap"

# The machine's own Debian source for $SUITE (as images/build-debian.sh reads it), else
# debootstrap's default.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk -v suite="$SUITE" 'BEGIN{RS=""} {
      u=""; ok=0; n=split($0, lines, "\n")
      for (i=1;i<=n;i++) {
        if (lines[i] ~ /^URIs:/) { split(lines[i], a, /[ \t]+/); u=a[2] }
        if (lines[i] ~ /^Suites:/) { m=split(lines[i], s, /[ \t]+/); for (j=2;j<=m;j++) if (s[j]==suite) ok=1 }
      }
      if (ok && u != "") { print u; exit }
    }' "$f")
  [ -n "$mirror" ] && break
done

work=$(mktemp -d /var/tmp/pikaci-systemd-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "==> debootstrap $SUITE minbase + systemd (a few minutes)"
# shellcheck disable=SC2086
debootstrap --variant=minbase --include=systemd,systemd-sysv,libstdc++6,curl "$SUITE" "$work/rootfs" \
  ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
mkdir -p "$work/meta"
cat >"$work/meta/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: "Debian $SUITE minbase with systemd (pikaci unit tests)"
templates: {}
META
tar -C "$work/meta" -czf "$work/meta.tar.gz" metadata.yaml
tar -C "$work/rootfs" --numeric-owner -cf - . | gzip -1 >"$work/rootfs.tar.gz"
incus image import "$work/meta.tar.gz" "$work/rootfs.tar.gz" --alias "$ALIAS" >/dev/null
echo "imported image $ALIAS"
