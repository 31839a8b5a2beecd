import type { Logger } from "probot";
import { describeError, PikaciError } from "../../src/errors/index.js";
import { rerunFailedAction } from "../../src/report/requested-actions.js";
import { createEach } from "./create-each.js";
import { buildDispatchInputs, describeDispatchFailure, type WorkflowTarget } from "./dispatch.js";
import type { DispatchStore } from "./dispatch-store.js";
import type { GitHubPort, NewCheckRun } from "./github-port.js";
import { statusOf } from "./octokit-port.js";
import { failedToStartOutput } from "./outputs.js";

export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;

export interface LaunchParams {
  port: GitHubPort;
  store: DispatchStore;
  log: Log;
  repository: string;
  runId: string;
  headSha: string;
  pr: number;
  /** Lanes to run: created `queued`, then dispatched. (For a fork: created `action_required`.) */
  lanes: NewCheckRun[];
  /** Created as they are and never dispatched: skipped lanes. */
  others?: NewCheckRun[];
  /** null: create the check runs but do not dispatch (a fork waiting for approval). */
  target: WorkflowTarget | null;
}

export interface LaunchResult {
  checkRuns: Record<string, number>;
  dispatched: boolean;
  workflowRunId: number | null;
}

/** What a launch takes from the event it answers: its repository, GitHub port and log, and the App's store. */
export function launchScope(
  scope: { port: GitHubPort; log: Log; repository: string },
  store: DispatchStore,
): Pick<LaunchParams, "port" | "store" | "log" | "repository"> {
  return { port: scope.port, store, log: scope.log, repository: scope.repository };
}

/**
 * Create the check runs, then dispatch the workflow. The invariant: when this returns or throws,
 * no check run it created is left `queued` — a failed dispatch or a failed create concludes every
 * queued run `failure` with a message naming the fix.
 */
export async function launchLanes(params: LaunchParams): Promise<LaunchResult> {
  const { port, log, lanes, others = [], target } = params;
  const all = [...lanes, ...others];
  const { ids, error } = port.createCheckRuns ? await port.createCheckRuns(all) : await createEach(port, all);
  const created = new Map<string, number>();
  lanes.forEach((lane, i) => {
    if (ids[i] != null) created.set(lane.name, ids[i]);
  });
  if (error) {
    await concludeFailed(params, created, {
      message: `GitHub refused to create every check run: ${describeError(error)}`,
      hint: "press Re-run failed; if it persists, check that the App has checks: write",
    });
    throw error;
  }
  const checkRuns = Object.fromEntries(created);
  if (target === null || lanes.length === 0 || lanes.every((l) => l.status !== "queued")) {
    return { checkRuns, dispatched: false, workflowRunId: null };
  }

  let workflowRunId: number | null;
  try {
    const inputs = buildDispatchInputs({
      runId: params.runId,
      headSha: params.headSha,
      pr: params.pr,
      checkRuns,
    });
    ({ workflowRunId } = await port.dispatchWorkflow({ ...target, inputs }));
  } catch (error) {
    const failure =
      error instanceof PikaciError
        ? { message: error.message, hint: error.hint ?? "see the App's log" }
        : describeDispatchFailure(statusOf(error), errorDetail(error), target);
    log.warn({ run_id: params.runId, err: error }, `dispatch failed: ${failure.message}`);
    await concludeFailed(params, created, failure);
    return { checkRuns, dispatched: false, workflowRunId: null };
  }

  try {
    await params.store.put({
      run_id: params.runId,
      repository: params.repository,
      head_sha: params.headSha,
      pr: params.pr,
      workflow_run_id: workflowRunId,
      check_runs: checkRuns,
    });
  } catch (error) {
    // The lanes are running; only cancelling (superseded, closed) loses its handle. Not worth failing them.
    log.error({ run_id: params.runId, err: error }, "could not record the dispatch");
  }
  return { checkRuns, dispatched: true, workflowRunId };
}

async function concludeFailed(
  params: LaunchParams,
  created: Map<string, number>,
  failure: { message: string; hint: string },
): Promise<void> {
  const output = failedToStartOutput(failure.message, failure.hint);
  const queued = params.lanes.filter((l) => l.status === "queued" && created.has(l.name));
  const results = await Promise.allSettled(
    queued.map((l) =>
      params.port.updateCheckRun(created.get(l.name)!, {
        status: "completed",
        conclusion: "failure",
        output,
        actions: [rerunFailedAction()],
      }),
    ),
  );
  for (const r of results) {
    if (r.status === "rejected") params.log.error({ err: r.reason }, "could not conclude a check run");
  }
}

function errorDetail(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  return typeof data?.message === "string" ? data.message : describeError(error);
}
