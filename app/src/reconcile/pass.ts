import { resolveLanes } from "../../../src/config/index.js";
import { rerunFailedAction } from "../../../src/report/requested-actions.js";
import { DEFAULT_TIMEOUT_SECS } from "../../../src/schema/index.js";
import { type RawCheckRun, toCheckRunInfo } from "../github-port.js";
import type { AppDeps, EventScope } from "../handlers/deps.js";
import { loadConfigAt } from "../handlers/load-config.js";
import { ownLanes } from "../handlers/own-lanes.js";
import { planClaimKey, startRun } from "../handlers/start-run.js";
import type { Log } from "../launch.js";
import { createOctokitPort, statusOf } from "../octokit-port.js";
import {
  type CallCounter,
  checked,
  conditionalGet,
  countRequests,
  type EtagCache,
  type HookOctokit,
  newCounter,
  type RequestOctokit,
} from "./conditional.js";
import { lostOutput } from "./lost-output.js";
import {
  failedDeliveries,
  type HookDelivery,
  isAbandoned,
  staleLanes,
  type WorkflowState,
} from "./select.js";

export type ReconcileOctokit = RequestOctokit & HookOctokit;

export interface ReconcileLimits {
  /** Added to a lane's timeout before a queued or running lane counts as lost. */
  graceSecs: number;
  /** Open pull requests looked at per repository (most recently updated first). */
  maxPrsPerRepo: number;
  maxReposPerInstallation: number;
  /** A pull request updated this recently may still have its delivery in flight. */
  settleSecs: number;
  redeliveryMaxAgeSecs: number;
  maxRedeliveries: number;
  /** Stop an installation's pass when fewer requests than this remain in its rate limit. */
  rateLimitFloor: number;
}

export const DEFAULT_LIMITS: ReconcileLimits = {
  graceSecs: 600,
  maxPrsPerRepo: 30,
  maxReposPerInstallation: 100,
  settleSecs: 60,
  redeliveryMaxAgeSecs: 24 * 3600,
  maxRedeliveries: 20,
  rateLimitFloor: 500,
};

export interface ReconcileParams {
  deps: AppDeps;
  /** The App's own (JWT) client: installations and webhook deliveries. */
  appOctokit: () => Promise<ReconcileOctokit>;
  installationOctokit: (id: number) => Promise<unknown>;
  log: Log;
  cache: EtagCache;
  limits?: Partial<ReconcileLimits>;
  now?: () => number;
}

export interface PassReport {
  installations: number;
  repositories: number;
  /** Open pull requests without pikaci check runs that got a run. */
  started: number;
  /** Lost lanes concluded `failure`. */
  concluded: number;
  redelivered: number;
  /** Installations whose pass stopped early to keep their rate limit. */
  rateLimited: number;
  calls: number;
  notModified: number;
}

interface RepoSummary {
  name: string;
  full_name: string;
  default_branch: string;
  owner: { login: string };
}

interface PullSummary {
  number: number;
  updated_at: string;
  head: { sha: string; repo: { full_name: string } | null };
}

/** Commits whose config is known to be missing: asked about once, not on every pass. */
const NO_CONFIG_MAX = 10_000;

/**
 * One reconcile pass over every installation and repository: start runs for open pull requests
 * that have no pikaci check runs (a missed delivery), conclude lanes lost for longer than their
 * timeout plus a grace period, and ask GitHub to redeliver webhook deliveries that failed. Every
 * listing is a conditional request (304s are free); each installation stops at its rate-limit floor.
 */
export async function reconcilePass(p: ReconcileParams): Promise<PassReport> {
  const limits = { ...DEFAULT_LIMITS, ...p.limits };
  const now = p.now ?? Date.now;
  const counter = newCounter();
  const report: PassReport = {
    installations: 0,
    repositories: 0,
    started: 0,
    concluded: 0,
    redelivered: 0,
    rateLimited: 0,
    calls: 0,
    notModified: 0,
  };
  const app = await p.appOctokit();
  countRequests(app, counter, "app");
  const appCtx = { octokit: app, cache: p.cache, counter, who: "app" };
  const installations = await conditionalGet<{ id: number }[]>(
    appCtx,
    ...checked("GET /app/installations", {
      per_page: 100,
    }),
  );
  for (const installation of installations) {
    report.installations++;
    const octokit = (await p.installationOctokit(installation.id)) as ReconcileOctokit;
    const who = `installation ${installation.id}`;
    countRequests(octokit, counter, who);
    const ctx = { octokit, cache: p.cache, counter, who };
    const { repositories } = await conditionalGet<{ repositories: RepoSummary[] }>(
      ctx,
      ...checked("GET /installation/repositories", { per_page: limits.maxReposPerInstallation }),
    );
    for (const repo of repositories.slice(0, limits.maxReposPerInstallation)) {
      if ((counter.remaining.get(who) ?? Number.POSITIVE_INFINITY) < limits.rateLimitFloor) {
        p.log.warn(`reconcile: ${who} is near its rate limit; the rest waits for the next pass`);
        report.rateLimited++;
        break;
      }
      report.repositories++;
      await reconcileRepo({ ...p, limits, now, ctx, repo, report }).catch((err: unknown) =>
        p.log.error({ err }, `reconcile: ${repo.full_name} failed; the next pass tries again`),
      );
    }
  }
  report.redelivered = await redeliverFailed({ ...p, limits, now, ctx: appCtx });
  report.calls = counter.calls;
  report.notModified = counter.notModified;
  return report;
}

type RepoParams = ReconcileParams & {
  limits: ReconcileLimits;
  now: () => number;
  ctx: { octokit: ReconcileOctokit; cache: EtagCache; counter: CallCounter; who: string };
  repo: RepoSummary;
  report: PassReport;
};

async function reconcileRepo(p: RepoParams): Promise<void> {
  const { repo, ctx } = p;
  const owner = repo.owner.login;
  const scope: EventScope = {
    port: createOctokitPort(ctx.octokit as never, { owner, repo: repo.name }, p.deps.appId),
    log: p.log,
    repository: repo.full_name,
    defaultBranch: repo.default_branch,
  };
  const pulls = await conditionalGet<PullSummary[]>(
    ctx,
    ...checked("GET /repos/{owner}/{repo}/pulls", {
      owner,
      repo: repo.name,
      state: "open",
      sort: "updated",
      direction: "desc",
      per_page: p.limits.maxPrsPerRepo,
    }),
  );
  // Each open pull request's head, and the default branch's tip (pushes' lanes).
  const heads: { ref: string; pull?: PullSummary }[] = [
    ...pulls.map((pull) => ({ ref: pull.head.sha, pull })),
    { ref: repo.default_branch },
  ];
  for (const head of heads) {
    const listing = await conditionalGet<{ check_runs: RawCheckRun[] }>(
      ctx,
      ...checked("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        owner,
        repo: repo.name,
        ref: head.ref,
        app_id: p.deps.appId,
        filter: "all",
        per_page: 100,
      }),
    ).catch((error: unknown) => {
      if (statusOf(error) === 404 || statusOf(error) === 422) return { check_runs: [] };
      throw error;
    });
    const lanes = ownLanes(listing.check_runs.map(toCheckRunInfo), { appId: p.deps.appId });
    if (head.pull && !lanes.some((l) => l.ref.pr === head.pull!.number)) {
      await startMissing(p, scope, head.pull);
    }
    await concludeLost(p, scope, lanes, head.ref);
  }
}

const noConfig = new Set<string>();

/** An open pull request with no pikaci check run on its head: its delivery was missed. */
async function startMissing(p: RepoParams, scope: EventScope, pull: PullSummary): Promise<void> {
  const sha = pull.head.sha;
  if ((p.now() - Date.parse(pull.updated_at)) / 1000 < p.limits.settleSecs) return;
  if (noConfig.has(`${scope.repository}@${sha}`)) return;
  const loaded = await loadConfigAt(scope, sha);
  if (loaded.kind === "missing") {
    if (noConfig.size >= NO_CONFIG_MAX) noConfig.clear();
    noConfig.add(`${scope.repository}@${sha}`);
    return;
  }
  // The same claim as the pull_request handler's: a redelivered `opened` does not run it again.
  if (!(await p.deps.claims.claim(planClaimKey(scope.repository, pull.number, sha)))) return;
  const fork = pull.head.repo?.full_name !== scope.repository;
  p.log.info(
    `reconcile: #${pull.number} of ${scope.repository} has no pikaci check runs at ${sha}; starting them`,
  );
  await startRun(scope, p.deps, { pr: { number: pull.number, headSha: sha, fork }, changedFileCount: null });
  p.report.started++;
}

/** Lanes queued or running past their timeout plus grace whose workflow run will never conclude them. */
async function concludeLost(
  p: RepoParams,
  scope: EventScope,
  lanes: ReturnType<typeof ownLanes>,
  ref: string,
): Promise<void> {
  const graceOnly = staleLanes(lanes, { nowMs: p.now(), graceSecs: p.limits.graceSecs, timeoutOf: () => 0 });
  if (graceOnly.length === 0) return;
  const loaded = await loadConfigAt(scope, ref).catch(() => null);
  const timeouts = new Map(
    loaded?.kind === "ok"
      ? resolveLanes(loaded.config).map((l) => [l.id, l.execute.timeout_secs] as const)
      : [],
  );
  const stale = staleLanes(lanes, {
    nowMs: p.now(),
    graceSecs: p.limits.graceSecs,
    timeoutOf: (lane) => timeouts.get(lane) ?? DEFAULT_TIMEOUT_SECS,
  });
  const states = new Map<string, { state: WorkflowState; url: string | null }>();
  for (const { lane, ageSecs } of stale) {
    const runId = lane.ref.runId;
    if (!states.has(runId)) states.set(runId, await workflowState(p, scope, runId));
    const { state, url } = states.get(runId)!;
    if (!isAbandoned(state)) continue;
    await scope.port.updateCheckRun(lane.run.id, {
      status: "completed",
      conclusion: "failure",
      output: lostOutput({ state, ageSecs, workflowUrl: url }),
      actions: [rerunFailedAction()],
    });
    p.report.concluded++;
    p.log.warn(
      { run_id: runId, lane: lane.ref.lane, state },
      `reconcile: concluded a lost lane of ${scope.repository}`,
    );
  }
}

async function workflowState(
  p: RepoParams,
  scope: EventScope,
  runId: string,
): Promise<{ state: WorkflowState; url: string | null }> {
  const record = await p.deps.store.byRunId(runId);
  if (!record || record.repository !== scope.repository || record.workflow_run_id === null)
    return { state: "never-dispatched", url: null };
  const [owner, repo] = scope.repository.split("/");
  try {
    const res = await p.ctx.octokit.request(
      ...checked("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        owner: owner!,
        repo: repo!,
        run_id: record.workflow_run_id,
      }),
    );
    const run = res.data as { status?: string; html_url?: string };
    return { state: run.status === "completed" ? "finished" : "running", url: run.html_url ?? null };
  } catch (error) {
    if (statusOf(error) === 404 || statusOf(error) === 410) return { state: "missing", url: null };
    throw error;
  }
}

/** Ask GitHub to send again the deliveries that failed while the App was down, once each. */
async function redeliverFailed(
  p: ReconcileParams & { limits: ReconcileLimits; now: () => number; ctx: RepoParams["ctx"] },
): Promise<number> {
  const deliveries = await conditionalGet<HookDelivery[]>(
    p.ctx,
    ...checked("GET /app/hook/deliveries", {
      per_page: 100,
    }),
  );
  const failed = failedDeliveries(deliveries, {
    nowMs: p.now(),
    maxAgeSecs: p.limits.redeliveryMaxAgeSecs,
    maxCount: p.limits.maxRedeliveries,
  });
  let sent = 0;
  for (const delivery of failed) {
    // Once per GUID, across passes and replicas.
    if (!(await p.deps.claims.claim(`redeliver:${delivery.guid}`))) continue;
    await p.ctx.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: delivery.id,
    });
    p.log.info(
      `reconcile: asked GitHub to redeliver ${delivery.event} ${delivery.guid} (was ${delivery.status_code})`,
    );
    sent++;
  }
  return sent;
}
