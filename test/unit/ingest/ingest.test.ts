import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingestArtifactZip } from "../../../src/ingest/artifact.js";
import { InvalidArtifactError } from "../../../src/ingest/errors.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { sampleRun } from "../pages/fixtures.js";
import { craftZip } from "./craft-zip.js";
import { packLikeTheAction } from "./pack.js";

let work: string;
let runnerStore: StateStore;
let appRoot: string;
let appStore: StateStore;

/** Every file under a directory with its inode and mtime, to prove a second ingest touched nothing. */
async function snapshot(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  const out: string[] = [];
  for (const name of names.sort()) {
    const info = await stat(path.join(dir, name));
    out.push(`${name} ${info.ino} ${info.mtimeMs} ${info.size}`);
  }
  return out;
}

async function runnerArtifact(): Promise<{ zip: Buffer; runId: string }> {
  const run = sampleRun(3);
  await runnerStore.writeRun(run);
  await runnerStore.writePlan(run.run_id, {
    schema_version: 1,
    run_id: run.run_id,
    created_at: run.created_at,
    changed_files: null,
    selection: [],
    nodes: [],
  });
  await runnerStore.appendLog(run.run_id, "check-pika-rust", "guest", "\u001b[32mok\u001b[0m\n".repeat(2000));
  await runnerStore.appendLog(run.run_id, "check-pika-rust", "host", "host log\n");
  await runnerStore.appendLog(run.run_id, "check-notifications", "guest", "notifications\n");
  const zip = await packLikeTheAction(runnerStore.runDir(run.run_id), path.join(work, "staging"));
  return { zip, runId: run.run_id };
}

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-ingest-"));
  runnerStore = createStateStore({ root: path.join(work, "runner") });
  appRoot = path.join(work, "app");
  await mkdir(appRoot);
  appStore = createStateStore({ root: appRoot });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("ingestArtifactZip", () => {
  it("stores a run uploaded by the Action: records and logs, byte for byte", async () => {
    const { zip, runId } = await runnerArtifact();
    const result = await ingestArtifactZip({ zip, store: appStore });
    expect(result).toEqual({ run_id: runId, stored: true });
    expect(await appStore.loadRunRecord(runId)).toEqual(await runnerStore.loadRunRecord(runId));
    expect(await appStore.loadPlan(runId)).toEqual(await runnerStore.loadPlan(runId));
    const logs = await appStore.loadLogs(runId, { kind: "both" });
    expect(logs.map((l) => [l.job_id, l.kind, l.text.length])).toEqual([
      ["check-notifications", "guest", 14],
      ["check-pika-rust", "host", 9],
      ["check-pika-rust", "guest", 2000 * 12],
    ]);
  });

  it("stores nothing new on redelivery", async () => {
    const { zip, runId } = await runnerArtifact();
    await ingestArtifactZip({ zip, store: appStore });
    const before = await snapshot(appRoot);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await ingestArtifactZip({ zip, store: appStore });
    expect(again).toEqual({ run_id: runId, stored: false });
    expect(await snapshot(appRoot)).toEqual(before);
  });

  it("needs no copy when the runner and the App share a state root", async () => {
    const { zip, runId } = await runnerArtifact();
    const before = await snapshot(runnerStore.root);
    expect(await ingestArtifactZip({ zip, store: runnerStore })).toEqual({ run_id: runId, stored: false });
    expect(await snapshot(runnerStore.root)).toEqual(before);
  });

  it("replaces a stored run when the artifact differs (a later upload of the same run)", async () => {
    const { zip, runId } = await runnerArtifact();
    await ingestArtifactZip({ zip, store: appStore });
    await runnerStore.appendLog(runId, "check-notifications", "guest", "more\n");
    const { zip: newer } = await runnerArtifact();
    expect((await ingestArtifactZip({ zip: newer, store: appStore })).stored).toBe(true);
    const [log] = await appStore.loadLogs(runId, { job: "check-notifications", kind: "guest" });
    const [source] = await runnerStore.loadLogs(runId, { job: "check-notifications", kind: "guest" });
    expect(log!.text).toContain("more\n");
    expect(log!.text).toBe(source!.text);
  });

  it("rejects a zip with ../evil and writes nothing, inside the root or beside it", async () => {
    const run = sampleRun(1);
    const zip = craftZip([
      { name: "run.json", data: JSON.stringify(run) },
      { name: "../evil", data: "pwned" },
    ]);
    const parentBefore = (await readdir(work)).sort();
    await expect(ingestArtifactZip({ zip, store: appStore })).rejects.toThrow(InvalidArtifactError);
    expect((await readdir(work)).sort()).toEqual(parentBefore);
    expect(await readdir(appRoot)).toEqual([]);
    expect(await readdir(path.dirname(work))).not.toContain("evil");
  });

  it("rejects run.json that does not match the schema, and logs for jobs the run does not have", async () => {
    const run = sampleRun(1);
    const badRun = craftZip([{ name: "run.json", data: JSON.stringify({ ...run, run_id: "../../x" }) }]);
    await expect(ingestArtifactZip({ zip: badRun, store: appStore })).rejects.toThrow(/run_id/);
    const strayLog = craftZip([
      { name: "run.json", data: JSON.stringify(run) },
      { name: "jobs/not-a-lane/guest.log", data: "x" },
    ]);
    await expect(ingestArtifactZip({ zip: strayLog, store: appStore })).rejects.toThrow(/not in run\.json/);
    const noRun = craftZip([{ name: "plan.json", data: "{}" }]);
    await expect(ingestArtifactZip({ zip: noRun, store: appStore })).rejects.toThrow(/no run\.json/);
    expect(await readdir(appRoot)).toEqual([]);
  });

  it("enforces the limits passed in", async () => {
    const { zip } = await runnerArtifact();
    const limits = { maxZipBytes: 1 << 20, maxEntries: 100, maxEntryBytes: 1000, maxTotalBytes: 1 << 20 };
    await expect(ingestArtifactZip({ zip, store: appStore, limits })).rejects.toThrow(/the limit is 1000/);
    const few = { ...limits, maxEntryBytes: 1 << 20, maxEntries: 2 };
    await expect(ingestArtifactZip({ zip, store: appStore, limits: few })).rejects.toThrow(
      /entries; the limit is 2/,
    );
    expect(await readdir(appRoot)).toEqual([]);
  });
});
