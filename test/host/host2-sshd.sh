#!/usr/bin/env bash
# Take test host 2 off the network and back, as a fault test needs:
#   stop    kill host 2's sshd AND its per-connection children (live sessions die mid-command, as
#           when the machine goes down); daemon 2 and its instances keep running
#   start   start host 2's sshd again on the same port (host.env's PIKACI_TEST_HOST2_SSHD_PID follows)
#   status  print "up PID PORT" or "down"
# Uses ${PIKACI_TEST_HOST_DIR:-<repo>/.test-host}, set up by test/host/setup.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=$(cd "${PIKACI_TEST_HOST_DIR:-$REPO/.test-host}" && pwd)
say() { echo "==> $*"; }
die() { echo "host2-sshd.sh: error: $*" >&2; exit 1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# shellcheck source=test/host/host2.sh
source "$REPO/test/host/host2.sh"

[ -f "$H2/incusd.pid" ] || die "no host 2 in $STATE; run test/host/setup.sh first"

set_env_pid() { # pid
  local env=$STATE/host.env
  [ -f "$env" ] || return 0
  sed "s/^PIKACI_TEST_HOST2_SSHD_PID=.*/PIKACI_TEST_HOST2_SSHD_PID=$1/" "$env" >"$env.h2tmp"
  mv -f "$env.h2tmp" "$env"
}

case "${1:-}" in
stop) stop_sshd2 ;;
start)
  start_sshd2
  set_env_pid "$SSHD2_PID"
  ;;
status)
  pid=$(h2_pid sshd || true)
  if alive "$pid"; then echo "up $pid $(cat "$H2/sshd.port")"; else echo down; fi
  ;;
*) sed -n '2,6p' "$0" >&2; exit 2 ;;
esac
