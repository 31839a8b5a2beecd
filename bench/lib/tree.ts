import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seeded } from "./stats.js";

/**
 * A source-like tree: `files` files in ~50 dirs two levels deep; 90% under 16 KiB, 9% up to
 * 256 KiB, 1% up to 1 MiB (about 25 KiB on average). Returns the bytes written.
 */
export function makeBenchTree(root: string, files: number, seed = 1): number {
  const rand = seeded(seed);
  const pool = randomBytes(1 << 20);
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const dir = join(root, `pkg${i % 50}`, `mod${i % 7}`);
    if (i < 350) mkdirSync(dir, { recursive: true });
    const r = rand();
    const max = r < 0.9 ? 16 << 10 : r < 0.99 ? 256 << 10 : 1 << 20;
    const size = Math.floor(rand() * max);
    const offset = Math.floor(rand() * ((1 << 20) - size));
    // A unique prefix keeps every file a distinct object.
    const data = Buffer.concat([Buffer.from(`${i}\n`), pool.subarray(offset, offset + size)]);
    writeFileSync(join(dir, `file${i}.dat`), data);
    bytes += data.length;
  }
  return bytes;
}
