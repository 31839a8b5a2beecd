import path from "node:path";
import { PikaciError } from "../../errors/index.js";
import { formatDuration } from "../../report/duration.js";
import type { RunRecord } from "../../schema/index.js";
import { createStateStore, resolveStateRoot } from "../../store/index.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../io.js";

export const statusCommand: Command = {
  name: "status",
  summary: "show a recorded run (the latest when no id is given), one row per lane",
  usage: `Usage: pikaci status [RUN_ID] [--state-root DIR] [--json]

Shows the run's status and a table of its lanes' jobs: status, phase (while running),
duration, failure kind and message. Without RUN_ID, the newest run under the state root.

Options:
      --state-root DIR   where runs are recorded (default: $PIKACI_STATE_ROOT or ./.pikaci)
      --json             print run.json as it is
  -h, --help             show this help`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      "status",
      args,
      { "state-root": { type: "string" }, json: { type: "boolean", default: false } },
      true,
    );
    const root = values["state-root"]
      ? path.resolve(io.cwd, values["state-root"])
      : resolveStateRoot(io.env, io.cwd);
    const store = createStateStore({ root });
    const runId = positionals[0];
    const run = runId ? await store.loadRunRecord(runId) : ((await store.listRuns({ limit: 1 }))[0] ?? null);
    if (!run) {
      throw new PikaciError(runId ? `no run ${runId} under ${root}` : `no runs recorded under ${root}`, {
        hint: runId
          ? "check the id, or pass --state-root"
          : "start one with `pikaci run`, or pass --state-root",
      });
    }
    io.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : renderStatus(run, Date.now()));
    return 0;
  },
};

/** The run and its jobs as a table; a running job shows its current phase and elapsed time. Pure. */
export function renderStatus(run: RunRecord, nowMs: number): string {
  const width = Math.max(4, ...run.jobs.map((job) => job.lane_id.length));
  const rows = run.jobs.map((job) => {
    const current = job.phases.findLast((phase) => phase.status === "running");
    const elapsed =
      job.duration_ms !== null && job.duration_ms !== undefined
        ? formatDuration(job.duration_ms)
        : job.started_at
          ? formatDuration(nowMs - Date.parse(job.started_at))
          : "-";
    const detail =
      job.status === "running"
        ? (current?.phase ?? "starting")
        : job.failure_kind
          ? `${job.failure_kind}: ${job.message ?? ""}`
          : job.status === "skipped"
            ? (job.message ?? "")
            : "";
    const attempts = (job.attempts?.length ?? 0) > 1 ? ` (${job.attempts!.length} attempts)` : "";
    return `  ${job.lane_id.padEnd(width)}  ${job.status.padEnd(9)}  ${elapsed.padStart(8)}  ${detail}${attempts}`.trimEnd();
  });
  const head = [
    `run ${run.run_id}: ${run.status}`,
    `  created ${run.created_at}${run.finished_at ? `, finished ${run.finished_at}` : ""}${run.host ? `, on ${run.host}` : ""}`,
  ];
  if (run.snapshot_hash) head.push(`  snapshot ${run.snapshot_hash}`);
  if (run.message) head.push(`  ${run.message}`);
  return `${[...head, `  ${"LANE".padEnd(width)}  ${"STATUS".padEnd(9)}  ${"DURATION".padStart(8)}  DETAIL`, ...rows].join("\n")}\n`;
}
