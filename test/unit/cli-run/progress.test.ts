import { describe, expect, it } from "vitest";
import { inferWorkspace } from "../../../src/cli/commands/run.js";
import { renderStatus } from "../../../src/cli/commands/status.js";
import { plainLine } from "../../../src/cli/progress/plain.js";
import { renderSummary } from "../../../src/cli/progress/summary.js";
import { renderTable } from "../../../src/cli/progress/tty.js";
import { emptyRunView as emptyProgress, foldRun as foldEvent } from "../../../src/run/lane-fold.js";
import type { JobRecord, RunEvent, RunRecord } from "../../../src/schema/index.js";

/** The record a job_finished event carries; the progress lines read only the event's own fields. */
function jobRecord(laneId: string, status: JobRecord["status"]): JobRecord {
  return {
    lane_id: laneId,
    description: laneId,
    status,
    executor: "local",
    plan_node_id: `execute-${laneId}`,
    timeout_secs: 60,
    host_log_path: null,
    guest_log_path: null,
    started_at: null,
    finished_at: null,
    exit_code: null,
    message: null,
    failure_kind: null,
    phases: [],
  };
}
const RUN = "20260101T000000Z-0000abcd";
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const T0 = Date.parse(at(0));

const events: RunEvent[] = [
  { type: "run_started", at: at(0), run_id: RUN, lanes: ["lint", "unit"] },
  { type: "job_started", at: at(100), run_id: RUN, lane_id: "lint", attempt: 1 },
  {
    type: "job_phase",
    at: at(200),
    run_id: RUN,
    lane_id: "lint",
    phase: "prepare_runtime",
    state: "started",
    duration_ms: null,
  },
  {
    type: "job_finished",
    at: at(2900),
    run_id: RUN,
    lane_id: "lint",
    status: "passed",
    failure_kind: null,
    exit_code: 0,
    duration_ms: 2800,
    message: null,
    job: jobRecord("lint", "passed"),
  },
  { type: "job_started", at: at(3000), run_id: RUN, lane_id: "unit", attempt: 2 },
];

describe("plain progress lines", () => {
  it("stamps phases, retries and results relative to the run start", () => {
    expect(events.map((e) => plainLine(e, T0))).toEqual([
      `[0.0s] run ${RUN}: 2 lane(s): lint, unit`,
      null,
      "[0.2s] lint: prepare_runtime…",
      "[2.9s] lint: passed in 2.8s",
      "[3.0s] unit: retrying (attempt 2)",
    ]);
    const failed: RunEvent = {
      type: "job_finished",
      at: at(15100),
      run_id: RUN,
      lane_id: "unit",
      status: "failed",
      failure_kind: "timeout",
      exit_code: null,
      duration_ms: 12000,
      message: "timed out after 12s",
      job: jobRecord("unit", "failed"),
    };
    expect(plainLine(failed, T0)).toBe("[15.1s] unit: failed (timeout) in 12s: timed out after 12s");
  });
});

describe("tty table", () => {
  it("shows each lane's status, current phase and elapsed time", () => {
    const state = events.slice(0, 3).reduce(foldEvent, emptyProgress);
    expect(renderTable(state, T0 + 1600)).toEqual([
      "  lint  running    prepare_runtime         1.5s",
      "  unit  queued",
    ]);
    const later = events.reduce(foldEvent, emptyProgress);
    expect(renderTable(later, T0 + 3500)).toEqual([
      "  lint  passed                             2.8s",
      "  unit  running    starting (attempt 2)    0.5s",
    ]);
  });
});

function job(id: string, patch: Partial<JobRecord>): JobRecord {
  return {
    id,
    lane_id: id,
    description: id,
    status: "passed",
    executor: "local",
    plan_node_id: `execute-${id}`,
    timeout_secs: 60,
    host_log_path: null,
    guest_log_path: null,
    started_at: at(0),
    finished_at: at(1000),
    duration_ms: 1000,
    exit_code: 0,
    message: null,
    failure_kind: null,
    phases: [],
    ...patch,
  };
}

const run: RunRecord = {
  schema_version: 1,
  run_id: RUN,
  status: "failed",
  git_head: null,
  git_dirty: null,
  created_at: at(0),
  finished_at: at(4200),
  plan_path: "plan.json",
  changed_files: null,
  filters: [],
  message: null,
  prepare_timings: [],
  jobs: [
    job("lint", {}),
    job("flaky", {
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 1,
      message: "exited with code 1",
    }),
    job("docs", {
      status: "skipped",
      duration_ms: null,
      message: "no changed files matched 1 path filter(s)",
    }),
  ],
};

describe("summary and status", () => {
  it("summarises every lane with its result and says how to read the failing lane's logs", () => {
    const text = renderSummary(run, new Map([["flaky", "FAIL: 4 !== 5"]]));
    expect(text).toContain(`run ${RUN}: failed in 4.2s`);
    expect(text).toMatch(/ {2}flaky\s+failed\s+1s {2}test_failure: exited with code 1\n/);
    expect(text).toMatch(/ {2}docs\s+skipped\s+- {2}no changed files matched/);
    expect(text).toContain("--- flaky: last lines of guest.log ---\n  FAIL: 4 !== 5");
    expect(text).toContain(`logs: pikaci logs ${RUN} --lane flaky`);
    expect(text).not.toContain("--lane lint");
  });

  it("names each build host's fate and a lane whose retry moved to another host", () => {
    const attempt = (n: number, host: string, status: "failed" | "passed") => ({
      attempt: n,
      status,
      failure_kind: status === "failed" ? ("infrastructure" as const) : null,
      exit_code: status === "failed" ? null : 0,
      message: null,
      started_at: at(0),
      finished_at: at(500),
      phases: [],
      host,
    });
    const text = renderSummary({
      ...run,
      status: "passed",
      jobs: [
        job("lint", {
          host: "ssh://a:22",
          attempts: [attempt(1, "ssh://b:22", "failed"), attempt(2, "ssh://a:22", "passed")],
        }),
      ],
      hosts: [
        { url: "ssh://a:22", status: "used", reason: null, capacity: 4, labels: [] },
        { url: "ssh://b:22", status: "lost", reason: "connection closed", capacity: 4, labels: [] },
      ],
    });
    expect(text).toContain(
      "  host ssh://a:22: used (1 lane(s))\n  host ssh://b:22: lost: connection closed\n",
    );
    expect(text).toContain("  lint: failed (infrastructure) on ssh://b:22, then passed on ssh://a:22\n");
    expect(renderSummary(run)).not.toContain("host ");
  });

  it("shows a running job's current phase in `pikaci status`", () => {
    const live: RunRecord = {
      ...run,
      status: "running",
      finished_at: null,
      jobs: [
        job("lint", {
          status: "running",
          finished_at: null,
          duration_ms: null,
          phases: [
            { phase: "sync_snapshot", started_at: at(0), finished_at: at(10), duration_ms: 10, status: "ok" },
            {
              phase: "wait_for_completion",
              started_at: at(10),
              finished_at: null,
              duration_ms: null,
              status: "running",
            },
          ],
        }),
      ],
    };
    expect(renderStatus(live, T0 + 2000)).toMatch(/ {2}lint\s+running\s+2s {2}wait_for_completion/);
  });
});

describe("inferWorkspace", () => {
  it("takes the repository above .github, else the current directory", () => {
    expect(inferWorkspace("/r/demo/.github/pikaci.yml", "/cwd")).toBe("/r/demo");
    expect(inferWorkspace("/r/ci/pikaci.yml", "/cwd")).toBe("/cwd");
  });
});
