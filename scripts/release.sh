#!/usr/bin/env bash
# Tag a release of the pikaci Action (docs/deploy.md, "Releasing the Action"):
#   scripts/release.sh X.Y.Z [--test-command CMD]
# Refuses, naming the fix, unless: the work tree is clean; package.json's version is X.Y.Z;
# CHANGELOG.md has a "## [X.Y.Z]" section; the example workflows use pikaci/pikaci@vX; dist/
# equals a fresh build (scripts/check-dist.sh); and the tests pass (CMD, default `npm test`).
# Then it creates the annotated tag vX.Y.Z (message: the CHANGELOG section) and moves the major
# tag vX to the same commit, as GitHub's guidance for JavaScript actions asks. It never pushes:
# it prints the push commands.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

refuse() {
  echo "release refused: $1" >&2
  echo "  fix: $2" >&2
  exit 1
}

version=${1:-}
shift || true
test_command="npm test"
while [ $# -gt 0 ]; do
  case "$1" in
    --test-command) test_command=${2:?--test-command needs a command}; shift 2 ;;
    *) refuse "unknown option $1" "scripts/release.sh X.Y.Z [--test-command CMD]" ;;
  esac
done
[[ "$version" =~ ^([0-9]+)\.[0-9]+\.[0-9]+$ ]] ||
  refuse "'$version' is not a version X.Y.Z" "scripts/release.sh 1.2.3"
major="v${BASH_REMATCH[1]}"
tag="v$version"

[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  refuse "the work tree has uncommitted changes" "commit or stash them; a tag names a commit, not a work tree"
if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
  refuse "tag $tag already exists" "bump the version in package.json and CHANGELOG.md"
fi
package_version=$(node -p 'require("./package.json").version')
[ "$package_version" = "$version" ] ||
  refuse "package.json says $package_version, not $version" "set \"version\": \"$version\", run \`npm run build\`, commit"
notes=$(awk -v v="$version" '
  index($0, "## [" v "]") == 1 { on = 1; next }
  on && /^## / { exit }
  on { print }' CHANGELOG.md)
[ -n "$(printf '%s' "$notes" | tr -d '[:space:]')" ] ||
  refuse "CHANGELOG.md has no \"## [$version]\" section" "describe the release under \"## [$version] - $(date -u +%F)\""
stale_examples=$(grep -rhoE 'uses: +pikaci/pikaci@[^[:space:]]+' examples | grep -v "@$major\$" || true)
[ -z "$stale_examples" ] ||
  refuse "example workflows use ${stale_examples//$'\n'/, }" "point them at pikaci/pikaci@$major"

echo "==> dist/ equals a fresh build"
dist_check=$(bash scripts/check-dist.sh 2>&1) || {
  printf '%s\n' "$dist_check" >&2
  refuse "dist/ is stale" "run \`npm run build\`, commit dist/, and release again"
}

echo "==> tests: $test_command"
bash -c "$test_command" || refuse "the tests failed" "fix them (or the test host) and release again"

commit=$(git rev-parse HEAD)
git tag -a "$tag" -m "pikaci $version" -m "$notes" "$commit"
git tag -f -a "$major" -m "pikaci $major (moving major tag, now $version)" "$commit" >/dev/null
echo "tagged $tag and moved $major to ${commit:0:12}"
echo "publish with:"
echo "  git push origin $tag"
echo "  git push --force origin $major"
