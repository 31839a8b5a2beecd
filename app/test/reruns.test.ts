import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APPROVE_RUN_ID, RERUN_FAILED_ID } from "../../src/report/requested-actions.js";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import {
  API,
  APP_ID,
  checkRunIdFor,
  checkRunPayload,
  github,
  HEAD_SHA,
  INSTALLATION_ID,
  nockCheckRuns,
  REPO_PATH,
  type Recorder,
  repository,
  tenLaneConfig,
  testProbot,
  writes,
} from "./helpers.js";

const CONFIG_PATH = `${REPO_PATH}/contents/.github%2Fpikaci.yml`;
const OLD_RUN = "20251231T000000Z-00000abc";
const LANES = ["core-a", "core-b", "core-c", "docs", "web", "nix", "images", "guest", "examples", "bench"];

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** What the checks API lists for HEAD_SHA: the three selected lanes as given, the rest skipped. */
function listed(conclusions: Record<string, string>, fork = false) {
  return {
    total_count: LANES.length,
    check_runs: LANES.map((lane, i) => ({
      id: 100 + i,
      name: lane,
      head_sha: HEAD_SHA,
      status: "completed",
      conclusion: conclusions[lane] ?? "skipped",
      external_id: `pikaci:${OLD_RUN}:${lane}:7${fork ? ":fork" : ""}`,
      app: { id: APP_ID },
    })),
  };
}

/**
 * The same listing with `lanes` PR #8's: the commit is also the head of #8 (stacked or duplicate
 * pull requests). Each lane listed once here; a lane both pull requests ran is tested below.
 */
function alsoPr8(body: ReturnType<typeof listed>, lanes: string[]) {
  for (const run of body.check_runs) {
    if (lanes.includes(run.name)) run.external_id = run.external_id.replace(/:7(:fork)?$/, ":8$1");
  }
  return body;
}

function nockList(gh: Recorder, body: ReturnType<typeof listed>) {
  gh.scope
    .get(`${REPO_PATH}/commits/${HEAD_SHA}/check-runs`)
    .query({ app_id: String(APP_ID), filter: "all", per_page: "100" })
    .reply(200, body);
}

interface Run {
  id: number;
  lane: string;
  pr: number;
  runId: string;
  conclusion: string;
  startedAt: string;
}

/**
 * HEAD_SHA's listing as GitHub answers it, for either `filter`: `latest` keeps the newest run per
 * name only, so a lane both pull requests ran shows up for one of them.
 */
function nockListLikeGitHub(gh: Recorder, runs: Run[]) {
  const asListed = (r: Run) => ({
    id: r.id,
    name: r.lane,
    head_sha: HEAD_SHA,
    status: "completed",
    conclusion: r.conclusion,
    started_at: r.startedAt,
    external_id: `pikaci:${r.runId}:${r.lane}:${r.pr}`,
    app: { id: APP_ID },
  });
  gh.scope
    .get(`${REPO_PATH}/commits/${HEAD_SHA}/check-runs`)
    .query((q) => q.app_id === String(APP_ID) && q.per_page === "100")
    .reply(200, (uri) => {
      const byTime = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id);
      const latest = new URL(uri, API).searchParams.get("filter") !== "all";
      const kept = latest
        ? byTime.filter((r, i) => byTime.findIndex((o) => o.lane === r.lane) === i)
        : byTime;
      return { total_count: kept.length, check_runs: kept.map(asListed) };
    });
}

function nockDispatch(gh: Recorder, workflow = "pikaci.yml") {
  gh.scope.post(`${REPO_PATH}/actions/workflows/${workflow}/dispatches`).reply(200, { workflow_run_id: 777 });
}

function dispatched(gh: Recorder) {
  const calls = gh.calls.filter((c) => c.path.endsWith("/dispatches"));
  expect(calls).toHaveLength(1);
  const body = calls[0]!.body as { ref: string; inputs: Record<string, string> };
  return { ...body, lanes: JSON.parse(body.inputs.check_runs!) as Record<string, number> };
}

/** Every dispatch, in order: the pull request and lanes each one runs. */
function dispatches(gh: Recorder) {
  return gh.calls
    .filter((c) => c.path.endsWith("/dispatches"))
    .map((c) => (c.body as { inputs: Record<string, string> }).inputs)
    .map((inputs) => ({ pr: inputs.pr, lanes: Object.keys(JSON.parse(inputs.check_runs!) as object) }));
}

function created(gh: Recorder) {
  return gh.calls
    .filter((c) => c.method === "POST" && c.path.endsWith("/check-runs"))
    .map((c) => c.body as { name: string; status: string; head_sha: string; external_id: string });
}

/** A fork's config naming its own workflow, which an approval must never run. */
const forkConfig = `${tenLaneConfig()}workflow:\n  file: release.yml\n`;

/** The fork config read at the head, and the base branch's config whose workflow an approval runs. */
function nockForkConfigs(gh: ReturnType<typeof github>): void {
  gh.scope
    .get(CONFIG_PATH)
    .query({ ref: HEAD_SHA })
    .reply(200, forkConfig)
    .get(CONFIG_PATH)
    .query({ ref: "main" })
    .reply(200, tenLaneConfig());
}

/** A click on "Approve and run" on PR #7's fork lane `core-a`. */
function approveClick(p: { conclusion: string; sender: string }) {
  return checkRunPayload({
    action: "requested_action",
    name: "core-a",
    conclusion: p.conclusion,
    externalId: `pikaci:${OLD_RUN}:core-a:7:fork`,
    identifier: APPROVE_RUN_ID,
    sender: p.sender,
  });
}

describe("re-runs", () => {
  it("check_run.rerequested creates a new queued check run with the same name and SHA and dispatches that lane only", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 1);
    nockDispatch(gh);

    const payload = checkRunPayload({
      action: "rerequested",
      name: "core-b",
      externalId: `pikaci:${OLD_RUN}:core-b:7`,
    });
    await probot.receive({ id: "d-rr", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    const runs = created(gh);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: "core-b", head_sha: HEAD_SHA, status: "queued" });
    expect(runs[0]!.external_id).not.toContain(OLD_RUN);
    expect(dispatched(gh).lanes).toEqual({ "core-b": checkRunIdFor("core-b") });
    expect(writes(gh)).toMatchSnapshot();
  });

  it("check_suite.rerequested re-runs every lane of the SHA that was not skipped", async () => {
    const { probot } = await testProbot();
    const gh = github();
    nockList(gh, listed({ "core-a": "success", "core-b": "failure", "core-c": "cancelled" }));
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 3);
    nockDispatch(gh);

    const payload = {
      action: "rerequested",
      check_suite: { id: 5, head_sha: HEAD_SHA, pull_requests: [] },
      repository: repository(),
      installation: { id: INSTALLATION_ID },
      sender: { login: "maintainer", id: 10 },
    };
    await probot.receive({ id: "d-rs", name: "check_suite", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(created(gh).every((r) => r.status === "queued" && r.head_sha === HEAD_SHA)).toBe(true);
    expect(Object.keys(dispatched(gh).lanes)).toEqual(["core-a", "core-b", "core-c"]);
    expect(writes(gh)).toMatchSnapshot();
  });

  it('"Re-run failed" re-runs exactly the failed, cancelled and timed-out lanes', async () => {
    const { probot } = await testProbot();
    const gh = github();
    nockList(
      gh,
      listed({ "core-a": "success", "core-b": "failure", "core-c": "cancelled", docs: "timed_out" }),
    );
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 3);
    nockDispatch(gh);

    const payload = checkRunPayload({
      action: "requested_action",
      name: "core-b",
      externalId: `pikaci:${OLD_RUN}:core-b:7`,
      identifier: RERUN_FAILED_ID,
    });
    await probot.receive({ id: "d-rf", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(Object.keys(dispatched(gh).lanes)).toEqual(["core-b", "core-c", "docs"]);
    expect(created(gh).map((r) => r.status)).toEqual(["queued", "queued", "queued"]);
    expect(writes(gh)).toMatchSnapshot();
  });

  it("\"Re-run failed\" on #7's check re-runs #7's failed lanes only, not those of #8 at the same SHA", async () => {
    const { probot } = await testProbot();
    const gh = github();
    nockList(
      gh,
      alsoPr8(
        listed({
          "core-a": "success",
          "core-b": "failure",
          "core-c": "cancelled",
          docs: "failure",
          web: "timed_out",
        }),
        ["docs", "web"],
      ),
    );
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 2);
    nockDispatch(gh);

    const payload = checkRunPayload({
      action: "requested_action",
      name: "core-b",
      externalId: `pikaci:${OLD_RUN}:core-b:7`,
      identifier: RERUN_FAILED_ID,
    });
    await probot.receive({ id: "d-rf-pr7", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(dispatches(gh)).toEqual([{ pr: "7", lanes: ["core-b", "core-c"] }]);
    expect(created(gh).map((r) => [r.name, r.external_id.split(":").slice(2).join(":")])).toEqual([
      ["core-b", "core-b:7"],
      ["core-c", "core-c:7"],
    ]);
    // #8's failed lanes are neither re-created nor rewritten.
    expect(gh.calls.some((c) => c.method === "PATCH")).toBe(false);
    expect(writes(gh)).toMatchSnapshot();
  });

  it('"Re-run failed" on #7 re-runs #7\'s failed lane even when #8 ran that lane later at the same SHA', async () => {
    const { probot } = await testProbot();
    const gh = github();
    const rerun7 = "20251231T010000Z-00000abd";
    const run8 = "20251231T020000Z-00000abe";
    nockListLikeGitHub(gh, [
      {
        id: 100,
        lane: "core-a",
        pr: 7,
        runId: OLD_RUN,
        conclusion: "success",
        startedAt: "2026-01-01T09:00:00Z",
      },
      {
        id: 101,
        lane: "core-b",
        pr: 7,
        runId: OLD_RUN,
        conclusion: "failure",
        startedAt: "2026-01-01T09:00:00Z",
      },
      // #7's core-c failed, then passed on a re-run: only the re-run counts.
      {
        id: 102,
        lane: "core-c",
        pr: 7,
        runId: OLD_RUN,
        conclusion: "failure",
        startedAt: "2026-01-01T09:00:00Z",
      },
      {
        id: 110,
        lane: "core-c",
        pr: 7,
        runId: rerun7,
        conclusion: "success",
        startedAt: "2026-01-01T10:00:00Z",
      },
      // #8 ran the same lanes after #7; its failure is #8's to re-run.
      {
        id: 120,
        lane: "core-a",
        pr: 8,
        runId: run8,
        conclusion: "success",
        startedAt: "2026-01-01T11:00:00Z",
      },
      {
        id: 121,
        lane: "core-b",
        pr: 8,
        runId: run8,
        conclusion: "failure",
        startedAt: "2026-01-01T11:00:00Z",
      },
    ]);
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 1);
    nockDispatch(gh);

    const payload = checkRunPayload({
      action: "requested_action",
      name: "core-b",
      externalId: `pikaci:${OLD_RUN}:core-b:7`,
      identifier: RERUN_FAILED_ID,
    });
    await probot.receive({ id: "d-rf-shared-lane", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(dispatches(gh)).toEqual([{ pr: "7", lanes: ["core-b"] }]);
    expect(created(gh).map((r) => [r.name, r.external_id.split(":").slice(2).join(":")])).toEqual([
      ["core-b", "core-b:7"],
    ]);
    // #8's failed core-b is neither re-created nor rewritten.
    expect(gh.calls.some((c) => c.method === "PATCH")).toBe(false);
    expect(writes(gh)).toMatchSnapshot();
  });

  it("check_suite.rerequested on a SHA shared by #7 and #8 re-runs each one's lanes under its own number", async () => {
    const { probot } = await testProbot();
    const gh = github();
    nockList(
      gh,
      alsoPr8(listed({ "core-a": "success", "core-b": "failure", docs: "failure", web: "success" }), [
        "docs",
        "web",
        "nix",
      ]),
    );
    // One config read, check-run batch and dispatch per pull request.
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).times(2).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 4);
    gh.scope
      .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
      .times(2)
      .reply(200, { workflow_run_id: 777 });

    const payload = {
      action: "rerequested",
      check_suite: { id: 5, head_sha: HEAD_SHA, pull_requests: [] },
      repository: repository(),
      installation: { id: INSTALLATION_ID },
      sender: { login: "maintainer", id: 10 },
    };
    await probot.receive({ id: "d-rs-2pr", name: "check_suite", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(dispatches(gh)).toEqual([
      { pr: "7", lanes: ["core-a", "core-b"] },
      { pr: "8", lanes: ["docs", "web"] },
    ]);
    expect(created(gh).map((r) => r.external_id.split(":").slice(2).join(":"))).toEqual([
      "core-a:7",
      "core-b:7",
      "docs:8",
      "web:8",
    ]);
    expect(writes(gh)).toMatchSnapshot();
  });
});

describe("fork approval", () => {
  it("a maintainer's approval runs the waiting lanes with the base branch's workflow, never the fork's choice", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope
      .get(`${REPO_PATH}/collaborators/maint/permission`)
      .reply(200, { permission: "write", role_name: "maintain", user: { login: "maint" } });
    nockList(
      gh,
      listed({ "core-a": "action_required", "core-b": "action_required", "core-c": "action_required" }, true),
    );
    nockForkConfigs(gh);
    nockCheckRuns(gh.scope, 3);
    nockDispatch(gh, "pikaci.yml");

    const payload = approveClick({ conclusion: "action_required", sender: "maint" });
    await probot.receive({ id: "d-ap", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    const d = dispatched(gh);
    expect(d.ref).toBe("main");
    expect(Object.keys(d.lanes)).toEqual(["core-a", "core-b", "core-c"]);
    expect(created(gh).every((r) => r.status === "queued" && r.external_id.endsWith(":fork"))).toBe(true);
    expect(writes(gh)).toMatchSnapshot();
  });

  it("a maintainer's approval on #7's lane approves #7's waiting lanes only, not those of #8 at the same SHA", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope
      .get(`${REPO_PATH}/collaborators/maint/permission`)
      .reply(200, { permission: "write", role_name: "maintain", user: { login: "maint" } });
    const waiting = {
      "core-a": "action_required",
      "core-b": "action_required",
      "core-c": "action_required",
      docs: "action_required",
    };
    nockList(gh, alsoPr8(listed(waiting, true), ["core-c", "docs"]));
    nockForkConfigs(gh);
    nockCheckRuns(gh.scope, 2);
    nockDispatch(gh, "pikaci.yml");

    const payload = approveClick({ conclusion: "action_required", sender: "maint" });
    await probot.receive({ id: "d-ap-pr7", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(dispatches(gh)).toEqual([{ pr: "7", lanes: ["core-a", "core-b"] }]);
    expect(created(gh).map((r) => [r.name, r.external_id.split(":").slice(2).join(":")])).toEqual([
      ["core-a", "core-a:7:fork"],
      ["core-b", "core-b:7:fork"],
    ]);
    // #8's lanes keep waiting for their own approval.
    expect(gh.calls.some((c) => c.method === "PATCH")).toBe(false);
    expect(writes(gh)).toMatchSnapshot();
  });

  it("anyone else's click is ignored and logged", async () => {
    const { probot, entries } = await testProbot();
    const gh = github();
    nockList(gh, listed({ "core-a": "action_required" }, true));
    gh.scope
      .get(`${REPO_PATH}/collaborators/drive-by/permission`)
      .reply(200, { permission: "read", role_name: "read", user: { login: "drive-by" } });

    const payload = approveClick({ conclusion: "action_required", sender: "drive-by" });
    await probot.receive({ id: "d-no", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(gh.calls.filter((c) => c.method !== "GET" && !c.path.startsWith("/app/"))).toEqual([]);
    const warning = entries.find((e) => e.level === "warn" && JSON.stringify(e.args).includes("drive-by"));
    expect(warning).toBeDefined();
    expect(warning!.bindings.id).toBe("d-no");
  });

  it("a click on a lane cancelled as superseded is ignored and logged: nothing is listed, written or dispatched", async () => {
    const { probot, entries } = await testProbot();
    // No interceptor but the (optional) token: any request to GitHub would fail the delivery.
    const gh = github({ tokenCached: true });

    const payload = approveClick({ conclusion: "cancelled", sender: "maint" });
    await expect(
      probot.receive({ id: "d-ap-old", name: "check_run", payload } as never),
    ).resolves.toBeUndefined();

    expect(gh.scope.isDone()).toBe(true);
    expect(gh.calls).toEqual([]);
    const ignored = entries.find((e) => JSON.stringify(e.args).includes("no longer waits for approval"));
    expect(ignored).toBeDefined();
    expect(ignored!.bindings.id).toBe("d-ap-old");
    expect(ignored!.args[0]).toEqual({ lane: "core-a", conclusion: "cancelled" });
  });

  it("a re-run of a fork's lane by a reader is refused too", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(`${REPO_PATH}/collaborators/drive-by/permission`).reply(404, { message: "Not Found" });

    const payload = checkRunPayload({
      action: "rerequested",
      name: "core-a",
      externalId: `pikaci:${OLD_RUN}:core-a:7:fork`,
      sender: "drive-by",
    });
    await probot.receive({ id: "d-rr-fork", name: "check_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(created(gh)).toEqual([]);
  });
});

describe("workflow_run.completed", () => {
  it("concludes lanes the dispatched workflow never concluded", async () => {
    const store = createMemoryDispatchStore();
    await store.put({
      run_id: OLD_RUN,
      repository: "acme/widgets",
      head_sha: HEAD_SHA,
      pr: 7,
      workflow_run_id: 555,
      check_runs: { "core-a": 100, "core-b": 101 },
    });
    const { probot } = await testProbot({ store });
    const gh = github();
    const body = listed({ "core-b": "success" });
    body.check_runs[0]!.status = "in_progress";
    body.check_runs[0]!.conclusion = null as never;
    nockList(gh, body);
    gh.scope.patch(`${REPO_PATH}/check-runs/100`).reply(200, {});

    const payload = {
      action: "completed",
      workflow_run: {
        id: 555,
        html_url: "https://github.test/acme/widgets/actions/runs/555",
        conclusion: "failure",
      },
      repository: repository(),
      installation: { id: INSTALLATION_ID },
      sender: { login: "someone", id: 1 },
    };
    await probot.receive({ id: "d-wr", name: "workflow_run", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    const patch = gh.calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(patch.body).toMatchSnapshot();
  });

  it("ignores workflow runs the App did not dispatch, without calling GitHub", async () => {
    const { probot } = await testProbot();
    const payload = {
      action: "completed",
      workflow_run: { id: 999, html_url: "https://github.test/x", conclusion: "success" },
      repository: repository(),
      installation: { id: INSTALLATION_ID },
      sender: { login: "someone", id: 1 },
    };
    await expect(
      probot.receive({ id: "d-wr2", name: "workflow_run", payload } as never),
    ).resolves.toBeUndefined();
  });
});
