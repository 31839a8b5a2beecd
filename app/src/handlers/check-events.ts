import { APPROVE_RUN_ID, RERUN_FAILED_ID } from "../../../src/report/requested-actions.js";
import { CONFIG_CHECK_NAME, type ExternalRef, eventOf } from "../external-id.js";
import type { AppDeps, EventScope } from "./deps.js";
import { type OwnLane, ownLanes, ownRef } from "./own-lanes.js";
import { rerunLanes } from "./rerun.js";
import { startCommitRun, startRun } from "./start-run.js";

/** The part of a `check_run` payload the App reads. */
export interface CheckRunEventData {
  name: string;
  headSha: string;
  externalId: string | null;
  appId: number | null;
  conclusion: string | null;
  sender: string;
}

const FAILED = new Set(["failure", "cancelled", "timed_out"]);

/** `check_run.rerequested`: a new check run for that lane only (the config check re-plans the commit). */
export async function onCheckRunRerequested(scope: EventScope, deps: AppDeps, run: CheckRunEventData) {
  const ref = ownRef(deps.appId, run);
  if (!ref) return;
  if (ref.lane === CONFIG_CHECK_NAME) {
    await replan(scope, deps, { ref, headSha: run.headSha });
    return;
  }
  await rerunLanes(scope, deps, {
    headSha: run.headSha,
    pr: ref.pr,
    fork: ref.fork,
    event: ref.event,
    lanes: [{ lane: ref.lane, previousConclusion: run.conclusion }],
    sender: run.sender,
    requireWriteAccess: false,
  });
}

/**
 * `check_suite.rerequested`: every lane of the commit that was not skipped runs again.
 *
 * The suite belongs to the commit, not to one pull request, and GitHub shows it on each pull
 * request with that head, so "Re-run all" re-runs the lanes of every one of them: each pull
 * request's on its own, under its number and fork flag (its own run id and dispatch). Picking one
 * would silently skip the other's lanes; one run for all would label them with the wrong number.
 */
export async function onCheckSuiteRerequested(
  scope: EventScope,
  deps: AppDeps,
  p: { headSha: string; sender: string },
) {
  const lanes = ownLanes(await scope.port.listOwnCheckRuns(p.headSha), { appId: deps.appId });
  // A push's and a merge group's lanes have no pull request (0) and are re-run as one.
  const prs = [...new Set(lanes.map((r) => r.ref.pr))];
  if (prs.length === 0) {
    scope.log.info(`no pikaci check runs on ${p.headSha}; nothing to re-run`);
    return;
  }
  for (const pr of prs.sort((a, b) => a - b)) {
    await rerunPullRequest(scope, deps, {
      headSha: p.headSha,
      sender: p.sender,
      pr,
      runs: lanes.filter((r) => r.ref.pr === pr),
    });
  }
}

/** "Re-run all" for one pull request's lanes at the commit. */
async function rerunPullRequest(
  scope: EventScope,
  deps: AppDeps,
  p: { headSha: string; sender: string; pr: number; runs: OwnLane[] },
) {
  const { runs, pr } = p;
  // Uniform in practice; should the lanes disagree, the stricter flag (write access checked,
  // the base branch's workflow) wins.
  const fork = runs.some((r) => r.ref.fork);
  if (runs.some((r) => r.ref.lane === CONFIG_CHECK_NAME && r.run.conclusion === "failure")) {
    await replan(scope, deps, { ref: { ...runs[0]!.ref, fork }, headSha: p.headSha });
    return;
  }
  await rerunLanes(scope, deps, {
    headSha: p.headSha,
    pr,
    fork,
    event: runs[0]?.ref.event,
    lanes: lanesWhere(runs, (c) => c !== "skipped"),
    sender: p.sender,
    requireWriteAccess: false,
  });
}

/** `check_run.requested_action`: "Re-run failed" or a maintainer's "Approve and run". */
export async function onRequestedAction(
  scope: EventScope,
  deps: AppDeps,
  run: CheckRunEventData & { identifier: string },
) {
  const ref = ownRef(deps.appId, run);
  if (!ref) return;
  if (run.identifier !== RERUN_FAILED_ID && run.identifier !== APPROVE_RUN_ID) {
    scope.log.info(`unknown requested action ${JSON.stringify(run.identifier)}; ignored`);
    return;
  }
  const approve = run.identifier === APPROVE_RUN_ID;
  if (approve && run.conclusion !== "action_required") {
    // The button outlives the wait (e.g. a lane cancelled as superseded): approving it now would
    // run a commit nobody is waiting for.
    scope.log.info(
      { lane: ref.lane, conclusion: run.conclusion },
      `ignored: "Approve and run" on ${run.name} at ${run.headSha}, which no longer waits for approval`,
    );
    return;
  }
  // Only the clicked check's pull request: the commit may also be the head of another, whose
  // lanes are not this click's to run (nor to label with this pull request's number).
  const runs = ownLanes(await scope.port.listOwnCheckRuns(run.headSha), { appId: deps.appId, pr: ref.pr });
  await rerunLanes(scope, deps, {
    headSha: run.headSha,
    pr: ref.pr,
    fork: ref.fork,
    event: ref.event,
    lanes: lanesWhere(runs, approve ? (c) => c === "action_required" : (c) => c !== null && FAILED.has(c)),
    sender: run.sender,
    requireWriteAccess: approve,
  });
}

function lanesWhere(runs: OwnLane[], keep: (conclusion: string | null) => boolean) {
  return runs
    .filter((r) => r.ref.lane !== CONFIG_CHECK_NAME && r.run.status === "completed" && keep(r.run.conclusion))
    .map((r) => ({ lane: r.ref.lane, previousConclusion: r.run.conclusion }))
    .sort((a, b) => a.lane.localeCompare(b.lane));
}

/**
 * Plan a commit again (a re-run of `pikaci/config`). A push's or merge group's earlier commit is
 * not known here, so every lane is selected for those.
 */
async function replan(scope: EventScope, deps: AppDeps, p: { ref: ExternalRef; headSha: string }) {
  const { ref } = p;
  if (eventOf(ref) === "pull_request") {
    await startRun(scope, deps, {
      pr: { number: ref.pr, headSha: p.headSha, fork: ref.fork },
      changedFileCount: null,
    });
    return;
  }
  await startCommitRun(scope, deps, {
    target: { number: 0, headSha: p.headSha, fork: false, event: eventOf(ref) },
    changedFiles: async () => ({ files: null }),
    unlisted: "whole-commit",
  });
}
