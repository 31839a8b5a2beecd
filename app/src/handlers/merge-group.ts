import { cancelOpenLanes } from "./cancel-lanes.js";
import type { AppDeps, EventScope } from "./deps.js";
import { startCommitRun } from "./start-run.js";

export interface MergeGroupData {
  headSha: string;
  baseSha: string;
  headRef: string;
}

/**
 * `merge_group.checks_requested`: a merge queue asks for the required checks on the group's
 * temporary head commit. The lanes' check runs are created on that commit, selected by the diff
 * from the group's base (a changed config selects all), unselected lanes concluded `skipped` so
 * required checks pass, and the workflow is dispatched. Without an answer the queue stalls.
 */
export async function onMergeGroupRequested(scope: EventScope, deps: AppDeps, group: MergeGroupData) {
  await startCommitRun(scope, deps, {
    target: { number: 0, headSha: group.headSha, fork: false, event: "merge_group" },
    unlisted: "push-over-limit",
    changedFiles: () => scope.port.compareFiles(group.baseSha, group.headSha),
  });
}

/**
 * `merge_group.destroyed`: the group was merged, dequeued or invalidated. Whatever still runs for
 * it is cancelled (a merged group's checks had all finished, so nothing is touched then).
 */
export async function onMergeGroupDestroyed(
  scope: EventScope,
  deps: AppDeps,
  group: MergeGroupData & { reason: string },
) {
  await cancelOpenLanes(scope, deps, {
    headSha: group.headSha,
    output: {
      title: `merge group ${group.reason}`,
      summary: `The merge queue's group \`${group.headRef}\` was ${group.reason}; its lanes were cancelled.`,
    },
    reason: `merge group ${group.headRef} ${group.reason}`,
    pr: 0,
  });
}
