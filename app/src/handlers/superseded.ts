import { rerunFailedAction } from "../../../src/report/requested-actions.js";
import { decodeExternalId } from "../external-id.js";
import { abandonedOutput, supersededOutput } from "../outputs.js";
import { ACTIVE, cancelOpenLanes } from "./cancel-lanes.js";
import type { AppDeps, EventScope } from "./deps.js";

/**
 * A new head was pushed: the old head's lanes of this pull request still queued, running or, for
 * a fork, waiting for approval are concluded `cancelled` ("superseded by <sha>"), and their
 * workflow runs are cancelled when the dispatch recorded an id.
 */
export async function cancelSuperseded(
  scope: EventScope,
  deps: AppDeps,
  { pr, beforeSha, afterSha }: { pr: number; beforeSha: string; afterSha: string },
): Promise<void> {
  await cancelOpenLanes(scope, deps, {
    headSha: beforeSha,
    output: supersededOutput(afterSha),
    reason: `superseded ${beforeSha} by ${afterSha}`,
    // The old commit may still be the head of another pull request: its lanes are not ours to end.
    pr,
    // Left waiting, a superseded fork commit could still be approved, and its code run.
    awaitingApproval: true,
  });
}

/**
 * `workflow_run.completed` for a run the App dispatched: any lane still queued or in progress
 * was never going to be concluded (the job died first), so conclude it `failure` now.
 */
export async function concludeAbandoned(
  scope: EventScope,
  deps: AppDeps,
  workflow: { id: number; htmlUrl: string; conclusion: string | null },
): Promise<void> {
  const record = await deps.store.byWorkflowRunId(workflow.id);
  if (!record || record.repository !== scope.repository) return;
  const runs = await scope.port.listOwnCheckRuns(record.head_sha);
  const stuck = runs.filter(
    (r) => ACTIVE.has(r.status) && decodeExternalId(r.external_id)?.runId === record.run_id,
  );
  const output = abandonedOutput(workflow.htmlUrl, workflow.conclusion);
  await Promise.all(
    stuck.map((r) =>
      scope.port.updateCheckRun(r.id, {
        status: "completed",
        conclusion: "failure",
        output,
        actions: [rerunFailedAction()],
      }),
    ),
  );
  if (stuck.length > 0)
    scope.log.warn({ run_id: record.run_id, lanes: stuck.map((r) => r.name) }, "abandoned lanes");
}
