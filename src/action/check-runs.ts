import { describeError } from "../errors/index.js";
import type { CheckReporter, ReporterLog } from "./check-reporter.js";
import type { ChecksPort } from "./checks-port.js";
import type { ActionContext } from "./context.js";
import type { ActionInputs } from "./inputs.js";

/**
 * Adopt the App's check runs (dispatched mode): they are read before being concluded. With `lanes`,
 * only those lanes' check runs: in a matrix every job gets the App's whole map, and a sibling job's
 * check runs are the sibling's to read, update and conclude (or to cancel, when it is cancelled).
 */
export function adoptCheckRuns(reporter: CheckReporter, inputs: ActionInputs): void {
  const mine = inputs.lanes === undefined ? null : new Set(inputs.lanes);
  for (const [laneId, id] of Object.entries(inputs["check-runs"] ?? {}))
    if (mine === null || mine.has(laneId)) reporter.track(laneId, id, undefined, true);
}

/** Standalone mode: one queued check run per lane, each tracked by the reporter. */
export async function createCheckRuns(p: {
  reporter: CheckReporter;
  checks: ChecksPort;
  lanes: readonly string[];
  context: Pick<ActionContext, "headSha">;
  runId: string;
  detailsUrl: string | undefined;
  log: ReporterLog;
  note: string | undefined;
}): Promise<void> {
  const note = p.note ? `${p.note}\n\n` : "";
  for (const laneId of p.lanes) {
    try {
      const ref = await p.checks.create({
        name: laneId,
        head_sha: p.context.headSha,
        status: "queued",
        external_id: p.runId,
        ...(p.detailsUrl ? { details_url: p.detailsUrl } : {}),
        output: { title: "Queued", summary: `${note}Lane \`${laneId}\` is waiting for a build slot.` },
      });
      p.reporter.track(laneId, ref.id, ref.html_url);
    } catch (error) {
      p.log.warning(`Could not create a check run for lane ${laneId}: ${describeError(error)}`);
    }
  }
}
