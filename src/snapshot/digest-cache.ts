import type { Stats } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { decodeCache, encodeCache, readCacheFile, type StoredCache } from "./digest-cache-file.js";

/**
 * Per-file digests remembered by stat identity (size, mtime, ctime, inode, device), so re-hashing
 * an unchanged tree only stats files.
 *
 * Racy-git guard: a file written in the same timestamp tick as our stat could change again without
 * changing its mtime. So an entry is only remembered when its mtime and ctime are older than the
 * moment this hash run started minus RACY_MARGIN_MS (covers timestamp granularity up to 2 s);
 * recently touched files are simply re-read next time.
 */
export const RACY_MARGIN_MS = 2000;

export interface DigestCache {
  lookup(path: string, stat: Stats): { digest: string; size: number } | undefined;
  remember(path: string, stat: Stats, digest: string): void;
  /** Writes the cache (only if it changed) atomically: temp file + rename. */
  save(): Promise<void>;
}

export async function loadDigestCache(params: {
  file: string | null;
  root: string;
  startedAtMs: number;
}): Promise<DigestCache> {
  const old = params.file === null ? null : decodeCache(await readCacheFile(params.file), params.root);
  const count = old?.paths.length ?? 0;
  // The listing comes in the same order as last time, so the next expected path is almost always
  // the right one; the path -> index map is only built when that guess misses.
  let byPath: Map<string, number> | null = null;
  let cursor = 0;
  let inOrder = true;
  /** In lookup order: an index into `old` for a hit, the path for a miss. */
  const order: (number | string)[] = [];
  const added = new Map<string, { stats: number[]; digest: string }>();
  let hits = 0;
  const trustedBefore = params.startedAtMs - RACY_MARGIN_MS;

  const indexOf = (path: string): number => {
    if (old === null) return -1;
    if (cursor < count && old.paths[cursor] === path) return cursor;
    inOrder = false;
    byPath ??= new Map(old.paths.map((p, i) => [p, i]));
    return byPath.get(path) ?? -1;
  };

  return {
    lookup(path, stat) {
      const i = indexOf(path);
      if (i < 0 || old === null || !old.matches(i, stat)) {
        order.push(path);
        return undefined;
      }
      cursor = i + 1;
      hits++;
      order.push(i);
      return { digest: old.digest(i), size: stat.size };
    },
    remember(path, stat, digest) {
      if (stat.mtimeMs >= trustedBefore || stat.ctimeMs >= trustedBefore) return;
      added.set(path, { stats: [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.dev], digest });
    },
    async save() {
      // The common warm run: every file a hit, in the stored order. Nothing to write.
      if (params.file === null || (added.size === 0 && hits === count && inOrder)) return;
      const out: StoredCache = { paths: [], stats: [], digests: [] };
      for (const item of order) {
        if (typeof item === "number") {
          out.paths.push(old!.paths[item]!);
          out.stats.push(...old!.statsOf(item));
          out.digests.push(old!.digest(item));
        } else {
          const stored = added.get(item);
          if (stored === undefined) continue;
          out.paths.push(item);
          out.stats.push(...stored.stats);
          out.digests.push(stored.digest);
        }
      }
      await mkdir(dirname(params.file), { recursive: true });
      const temp = `${params.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, encodeCache(params.root, out));
      await rename(temp, params.file);
    },
  };
}
