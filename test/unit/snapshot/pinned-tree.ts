import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fixed tree whose snapshot hash is pinned in hash-threads.test.ts to the value pikaci produced
 * before file hashing moved to worker threads: every file kind and size class the hasher treats
 * differently (empty, one buffer, exactly one buffer, several buffers, executable, symlink,
 * non-ASCII names), and enough files that the threads split them into many batches.
 * Content comes from a fixed generator, never from randomBytes, so the bytes never change.
 */
export function makePinnedTree(into = mkdtempSync(join(tmpdir(), "pikaci-pinned-"))): string {
  let state = 0x2545f491;
  const bytes = (length: number) => {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
  const write = (path: string, data: Buffer | string, mode = 0o644) => {
    const abs = join(into, path);
    mkdirSync(join(abs, ".."), { recursive: true });
    writeFileSync(abs, data);
    chmodSync(abs, mode);
  };
  for (let i = 0; i < 1500; i++) write(`pkg${i % 13}/mod${i % 5}/f${i}.txt`, bytes((i * 37) % 3000));
  write("empty", "");
  write("one-mib", bytes(1 << 20));
  write("big/just-over-one-mib", bytes((1 << 20) + 1));
  write("big/three-and-a-bit-mib", bytes(3 * (1 << 20) + 12345));
  write("bin/tool.sh", "#!/bin/sh\necho tool\n", 0o755);
  write("ünïcödé/名前.txt", "non-ASCII names\n");
  symlinkSync("../empty", join(into, "bin/link"));
  return into;
}
