import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePinnedTree } from "../unit/snapshot/pinned-tree.js";
import { node24, ROOT } from "./helpers/action-harness.js";

/**
 * The file-hashing threads as the bundles run them: `dist/cli.js` (and the Action's dist/index.js,
 * which shares the module) start `hash-worker.js` from beside themselves. A tree of 1500 files is
 * large enough for the threads to start on their own; the pinned hash is main's (see
 * test/unit/snapshot/hash-threads.test.ts).
 */
const PINNED = "9a9d307a448efb937d20e5fbd46cea4852c8ca0057bd88735152fdf83976f3c3";

let work: string;
let dist: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "pikaci-e2e-bundle-hash-"));
  dist = path.join(work, "dist");
  execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs"), "--outdir", dist], { cwd: ROOT });
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

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
});
