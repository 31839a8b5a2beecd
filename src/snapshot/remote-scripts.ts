/**
 * The fixed POSIX sh scripts sync runs on the build host (which has sh, coreutils, findutils and
 * GNU tar, but no node). They are passed as `sh -c SCRIPT pikaci ARG…`: data only ever arrives as
 * positional arguments or on stdin, never interpolated into the script text.
 */

/** $1 work dir, $2 hash, $3 base hash or "". Prints `present` + metadata, `incomplete`, `base` or `absent`. */
export const PROBE_SCRIPT = `set -eu
umask 022
mkdir -p "$1/objects" "$1/snapshots" "$1/tmp"
cd "$1"
if [ -f "snapshots/$2/pikaci-snapshot.json" ]; then
  echo present
  cat "snapshots/$2/pikaci-snapshot.json"
elif [ -e "snapshots/$2" ]; then
  echo incomplete
elif [ -n "$3" ] && [ -f "snapshots/$3/pikaci-snapshot.json" ] && [ -d "snapshots/$3/tree" ]; then
  echo base
else
  echo absent
fi
`;

/**
 * $1 work dir; stdin: object paths `<xx>/<name>`, whitespace-separated (names are hex, checked
 * locally). Prints the ones the store has. \`ls\` via xargs, because sh's \`read\` takes a syscall
 * per byte from a pipe (1.3 MB for 20k objects). A lookup error only makes an object look missing,
 * which costs an upload, never correctness; so ls's status is ignored.
 */
export const PRESENT_SCRIPT = `cd "$1/objects" || exit 2
xargs -r ls -1d -- 2>/dev/null
exit 0
`;

/**
 * $1 work dir, $2 hash, $3 unique id, $4 base hash or "". stdin: a tar of o/<xx>/<object>,
 * removals (NUL-separated paths), tree.tar (entries under snapshots/.staging-…/tree, hard links to
 * objects/… or to the just-uploaded copies in tmp/<id>/o/…), meta.json. Objects enter the store by
 * link(2), which makes a fully written file appear atomically; the snapshot is assembled in a
 * staging dir and published by one rename. Prints `published`, or `lost` + the winner's metadata.
 */
export const PUBLISH_SCRIPT = `set -eu
umask 022
cd "$1"
t="$PWD/tmp/$3"
stage="snapshots/.staging-$2-$3"
trap 'rm -rf "$t" "$stage"' EXIT
mkdir -p "$t" "$stage"
tar -x --no-same-owner -C "$t" -f -
# Hard-link the new objects into the store in one process; -n keeps an object a concurrent
# uploader already stored (same content). The tree links to the copies in $t, so a skipped or
# failed link here costs only future reuse, never correctness; hence the status is not checked
# (coreutils >= 9.2 exits 1 when -n skipped a file).
if [ -d "$t/o" ]; then
  cp -aln "$t/o/." objects/ 2>/dev/null || true
fi
if [ -n "$4" ]; then
  cp -al "snapshots/$4/tree" "$stage/tree"
  (cd "$stage/tree" && xargs -0 -r rm -rf -- < "$t/removals")
fi
tar -x --no-same-owner -f "$t/tree.tar"
mv "$t/meta.json" "$stage/pikaci-snapshot.json"
if mv -T "$stage" "snapshots/$2" 2>/dev/null; then
  echo published
elif [ -f "snapshots/$2/pikaci-snapshot.json" ]; then
  echo lost
  cat "snapshots/$2/pikaci-snapshot.json"
else
  echo "pikaci: could not publish snapshots/$2" >&2
  exit 3
fi
`;

/** $1 tree dir. Lists every entry as NUL-terminated fields: type, path, octal mode, size, link target. */
export const LIST_TREE_SCRIPT = `set -eu
cd "$1"
find . -mindepth 1 -printf '%y\\0%P\\0%m\\0%s\\0%l\\0'
`;

/** $1 tree dir. sha256sum of every regular file, NUL-terminated lines, no name escaping. */
export const DIGEST_TREE_SCRIPT = `set -eu
cd "$1"
find . -type f -print0 | xargs -0 -r sha256sum -z
`;
