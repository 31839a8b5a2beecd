import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { ArtifactPort } from "../../../src/action/artifacts.js";
import type { EnginePort } from "../../../src/action/engine-port.js";
import { parseInputs } from "../../../src/action/inputs.js";
import { main } from "../../../src/action/main.js";
import { loadConfigFile } from "../../../src/config/index.js";
import { OVER_LIMIT_NOTE } from "../../../src/github/changed-files.js";
import type { JobRecord, RunEvent, RunRecord } from "../../../src/schema/index.js";
import { StoreLayout } from "../../../src/store/index.js";
import { recordingChecks } from "./fake-checks.js";

const RUN_ID = "20260324T162238Z-1a2b3c4d";
const TOKEN = "ghs_unit_test_token_value";
const CONFIG = `version: 1
lanes:
  - id: lint
    command: npx tsc
  - id: test
    command: npm test
  - id: docs
    command: make docs
    paths: ["docs/**"]
`;

let workspace: string;
let runnerTemp: string;
let runDir: string;

beforeEach(async () => {
  const root = await mkdtemp(path.join(tmpdir(), "pikaci-main-"));
  workspace = path.join(root, "ws");
  runnerTemp = path.join(root, "tmp");
  runDir = path.join(root, "state", "runs", RUN_ID);
  await mkdir(path.join(workspace, ".github"), { recursive: true });
  await mkdir(path.join(workspace, "src"), { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  await writeFile(path.join(workspace, ".github/pikaci.yml"), CONFIG);
  await writeFile(path.join(workspace, "src/a.ts"), "export const a: number = 'x';\n");
});

const at = "2026-03-24T16:22:38.000Z";

/** The store layout whose `runs/<RUN_ID>` is `dir`. */
const layoutOf = (dir: string) => new StoreLayout(path.dirname(path.dirname(dir)));

function job(id: string, status: JobRecord["status"], extra: Partial<JobRecord> = {}): JobRecord {
  return {
    lane_id: id,
    description: id,
    status,
    executor: "local",
    plan_node_id: id,
    timeout_secs: 60,
    host_log_path: path.join(runDir, "jobs", id, "host.log"),
    guest_log_path: path.join(runDir, "jobs", id, "guest.log"),
    started_at: at,
    finished_at: at,
    duration_ms: 3000,
    exit_code: status === "passed" ? 0 : status === "failed" ? 2 : null,
    message: null,
    failure_kind: status === "failed" ? "test_failure" : null,
    phases: [],
    ...extra,
  };
}

/** An engine that plays a script: lint fails with tsc errors (one leaking the token), test passes, docs is skipped. */
function scriptedEngine(
  options: { throws?: boolean } = {},
): EnginePort & { seenLanes: string[]; seenMeta: unknown } {
  const engine = {
    seenLanes: [] as string[],
    seenMeta: undefined as unknown,
    executorKind: "local" as const,
    loadConfig: async (file: string) => (await loadConfigFile(file)).config,
    newRunId: () => RUN_ID,
    layout: layoutOf(runDir),
    close: async () => {},
    async run(p: Parameters<EnginePort["run"]>[0]): Promise<RunRecord> {
      const laneIds = p.planned.plan.selection.map((s) => s.lane_id);
      engine.seenLanes = laneIds;
      engine.seenMeta = p.meta;
      if (options.throws) throw new Error("build host unreachable");
      const emit = (e: RunEvent) => p.onEvent(e);
      const write = async (id: string, guest: string) => {
        await mkdir(path.join(runDir, "jobs", id), { recursive: true });
        await writeFile(path.join(runDir, "jobs", id, "guest.log"), guest);
        await writeFile(path.join(runDir, "jobs", id, "host.log"), `pikaci: ran ${id}\n`);
      };
      await write(
        "lint",
        `src/a.ts(1,17): error TS2322: Type 'string' is not assignable.\n/etc/x.ts(1,1): error TS1: outside\necho ${TOKEN}\n`,
      );
      await write("test", "ok\n");
      const jobs = [
        job("lint", "failed"),
        job("test", "passed"),
        job("docs", "skipped", {
          started_at: null,
          duration_ms: null,
          host_log_path: null,
          guest_log_path: null,
        }),
      ].filter((j) => laneIds.includes(j.lane_id));
      const record: RunRecord = {
        schema_version: 1,
        run_id: RUN_ID,
        status: "failed",
        git_head: null,
        git_dirty: null,
        created_at: at,
        finished_at: at,
        plan_path: "plan.json",
        changed_files: p.planned.plan.changed_files,
        filters: [
          { lane_id: "docs", paths: ["docs/**"], selected: false, reason: "no changed file matches" },
        ],
        message: null,
        prepare_timings: [],
        jobs,
      };
      await writeFile(path.join(runDir, "run.json"), JSON.stringify(record));
      await writeFile(path.join(runDir, "plan.json"), "{}");
      for (const j of jobs.filter((x) => x.status !== "skipped")) {
        emit({ type: "job_started", at, run_id: RUN_ID, lane_id: j.lane_id, attempt: 1 });
        emit({ type: "job_log", at, run_id: RUN_ID, lane_id: j.lane_id, stream: "guest", text: "working\n" });
        emit({
          type: "job_finished",
          at,
          run_id: RUN_ID,
          lane_id: j.lane_id,
          job: j,
          status: j.status,
          failure_kind: j.failure_kind,
          exit_code: j.exit_code,
          duration_ms: j.duration_ms ?? null,
          message: j.message,
        });
      }
      return record;
    },
  };
  return engine;
}

function setup(values: Record<string, string>, engine = scriptedEngine(), artifacts?: ArtifactPort) {
  const fake = recordingChecks();
  const warnings: string[] = [];
  const summaries: string[] = [];
  const uploads: { name: string; files: string[]; rootDirectory: string; retentionDays?: number }[] = [];
  const inputs = parseInputs((name) => ({ token: TOKEN, ...values })[name] ?? "");
  const params = {
    inputs,
    context: {
      owner: "o",
      repo: "r",
      workspace,
      runnerTemp,
      apiUrl: "http://unused",
      runUrl: "https://github.test/o/r/actions/runs/77",
      eventName: "pull_request",
      headSha: "a".repeat(40),
      pullRequest: 5,
    },
    checks: fake.port,
    engine,
    artifacts: artifacts ?? {
      upload: async (u: (typeof uploads)[number]) => {
        uploads.push(u);
        return { id: 1 };
      },
    },
    log: { info: () => {}, warning: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) },
    writeSummary: async (md: string) => {
      summaries.push(md);
    },
    changedFiles: async () => ["src/a.ts"],
    secrets: [TOKEN],
    signal: new AbortController().signal,
  };
  return { ...fake, warnings, summaries, uploads, params, engine };
}

describe("main (standalone)", () => {
  it("creates a check run per lane, concludes each, and annotates the failing one", async () => {
    const s = setup({});
    const result = await main(s.params);
    expect(result).toEqual({
      runId: RUN_ID,
      conclusion: "failure",
      runJsonPath: path.join(runDir, "run.json"),
      failedLanes: ["lint"],
    });
    const creates = s.calls.filter((c) => c.kind === "create");
    expect(
      creates.map((c) => c.kind === "create" && [c.params.name, c.params.status, c.params.head_sha]),
    ).toEqual([
      ["lint", "queued", "a".repeat(40)],
      ["test", "queued", "a".repeat(40)],
      ["docs", "queued", "a".repeat(40)],
    ]);
    const [lintId, testId, docsId] = [1000, 1001, 1002];
    expect(s.updates(lintId).map((u) => u.params.status)).toEqual(["in_progress", "completed"]);
    const lintFinal = s.updates(lintId)[1]!.params;
    expect(lintFinal.conclusion).toBe("failure");
    expect(lintFinal.output!.title).toBe("Failed (exit 2) in 3s");
    expect(lintFinal.details_url).toBe("https://github.test/o/r/actions/runs/77");
    expect(lintFinal.actions).toBeUndefined();
    expect(lintFinal.output!.annotations).toEqual([
      expect.objectContaining({ path: ".github/pikaci.yml", start_line: 3, annotation_level: "notice" }),
      expect.objectContaining({
        path: "src/a.ts",
        start_line: 1,
        start_column: 17,
        annotation_level: "failure",
      }),
    ]);
    expect(s.updates(testId).at(-1)!.params.conclusion).toBe("success");
    expect(s.updates(docsId).at(-1)!.params).toMatchObject({ status: "completed", conclusion: "skipped" });
    expect(JSON.stringify(s.calls)).not.toContain(TOKEN);

    expect(s.summaries[0]).toContain("| `lint` | ❌ failure |");
    expect(s.summaries[0]).toContain("[check run](https://github.test/o/r/runs/1001)");
    expect(s.uploads).toHaveLength(1);
    const upload = s.uploads[0]!;
    expect(upload.name).toBe(`pikaci-${RUN_ID}`);
    expect(upload.files.map((f) => path.relative(upload.rootDirectory, f))).toEqual([
      "jobs/lint/guest.log",
      "jobs/lint/host.log",
      "jobs/test/guest.log",
      "jobs/test/host.log",
      "plan.json",
      "run.json",
    ]);
    const stagedLog = await readFile(path.join(upload.rootDirectory, "jobs/lint/guest.log"), "utf8");
    expect(stagedLog).toContain("echo ***");
    expect(stagedLog).not.toContain(TOKEN);
  });

  it("warns when the artifact upload fails but still concludes every check", async () => {
    const s = setup({}, scriptedEngine(), {
      upload: async () => Promise.reject(new Error("artifact service down")),
    });
    const result = await main(s.params);
    expect(result.conclusion).toBe("failure");
    expect(s.warnings.some((w) => w.includes("artifact service down"))).toBe(true);
    for (const id of [1000, 1001, 1002]) expect(s.updates(id).at(-1)!.params.status).toBe("completed");
  });
});

describe("main (dispatched)", () => {
  it("adopts the App's check runs, runs only those lanes and offers Re-run failed", async () => {
    const s = setup({ "check-runs": '{"lint": 51, "docs": 53}' });
    const result = await main(s.params);
    expect(s.engine.seenLanes).toEqual(["lint", "docs"]);
    expect(s.calls.some((c) => c.kind === "create")).toBe(false);
    expect(s.updates(51).at(-1)!.params.actions).toEqual([
      expect.objectContaining({ label: "Re-run failed" }),
    ]);
    expect(s.updates(53).at(-1)!.params.conclusion).toBe("skipped");
    // The App's signed run-page link stays: no update replaces details_url.
    expect(s.updates(51).every((u) => u.params.details_url === undefined)).toBe(true);
    expect(result.failedLanes).toEqual(["lint"]);
  });

  it("closes every adopted check run when the engine fails", async () => {
    const s = setup({ "check-runs": '{"lint": 51, "test": 52}' }, scriptedEngine({ throws: true }));
    const result = await main(s.params);
    expect(result.conclusion).toBe("failure");
    expect(result.runJsonPath).toBeUndefined();
    for (const id of [51, 52]) {
      const last = s.updates(id).at(-1)!.params;
      expect(last).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(last.output!.summary).toContain("build host unreachable");
    }
  });

  it("closes the adopted check runs when the config is missing", async () => {
    const s = setup({ "check-runs": '{"lint": 51}', config: "nope.yml" });
    const result = await main(s.params);
    expect(result.conclusion).toBe("failure");
    expect(s.updates(51).at(-1)!.params.output!.summary).toContain("config file not found");
  });
});

const PR_HEAD = "b".repeat(40);

describe("main: the commit and pull request a dispatched run records", () => {
  it("passes head-sha and pull-request to the engine when the checkout is at head-sha", async () => {
    const s = setup({ "check-runs": '{"lint": 51}', "head-sha": PR_HEAD, "pull-request": "12" });
    await main({ ...s.params, readCheckout: async () => ({ git_head: PR_HEAD, git_dirty: false }) });
    expect(s.engine.seenMeta).toEqual({ git_head: PR_HEAD, git_dirty: false, pull_request: 12 });
  });

  it("refuses a checkout of another commit, concluding the App's check runs with the fix", async () => {
    const s = setup({ "check-runs": '{"lint": 51, "test": 52}', "head-sha": PR_HEAD });
    const result = await main({ ...s.params, readCheckout: async () => ({ git_head: "d".repeat(40) }) });
    expect(result.conclusion).toBe("failure");
    expect(s.engine.seenLanes).toEqual([]);
    for (const id of [51, 52]) {
      const last = s.updates(id).at(-1)!.params;
      expect(last).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(last.output!.summary).toContain(["ref: $", "{{ inputs.head_sha }}"].join(""));
    }
  });
});

describe("main: a pull request over GitHub's 3000-file listing cap (standalone)", () => {
  it("runs every lane and says why in each check run", async () => {
    const s = setup({});
    await main({ ...s.params, changedFiles: async () => null });
    const creates = s.calls.filter((c) => c.kind === "create");
    for (const c of creates)
      expect(c.kind === "create" && c.params.output!.summary).toContain(OVER_LIMIT_NOTE);
    expect(s.updates(1000).at(-1)!.params.output!.summary).toContain(OVER_LIMIT_NOTE);
    expect(s.warnings).toContain(OVER_LIMIT_NOTE);
  });
});

/** An engine that starts a lane, then never returns after a cancel: a build host slow to clean up. */
function hangingEngine(): EnginePort {
  return {
    executorKind: "incus",
    loadConfig: async (file: string) => (await loadConfigFile(file)).config,
    newRunId: () => RUN_ID,
    layout: layoutOf(runDir),
    close: async () => {},
    async run(p) {
      await mkdir(path.join(runDir, "jobs", "lint"), { recursive: true });
      await writeFile(path.join(runDir, "jobs", "lint", "host.log"), "pikaci: sync\n");
      const running: RunRecord = {
        schema_version: 1,
        run_id: RUN_ID,
        status: "running",
        git_head: null,
        git_dirty: null,
        created_at: at,
        finished_at: null,
        plan_path: "plan.json",
        changed_files: null,
        filters: [],
        message: null,
        prepare_timings: [],
        jobs: [
          job("lint", "running", {
            finished_at: null,
            duration_ms: null,
            exit_code: null,
            failure_kind: null,
          }),
          job("test", "queued", {
            started_at: null,
            finished_at: null,
            duration_ms: null,
            exit_code: null,
            failure_kind: null,
          }),
        ],
      };
      await writeFile(path.join(runDir, "run.json"), JSON.stringify(running));
      await writeFile(path.join(runDir, "plan.json"), "{}");
      p.onEvent({ type: "job_started", at, run_id: RUN_ID, lane_id: "lint", attempt: 1 });
      return new Promise<RunRecord>(() => {});
    },
  };
}

describe("main: concluding from the event stream", () => {
  it("concludes a lane from the record its job_finished carries, with no run.json on disk", async () => {
    const engine = scriptedEngine();
    const recordOnly: EnginePort = {
      ...engine,
      async run(p) {
        const phases = [
          {
            phase: "wait_for_completion" as const,
            started_at: at,
            finished_at: at,
            duration_ms: 2500,
            status: "ok" as const,
          },
        ];
        const lint = job("lint", "passed", { phases, exit_code: 0 });
        p.onEvent({ type: "job_started", at, run_id: RUN_ID, lane_id: "lint", attempt: 1 });
        p.onEvent({
          type: "job_finished",
          at,
          run_id: RUN_ID,
          lane_id: "lint",
          status: "passed",
          failure_kind: null,
          exit_code: 0,
          duration_ms: 3000,
          message: null,
          job: lint,
        });
        return { ...(await engine.run(p)), jobs: [lint] };
      },
    };
    const s = setup({ "check-runs": '{"lint": 51}' }, recordOnly as never);
    const t0 = performance.now();
    await main(s.params);
    expect(performance.now() - t0).toBeLessThan(1500);
    const final = s.updates(51).at(-1)!.params;
    expect(final).toMatchObject({ status: "completed", conclusion: "success" });
    expect(final.output!.annotations![0]!.message).toContain("wait for completion: 2.5s");
  });

  it("refuses an unknown lane with the plan's own message", async () => {
    const s = setup({ lanes: "lint,nope" });
    const result = await main(s.params);
    expect(result.conclusion).toBe("failure");
    expect(s.warnings.some((w) => w.includes("unknown lane: nope"))).toBe(true);
    expect(s.engine.seenLanes).toEqual([]);
  });

  it("refuses an unknown lane when dispatched too, rather than dropping it", async () => {
    const s = setup({ lanes: "lint,nope", "check-runs": '{"lint": 51}' });
    const result = await main(s.params);
    expect(result.conclusion).toBe("failure");
    expect(s.warnings.some((w) => w.includes("unknown lane: nope"))).toBe(true);
    expect(s.engine.seenLanes).toEqual([]);
  });
});

describe("main: a cancelled job whose engine does not return in time", () => {
  it("concludes every check cancelled and uploads a terminal run.json within the grace period", async () => {
    const s = setup({ "check-runs": '{"lint": 51, "test": 52}' }, hangingEngine() as never);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = performance.now();
    const result = await main({ ...s.params, signal: abort.signal, cancelGraceMs: 100 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(result.conclusion).toBe("cancelled");
    for (const id of [51, 52]) {
      const last = s.updates(id).at(-1)!.params;
      expect(last).toMatchObject({ status: "completed", conclusion: "cancelled" });
    }
    // No progress update after a conclusion.
    const statuses = s.updates(51).map((u) => u.params.status);
    expect(statuses.indexOf("completed")).toBe(statuses.length - 1);
    const upload = s.uploads[0]!;
    const staged = upload.files.map((f) => path.relative(upload.rootDirectory, f));
    expect(staged).toEqual(["jobs/lint/host.log", "plan.json", "run.json"]);
    const record = JSON.parse(
      await readFile(path.join(upload.rootDirectory, "run.json"), "utf8"),
    ) as RunRecord;
    expect(record.status).toBe("cancelled");
    expect(record.finished_at).not.toBeNull();
    expect(record.jobs.map((j) => j.status)).toEqual(["cancelled", "cancelled"]);
  });
});

describe("main: a job cancelled before the lanes start", () => {
  it("never calls the engine, concludes every check cancelled and uploads the planned record", async () => {
    const s = setup({ "check-runs": '{"lint": 51, "test": 52}' });
    const abort = new AbortController();
    abort.abort();
    const result = await main({ ...s.params, signal: abort.signal });
    expect(result.conclusion).toBe("cancelled");
    expect(s.engine.seenLanes).toEqual([]);
    for (const id of [51, 52])
      expect(s.updates(id).at(-1)!.params).toMatchObject({ status: "completed", conclusion: "cancelled" });
    const upload = s.uploads[0]!;
    expect(upload.files.map((f) => path.relative(upload.rootDirectory, f))).toEqual([
      "plan.json",
      "run.json",
    ]);
    const record = JSON.parse(
      await readFile(path.join(upload.rootDirectory, "run.json"), "utf8"),
    ) as RunRecord;
    expect(record.status).toBe("cancelled");
    expect(record.jobs.map((j) => [j.lane_id, j.status])).toEqual([
      ["lint", "cancelled"],
      ["test", "cancelled"],
    ]);
  });
});
