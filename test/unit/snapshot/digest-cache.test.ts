import {
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildSnapshot } from "../../../src/snapshot/index.js";
import { makeTree, removeTree } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));
/** A hash run that starts 10 s after the files were written, i.e. outside the racy window. */
const later = () => Date.now() + 10_000;

function tree(files: number): string {
  const root = makeTree(
    Object.fromEntries(Array.from({ length: files }, (_, i) => [`d${i % 3}/f${i}`, `content ${i}`])),
  );
  dirs.push(root);
  return root;
}

describe("digest cache", () => {
  it("re-hashes an unchanged tree from the cache, and re-reads a changed file", async () => {
    const root = tree(30);
    const cold = await buildSnapshot({ root, now: later });
    expect(cold.cacheHits).toBe(0);
    const cacheFile = join(root, ".pikaci/cache/digests-v3.bin");
    expect(existsSync(cacheFile)).toBe(true);
    const written = readFileSync(cacheFile);
    const inode = statSync(cacheFile).ino;
    const warm = await buildSnapshot({ root, now: later });
    expect(warm.cacheHits).toBe(30);
    expect(warm.hash).toBe(cold.hash);
    // Nothing changed, so nothing is rewritten (same inode: no temp file was renamed over it).
    expect(statSync(cacheFile).ino).toBe(inode);
    expect(readFileSync(cacheFile).equals(written)).toBe(true);

    // Same size, new content, mtime put back: the ctime still moves, so the file is re-read.
    const file = join(root, "d1/f1");
    const { atime, mtime } = statSync(file);
    writeFileSync(file, "content X");
    utimesSync(file, atime, mtime);
    const after = await buildSnapshot({ root, now: later });
    expect(after.cacheHits).toBe(29);
    expect(after.hash).not.toBe(cold.hash);
    expect(after.hash).toBe((await buildSnapshot({ root, cacheFile: null })).hash);
  });

  it("does not remember files modified within the racy window", async () => {
    const root = tree(2);
    await buildSnapshot({ root });
    expect((await buildSnapshot({ root })).cacheHits).toBe(0);
    await buildSnapshot({ root, now: later });
    expect((await buildSnapshot({ root })).cacheHits).toBe(2);
  });

  it("keeps working when files are listed in another order, and is rewritten in the new order", async () => {
    const root = tree(20);
    const cacheFile = join(tree(0), "cache.bin");
    const cold = await buildSnapshot({ root, cacheFile, now: later });
    const inode = statSync(cacheFile).ino;
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(20);
    expect(statSync(cacheFile).ino).toBe(inode);
    // A renamed directory lists its files at another position (and under other paths).
    renameSync(join(root, "d0"), join(root, "z0"));
    const moved = await buildSnapshot({ root, cacheFile, now: later });
    expect(moved.hash).not.toBe(cold.hash);
    expect(moved.cacheHits).toBe(13); // d1 and d2 hit; the 7 files now under z0 are re-read
    expect(statSync(cacheFile).ino).not.toBe(inode);
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(20);
  });

  it("keeps the cache in the state root when one is given", async () => {
    const root = tree(3);
    const stateRoot = tree(0);
    await buildSnapshot({ root, stateRoot, now: later });
    expect(existsSync(join(root, ".pikaci"))).toBe(false);
    expect((await buildSnapshot({ root, stateRoot, now: later })).cacheHits).toBe(3);
  });

  it("ignores a truncated cache file", async () => {
    const root = tree(5);
    const cacheFile = join(tree(0), "cache.bin");
    const cold = await buildSnapshot({ root, cacheFile, now: later });
    truncateSync(cacheFile, statSync(cacheFile).size - 1);
    const again = await buildSnapshot({ root, cacheFile, now: later });
    expect(again.cacheHits).toBe(0);
    expect(again.hash).toBe(cold.hash);
  });

  it("ignores a corrupt cache file, and a cache written for another root", async () => {
    const root = tree(3);
    const cacheFile = join(root, "cache.json");
    writeFileSync(cacheFile, "{not json");
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(0);
    expect((await buildSnapshot({ root, cacheFile, now: later })).cacheHits).toBe(3);
    const other = tree(3);
    expect((await buildSnapshot({ root: other, cacheFile, now: later })).cacheHits).toBe(0);
  });
});
