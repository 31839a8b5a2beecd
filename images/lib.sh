#!/usr/bin/env bash
# Shared helpers for the pikaci image builders (images/build-*.sh). Sourced, not run.
# Each builder sets IMAGE_KIND (busybox|debian) and DEFAULT_ALIAS, then calls `image_main "$@"`
# after defining `build_rootfs ROOTFS_DIR`.

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$IMAGES_DIR/.." && pwd)
RUNNER_SRC="$REPO_DIR/guest/pikaci-incus-run"
# Where the runner lives inside the rootfs; /sbin/init links it to the contract path at boot.
RUNNER_STORE_PATH=/usr/lib/pikaci/pikaci-incus-run
RUNNER_CONTRACT_PATH=/run/current-system/sw/bin/pikaci-incus-run

die() { echo "error: $*" >&2; exit 1; }
say() { echo "==> $*"; }

sha256_of() { sha256sum "$@" | awk '{print $1}'; }

# Hash of everything that shapes the image: runner + shared lib + the builder itself.
# setup.sh compares it with the pikaci.build_hash property of the imported image.
build_hash() {
  cat "$RUNNER_SRC" "$IMAGES_DIR/lib.sh" "$IMAGES_DIR/build-$IMAGE_KIND.sh" | sha256sum | awk '{print $1}'
}

image_usage() {
  cat <<USAGE
Usage: images/build-$IMAGE_KIND.sh [--alias NAME] [--workdir DIR] [--no-import] [--print-hash]

Builds the pikaci $IMAGE_KIND guest image for Incus (containers) and imports it.

  --alias NAME    image alias to import under (default: $DEFAULT_ALIAS); an existing image with
                  this alias is replaced
  --workdir DIR   where the rootfs and tarballs are built (default: /var/tmp/pikaci-image-<alias>)
  --no-import     build meta.tar.gz + rootfs.tar.gz only and print the incus import command
  --print-hash    print the builder input hash (runner + builder scripts) and exit
  -h, --help      this help

The guest runner guest/pikaci-incus-run is installed at $RUNNER_STORE_PATH and linked to
$RUNNER_CONTRACT_PATH by /sbin/init at container start (so a tmpfs on /run cannot hide it).
Needs root$( [ "$IMAGE_KIND" = debian ] && echo ", debootstrap" )$( [ "$IMAGE_KIND" = busybox ] && echo ", busybox-static" ) and, to import, a running incus daemon.
USAGE
}

# /sbin/init for a CI guest: put the runner at its contract path, then idle (reaping orphans).
write_init() { # rootfs
  mkdir -p "$1/sbin" "$1/run/current-system/sw/bin"
  # Never write through a symlink: busybox's applet link sbin/init -> /bin/busybox would make
  # `cat >` overwrite the HOST's /bin/busybox.
  rm -f "$1/sbin/init"
  cat >"$1/sbin/init" <<INIT
#!/bin/sh
# pikaci guest init: no services. Links the guest runner to its contract path (/run may be a
# tmpfs mounted over the image's /run), then sleeps; as PID 1 it also reaps orphaned processes.
mkdir -p /run/current-system/sw/bin
ln -sf $RUNNER_STORE_PATH $RUNNER_CONTRACT_PATH
trap 'exit 0' TERM INT HUP
trap 'exit 0' PWR 2>/dev/null || trap 'exit 0' 30
while :; do
  sleep 3600 &
  wait \$!
done
INIT
  chmod 0755 "$1/sbin/init"
  rm -f "$1$RUNNER_CONTRACT_PATH"
  ln -s "$RUNNER_STORE_PATH" "$1$RUNNER_CONTRACT_PATH"
}

install_runner() { # rootfs
  rm -f "$1$RUNNER_STORE_PATH"
  install -D -m 0755 "$RUNNER_SRC" "$1$RUNNER_STORE_PATH"
  mkdir -p "$1/workspace/snapshot" "$1/artifacts"
}

write_metadata() { # dir os release description
  local hash runner_sha
  hash=$(build_hash)
  runner_sha=$(sha256_of "$RUNNER_SRC")
  cat >"$1/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: "$4"
  os: "$2"
  release: "$3"
  pikaci.runner_sha256: "$runner_sha"
  pikaci.build_hash: "$hash"
templates: {}
META
}

pack_and_import() { # workdir alias no_import
  local work=$1 alias=$2 no_import=$3
  say "packing $alias (meta.tar.gz, rootfs.tar.gz)"
  tar -C "$work/meta" -czf "$work/meta.tar.gz" metadata.yaml
  tar -C "$work/rootfs" --numeric-owner -cf - . | gzip -1 >"$work/rootfs.tar.gz"
  if [ "$no_import" = 1 ]; then
    echo "built: $work/meta.tar.gz $work/rootfs.tar.gz"
    echo "import with: incus image import $work/meta.tar.gz $work/rootfs.tar.gz --alias $alias"
    return 0
  fi
  command -v incus >/dev/null || die "incus client not found; install incus-client or use --no-import"
  incus version >/dev/null 2>&1 || die "incus daemon not reachable; start it (bash test/host/setup.sh) or use --no-import"
  if incus image info "$alias" >/dev/null 2>&1; then
    say "replacing existing image $alias"
    incus image delete "$alias"
  fi
  say "importing $alias"
  incus image import "$work/meta.tar.gz" "$work/rootfs.tar.gz" --alias "$alias" >/dev/null
  rm -f "$work/meta.tar.gz" "$work/rootfs.tar.gz"
  echo "imported image $alias"
}

image_main() {
  local alias=$DEFAULT_ALIAS workdir="" no_import=0
  while [ $# -gt 0 ]; do
    case "$1" in
    --alias) [ $# -ge 2 ] || die "--alias needs a value"; alias=$2; shift 2 ;;
    --alias=*) alias=${1#*=}; shift ;;
    --workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
    --workdir=*) workdir=${1#*=}; shift ;;
    --no-import) no_import=1; shift ;;
    --print-hash) build_hash; exit 0 ;;
    -h | --help) image_usage; exit 0 ;;
    *) image_usage >&2; die "unknown argument: $1" ;;
    esac
  done
  [ "$(id -u)" = 0 ] || die "run as root (the rootfs needs root-owned files): sudo $0 $*"
  [ -f "$RUNNER_SRC" ] || die "guest runner not found at $RUNNER_SRC"
  workdir=${workdir:-/var/tmp/pikaci-image-$alias}
  case "$workdir" in /*) ;; *) workdir="$PWD/$workdir" ;; esac
  rm -rf "$workdir/rootfs" "$workdir/meta"
  mkdir -p "$workdir/rootfs" "$workdir/meta"
  build_rootfs "$workdir/rootfs"
  install_runner "$workdir/rootfs"
  write_init "$workdir/rootfs"
  image_metadata "$workdir/meta"
  pack_and_import "$workdir" "$alias" "$no_import"
  [ "$no_import" = 1 ] || rm -rf "$workdir/rootfs" "$workdir/meta"
}

# Debian builders: the first URI of an apt source that carries $SUITE itself (deb822 or one-line
# format), empty if none, so debootstrap uses the machine's own source and no host is named here.
debian_mirror() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v suite="$SUITE" 'BEGIN{RS=""} {
        u=""; ok=0
        n=split($0, lines, "\n")
        for (i=1;i<=n;i++) {
          if (lines[i] ~ /^URIs:/) { split(lines[i], a, /[ \t]+/); u=a[2] }
          if (lines[i] ~ /^Suites:/) { m=split(lines[i], s, /[ \t]+/); for (j=2;j<=m;j++) if (s[j]==suite) ok=1 }
        }
        if (ok && u != "") { print u; exit }
      }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  if [ -f /etc/apt/sources.list ]; then
    awk -v suite="$SUITE" '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1)==suite) { print $i; exit } } }' /etc/apt/sources.list
  fi
}
