import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildSnapshot, verifyRemoteSnapshot } from "../../../src/snapshot/index.js";
import { LocalhostTransport } from "../../../src/transport/localhost.js";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../../..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// One child = one CLI process: its own hash run, its own (empty) sync-base cache. No SSH or Incus:
// the LocalhostTransport publishes into a local dir, so this is a unit test of the publish protocol.
const child = `
import { buildSnapshot, syncSnapshot } from ${JSON.stringify(`${repo}/src/snapshot/index.ts`)};
import { LocalhostTransport } from ${JSON.stringify(`${repo}/src/transport/localhost.ts`)};
const [root, remote, cacheDir] = process.argv.slice(2);
const snapshot = await buildSnapshot({ root, cacheFile: null });
const result = await syncSnapshot({ transport: new LocalhostTransport(), remoteWorkDir: remote, snapshot, localRoot: root, cacheDir });
console.log(JSON.stringify(result));
`;

describe("concurrent syncs of one snapshot", () => {
  it("8 processes: exactly one publish, all agree, the tree verifies", async () => {
    const work = mkdtempSync(join(tmpdir(), "pikaci-conc-"));
    dirs.push(work);
    const root = join(work, "ws");
    const remote = join(work, "remote");
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`d${i % 10}/f${i}.txt`] = `file ${i}\n`.repeat(i + 1);
    for (const [path, content] of Object.entries(files)) {
      const abs = join(root, path);
      await import("node:fs").then((fs) => fs.mkdirSync(join(abs, ".."), { recursive: true }));
      writeFileSync(abs, content);
    }
    const script = join(work, "child.mts");
    writeFileSync(script, child);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        run(process.execPath, ["--import", "tsx", script, root, remote, join(work, `cache${i}`)], {
          cwd: repo,
        }),
      ),
    );
    const parsed = results.map((r) => JSON.parse(r.stdout.trim().split("\n").pop()!));
    expect(parsed.filter((r) => r.published)).toHaveLength(1);
    expect(new Set(parsed.map((r) => r.remotePath)).size).toBe(1);
    // Nothing half-written is left behind: only the published snapshot, no staging or tmp dirs.
    expect(readdirSync(join(remote, "snapshots"))).toHaveLength(1);
    expect(readdirSync(join(remote, "tmp"))).toEqual([]);
    const snapshot = await buildSnapshot({ root, cacheFile: null });
    const verified = await verifyRemoteSnapshot({
      transport: new LocalhostTransport(),
      remotePath: parsed[0].remotePath,
      snapshot,
    });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    // Eight TypeScript processes starting at once on a 2-core machine: give them room.
  }, 120_000);
});
