import { createHash } from "node:crypto";
import { lstatSync, readlinkSync, type Stats, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { CancelledError, UsageError } from "../errors/index.js";
import { type DigestCache, loadDigestCache } from "./digest-cache.js";
import type { TreeMemo } from "./digest-cache-file.js";
import { type FileEntry, isExecutable, type Snapshot, type SnapshotEntry } from "./entries.js";
import { EXCLUDE_RULES } from "./excludes.js";
import { FileHasher } from "./file-hasher.js";
import { HASH_PREFIX, hashSortedEntries, sortEntries } from "./hash-spec.js";
import { listIncluded } from "./include.js";
import { type ListedFiles, listFiles } from "./list-files.js";
import { StatKeys } from "./stat-keys.js";

export interface BuildSnapshotParams {
  root: string;
  /**
   * Digest cache file; null disables the cache. Default: `<stateRoot>/cache/digests-<root key>.bin`
   * when `stateRoot` is given, else `<root>/.pikaci/cache/digests-v3.bin`.
   */
  cacheFile?: string | null;
  /** pikaci's state directory (`--state-root`): keeps the digest cache out of the workspace. */
  stateRoot?: string;
  /** Ends the hash with a CancelledError (between listing and hashing, and between files). */
  signal?: AbortSignal;
  /** Worker threads hashing files besides the main thread (0: none). Default: see FileHasher. */
  threads?: number;
  now?: () => number;
  /** Only consulted for git's own location variables (GIT_DIR, GIT_INDEX_FILE, …). */
  env?: NodeJS.ProcessEnv;
  /** `snapshot.include` globs: ignored files (a prepared `node_modules/**`) added to the snapshot. */
  include?: readonly string[];
}

export function defaultDigestCacheFile(root: string, stateRoot?: string): string {
  if (stateRoot === undefined) return join(root, ".pikaci", "cache", "digests-v3.bin");
  // One state root serves many workspaces: one cache file per absolute root.
  const key = createHash("sha256").update(resolve(root)).digest("hex").slice(0, 16);
  return join(resolve(stateRoot), "cache", `digests-${key}.bin`);
}

/** Lists, stats and hashes a workspace. Empty directories are not part of a snapshot (git cannot track them). */
export async function buildSnapshot(params: BuildSnapshotParams): Promise<Snapshot> {
  const { root, exclude, cacheFile } = resolveBuild(params);
  const startedAtMs = (params.now ?? Date.now)();
  let loaded: DigestCache | undefined;
  const loadCache = () => (loaded ??= loadDigestCache({ file: cacheFile, root, startedAtMs }));
  // The tree memo: a clean git work tree whose index file is byte for byte the one of a run that
  // hashed every file is that run's snapshot. Git vouches that each tracked file still matches the
  // index's stat data and that nothing is untracked; the index being identical means the same
  // files with the same stat data as then; the digests of that run are the ones stored beside it.
  const include = params.include ?? [];
  const rules = snapshotRules(exclude);
  // Git does not vouch for ignored files, so an included tree never comes from (or makes) a memo.
  const memoOf = (c: DigestCache) => (include.length === 0 && c.memo?.rules === rules ? c.memo : null);
  throwIfCancelled(params.signal);
  // `git status` is the warm path's floor: it starts first, the cache is read while it runs, and
  // the memo's snapshot is built before its answer, to be dropped if git names a change.
  const listing = listFiles(root, { env: params.env, exclude, knownIndex: () => memoOf(loadCache())?.index });
  const cache = loadCache();
  const memo = memoOf(cache);
  const early = memo === null ? null : fromMemo(root, cache, memo);
  const listed = await listing;
  if (early !== null && listed.tree?.unchanged) return early;
  if (include.length > 0) addIncluded(listed, listIncluded(root, include, { stateRoot: exclude }));

  throwIfCancelled(params.signal);
  const { signal, threads } = params;
  const { found, unstored } = await statAndHash({ root, listed, cache, signal, threads });
  const { sorted, files, bytes } = finish(found.entries, found.dirs);
  const hash = hashSortedEntries(sorted);
  const tree = listed.tree;
  // Only a clean tree whose every digest was kept can be answered from the memo next time.
  const index = include.length === 0 && tree?.clean && unstored === 0 ? tree.indexId : null;
  await cache.save(index === null ? null : { index, rules, hash, symlinks: symlinksOf(sorted) });
  const { cacheHits } = found;
  return { root, hash, entries: sorted, files, bytes, cacheHits, source: listed.source, memo: false };
}

/** The absolute root, the digest cache file, and the state root to leave out when it lies inside. */
function resolveBuild(params: BuildSnapshotParams): {
  root: string;
  exclude: string | undefined;
  cacheFile: string | null;
} {
  const root = resolve(params.root);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`${root} is not a directory`, { hint: "pass the workspace directory to snapshot" });
  }
  const cacheFile =
    params.cacheFile === undefined ? defaultDigestCacheFile(root, params.stateRoot) : params.cacheFile;
  const stateRootInside = params.stateRoot === undefined ? null : pathInside(root, params.stateRoot);
  if (stateRootInside === "") {
    throw new UsageError(`the state root ${root} is the workspace itself`, {
      hint: "pass --state-root (or PIKACI_STATE_ROOT) outside the workspace, or a directory inside it",
    });
  }
  return { root, exclude: stateRootInside ?? undefined, cacheFile };
}

interface ToRead {
  path: string;
  stat: Stats;
  /** Where its entry is in `Found.entries`. */
  index: number;
}

interface Found {
  entries: SnapshotEntry[];
  dirs: Set<string>;
  cacheHits: number;
}

/**
 * Adds the listed paths to `found` as entries: digests from the cache where it holds; the other
 * files are handed to `read`, which fills in their digest and size at `entries[index]` later.
 */
function statListed(
  p: { root: string; listed: ListedFiles; cache: DigestCache },
  found: Found,
  read: (file: ToRead) => void,
): void {
  const { root, listed, cache } = p;
  const { entries, dirs } = found;
  // Files git vouches for: a cache hit on the index's stat data needs no syscall at all. A miss
  // (new content, or a git that records no nanoseconds) is stat'ed below like any other path.
  const toStat: string[] = [];
  for (const file of listed.indexed) {
    const hit = cache.lookup(file.path, file);
    if (hit === undefined) {
      toStat.push(file.path);
      continue;
    }
    found.cacheHits++;
    entries.push({ type: "file", path: file.path, exec: hit.exec, size: hit.size, digest: hit.digest });
    addParents(file.path, dirs);
  }
  for (const path of toStat.length === 0 ? listed.paths : [...listed.paths, ...toStat]) {
    // Listed paths are already normal relative paths: plain concatenation, no join() per file.
    const abs = `${root}/${path}`;
    // Sync stat on purpose: for a warm cache this loop is the whole cost, and lstatSync is cheaper than
    // a promise per file.
    const stat = lstatSync(abs, { throwIfNoEntry: false });
    if (stat === undefined) continue; // tracked but deleted in the work tree
    if (stat.isSymbolicLink()) {
      entries.push({ type: "symlink", path, target: readlinkSync(abs, "utf8") });
    } else if (stat.isFile()) {
      const hit = cache.lookup(path, stat);
      if (hit) found.cacheHits++;
      else read({ path, stat, index: entries.length });
      entries.push({
        type: "file",
        path,
        exec: isExecutable(stat.mode),
        size: hit?.size ?? 0,
        digest: hit?.digest ?? "",
      });
    } else {
      continue; // sockets, fifos, and submodule checkouts (a gitlink lists as a directory)
    }
    addParents(path, dirs);
  }
}

/**
 * Stats the listed paths and hashes the files the cache does not know. Hashing starts while the
 * stat goes on (threads take the first batches), so the two overlap.
 */
async function statAndHash(p: {
  root: string;
  listed: ListedFiles;
  cache: DigestCache;
  signal?: AbortSignal;
  threads?: number;
}): Promise<{ found: Found; unstored: number }> {
  const found: Found = { entries: [], dirs: new Set(), cacheHits: 0 };
  // What each queued file's digest goes with: its path, its entry, and its stat data.
  const paths: string[] = [];
  const indexes: number[] = [];
  const stats = new StatKeys();
  // Too recent for the cache, or changed while read: the next run hashes these again.
  let unstored = 0;
  const hasher = new FileHasher({
    root: p.root,
    signal: p.signal,
    threads: p.threads,
    onDigest: (i, { digest, size }) => {
      const entry = found.entries[indexes[i]!] as FileEntry;
      entry.digest = digest;
      entry.size = size;
      if (size !== stats.size(i) || !p.cache.remember(paths[i]!, stats.get(i), digest)) unstored++;
    },
  });
  try {
    statListed(p, found, ({ path, stat, index }) => {
      paths.push(path);
      indexes.push(index);
      stats.push(stat);
      hasher.add({ path, size: stat.size });
    });
  } catch (error) {
    await hasher.close();
    throw error;
  }
  await hasher.finish();
  return { found, unstored };
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError("cancelled while hashing the workspace");
}

function symlinksOf(sorted: readonly SnapshotEntry[]): [string, string][] {
  return sorted.flatMap((e): [string, string][] => (e.type === "symlink" ? [[e.path, e.target]] : []));
}

/** Included paths join the paths to stat, once each (an include may also match tracked files). */
function addIncluded(listed: { paths: string[]; indexed: readonly { path: string }[] }, included: string[]) {
  if (included.length === 0) return;
  const known = new Set(listed.paths);
  for (const file of listed.indexed) known.add(file.path);
  for (const path of included) if (!known.has(path)) listed.paths.push(path);
}

/** What a memo was made under: the hash format, the exclude rules, and the extra exclude. */
function snapshotRules(exclude: string | undefined): string {
  return JSON.stringify([HASH_PREFIX, EXCLUDE_RULES, exclude ?? null]);
}

/** The memo's snapshot: its files are exactly the ones stored in the digest cache beside it. */
function fromMemo(root: string, cache: DigestCache, memo: TreeMemo): Snapshot {
  const entries: SnapshotEntry[] = cache.storedFiles();
  const dirs = new Set<string>();
  for (const entry of entries) addParents(entry.path, dirs);
  for (const [path, target] of memo.symlinks) {
    entries.push({ type: "symlink", path, target });
    addParents(path, dirs);
  }
  const { sorted, files, bytes } = finish(entries, dirs);
  return {
    root,
    hash: memo.hash,
    entries: sorted,
    files,
    bytes,
    cacheHits: files,
    source: "git",
    memo: true,
  };
}

/** Adds the parent directories, sorts (docs/snapshot-hash.md), and counts the files and their bytes. */
function finish(entries: SnapshotEntry[], dirs: ReadonlySet<string>) {
  for (const path of dirs) entries.push({ type: "dir", path });
  const sorted = sortEntries(entries);
  let files = 0;
  let bytes = 0;
  for (const entry of sorted) {
    if (entry.type !== "file") continue;
    files++;
    bytes += entry.size;
  }
  return { sorted, files, bytes };
}

/** `inner` relative to `outer` (`/`-separated), or null when it is not inside it. */
function pathInside(outer: string, inner: string): string | null {
  const rel = relative(outer, resolve(inner));
  if (rel.startsWith("..") || isAbsolute(rel)) return null;
  return rel.split(sep).join("/");
}

function addParents(path: string, dirs: Set<string>): void {
  for (let slash = path.lastIndexOf("/"); slash > 0; slash = path.lastIndexOf("/", slash - 1)) {
    const parent = path.slice(0, slash);
    if (dirs.has(parent)) return;
    dirs.add(parent);
  }
}
