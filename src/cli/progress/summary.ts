import { formatDuration } from "../../report/duration.js";
import { logCutLine } from "../../report/log-cut.js";
import type { RunRecord } from "../../schema/index.js";
import { hostLines } from "./hosts.js";

/**
 * The end-of-run table: each lane's status, duration, failure kind and message, and how to read
 * its logs. `tails` holds the last lines of the guest log of failed lanes. Pure.
 */
export function renderSummary(run: RunRecord, tails: ReadonlyMap<string, string> = new Map()): string {
  const took =
    run.finished_at && run.created_at
      ? ` in ${formatDuration(Date.parse(run.finished_at) - Date.parse(run.created_at))}`
      : "";
  const width = Math.max(4, ...run.jobs.map((job) => job.lane_id.length));
  const rows = run.jobs.map((job) => {
    const duration =
      job.duration_ms === null || job.duration_ms === undefined ? "-" : formatDuration(job.duration_ms);
    const result = job.failure_kind
      ? `${job.failure_kind}: ${job.message ?? ""}`
      : job.status === "skipped" || job.status === "cancelled"
        ? (job.message ?? "")
        : "";
    return `  ${job.lane_id.padEnd(width)}  ${job.status.padEnd(9)}  ${duration.padStart(8)}  ${oneLine(result)}`.trimEnd();
  });
  const lines = [
    "",
    `run ${run.run_id}: ${run.status}${took}`,
    `  ${"LANE".padEnd(width)}  ${"STATUS".padEnd(9)}  ${"DURATION".padStart(8)}  RESULT`,
    ...rows,
  ];
  if (run.message && run.status !== "passed") lines.push(`  ${run.message}`);
  lines.push(...hostLines(run));
  for (const job of run.jobs) {
    if (job.log_truncation) lines.push(`  ${job.lane_id}: ${logCutLine(job.log_truncation)}`);
  }
  for (const job of run.jobs) {
    const tail = tails.get(job.lane_id);
    if (!tail) continue;
    lines.push(
      "",
      `--- ${job.lane_id}: last lines of guest.log ---`,
      ...tail
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  const failed = run.jobs.filter((job) => job.status === "failed");
  lines.push("");
  if (failed.length > 0) {
    for (const job of failed) lines.push(`logs: pikaci logs ${run.run_id} --lane ${job.lane_id}`);
  } else if (run.jobs.some((job) => job.status !== "skipped")) {
    lines.push(`logs: pikaci logs ${run.run_id} [--lane ID] [--kind host|guest|both]`);
  }
  return `${lines.join("\n")}\n`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
