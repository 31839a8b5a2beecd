import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePinnedTree } from "../unit/snapshot/pinned-tree.js";
import { node24, outputsOf, ROOT, runAction, scenario, TOKEN } from "./helpers/action-harness.js";

/**
 * The file-hashing threads as the bundles run them: dist/cli.js and the Action's dist/index.js
 * start dist/hash-worker.js from beside themselves. Trees of 1200+ files are large enough for the
 * threads to start on their own; the pinned hash is main's (see test/unit/snapshot/hash-threads.test.ts).
 * Builds dist/ like action-process.test.ts does.
 */
const PINNED = "9a9d307a448efb937d20e5fbd46cea4852c8ca0057bd88735152fdf83976f3c3";

const dist = path.join(ROOT, "dist");
let work: string;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "pikaci-e2e-bundle-hash-"));
  execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs")], { cwd: ROOT, stdio: "pipe" });
}, 180_000);
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(work, { recursive: true, force: true });
});

const nodes = (): [string, string][] => [
  ["node20", process.execPath],
  ["node24", node24()],
];

describe.each(nodes())("the bundle under %s", (label, node) => {
  const cli = (args: string[], cwd: string) =>
    spawnSync(node, [path.join(dist, "cli.js"), ...args], {
      cwd,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: path.join(work, "tmp") },
    });

  it("hashes the pinned tree in its threads to main's hash (pikaci hash)", () => {
    const tree = makePinnedTree(path.join(work, `pinned-${label}`));
    const out = cli(["hash", "--no-cache", "--json", tree], work);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toMatchObject({ hash: PINNED, files: 1506, bytes: 7477512 });
  });

  it("runs a lane on that tree with the local executor, whose copy is verified by the same threads", () => {
    const tree = makePinnedTree(path.join(work, `run-${label}`));
    mkdirSync(path.join(tree, ".github"));
    writeFileSync(
      path.join(tree, ".github/pikaci.yml"),
      'version: 1\nlanes:\n  - id: big\n    command: test -x bin/tool.sh && test "$(wc -c < big/three-and-a-bit-mib)" -eq 3158073\n',
    );
    mkdirSync(path.join(work, "tmp"), { recursive: true });
    const state = path.join(work, `state-${label}`);
    const run = cli(["run", "--state-root", state], tree);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const [id] = readdirSync(path.join(state, "runs"));
    const record = JSON.parse(readFileSync(path.join(state, "runs", id!, "run.json"), "utf8"));
    expect(record.jobs[0]).toMatchObject({ lane_id: "big", status: "passed" });
    expect(record.snapshot_hash).toBe(cli(["hash", "--no-cache", tree], work).stdout.trim());
  });

  it("the Action (dist/index.js) hashes, copies and verifies such a tree, and the lane passes", async () => {
    const extraFiles = Object.fromEntries(
      Array.from({ length: 1200 }, (_, i) => [`gen/f${i}.txt`, `file ${i}\n`.repeat(i % 50)]),
    );
    const config = 'version: 1\nlanes:\n  - id: count\n    command: test "$(ls gen | wc -l)" -eq 1200\n';
    const event = { pull_request: { number: 7, head: { sha: "beef".padEnd(40, "1") } } };
    const s = await scenario({ config, event, pullFiles: ["gen/f1.txt"], extraFiles });
    cleanups.push(
      () => s.github.close(),
      () => s.artifacts.close(),
    );
    const { code, stderr } = await runAction(node, "index.js", s, { token: TOKEN }, "pull_request");
    expect(code, stderr).toBe(0);
    expect((await outputsOf(s)).conclusion).toBe("success");
  });
});
