import { describe, expect, it } from "vitest";
import { byteLength } from "../../../src/report/bytes.js";
import type { FinalJob } from "../../../src/report/check-output.js";
import { fitOutput, renderFinalReport, renderProgressOutput } from "../../../src/report/check-output.js";
import { renderJobSummary } from "../../../src/report/job-summary.js";
import { bar, renderPhaseTable } from "../../../src/report/phase-table.js";
import type { JobRecord, PhaseRecord } from "../../../src/schema/index.js";

const LIMIT = 65_535;
const at = "2026-03-24T16:22:38.000Z";
const phase = (
  name: PhaseRecord["phase"],
  ms: number,
  status: PhaseRecord["status"] = "ok",
): PhaseRecord => ({
  phase: name,
  started_at: at,
  finished_at: at,
  duration_ms: ms,
  status,
});

const job: FinalJob = {
  lane_id: "check-rust",
  status: "failed",
  failure_kind: "test_failure",
  exit_code: 101,
  duration_ms: 134_000,
  timeout_secs: 1800,
  message: "command exited with 101",
  phases: [
    phase("sync_snapshot", 4_000),
    phase("wait_for_completion", 120_000, "failed"),
    phase("cleanup", 900),
  ],
  executor: "incus",
  image: "pikaci-debian",
  sync: null,
  attempts: [],
};

const isValidUtf8 = (s: string) =>
  new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(s, "utf8")) === s;

describe("renderFinalReport", () => {
  it("says in the summary when the log was cut to its log_limit, and says nothing otherwise", () => {
    const cut = {
      limit_bytes: 100 * 1024 * 1024,
      total_bytes: 2 * 1024 ** 3,
      head_bytes: 52_428_000,
      tail_bytes: 52_428_544,
    };
    const report = renderFinalReport({ job: { ...job, log_truncation: cut }, guestLog: "end\n" });
    expect(report.output.summary).toContain(
      "Log truncated: kept first 50.0 MiB and last 50.0 MiB of 2.0 GiB (log_limit 100.0 MiB).",
    );
    const whole = renderFinalReport({ job: { ...job, log_truncation: null }, guestLog: "end\n" });
    expect(whole.output.summary).not.toContain("truncated");
  });

  it("keeps every field of a 5 MB emoji log within 65,535 bytes, valid UTF-8, ending with the log's end", () => {
    const line = "🔥💥 test output with emoji 🚀🎉 ".repeat(4);
    let log = `${line}\n`.repeat(Math.ceil((5 * 1024 * 1024) / byteLength(`${line}\n`)));
    expect(byteLength(log)).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    log += "test result: FAILED. 10 passed; 3 failed; 0 ignored\nTHE LAST LINE 😀\n";
    const report = renderFinalReport({ job: { ...job, message: "💥".repeat(40_000) }, guestLog: log });
    for (const field of [report.output.title, report.output.summary, report.output.text ?? ""]) {
      expect(byteLength(field)).toBeLessThanOrEqual(LIMIT);
      expect(isValidUtf8(field)).toBe(true);
    }
    expect(report.output.title).toBe("3 tests failed in 2m14s");
    expect(report.output.text).toContain("THE LAST LINE 😀");
    expect(report.conclusion).toBe("failure");
  });

  it("shows the phase table, slowest phase and link, and masks secrets", () => {
    const report = renderFinalReport({
      job: { ...job, message: "failed with token ghs_topsecret123" },
      guestLog: "\u001b[31merror\u001b[0m ghs_topsecret123\n",
      secrets: ["ghs_topsecret123"],
      runUrl: "https://github.com/o/r/actions/runs/1",
    });
    expect(report.output.summary).toContain("| ✗ wait for completion | 2m | `████████████████████` |");
    expect(report.output.summary).toContain("Slowest phase: **wait for completion** (2m).");
    expect(report.output.summary).toContain("[Workflow run](https://github.com/o/r/actions/runs/1)");
    expect(JSON.stringify(report)).not.toContain("ghs_topsecret123");
    expect(report.output.text).toContain("error ***");
    expect(report.output.text).not.toContain("\u001b");
  });

  it("shows the host log when the guest never ran", () => {
    const report = renderFinalReport({
      job: { ...job, failure_kind: "infrastructure", message: "build host unreachable", exit_code: null },
      guestLog: "",
      hostLog: "pikaci: ssh connect failed: ECONNREFUSED\n",
    });
    expect(report.output.title).toBe("Infrastructure error: build host unreachable");
    expect(report.output.text).toContain("ECONNREFUSED");
  });

  it("maps a timeout to timed_out", () => {
    const report = renderFinalReport({ job: { ...job, failure_kind: "timeout" }, guestLog: "" });
    expect(report.conclusion).toBe("timed_out");
    expect(report.output.title).toBe("Timed out after 30m");
  });
});

describe("renderProgressOutput", () => {
  it("names the current phase and shows only complete lines of the live log", () => {
    const out = renderProgressOutput({
      phase: "wait_for_completion",
      phases: [phase("sync_snapshot", 2000)],
      elapsedMs: 65_000,
      log: "compiling\nrunning tests\nhalf",
    });
    expect(out.title).toBe("Running: wait for completion (1m05s)");
    expect(out.text).toContain("running tests");
    expect(out.text).not.toContain("half");
  });
});

describe("fitOutput", () => {
  it("enforces the byte and title limits", () => {
    const out = fitOutput({
      title: `a\n${"t".repeat(400)}`,
      summary: "é".repeat(70_000),
      text: "😀".repeat(20_000),
    });
    expect(out.title.length).toBeLessThanOrEqual(255);
    expect(out.title).not.toContain("\n");
    expect(byteLength(out.summary)).toBeLessThanOrEqual(LIMIT);
    expect(byteLength(out.text!)).toBeLessThanOrEqual(LIMIT);
  });
});

describe("phase bars", () => {
  it("scales to the slowest phase in eighths of a cell", () => {
    expect(bar(10, 10)).toBe("█".repeat(20));
    expect(bar(5, 10)).toBe("█".repeat(10));
    expect(bar(1, 160)).toBe("▏");
    expect(bar(0, 10)).toBe("");
    expect(renderPhaseTable([])).toBe("_No phases recorded._");
  });
});

describe("renderJobSummary", () => {
  it("lists every lane with status, duration, slowest phase and a check-run link", () => {
    const record = (
      lane: string,
      status: JobRecord["status"],
      kind: JobRecord["failure_kind"],
    ): JobRecord => ({
      id: lane,
      lane_id: lane,
      description: lane,
      status,
      executor: "incus",
      plan_node_id: lane,
      timeout_secs: 60,
      host_log_path: null,
      guest_log_path: null,
      started_at: at,
      finished_at: at,
      duration_ms: 61_000,
      exit_code: null,
      message: null,
      failure_kind: kind,
      phases: [phase("sync_snapshot", 1000), phase("wait_for_completion", 59_000)],
    });
    const md = renderJobSummary({
      run: {
        run_id: "20260324T162238Z-1a2b3c4d",
        status: "failed",
        host: "ssh://ci@build:22",
        jobs: [record("a", "passed", null), record("b", "failed", "timeout")],
      },
      checkUrls: new Map([["a", "https://github.com/o/r/runs/1"]]),
    });
    expect(md).toContain(
      "| `a` | ✅ success | 1m01s | wait for completion (59s) | [check run](https://github.com/o/r/runs/1) |",
    );
    expect(md).toContain("| `b` | ⏱️ timed out | 1m01s | wait for completion (59s) | – |");
  });
});
