import { closedOutput } from "../outputs.js";
import { cancelOpenLanes } from "./cancel-lanes.js";
import type { AppDeps, EventScope } from "./deps.js";

export interface ClosedPullRequest {
  number: number;
  headSha: string;
  merged: boolean;
}

/**
 * `pull_request.closed`: an unmerged pull request's lanes still queued, running or waiting for
 * approval are concluded `cancelled` and its workflow runs cancelled, so the build host stops
 * working for it. Reopening it plans the head again. An error is left to probot (logged with the
 * delivery id, answered 500): a redelivery touches only what is still open, so it is safe.
 */
export async function onPullRequestClosed(scope: EventScope, deps: AppDeps, pr: ClosedPullRequest) {
  // A merged pull request is left alone: its lanes' results still describe the merged commit.
  if (pr.merged) return;
  await cancelOpenLanes(scope, deps, {
    headSha: pr.headSha,
    output: closedOutput(pr.number),
    reason: `pull request #${pr.number} closed unmerged at ${pr.headSha}`,
    pr: pr.number,
    awaitingApproval: true,
  });
}
