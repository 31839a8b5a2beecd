#!/usr/bin/env bash
# Install and start a REAL pikaci test build host on this machine (Debian 12, run as root):
#   - incus (bookworm-backports, container-only daemon) started without systemd, no network,
#   - guest images pikaci-busybox, pikaci-debian and pikaci-debian-node (Node 24 + git; rebuilt when
#     the runner or builders change),
#   - a copy-on-write btrfs storage pool pikaci-btrfs on a loop file, the default profile's root disk
#     (the `dir` pool `default` stays for lanes and tests that pass `--storage default`),
#   - a managed bridge pikacibr0 with NAT for lanes that opt into `network:` (instances get no NIC
#     otherwise),
#   - an OpenSSH server on a free loopback port with generated ed25519 host and client keys,
#   - a SECOND build host (test/host/host2.sh): a second incusd with its own INCUS_DIR and a second
#     sshd into it (skip with PIKACI_TEST_NO_HOST2=1).
# Idempotent: a second run reuses what is running and only rebuilds what changed.
# State: ${PIKACI_TEST_HOST_DIR:-<repo>/.test-host} (gitignored); host.env there describes the host.
# host.env format: KEY=value lines, no quotes (values never contain spaces or shell metacharacters),
# readable by `source` in bash and by a trivial KEY=value parser.
# Stop with: bash test/host/teardown.sh [--purge]
set -euo pipefail

START_SECONDS=$SECONDS
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${PIKACI_TEST_HOST_DIR:-$REPO/.test-host}
IMAGE_BUSYBOX=pikaci-busybox
IMAGE_DEBIAN=pikaci-debian
IMAGE_NODE=pikaci-debian-node
# The bridge lanes with `network: true` join. A private /24 unlikely to collide with a LAN, a VPN
# or Docker's 172.17/16; setup.sh refuses it when the machine already routes it.
# Copy-on-write pool: a Debian instance starts in ~1 s instead of ~5 s on `dir` (docs/incus-notes.md).
BTRFS_POOL=pikaci-btrfs
BTRFS_SIZE=${PIKACI_TEST_BTRFS_SIZE:-30GiB}
NETWORK=pikacibr0
NETWORK_CIDR=${PIKACI_TEST_NETWORK_CIDR:-10.213.77.1/24}
INCUSD=/usr/libexec/incus/incusd

say() { echo "==> $*"; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

[ "$(id -u)" = 0 ] || die "run as root: sudo bash test/host/setup.sh"
case "$STATE" in *[[:space:]\'\"\$\\]*) die "PIKACI_TEST_HOST_DIR='$STATE' must not contain spaces, quotes or \$; pick a plain path" ;; esac
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
# Search (x) but no listing for others, for what host 2's unprivileged containers reach in it (its
# daemon's own dir is outside, under /var/lib/pikaci-test: see host2.sh). The keys in it are 0600.
chmod 0711 "$STATE"

# ---------------------------------------------------------------- packages
# bats: the local executor's JUnit test runs it on this machine (the Debian image has its own).
# dnsmasq-base: Incus runs it for the managed bridge's DHCP and DNS; nftables for its NAT rules.
# btrfs-progs: Incus formats and manages the loop-file btrfs pool with it.
PACKAGES=(openssh-server openssh-client busybox-static debootstrap bats dnsmasq-base nftables btrfs-progs)
BACKPORTS_PACKAGES=(incus-base incus-client)
missing() { local p; for p in "$@"; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"; done; }

# The machine's own Debian source (deb822): URIs + Signed-By of the stanza that carries bookworm.
debian_source_field() { # field
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$1" 'BEGIN{RS=""} {
        ok=0; val=""
        n=split($0, lines, "\n")
        for (i=1;i<=n;i++) {
          if (lines[i] ~ /^Suites:/) { m=split(lines[i], s, /[ \t]+/); for (j=2;j<=m;j++) if (s[j]=="bookworm") ok=1 }
          if (index(lines[i], want ":") == 1) { val=substr(lines[i], length(want)+2); sub(/^[ \t]+/, "", val) }
        }
        if (ok && val != "") { print val; exit }
      }' "$f" | grep . && return 0
  done
  return 1
}

BACKPORTS_FILE=/etc/apt/sources.list.d/pikaci-backports.sources
ensure_backports_source() {
  local uris signed want
  uris=$(debian_source_field URIs) ||
    die "no Debian bookworm source found in /etc/apt/sources.list.d/*.sources; add one (deb822) so bookworm-backports can reuse its URI"
  signed=$(debian_source_field Signed-By || echo /usr/share/keyrings/debian-archive-keyring.gpg)
  want=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uris" "$signed")
  if [ ! -f "$BACKPORTS_FILE" ] || [ "$(cat "$BACKPORTS_FILE")" != "$want" ]; then
    say "enabling bookworm-backports ($BACKPORTS_FILE)"
    printf '%s\n' "$want" >"$BACKPORTS_FILE"
    return 0 # changed
  fi
  return 1
}

install_packages() {
  local need_plain need_bp updated=0
  local changed=0
  ensure_backports_source && changed=1
  mapfile -t need_plain < <(missing "${PACKAGES[@]}")
  mapfile -t need_bp < <(missing "${BACKPORTS_PACKAGES[@]}")
  if [ ${#need_plain[@]} -eq 0 ] && [ ${#need_bp[@]} -eq 0 ]; then
    say "packages already installed (incus $(dpkg-query -W -f='${Version}' incus-base))"
    return
  fi
  if [ "$changed" = 1 ] || ! apt-cache policy incus-base 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed; check /etc/apt/sources.list.d and the mirror"
    updated=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ ${#need_bp[@]} -gt 0 ]; then
    say "installing incus (${need_bp[*]}) from bookworm-backports"
    apt-get install -y -qq -t bookworm-backports --no-install-recommends "${need_bp[@]}" >/dev/null ||
      die "installing ${need_bp[*]} failed; try: apt-get update && apt-get install -t bookworm-backports ${need_bp[*]}"
  fi
  if [ ${#need_plain[@]} -gt 0 ]; then
    say "installing ${need_plain[*]}"
    apt-get install -y -qq --no-install-recommends "${need_plain[@]}" >/dev/null ||
      die "installing ${need_plain[*]} failed (apt-get update was run: $updated)"
  fi
}

# ---------------------------------------------------------------- incusd
incus_server_up() { incus version 2>/dev/null | grep -q '^Server version: [0-9]'; }

# The daemon itself, as it reports its own pid: `pidof incusd` also lists its short-lived helpers
# (`incusd forkexec …`) and every other incusd on the machine (test host 2's, another clone's), and
# recording one of those makes every e2e suite check the wrong daemon.
incusd_daemon_pid() {
  incus query /1.0 2>/dev/null | sed -n 's/^[[:space:]]*"server_pid": *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

start_incusd() {
  local pid=""
  [ -f "$STATE/incusd.pid" ] && pid=$(cat "$STATE/incusd.pid")
  if incus_server_up; then
    local server
    server=$(incusd_daemon_pid)
    # teardown.sh stops only a daemon this test-host dir started; one it adopts (the system's,
    # another clone's) is not its to stop.
    [ "$pid" = "$server" ] || rm -f "$STATE/incusd.pid"
    pid=$server
    say "incusd already running (pid $pid)"
    INCUSD_PID=$pid
    return
  fi
  if alive "$pid"; then
    say "incusd pid $pid is alive but not answering; stopping it"
    kill "$pid" 2>/dev/null || true
    sleep 2
  fi
  [ -x "$INCUSD" ] || die "$INCUSD not found; is incus-base installed? (apt-get install -t bookworm-backports incus-base)"
  say "starting incusd (log: $STATE/incusd.log)"
  # setsid: the daemon must not die with this shell or its terminal.
  setsid "$INCUSD" --group root --logfile "$STATE/incusd.log" </dev/null >>"$STATE/incusd.out" 2>&1 &
  pid=$!
  echo "$pid" >"$STATE/incusd.pid"
  local i
  for i in $(seq 1 60); do
    incus_server_up && break
    if ! alive "$pid"; then
      tail -n 30 "$STATE/incusd.log" "$STATE/incusd.out" >&2 || true
      die "incusd exited during start-up (log above); fix the cause and re-run setup.sh"
    fi
    sleep 0.5
  done
  if ! incus_server_up; then
    tail -n 30 "$STATE/incusd.log" "$STATE/incusd.out" >&2 || true
    die "incusd did not answer within 30 s (log above); check $STATE/incusd.log, then re-run setup.sh"
  fi
  INCUSD_PID=$(incusd_daemon_pid)
  INCUSD_PID=${INCUSD_PID:-$pid}
  say "incusd up (pid $INCUSD_PID, server $(incus version | sed -n 's/^Server version: //p'))"
}

preseed_incus() {
  # Any root disk counts: ensure_btrfs_pool may have moved it to the btrfs pool.
  if incus storage show default >/dev/null 2>&1 && [ -n "$(incus profile device get default root pool 2>/dev/null)" ]; then
    return
  fi
  say "initialising incus (dir pool 'default', no network)"
  incus admin init --preseed < <(dir_pool_preseed) || die "incus admin init --preseed failed; see $STATE/incusd.log"
}

# ---------------------------------------------------------------- btrfs pool
# A loop file under /var/lib/incus/disks (sparse: only used blocks take space). The default profile's
# root disk moves to it only once the pool exists, so instances being created meanwhile keep working;
# Incus unpacks each image into the pool the first time an instance uses it there.
ensure_btrfs_pool() {
  if ! incus storage show "$BTRFS_POOL" >/dev/null 2>&1; then
    grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null ||
      die "the kernel has no btrfs support; load it (modprobe btrfs) or set PIKACI_TEST_NO_BTRFS=1 to stay on the dir pool"
    say "creating btrfs storage pool $BTRFS_POOL (loop file, size=$BTRFS_SIZE)"
    incus storage create "$BTRFS_POOL" btrfs size="$BTRFS_SIZE" >/dev/null ||
      die "incus storage create $BTRFS_POOL btrfs failed; see $STATE/incusd.log (needs btrfs-progs)"
  else
    say "storage pool $BTRFS_POOL already exists ($(incus storage get "$BTRFS_POOL" size))"
  fi
  if [ "$(incus profile device get default root pool)" != "$BTRFS_POOL" ]; then
    say "default profile: root disk on $BTRFS_POOL"
    incus profile device set default root pool="$BTRFS_POOL" ||
      die "cannot move the default profile's root disk to $BTRFS_POOL"
  fi
}

# ---------------------------------------------------------------- images
image_prop() { # alias key
  incus image show "$1" 2>/dev/null | sed -n "s/^  $2: *//p" | tr -d "\"'"
}

ensure_image() { # alias kind what
  local alias=$1 kind=$2 what=$3 want have
  want=$(bash "$REPO/images/build-$kind.sh" --print-hash)
  have=$(image_prop "$alias" pikaci.build_hash || true)
  if [ -n "$have" ] && [ "$have" = "$want" ]; then
    say "image $alias up to date (${want:0:12})"
    return
  fi
  if [ -n "$have" ]; then say "image $alias is stale (runner or builder changed); rebuilding"; fi
  say "building image $alias ($what)"
  local t0=$SECONDS
  bash "$REPO/images/build-$kind.sh" --alias "$alias" --workdir "$STATE/build/$alias" ||
    die "building $alias failed (see above); fix it and re-run setup.sh"
  say "image $alias built in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- network
ensure_network() {
  if incus network show "$NETWORK" >/dev/null 2>&1; then
    say "network $NETWORK already exists ($(incus network get "$NETWORK" ipv4.address))"
    return
  fi
  local prefix=${NETWORK_CIDR%.*}
  if ip -4 route | awk '{print $1}' | grep -qF "$prefix."; then
    die "$NETWORK_CIDR collides with a route of this machine; set PIKACI_TEST_NETWORK_CIDR=10.x.y.1/24 and re-run"
  fi
  say "creating network $NETWORK ($NETWORK_CIDR, NAT, no IPv6) for lanes with network: true"
  incus network create "$NETWORK" ipv4.address="$NETWORK_CIDR" ipv4.nat=true ipv6.address=none >/dev/null ||
    die "incus network create $NETWORK failed; see $STATE/incusd.log (needs dnsmasq-base and nftables)"
}

# ---------------------------------------------------------------- sshd
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p
  if [ -f "$STATE/sshd.port" ]; then
    p=$(cat "$STATE/sshd.port")
    if ! port_in_use "$p"; then echo "$p"; return; fi
  fi
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free loopback port found in 20000-39999"
}

ssh_probe() { # port
  ssh -i "$STATE/id_ed25519" -p "$1" -o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$STATE/known_hosts" -o LogLevel=ERROR \
    root@127.0.0.1 'incus version >/dev/null && echo pikaci-ssh-ok' 2>/dev/null | grep -q pikaci-ssh-ok
}

write_sshd_config() { # port [file]
  cat >"${2:-$STATE/sshd_config}" <<CFG
# pikaci test host sshd (generated by test/host/setup.sh)
Port $1
ListenAddress 127.0.0.1
HostKey $STATE/ssh_host_ed25519_key
AuthorizedKeysFile $STATE/authorized_keys
PidFile $STATE/sshd.pid
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
AcceptEnv LANG LC_*
# SHLVL=1: Debian's bash sources ~/.bashrc for every non-interactive command sshd starts, unless it
# is a nested shell. The test host stands in for a build host whose ssh account runs no interactive
# shell setup; on a developer machine root's ~/.bashrc can be slow (here `pyenv init`: ~90 ms per
# command, and pikaci runs about five per lane), which would measure that machine, not pikaci.
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHLVL=1
Subsystem sftp internal-sftp
CFG
}

# shellcheck source=test/host/sshd-lib.sh
source "$REPO/test/host/sshd-lib.sh"
# shellcheck source=test/host/incus-lib.sh
source "$REPO/test/host/incus-lib.sh"

start_sshd() {
  [ -f "$STATE/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C pikaci-test-host -f "$STATE/ssh_host_ed25519_key"
  [ -f "$STATE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C pikaci-test-client -f "$STATE/id_ed25519"
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  local pid="" port=""
  [ -f "$STATE/sshd.pid" ] && pid=$(cat "$STATE/sshd.pid")
  [ -f "$STATE/sshd.port" ] && port=$(cat "$STATE/sshd.port")
  if alive "$pid" && [ -n "$port" ]; then
    write_known_hosts "$port"
    # A running sshd with an older config (this script changed) is restarted, not reused.
    write_sshd_config "$port" "$STATE/sshd_config.want"
    if ! cmp -s "$STATE/sshd_config.want" "$STATE/sshd_config"; then
      say "sshd config changed; restarting sshd (pid $pid)"
    elif ssh_probe "$port"; then
      say "sshd already running (pid $pid, port $port)"
      SSHD_PID=$pid SSHD_PORT=$port
      return
    else
      say "sshd pid $pid does not answer; restarting"
    fi
    kill "$pid" 2>/dev/null || true
    sleep 1
  fi
  port=$(pick_port)
  write_sshd_config "$port"
  write_known_hosts "$port"
  launch_sshd "$STATE" "$port" ssh_probe ""
  SSHD_PID=$(cat "$STATE/sshd.pid") SSHD_PORT=$port
}

write_known_hosts() { # port
  printf '[127.0.0.1]:%s %s\n' "$1" "$(awk '{print $1, $2}' "$STATE/ssh_host_ed25519_key.pub")" >"$STATE/known_hosts"
}

write_env() {
  local fp tmp="$STATE/host.env.tmp"
  fp=$(ssh-keygen -l -E sha256 -f "$STATE/ssh_host_ed25519_key.pub" | awk '{print $2}')
  cat >"$tmp" <<ENV
# pikaci test host (generated by test/host/setup.sh; KEY=value, no quoting)
PIKACI_TEST_SSH_HOST=127.0.0.1
PIKACI_TEST_SSH_PORT=$SSHD_PORT
PIKACI_TEST_SSH_USER=root
PIKACI_TEST_SSH_KEY=$STATE/id_ed25519
PIKACI_TEST_KNOWN_HOSTS_FILE=$STATE/known_hosts
PIKACI_TEST_HOST_KEY_FINGERPRINT=$fp
PIKACI_TEST_IMAGE=$IMAGE_BUSYBOX
PIKACI_TEST_IMAGE_DEBIAN=$IMAGE_DEBIAN
PIKACI_TEST_IMAGE_NODE=$IMAGE_NODE
PIKACI_TEST_NETWORK=$NETWORK
PIKACI_TEST_STORAGE_POOL=$(incus profile device get default root pool)
PIKACI_TEST_DIR_POOL=default
PIKACI_TEST_INCUSD_PID=$INCUSD_PID
PIKACI_TEST_SSHD_PID=$SSHD_PID
ENV
  if [ "${PIKACI_TEST_NO_HOST2:-0}" != 1 ]; then host2_env >>"$tmp"; fi
  mv -f "$tmp" "$STATE/host.env"
}

# ---------------------------------------------------------------- main
install_packages
start_incusd
preseed_incus
if [ "${PIKACI_TEST_NO_BTRFS:-0}" != 1 ]; then ensure_btrfs_pool; fi
ensure_image "$IMAGE_BUSYBOX" busybox "busybox-static, ~2 s"
ensure_image "$IMAGE_DEBIAN" debian "debootstrap, ~30-60 s"
ensure_image "$IMAGE_NODE" debian-node "debootstrap + git + Node 24 from the npm registry, ~2-4 min"
ensure_network
start_sshd
# shellcheck source=test/host/host2.sh
source "$REPO/test/host/host2.sh"
if [ "${PIKACI_TEST_NO_HOST2:-0}" != 1 ]; then setup_host2; fi
write_env
say "test host ready in $((SECONDS - START_SECONDS)) s: $STATE/host.env"
sed -n 's/^PIKACI_/    PIKACI_/p' "$STATE/host.env"
