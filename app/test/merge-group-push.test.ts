import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import {
  APP_ID,
  checkRunIdFor,
  checkRunPayload,
  github,
  HEAD_SHA,
  INSTALLATION_ID,
  nockCheckRuns,
  REPO_PATH,
  repoCalls,
  repository,
  tenLaneConfig,
  testProbot,
} from "./helpers.js";

const CONFIG_PATH = `${REPO_PATH}/contents/.github%2Fpikaci.yml`;
const GROUP_SHA = "d".repeat(40);
const BASE_SHA = "e".repeat(40);
const PUSHED = "f".repeat(40);
const BEFORE = "1".repeat(40);
const PUSH_CONFIG = `version: 1\non:\n  push:\n    branches: [main, "release/*"]\n${tenLaneConfig().replace("version: 1\n", "")}`;

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function mergeGroup(action: "checks_requested" | "destroyed", reason?: string) {
  return {
    action,
    ...(reason ? { reason } : {}),
    merge_group: {
      head_sha: GROUP_SHA,
      head_ref: "refs/heads/gh-readonly-queue/main/pr-7-aaaa",
      base_sha: BASE_SHA,
      base_ref: "refs/heads/main",
      head_commit: { id: GROUP_SHA, message: "Merge pull request #7" },
    },
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: "github-merge-queue[bot]", id: 3 },
  };
}

function push(ref: string, extra: Partial<{ created: boolean; forced: boolean }> = {}) {
  return {
    ref,
    before: BEFORE,
    after: PUSHED,
    created: false,
    deleted: false,
    forced: false,
    ...extra,
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: "author", id: 9 },
    pusher: { name: "author" },
    commits: [],
    head_commit: null,
  };
}

type Body = Record<string, unknown> & { inputs?: Record<string, string> };
const bodiesTo = (gh: ReturnType<typeof github>, suffix: string) =>
  gh.calls.filter((c) => c.path.endsWith(suffix)).map((c) => c.body as Body);

describe("merge_group", () => {
  it("checks_requested on a docs-only group: docs queued, code lanes skipped, one dispatch with an empty pr", async () => {
    const store = createMemoryDispatchStore();
    const { probot } = await testProbot({ store });
    const gh = github();
    gh.scope
      .get(CONFIG_PATH)
      .query({ ref: GROUP_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/compare/${BASE_SHA}...${GROUP_SHA}`)
      .reply(200, {
        files: [
          { filename: "docs/guide.md" },
          { filename: "docs/old.md", previous_filename: "docs/older.md" },
        ],
      });
    nockCheckRuns(gh.scope, 10);
    gh.scope
      .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
      .reply(200, { workflow_run_id: 808 });

    await probot.receive({
      id: "mg-1",
      name: "merge_group",
      payload: mergeGroup("checks_requested"),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    const creates = bodiesTo(gh, "/check-runs");
    expect(creates.every((b) => b.head_sha === GROUP_SHA)).toBe(true);
    expect(creates.filter((b) => b.status === "queued").map((b) => b.name)).toEqual(["docs"]);
    const skipped = creates.filter((b) => b.conclusion === "skipped").map((b) => b.name);
    expect(skipped.sort()).toEqual([
      "bench",
      "core-a",
      "core-b",
      "core-c",
      "examples",
      "guest",
      "images",
      "nix",
      "web",
    ]);
    expect(creates.map((b) => b.external_id)).toContain("pikaci:20260101T000000Z-00000000:docs:merge_group");
    const dispatches = bodiesTo(gh, "/dispatches");
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]!.inputs).toMatchObject({ pr: "", head_sha: GROUP_SHA });
    expect(JSON.parse(dispatches[0]!.inputs!.check_runs!)).toEqual({ docs: checkRunIdFor("docs") });
    expect(await store.byWorkflowRunId(808)).toMatchObject({ pr: 0, head_sha: GROUP_SHA });
  });

  it("destroyed cancels the group's lanes still running and its workflow run", async () => {
    const store = createMemoryDispatchStore();
    await store.put({
      run_id: "20260101T000000Z-00000000",
      repository: "acme/widgets",
      head_sha: GROUP_SHA,
      pr: 0,
      workflow_run_id: 808,
      check_runs: { docs: 31 },
    });
    const { probot } = await testProbot({ store });
    const gh = github();
    const run = (id: number, name: string, status: string, conclusion: string | null) => ({
      id,
      name,
      head_sha: GROUP_SHA,
      status,
      conclusion,
      external_id: `pikaci:20260101T000000Z-00000000:${name}:merge_group`,
      app: { id: APP_ID },
      started_at: "2026-01-01T00:00:00Z",
    });
    gh.scope
      .get(`${REPO_PATH}/commits/${GROUP_SHA}/check-runs`)
      .query(true)
      .reply(200, {
        total_count: 2,
        check_runs: [run(31, "docs", "in_progress", null), run(32, "web", "completed", "skipped")],
      })
      .patch(`${REPO_PATH}/check-runs/31`)
      .reply(200, {})
      .post(`${REPO_PATH}/actions/runs/808/cancel`)
      .reply(202, {});

    await probot.receive({
      id: "mg-2",
      name: "merge_group",
      payload: mergeGroup("destroyed", "dequeued"),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    const patch = bodiesTo(gh, "/check-runs/31")[0]!;
    expect(patch).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
      output: { title: "merge group dequeued" },
    });
    expect(repoCalls(gh).map((c) => c.method)).toEqual(["GET", "PATCH", "POST"]);
  });
});

describe("push", () => {
  it("a push to main runs the lanes its changes select, on the pushed commit", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope
      .get(CONFIG_PATH)
      .query({ ref: PUSHED })
      .reply(200, PUSH_CONFIG)
      .get(`${REPO_PATH}/compare/${BEFORE}...${PUSHED}`)
      .reply(200, { files: [{ filename: "web/index.html" }] });
    nockCheckRuns(gh.scope, 10);
    gh.scope.post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`).reply(200, { workflow_run_id: 9 });

    await probot.receive({ id: "push-1", name: "push", payload: push("refs/heads/main") } as never);

    expect(gh.scope.isDone()).toBe(true);
    const creates = bodiesTo(gh, "/check-runs");
    expect(creates.every((b) => b.head_sha === PUSHED)).toBe(true);
    expect(creates.filter((b) => b.status === "queued").map((b) => b.name)).toEqual(["web"]);
    expect(bodiesTo(gh, "/dispatches")[0]!.inputs).toMatchObject({ pr: "", head_sha: PUSHED });
  });

  it("a new branch matching release/* runs every lane (nothing to compare with)", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: PUSHED }).reply(200, PUSH_CONFIG);
    nockCheckRuns(gh.scope, 10);
    gh.scope.post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`).reply(200, { workflow_run_id: 10 });

    await probot.receive({
      id: "push-2",
      name: "push",
      payload: push("refs/heads/release/1.2", { created: true }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    const queued = bodiesTo(gh, "/check-runs").filter((b) => b.status === "queued");
    expect(queued).toHaveLength(10);
    expect(String((queued[0]!.output as { summary: string }).summary)).toContain("created the branch");
  });

  it("a push to an unlisted branch, or a tag, does nothing beyond reading the config", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: PUSHED }).reply(200, PUSH_CONFIG);

    await probot.receive({ id: "push-3", name: "push", payload: push("refs/heads/feature/x") } as never);
    await probot.receive({ id: "push-4", name: "push", payload: push("refs/tags/v1.0") } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(repoCalls(gh).map((c) => `${c.method} ${c.path.split("?")[0]}`)).toEqual([
      `GET ${REPO_PATH}/contents/.github/pikaci.yml`,
    ]);
  });
});

describe("re-running a push's lane", () => {
  it("creates a new check run that still says push, and dispatches it with an empty pr", async () => {
    const { probot } = await testProbot();
    const gh = github();
    gh.scope.get(CONFIG_PATH).query({ ref: HEAD_SHA }).reply(200, PUSH_CONFIG);
    nockCheckRuns(gh.scope, 1);
    gh.scope.post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`).reply(200, { workflow_run_id: 11 });

    await probot.receive({
      id: "push-rerun",
      name: "check_run",
      payload: checkRunPayload({
        action: "rerequested",
        externalId: "pikaci:20251231T000000Z-0000000a:web:push",
        name: "web",
      }),
    } as never);

    expect(gh.scope.isDone()).toBe(true);
    expect(bodiesTo(gh, "/check-runs")[0]).toMatchObject({
      name: "web",
      status: "queued",
      external_id: "pikaci:20260101T000000Z-00000000:web:push",
    });
    expect(bodiesTo(gh, "/dispatches")[0]!.inputs).toMatchObject({ pr: "" });
  });
});

describe("on.push.branches", () => {
  it("matches like a workflow's branches filter: * within a segment, ** across", async () => {
    const { pushRunsOn } = await import("../src/handlers/push.js");
    const config = { on: { push: { branches: ["main", "release/*", "hotfix/**"] } } };
    const runs = ["main", "release/1.2", "hotfix/a/b", "main2", "release/1/2", "feature/main"].map((b) => [
      b,
      pushRunsOn(config, b),
    ]);
    expect(Object.fromEntries(runs)).toEqual({
      main: true,
      "release/1.2": true,
      "hotfix/a/b": true,
      main2: false,
      "release/1/2": false,
      "feature/main": false,
    });
    expect(pushRunsOn({}, "main")).toBe(false);
  });
});
