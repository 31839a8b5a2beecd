import { DEFAULT_CONFIG_PATH } from "../../../src/schema/index.js";
import { type PullRequestRef, planCheckRuns } from "../check-runs.js";
import { configFailureCheck } from "../config-check.js";
import { workflowTarget } from "../dispatch.js";
import { launchLanes } from "../launch.js";
import type { AppDeps, EventScope } from "./deps.js";
import { loadConfigAt } from "./load-config.js";

export interface StartRunParams {
  pr: PullRequestRef;
  /** `pull_request.changed_files`, when the event tells it: saves listing past GitHub's limit. */
  changedFileCount: number | null;
}

/**
 * The heart of a pull request event: config at the head SHA → changed files → one check run
 * per lane (queued or skipped) → dispatch. Also used by "re-run all" and a re-run of the config check.
 */
export async function startRun(scope: EventScope, deps: AppDeps, { pr, changedFileCount }: StartRunParams) {
  const runId = deps.newRunId();
  const detailsUrl = deps.detailsUrl(runId);
  const loaded = await loadConfigAt(scope, pr.headSha);
  if (loaded.kind === "missing") {
    scope.log.info(`${DEFAULT_CONFIG_PATH} not found at ${pr.headSha}; pikaci does nothing for this commit`);
    return;
  }
  if (loaded.kind === "invalid") {
    scope.log.info({ run_id: runId }, `${DEFAULT_CONFIG_PATH} is invalid at ${pr.headSha}`);
    await scope.port.createCheckRun(
      configFailureCheck({
        error: loaded.error,
        headSha: pr.headSha,
        runId,
        pr: pr.number,
        fork: pr.fork,
        detailsUrl,
      }),
    );
    return;
  }
  const { files } = await scope.port.listChangedFiles(pr.number, changedFileCount);
  const plan = planCheckRuns({ config: loaded.config, changedFiles: files, pr, runId, detailsUrl });
  const result = await launchLanes({
    port: scope.port,
    store: deps.store,
    log: scope.log,
    repository: scope.repository,
    runId,
    headSha: pr.headSha,
    pr: pr.number,
    lanes: plan.create,
    others: plan.skipped,
    // A fork's lanes wait for "Approve and run"; nothing is dispatched now.
    target: pr.fork ? null : workflowTarget(loaded.config, scope.defaultBranch),
  });
  scope.log.info(
    {
      run_id: runId,
      selected: plan.create.length,
      skipped: plan.skipped.length,
      dispatched: result.dispatched,
    },
    `pikaci run ${runId} for #${pr.number} at ${pr.headSha}`,
  );
}
