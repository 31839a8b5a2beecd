import type { Conclusion } from "../github/checks.js";
import type { JobRecord, PhaseName, PhaseRecord } from "../schema/index.js";
import { renderAttempts } from "./attempts.js";
import { truncateChars, truncateHead } from "./bytes.js";
import { formatDuration } from "./duration.js";
import { CHECK_OUTPUT_MAX_BYTES, CHECK_TITLE_MAX_CHARS } from "./limits.js";
import { logCutLine } from "./log-cut.js";
import { codeBlock, logTail } from "./log-tail.js";
import { maskSecrets } from "./mask.js";
import { renderPhaseTable, slowestPhase } from "./phase-table.js";
import { parseFailedTestCount } from "./test-counts.js";
import { failedCount, renderFailedTests, testsTitle } from "./test-results.js";
import { conclusionFor, laneTitle } from "./title.js";

/** The `output` object of a check run, always within GitHub's limits. */
export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

/** Enforce the byte/char limits on every field, whatever produced them. */
export function fitOutput(output: CheckOutput): CheckOutput {
  const fitted: CheckOutput = {
    title: truncateChars(output.title.replace(/\s*\n\s*/g, " "), CHECK_TITLE_MAX_CHARS),
    summary: truncateHead(output.summary, CHECK_OUTPUT_MAX_BYTES),
  };
  if (output.text !== undefined) fitted.text = truncateHead(output.text, CHECK_OUTPUT_MAX_BYTES);
  return fitted;
}

const TAIL_LINES = 100;
// Leave room for the heading and the fence around the tail.
const TAIL_BYTES = CHECK_OUTPUT_MAX_BYTES - 1024;

function tailSection(heading: string, log: string, secrets: readonly string[], complete: boolean): string {
  const tail = logTail(log, {
    maxLines: TAIL_LINES,
    maxBytes: TAIL_BYTES,
    secrets,
    completeLinesOnly: complete,
  });
  if (tail.trim() === "") return `### ${heading}\n\n_No output yet._`;
  return `### ${heading}\n\n${codeBlock(tail)}`;
}

export type FinalJob = Pick<
  JobRecord,
  | "lane_id"
  | "status"
  | "failure_kind"
  | "exit_code"
  | "duration_ms"
  | "timeout_secs"
  | "message"
  | "phases"
  | "executor"
  | "image"
  | "sync"
  | "attempts"
  | "host"
  | "log_truncation"
  | "tests"
>;

export interface FinalOutputParams {
  job: FinalJob;
  /** The guest log (the command's output); only its tail is shown. */
  guestLog: string;
  /** The host log, shown when the guest never ran (infrastructure failures). */
  hostLog?: string;
  secrets?: readonly string[];
  runUrl?: string;
  /** Where every failed test is listed (the run page), linked when the summary cannot hold them all. */
  testsUrl?: string;
}

export interface FinalReport {
  conclusion: Conclusion;
  output: CheckOutput;
  failedTests: number | undefined;
}

function facts(job: FinalJob): string {
  const parts = [`lane \`${job.lane_id}\``, `executor ${job.executor}`];
  if (job.host) parts.push(`host \`${job.host}\``);
  if (job.image) parts.push(`image \`${job.image}\``);
  if (job.exit_code !== null) parts.push(`exit code ${job.exit_code}`);
  if (job.attempts && job.attempts.length > 1) parts.push(`${job.attempts.length} attempts`);
  if (job.sync) {
    const s = job.sync;
    parts.push(
      s.snapshot_reused
        ? `snapshot \`${s.snapshot_hash.slice(0, 12)}\` reused`
        : `snapshot \`${s.snapshot_hash.slice(0, 12)}\`: ${s.objects_sent} files sent, ${s.objects_reused} reused`,
    );
  }
  return parts.join(" · ");
}

/** The conclusion and output of a finished lane: title line, phase table, facts, and the log's tail. */
export function renderFinalReport(params: FinalOutputParams): FinalReport {
  const { job, guestLog, hostLog = "", secrets = [], runUrl } = params;
  const tests = job.tests?.counts.total ? job.tests : undefined;
  const failedTests =
    job.status !== "failed" ? undefined : tests ? failedCount(tests) : parseFailedTestCount(guestLog);
  // Per-test results name the verdict only when they agree with it (a lane can fail after its tests pass).
  const fromTests =
    tests && ((job.status === "passed" && failedTests === undefined) || (failedTests ?? 0) > 0)
      ? testsTitle(tests, job.duration_ms)
      : undefined;
  const title = maskSecrets(
    job.failure_kind === "test_failure" || job.status === "passed"
      ? (fromTests ?? laneTitle(job, failedTests))
      : laneTitle(job, failedTests),
    secrets,
  );
  const slowest = slowestPhase(job.phases);
  const lines = [`**${title}**`, "", renderPhaseTable(job.phases), ""];
  if (slowest?.duration_ms) {
    lines.push(
      `Slowest phase: **${slowest.phase.replaceAll("_", " ")}** (${formatDuration(slowest.duration_ms)}).`,
      "",
    );
  }
  lines.push(facts(job));
  const attempts = renderAttempts(job.attempts, secrets);
  if (attempts) lines.push("", attempts);
  if (job.log_truncation) lines.push("", logCutLine(job.log_truncation));
  if (job.message && job.status !== "passed") lines.push("", codeBlock(maskSecrets(job.message, secrets)));
  if (runUrl) lines.push("", `[Workflow run](${runUrl})`);
  if (tests && (failedTests ?? 0) > 0) {
    const budgetBytes = CHECK_OUTPUT_MAX_BYTES - Buffer.byteLength(lines.join("\n")) - 64;
    lines.push("", renderFailedTests({ tests, budgetBytes, moreUrl: params.testsUrl ?? runUrl, secrets }));
  }
  const useHostLog = guestLog.trim() === "" && hostLog.trim() !== "";
  const text = useHostLog
    ? tailSection("Host log (the guest produced no output)", hostLog, secrets, false)
    : tailSection(`Last ${TAIL_LINES} lines of the log`, guestLog, secrets, false);
  return {
    conclusion: conclusionFor(job),
    failedTests,
    output: fitOutput({ title, summary: lines.join("\n"), text }),
  };
}

export interface ProgressParams {
  phase: PhaseName | undefined;
  phases: readonly PhaseRecord[];
  elapsedMs: number;
  log: string;
  secrets?: readonly string[];
}

/** The output of a running lane: the current phase, the phases so far, the live tail of the log. */
export function renderProgressOutput(params: ProgressParams): CheckOutput {
  const { phase, phases, elapsedMs, log, secrets = [] } = params;
  const doing = phase ? phase.replaceAll("_", " ") : "starting";
  const title = `Running: ${doing} (${formatDuration(elapsedMs)})`;
  const summary = [`**${title}**`, "", renderPhaseTable(phases)].join("\n");
  return fitOutput({ title, summary, text: tailSection("Live log", log, secrets, true) });
}
