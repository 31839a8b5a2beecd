/**
 * The fixed POSIX sh scripts sync runs on the build host (which has sh, coreutils, findutils and
 * GNU tar, but no node). They are passed as `sh -c SCRIPT pikaci ARG…`: data only ever arrives as
 * positional arguments or on stdin, never interpolated into the script text.
 */

/**
 * $1 work dir, $2 hash, $3 the local base hash or "", $4 lineage key (hex) or "". Prints
 * `present` + metadata, `incomplete`, `base` (the local base is usable), `hostbase <hash>` + the
 * gzipped manifest of the lineage's last published snapshot, or `absent`. A reused snapshot also
 * becomes its lineage's base. A base that is gone, half-gone or lacks a manifest is simply not
 * offered; a manifest that fails mid-stream is caught by the client's hash check.
 */
export const PROBE_SCRIPT = `set -eu
umask 022
mkdir -p "$1/objects" "$1/snapshots" "$1/tmp" "$1/bases"
cd "$1"
usable() {
  case "$1" in *[!0-9a-f]*) return 1 ;; esac
  [ \${#1} -eq 64 ] && [ -f "snapshots/$1/pikaci-snapshot.json" ] && [ -d "snapshots/$1/tree" ]
}
if [ -f "snapshots/$2/pikaci-snapshot.json" ]; then
  echo present
  cat "snapshots/$2/pikaci-snapshot.json"
  if [ -n "$4" ] && [ -f "snapshots/$2/manifest.v1" ] && [ "$(cat "bases/$4" 2>/dev/null || true)" != "$2" ]; then
    { printf '%s\\n' "$2" > "bases/.$4.$$" && mv -f "bases/.$4.$$" "bases/$4"; } 2>/dev/null || rm -f "bases/.$4.$$"
  fi
elif [ -e "snapshots/$2" ]; then
  echo incomplete
elif [ -n "$3" ] && usable "$3"; then
  echo base
else
  b=""
  [ -z "$4" ] || b=$(head -c 64 "bases/$4" 2>/dev/null || true)
  if [ -n "$b" ] && usable "$b" && [ -f "snapshots/$b/manifest.v1" ]; then
    echo "hostbase $b"
    gzip -c 2>/dev/null < "snapshots/$b/manifest.v1" || true
  else
    echo absent
  fi
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
 * $1 work dir, $2 hash, $3 unique id, $4 base hash or "", $5 lineage key or "". stdin: a tar of
 * o/<xx>/<object>, removals (NUL-separated paths), manifest.del (manifest keys of removed paths),
 * manifest.add.gz (manifest lines of added entries), tree.tar (entries under
 * snapshots/.staging-…/tree, hard links to objects/… or to the just-uploaded copies in
 * tmp/<id>/o/…), meta.json. Objects enter the store by link(2), which makes a fully written file
 * appear atomically; the snapshot is assembled in a staging dir and published by one rename, then
 * the lineage pointer is replaced by rename. Prints `published`, or `lost` + the winner's metadata.
 */
export const PUBLISH_SCRIPT = `set -eu
umask 022
cd "$1"
t="$PWD/tmp/$3"
stage="snapshots/.staging-$2-$3"
trap 'rm -rf "$t" "$stage"' EXIT
mkdir -p "$t" "$stage" bases
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
# The manifest: the base's lines minus removed keys, plus the added lines. Without a base manifest
# the snapshot is published without one (later clients then fall back to a full path list).
manifest() {
  printf 'pikaci-manifest-v1\\t%s\\n' "$2" || return 1
  if [ -n "$4" ]; then
    [ -f "snapshots/$4/manifest.v1" ] || return 1
    LC_ALL=C awk 'BEGIN { FS = "\\t" } FILENAME == ARGV[1] { del[$0] = 1; next } FNR > 1 && !($1 in del)' \\
      "$t/manifest.del" "snapshots/$4/manifest.v1" || return 1
  fi
  gzip -dc < "$t/manifest.add.gz"
}
if manifest "$@" > "$stage/manifest.v1.tmp" 2>/dev/null; then
  mv "$stage/manifest.v1.tmp" "$stage/manifest.v1"
else
  rm -f "$stage/manifest.v1.tmp"
fi
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
if [ -n "$5" ] && [ -f "snapshots/$2/manifest.v1" ]; then
  { printf '%s\\n' "$2" > "bases/.$5.$3" && mv -f "bases/.$5.$3" "bases/$5"; } 2>/dev/null || rm -f "bases/.$5.$3"
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
