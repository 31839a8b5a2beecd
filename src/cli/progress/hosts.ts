import type { RunRecord } from "../../schema/index.js";

/**
 * The summary's build-host lines: each host's status when there are several (or one was skipped or
 * lost), and each lane whose attempts ran on different hosts. Pure.
 */
export function hostLines(run: RunRecord): string[] {
  const hosts = run.hosts ?? [];
  const lines: string[] = [];
  if (hosts.length > 1 || hosts.some((h) => h.status === "skipped" || h.status === "lost")) {
    for (const h of hosts) {
      const lanes = run.jobs.filter((job) => job.host === h.url).length;
      const why = h.reason ? `: ${h.reason.replace(/\s*\n\s*/g, " ")}` : "";
      lines.push(`  host ${h.url}: ${h.status}${h.status === "used" ? ` (${lanes} lane(s))` : ""}${why}`);
    }
  }
  for (const job of run.jobs) {
    const attempts = job.attempts ?? [];
    if (attempts.length < 2 || new Set(attempts.map((a) => a.host)).size < 2) continue;
    const tries = attempts.map(
      (a) => `${a.status}${a.failure_kind ? ` (${a.failure_kind})` : ""} on ${a.host}`,
    );
    lines.push(`  ${job.lane_id}: ${tries.join(", then ")}`);
  }
  return lines;
}
