#!/usr/bin/env bash
# Build the tiny pikaci busybox guest image (~2 MB): busybox-static + applet links, root and an
# unprivileged `pikaci` user (uid 1000), the guest runner, a sleeping /sbin/init.
# Usage: images/build-busybox.sh [--alias NAME] [--workdir DIR] [--no-import] [--print-hash] [--help]
set -euo pipefail
IMAGE_KIND=busybox
DEFAULT_ALIAS=pikaci-busybox
# shellcheck source=images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX=${BUSYBOX:-/bin/busybox}

build_rootfs() { # rootfs
  local r=$1 applet
  [ -x "$BUSYBOX" ] || die "$BUSYBOX not found; apt-get install busybox-static (or set BUSYBOX=/path/to/static/busybox)"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
  fi
  say "assembling busybox rootfs in $r"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,var/tmp,root,home/pikaci}
  install -m 0755 "$BUSYBOX" "$r/bin/busybox"
  for applet in $("$r/bin/busybox" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$r/$(dirname "$applet")"
    ln -sf /bin/busybox "$r/$applet"
  done
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 0700 "$r/root"
  cat >"$r/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
pikaci:x:1000:1000:pikaci:/home/pikaci:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
  cat >"$r/etc/group" <<GROUP
root:x:0:
pikaci:x:1000:
nogroup:x:65534:
GROUP
  printf 'root:*:19000:0:99999:7:::\npikaci:!:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$r/etc/shadow"
  chmod 0640 "$r/etc/shadow"
  chown 1000:1000 "$r/home/pikaci"
  echo pikaci-busybox >"$r/etc/hostname"
}

image_metadata() { # dir
  local ver
  # `head` may close the pipe before busybox is done printing (SIGPIPE): with pipefail, ignore that.
  ver=$("$BUSYBOX" 2>&1 | head -n 1 | awk '{print $2}') || true
  write_metadata "$1" busybox "${ver:-unknown}" "pikaci busybox guest (busybox ${ver:-unknown})"
}

image_main "$@"
