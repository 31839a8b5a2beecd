import { APPROVE_RUN_ID, RERUN_FAILED_ID } from "../../../src/report/requested-actions.js";
import { CONFIG_CHECK_NAME, decodeExternalId, type ExternalRef } from "../external-id.js";
import type { CheckRunInfo } from "../github-port.js";
import type { AppDeps, EventScope } from "./deps.js";
import { rerunLanes } from "./rerun.js";
import { startRun } from "./start-run.js";

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

function ours(deps: AppDeps, run: { appId: number | null; externalId: string | null }): ExternalRef | null {
  if (run.appId !== null && run.appId !== deps.appId) return null;
  return decodeExternalId(run.externalId);
}

/** `check_run.rerequested`: a new check run for that lane only (the config check re-plans the commit). */
export async function onCheckRunRerequested(scope: EventScope, deps: AppDeps, run: CheckRunEventData) {
  const ref = ours(deps, run);
  if (!ref) return;
  if (ref.lane === CONFIG_CHECK_NAME) {
    await startRun(scope, deps, {
      pr: { number: ref.pr, headSha: run.headSha, fork: ref.fork },
      changedFileCount: null,
    });
    return;
  }
  await rerunLanes(scope, deps, {
    headSha: run.headSha,
    pr: ref.pr,
    fork: ref.fork,
    lanes: [{ lane: ref.lane, previousConclusion: run.conclusion }],
    sender: run.sender,
    requireWriteAccess: false,
  });
}

/** `check_suite.rerequested`: every lane of the commit that was not skipped runs again. */
export async function onCheckSuiteRerequested(
  scope: EventScope,
  deps: AppDeps,
  p: { headSha: string; sender: string },
) {
  const runs = ownRuns(deps, await scope.port.listOwnCheckRuns(p.headSha));
  const first = runs[0];
  if (!first) {
    scope.log.info(`no pikaci check runs on ${p.headSha}; nothing to re-run`);
    return;
  }
  if (runs.some((r) => r.ref.lane === CONFIG_CHECK_NAME && r.run.conclusion === "failure")) {
    await startRun(scope, deps, {
      pr: { number: first.ref.pr, headSha: p.headSha, fork: first.ref.fork },
      changedFileCount: null,
    });
    return;
  }
  await rerunLanes(scope, deps, {
    headSha: p.headSha,
    pr: first.ref.pr,
    fork: first.ref.fork,
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
  const ref = ours(deps, run);
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
  const runs = ownRuns(deps, await scope.port.listOwnCheckRuns(run.headSha));
  await rerunLanes(scope, deps, {
    headSha: run.headSha,
    pr: ref.pr,
    fork: ref.fork,
    lanes: lanesWhere(runs, approve ? (c) => c === "action_required" : (c) => c !== null && FAILED.has(c)),
    sender: run.sender,
    requireWriteAccess: approve,
  });
}

function ownRuns(deps: AppDeps, runs: CheckRunInfo[]) {
  return runs.flatMap((run) => {
    const ref = ours(deps, { appId: run.app_id, externalId: run.external_id });
    return ref ? [{ run, ref }] : [];
  });
}

function lanesWhere(runs: ReturnType<typeof ownRuns>, keep: (conclusion: string | null) => boolean) {
  return runs
    .filter((r) => r.ref.lane !== CONFIG_CHECK_NAME && r.run.status === "completed" && keep(r.run.conclusion))
    .map((r) => ({ lane: r.ref.lane, previousConclusion: r.run.conclusion }))
    .sort((a, b) => a.lane.localeCompare(b.lane));
}
