#!/usr/bin/env bash
# A throw-away two-member Incus cluster on this machine, for the cluster path of issue 13:
#   start DIR   two more incusd (INCUS_DIR=DIR/member-a, DIR/member-b) listening on loopback
#               addresses 127.0.0.2 and 127.0.0.3, joined into one cluster (a `dir` pool on each
#               member, no network), with host 1's pikaci-busybox image imported. Prints KEY=value
#               lines: INCUS_DIR (talk to the cluster through member-a) and the member names.
#   stop DIR    deletes the cluster's instances, stops both daemons (by the pids in DIR) and
#               removes DIR.
# Needs test/host/setup.sh's packages and host 1 (for the image). Never touches host 1 or host 2.
set -euo pipefail

die() { echo "cluster.sh: error: $*" >&2; exit 1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
INCUSD=/usr/libexec/incus/incusd
MEMBERS=(member-a member-b)
ADDRESSES=(127.0.0.2 127.0.0.3)

member() { INCUS_DIR=$DIR/$1 incus "${@:2}"; }

start_member() { # name
  mkdir -p "$DIR/$1"
  chmod 0711 "$DIR/$1"
  INCUS_DIR=$DIR/$1 setsid "$INCUSD" --group root --logfile "$DIR/$1.log" </dev/null >>"$DIR/$1.out" 2>&1 &
  echo $! >"$DIR/$1.pid"
  for _ in $(seq 1 60); do
    member "$1" version 2>/dev/null | grep -q '^Server version: [0-9]' && return
    alive "$(cat "$DIR/$1.pid")" || die "$1: incusd exited; see $DIR/$1.log"
    sleep 0.5
  done
  die "$1: incusd did not answer within 30 s; see $DIR/$1.log"
}

start() {
  [ ! -e "$DIR/member-a.pid" ] || die "$DIR already holds a cluster; run: $0 stop $DIR"
  mkdir -p "$DIR"
  chmod 0711 "$DIR"
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    port_in_use "${ADDRESSES[0]}" "$port" || port_in_use "${ADDRESSES[1]}" "$port" || break
  done
  start_member "${MEMBERS[0]}"
  start_member "${MEMBERS[1]}"
  member "${MEMBERS[0]}" admin init --preseed >/dev/null <<PRESEED || die "bootstrapping ${MEMBERS[0]} failed; see $DIR/${MEMBERS[0]}.log"
config:
  core.https_address: ${ADDRESSES[0]}:$port
cluster:
  server_name: ${MEMBERS[0]}
  enabled: true
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
PRESEED
  local token
  token=$(member "${MEMBERS[0]}" cluster add "${MEMBERS[1]}" --quiet) || die "cluster add ${MEMBERS[1]} failed"
  member "${MEMBERS[1]}" admin init --preseed >/dev/null <<PRESEED || die "joining ${MEMBERS[1]} failed; see $DIR/${MEMBERS[1]}.log"
cluster:
  enabled: true
  server_name: ${MEMBERS[1]}
  server_address: ${ADDRESSES[1]}:$port
  cluster_token: $token
  member_config:
  - {entity: storage-pool, name: default, key: source, value: ""}
PRESEED
  mkdir -p "$DIR/export"
  incus image export pikaci-busybox "$DIR/export/image" >/dev/null || die "host 1 has no pikaci-busybox; run test/host/setup.sh"
  member "${MEMBERS[0]}" image import "$DIR"/export/image* --alias pikaci-busybox >/dev/null
  rm -rf "$DIR/export"
  echo "INCUS_DIR=$DIR/${MEMBERS[0]}"
  echo "MEMBERS=${MEMBERS[*]}"
}

stop() {
  local name pid inst
  if [ -f "$DIR/${MEMBERS[0]}.pid" ] && alive "$(cat "$DIR/${MEMBERS[0]}.pid")"; then
    for inst in $(member "${MEMBERS[0]}" list --all-projects -f csv -c n 2>/dev/null || true); do
      member "${MEMBERS[0]}" delete --force "$inst" >/dev/null 2>&1 || true
    done
  fi
  for name in "${MEMBERS[@]}"; do
    pid=$(cat "$DIR/$name.pid" 2>/dev/null || true)
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    fi
    # The tmpfs mounts an incusd makes in its INCUS_DIR outlive it.
    for m in guestapi shmounts; do mountpoint -q "$DIR/$name/$m" && umount -l "$DIR/$name/$m"; done
    rm -f "$DIR/$name.pid"
  done
  case "$DIR" in /tmp/* | /var/tmp/*) rm -rf -- "$DIR" ;; *) echo "cluster.sh: left $DIR in place (not under /tmp)" >&2 ;; esac
}

[ "$(id -u)" = 0 ] || die "run as root"
[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
DIR=$2
case "$1" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop DIR" ;;
esac
