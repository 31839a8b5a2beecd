import type { Stats } from "node:fs";
import { readFile } from "node:fs/promises";

/**
 * The digest cache on disk, laid out so that loading 20k entries is a few slices of one buffer
 * rather than a JSON parse (which alone cost a third of a warm re-hash):
 *
 *   MAGIC, u32le count, u32le root bytes, u32le path bytes,
 *   root (UTF-8), paths (UTF-8, each followed by NUL),
 *   count x 5 float64le (size, mtimeMs, ctimeMs, ino, dev), count x 64 hex digest bytes.
 *
 * Any length mismatch, a different root or non-hex digests make the whole cache empty.
 */
const MAGIC = Buffer.from("pikaci-digests-v2\n", "latin1");
const HEADER = MAGIC.length + 12;
const STAT_FIELDS = 5;
const STAT_BYTES = STAT_FIELDS * 8;
const DIGEST_BYTES = 64;

export interface StoredCache {
  paths: string[];
  /** STAT_FIELDS numbers per path. */
  stats: number[];
  digests: string[];
}

export interface LoadedCache {
  paths: string[];
  matches(index: number, stat: Stats): boolean;
  digest(index: number): string;
  statsOf(index: number): number[];
}

export async function readCacheFile(file: string): Promise<Buffer | null> {
  // Missing or unreadable: a cache is only an optimisation, start empty.
  return readFile(file).catch(() => null);
}

export function encodeCache(root: string, cache: StoredCache): Buffer {
  const count = cache.paths.length;
  const rootBytes = Buffer.from(root, "utf8");
  const paths = Buffer.from(cache.paths.map((path) => `${path}\0`).join(""), "utf8");
  const out = Buffer.alloc(HEADER + rootBytes.length + paths.length + count * (STAT_BYTES + DIGEST_BYTES));
  MAGIC.copy(out, 0);
  out.writeUInt32LE(count, MAGIC.length);
  out.writeUInt32LE(rootBytes.length, MAGIC.length + 4);
  out.writeUInt32LE(paths.length, MAGIC.length + 8);
  let offset = HEADER;
  offset += rootBytes.copy(out, offset);
  offset += paths.copy(out, offset);
  for (const value of cache.stats) offset = out.writeDoubleLE(value, offset);
  out.write(cache.digests.join(""), offset, "latin1");
  return out;
}

export function decodeCache(buf: Buffer | null, root: string): LoadedCache | null {
  if (buf === null || buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const count = buf.readUInt32LE(MAGIC.length);
  const rootLength = buf.readUInt32LE(MAGIC.length + 4);
  const pathsLength = buf.readUInt32LE(MAGIC.length + 8);
  const statsAt = HEADER + rootLength + pathsLength;
  const digestsAt = statsAt + count * STAT_BYTES;
  if (buf.length !== digestsAt + count * DIGEST_BYTES) return null;
  if (buf.toString("utf8", HEADER, HEADER + rootLength) !== root) return null;
  const paths = buf.toString("utf8", HEADER + rootLength, statsAt).split("\0");
  if (paths.pop() !== "" || paths.length !== count) return null;
  const digests = buf.toString("latin1", digestsAt, buf.length);
  // A native hex round trip (a regex costs 3x more): only lowercase hex survives it unchanged.
  if (Buffer.from(digests, "hex").toString("hex") !== digests) return null;
  return {
    paths,
    matches(index, stat) {
      const at = statsAt + index * STAT_BYTES;
      return (
        buf.readDoubleLE(at) === stat.size &&
        buf.readDoubleLE(at + 8) === stat.mtimeMs &&
        buf.readDoubleLE(at + 16) === stat.ctimeMs &&
        buf.readDoubleLE(at + 24) === stat.ino &&
        buf.readDoubleLE(at + 32) === stat.dev
      );
    },
    digest: (index) => digests.slice(index * DIGEST_BYTES, (index + 1) * DIGEST_BYTES),
    statsOf(index) {
      const at = statsAt + index * STAT_BYTES;
      return Array.from({ length: STAT_FIELDS }, (_, k) => buf.readDoubleLE(at + k * 8));
    },
  };
}
