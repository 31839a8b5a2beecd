import { DEFAULT_CONFIG_PATH, type PikaciConfig } from "../../../src/schema/index.js";
import { type PullRequestRef, planCheckRuns } from "../check-runs.js";
import { configFailureCheck } from "../config-check.js";
import { workflowTarget } from "../dispatch.js";
import type { ChangedFiles } from "../github-port.js";
import { launchLanes, launchScope } from "../launch.js";
import type { Listing } from "../outputs.js";
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
  await startCommitRun(scope, deps, {
    target: pr,
    changedFiles: () => scope.port.listChangedFiles(pr.number, changedFileCount),
    unlisted: "over-limit",
  });
}

/**
 * The claim a pull request's head is planned under, by the `opened`/`synchronize` handler and by
 * the reconciler's "open pull request without checks": whichever comes first plans it, so a
 * redelivered delivery after the reconciler started the run (or the reverse) starts nothing more.
 */
export function planClaimKey(repository: string, pr: number, headSha: string): string {
  return `plan:${repository}#${pr}@${headSha}`;
}

export interface CommitRunParams {
  /** The commit and what it belongs to: a pull request, a push (`number` 0) or a merge group. */
  target: PullRequestRef;
  /** Asked only once the config is known to be valid. */
  changedFiles: (config: PikaciConfig) => Promise<ChangedFiles>;
  /** Why the files may be unknown, for the summaries. */
  unlisted: Exclude<Listing, "listed">;
  /** For a push: an invalid config is reported only when this says so (the default branch). */
  reportInvalidConfig?: boolean;
  /** For a push: whether the (valid) config asks for this run at all; default yes. */
  shouldRun?: (config: PikaciConfig) => boolean;
}

/** Config at the commit → changed files → check runs → dispatch, for any event that runs lanes. */
export async function startCommitRun(scope: EventScope, deps: AppDeps, params: CommitRunParams) {
  const { target } = params;
  const runId = deps.newRunId();
  const detailsUrl = deps.detailsUrl(runId);
  const what = target.number > 0 ? `#${target.number}` : (target.event ?? "pull_request");
  const loaded = await loadConfigAt(scope, target.headSha);
  if (loaded.kind === "missing") {
    scope.log.info(
      `${DEFAULT_CONFIG_PATH} not found at ${target.headSha}; pikaci does nothing for this commit`,
    );
    return;
  }
  if (loaded.kind === "invalid") {
    scope.log.info({ run_id: runId }, `${DEFAULT_CONFIG_PATH} is invalid at ${target.headSha}`);
    if (params.reportInvalidConfig !== false)
      await scope.port.createCheckRun(
        configFailureCheck({ ...failureTarget(target), error: loaded.error, runId, detailsUrl }),
      );
    return;
  }
  if (params.shouldRun && !params.shouldRun(loaded.config)) return;
  const { files } = await params.changedFiles(loaded.config);
  const plan = planCheckRuns({
    config: loaded.config,
    changedFiles: files,
    pr: target,
    runId,
    detailsUrl,
    unlisted: params.unlisted,
  });
  const result = await launchLanes({
    ...launchScope(scope, deps.store),
    runId,
    headSha: target.headSha,
    pr: target.number,
    lanes: plan.create,
    others: plan.skipped,
    // A fork's lanes wait for "Approve and run"; nothing is dispatched now.
    target: target.fork ? null : workflowTarget(loaded.config, scope.defaultBranch),
  });
  scope.log.info(
    {
      run_id: runId,
      selected: plan.create.length,
      skipped: plan.skipped.length,
      dispatched: result.dispatched,
    },
    `pikaci run ${runId} for ${what} at ${target.headSha}`,
  );
}

function failureTarget(target: PullRequestRef) {
  return {
    headSha: target.headSha,
    pr: target.number,
    fork: target.fork,
    ...(target.event ? { event: target.event } : {}),
  };
}
