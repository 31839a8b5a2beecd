import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, deliver, startAppProcess } from "./app-process.js";
import { CHANGED, HEAD_SHA, OWNER, pullRequestPayload, REPO, REPO_PATH, tenLaneConfig } from "./helpers.js";
import { type StandIn, startStandIn } from "./stand-in.js";

/**
 * The App was down while pull request #7 was opened: GitHub's delivery failed (no answer). The
 * real App process starts; its first reconcile pass finds the open pull request without pikaci
 * check runs, creates them and dispatches, and asks GitHub to redeliver the failed delivery. The
 * redelivery (same GUID) then plans nothing a second time.
 */
let gh: StandIn;
let stateRoot: string;
let app: AppProcess | undefined;
const created: { head_sha: string; name: string; id: number }[] = [];
const hourAgo = () => new Date(Date.now() - 3600_000).toISOString();

beforeAll(async () => {
  stateRoot = await mkdtemp(path.join(tmpdir(), "pikaci-restart-"));
  gh = await startStandIn();
  let nextId = 100;
  gh.route("POST", /^\/app\/installations\/77\/access_tokens$/, () => ({
    status: 201,
    body: { token: "ghs_restart", expires_at: "2099-01-01T00:00:00Z" },
  }));
  gh.route("GET", /^\/app\/installations$/, () => ({ status: 200, body: [{ id: 77 }] }));
  gh.route("GET", /^\/installation\/repositories$/, () => ({
    status: 200,
    body: {
      total_count: 1,
      repositories: [
        { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "main", owner: { login: OWNER } },
      ],
    },
  }));
  gh.route("GET", new RegExp(`^${REPO_PATH}/pulls$`), () => ({
    status: 200,
    body: [
      { number: 7, updated_at: hourAgo(), head: { sha: HEAD_SHA, repo: { full_name: `${OWNER}/${REPO}` } } },
    ],
  }));
  gh.route("GET", new RegExp(`^${REPO_PATH}/commits/([^/]+)/check-runs$`), (_req, m) => {
    const runs = created.filter((c) => c.head_sha === m[1]);
    return { status: 200, body: { total_count: runs.length, check_runs: runs } };
  });
  gh.route("GET", /\/contents\//, () => ({
    status: 200,
    body: Buffer.from(tenLaneConfig()),
    headers: { "content-type": "application/vnd.github.raw" },
  }));
  gh.route("GET", new RegExp(`^${REPO_PATH}/pulls/7/files$`), () => ({
    status: 200,
    body: CHANGED.map((filename) => ({ filename })),
  }));
  gh.route("POST", new RegExp(`^${REPO_PATH}/check-runs$`), (req) => {
    const body = req.body as { head_sha: string; name: string };
    created.push({ head_sha: body.head_sha, name: body.name, id: nextId });
    return { status: 201, body: { id: nextId++ } };
  });
  gh.route("POST", /\/dispatches$/, () => ({ status: 200, body: { workflow_run_id: 5000 } }));
  gh.route("GET", /^\/app\/hook\/deliveries$/, () => ({
    status: 200,
    body: [
      {
        id: 91,
        guid: "missed-opened",
        delivered_at: new Date(Date.now() - 600_000).toISOString(),
        redelivery: false,
        status_code: 0,
        status: "failed to connect",
        event: "pull_request",
        action: "opened",
      },
    ],
  }));
  gh.route("POST", /^\/app\/hook\/deliveries\/91\/attempts$/, () => ({ status: 202, body: {} }));
}, 30_000);

afterAll(async () => {
  await app?.stop();
  await gh?.close();
  await rm(stateRoot, { recursive: true, force: true });
});

const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${app?.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("restart", () => {
  it("the first reconcile pass creates and dispatches a missed pull request's checks; the redelivery adds nothing", async () => {
    app = await startAppProcess({ stateRoot, githubUrl: gh.url, env: { PIKACI_RECONCILE_INTERVAL: "5m" } });
    await waitFor("the reconcile pass", () => (app?.output() ?? "").includes("reconcile pass:"));
    const dispatches = () => gh.seen.filter((r) => r.path.endsWith("/dispatches"));
    expect(dispatches()).toHaveLength(1);
    expect(created.filter((c) => c.head_sha === HEAD_SHA)).toHaveLength(10);
    const attempts = gh.seen.filter((r) => r.method === "POST" && r.path.endsWith("/attempts"));
    expect(attempts.map((r) => r.path)).toEqual(["/app/hook/deliveries/91/attempts"]);

    // GitHub sends the failed delivery again, same GUID.
    const status = await deliver(app.url, {
      id: "missed-opened",
      name: "pull_request",
      payload: pullRequestPayload({ action: "opened" }),
    });
    expect(status).toBe(200);
    expect(dispatches()).toHaveLength(1);
    expect(created).toHaveLength(10);
    // The App's log line travels through a pipe: wait for it rather than read it at once.
    await waitFor("the ignored redelivery's log line", () =>
      (app?.output() ?? "").includes("was already planned (by the reconciler); ignored"),
    );
  });
});
