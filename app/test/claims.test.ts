import { createHash } from "node:crypto";
import { lutimes, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileClaims } from "../src/claims.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pikaci-claims-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("file claims in a shared state root", () => {
  it("of many concurrent claims of one key by two replicas, exactly one wins; a release frees it", async () => {
    const [a, b] = [createFileClaims(root), createFileClaims(root)];
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim("delivery:guid-1")),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await a.claim("delivery:guid-2")).toBe(true);
    await b.release("delivery:guid-1");
    expect(await a.claim("delivery:guid-1")).toBe(true);
  });

  it("prunes claims older than the given age and keeps the others", async () => {
    const claims = createFileClaims(root);
    expect(await claims.claim("delivery:old")).toBe(true);
    expect(await claims.claim("delivery:new")).toBe(true);
    const dir = path.join(root, "app", "claims");
    const old = new Date(Date.now() - 5 * 24 * 3600 * 1000);
    await lutimes(path.join(dir, createHash("sha256").update("delivery:old").digest("hex")), old, old);
    expect(await claims.prune(4 * 24 * 3600 * 1000)).toBe(1);
    expect(await readdir(dir)).toHaveLength(1);
    expect(await claims.claim("delivery:old")).toBe(true);
    expect(await claims.claim("delivery:new")).toBe(false);
  });
});
