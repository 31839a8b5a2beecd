# shellcheck shell=bash
# Starting a test build host's sshd and waiting until a probe gets through it: one way for host 1
# (setup.sh) and host 2 (host2.sh). The caller defines say/die.

# launch_sshd DIR PORT PROBE WHAT [PREFIX...]: DIR holds sshd_config and gets sshd.pid, sshd.port and
# sshd.log; PROBE PORT succeeds once a session reaches the right daemon; WHAT prefixes messages
# ("" or "host 2: "); PREFIX runs sshd (e.g. nsenter into daemon 2's mount namespace).
launch_sshd() {
  local dir=$1 port=$2 probe=$3 what=$4 i
  shift 4
  mkdir -p /run/sshd && chmod 0755 /run/sshd
  /usr/sbin/sshd -t -f "$dir/sshd_config" || die "${what}sshd config test failed ($dir/sshd_config)"
  say "${what}starting sshd on 127.0.0.1:$port"
  rm -f "$dir/sshd.pid"
  "$@" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || die "${what}sshd failed to start; see $dir/sshd.log"
  for i in $(seq 1 50); do [ -s "$dir/sshd.pid" ] && break; sleep 0.1; done
  [ -s "$dir/sshd.pid" ] || die "${what}sshd did not write $dir/sshd.pid; see $dir/sshd.log"
  echo "$port" >"$dir/sshd.port"
  for i in $(seq 1 30); do "$probe" "$port" && break; sleep 0.2; done
  "$probe" "$port" || die "${what}ssh to root@127.0.0.1:$port does not get through; see $dir/sshd.log"
}
