import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  loadRun,
  pikaci,
  runIds,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { dogfoodClone } from "./helpers/dogfood-clone.js";
import { describeE2E } from "./helpers/test-host.js";

/**
 * pikaci runs its own CI: `lint`, `unit` and `schemas` of .github/pikaci.yml on a clean clone (with
 * node_modules prepared, as after `npm ci`) pass on the Incus executor of the test host, on the
 * pikaci-debian-node image. Run twice: the second run sends 0 bytes of snapshot.
 * (The `e2e` lane needs nested Incus in a VM, which these machines cannot run.)
 */
describeE2E("dogfood: pikaci's own lanes on pikaci (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("dogfood");
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-dogfood-"));
    repo = dogfoodClone(base);
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("lint, unit and schemas pass; a second run sends 0 bytes", { timeout: 1_500_000 }, async () => {
    const state = join(base, "state");
    const lanes = ["--lane", "lint", "--lane", "unit", "--lane", "schemas"];
    const run = async () => {
      const result = await pikaci(["run", ...lanes, ...hostFlags(host, sandbox), "--state-root", state], {
        cwd: repo,
      });
      const ids = await runIds(state);
      return { result, record: await loadRun(state, ids.at(-1)!) };
    };
    const first = await run();
    expect(first.result.code, first.result.stdout + first.result.stderr).toBe(0);
    expect(first.record.jobs.map((j) => [j.lane_id, j.status]).sort()).toEqual([
      ["lint", "passed"],
      ["schemas", "passed"],
      ["unit", "passed"],
    ]);
    const sent = (r: typeof first.record) => r.jobs.reduce((sum, j) => sum + (j.sync?.bytes_sent ?? 0), 0);
    expect(sent(first.record)).toBeGreaterThan(0);
    // The second run: only schemas (fast); the snapshot is the same, so nothing is sent.
    const second = await pikaci(
      ["run", "--lane", "schemas", ...hostFlags(host, sandbox), "--state-root", state],
      { cwd: repo },
    );
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const secondRecord = await loadRun(state, (await runIds(state)).at(-1)!);
    expect(secondRecord.snapshot_hash).toBe(first.record.snapshot_hash);
    expect(sent(secondRecord)).toBe(0);
    console.log(
      `dogfood: first run sent ${sent(first.record)} B (${first.record.jobs[0]?.sync?.files} files), second run ${sent(secondRecord)} B`,
    );
  });
});
