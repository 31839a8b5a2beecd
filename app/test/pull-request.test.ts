import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import { pikaciOctokit } from "../src/octokit-class.js";
import {
  APP_ID,
  CHANGED,
  checkRunIdFor,
  github,
  HEAD_SHA,
  NEW_SHA,
  nockCheckRuns,
  pullRequestPayload,
  REPO_PATH,
  repoCalls,
  tenLaneConfig,
  testProbot,
  writes,
} from "./helpers.js";

const CONFIG_PATH = `${REPO_PATH}/contents/.github%2Fpikaci.yml`;

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("pull_request.opened", () => {
  it("creates 3 queued and 7 skipped check runs and dispatches the 3 selected lanes, in ≤ lanes + 4 calls", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope
      .get(CONFIG_PATH)
      .query({ ref: HEAD_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/pulls/7/files`)
      .query({ per_page: 100 })
      .reply(
        200,
        CHANGED.map((filename) => ({ filename })),
      );
    nockCheckRuns(gh.scope, 10);
    gh.scope
      .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
      .reply(200, { workflow_run_id: 555, run_url: "https://x/runs/555", html_url: "https://x/555" });

    await probot.receive({
      id: "delivery-1",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    const creates = gh.calls
      .filter((c) => c.path === `${REPO_PATH}/check-runs`)
      .map((c) => c.body as Record<string, unknown>);
    const queued = creates.filter((b) => b.status === "queued");
    const skipped = creates.filter((b) => b.status === "completed" && b.conclusion === "skipped");
    expect(queued.map((b) => b.name).sort()).toEqual(["core-a", "core-b", "core-c"]);
    expect(skipped).toHaveLength(7);
    const dispatches = gh.calls.filter((c) => c.path.endsWith("/dispatches"));
    expect(dispatches).toHaveLength(1);
    const body = dispatches[0]!.body as {
      ref: string;
      inputs: Record<string, string>;
      return_run_details: boolean;
    };
    expect(body.ref).toBe("main");
    expect(body.return_run_details).toBe(true);
    // The lane → check run map holds exactly the ids GitHub returned for the queued runs.
    expect(JSON.parse(body.inputs.check_runs!)).toEqual({
      "core-a": checkRunIdFor("core-a"),
      "core-b": checkRunIdFor("core-b"),
      "core-c": checkRunIdFor("core-c"),
    });
    // Efficiency: everything GitHub saw, the installation token included, is within lanes + 4.
    expect(gh.calls.length).toBeLessThanOrEqual(10 + 4);
    expect(repoCalls(gh)).toHaveLength(13);
    expect(sortByName(creates)).toMatchSnapshot("check runs");
    expect(body).toMatchSnapshot("dispatch");
  });
});

describe("nothing is left stuck", () => {
  it("an invalid config fails a pikaci/config check annotated at the exact line and column", async () => {
    const { probot } = await testProbot();
    const gh = github();
    const text = "version: 1\nlanes:\n  - id: ok\n    command: make\n  - id: bad\n    comand: make\n";
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, text);
    nockCheckRuns(gh.scope, 1);

    await probot.receive({
      id: "d-cfg",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(repoCalls(gh).map((c) => `${c.method} ${c.path.split("?")[0]}`)).toEqual([
      `GET ${REPO_PATH}/contents/.github/pikaci.yml`,
      `POST ${REPO_PATH}/check-runs`,
    ]);
    const body = repoCalls(gh)[1]!.body as {
      name: string;
      conclusion: string;
      output: { annotations: unknown[] };
    };
    expect(body.name).toBe("pikaci/config");
    expect(body.conclusion).toBe("failure");
    expect(body.output.annotations).toEqual([
      expect.objectContaining({
        path: ".github/pikaci.yml",
        start_line: 6,
        end_line: 6,
        start_column: 5,
        end_column: 5,
        annotation_level: "failure",
      }),
    ]);
    expect(body).toMatchSnapshot();
  });

  it("works with the production Octokit (writes spaced per installation)", async () => {
    const { probot } = await testProbot({ Octokit: pikaciOctokit({ throttle: true }) });
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, "version: 2\n");
    nockCheckRuns(gh.scope, 1);
    await probot.receive({
      id: "d-prod",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    } as never);
    expect(gh.scope.isDone()).toBe(true);
    expect(writes(gh)).toHaveLength(1);
  });

  it("a repository without .github/pikaci.yml gets no check runs", async () => {
    const { probot, entries } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(404, { message: "Not Found" });

    await probot.receive({
      id: "d-none",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(repoCalls(gh)).toHaveLength(1);
    expect(JSON.stringify(entries)).toContain("not found at");
  });

  it.each([
    [404, "workflow file .github/workflows/pikaci.yml not found on ref main", "set workflow.file"],
    [403, "may not dispatch workflows", "the app lacks actions: write"],
    [422, "GitHub refused the dispatch", "no workflow_dispatch trigger with these inputs"],
  ])(
    "a dispatch answered %i concludes every queued check run failure, naming the fix",
    async (status, message, fix) => {
      const { probot } = await testProbot();
      const gh = github();
      gh.scope
        .get(CONFIG_PATH)
        .query({ ref: HEAD_SHA })
        .reply(200, tenLaneConfig())
        .get(`${REPO_PATH}/pulls/7/files`)
        .query({ per_page: 100 })
        .reply(
          200,
          CHANGED.map((filename) => ({ filename })),
        );
      nockCheckRuns(gh.scope, 10);
      gh.scope
        .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
        .reply(status, { message: "nope" });
      gh.scope
        .patch(/\/check-runs\/\d+$/)
        .times(3)
        .reply(200, {});

      await probot.receive({
        id: "d-fail",
        name: "pull_request",
        payload: pullRequestPayload({ action: "opened" }),
      } as never);

      expect(gh.scope.isDone()).toBe(true);
      const states = finalStates(gh.calls);
      expect(Object.values(states).filter((s) => s.status !== "completed")).toEqual([]);
      const failed = Object.values(states).filter((s) => s.conclusion === "failure");
      expect(failed.map((s) => s.name).sort()).toEqual(["core-a", "core-b", "core-c"]);
      for (const s of failed) {
        expect(s.summary).toContain(message);
        expect(s.summary).toContain(fix);
      }
      const patch = gh.calls.find((c) => c.method === "PATCH")!.body;
      expect(patch).toMatchSnapshot();
    },
  );
});

describe("lane selection edges", () => {
  it("past GitHub's 3000-file listing limit every lane runs and the summary says so, without listing", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, tenLaneConfig());
    nockCheckRuns(gh.scope, 10);
    gh.scope.post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`).reply(200, { workflow_run_id: 1 });

    const payload = pullRequestPayload({ action: "opened", changedFiles: 3500 });
    await probot.receive({ id: "d-big", name: "pull_request", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    const creates = gh.calls.filter((c) => c.method === "POST" && c.path.endsWith("/check-runs"));
    expect(creates.map((c) => (c.body as { status: string }).status)).toEqual(Array(10).fill("queued"));
    for (const c of creates) {
      expect((c.body as { output: { summary: string } }).output.summary).toContain(
        "at most 3000 changed files",
      );
    }
  });

  it("a fork's lanes wait as action_required with an Approve button, and nothing is dispatched", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope
      .get(CONFIG_PATH)
      .query({ ref: HEAD_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/pulls/7/files`)
      .query({ per_page: 100 })
      .reply(
        200,
        CHANGED.map((filename) => ({ filename })),
      );
    nockCheckRuns(gh.scope, 10);

    await probot.receive({
      id: "d-fork",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened", fork: true }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(gh.calls.some((c) => c.path.endsWith("/dispatches"))).toBe(false);
    const creates = gh.calls
      .filter((c) => c.path.endsWith("/check-runs"))
      .map((c) => c.body as Record<string, unknown>);
    const waiting = creates.filter((b) => b.conclusion === "action_required");
    expect(waiting.map((b) => b.name).sort()).toEqual(["core-a", "core-b", "core-c"]);
    expect(creates.filter((b) => b.conclusion === "skipped")).toHaveLength(7);
    expect(waiting[0]).toMatchSnapshot();
  });
});

describe("superseded commits", () => {
  it("cancels the old head's queued and running lanes and its workflow run, then plans the new head", async () => {
    const store = createMemoryDispatchStore();
    const oldRun = "20251231T000000Z-0000beef";
    await store.put({
      run_id: oldRun,
      repository: "acme/widgets",
      head_sha: HEAD_SHA,
      pr: 7,
      workflow_run_id: 555,
      check_runs: { "core-a": 11, "core-b": 12 },
    });
    const { probot } = await testProbot({ store });
    const gh = github();
    const ext = (lane: string) => `pikaci:${oldRun}:${lane}:7`;
    gh.scope
      .get(`${REPO_PATH}/commits/${HEAD_SHA}/check-runs`)
      .query({ app_id: String(APP_ID), filter: "all", per_page: "100" })
      .reply(200, {
        total_count: 4,
        check_runs: [
          {
            id: 11,
            name: "core-a",
            head_sha: HEAD_SHA,
            status: "in_progress",
            conclusion: null,
            external_id: ext("core-a"),
            app: { id: APP_ID },
          },
          {
            id: 12,
            name: "core-b",
            head_sha: HEAD_SHA,
            status: "queued",
            conclusion: null,
            external_id: ext("core-b"),
            app: { id: APP_ID },
          },
          {
            id: 13,
            name: "core-c",
            head_sha: HEAD_SHA,
            status: "completed",
            conclusion: "success",
            external_id: ext("core-c"),
            app: { id: APP_ID },
          },
          {
            id: 14,
            name: "docs",
            head_sha: HEAD_SHA,
            status: "completed",
            conclusion: "skipped",
            external_id: ext("docs"),
            app: { id: APP_ID },
          },
        ],
      })
      .patch(`${REPO_PATH}/check-runs/11`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/12`)
      .reply(200, {})
      .post(`${REPO_PATH}/actions/runs/555/cancel`)
      .reply(202, {})
      .get(CONFIG_PATH)
      .query({ ref: NEW_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/pulls/7/files`)
      .query({ per_page: 100 })
      .reply(
        200,
        CHANGED.map((filename) => ({ filename })),
      );
    nockCheckRuns(gh.scope, 10);
    gh.scope
      .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
      .reply(200, { workflow_run_id: 556 });

    const payload = pullRequestPayload({ action: "synchronize", before: HEAD_SHA, headSha: NEW_SHA });
    await probot.receive({ id: "d-sync", name: "pull_request", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    const patches = gh.calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => c.path).sort()).toEqual([
      `${REPO_PATH}/check-runs/11`,
      `${REPO_PATH}/check-runs/12`,
    ]);
    for (const p of patches) {
      expect(p.body).toMatchObject({
        status: "completed",
        conclusion: "cancelled",
        output: { title: `superseded by ${NEW_SHA.slice(0, 12)}` },
      });
    }
    expect(writes(gh).filter((c) => c.method === "PATCH" || c.path.endsWith("/cancel"))).toMatchSnapshot();
    const newRuns = gh.calls.filter((c) => c.method === "POST" && c.path.endsWith("/check-runs"));
    expect(newRuns.every((c) => (c.body as { head_sha: string }).head_sha === NEW_SHA)).toBe(true);
  });
});

describe("superseded fork commits", () => {
  it("cancels the old head's lanes waiting for approval, not another PR's on the same SHA, and dispatches nothing", async () => {
    const { probot, entries } = await testProbot();
    const gh = github();
    const oldRun = "20251231T000000Z-0000f0e0";
    const lane = (id: number, name: string, conclusion: string | null, pr = 7) => ({
      id,
      name,
      head_sha: HEAD_SHA,
      status: conclusion === null ? "queued" : "completed",
      conclusion,
      external_id: `pikaci:${oldRun}:${name}:${pr}:fork`,
      app: { id: APP_ID },
    });
    gh.scope
      .get(`${REPO_PATH}/commits/${HEAD_SHA}/check-runs`)
      .query({ app_id: String(APP_ID), filter: "all", per_page: "100" })
      .reply(200, {
        total_count: 5,
        check_runs: [
          lane(21, "core-a", "action_required"),
          lane(22, "core-b", "action_required"),
          lane(23, "docs", "skipped"),
          // The old commit is also the head of #8, still open: its lanes are #8's to keep.
          lane(24, "core-c", "action_required", 8),
          lane(25, "web", null, 8),
        ],
      })
      .patch(`${REPO_PATH}/check-runs/21`)
      .reply(200, {})
      .patch(`${REPO_PATH}/check-runs/22`)
      .reply(200, {})
      .get(CONFIG_PATH)
      .query({ ref: NEW_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/pulls/7/files`)
      .query({ per_page: 100 })
      .reply(
        200,
        CHANGED.map((filename) => ({ filename })),
      );
    nockCheckRuns(gh.scope, 10);

    const payload = pullRequestPayload({
      action: "synchronize",
      before: HEAD_SHA,
      headSha: NEW_SHA,
      fork: true,
    });
    await probot.receive({ id: "d-sync-fork", name: "pull_request", payload } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(gh.calls.some((c) => c.path.endsWith("/dispatches") || c.path.endsWith("/cancel"))).toBe(false);
    const patches = gh.calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => c.path).sort()).toEqual([
      `${REPO_PATH}/check-runs/21`,
      `${REPO_PATH}/check-runs/22`,
    ]);
    for (const p of patches) {
      expect(p.body).toMatchObject({
        status: "completed",
        conclusion: "cancelled",
        output: { title: `superseded by ${NEW_SHA.slice(0, 12)}` },
      });
    }
    expect(writes(gh).filter((c) => c.method === "PATCH")).toMatchSnapshot();
    // The new head waits for approval in its turn.
    const newRuns = gh.calls
      .filter((c) => c.method === "POST" && c.path.endsWith("/check-runs"))
      .map((c) => c.body as { head_sha: string; conclusion: string });
    expect(newRuns.every((b) => b.head_sha === NEW_SHA)).toBe(true);
    expect(newRuns.filter((b) => b.conclusion === "action_required")).toHaveLength(3);
    const logged = entries.find((e) => e.level === "info" && JSON.stringify(e.args).includes("superseded"));
    expect(logged?.args[0]).toEqual({ cancelled: 2, runs: [oldRun] });
  });
});

/** Replay creates and updates: the last known status and conclusion of every check run. */
function finalStates(calls: { method: string; path: string; body: unknown }[]) {
  const states: Record<number, { name: string; status: string; conclusion?: string; summary: string }> = {};
  for (const c of calls) {
    const body = c.body as { name: string; status: string; conclusion?: string; output: { summary: string } };
    if (c.method === "POST" && c.path.endsWith("/check-runs")) {
      states[checkRunIdFor(body.name)] = {
        name: body.name,
        status: body.status,
        conclusion: body.conclusion,
        summary: body.output.summary,
      };
    }
    const patch = /\/check-runs\/(\d+)$/.exec(c.path);
    if (c.method === "PATCH" && patch) {
      const s = states[Number(patch[1])]!;
      Object.assign(s, { status: body.status, conclusion: body.conclusion, summary: body.output.summary });
    }
  }
  return states;
}

function sortByName(bodies: Record<string, unknown>[]) {
  return [...bodies].sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
