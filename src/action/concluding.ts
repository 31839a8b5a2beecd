import { describeError } from "../errors/index.js";
import type { JobRecord, RunRecord } from "../schema/index.js";
import type { CheckReporter, ReporterLog } from "./check-reporter.js";
import { buildLaneConclusion, type ConcludeContext } from "./conclude-lane.js";

/** A lane finished: conclude its check run from the job record the event carries, now. */
export async function concludeFinished(p: {
  job: JobRecord;
  reporter: CheckReporter;
  ctx: ConcludeContext;
  log: ReporterLog;
}): Promise<void> {
  try {
    await p.reporter.conclude(p.job.lane_id, await buildLaneConclusion(p.job, p.ctx));
  } catch (error) {
    p.log.warning(`Could not build the report of lane ${p.job.lane_id}: ${describeError(error)}`);
  }
}

/** Lanes the engine never announced as finished (skipped, or not run): conclude them from the record. */
export async function concludeRemaining(p: {
  record: RunRecord;
  reporter: CheckReporter;
  ctx: ConcludeContext;
}): Promise<void> {
  const { record, reporter } = p;
  // All at once: after a cancel every lane lands here, with seconds left.
  await Promise.all(
    record.jobs
      .filter((job) => !reporter.isConcluded(job.lane_id))
      .map(async (job) => reporter.conclude(job.lane_id, await buildLaneConclusion(job, p.ctx))),
  );
  await Promise.all(
    reporter
      .tracked()
      .filter((laneId) => !reporter.isConcluded(laneId))
      .map((laneId) => {
        const filter = record.filters.find((f) => f.lane_id === laneId);
        const title =
          filter && !filter.selected ? `Skipped: ${filter.reason}` : "Skipped: not part of this run";
        return reporter.conclude(laneId, { conclusion: "skipped", output: { title, summary: title } });
      }),
  );
}
