#!/usr/bin/env bash
# Fetch a third-party test suite from the npm registry (`npm pack`), unpack it under .tmp/ (cached,
# gitignored) and print the package directory. Used by the e2e test and the benchmark that run a
# real project's own suite as a lane; the third-party code is never committed.
# Usage: scripts/third-party-suite.sh [PACKAGE@VERSION]   (default: urchin@0.0.5, a shell test
# framework whose package ships its own suite of POSIX sh tests)
set -euo pipefail
spec=${1:-urchin@0.0.5}
case "$spec" in *[!A-Za-z0-9@._/-]*) echo "error: unexpected package spec '$spec'" >&2; exit 2 ;; esac
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="$repo/.tmp/third-party/$(printf '%s' "$spec" | tr '@/' '--')"
if [ ! -f "$dir/.complete" ]; then
  command -v npm >/dev/null || { echo "error: npm not found; install Node.js and npm" >&2; exit 1; }
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "fetching $spec with npm pack into $dir" >&2
  tarball=$(cd "$dir" && npm pack "$spec" --silent 2>/dev/null | tail -n 1)
  [ -f "$dir/$tarball" ] || { echo "error: npm pack $spec failed; check the npm registry is reachable" >&2; exit 1; }
  tar -xzf "$dir/$tarball" -C "$dir"
  rm -f "$dir/$tarball"
  touch "$dir/.complete"
fi
echo "$dir/package"
