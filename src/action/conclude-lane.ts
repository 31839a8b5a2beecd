import path from "node:path";
import { laneNotice, problemAnnotations } from "../report/annotations.js";
import { type FinalJob, renderFinalReport } from "../report/check-output.js";
import { formatDuration } from "../report/duration.js";
import { findProblems } from "../report/matchers/index.js";
import { relativizePath } from "../report/paths.js";
import { actionsForConclusion } from "../report/requested-actions.js";
import { testAnnotations } from "../report/test-results.js";
import type { LaneConclusion } from "./check-reporter.js";
import { readTail } from "./lane-files.js";

export interface ConcludeContext {
  workspace: string;
  /** The config's path relative to the repository (where lane notices go). */
  configPath: string;
  laneLines: ReadonlyMap<string, number>;
  /** Where the guest sees the workspace, so its absolute paths can be made relative. */
  guestRoots: readonly string[];
  secrets: readonly string[];
  runUrl: string | undefined;
  /** The run page (the check's details link), where every failed test is listed. */
  testsUrl?: string;
  /** Only the App can act on a button; a standalone run offers none. */
  offerActions: boolean;
  resolvePath: (relative: string) => Promise<string | undefined>;
  /** Why the lanes were selected as they were, when it needs saying (over GitHub's file-list cap). */
  selectionNote?: string;
}

function phaseLine(job: FinalJob): string {
  if (job.phases.length === 0) return "No phases recorded.";
  return job.phases
    .map((p) => `${p.phase.replaceAll("_", " ")}: ${formatDuration(p.duration_ms)}`)
    .join("\n");
}

/** Everything a finished lane's check run gets: conclusion, output, the lane notice and the problem annotations. */
export async function buildLaneConclusion(
  job: FinalJob & { host_log_path: string | null; guest_log_path: string | null },
  ctx: ConcludeContext,
): Promise<LaneConclusion> {
  const [guestLog, hostLog] = await Promise.all([readTail(job.guest_log_path), readTail(job.host_log_path)]);
  const report = renderFinalReport({
    job,
    guestLog,
    hostLog,
    secrets: ctx.secrets,
    runUrl: ctx.runUrl,
    ...(ctx.testsUrl ? { testsUrl: ctx.testsUrl } : {}),
  });
  const notice = laneNotice({
    configPath: ctx.configPath,
    line: ctx.laneLines.get(job.lane_id) ?? 1,
    laneId: job.lane_id,
    title: report.output.title,
    message: phaseLine(job),
  });
  const annotations = [notice];
  // Per-test failures come first: they are exact, the log matchers below are a best guess.
  if (job.status === "failed" && job.tests) annotations.push(...testAnnotations(job.tests, ctx.secrets));
  if (job.status === "failed" && guestLog !== "") {
    const roots = { repoRoot: ctx.workspace, guestRoots: ctx.guestRoots };
    const problems = findProblems(guestLog);
    const resolved = new Map<string, string | undefined>();
    for (const p of problems) {
      const rel = relativizePath(p.file, roots);
      if (rel !== undefined && !resolved.has(rel)) resolved.set(rel, await ctx.resolvePath(rel));
    }
    annotations.push(
      ...problemAnnotations(problems, {
        ...roots,
        secrets: ctx.secrets,
        resolve: (rel) => resolved.get(rel),
      }),
    );
  }
  const output = ctx.selectionNote
    ? { ...report.output, summary: `${ctx.selectionNote}\n\n${report.output.summary}` }
    : report.output;
  return {
    conclusion: report.conclusion,
    output,
    annotations,
    actions: ctx.offerActions ? actionsForConclusion(report.conclusion) : [],
  };
}

/** The config path as GitHub wants it in an annotation: relative to the repository, forward slashes. */
export function repoRelative(workspace: string, file: string): string {
  const abs = path.resolve(workspace, file);
  return path.relative(workspace, abs).split(path.sep).join("/");
}
