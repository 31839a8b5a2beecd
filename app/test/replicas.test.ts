import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, deliver, startAppProcess } from "./app-process.js";
import { CHANGED, HEAD_SHA, pullRequestPayload, REPO_PATH, tenLaneConfig } from "./helpers.js";
import { type StandIn, startStandIn } from "./stand-in.js";

/**
 * Two real App processes sharing one state root (the named shared store), GitHub answered by a
 * stand-in on a real port, and the same signed delivery sent to both at once (as a load balancer
 * retrying, or two replicas subscribed to one webhook, would): exactly one dispatch.
 */
let gh: StandIn;
let stateRoot: string;
const apps: AppProcess[] = [];

beforeAll(async () => {
  stateRoot = await mkdtemp(path.join(tmpdir(), "pikaci-replicas-"));
  gh = await startStandIn();
  let nextId = 100;
  gh.route("POST", /^\/app\/installations\/\d+\/access_tokens$/, () => ({
    status: 201,
    body: { token: "ghs_replica", expires_at: "2099-01-01T00:00:00Z" },
  }));
  gh.route("GET", /\/contents\//, () => ({
    status: 200,
    body: Buffer.from(tenLaneConfig()),
    headers: { "content-type": "application/vnd.github.raw" },
  }));
  gh.route("GET", new RegExp(`^${REPO_PATH}/pulls/7/files$`), () => ({
    status: 200,
    body: CHANGED.map((filename) => ({ filename })),
  }));
  gh.route("POST", new RegExp(`^${REPO_PATH}/check-runs$`), () => ({ status: 201, body: { id: nextId++ } }));
  gh.route("POST", /\/dispatches$/, () => ({ status: 200, body: { workflow_run_id: 5000 } }));
  const env = { PIKACI_RECONCILE_INTERVAL: "off" };
  apps.push(...(await Promise.all([0, 1].map(() => startAppProcess({ stateRoot, githubUrl: gh.url, env })))));
}, 60_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await gh?.close();
  await rm(stateRoot, { recursive: true, force: true });
});

describe("two App replicas", () => {
  it("one delivery received by both gives exactly one dispatch and one set of check runs", async () => {
    const delivery = {
      id: "replica-1",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    };
    const statuses = await Promise.all(apps.map((a) => deliver(a.url, delivery)));
    expect(statuses).toEqual([200, 200]);
    const dispatches = gh.seen.filter((r) => r.path.endsWith("/dispatches"));
    expect(dispatches).toHaveLength(1);
    expect((dispatches[0]!.body as { inputs: { head_sha: string } }).inputs.head_sha).toBe(HEAD_SHA);
    expect(gh.seen.filter((r) => r.path.endsWith("/check-runs"))).toHaveLength(10);
    const ignored = apps.map((a) => a.output()).join("\n");
    expect(ignored).toContain("delivery replica-1 (pull_request) was already handled; ignored");
  });
});
