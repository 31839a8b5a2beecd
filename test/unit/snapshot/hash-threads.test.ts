import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CancelledError, SnapshotChangedError } from "../../../src/errors/index.js";
import { defaultHashSnapshot } from "../../../src/run/default-deps.js";
import { type FileDigest, hashFiles } from "../../../src/snapshot/digest.js";
import { buildSnapshot } from "../../../src/snapshot/index.js";
import { makeTree, removeTree } from "./helpers.js";
import { makePinnedTree } from "./pinned-tree.js";

/**
 * The hash of makePinnedTree() as `pikaci hash --no-cache` computed it on main at e5a9916, before
 * files were hashed in worker threads: any change to how files are read, split among threads or
 * put back in order that altered a snapshot hash fails here.
 */
const PINNED = {
  hash: "9a9d307a448efb937d20e5fbd46cea4852c8ca0057bd88735152fdf83976f3c3",
  files: 1506,
  bytes: 7477512,
};

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));
const tree = (make: () => string) => {
  const root = make();
  dirs.push(root);
  return root;
};

/** OS threads of this process: a worker thread that was not stopped is still one of them. */
const osThreads = () => readdirSync("/proc/self/task").length;

describe("hashing files in worker threads", () => {
  it("hashes the pinned tree to the hash main produced, on the main thread and with 1, 2 or 3 threads", async () => {
    const root = tree(() => makePinnedTree());
    for (const threads of [undefined, 0, 1, 2, 3]) {
      const snap = await buildSnapshot({ root, cacheFile: null, threads });
      expect({ threads, hash: snap.hash, files: snap.files, bytes: snap.bytes }).toEqual({
        threads,
        ...PINNED,
      });
    }
  });

  it("gives the pinned hash again from a warm digest cache", async () => {
    const root = tree(() => makePinnedTree());
    const cacheFile = join(root, ".pikaci", "digests.bin");
    // Files written just now are too recent to remember (the racy guard); pretend it is later.
    const later = () => Date.now() + 60_000;
    const cold = await buildSnapshot({ root, cacheFile, now: later });
    const warm = await buildSnapshot({ root, cacheFile, now: later });
    expect([cold.hash, cold.cacheHits]).toEqual([PINNED.hash, 0]);
    expect([warm.hash, warm.cacheHits]).toEqual([PINNED.hash, PINNED.files]);
  });

  it("reads each file to its end whatever size its stat said, in threads and on the main thread", async () => {
    const sizes = [0, 1, 4095, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 * (1 << 20) + 7];
    const files = Object.fromEntries(sizes.map((n) => [`f${n}`, "x".repeat(n)]));
    const root = tree(() => makeTree(files));
    // Stat sizes that are wrong in every direction: a file that grew or shrank since its stat.
    for (const skew of [0, -1, 1, -4096, 1 << 20]) {
      const queued = sizes.map((n) => ({ path: `f${n}`, size: Math.max(0, n + skew) }));
      for (const threads of [0, 2]) {
        const got = await digests({ root, files: queued, threads });
        const expected = sizes.map((n) => ({ digest: sha256(readFileSync(join(root, `f${n}`))), size: n }));
        expect({ skew, threads, got }).toEqual({ skew, threads, got: expected });
      }
    }
  });

  it("fails as a read would for a file gone since its stat, and stops its threads", async () => {
    const root = tree(() => makeTree({ "a.txt": "a", "b.txt": "b" }));
    await readFile(join(root, "a.txt")); // starts libuv's thread pool before counting threads
    const before = osThreads();
    for (const threads of [0, 2]) {
      const files = [
        { path: "a.txt", size: 1 },
        { path: "gone.txt", size: 1 },
      ];
      await expect(digests({ root, files, threads })).rejects.toMatchObject({
        code: "ENOENT",
        message: expect.stringContaining("gone.txt"),
      });
    }
    expect(osThreads()).toBe(before);
  });

  it("fails with what the caller's onDigest throws (a copy that no longer matches)", async () => {
    const root = tree(() => makeTree({ "a.txt": "a" }));
    for (const threads of [0, 1]) {
      const result = hashFiles({
        root,
        files: [{ path: "a.txt", size: 1 }],
        threads,
        onDigest: () => {
          throw new SnapshotChangedError("a.txt", "0".repeat(64));
        },
      });
      await expect(result).rejects.toBeInstanceOf(SnapshotChangedError);
    }
  });
});

describe("cancelling a snapshot hash", () => {
  it("defaultHashSnapshot honours the run's abort signal", async () => {
    const root = tree(() => makeTree({ "a.txt": "a" }));
    const abort = new AbortController();
    abort.abort();
    await expect(defaultHashSnapshot(root, abort.signal, {})).rejects.toBeInstanceOf(CancelledError);
  });

  it("stops between files, on the main thread and in threads, and leaves no thread running", async () => {
    const root = tree(() => makePinnedTree());
    const files = readdirSync(join(root, "pkg0/mod0")).map((name) => ({
      path: `pkg0/mod0/${name}`,
      size: 0,
    }));
    const many = Array.from({ length: 40 }, () => files).flat(); // ~4600 reads: far more than one slice
    await readFile(join(root, "empty")); // starts libuv's thread pool before counting threads
    const before = osThreads();
    for (const threads of [0, 2]) {
      const abort = new AbortController();
      let reported = 0;
      const result = hashFiles({
        root,
        files: many,
        threads,
        signal: abort.signal,
        onDigest: () => {
          if (++reported === 1) abort.abort();
        },
      });
      await expect(result).rejects.toBeInstanceOf(CancelledError);
      expect(reported).toBe(1); // nothing is reported after the abort, not even the rest of a batch
    }
    expect(osThreads()).toBe(before);
  });
});

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function digests(p: {
  root: string;
  files: { path: string; size: number }[];
  threads: number;
}): Promise<FileDigest[]> {
  const out: FileDigest[] = [];
  await hashFiles({ ...p, onDigest: (i, digest) => (out[i] = digest) });
  return out;
}
