import { rerunFailedAction } from "../../../src/report/requested-actions.js";
import { decodeExternalId } from "../external-id.js";
import { abandonedOutput, supersededOutput } from "../outputs.js";
import type { AppDeps, EventScope } from "./deps.js";

const ACTIVE = new Set(["queued", "in_progress"]);

/**
 * A new head was pushed: the old head's lanes still queued or running are concluded `cancelled`
 * ("superseded by <sha>"), and their workflow runs are cancelled when the dispatch recorded an id.
 */
export async function cancelSuperseded(
  scope: EventScope,
  deps: AppDeps,
  { beforeSha, afterSha }: { beforeSha: string; afterSha: string },
): Promise<void> {
  const runs = await scope.port.listOwnCheckRuns(beforeSha);
  const active = runs.flatMap((run) => {
    const ref = decodeExternalId(run.external_id);
    return ref && ACTIVE.has(run.status) && (run.app_id === null || run.app_id === deps.appId)
      ? [{ run, ref }]
      : [];
  });
  if (active.length === 0) return;
  const output = supersededOutput(afterSha);
  await Promise.all(
    active.map(({ run }) =>
      scope.port.updateCheckRun(run.id, { status: "completed", conclusion: "cancelled", output }),
    ),
  );
  const runIds = [...new Set(active.map((a) => a.ref.runId))];
  for (const runId of runIds) {
    const record = await deps.store.byRunId(runId);
    if (record?.workflow_run_id && record.repository === scope.repository) {
      await scope.port.cancelWorkflowRun(record.workflow_run_id);
    }
  }
  scope.log.info({ cancelled: active.length, runs: runIds }, `superseded ${beforeSha} by ${afterSha}`);
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
