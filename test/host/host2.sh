# shellcheck shell=bash
# The SECOND test build host (issue 13: several build hosts). Sourced by setup.sh, teardown.sh and
# host2-sshd.sh, which define STATE, INCUSD and say/die/alive/port_in_use first.
#
# Host 2 is a second incusd, side by side with the first: its own INCUS_DIR (and so its own unix
# socket, database, images and btrfs pool), no network bridge (two daemons would share nftables'
# `incus` table; lanes that opt into `network:` belong on host 1), and its own sshd whose sessions
# set INCUS_DIR, so the `incus` CLI that pikaci runs over ssh talks to daemon 2.
# Both run in a private mount namespace where /var/tmp (pikaci's default remote work dir lives
# under it, and the e2e sandboxes' work dirs too) is a directory of host 2's own: what pikaci
# syncs to host 2 is not visible on host 1, as on two machines.
# shellcheck source=test/host/sshd-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sshd-lib.sh"
# shellcheck source=test/host/incus-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/incus-lib.sh"
H2=$STATE/host2
# The daemon's own directory lives outside STATE: its unprivileged containers must traverse every
# directory above their rootfs, and a clone's parent may be private (mktemp -d makes 0700). One per
# test-host dir, so two clones on one machine do not share a daemon.
H2_INCUS_DIR=/var/lib/pikaci-test/host2-$(printf %s "$STATE" | sha256sum | cut -c1-12)
H2_VAR_TMP=$H2/var-tmp
H2_IMAGES=(pikaci-busybox pikaci-debian pikaci-debian-node)
H2_BTRFS_SIZE=${PIKACI_TEST_HOST2_BTRFS_SIZE:-10GiB}

incus2() { INCUS_DIR=$H2_INCUS_DIR incus "$@"; }
incus2_up() { incus2 version 2>/dev/null | grep -q '^Server version: [0-9]'; }
h2_pid() { [ -f "$H2/$1.pid" ] && cat "$H2/$1.pid"; }
mnt_ns() { readlink "/proc/$1/ns/mnt" 2>/dev/null; }

start_incusd2() {
  mkdir -p "$H2_INCUS_DIR" "$H2_VAR_TMP"
  chmod 0711 /var/lib/pikaci-test "$H2_INCUS_DIR"
  chmod 1777 "$H2_VAR_TMP"
  local pid
  pid=$(h2_pid incusd || true)
  if alive "$pid" && incus2_up; then
    say "host 2: incusd already running (pid $pid, INCUS_DIR=$H2_INCUS_DIR)"
    INCUSD2_PID=$pid
    return
  fi
  if alive "$pid"; then
    say "host 2: incusd pid $pid is alive but not answering; stopping it"
    kill "$pid" 2>/dev/null || true
    sleep 2
  fi
  say "host 2: starting a second incusd (INCUS_DIR=$H2_INCUS_DIR, log: $H2/incusd.log)"
  # unshare + sh + incusd exec in turn, so $! is the daemon itself. Propagation slave: the private
  # /var/tmp stays inside, while mounts made on the machine still show through.
  setsid unshare --mount --propagation slave -- sh -c \
    'mount --bind "$1" /var/tmp && INCUS_DIR="$2" exec "$3" --group root --logfile "$4"' \
    pikaci-host2 "$H2_VAR_TMP" "$H2_INCUS_DIR" "$INCUSD" "$H2/incusd.log" \
    </dev/null >>"$H2/incusd.out" 2>&1 &
  pid=$!
  echo "$pid" >"$H2/incusd.pid"
  local i
  for i in $(seq 1 60); do
    incus2_up && break
    alive "$pid" || { tail -n 30 "$H2/incusd.log" "$H2/incusd.out" >&2 || true; die "host 2: incusd exited during start-up (log above)"; }
    sleep 0.5
  done
  incus2_up || die "host 2: incusd did not answer within 30 s; see $H2/incusd.log"
  INCUSD2_PID=$pid
  say "host 2: incusd up (pid $pid)"
}

preseed_incus2() {
  if ! incus2 storage show default >/dev/null 2>&1; then
    say "host 2: initialising incus (dir pool 'default', no network)"
    incus2 admin init --preseed < <(dir_pool_preseed) || die "host 2: incus admin init --preseed failed; see $H2/incusd.log"
  fi
  [ "${PIKACI_TEST_NO_BTRFS:-0}" = 1 ] && return
  # The same pool name as host 1's, so a lane's `--storage` means the same on both hosts.
  if ! incus2 storage show "$BTRFS_POOL" >/dev/null 2>&1; then
    say "host 2: creating btrfs storage pool $BTRFS_POOL (loop file, size=$H2_BTRFS_SIZE)"
    incus2 storage create "$BTRFS_POOL" btrfs size="$H2_BTRFS_SIZE" >/dev/null ||
      die "host 2: incus storage create $BTRFS_POOL failed; see $H2/incusd.log"
  fi
  if [ "$(incus2 profile device get default root pool)" != "$BTRFS_POOL" ]; then
    incus2 profile device set default root pool="$BTRFS_POOL" || die "host 2: cannot move the root disk to $BTRFS_POOL"
  fi
}

image_fingerprint() { # incus-command alias
  { "$1" image info "$2" 2>/dev/null || true; } | sed -n 's/^Fingerprint: *//p'
}

# Host 2 gets host 1's images byte for byte (export + import), so both run the same guest.
sync_images2() {
  local alias want have dir
  for alias in "${H2_IMAGES[@]}"; do
    want=$(image_fingerprint incus "$alias")
    [ -n "$want" ] || die "host 2: host 1 has no image $alias to copy; re-run setup.sh without errors first"
    have=$(image_fingerprint incus2 "$alias")
    if [ "$have" = "$want" ]; then
      say "host 2: image $alias up to date (${want:0:12})"
      continue
    fi
    say "host 2: copying image $alias from host 1 (${want:0:12})"
    dir=$H2/export/$alias
    rm -rf "$dir" && mkdir -p "$dir"
    incus image export "$alias" "$dir/image" >/dev/null || die "incus image export $alias failed"
    [ -z "$have" ] || incus2 image alias delete "$alias" || die "host 2: cannot drop the stale alias $alias"
    incus2 image import "$dir"/image* --alias "$alias" >/dev/null || die "host 2: incus image import $alias failed"
    rm -rf "$dir"
  done
}

write_sshd2_config() { # port file
  cat >"$2" <<CFG
# pikaci test host 2 sshd (generated by test/host/setup.sh)
Port $1
ListenAddress 127.0.0.1
HostKey $H2/ssh_host_ed25519_key
AuthorizedKeysFile $STATE/authorized_keys
PidFile $H2/sshd.pid
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
MaxSessions 10
MaxStartups 30:30:100
X11Forwarding no
PrintMotd no
# INCUS_DIR: every session's incus CLI talks to daemon 2 (SHLVL=1: see host 1's sshd_config).
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHLVL=1 INCUS_DIR=$H2_INCUS_DIR
Subsystem sftp internal-sftp
CFG
}

# Answers only when the session's `incus` reaches daemon 2 itself (its server_pid), not daemon 1.
ssh2_probe() { # port
  local want out
  want=$(h2_pid incusd)
  out=$(ssh -i "$STATE/id_ed25519" -p "$1" -o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$H2/known_hosts" -o LogLevel=ERROR \
    root@127.0.0.1 'incus query /1.0' 2>/dev/null | sed -n 's/^[[:space:]]*"server_pid":[[:space:]]*\([0-9]*\).*/\1/p')
  [ -n "$out" ] && [ "$out" = "$want" ]
}

pick_port2() {
  local p
  p=$(cat "$H2/sshd.port" 2>/dev/null || true)
  if [ -n "$p" ] && ! port_in_use "$p"; then echo "$p"; return; fi
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free loopback port found in 20000-39999 for host 2's sshd"
}

# Kills host 2's sshd and every process below it (per-connection sshd, session shells, incus
# clients), as when the machine goes away: live sessions die, not only the listener.
stop_sshd2() {
  local pid all
  pid=$(h2_pid sshd || true)
  if ! alive "$pid"; then say "host 2: sshd not running"; rm -f "$H2/sshd.pid"; return; fi
  kill -STOP "$pid" 2>/dev/null || true # no new connections while the tree is collected
  all=$(descendants "$pid")
  say "host 2: killing sshd (pid $pid) and its $(echo "$all" | wc -w) session processes"
  # shellcheck disable=SC2086
  kill -KILL "$pid" $all 2>/dev/null || true
  for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
  rm -f "$H2/sshd.pid"
}

descendants() { # pid
  local child
  for child in $(ps -o pid= --ppid "$1"); do
    echo "$child"
    descendants "$child"
  done
}

start_sshd2() {
  mkdir -p "$H2"
  [ -f "$H2/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C pikaci-test-host2 -f "$H2/ssh_host_ed25519_key"
  local pid port
  pid=$(h2_pid sshd || true)
  port=$(cat "$H2/sshd.port" 2>/dev/null || true)
  if alive "$pid" && [ -n "$port" ]; then
    write_known_hosts2 "$port"
    write_sshd2_config "$port" "$H2/sshd_config.want"
    if ! cmp -s "$H2/sshd_config.want" "$H2/sshd_config"; then
      say "host 2: sshd config changed; restarting sshd"
    elif [ "$(mnt_ns "$pid")" != "$(mnt_ns "$(h2_pid incusd)")" ]; then
      say "host 2: sshd is outside the (restarted) incusd's mount namespace; restarting sshd"
    elif ssh2_probe "$port"; then
      say "host 2: sshd already running (pid $pid, port $port)"
      SSHD2_PID=$pid SSHD2_PORT=$port
      return
    else
      say "host 2: sshd pid $pid does not reach daemon 2; restarting"
    fi
    stop_sshd2
  fi
  alive "$(h2_pid incusd)" || die "host 2: incusd is not running; run setup.sh"
  port=$(pick_port2)
  write_sshd2_config "$port" "$H2/sshd_config"
  write_known_hosts2 "$port"
  # In daemon 2's mount namespace, so its sessions see host 2's own /var/tmp.
  launch_sshd "$H2" "$port" ssh2_probe "host 2: " nsenter --target "$(h2_pid incusd)" --mount --
  SSHD2_PID=$(cat "$H2/sshd.pid") SSHD2_PORT=$port
}

write_known_hosts2() { # port
  printf '[127.0.0.1]:%s %s\n' "$1" "$(awk '{print $1, $2}' "$H2/ssh_host_ed25519_key.pub")" >"$H2/known_hosts"
}

# host.env lines for host 2 (PROJECT is empty: it is a daemon of its own, not a project of host 1).
host2_env() {
  cat <<ENV
PIKACI_TEST_HOST2_URL=ssh://root@127.0.0.1:$SSHD2_PORT
PIKACI_TEST_HOST2_SSH_PORT=$SSHD2_PORT
PIKACI_TEST_HOST2_PROJECT=
PIKACI_TEST_HOST2_KNOWN_HOSTS_FILE=$H2/known_hosts
PIKACI_TEST_HOST2_KEY_FINGERPRINT=$(ssh-keygen -l -E sha256 -f "$H2/ssh_host_ed25519_key.pub" | awk '{print $2}')
PIKACI_TEST_HOST2_INCUS_DIR=$H2_INCUS_DIR
PIKACI_TEST_HOST2_INCUSD_PID=$INCUSD2_PID
PIKACI_TEST_HOST2_SSHD_PID=$SSHD2_PID
ENV
}

setup_host2() {
  start_incusd2
  preseed_incus2
  sync_images2
  start_sshd2
}
