import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingestArtifactZip } from "../../../src/ingest/artifact.js";
import { mergeRunRecords } from "../../../src/ingest/merge.js";
import type { RunRecord } from "../../../src/schema/index.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { sampleRun } from "../pages/fixtures.js";
import { packLikeTheAction } from "./pack.js";

/**
 * A dispatch fanned out over a matrix: every job records its own lanes under the one run id and
 * uploads them as its own artifact. The App ingests them one after another; the stored run must be
 * the whole run, whatever the order, and a redelivery of either stores nothing.
 */
let work: string;
let appStore: StateStore;

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-ingest-matrix-"));
  await mkdir(path.join(work, "app"));
  appStore = createStateStore({ root: path.join(work, "app") });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const whole = sampleRun(3);
/** The record one matrix job writes: its own lanes, its own times and verdict. */
function shard(lanes: number[], times: { finished: string }): RunRecord {
  const jobs = lanes.map((i) => whole.jobs[i]!);
  const status = jobs.some((j) => j.status === "failed") ? "failed" : "passed";
  return { ...whole, jobs, status, finished_at: times.finished };
}

async function artifactOf(run: RunRecord, name: string): Promise<Buffer> {
  const runner = createStateStore({ root: path.join(work, name) });
  await runner.writeRun(run);
  await runner.writePlan(run.run_id, {
    schema_version: 1,
    run_id: run.run_id,
    created_at: run.created_at,
    changed_files: null,
    selection: run.jobs.map((j) => ({ lane_id: j.lane_id, paths: [], selected: true, reason: "dispatched" })),
    nodes: [],
  });
  for (const job of run.jobs)
    await runner.appendLog(run.run_id, job.lane_id, "guest", `log of ${job.lane_id}\n`);
  return packLikeTheAction(runner.runDir(run.run_id), path.join(work, `${name}-staging`));
}

describe("ingesting the artifacts of a matrix's jobs", () => {
  it("stores the union of the jobs' lanes, their logs, and the worst status", async () => {
    const a = shard([0, 2], { finished: "2026-03-24T16:40:00.000Z" });
    const b = shard([1], { finished: "2026-03-24T16:45:00.000Z" });
    const zipA = await artifactOf(a, "job-a");
    const zipB = await artifactOf(b, "job-b");
    expect(await ingestArtifactZip({ zip: zipA, store: appStore })).toEqual({
      run_id: whole.run_id,
      stored: true,
    });
    expect(await ingestArtifactZip({ zip: zipB, store: appStore })).toEqual({
      run_id: whole.run_id,
      stored: true,
    });

    const stored = (await appStore.loadRunRecord(whole.run_id))!;
    expect(stored.jobs.map((j) => j.lane_id)).toEqual([0, 2, 1].map((i) => whole.jobs[i]!.lane_id));
    expect(stored.status).toBe(whole.status);
    expect(stored.finished_at).toBe("2026-03-24T16:45:00.000Z");
    const plan = (await appStore.loadPlan(whole.run_id))!;
    expect(plan.selection.map((s) => s.lane_id).sort()).toEqual(whole.jobs.map((j) => j.lane_id).sort());
    const logs = await appStore.loadLogs(whole.run_id, { kind: "guest" });
    expect(logs.map((l) => l.text).sort()).toEqual(whole.jobs.map((j) => `log of ${j.lane_id}\n`).sort());

    // A redelivery of either artifact changes nothing.
    expect(await ingestArtifactZip({ zip: zipA, store: appStore })).toEqual({
      run_id: whole.run_id,
      stored: false,
    });
    expect(await ingestArtifactZip({ zip: zipB, store: appStore })).toEqual({
      run_id: whole.run_id,
      stored: false,
    });
  });

  it("ranks a failed part over a passed one, and keeps the earliest start", () => {
    const failing = { ...whole, status: "failed" as const, started_at: "2026-03-24T16:20:00.000Z" };
    const passing = { ...whole, status: "passed" as const, started_at: "2026-03-24T16:30:00.000Z" };
    expect(mergeRunRecords(passing, failing)).toMatchObject({
      status: "failed",
      started_at: failing.started_at,
    });
    expect(mergeRunRecords(failing, passing)).toMatchObject({
      status: "failed",
      started_at: failing.started_at,
    });
    // Another run's record is not merged into.
    const other = { ...whole, run_id: "20260324T162238Z-ffffffff" };
    expect(mergeRunRecords(other, passing)).toBe(passing);
  });
});
