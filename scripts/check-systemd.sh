#!/usr/bin/env bash
# Checks the systemd units in deploy/systemd/ without systemd running as PID 1:
#  - `systemd-analyze verify` must exit 0 AND print nothing: a misspelt or mis-valued directive is
#    only a warning ("Unknown key 'ProtectSytem' … ignoring"), yet silently drops the hardening;
#  - `systemd-analyze security --offline` must keep each service's exposure at or below its bar;
#  - systemd's env-file parser must read `pikaci app register`'s env file as the App does.
# verify needs every ExecStart binary to exist, so the units are checked from a temporary copy
# whose /usr/bin/node is this machine's node. Before trusting the result, the same check is run on
# a copy with a misspelt directive and must fail: a check that cannot fail is no check.
# Installs Debian's `systemd` package when systemd-analyze is missing (needs root + apt).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
units="$repo/deploy/systemd"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing systemd (for systemd-analyze)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null ||
      { echo "check-systemd.sh: apt-get install systemd failed; run apt-get update first" >&2; exit 1; }
  else
    echo "check-systemd.sh: systemd-analyze not found; install it (Debian: apt-get install systemd)" >&2
    exit 1
  fi
fi

node_bin=$(command -v node)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Warnings must reach stderr, not a journal.
export SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0

# verify_dir DIR: 0 when every unit in DIR verifies without a word.
verify_dir() {
  local out rc=0
  out=$(cd "$1" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || rc=$?
  if [ "$rc" != 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

copy_units() {
  mkdir -p "$2"
  for f in "$1"/*.service "$1"/*.timer; do
    sed "s#/usr/bin/node #$node_bin #" "$f" >"$2/$(basename "$f")"
  done
}

copy_units "$units" "$work/units"
copy_units "$units" "$work/broken"
sed -i 's/^\[Service\]$/[Service]\nProtectSytem=strict/' "$work/broken/pikaci-app.service"
if verify_dir "$work/broken" 2>/dev/null; then
  echo "check-systemd.sh: a misspelt directive passed verification; this check cannot fail here" >&2
  exit 1
fi

failed=0
if verify_dir "$work/units"; then
  echo "ok   systemd-analyze verify: $(cd "$units" && echo *.service *.timer)"
else
  echo "FAIL systemd-analyze verify (above)" >&2
  failed=1
fi

# Exposure bars ×10 (systemd-analyze security: 0 = locked down, 100 = fully exposed).
for pair in pikaci-app.service:15 pikaci-gc.service:17; do
  unit=${pair%%:*} bar=${pair##*:}
  shown="$((bar / 10)).$((bar % 10))"
  if report=$(systemd-analyze security --offline=yes --threshold="$bar" "$work/units/$unit" 2>&1); then
    echo "ok   $(printf '%s\n' "$report" | grep -o 'Overall exposure level.*' | tr -d '🙂😐🙁😨⚠') (at most $shown)"
  else
    printf '%s\n' "$report" | grep -E '✗|Overall' >&2
    echo "FAIL $unit: exposure above $shown; restore the hardening (lines marked ✗ above)" >&2
    failed=1
  fi
done

# The env file `pikaci app register` writes, read by systemd's own env-file parser.
generator=/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator
if [ -x "$generator" ]; then
  (cd "$repo" && npx tsx scripts/check-envfile-systemd.ts "$generator") || failed=1
else
  echo "FAIL $generator not found (Debian's systemd package provides it)" >&2
  failed=1
fi
[ "$failed" = 0 ]
