import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDispatchStore, type DispatchStore } from "../src/dispatch-store.js";
import {
  APP_ID,
  github,
  HEAD_SHA,
  pullRequestPayload,
  REPO_PATH,
  type Recorder,
  repoCalls,
  testProbot,
  writes,
} from "./helpers.js";

const OLD_RUN = "20251231T000000Z-0000beef";
const RERUN = "20251231T010000Z-0000cafe";

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

interface Listed {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  runId?: string;
  pr?: number;
  fork?: boolean;
}

/** The one listing the handler makes: HEAD_SHA's check runs, filtered to this App. */
function nockList(gh: Recorder, runs: Listed[]) {
  gh.scope
    .get(`${REPO_PATH}/commits/${HEAD_SHA}/check-runs`)
    .query({ app_id: String(APP_ID), filter: "all", per_page: "100" })
    .reply(200, {
      total_count: runs.length,
      check_runs: runs.map((r) => ({
        id: r.id,
        name: r.name,
        head_sha: HEAD_SHA,
        status: r.status,
        conclusion: r.conclusion,
        external_id: `pikaci:${r.runId ?? OLD_RUN}:${r.name}:${r.pr ?? 7}${r.fork ? ":fork" : ""}`,
        app: { id: APP_ID },
      })),
    });
}

async function storeWith(...records: { runId: string; workflowRunId: number }[]): Promise<DispatchStore> {
  const store = createMemoryDispatchStore();
  for (const r of records) {
    await store.put({
      run_id: r.runId,
      repository: "acme/widgets",
      head_sha: HEAD_SHA,
      pr: 7,
      workflow_run_id: r.workflowRunId,
      check_runs: {},
    });
  }
  return store;
}

function closed(options: { merged: boolean; fork?: boolean }) {
  return pullRequestPayload({ action: "closed", ...options });
}

describe("pull_request.closed", () => {
  it("without merge: the head's open lanes are concluded cancelled and their workflow runs cancelled", async () => {
    const store = await storeWith(
      { runId: OLD_RUN, workflowRunId: 555 },
      { runId: RERUN, workflowRunId: 556 },
    );
    const { probot, entries } = await testProbot({ store });
    const gh = github();
    nockList(gh, [
      { id: 11, name: "core-a", status: "in_progress", conclusion: null },
      { id: 12, name: "core-b", status: "queued", conclusion: null },
      // A re-run of one lane: its own run id and workflow run.
      { id: 13, name: "core-c", status: "in_progress", conclusion: null, runId: RERUN },
      { id: 14, name: "docs", status: "completed", conclusion: "skipped" },
      { id: 15, name: "web", status: "completed", conclusion: "success" },
      // The same commit is also the head of #8, which is still open: not this pull request's lane.
      { id: 16, name: "nix", status: "queued", conclusion: null, pr: 8 },
    ]);
    gh.scope
      .patch(`${REPO_PATH}/check-runs/11`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/12`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/13`)
      .reply(200, {})
      .post(`${REPO_PATH}/actions/runs/555/cancel`)
      .reply(202, {})
      .post(`${REPO_PATH}/actions/runs/556/cancel`)
      .reply(202, {});

    await probot.receive({
      id: "d-close",
      name: "pull_request",
      payload: closed({ merged: false }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    // One listing, one update per open lane, one cancel per workflow run.
    expect(repoCalls(gh)).toHaveLength(6);
    for (const p of gh.calls.filter((c) => c.method === "PATCH")) {
      expect(p.body).toMatchObject({
        status: "completed",
        conclusion: "cancelled",
        output: { title: "pull request #7 was closed" },
      });
    }
    expect(writes(gh)).toMatchSnapshot();
    const logged = entries.find(
      (e) => e.level === "info" && JSON.stringify(e.args).includes("closed unmerged"),
    );
    expect(logged?.bindings.id).toBe("d-close");
  });

  it("without merge, from a fork: the lanes waiting for approval are cancelled; nothing was dispatched", async () => {
    const { probot } = await testProbot();
    const gh = github();
    nockList(gh, [
      { id: 21, name: "core-a", status: "completed", conclusion: "action_required", fork: true },
      { id: 22, name: "core-b", status: "completed", conclusion: "action_required", fork: true },
      { id: 23, name: "docs", status: "completed", conclusion: "skipped", fork: true },
    ]);
    gh.scope
      .patch(`${REPO_PATH}/check-runs/21`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/22`)
      .reply(200, {});

    const payload = closed({ merged: false, fork: true });
    await probot.receive({ id: "d-close-fork", name: "pull_request", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(writes(gh).map((c) => `${c.method} ${c.path}`)).toEqual([
      `PATCH ${REPO_PATH}/check-runs/21`,
      `PATCH ${REPO_PATH}/check-runs/22`,
    ]);
    expect(writes(gh)[0]!.body).toMatchObject({ conclusion: "cancelled" });
  });

  it("merged: nothing is touched, not even listed — the results describe the merged commit", async () => {
    const { probot } = await testProbot();
    // No interceptor but the (optional) token: any request to GitHub would fail the delivery.
    const gh = github({ tokenCached: true });

    await expect(
      probot.receive({ id: "d-merged", name: "pull_request", payload: closed({ merged: true }) } as never),
    ).resolves.toBeUndefined();

    expect(gh.scope.isDone()).toBe(true);
    expect(repoCalls(gh)).toEqual([]);
  });

  it("without merge, after every lane completed: nothing is rewritten", async () => {
    const store = await storeWith({ runId: OLD_RUN, workflowRunId: 555 });
    const { probot } = await testProbot({ store });
    const gh = github();
    nockList(gh, [
      { id: 31, name: "core-a", status: "completed", conclusion: "success" },
      { id: 32, name: "core-b", status: "completed", conclusion: "failure" },
      { id: 33, name: "core-c", status: "completed", conclusion: "cancelled" },
      { id: 34, name: "docs", status: "completed", conclusion: "skipped" },
    ]);

    await probot.receive({
      id: "d-close-done",
      name: "pull_request",
      payload: closed({ merged: false }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(repoCalls(gh)).toHaveLength(1);
    expect(writes(gh)).toEqual([]);
  });

  it("a GitHub error while cancelling is logged with the delivery id, and the delivery fails cleanly", async () => {
    const store = await storeWith({ runId: OLD_RUN, workflowRunId: 555 });
    const { probot, entries } = await testProbot({ store });
    const gh = github();
    nockList(gh, [{ id: 11, name: "core-a", status: "in_progress", conclusion: null }]);
    gh.scope
      .patch(`${REPO_PATH}/check-runs/11`)
      .reply(200, {})
      .post(`${REPO_PATH}/actions/runs/555/cancel`)
      .reply(500, { message: "Server Error" });

    // probot answers such a delivery 500 and keeps serving (server.test.ts); here it rejects.
    await expect(
      probot.receive({
        id: "d-close-err",
        name: "pull_request",
        payload: closed({ merged: false }),
      } as never),
    ).rejects.toThrow("Server Error");

    expect(gh.scope.isDone()).toBe(true);
    const logged = entries.find((e) => e.level === "error" && e.bindings.id === "d-close-err");
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged!.args)).toContain("Server Error");
    expect(JSON.stringify(entries)).not.toMatch(/TypeError|ReferenceError/);
  });
});
