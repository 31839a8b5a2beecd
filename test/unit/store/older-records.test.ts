import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingestArtifactZip } from "../../../src/ingest/artifact.js";
import { groupRuns } from "../../../src/pages/repo-page.js";
import { renderRunPage } from "../../../src/pages/run-page.js";
import { createStateStore } from "../../../src/store/index.js";
import { packLikeTheAction } from "../ingest/pack.js";
import { sampleRun } from "../pages/fixtures.js";

/**
 * Records written before `rerun_of`, `target_id` (run.json) and `depends_on` (plan.json) were dropped
 * from the schema still carry them. Every reader must still take them: the zod objects are not
 * strict, so the fields are ignored.
 */
let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-older-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeOlderRun(root: string) {
  const run = { ...sampleRun(2), rerun_of: null, target_id: "old-target" };
  const plan = {
    schema_version: 1,
    run_id: run.run_id,
    created_at: run.created_at,
    changed_files: null,
    selection: [],
    nodes: [
      { kind: "prepare", id: "prepare-snapshot", description: "hash", executor: "local", depends_on: [] },
    ],
  };
  const dir = path.join(root, "runs", run.run_id);
  await mkdir(path.join(dir, "jobs", run.jobs[0]!.lane_id), { recursive: true });
  await writeFile(path.join(dir, "run.json"), JSON.stringify(run));
  await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
  await writeFile(path.join(dir, "jobs", run.jobs[0]!.lane_id, "guest.log"), "ok\n");
  return run;
}

describe("records written before the unused fields were removed", () => {
  it("load from the state root (pikaci status, logs, the run pages) without the old fields", async () => {
    const root = path.join(work, "state");
    const older = await writeOlderRun(root);
    const store = createStateStore({ root });
    const run = await store.loadRunRecord(older.run_id);
    expect(run?.jobs.map((j) => j.id)).toEqual(older.jobs.map((j) => j.id));
    expect(run).not.toHaveProperty("rerun_of");
    expect(run).not.toHaveProperty("target_id");
    const plan = await store.loadPlan(older.run_id);
    expect(plan?.nodes[0]).toEqual({
      kind: "prepare",
      id: "prepare-snapshot",
      description: "hash",
      executor: "local",
    });
    expect((await store.listRuns()).map((r) => r.run_id)).toEqual([older.run_id]);
    expect(groupRuns([run!]).map((g) => g.runs.length)).toEqual([1]);
    const page = renderRunPage({ run: run!, logs: new Map(), sig: "s", now: Date.now() });
    expect(page).toContain(older.run_id);
  });

  it("ingest into the App's store from an uploaded artifact", async () => {
    const root = path.join(work, "runner");
    const older = await writeOlderRun(root);
    const runnerStore = createStateStore({ root });
    const zip = await packLikeTheAction(runnerStore.runDir(older.run_id), path.join(work, "staging"));
    const appStore = createStateStore({ root: path.join(work, "app") });
    expect(await ingestArtifactZip({ zip, store: appStore })).toEqual({ run_id: older.run_id, stored: true });
    expect((await appStore.loadRunRecord(older.run_id))?.jobs).toHaveLength(2);
    expect((await appStore.loadPlan(older.run_id))?.nodes).toHaveLength(1);
  });
});
