import { existsSync, statSync, utimesSync, writeFileSync } from "node:fs";
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
    expect(existsSync(join(root, ".pikaci/cache/digests-v1.json"))).toBe(true);
    const warm = await buildSnapshot({ root, now: later });
    expect(warm.cacheHits).toBe(30);
    expect(warm.hash).toBe(cold.hash);

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
