import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, createProbot, type Logger, type Probot } from "probot";
import { ingestWorkflowRun } from "../../src/ingest/index.js";
import { createRunPagesHandler, signRunUrl } from "../../src/pages/index.js";
import { createStateStore, newRunId } from "../../src/store/index.js";
import { pikaciApp } from "./app.js";
import { type Claims, createFileClaims } from "./claims.js";
import { createFileDispatchStore, type DispatchStore } from "./dispatch-store.js";
import type { AppEnv } from "./env.js";
import type { AppDeps } from "./handlers/deps.js";
import { apiRoute, healthzRoute } from "./http/api.js";
import { type Route, sendJson } from "./http/respond.js";
import { leanFetch } from "./lean-fetch.js";
import { pikaciOctokit } from "./octokit-class.js";
import { EtagCache } from "./reconcile/conditional.js";
import { type PassReport, reconcilePass } from "./reconcile/pass.js";
import { leanRestFactory } from "./rest/factory.js";
import { createTestHistoryStore, labelIngestedRun } from "./test-history.js";

export interface PikaciServerOptions {
  env: AppEnv;
  /** Extra routes, tried after healthz, the API and the run pages, before the webhook endpoint. */
  routes?: Route[];
  log?: Logger;
  store?: DispatchStore;
  /** The rest of the environment, for probot's own settings (LOG_LEVEL, WEBHOOK_PATH, GHE_HOST). */
  processEnv?: NodeJS.ProcessEnv;
}

export interface PikaciServer {
  server: Server;
  probot: Probot;
  /**
   * One reconcile pass, if this replica claims `slot` (a time slot: of several replicas, one
   * runs each pass) and no pass is running here; null when it did not run.
   */
  reconcile(slot: string): Promise<PassReport | null>;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Probot's webhook middleware plus pikaci's routes on one node:http server. */
export async function createPikaciServer(options: PikaciServerOptions): Promise<PikaciServer> {
  const { env } = options;
  const probot = createProbot({
    env: options.processEnv ?? {},
    overrides: {
      appId: env.appId,
      privateKey: env.privateKey,
      secret: env.webhookSecret,
      ...(options.log ? { log: options.log } : {}),
      ...(env.githubApiUrl ? { baseUrl: env.githubApiUrl } : {}),
      Octokit: pikaciOctokit({ throttle: env.writeThrottle }),
      request: { fetch: leanFetch },
    },
  });
  const stateStore = createStateStore({ root: env.stateRoot });
  const claims = createFileClaims(env.stateRoot);
  const deps = appDeps({ env, probot, stateStore, claims, store: options.store });
  const webhooks = await createNodeMiddleware(pikaciApp(deps), { probot });
  const routes: Route[] = [
    healthzRoute,
    apiRoute({ store: stateStore, token: env.apiToken }),
    createRunPagesHandler({
      store: stateStore,
      secret: env.webhookSecret,
      log: (message) => probot.log.warn(message),
    }),
    ...(options.routes ?? []),
  ];
  const server = createServer(requestHandler({ routes, webhooks, log: probot.log }));
  return {
    server,
    probot,
    reconcile: reconciler({ env, probot, claims, deps }),
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(env.port, env.host, () => resolve(server.address() as AddressInfo));
      }),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

type StateStore = ReturnType<typeof createStateStore>;

/** What the handlers need, built once per process. */
function appDeps(p: {
  env: AppEnv;
  probot: Probot;
  stateStore: StateStore;
  claims: Claims;
  store: DispatchStore | undefined;
}): AppDeps {
  const { env } = p;
  const deps: AppDeps = {
    appId: env.appId,
    detailsUrl: (runId: string) => signRunUrl({ baseUrl: env.publicUrl, runId, secret: env.webhookSecret }),
    store: p.store ?? createFileDispatchStore(env.stateRoot),
    claims: p.claims,
    newRunId: () => newRunId(),
    rest: leanRestFactory({ throttle: env.writeThrottle }),
  };
  deps.ingest = ingestor({ env, probot: p.probot, stateStore: p.stateStore, deps });
  return deps;
}

/** `workflow_run.completed`: store the run's artifact, then label known flaky failures. */
function ingestor(p: {
  env: AppEnv;
  probot: Probot;
  stateStore: StateStore;
  deps: AppDeps;
}): NonNullable<AppDeps["ingest"]> {
  const { env, probot, stateStore, deps } = p;
  const testHistory = createTestHistoryStore(env.stateRoot);
  return async ({ octokit, owner, repo, workflowRunId }) => {
    const result = await ingestWorkflowRun({
      actions: octokit.rest.actions as Parameters<typeof ingestWorkflowRun>[0]["actions"],
      owner,
      repo,
      workflowRunId,
      store: stateStore,
      log: (message) => probot.log.warn(message),
      apiUrl: env.githubApiUrl ?? "https://api.github.com",
    });
    for (const run of result.ingested) {
      probot.log.info(
        `pikaci ingest: run ${run.run_id} of ${owner}/${repo} ${run.stored ? "stored" : "already stored"}`,
      );
      if (!run.stored) continue;
      // Flaky tests: a redelivery (not stored again) must not count the same run twice.
      await labelIngestedRun({
        runId: run.run_id,
        runs: stateStore,
        history: testHistory,
        checkRunIds: async (runId) => (await deps.store.byRunId(runId))?.check_runs ?? null,
        updateCheck: async (checkRunId, output) => {
          await octokit.rest.checks?.update({ owner, repo, check_run_id: checkRunId, output });
        },
        testsUrl: deps.detailsUrl,
      }).catch((error: unknown) =>
        probot.log.warn(
          `pikaci test history: run ${run.run_id}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  };
}

/** Routes in order, then the webhook endpoint; one boundary for errors. */
function requestHandler(p: {
  routes: Route[];
  webhooks: Awaited<ReturnType<typeof createNodeMiddleware>>;
  log: Logger;
}) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      for (const route of p.routes) {
        if (await route(req, res)) return;
      }
      if (await p.webhooks(req, res)) return;
      if (!res.headersSent)
        sendJson(res, 404, { error: `no route for ${req.method} ${req.url?.split("?")[0]}` });
    } catch (err) {
      p.log.error({ err }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.end();
    }
  };
}

/** One reconcile pass per claimed slot, never two at once in this process. */
function reconciler(p: {
  env: AppEnv;
  probot: Probot;
  claims: Claims;
  deps: AppDeps;
}): PikaciServer["reconcile"] {
  const { env, probot, claims, deps } = p;
  const etags = new EtagCache();
  let reconciling = false;
  let prunedAt = 0;
  return async (slot) => {
    if (reconciling || !(await claims.claim(slot))) return null;
    reconciling = true;
    try {
      // GitHub redelivers only within 3 days: older delivery claims can go (looked at hourly).
      if (Date.now() - prunedAt > 3600_000) {
        prunedAt = Date.now();
        await claims.prune(4 * 24 * 3600 * 1000);
      }
      const started = performance.now();
      const report = await reconcilePass({
        deps,
        appOctokit: () => probot.auth() as Promise<never>,
        installationOctokit: (id) => probot.auth(id),
        log: probot.log,
        cache: etags,
        limits: { graceSecs: env.reconcileGraceSecs ?? 600 },
      });
      probot.log.info(
        { reconcile: report },
        `reconcile pass: ${report.repositories} repositories, ${report.started} runs started, ${report.concluded} lost lanes concluded, ${report.redelivered} deliveries redelivered; ${report.calls} API calls (${report.notModified} answered 304) in ${Math.round(performance.now() - started)} ms`,
      );
      return report;
    } finally {
      reconciling = false;
    }
  };
}
