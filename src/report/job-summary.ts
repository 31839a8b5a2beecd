import type { JobRecord, RunRecord } from "../schema/index.js";
import { formatDuration } from "./duration.js";
import { slowestPhase } from "./phase-table.js";
import { conclusionFor } from "./title.js";

const ICON: Record<string, string> = {
  success: "✅",
  failure: "❌",
  timed_out: "⏱️",
  cancelled: "⛔",
  skipped: "⏭️",
};

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function row(job: JobRecord, checkUrl: string | undefined): string {
  const conclusion = conclusionFor(job);
  const slow = slowestPhase(job.phases);
  const slowest = slow?.duration_ms
    ? `${slow.phase.replaceAll("_", " ")} (${formatDuration(slow.duration_ms)})`
    : "–";
  const link = checkUrl ? `[check run](${checkUrl})` : "–";
  const status = `${ICON[conclusion] ?? ""} ${conclusion.replace("_", " ")}`;
  const duration =
    job.duration_ms === null || job.duration_ms === undefined ? "–" : formatDuration(job.duration_ms);
  return `| \`${cell(job.lane_id)}\` | ${status} | ${duration} | ${slowest} | ${link} |`;
}

/** The job summary: one row per lane with status, duration, slowest phase and a link to its check run. */
export function renderJobSummary(params: {
  run: Pick<RunRecord, "run_id" | "status" | "jobs" | "host">;
  checkUrls?: ReadonlyMap<string, string>;
}): string {
  const { run, checkUrls = new Map() } = params;
  const lines = [
    `## pikaci run \`${run.run_id}\`: ${run.status}`,
    "",
    "| Lane | Status | Duration | Slowest phase | Check |",
    "| --- | --- | ---: | --- | --- |",
    ...run.jobs.map((job) => row(job, checkUrls.get(job.lane_id))),
  ];
  if (run.jobs.length === 0) lines.push("| – | no lanes ran | | | |");
  const tests = testTotals(run.jobs);
  if (tests) lines.push("", tests);
  if (run.host) lines.push("", `Build host: \`${run.host}\``);
  return `${lines.join("\n")}\n`;
}

/** "**Tests:** 3 of 412 failed, 5 skipped, in 2 lanes" over every lane with JUnit results. */
export function testTotals(jobs: readonly Pick<JobRecord, "tests">[]): string | undefined {
  const withTests = jobs.filter((j) => j.tests && j.tests.counts.total > 0);
  if (withTests.length === 0) return undefined;
  const sum = (pick: (c: NonNullable<JobRecord["tests"]>["counts"]) => number) =>
    withTests.reduce((n, j) => n + pick(j.tests!.counts), 0);
  const total = sum((c) => c.total);
  const failed = sum((c) => c.failed + c.errors);
  const skipped = sum((c) => c.skipped);
  const lanes = withTests.length === 1 ? "1 lane" : `${withTests.length} lanes`;
  const verdict = failed > 0 ? `${failed} of ${total} failed` : `${total} passed`;
  return `**Tests:** ${verdict}${skipped > 0 ? `, ${skipped} skipped` : ""}, in ${lanes}`;
}
