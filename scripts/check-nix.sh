#!/usr/bin/env bash
# Parse every .nix file in the repository with `nix-instantiate --parse` (syntax only; nothing is
# built or fetched). Installs Debian's nix-bin when nix-instantiate is missing (needs root + apt).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if ! command -v nix-instantiate >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing nix-bin (for nix-instantiate)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-bin >/dev/null ||
      { echo "check-nix.sh: apt-get install nix-bin failed; run apt-get update first" >&2; exit 1; }
  else
    echo "check-nix.sh: nix-instantiate not found; install Nix (Debian: apt-get install nix-bin)" >&2
    exit 1
  fi
fi

cd "$REPO"
failed=0 count=0
while IFS= read -r -d '' f; do
  count=$((count + 1))
  if nix-instantiate --parse "$f" >/dev/null 2>"$REPO/.nix-parse.err"; then
    echo "ok   $f"
  else
    echo "FAIL $f" >&2
    cat "$REPO/.nix-parse.err" >&2
    failed=$((failed + 1))
  fi
done < <(find . -name node_modules -prune -o -name .git -prune -o -name .test-host -prune -o -name '*.nix' -type f -print0 | sort -z)
rm -f "$REPO/.nix-parse.err"
echo "==> parsed $count .nix file(s), $failed failed"
[ "$failed" = 0 ]
