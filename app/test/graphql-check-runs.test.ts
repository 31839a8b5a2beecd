import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerGraphql, type GraphqlRoot, graphqlJson } from "../../test/helpers/github-graphql.js";
import { graphqlEndpoint } from "../src/rest/client.js";
import { CHECK_RUNS_PER_REQUEST, createCheckRunsGraphql } from "../src/rest/graphql-checks.js";
import {
  CHANGED,
  checkRunIdFor,
  github,
  HEAD_SHA,
  pullRequestPayload,
  REPO_PATH,
  repoCalls,
  tenLaneConfig,
  testProbot,
} from "./helpers.js";

const CONFIG_PATH = `${REPO_PATH}/contents/.github%2Fpikaci.yml`;
const NODE_ID = "R_kgDOTest01";

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

type Input = Record<string, unknown> & { name: string; repositoryId: string };

/** GitHub's GraphQL endpoint on the nock scope: schema-validated, `createCheckRun` answered by `create`. */
function graphqlCheckRuns(scope: nock.Scope, create: (input: Input) => number): Input[] {
  const inputs: Input[] = [];
  const root: GraphqlRoot = {
    createCheckRun: ({ input }) => {
      const i = input as Input;
      if (i.repositoryId !== NODE_ID)
        throw new Error(`Could not resolve to a node with the global id of '${i.repositoryId}'`);
      inputs.push(i);
      return { checkRun: { databaseId: create(i) } };
    },
  };
  scope.post("/graphql").reply(200, (_uri, body) => graphqlJson(answerGraphql(body, root)) as nock.Body);
  return inputs;
}

function openedWithNodeId() {
  const payload = pullRequestPayload({ action: "opened" });
  return { ...payload, repository: { ...payload.repository, node_id: NODE_ID } };
}

function configAndFiles(scope: nock.Scope) {
  scope
    .get(CONFIG_PATH)
    .query({ ref: HEAD_SHA })
    .reply(200, tenLaneConfig())
    .get(`${REPO_PATH}/pulls/7/files`)
    .query({ per_page: 100 })
    .reply(
      200,
      CHANGED.map((filename) => ({ filename })),
    );
}

describe("check runs created in one GraphQL request", () => {
  it("a delivery with the repository's node id creates all 10 lanes in one request: 4 calls in all", async () => {
    const { probot } = await testProbot();
    const gh = github();
    configAndFiles(gh.scope);
    const inputs = graphqlCheckRuns(gh.scope, (input) => checkRunIdFor(input.name));
    gh.scope
      .post(`${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`)
      .reply(200, { workflow_run_id: 555, run_url: "https://x/runs/555", html_url: "https://x/555" });

    await probot.receive({ id: "gql-1", name: "pull_request", payload: openedWithNodeId() } as never);

    expect(gh.scope.isDone()).toBe(true);
    const requests = gh.calls
      .filter((c) => !c.path.startsWith("/app/"))
      .map((c) => `${c.method} ${c.path.split("?")[0]}`);
    expect(requests).toEqual([
      `GET ${REPO_PATH}/contents/.github/pikaci.yml`,
      `GET ${REPO_PATH}/pulls/7/files`,
      "POST /graphql",
      `POST ${REPO_PATH}/actions/workflows/pikaci.yml/dispatches`,
    ]);
    expect(inputs.filter((i) => i.status === "QUEUED").map((i) => i.name)).toEqual([
      "core-a",
      "core-b",
      "core-c",
    ]);
    const skipped = inputs.filter((i) => i.status === "COMPLETED" && i.conclusion === "SKIPPED");
    expect(skipped).toHaveLength(7);
    for (const i of skipped) expect(Number.isNaN(Date.parse(String(i.completedAt)))).toBe(false);
    const dispatch = gh.calls.find((c) => c.path.endsWith("/dispatches"))!.body as {
      inputs: { check_runs: string };
    };
    expect(JSON.parse(dispatch.inputs.check_runs)).toEqual({
      "core-a": checkRunIdFor("core-a"),
      "core-b": checkRunIdFor("core-b"),
      "core-c": checkRunIdFor("core-c"),
    });
    const stable = inputs.map(({ completedAt, ...rest }) => ({
      ...rest,
      completedAt: completedAt && "<now>",
    }));
    expect(stable).toMatchSnapshot("createCheckRun inputs");
  });

  it("a lane GitHub refuses fails the delivery; the lanes created queued are concluded failure, nothing is dispatched", async () => {
    const { probot } = await testProbot();
    const gh = github();
    configAndFiles(gh.scope);
    graphqlCheckRuns(gh.scope, (input) => {
      if (input.name === "core-b") throw new Error("Resource not accessible by integration");
      return checkRunIdFor(input.name);
    });
    const concluded: { path: string; body: { conclusion: string } }[] = [];
    gh.scope
      .patch(/\/check-runs\/\d+$/)
      .times(2)
      .reply(200, (uri, body) => {
        concluded.push({ path: uri, body: body as { conclusion: string } });
        return {};
      });

    const failure = await probot
      .receive({ id: "gql-2", name: "pull_request", payload: openedWithNodeId() } as never)
      .then(
        () => null,
        (error: unknown) => error,
      );

    expect(String(failure)).toMatch(/created 9 of 10 check runs: core-b: Resource not accessible/);
    expect(gh.scope.isDone()).toBe(true);
    expect(concluded.map((c) => c.path).sort()).toEqual(
      [checkRunIdFor("core-a"), checkRunIdFor("core-c")].map((id) => `${REPO_PATH}/check-runs/${id}`).sort(),
    );
    expect(concluded.every((c) => c.body.conclusion === "failure")).toBe(true);
    expect(repoCalls(gh).some((c) => c.path.endsWith("/dispatches"))).toBe(false);
  });

  it("splits many lanes over requests and stops at the first refused request, keeping what was created", async () => {
    const lanes = CHECK_RUNS_PER_REQUEST + 5;
    const runs = Array.from({ length: lanes }, (_, i) => ({
      name: `lane-${i}`,
      head_sha: HEAD_SHA,
      external_id: `x-${i}`,
      details_url: "https://ci.example.test/runs/x",
      status: "queued" as const,
      output: { title: "Queued", summary: "waiting" },
    }));
    const bodies: unknown[] = [];
    const rest = async (request: { body?: unknown }) => {
      bodies.push(request.body);
      if (bodies.length === 2) throw Object.assign(new Error("Bad gateway"), { status: 502 });
      const root: GraphqlRoot = {
        createCheckRun: () => ({ checkRun: { databaseId: bodies.length * 1000 } }),
      };
      return { status: 200, data: graphqlJson(answerGraphql(request.body, root)) };
    };
    const created = await createCheckRunsGraphql(rest, NODE_ID, runs);
    expect(bodies).toHaveLength(2);
    expect(created.ids.filter((id) => id !== null)).toHaveLength(CHECK_RUNS_PER_REQUEST);
    expect(created.ids.slice(CHECK_RUNS_PER_REQUEST)).toEqual(Array(5).fill(null));
    expect(created.error?.message).toBe("Bad gateway");
  });

  it("finds GraphQL beside the REST root, on GitHub Enterprise Server too", () => {
    expect(graphqlEndpoint("https://api.github.com")).toBe("https://api.github.com/graphql");
    expect(graphqlEndpoint("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com/api/graphql");
  });
});
