import { DEFAULT_CONFIG_PATH } from "../../../src/schema/index.js";
import { configFailureCheck } from "../config-check.js";
import { workflowTarget } from "../dispatch.js";
import { encodeExternalId, type RunEvent } from "../external-id.js";
import type { NewCheckRun } from "../github-port.js";
import { launchLanes, launchScope } from "../launch.js";
import { rerunOutput } from "../outputs.js";
import type { AppDeps, EventScope } from "./deps.js";
import { loadConfigAt } from "./load-config.js";

export interface RerunParams {
  headSha: string;
  pr: number;
  fork: boolean;
  /** What started the run being re-run; absent: a pull request. */
  event?: RunEvent | undefined;
  /** Lanes to run again, each with the conclusion it had (shown in the new run's summary). */
  lanes: { lane: string; previousConclusion: string | null }[];
  /** Who asked. Checked for write access when fork code would run. */
  sender: string;
  /** Approval of a fork is always checked, even on a non-fork ref. */
  requireWriteAccess: boolean;
}

const WRITE_ACCESS = new Set(["admin", "write"]);

/**
 * Re-run some lanes of a commit: a **new** check run per lane (same name and head SHA), `queued`
 * at once so no stale red check lingers, then one dispatch for exactly those lanes.
 */
export async function rerunLanes(scope: EventScope, deps: AppDeps, params: RerunParams): Promise<void> {
  const { headSha, pr, fork } = params;
  if (params.lanes.length === 0) {
    scope.log.info(`nothing to re-run at ${headSha}`);
    return;
  }
  if ((params.requireWriteAccess || fork) && !(await mayRunForkCode(scope, params.sender))) return;
  const runId = deps.newRunId();
  const detailsUrl = deps.detailsUrl(runId);
  const loaded = await loadConfigAt(scope, headSha);
  if (loaded.kind === "missing") {
    scope.log.info(`${DEFAULT_CONFIG_PATH} not found at ${headSha}; nothing to re-run`);
    return;
  }
  if (loaded.kind === "invalid") {
    await scope.port.createCheckRun(
      configFailureCheck({ error: loaded.error, headSha, runId, pr, fork, detailsUrl }),
    );
    return;
  }
  const known = new Set(loaded.config.lanes.map((l) => l.id));
  const lanes = params.lanes
    .filter((l) => known.has(l.lane))
    .map((l) => rerunCheckRun(params, l, { runId, detailsUrl }));
  // A fork's head config chooses lanes, never which workflow (with secrets) runs them.
  const target = fork ? await baseWorkflowTarget(scope) : workflowTarget(loaded.config, scope.defaultBranch);
  const result = await launchLanes({
    ...launchScope(scope, deps.store),
    runId,
    headSha,
    pr,
    lanes,
    target,
  });
  scope.log.info(
    { run_id: runId, lanes: Object.keys(result.checkRuns), dispatched: result.dispatched },
    `re-run ${runId} at ${headSha}`,
  );
}

async function mayRunForkCode(scope: EventScope, sender: string): Promise<boolean> {
  const permission = await scope.port.permissionOf(sender);
  if (WRITE_ACCESS.has(permission)) return true;
  scope.log.warn(
    { sender, permission },
    `ignored: ${sender} has ${permission} access and cannot run a fork's code`,
  );
  return false;
}

/** A lane's new check run: queued at once, its summary naming the conclusion it replaces. */
function rerunCheckRun(
  params: RerunParams,
  l: RerunParams["lanes"][number],
  run: { runId: string; detailsUrl: string },
): NewCheckRun {
  return {
    name: l.lane,
    head_sha: params.headSha,
    external_id: encodeExternalId({
      runId: run.runId,
      lane: l.lane,
      pr: params.pr,
      fork: params.fork,
      ...(params.event ? { event: params.event } : {}),
    }),
    details_url: run.detailsUrl,
    status: "queued",
    output: rerunOutput(
      l.previousConclusion,
      l.previousConclusion === "action_required" ? params.sender : null,
    ),
  };
}

/** The workflow settings from the default branch's config: trusted, unlike a fork's. */
async function baseWorkflowTarget(scope: EventScope) {
  const base = await loadConfigAt(scope, scope.defaultBranch);
  return workflowTarget(base.kind === "ok" ? base.config : null, scope.defaultBranch);
}
