// Plain JavaScript on purpose: hash-worker.js imports it, and a worker thread is started from a file
// that Node must load as it is, from src/ under tsx or vitest as from dist/ (Node 20 applies no
// TypeScript loader to worker threads). Its types are in read-digest.d.ts.
import { createHash, hash as hashOnce } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

/** One buffer per thread, reused for every file: no allocation (and no GC) per file. */
export const READ_BUFFER_BYTES = 1 << 20;

/**
 * SHA-256 of a file read to its end through `buffer`. `expectedSize` (from the caller's stat) saves
 * the empty read that would otherwise prove the end: a read that stops short exactly at the
 * expected size is the end of a regular file, as readFileSync also assumes. A file that grew since
 * its stat is still hashed whole (its size then tells), and one that shrank is read until a read
 * returns nothing. A file that fits the buffer, which is most, is hashed in one call; a larger one
 * is streamed through it, so memory stays at one buffer whatever the size.
 * Synchronous: callers run it in a worker thread, or on the main thread in short slices.
 */
export function readDigest(path, buffer, expectedSize) {
  const fd = openSync(path, "r");
  try {
    const want = Math.min(expectedSize + 1, buffer.length);
    const filled = fill(fd, buffer, want, expectedSize);
    if (filled < want) {
      return { digest: hashOnce("sha256", buffer.subarray(0, filled), "hex"), size: filled };
    }
    const hash = createHash("sha256").update(buffer.subarray(0, filled));
    let size = filled;
    for (;;) {
      const n = fill(fd, buffer, buffer.length, expectedSize - size);
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      size += n;
      if (n < buffer.length) return { digest: hash.digest("hex"), size };
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads up to `want` bytes into the start of `buffer`; fewer only at the end of the file: a read
 * returned nothing, or stopped short exactly at `endAt`.
 */
function fill(fd, buffer, want, endAt) {
  let filled = 0;
  while (filled < want) {
    const asked = want - filled;
    const n = readSync(fd, buffer, filled, asked, null);
    filled += n;
    if (n === 0 || (n < asked && filled === endAt)) break;
  }
  return filled;
}
