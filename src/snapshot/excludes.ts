/**
 * The original's default excludes (pikaci-original.md, "Content-addressed snapshots"):
 * these names are dropped at any depth, whether they are directories or files.
 */
const ANY_DEPTH = new Set([".git", ".pikaci", ".direnv", "target"]);
/** Dropped only directly below the snapshot root (a nested `build/` is often source, e.g. `src/build`). */
const TOP_LEVEL = new Set(["node_modules", "build"]);
/** The metadata file of a published snapshot never hashes itself. */
export const METADATA_FILE = "pikaci-snapshot.json";

/**
 * One regex over the whole path decides the common case (nothing excluded) without splitting it;
 * it is a superset of the rules, so only its matches are checked part by part.
 */
const MAYBE_EXCLUDED =
  /(?:^|\/)(?:\.git|\.pikaci|\.direnv|target)(?:\/|$)|^(?:node_modules|build|pikaci-snapshot\.json)(?:\/|$)/;

/** True when `path` (relative, `/`-separated) or one of its ancestors is excluded. */
export function isExcluded(path: string): boolean {
  if (!MAYBE_EXCLUDED.test(path)) return false;
  if (path === METADATA_FILE) return true;
  const parts = path.split("/");
  if (TOP_LEVEL.has(parts[0] ?? "")) return true;
  return parts.some((part) => ANY_DEPTH.has(part));
}

/**
 * The rules above as data: part of what a tree memo (build.ts) was made under, so a change here
 * can never serve a snapshot listed by the old rules. Change the version with any rule of §1 of
 * docs/snapshot-hash.md that is not written here (the exec bit, what a file is).
 */
export const EXCLUDE_RULES = JSON.stringify({
  version: 1,
  ANY_DEPTH: [...ANY_DEPTH],
  TOP_LEVEL: [...TOP_LEVEL],
  METADATA_FILE,
});

/** For the recursive walk: whether to skip a name found in directory `parent` ("" is the root). */
export function isExcludedName(parent: string, name: string): boolean {
  if (ANY_DEPTH.has(name)) return true;
  return parent === "" && (TOP_LEVEL.has(name) || name === METADATA_FILE);
}

/**
 * The excludes that can be told to git as pathspecs at no cost (top-level prefixes), so `git status`
 * does not walk a state root or build output only for pikaci to drop them; isExcluded still decides.
 */
export const GIT_PATHSPEC_EXCLUDES: readonly string[] = [
  ".",
  ...[...ANY_DEPTH, ...TOP_LEVEL, METADATA_FILE]
    .filter((name) => name !== ".git")
    .map((name) => `:(exclude)${name}`),
];
