import type { Stats } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Per-file digests remembered by stat identity (size, mtime, ctime, inode, device), so re-hashing
 * an unchanged tree only stats files.
 *
 * Racy-git guard: a file written in the same timestamp tick as our stat could change again without
 * changing its mtime. So an entry is only remembered when its mtime and ctime are older than the
 * moment this hash run started minus RACY_MARGIN_MS (covers timestamp granularity up to 2 s);
 * recently touched files are simply re-read next time.
 */
const VERSION = 1;
export const RACY_MARGIN_MS = 2000;

export interface DigestCache {
  lookup(path: string, stat: Stats): { digest: string; size: number } | undefined;
  remember(path: string, stat: Stats, digest: string): void;
  /** Writes the cache (only if it changed) atomically: temp file + rename. */
  save(): Promise<void>;
}

/** [size, mtimeMs, ctimeMs, ino, dev, digest]; millisecond doubles keep sub-microsecond precision. */
type Stored = [number, number, number, number, number, string];

export async function loadDigestCache(params: {
  file: string | null;
  root: string;
  startedAtMs: number;
}): Promise<DigestCache> {
  const old = params.file === null ? {} : await readEntries(params.file, params.root);
  const oldSize = Object.keys(old).length;
  // Hits are only collected as paths: the common warm run never writes the cache back.
  const hits: string[] = [];
  const added: [string, Stored][] = [];
  const trustedBefore = params.startedAtMs - RACY_MARGIN_MS;
  return {
    lookup(path, stat) {
      const hit = Object.hasOwn(old, path) ? old[path] : undefined;
      if (
        hit === undefined ||
        hit[0] !== stat.size ||
        hit[1] !== stat.mtimeMs ||
        hit[2] !== stat.ctimeMs ||
        hit[3] !== stat.ino ||
        hit[4] !== stat.dev
      ) {
        return undefined;
      }
      hits.push(path);
      return { digest: hit[5], size: stat.size };
    },
    remember(path, stat, digest) {
      if (stat.mtimeMs >= trustedBefore || stat.ctimeMs >= trustedBefore) return;
      added.push([path, [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.dev, digest]]);
    },
    async save() {
      if (params.file === null || (added.length === 0 && hits.length === oldSize)) return;
      const entries: Record<string, Stored> = Object.create(null);
      for (const path of hits) entries[path] = old[path]!;
      for (const [path, stored] of added) entries[path] = stored;
      const body = JSON.stringify({ version: VERSION, root: params.root, entries });
      await mkdir(dirname(params.file), { recursive: true });
      const temp = `${params.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, body);
      await rename(temp, params.file);
    },
  };
}

async function readEntries(file: string, root: string): Promise<Record<string, Stored>> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as {
      version?: unknown;
      root?: unknown;
      entries?: Record<string, Stored>;
    };
    if (parsed.version !== VERSION || parsed.root !== root || typeof parsed.entries !== "object") return {};
    return parsed.entries;
  } catch {
    // Missing or corrupt: a cache is only an optimisation, start empty.
    return {};
  }
}
