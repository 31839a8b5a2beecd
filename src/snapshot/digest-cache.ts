import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  decodeCache,
  encodeCache,
  type LoadedCache,
  readCacheFile,
  type StatKey,
  type StoredCache,
  storedStats,
  type TreeMemo,
} from "./digest-cache-file.js";
import { type FileEntry, isExecutable } from "./entries.js";

/**
 * Per-file digests remembered by stat identity (size, mtime, ctime, inode, device), so re-hashing
 * an unchanged tree only stats files (or, in a git work tree, only reads git's index: git-index.ts).
 *
 * Racy-git guard: a file written in the same timestamp tick as our stat could change again without
 * changing its mtime. So an entry is only remembered when its mtime and ctime are older than the
 * moment this hash run started minus RACY_MARGIN_MS (covers timestamp granularity up to 2 s);
 * recently touched files are simply re-read next time.
 */
export const RACY_MARGIN_MS = 2000;

export interface CacheHit {
  digest: string;
  size: number;
  exec: boolean;
}

export interface DigestCache {
  /** The tree memo stored with the digests, if any (see build.ts for when it holds). */
  readonly memo: TreeMemo | null;
  /** Every stored file, in stored order: with a holding memo, these are the snapshot's files. */
  storedFiles(): FileEntry[];
  /** A hit also says whether the file was executable when it was hashed (the key pins the mode). */
  lookup(path: string, key: StatKey): CacheHit | undefined;
  /** False when the file is too recent to be trusted later (the racy guard above): not stored. */
  remember(path: string, stat: StatKey & { mode: number }, digest: string): boolean;
  /** Writes the cache with `memo` (only if anything changed) atomically: temp file + rename. */
  save(memo: TreeMemo | null): Promise<void>;
}

/** Synchronous on purpose: a few MB from the page cache, read while git runs (see build.ts). */
export function loadDigestCache(params: {
  file: string | null;
  root: string;
  startedAtMs: number;
}): DigestCache {
  const old = params.file === null ? null : decodeCache(readCacheFile(params.file), params.root);
  const stored = old === null ? null : new StoredOrder(old);
  /** In lookup order: an index into `old` for a hit, the path for a miss. */
  const order: (number | string)[] = [];
  const added = new Map<string, { stats: number[]; digest: string }>();
  let hits = 0;
  const trustedBefore = params.startedAtMs - RACY_MARGIN_MS;
  return {
    lookup(path, key) {
      const i = stored?.find(path) ?? -1;
      if (i < 0 || old === null || !old.matches(i, key)) {
        order.push(path);
        return undefined;
      }
      hits++;
      order.push(i);
      return { digest: old.digest(i), size: key.size, exec: old.exec(i) };
    },
    memo: old?.memo ?? null,
    storedFiles: () => (old === null ? [] : storedFiles(old)),
    remember(path, stat, digest) {
      if (stat.mtimeMs >= trustedBefore || stat.ctimeMs >= trustedBefore) return false;
      // Without a file nothing is saved: keeping 20k digests only to drop them cost a cold hash ~5%.
      if (params.file !== null)
        added.set(path, { stats: storedStats(stat, isExecutable(stat.mode)), digest });
      return true;
    },
    async save(memo) {
      if (params.file === null) return;
      // The common warm run: every file a hit, in the stored order, the same memo. Nothing to write.
      const sameMemo = JSON.stringify(memo) === JSON.stringify(old?.memo ?? null);
      if (added.size === 0 && hits === (old?.count ?? 0) && !stored?.jumped && sameMemo) return;
      await writeAtomically(params.file, encodeCache(params.root, rewrite(order, old, added), memo));
    },
  };
}

/**
 * Finds stored paths by position: the listing comes in the same order as last time, so the next
 * expected path is almost always the right one; the path -> index map is only built when that
 * guess misses.
 */
class StoredOrder {
  private cursor = 0;
  private byPath: Map<string, number> | null = null;
  /** A lookup had to search the map: the stored order no longer matches, rewrite it. */
  jumped = false;

  constructor(private readonly old: LoadedCache) {}

  /** The stored index of `path`, or -1. A found path moves the cursor past it even when the file changed, so one edited file does not throw every later lookup off the stored order. */
  find(path: string): number {
    const i = this.indexOf(path);
    if (i >= 0) this.cursor = i + 1;
    return i;
  }

  private indexOf(path: string): number {
    const { old, cursor } = this;
    if (cursor < old.count && old.pathIs(cursor, path)) return cursor;
    // Every stored path was met, in order: this one is new (a file just created). No map needed.
    if (cursor === old.count && !this.jumped) return -1;
    this.jumped = true;
    this.byPath ??= new Map(Array.from({ length: old.count }, (_, i) => [old.pathAt(i), i]));
    return this.byPath.get(path) ?? -1;
  }
}

function storedFiles(old: LoadedCache): FileEntry[] {
  return Array.from({ length: old.count }, (_, i) => ({
    type: "file",
    path: old.pathAt(i),
    exec: old.exec(i),
    size: old.size(i),
    digest: old.digest(i),
  }));
}

/** The cache to write: hits kept and new digests added, in this run's lookup order. */
function rewrite(
  order: readonly (number | string)[],
  old: LoadedCache | null,
  added: ReadonlyMap<string, { stats: number[]; digest: string }>,
): StoredCache {
  const out: StoredCache = { paths: [], stats: [], digests: [] };
  // A path whose index-derived key missed is looked up again with its lstat key: keep it once.
  const written = new Set<string>();
  const keep = (path: string, stats: readonly number[], digest: string) => {
    written.add(path);
    out.paths.push(path);
    out.stats.push(...stats);
    out.digests.push(digest);
  };
  for (const item of order) {
    if (typeof item === "number") {
      const path = old!.pathAt(item);
      if (!written.has(path)) keep(path, old!.statsOf(item), old!.digest(item));
      continue;
    }
    const fresh = added.get(item);
    if (fresh !== undefined && !written.has(item)) keep(item, fresh.stats, fresh.digest);
  }
  return out;
}

async function writeAtomically(file: string, data: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
