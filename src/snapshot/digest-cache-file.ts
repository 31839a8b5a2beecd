import { readFileSync } from "node:fs";
import { endianness } from "node:os";
import { z } from "zod";

/**
 * The digest cache on disk, laid out so that loading 20k entries is a few slices of one buffer
 * rather than a JSON parse (which alone cost a third of a warm re-hash):
 *
 *   MAGIC, u32le count, u32le root bytes, u32le path bytes, u32le memo bytes,
 *   root (UTF-8), paths (UTF-8, each followed by NUL),
 *   count x 6 float64le (size, mtimeMs, ctimeMs, ino, dev, exec 0|1), count x 64 hex digest bytes,
 *   memo (JSON, see TreeMemo; empty for none).
 *
 * `ino` and `dev` are kept modulo 2^32, the width git's index gives them, so a key read from the index
 * (see git-index.ts) can match one taken from lstat. `exec` is not part of the key: it is what the
 * file's mode said when it was hashed (a chmod changes ctime, so an unchanged key means an unchanged mode).
 *
 * Any length mismatch, a different root or non-hex digests make the whole cache empty.
 */
const MAGIC = Buffer.from("pikaci-digests-v3\n", "latin1");
const HEADER = MAGIC.length + 16;
const STAT_FIELDS = 6;
const STAT_BYTES = STAT_FIELDS * 8;
const DIGEST_BYTES = 64;
const LITTLE_ENDIAN = endianness() === "LE";

/** What identifies an unchanged file: the stat fields that any write, rename or chmod changes. */
export interface StatKey {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

/** The stored stat values of a file: its key, then whether it was executable. */
export function storedStats(key: StatKey, exec: boolean): number[] {
  return [key.size, key.mtimeMs, key.ctimeMs, key.ino >>> 0, key.dev >>> 0, exec ? 1 : 0];
}

/**
 * A clean git work tree's whole snapshot, remembered with what must be unchanged for it to hold
 * (see build.ts): the index file's checksum, the snapshot rules, and the files' digests stored
 * beside it in this cache. Symlinks are not in the digest cache, so their targets are kept here.
 */
export const TreeMemo = z.object({
  index: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/),
  rules: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  symlinks: z.array(z.tuple([z.string(), z.string()])),
});
export type TreeMemo = z.infer<typeof TreeMemo>;

export interface StoredCache {
  paths: string[];
  /** STAT_FIELDS numbers per path. */
  stats: number[];
  digests: string[];
}

export interface LoadedCache {
  count: number;
  memo: TreeMemo | null;
  /** Compares in place: a warm run of 20k hits allocates no path strings. */
  pathIs(index: number, path: string): boolean;
  pathAt(index: number): string;
  matches(index: number, key: StatKey): boolean;
  digest(index: number): string;
  exec(index: number): boolean;
  size(index: number): number;
  statsOf(index: number): number[];
}

export function readCacheFile(file: string): Buffer | null {
  // Missing or unreadable: a cache is only an optimisation, start empty. Read in one go: a few MB
  // from the page cache cost less than promise-sized chunks through the thread pool.
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

export function encodeCache(root: string, cache: StoredCache, memo: TreeMemo | null): Buffer {
  const count = cache.paths.length;
  const rootBytes = Buffer.from(root, "utf8");
  const paths = Buffer.from(cache.paths.map((path) => `${path}\0`).join(""), "utf8");
  const memoBytes = Buffer.from(memo === null ? "" : JSON.stringify(memo), "utf8");
  const out = Buffer.alloc(
    HEADER + rootBytes.length + paths.length + count * (STAT_BYTES + DIGEST_BYTES) + memoBytes.length,
  );
  MAGIC.copy(out, 0);
  out.writeUInt32LE(count, MAGIC.length);
  out.writeUInt32LE(rootBytes.length, MAGIC.length + 4);
  out.writeUInt32LE(paths.length, MAGIC.length + 8);
  out.writeUInt32LE(memoBytes.length, MAGIC.length + 12);
  let offset = HEADER;
  offset += rootBytes.copy(out, offset);
  offset += paths.copy(out, offset);
  for (const value of cache.stats) offset = out.writeDoubleLE(value, offset);
  offset += out.write(cache.digests.join(""), offset, "latin1");
  memoBytes.copy(out, offset);
  return out;
}

export function decodeCache(buf: Buffer | null, root: string): LoadedCache | null {
  if (buf === null || buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const count = buf.readUInt32LE(MAGIC.length);
  const rootLength = buf.readUInt32LE(MAGIC.length + 4);
  const pathsLength = buf.readUInt32LE(MAGIC.length + 8);
  const memoLength = buf.readUInt32LE(MAGIC.length + 12);
  const statsAt = HEADER + rootLength + pathsLength;
  const digestsAt = statsAt + count * STAT_BYTES;
  const memoAt = digestsAt + count * DIGEST_BYTES;
  if (buf.length !== memoAt + memoLength) return null;
  if (buf.toString("utf8", HEADER, HEADER + rootLength) !== root) return null;
  // One flat string and where each path starts in it, instead of 20k strings that every GC copies.
  const text = buf.toString("utf8", HEADER + rootLength, statsAt);
  const starts = new Int32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = at;
    const nul = text.indexOf("\0", at);
    if (nul < 0) return null;
    at = nul + 1;
  }
  if (at !== text.length) return null;
  starts[count] = at;
  const digests = buf.toString("latin1", digestsAt, memoAt);
  // One aligned copy of the stat block, so 20k lookups index a Float64Array instead of calling
  // readDoubleLE 100k times. The file is little-endian; a big-endian machine converts value by value.
  const stats = LITTLE_ENDIAN
    ? new Float64Array(buf.buffer.slice(buf.byteOffset + statsAt, buf.byteOffset + digestsAt))
    : Float64Array.from({ length: count * STAT_FIELDS }, (_, k) => buf.readDoubleLE(statsAt + k * 8));
  // A native hex round trip (a regex costs 3x more): only lowercase hex survives it unchanged.
  if (Buffer.from(digests, "hex").toString("hex") !== digests) return null;
  return {
    count,
    memo: memoLength === 0 ? null : parseMemo(buf.toString("utf8", memoAt, buf.length)),
    pathIs: (index, path) =>
      starts[index + 1]! - starts[index]! === path.length + 1 && text.startsWith(path, starts[index]),
    pathAt: (index) => text.slice(starts[index], starts[index + 1]! - 1),
    matches(index, key) {
      const at = index * STAT_FIELDS;
      return (
        stats[at] === key.size &&
        stats[at + 1] === key.mtimeMs &&
        stats[at + 2] === key.ctimeMs &&
        stats[at + 3] === key.ino >>> 0 &&
        stats[at + 4] === key.dev >>> 0
      );
    },
    digest: (index) => digests.slice(index * DIGEST_BYTES, (index + 1) * DIGEST_BYTES),
    exec: (index) => stats[index * STAT_FIELDS + 5] === 1,
    size: (index) => stats[index * STAT_FIELDS]!,
    statsOf: (index) => Array.from(stats.subarray(index * STAT_FIELDS, (index + 1) * STAT_FIELDS)),
  };
}

function parseMemo(text: string): TreeMemo | null {
  try {
    return TreeMemo.parse(JSON.parse(text));
  } catch {
    return null; // a memo is only an optimisation
  }
}
