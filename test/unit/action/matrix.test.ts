import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EnginePort } from "../../../src/action/engine-port.js";
import { parseInputs } from "../../../src/action/inputs.js";
import { main } from "../../../src/action/main.js";
import { createOctokit, octokitChecks } from "../../../src/action/octokit-checks.js";
import { loadConfigFile } from "../../../src/config/index.js";
import type { JobRecord, RunRecord } from "../../../src/schema/index.js";
import { StoreLayout } from "../../../src/store/index.js";

/**
 * A dispatch workflow that fans out as a matrix: the App dispatches once with every lane's check
 * run, and each matrix job runs the Action with its own `lanes`. Each job must read, update and
 * conclude only its own lanes' check runs, whether its lanes pass, its engine fails or it is
 * cancelled; a sibling's check runs are the sibling's. GitHub's Checks API is nock; the action's
 * real Octokit port talks to it.
 */
const API = "https://api.github.test";
const RUN_ID = "20261202T050000Z-0a1b2c3d";
const AT = "2026-12-02T05:00:00.000Z";
const CHECK_RUNS = { lint: 51, unit: 52, docs: 53, e2e: 54 };
const CONFIG = `version: 1
lanes:
${[...Object.keys(CHECK_RUNS), "perf"].map((id) => `  - id: ${id}\n    command: "true"\n`).join("")}`;

interface Touch {
  method: string;
  id: number;
  body: { status?: string; conclusion?: string } | undefined;
}
let touched: Touch[];
let uploads: string[];
let states: Map<number, { status: string; conclusion: string | null }>;

/** GitHub's check runs, as the Checks API keeps them: a completed one stays completed. */
function githubChecks() {
  const answer = (id: number) => ({
    id,
    html_url: `https://github.test/o/r/runs/${id}`,
    ...(states.get(id) ?? { status: "queued", conclusion: null }),
  });
  const idOf = (uri: string) => Number(uri.split("/").at(-1));
  nock(API)
    .persist()
    .get(/\/repos\/o\/r\/check-runs\/\d+$/)
    .reply(200, (uri) => {
      touched.push({ method: "GET", id: idOf(uri), body: undefined });
      return answer(idOf(uri));
    })
    .patch(/\/repos\/o\/r\/check-runs\/\d+$/)
    .reply(200, (uri, body) => {
      const id = idOf(uri);
      const update = body as Touch["body"];
      touched.push({ method: "PATCH", id, body: update });
      const now = states.get(id);
      if (now?.status !== "completed" && update?.status)
        states.set(id, { status: update.status, conclusion: update.conclusion ?? null });
      return answer(id);
    });
}

let workspace: string;
let stateRoot: string;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(async () => {
  touched = [];
  uploads = [];
  states = new Map();
  const root = await mkdtemp(path.join(tmpdir(), "pikaci-matrix-"));
  workspace = path.join(root, "ws");
  stateRoot = path.join(root, "state");
  await mkdir(path.join(workspace, ".github"), { recursive: true });
  await writeFile(path.join(workspace, ".github/pikaci.yml"), CONFIG);
  githubChecks();
});
afterEach(() => {
  nock.cleanAll();
});

function job(laneId: string, status: JobRecord["status"]): JobRecord {
  return {
    lane_id: laneId,
    description: laneId,
    status,
    executor: "local",
    plan_node_id: laneId,
    timeout_secs: 60,
    host_log_path: null,
    guest_log_path: null,
    started_at: AT,
    finished_at: AT,
    duration_ms: 1000,
    exit_code: status === "passed" ? 0 : null,
    message: null,
    failure_kind: status === "failed" ? "test_failure" : null,
    phases: [],
  };
}

/** An engine that passes every lane it is given, fails as the build host would, or waits for a cancel. */
function engine(mode: "pass" | "throw" | "hang"): EnginePort {
  const layout = new StoreLayout(stateRoot);
  return {
    executorKind: "local",
    loadConfig: async (file) => (await loadConfigFile(file)).config,
    newRunId: () => RUN_ID,
    layout,
    close: async () => {},
    async run(p) {
      if (mode === "throw") throw new Error("build host unreachable");
      const lanes = p.planned.plan.selection.map((s) => s.lane_id);
      for (const laneId of lanes)
        p.onEvent({ type: "job_started", at: AT, run_id: RUN_ID, lane_id: laneId, attempt: 1 });
      if (mode === "hang") await new Promise((resolve) => p.signal.addEventListener("abort", resolve));
      const jobs = lanes.map((laneId) => job(laneId, mode === "hang" ? "cancelled" : "passed"));
      for (const j of jobs) {
        p.onEvent({
          type: "job_finished",
          at: AT,
          run_id: RUN_ID,
          lane_id: j.lane_id,
          job: j,
          status: j.status,
          failure_kind: null,
          exit_code: j.exit_code,
          duration_ms: 1000,
          message: null,
        });
      }
      const record: RunRecord = {
        schema_version: 1,
        run_id: RUN_ID,
        status: mode === "hang" ? "cancelled" : "passed",
        git_head: null,
        git_dirty: null,
        created_at: AT,
        finished_at: AT,
        plan_path: "plan.json",
        changed_files: null,
        filters: [],
        message: null,
        prepare_timings: [],
        jobs,
      };
      return record;
    },
  };
}

/** One matrix job: the Action with the App's full check-run map and its own `lanes`. */
function matrixJob(lanes: string, mode: "pass" | "throw" | "hang", signal = new AbortController().signal) {
  const values: Record<string, string> = {
    token: "ghs_matrix_token",
    lanes,
    "check-runs": JSON.stringify(CHECK_RUNS),
    "run-id": RUN_ID,
  };
  const octokit = createOctokit({ token: "ghs_matrix_token", baseUrl: API });
  const quiet = () => {};
  return main({
    inputs: parseInputs((name) => values[name] ?? ""),
    context: {
      owner: "o",
      repo: "r",
      workspace,
      runnerTemp: path.join(stateRoot, "tmp"),
      apiUrl: API,
      runUrl: "https://github.test/o/r/actions/runs/9",
      eventName: "workflow_dispatch",
      headSha: "a".repeat(40),
      pullRequest: undefined,
    },
    checks: octokitChecks(octokit, { owner: "o", repo: "r" }),
    engine: engine(mode),
    artifacts: {
      upload: async ({ name }: { name: string }) => {
        uploads.push(name);
        return { id: 1 };
      },
    },
    log: { info: quiet, warning: quiet, error: quiet },
    writeSummary: async () => {},
    secrets: [],
    signal,
    intervalMs: 60_000,
    cancelGraceMs: 50,
  });
}

const idsTouched = () => [...new Set(touched.map((t) => t.id))].sort();
const conclusions = () => Object.fromEntries([...states].map(([id, s]) => [id, s.conclusion]));

describe("a matrix of Action jobs over one dispatch", () => {
  it("each job concludes only its own lanes' check runs", async () => {
    const first = await matrixJob("lint,unit", "pass");
    expect(first.conclusion).toBe("success");
    expect(idsTouched()).toEqual([51, 52]);
    expect(conclusions()).toEqual({ 51: "success", 52: "success" });

    touched = [];
    const second = await matrixJob("docs,e2e", "pass");
    expect(second.conclusion).toBe("success");
    expect(idsTouched()).toEqual([53, 54]);
    expect(conclusions()).toEqual({ 51: "success", 52: "success", 53: "success", 54: "success" });
    // One workflow run, one run id, two artifacts: GitHub refuses a second artifact of one name.
    expect(uploads).toHaveLength(2);
    expect(new Set(uploads).size).toBe(2);
    for (const name of uploads) expect(name).toMatch(new RegExp(`^pikaci-${RUN_ID}-[0-9a-f]{8}$`));
  });

  it("a job whose engine fails closes its own check runs and leaves its siblings' open", async () => {
    const result = await matrixJob("lint,unit", "throw");
    expect(result.conclusion).toBe("failure");
    expect(idsTouched()).toEqual([51, 52]);
    expect(conclusions()).toEqual({ 51: "failure", 52: "failure" });
  });

  it("a cancelled job concludes its own check runs cancelled and never touches a sibling's", async () => {
    const controller = new AbortController();
    const running = matrixJob("docs", "hang", controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    const result = await running;
    expect(result.conclusion).toBe("cancelled");
    expect(idsTouched()).toEqual([53]);
    expect(conclusions()).toEqual({ 53: "cancelled" });
  });

  it("a job given a lane the App did not dispatch runs only the dispatched ones", async () => {
    // A static matrix lists `unit` and `perf`; the App dispatched `unit` only (perf's paths did not
    // match, so the App concluded perf skipped itself and left it out of check_runs).
    const result = await matrixJob("unit,perf", "pass");
    expect(result.conclusion).toBe("success");
    expect(idsTouched()).toEqual([52]);
    expect(conclusions()).toEqual({ 52: "success" });
  });
});
