import type { CheckRunOutput } from "../../../src/github/checks.js";
import type { CheckRunInfo } from "../github-port.js";
import type { AppDeps, EventScope } from "./deps.js";
import { ownLanes } from "./own-lanes.js";

/** A lane in one of these states may still hold (or be about to take) the build host. */
export const ACTIVE = new Set(["queued", "in_progress"]);

export interface CancelLanesParams {
  /** The commit whose lanes are cancelled. */
  headSha: string;
  /** What the cancelled check runs say: why they were cancelled. */
  output: CheckRunOutput;
  /** The log line, e.g. "superseded <sha> by <sha>". */
  reason: string;
  /** Only this pull request's lanes: one commit can be the head of two pull requests. */
  pr?: number;
  /**
   * Also conclude a fork's lanes still waiting for "Approve and run" (`completed` /
   * `action_required`): nothing runs yet, but a closed or superseded head should not wait for an
   * approval that would run it.
   */
  awaitingApproval?: boolean;
}

/**
 * Conclude a commit's pikaci lanes still open as `cancelled` and cancel the workflow runs
 * dispatched for them, when the dispatch recorded an id: the build host stops working for them.
 * One listing of the commit's check runs (filtered to this App), one update per open lane, one
 * cancel per workflow run.
 */
export async function cancelOpenLanes(scope: EventScope, deps: AppDeps, params: CancelLanesParams) {
  const runs = await scope.port.listOwnCheckRuns(params.headSha);
  const open = ownLanes(runs, { appId: deps.appId, pr: params.pr }).filter(({ run }) =>
    isOpen(run, params.awaitingApproval === true),
  );
  if (open.length === 0) return;
  const { output } = params;
  await Promise.all(
    open.map(({ run }) =>
      scope.port.updateCheckRun(run.id, { status: "completed", conclusion: "cancelled", output }),
    ),
  );
  const runIds = [...new Set(open.map((a) => a.ref.runId))];
  for (const runId of runIds) {
    const record = await deps.store.byRunId(runId);
    if (record?.workflow_run_id && record.repository === scope.repository) {
      await scope.port.cancelWorkflowRun(record.workflow_run_id);
    }
  }
  scope.log.info({ cancelled: open.length, runs: runIds }, params.reason);
}

function isOpen(run: CheckRunInfo, awaitingApproval: boolean): boolean {
  return ACTIVE.has(run.status) || (awaitingApproval && run.conclusion === "action_required");
}
