import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunRecord } from "../../src/schema/index.js";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  latestRun,
  pikaci,
  sandboxFor,
} from "./helpers/cli-incus.js";
import { describeE2E, REPO_ROOT } from "./helpers/test-host.js";

const KIB = 1024;

/**
 * The "Unchanged rerun" acceptance, through the CLI: a rerun of an unchanged workspace sends
 * 0 snapshot bytes, and a one-file change sends at most that file plus 64 KiB. The suite's own
 * remote work dir makes the first run a truly cold one.
 */
describeE2E("pikaci run --host: snapshot bytes sent (real sshd + Incus)", (host) => {
  const sandbox = sandboxFor("sync");
  let base: string;
  let repo: string;
  let config: string;
  const state = () => join(base, "state");

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cli-sync-"));
    repo = join(base, "demo");
    await cp(join(REPO_ROOT, "examples/demo"), repo, { recursive: true });
    await rm(join(repo, ".pikaci"), { recursive: true, force: true });
    // A 200 KiB file (so a full re-send would be obvious next to the one-file budget) and a 10 KiB one the
    // test changes later.
    await writeFile(join(repo, "docs", "big.txt"), randomBytes(100 * KIB).toString("hex"));
    await writeFile(join(repo, "docs", "notes.txt"), randomBytes(5 * KIB).toString("hex"));
    // The config lives outside the workspace, so it is not part of the snapshot. Two lanes of
    // the demo's own scripts: every job record must show the bytes, not only the first one.
    // run_as_root keeps this suite on the root path; the default unprivileged path is covered
    // on both images by cli-incus-unprivileged.test.ts.
    config = join(base, "sync.yml");
    await writeFile(
      config,
      [
        "version: 1",
        "defaults:",
        "  run_as_root: true",
        "  timeout: 60s",
        "lanes:",
        "  - id: lint",
        "    command: sh scripts/lint.sh",
        "  - id: unit",
        "    command: sh test/math.test.sh",
        "",
      ].join("\n"),
    );
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  async function runOnce(): Promise<RunRecord> {
    const flags = [...hostFlags(host, sandbox), "--image", host.image, "--state-root", state()];
    const result = await pikaci(["run", "--config", config, "--workspace", repo, ...flags], { cwd: repo });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = (await latestRun(state()))!;
    expect(run.status).toBe("passed");
    for (const job of run.jobs) expect(job.sync, job.lane_id).toBeTruthy();
    return run;
  }
  const sent = (run: RunRecord) => run.jobs.reduce((sum, job) => sum + job.sync!.bytes_sent, 0);

  it("sends the tree cold, 0 bytes on an unchanged rerun, and about one file after a one-file change", async () => {
    const cold = await runOnce();
    expect(sent(cold)).toBeGreaterThan(200 * KIB);
    expect(cold.jobs.some((job) => job.sync!.snapshot_reused === false)).toBe(true);

    const warm = await runOnce();
    expect(warm.snapshot_hash).toBe(cold.snapshot_hash);
    for (const job of warm.jobs) {
      expect(job.sync, job.lane_id).toMatchObject({ bytes_sent: 0, objects_sent: 0, snapshot_reused: true });
    }

    const changed = randomBytes(5 * KIB).toString("hex"); // new 10 KiB content for an existing file
    await writeFile(join(repo, "docs", "notes.txt"), changed);
    const after = await runOnce();
    expect(after.snapshot_hash).not.toBe(cold.snapshot_hash);
    const bytes = sent(after);
    console.log(
      `sync over the CLI: cold ${sent(cold)} B, unchanged rerun ${sent(warm)} B, one ${changed.length} B file changed ${bytes} B`,
    );
    expect(bytes).toBeGreaterThanOrEqual(changed.length);
    expect(bytes).toBeLessThanOrEqual(changed.length + 64 * KIB);
    expect(after.jobs.reduce((sum, job) => sum + job.sync!.objects_sent, 0)).toBe(1);
  }, 300_000);
});
