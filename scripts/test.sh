#!/usr/bin/env bash
# The test command (README, `npm test`, and .ci/run all call this).
# On a fresh machine it installs what the tests need — npm deps, the real test host (Incus + sshd +
# images), Node 24, Chromium — then runs every check CI enforces:
#   lint/format, typecheck, function lengths, JSON Schemas fresh, dist/ equal to a fresh build, every .nix file parses,
#   the systemd units in deploy/systemd verify,
#   unit tests on Node 20 and Node 24, end-to-end tests against the real sshd + Incus.
# PIKACI_E2E=0 skips the test host and the end-to-end tests (they then say so); CI never sets it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PIKACI_REPO="$repo"
mkdir -p .tmp test/artifacts
results="$repo/.tmp/test-results"
rm -rf "$results" && mkdir -p "$results"
started=$(date +%s)

step() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - started))" "$*"; }

step "npm dependencies"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.pikaci-lock-sum ] || [ "$(cat node_modules/.pikaci-lock-sum)" != "$lock_sum" ]; then
  # npm ci refuses a lock whose optional per-platform packages (biome's darwin/win32 builds) the
  # registry this machine reaches does not serve; npm install still honours the lock for the rest.
  npm ci --no-audit --no-fund || {
    echo "npm ci failed (see above); falling back to npm install, which keeps the locked versions"
    npm install --no-audit --no-fund
  }
  echo "$lock_sum" > node_modules/.pikaci-lock-sum
else
  echo "node_modules matches package-lock.json"
fi

e2e=1
if [ "${PIKACI_E2E:-1}" = "0" ]; then
  e2e=0
  echo "PIKACI_E2E=0: skipping the test host and the end-to-end tests"
fi

if [ "$e2e" = 1 ]; then
  step "test host: Incus + sshd + images (test/host/setup.sh)"
  bash test/host/setup.sh
  step "Chromium for the browser test"
  bash scripts/install-chromium.sh
fi

step "Node 24 (the runtime GitHub uses for actions)"
node24=$(bash scripts/node24.sh)

step "lint and format (biome)"
npx biome check .

step "typecheck (tsc)"
npx tsc -p tsconfig.json

step "function lengths (none over 80 lines, at most 5 over 60)"
npx tsx scripts/fn-length.ts --check

step "JSON Schemas are fresh"
npx tsx scripts/gen-schemas.ts --check

step "dist/ equals a fresh build"
bash scripts/check-dist.sh

step "every .nix file parses"
bash scripts/check-nix.sh

step "systemd units verify (systemd-analyze verify + security)"
bash scripts/check-systemd.sh


step "unit tests on Node 20"
PIKACI_NODE24="$node24" node node_modules/vitest/vitest.mjs run --project unit \
  --reporter=default --reporter=json --outputFile.json="$results/unit-node20.json"

step "unit tests on Node 24"
"$node24" node_modules/vitest/vitest.mjs run --project unit \
  --reporter=default --reporter=json --outputFile.json="$results/unit-node24.json"

if [ "$e2e" = 1 ]; then
  step "end-to-end tests (real sshd + Incus)"
  PIKACI_NODE24="$node24" node node_modules/vitest/vitest.mjs run --project e2e \
    --reporter=default --reporter=json --outputFile.json="$results/e2e-node20.json"
fi

step "done in $(($(date +%s) - started))s"
node scripts/sum-test-results.mjs "$results"
