#!/usr/bin/env bash
# Stop the pikaci test build hosts started by test/host/setup.sh: sshd and incusd (and host 2's), by
# the pids in the state dir. Installed packages stay. Idempotent.
#   --purge   first delete every pikaci-* instance and the pikaci-busybox / pikaci-debian images
#             (and the image build dirs)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${PIKACI_TEST_HOST_DIR:-$REPO/.test-host}
PURGE=0
for a in "$@"; do
  case "$a" in
  --purge) PURGE=1 ;;
  -h | --help) sed -n '2,5p' "$0"; exit 0 ;;
  *) echo "teardown.sh: unknown argument $a (use --purge or --help)" >&2; exit 2 ;;
  esac
done

say() { echo "==> $*"; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # name pidfile
  local pid=""
  [ -f "$2" ] && pid=$(cat "$2")
  if alive "$pid"; then
    say "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then
      say "$1 (pid $pid) still alive after 10 s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  else
    say "$1 not running"
  fi
  rm -f "$2"
}

if [ "$PURGE" = 1 ] && command -v incus >/dev/null && incus version 2>/dev/null | grep -q '^Server version: [0-9]'; then
  for inst in $(incus list --format csv --columns n 2>/dev/null | grep '^pikaci-' || true); do
    say "deleting instance $inst"
    incus delete --force "$inst" || true
  done
  for img in pikaci-busybox pikaci-debian; do
    if incus image info "$img" >/dev/null 2>&1; then
      say "deleting image $img"
      incus image delete "$img" || true
    fi
  done
  rm -rf "$STATE/build"
fi

# shellcheck source=test/host/host2.sh
source "$REPO/test/host/host2.sh"
if [ -f "$H2/incusd.pid" ]; then
  if [ "$PURGE" = 1 ] && incus2_up; then
    for inst in $(incus2 list --format csv --columns n 2>/dev/null | grep '^pikaci-' || true); do
      say "host 2: deleting instance $inst"
      incus2 delete --force "$inst" || true
    done
  fi
  stop_sshd2
  stop_pid "host 2 incusd" "$H2/incusd.pid"
fi
stop_pid sshd "$STATE/sshd.pid"
stop_pid incusd "$STATE/incusd.pid"
rm -f "$STATE/host.env"
say "test host stopped (packages kept; state in $STATE)"
