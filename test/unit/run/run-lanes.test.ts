import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Executor } from "../../../src/executor/executor.js";
import { type PikaciConfig, RunEvent, RunRecord } from "../../../src/schema/index.js";
import type { Snapshot } from "../../../src/snapshot/entries.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { runLanes } from "../../helpers/run-lanes.js";
import { type FakeBehaviour, fakeExecutor, pass, sleep, waitForAbort } from "./fake-executor.js";

const HASH = "a".repeat(64);
const hashSnapshot = async (workspace: string): Promise<Snapshot> => ({
  root: workspace,
  hash: HASH,
  entries: [],
  files: 0,
  bytes: 0,
  cacheHits: 0,
  memo: false,
  source: "walk",
});

function config(lanes: { id: string; group?: string; retries?: number; paths?: string[] }[]): PikaciConfig {
  return {
    version: 1,
    lanes: lanes.map((lane) => ({
      id: lane.id,
      command: `echo ${lane.id}`,
      ...(lane.group ? { concurrency_group: lane.group } : {}),
      ...(lane.retries !== undefined ? { infra_retries: lane.retries } : {}),
      ...(lane.paths ? { paths: lane.paths } : {}),
    })),
  };
}

let root: string;
let store: StateStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pikaci-run-test-"));
  store = createStateStore({ root });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function run(
  cfg: PikaciConfig,
  behaviour: FakeBehaviour,
  extra: Partial<Parameters<typeof runLanes>[0]> = {},
) {
  const { executor, stats } = fakeExecutor(behaviour);
  const events: RunEvent[] = [];
  const record = await runLanes({
    config: cfg,
    configPath: ".github/pikaci.yml",
    workspace: "/nonexistent-workspace",
    executor,
    store,
    concurrency: 2,
    hashSnapshot,
    onEvent: (event) => events.push(RunEvent.parse(event)),
    ...extra,
  });
  const onDisk = RunRecord.parse(
    JSON.parse(await readFile(join(root, "runs", record.run_id, "run.json"), "utf8")),
  );
  return { record, onDisk, events, stats };
}

const slowPass = (ms: number) => async () => {
  await sleep(ms);
  return pass();
};

const jobOf = (record: RunRecord, id: string) => record.jobs.find((job) => job.lane_id === id)!;

describe("runLanes", () => {
  it("caps a lane's stored log to its log_limit and records the cut in run.json", async () => {
    const line = `${"output ".repeat(15)}\n`;
    const chunks = 1000;
    const chatty: Executor = {
      kind: "local",
      async runJob(_job, events) {
        const t = new Date().toISOString();
        for (let i = 0; i < chunks; i++) events.log("guest", `${i} ${line}`);
        return {
          ...(await pass()),
          phases: [],
          started_at: t,
          finished_at: t,
        };
      },
    };
    let printed = 0;
    for (let i = 0; i < chunks; i++) printed += Buffer.byteLength(`${i} ${line}`);
    const cfg: PikaciConfig = { version: 1, lanes: [{ id: "chatty", command: "x", log_limit: "64KiB" }] };
    const record = await runLanes({
      config: cfg,
      configPath: ".github/pikaci.yml",
      workspace: "/nonexistent-workspace",
      executor: chatty,
      store,
      concurrency: 1,
      hashSnapshot,
    });
    const onDisk = RunRecord.parse(
      JSON.parse(await readFile(join(root, "runs", record.run_id, "run.json"), "utf8")),
    );
    const job = jobOf(onDisk, "chatty");
    expect(job.log_truncation).toMatchObject({ limit_bytes: 65_536, total_bytes: printed });
    const log = await readFile(store.guestLogPath(record.run_id, "chatty"), "utf8");
    expect(Buffer.byteLength(log)).toBeLessThanOrEqual(65_536);
    expect(log.startsWith(`0 ${line}`)).toBe(true);
    expect(log.endsWith(`${chunks - 1} ${line}`)).toBe(true);
    expect(log).toContain(`of ${printed} bytes`);
  });

  it("never runs more jobs at once than the concurrency", async () => {
    const lanes = ["a", "b", "c", "d", "e"].map((id) => ({ id }));
    const { record, stats } = await run(config(lanes), slowPass(30), {
      concurrency: 2,
    });
    expect(stats.maxActive).toBe(2);
    expect(stats.calls).toHaveLength(5);
    expect(record.status).toBe("passed");
  });

  it("never overlaps lanes of the same concurrency group", async () => {
    const lanes = [
      { id: "db1", group: "db" },
      { id: "db2", group: "db" },
      { id: "free" },
      { id: "db3", group: "db" },
    ];
    const { stats } = await run(config(lanes), slowPass(20), { concurrency: 4 });
    for (const active of stats.overlaps) {
      expect(active.filter((id) => id.startsWith("db")).length).toBeLessThanOrEqual(1);
    }
    expect(stats.maxActive).toBe(2);
  });

  it("runs every lane even when one fails, and the run fails", async () => {
    const behaviour: FakeBehaviour = async (job) =>
      job.lane_id === "bad"
        ? { status: "failed", failure_kind: "test_failure", exit_code: 3, message: "exited with code 3" }
        : pass();
    const { record, onDisk } = await run(config([{ id: "bad" }, { id: "ok1" }, { id: "ok2" }]), behaviour, {
      concurrency: 1,
    });
    expect(onDisk.status).toBe("failed");
    expect(onDisk.finished_at).not.toBeNull();
    expect(jobOf(record, "bad")).toMatchObject({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 3,
    });
    expect(jobOf(record, "ok1").status).toBe("passed");
    expect(jobOf(record, "ok2").status).toBe("passed");
  });

  it("retries an infrastructure failure and records both attempts", async () => {
    let first = true;
    const behaviour: FakeBehaviour = async () => {
      if (!first) return pass();
      first = false;
      return {
        status: "failed",
        failure_kind: "infrastructure",
        exit_code: null,
        message: "ssh: connection reset",
      };
    };
    const { onDisk, stats } = await run(config([{ id: "x" }]), behaviour);
    const job = jobOf(onDisk, "x");
    expect(job.status).toBe("passed");
    expect(job.attempts?.map((a) => [a.attempt, a.status, a.failure_kind])).toEqual([
      [1, "failed", "infrastructure"],
      [2, "passed", null],
    ]);
    expect(stats.calls).toEqual([
      { job: "x", attempt: 1 },
      { job: "x", attempt: 2 },
    ]);
    const hostLog = await readFile(store.hostLogPath(onDisk.run_id, "x"), "utf8");
    expect(hostLog).toContain("retrying");
  });

  it("does not retry when the lane sets infra_retries: 0, and never retries test failures", async () => {
    const behaviour: FakeBehaviour = async (job) =>
      job.lane_id === "infra"
        ? { status: "failed", failure_kind: "infrastructure", exit_code: null, message: "gone" }
        : { status: "failed", failure_kind: "test_failure", exit_code: 1, message: "exited with code 1" };
    const { onDisk, stats } = await run(
      config([
        { id: "infra", retries: 0 },
        { id: "test", retries: 3 },
      ]),
      behaviour,
    );
    expect(stats.calls).toHaveLength(2);
    expect(jobOf(onDisk, "infra").attempts).toHaveLength(1);
    expect(jobOf(onDisk, "infra").failure_kind).toBe("infrastructure");
  });

  it("ends with a terminal run.json when the snapshot cannot be hashed", async () => {
    const { onDisk, stats, events } = await run(config([{ id: "a" }, { id: "b" }]), pass, {
      hashSnapshot: async () => {
        throw new Error("EACCES: permission denied, open 'secret.txt'");
      },
    });
    expect(stats.calls).toHaveLength(0);
    expect(onDisk.status).toBe("failed");
    expect(onDisk.message).toContain("EACCES");
    for (const job of onDisk.jobs) {
      expect(job).toMatchObject({ status: "failed", failure_kind: "infrastructure" });
      expect(job.message).toContain("EACCES");
    }
    expect(events.at(-1)).toMatchObject({ type: "run_finished", status: "failed" });
    expect(events.filter((e) => e.type === "job_finished")).toHaveLength(2);
  });

  it("cancels running and queued jobs on abort and records `cancelled`", async () => {
    const controller = new AbortController();
    const started = run(config([{ id: "a" }, { id: "b" }, { id: "c" }]), waitForAbort, {
      concurrency: 2,
      signal: controller.signal,
    });
    // Wait for the state the test is about (two running, one queued) instead of a fixed sleep,
    // which a loaded machine can outlast before the scheduler has started both.
    await vi.waitFor(
      async () => {
        const live = RunRecord.parse(
          JSON.parse(
            await readFile(join(root, "runs", (await store.listRuns())[0]!.run_id, "run.json"), "utf8"),
          ),
        );
        expect(live.status).toBe("running");
        expect(live.jobs.map((j) => j.status).sort()).toEqual(["queued", "running", "running"]);
      },
      { timeout: 10_000, interval: 20 },
    );
    controller.abort();
    const { onDisk, stats, events } = await started;
    expect(stats.calls).toHaveLength(2);
    expect(onDisk.status).toBe("cancelled");
    expect(onDisk.jobs.map((j) => j.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(events.at(-1)).toMatchObject({ type: "run_finished", status: "cancelled" });
  });

  it("records unselected lanes as skipped with the reason, and a run with nothing selected as skipped", async () => {
    const cfg = config([{ id: "docs", paths: ["docs/**"] }, { id: "all" }]);
    const some = await run(cfg, pass, { changedFiles: ["src/a.ts"] });
    expect(jobOf(some.onDisk, "docs").status).toBe("skipped");
    expect(jobOf(some.onDisk, "docs").message).toMatch(/no changed file|matched/);
    expect(some.onDisk.status).toBe("passed");
    const none = await run(config([{ id: "docs", paths: ["docs/**"] }]), pass, {
      changedFiles: ["src/a.ts"],
    });
    expect(none.onDisk.status).toBe("skipped");
    expect(none.stats.calls).toHaveLength(0);
  });

  it("carries each job's final record in its job_finished event, as run.json holds it", async () => {
    const { events, onDisk } = await run(config([{ id: "a" }, { id: "flaky", retries: 1 }]), async (job) =>
      job.lane_id === "flaky" && job.attempt === 1
        ? { status: "failed", failure_kind: "infrastructure", exit_code: null, message: "host lost" }
        : pass(),
    );
    for (const lane of ["a", "flaky"]) {
      const finished = events.filter((e) => e.type === "job_finished" && e.lane_id === lane);
      expect(finished).toHaveLength(1);
      const event = finished[0] as Extract<RunEvent, { type: "job_finished" }>;
      expect(event.job).toEqual(jobOf(onDisk, lane));
      expect(event).toMatchObject({ status: event.job.status, duration_ms: event.job.duration_ms });
    }
    expect(jobOf(onDisk, "flaky").attempts).toHaveLength(2);
    expect(jobOf(onDisk, "flaky")).not.toHaveProperty("id");
  });

  it("emits well-ordered lifecycle events and streams logs into the store", async () => {
    const { events, onDisk } = await run(config([{ id: "a" }, { id: "b" }]), pass);
    expect(events[0]).toMatchObject({ type: "run_started", lanes: ["a", "b"] });
    expect(events.at(-1)?.type).toBe("run_finished");
    for (const id of ["a", "b"]) {
      const mine = events.filter((e) => "lane_id" in e && e.lane_id === id).map((e) => e.type);
      expect(mine[0]).toBe("job_started");
      expect(mine.at(-1)).toBe("job_finished");
      expect(mine).toContain("job_phase");
    }
    expect(onDisk.snapshot_hash).toBe(HASH);
    expect(onDisk.prepare_timings.map((t) => t.name)).toEqual(["hash_snapshot"]);
    const guest = await readFile(store.guestLogPath(onDisk.run_id, "a"), "utf8");
    expect(guest).toBe("hello from a attempt 1\n");
  });

  it("turns an executor that throws into an infrastructure failure of that job only", async () => {
    const behaviour: FakeBehaviour = async (job) => {
      if (job.lane_id === "boom") throw new Error("executor bug");
      return pass();
    };
    const { onDisk, stats } = await run(config([{ id: "boom", retries: 0 }, { id: "fine" }]), behaviour);
    expect(jobOf(onDisk, "boom")).toMatchObject({
      status: "failed",
      failure_kind: "infrastructure",
      message: "executor bug",
    });
    expect(jobOf(onDisk, "fine").status).toBe("passed");
    expect(stats.calls).toHaveLength(2);
  });
});
