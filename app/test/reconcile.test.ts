import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import { EtagCache } from "../src/reconcile/conditional.js";
import { type PassReport, reconcilePass } from "../src/reconcile/pass.js";
import { failedDeliveries, type HookDelivery } from "../src/reconcile/select.js";
import {
  API,
  APP_ID,
  captureLogger,
  github,
  INSTALLATION_ID,
  OWNER,
  REPO,
  REPO_PATH,
  tenLaneConfig,
  testProbot,
} from "./helpers.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const ago = (mins: number) => new Date(NOW - mins * 60_000).toISOString();
const RUN_LOST = "20260301T090000Z-0000000a";
const RUN_NEVER = "20260301T090000Z-0000000b";
const RUN_FRESH = "20260301T115500Z-0000000c";
const MAIN_SHA = "9".repeat(40);

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function checkRun(id: number, lane: string, runId: string, startedMinsAgo: number, status = "in_progress") {
  return {
    id,
    name: lane,
    head_sha: MAIN_SHA,
    status,
    conclusion: null,
    external_id: `pikaci:${runId}:${lane}:push`,
    app: { id: APP_ID },
    started_at: ago(startedMinsAgo),
  };
}

/** The App-level and installation listings a pass starts with, each with an ETag. */
function installationListings(scope: nock.Scope, etags: boolean) {
  const conditional = (path: string, body: unknown, etag: string) => {
    if (etags) scope.get(path).query(true).matchHeader("if-none-match", etag).reply(304, "", { etag });
    else
      scope
        .get(path)
        .query(true)
        .reply(200, body as nock.Body, { etag });
  };
  conditional("/app/installations", [{ id: INSTALLATION_ID }], '"i1"');
  conditional(
    "/installation/repositories",
    {
      total_count: 1,
      repositories: [
        { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "main", owner: { login: OWNER } },
      ],
    },
    '"r1"',
  );
  conditional(`${REPO_PATH}/pulls`, [], '"p1"');
  return conditional;
}

async function pass(probot: Awaited<ReturnType<typeof testProbot>>, cache: EtagCache, deliveries = true) {
  const { log } = captureLogger();
  if (!deliveries) nock(API).get("/app/hook/deliveries").query(true).reply(200, []);
  return reconcilePass({
    deps: probot.deps,
    appOctokit: () => probot.probot.auth() as never,
    installationOctokit: (id) => probot.probot.auth(id),
    log,
    cache,
    now: () => NOW,
  });
}

describe("reconcile: lost lanes", () => {
  it("concludes lanes past timeout + grace whose workflow run finished or was never dispatched, with the button", async () => {
    const store = createMemoryDispatchStore();
    await store.put({
      run_id: RUN_LOST,
      repository: `${OWNER}/${REPO}`,
      head_sha: MAIN_SHA,
      pr: 0,
      workflow_run_id: 555,
      check_runs: { "core-a": 1 },
    });
    const app = await testProbot({ store });
    const gh = github();
    installationListings(gh.scope, false);
    gh.scope
      .get(`${REPO_PATH}/commits/main/check-runs`)
      .query({ app_id: APP_ID, filter: "all", per_page: 100 })
      .reply(200, {
        total_count: 3,
        check_runs: [
          checkRun(1, "core-a", RUN_LOST, 120),
          checkRun(2, "docs", RUN_NEVER, 90, "queued"),
          checkRun(3, "web", RUN_FRESH, 5),
        ],
      })
      .get(`${REPO_PATH}/contents/.github%2Fpikaci.yml`)
      .query({ ref: "main" })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/actions/runs/555`)
      .reply(200, {
        id: 555,
        status: "completed",
        conclusion: "failure",
        html_url: "https://github.test/runs/555",
      })
      .patch(`${REPO_PATH}/check-runs/1`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/2`)
      .reply(200, {});

    const report = await pass(app, new EtagCache(), false);

    expect(gh.scope.isDone()).toBe(true);
    expect(report).toMatchObject({ concluded: 2, started: 0 });
    const patches = gh.calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => c.path)).toEqual([`${REPO_PATH}/check-runs/1`, `${REPO_PATH}/check-runs/2`]);
    for (const patch of patches) {
      expect(patch.body).toMatchObject({
        status: "completed",
        conclusion: "failure",
        actions: [{ identifier: "pikaci_rerun_failed" }],
      });
    }
    const titles = patches.map((c) => (c.body as { output: { title: string } }).output.title);
    expect(titles).toEqual([
      "Lost: the workflow run ended without concluding this lane",
      "Lost: this lane's workflow was never dispatched",
    ]);
  });

  it("leaves a stale lane alone while its workflow run still runs", async () => {
    const store = createMemoryDispatchStore();
    await store.put({
      run_id: RUN_LOST,
      repository: `${OWNER}/${REPO}`,
      head_sha: MAIN_SHA,
      pr: 0,
      workflow_run_id: 555,
      check_runs: { "core-a": 1 },
    });
    const app = await testProbot({ store });
    const gh = github();
    installationListings(gh.scope, false);
    gh.scope
      .get(`${REPO_PATH}/commits/main/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [checkRun(1, "core-a", RUN_LOST, 120)] })
      .get(`${REPO_PATH}/contents/.github%2Fpikaci.yml`)
      .query(true)
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/actions/runs/555`)
      .reply(200, { id: 555, status: "in_progress", html_url: "https://github.test/runs/555" });
    const report = await pass(app, new EtagCache(), false);
    expect(gh.scope.isDone()).toBe(true);
    expect(report.concluded).toBe(0);
  });
});

describe("reconcile: cost", () => {
  it("a second pass over unchanged repositories is answered 304 throughout; the calls are counted", async () => {
    const app = await testProbot();
    const cache = new EtagCache();
    const reports: PassReport[] = [];
    for (const second of [false, true]) {
      const gh = github({ tokenCached: second });
      const conditional = installationListings(gh.scope, second);
      conditional(`${REPO_PATH}/commits/main/check-runs`, { total_count: 0, check_runs: [] }, '"c1"');
      conditional("/app/hook/deliveries", [], '"d1"');
      reports.push(await pass(app, cache));
      expect(gh.scope.isDone()).toBe(true);
    }
    // The first pass also fetches the installation token (cached for an hour after).
    expect(reports.map((r) => [r.calls, r.notModified])).toEqual([
      [6, 0],
      [5, 5],
    ]);
  });

  it("stops an installation's pass at its rate-limit floor", async () => {
    const app = await testProbot();
    const gh = github();
    gh.scope
      .get("/app/installations")
      .query(true)
      .reply(200, [{ id: INSTALLATION_ID }])
      .get("/installation/repositories")
      .query(true)
      .reply(
        200,
        {
          total_count: 1,
          repositories: [
            { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "main", owner: { login: OWNER } },
          ],
        },
        { "x-ratelimit-remaining": "120" },
      );
    const report = await pass(app, new EtagCache(), false);
    expect(gh.scope.isDone()).toBe(true);
    expect(report).toMatchObject({ repositories: 0, rateLimited: 1 });
  });
});

describe("reconcile: failed deliveries", () => {
  const delivery = (id: number, guid: string, mins: number, status_code: number): HookDelivery => ({
    id,
    guid,
    delivered_at: ago(mins),
    redelivery: false,
    status_code,
    event: "pull_request",
    action: "opened",
  });

  it("picks the newest failed attempt per GUID that a retry can fix, within age and count", () => {
    const picked = failedDeliveries(
      [
        delivery(1, "down", 30, 0),
        delivery(2, "5xx", 20, 502),
        delivery(3, "bad-signature", 10, 400),
        delivery(4, "recovered", 50, 0),
        delivery(5, "recovered", 40, 200),
        delivery(6, "too-old", 60 * 30, 0),
        delivery(7, "down", 5, 0),
      ],
      { nowMs: NOW, maxAgeSecs: 24 * 3600, maxCount: 10 },
    );
    expect(picked.map((d) => d.id)).toEqual([7, 2]);
    expect(
      failedDeliveries([delivery(1, "a", 1, 0), delivery(2, "b", 2, 0)], {
        nowMs: NOW,
        maxAgeSecs: 3600,
        maxCount: 1,
      }),
    ).toHaveLength(1);
  });

  it("asks GitHub to redeliver each failed delivery once, across passes", async () => {
    const app = await testProbot();
    const cache = new EtagCache();
    for (const second of [false, true]) {
      const gh = github({ tokenCached: true });
      gh.scope
        .get("/app/installations")
        .query(true)
        .reply(200, [])
        .get("/app/hook/deliveries")
        .query(true)
        .reply(200, [delivery(41, "missed", 10, 0)]);
      if (!second) gh.scope.post("/app/hook/deliveries/41/attempts").reply(202, {});
      const report = await pass(app, cache);
      expect(gh.scope.isDone()).toBe(true);
      expect(report.redelivered).toBe(second ? 0 : 1);
    }
  });
});
