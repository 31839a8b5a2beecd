import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InfrastructureError, InvalidIdError } from "../../../src/errors/index.js";
import { buildRunPlan } from "../../../src/plan/index.js";
import type { RunRecord } from "../../../src/schema/index.js";
import {
  assertJobId,
  assertRunId,
  atomicWriteFile,
  createStateStore,
  newRunId,
  resolveStateRoot,
  type StateStore,
} from "../../../src/store/index.js";

const RUN = "20260324T162238Z-1a2b3c4d";
const HOSTILE = ["..", "../x", "a/b", "a\\b", "", "x".repeat(200), ".hidden", "a\0b", "/etc", "."];

function runRecord(runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    schema_version: 1,
    run_id: runId,
    status: "passed",
    git_head: "abc",
    git_dirty: false,
    created_at: "2026-03-24T16:22:38Z",
    finished_at: "2026-03-24T16:23:00Z",
    plan_path: null,
    changed_files: ["docs/x.md"],
    filters: [],
    message: null,
    prepare_timings: [],
    jobs: [],
    ...overrides,
  };
}

let root: string;
let store: StateStore;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pikaci-store-"));
  store = createStateStore({ root });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("ids", () => {
  it("newRunId has the documented shape and uses the clock and randomness it is given", () => {
    expect(newRunId(new Date("2026-03-24T16:22:38.123Z"), () => "1a2b3c4d")).toBe(RUN);
    expect(newRunId()).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(newRunId()).not.toBe(newRunId());
  });

  it("newRunId refuses randomness that would make a bad id", () => {
    expect(() => newRunId(new Date(), () => "../../x")).toThrow(InvalidIdError);
  });

  it.each(HOSTILE)("rejects hostile id %j for runs and jobs", (id) => {
    expect(() => assertRunId(id)).toThrow(InvalidIdError);
    expect(() => assertJobId(id)).toThrow(InvalidIdError);
  });

  it.each([
    ["..", /contains '\.\.'/],
    ["a/b", /path separator/],
    ["", /is empty/],
    ["x".repeat(200), /200 characters long; at most 64/],
    [".hidden", /starts with '\.'/],
    ["a\0b", /NUL/],
  ])("explains why %j is rejected", (id, why) => {
    expect(() => assertJobId(id)).toThrow(why);
  });

  it("accepts good ids", () => {
    expect(() => assertRunId(RUN)).not.toThrow();
    for (const id of ["unit", "check-rust", "a.b_c-1", "x".repeat(64)])
      expect(() => assertJobId(id)).not.toThrow();
    expect(() => assertRunId("unit")).toThrow(/look like 20260324T162238Z-1a2b3c4d/);
  });
});

describe("every store method rejects hostile ids and touches nothing", () => {
  const calls: Array<[string, (s: StateStore, bad: string) => unknown]> = [
    ["runDir", (s, bad) => s.runDir(bad)],
    ["jobDir(run)", (s, bad) => s.jobDir(bad, "unit")],
    ["jobDir(job)", (s, bad) => s.jobDir(RUN, bad)],
    ["writeRun", (s, bad) => s.writeRun(runRecord(bad))],
    [
      "writePlan",
      (s, bad) =>
        s.writePlan(bad, buildRunPlan({ version: 1, lanes: [{ id: "a", command: "x" }] }, null).plan),
    ],
    ["hostLogPath(run)", (s, bad) => s.hostLogPath(bad, "unit")],
    ["hostLogPath(job)", (s, bad) => s.hostLogPath(RUN, bad)],
    ["guestLogPath(job)", (s, bad) => s.guestLogPath(RUN, bad)],
    ["appendLog(run)", (s, bad) => s.appendLog(bad, "unit", "host", "x")],
    ["appendLog(job)", (s, bad) => s.appendLog(RUN, bad, "guest", "x")],
    ["loadRunRecord", (s, bad) => s.loadRunRecord(bad)],
    ["loadPlan", (s, bad) => s.loadPlan(bad)],
    ["loadLogs(run)", (s, bad) => s.loadLogs(bad, { kind: "both" })],
    ["loadLogs(job)", (s, bad) => s.loadLogs(RUN, { job: bad, kind: "both" })],
    ["loadLogsMetadata", (s, bad) => s.loadLogsMetadata(bad)],
  ];

  it.each(calls)("%s", async (_name, call) => {
    for (const bad of HOSTILE) {
      await expect(
        Promise.resolve().then(() => call(store, bad)),
        JSON.stringify(bad),
      ).rejects.toThrow();
    }
    expect(await readdir(root)).toEqual([]);
  });

  it("rejects an unknown log kind", async () => {
    await expect(store.appendLog(RUN, "unit", "../x" as "host", "x")).rejects.toThrow(InvalidIdError);
  });
});

describe("round trips", () => {
  it("writes and loads run.json and plan.json in the documented layout", async () => {
    const record = runRecord(RUN, { status: "failed", message: "lane unit failed" });
    await store.writeRun(record);
    const { plan } = buildRunPlan({ version: 1, lanes: [{ id: "unit", command: "npm test" }] }, null, {
      runId: RUN,
      createdAt: "2026-03-24T16:22:38Z",
    });
    await store.writePlan(RUN, plan);
    expect(await readdir(path.join(root, "runs", RUN))).toEqual(["plan.json", "run.json"]);
    expect(JSON.parse(await readFile(path.join(root, "runs", RUN, "run.json"), "utf8"))).toEqual(record);
    expect(await store.loadRunRecord(RUN)).toEqual(record);
    expect(await store.loadPlan(RUN)).toEqual(plan);
    expect(store.runDir(RUN)).toBe(path.join(root, "runs", RUN));
  });

  it("returns null for a run that does not exist", async () => {
    expect(await store.loadRunRecord("20260101T000000Z-00000000")).toBeNull();
    expect(await store.loadPlan("20260101T000000Z-00000000")).toBeNull();
  });

  it("refuses to write an invalid record", async () => {
    await expect(store.writeRun({ ...runRecord(RUN), status: "exploded" as "passed" })).rejects.toThrow();
    expect(await readdir(root)).toEqual([]);
  });

  it("reports a corrupt run.json as an infrastructure error naming the file", async () => {
    await mkdir(store.runDir(RUN), { recursive: true });
    await writeFile(path.join(store.runDir(RUN), "run.json"), '{"schema_version": 1');
    await expect(store.loadRunRecord(RUN)).rejects.toThrow(InfrastructureError);
    await expect(store.loadRunRecord(RUN)).rejects.toThrow(/run\.json is not a valid pikaci record/);
  });

  it("lists runs newest first, skipping corrupt ones and honouring the limit", async () => {
    const ids = ["20260101T000000Z-00000001", "20260301T000000Z-00000003", "20260201T000000Z-00000002"];
    for (const id of ids) await store.writeRun(runRecord(id));
    await mkdir(path.join(root, "runs", "20260401T000000Z-00000004"), { recursive: true });
    await writeFile(path.join(root, "runs", "20260401T000000Z-00000004", "run.json"), "not json");
    await mkdir(path.join(root, "runs", "not-a-run"), { recursive: true });
    expect((await store.listRuns()).map((r) => r.run_id)).toEqual([ids[1], ids[2], ids[0]]);
    expect((await store.listRuns({ limit: 2 })).map((r) => r.run_id)).toEqual([ids[1], ids[2]]);
    expect(await createStateStore({ root: path.join(root, "absent") }).listRuns()).toEqual([]);
  });
});

describe("logs", () => {
  it("appends, loads by job and kind, and reports metadata", async () => {
    await store.appendLog(RUN, "unit", "host", "host line 1\n");
    await store.appendLog(RUN, "unit", "host", "host line 2\n");
    await store.appendLog(RUN, "unit", "guest", "guest ünïcode\n");
    await store.appendLog(RUN, "lint", "guest", "lint guest\n");
    await store.jobDir(RUN, "empty");

    expect(store.hostLogPath(RUN, "unit")).toBe(path.join(root, "runs", RUN, "jobs", "unit", "host.log"));
    expect(await store.loadLogs(RUN, { job: "unit", kind: "host" })).toEqual([
      {
        job_id: "unit",
        kind: "host",
        path: store.hostLogPath(RUN, "unit"),
        text: "host line 1\nhost line 2\n",
      },
    ]);
    const both = await store.loadLogs(RUN, { kind: "both" });
    expect(both.map((l) => [l.job_id, l.kind, l.text])).toEqual([
      ["lint", "guest", "lint guest\n"],
      ["unit", "host", "host line 1\nhost line 2\n"],
      ["unit", "guest", "guest ünïcode\n"],
    ]);
    expect(await store.loadLogs(RUN, { job: "missing", kind: "both" })).toEqual([]);

    const meta = await store.loadLogsMetadata(RUN);
    expect(meta.map((m) => [m.job_id, m.kind, m.exists, m.size_bytes])).toEqual([
      ["empty", "host", false, null],
      ["empty", "guest", false, null],
      ["lint", "host", false, null],
      ["lint", "guest", true, 11],
      ["unit", "host", true, 24],
      ["unit", "guest", true, Buffer.byteLength("guest ünïcode\n")],
    ]);
    expect(meta.every((m) => m.path.startsWith(path.join(root, "runs", RUN, "jobs")))).toBe(true);
  });

  it("has no logs for a run that does not exist", async () => {
    expect(await store.loadLogs(RUN, { kind: "both" })).toEqual([]);
    expect(await store.loadLogsMetadata(RUN)).toEqual([]);
  });
});

describe("atomicWriteFile", () => {
  it("replaces content and leaves no temp file behind", async () => {
    const file = path.join(root, "x.json");
    await atomicWriteFile(file, "one");
    await atomicWriteFile(file, "two");
    expect(await readFile(file, "utf8")).toBe("two");
    expect(await readdir(root)).toEqual(["x.json"]);
  });

  it("cleans up its temp file when the rename fails", async () => {
    const target = path.join(root, "dir-in-the-way");
    await mkdir(path.join(target, "child"), { recursive: true });
    await expect(atomicWriteFile(target, "data")).rejects.toThrow();
    expect(await readdir(root)).toEqual(["dir-in-the-way"]);
  });
});

describe("resolveStateRoot", () => {
  it("uses PIKACI_STATE_ROOT, resolved against cwd, else <cwd>/.pikaci", () => {
    expect(resolveStateRoot({}, "/repo")).toBe("/repo/.pikaci");
    expect(resolveStateRoot({ PIKACI_STATE_ROOT: "" }, "/repo")).toBe("/repo/.pikaci");
    expect(resolveStateRoot({ PIKACI_STATE_ROOT: "/var/pikaci" }, "/repo")).toBe("/var/pikaci");
    expect(resolveStateRoot({ PIKACI_STATE_ROOT: "state" }, "/repo")).toBe("/repo/state");
  });
});
