import type { JobRecord, PhaseName, PhaseRecord, RunRecord } from "../../../src/schema/index.js";

/** A run shaped like the original's web view: 10 lanes, 9 passed, 1 failed, queued 2m08s, ran 24m31s. */

export const RUN_ID = "20260324T162238Z-7ee67b97";
const CREATED = Date.parse("2026-03-24T16:22:38Z");
const STARTED = CREATED + 128_000;

export const LANES = [
  "check-pika-rust",
  "check-pika-followup",
  "check-notifications",
  "check-agent-contracts",
  "check-rmp",
  "check-pikachat",
  "check-pikachat-typescript",
  "check-apple-host-sanity",
  "check-pikachat-openclaw-e2e",
  "check-fixture",
];

const iso = (ms: number) => new Date(ms).toISOString();

/** Phases back to back from `start`, each `[name, ms]`. */
export function phases(start: number, spec: [PhaseName, number][], lastStatus: PhaseRecord["status"] = "ok") {
  let at = start;
  return spec.map(([phase, ms], index): PhaseRecord => {
    const record: PhaseRecord = {
      phase,
      started_at: iso(at),
      finished_at: iso(at + ms),
      duration_ms: ms,
      status: index === spec.length - 1 ? lastStatus : "ok",
    };
    at += ms;
    return record;
  });
}

export function job(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    lane_id: id,
    description: `${id.replace(/^check-/, "")} checks`,
    status: "passed",
    executor: "incus",
    plan_node_id: `execute-${id}`,
    timeout_secs: 1800,
    host_log_path: null,
    guest_log_path: null,
    started_at: null,
    finished_at: null,
    exit_code: 0,
    message: null,
    failure_kind: null,
    phases: [],
    ...overrides,
  };
}

export function laneJob(id: string, index: number): JobRecord {
  // Two lanes at a time, like the original's default parallelism; lane 3 has a slow runtime start.
  const start = STARTED + Math.floor(index / 2) * 140_000 + (index % 2) * 3_000;
  const failed = id === "check-apple-host-sanity";
  const spec: [PhaseName, number][] = [
    ["prepare_directories", 900],
    ["sync_snapshot", 4_000 + index * 700],
    ["prepare_runtime", index === 3 ? 95_000 : 12_000],
    ["launch_guest", 1_500],
    ["wait_for_completion", 60_000 + index * 9_000],
    ["collect_artifacts", 2_000],
    ["cleanup", 3_000],
  ];
  const list = phases(start, spec);
  if (failed) list[4]!.status = "failed";
  const total = spec.reduce((sum, [, ms]) => sum + ms, 0);
  return job(id, {
    status: failed ? "failed" : "passed",
    started_at: iso(start),
    finished_at: iso(start + total),
    duration_ms: total,
    exit_code: failed ? 101 : 0,
    failure_kind: failed ? "test_failure" : null,
    message: failed ? "guest command exited with status 101" : null,
    failure_excerpt: failed
      ? "test sanity::host_has_xcode ... \u001b[31mFAILED\u001b[0m\n\nfailures:\n    sanity::host_has_xcode\n\ntest result: \u001b[1;31mFAILED\u001b[0m. 11 passed; 1 failed"
      : null,
    phases: list,
  });
}

export function sampleRun(laneCount = LANES.length): RunRecord {
  const jobs = LANES.slice(0, laneCount).map(laneJob);
  return {
    schema_version: 1,
    run_id: RUN_ID,
    status: jobs.some((j) => j.status === "failed") ? "failed" : "passed",
    git_head: "7ee67b97888277e02a0d1e86653df7ddfee266c9",
    git_dirty: false,
    created_at: iso(CREATED),
    started_at: iso(STARTED),
    finished_at: iso(STARTED + 1_471_000),
    plan_path: null,
    changed_files: ["crates/pikaci/src/executor.rs"],
    filters: [],
    message: null,
    prepare_timings: [],
    jobs,
    repository: "sledtools/pika",
    pull_request: 37,
    head_branch: "pika-orch-incus-cleanup-4",
    workflow_run_url: "https://github.com/sledtools/pika/actions/runs/45",
  };
}

/** A log of roughly `bytes` bytes with coloured lines, ending in a recognisable last line. */
export function sampleLog(bytes: number, jobId: string): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 7 === 0
        ? `\u001b[32m   Compiling\u001b[0m crate-${i} v0.${i % 10}.0 (/workspace/snapshot/crates/crate-${i})`
        : `[${jobId}] step ${i}: running cargo test --package crate-${i % 40} -- --nocapture`;
    lines.push(line);
    size += line.length + 1;
  }
  lines.push(`\u001b[1m${jobId} finished\u001b[0m`);
  return `${lines.join("\n")}\n`;
}
