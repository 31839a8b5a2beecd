#!/usr/bin/env bash
# dist/ is committed (GitHub runs the action from it; `pikaci` and `pikaci app serve` run dist/cli.js and
# dist/app.js with plain node after `npm install --omit=dev`), so it must equal a fresh build.
# Rebuilds into a temporary folder and compares, so a dirty working tree is never overwritten.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
node scripts/bundle.mjs --outdir "$fresh" >/dev/null
if ! diff -r "$fresh" dist >/dev/null; then
  diff -r "$fresh" dist | head -20 >&2 || true
  echo "dist/ differs from a fresh build: run \`npm run bundle\` and commit dist/." >&2
  exit 1
fi
echo "dist/ is fresh"
