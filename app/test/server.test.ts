import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signRunUrl } from "../../src/pages/index.js";
import { createStateStore } from "../../src/store/index.js";
import { createPikaciServer, type PikaciServer } from "../src/create-server.js";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import {
  APP_ID,
  captureLogger,
  github,
  HEAD_SHA,
  type LogEntry,
  PUBLIC_URL,
  pullRequestPayload,
  REPO_PATH,
  SECRET,
  sign,
  tenLaneConfig,
  testPrivateKey,
} from "./helpers.js";

const TOKEN = "api-token-for-tests-0123456789";
const OTHER_SHA = "0123456789".repeat(4);
const RUN_ID = "20260102T030405Z-0a0b0c0d";
let app: PikaciServer;
let base: { host: string; port: number };
let stateRoot: string;
const entries: LogEntry[] = [];

beforeAll(async () => {
  stateRoot = await mkdtemp(path.join(tmpdir(), "pikaci-app-"));
  const store = createStateStore({ root: stateRoot });
  await store.writeRun({
    schema_version: 1,
    run_id: RUN_ID,
    status: "passed",
    git_head: HEAD_SHA,
    git_dirty: false,
    created_at: "2026-01-02T03:04:05Z",
    finished_at: "2026-01-02T03:05:05Z",
    plan_path: null,
    changed_files: null,
    filters: [],
    message: null,
    prepare_timings: [],
    jobs: [],
  });
  await store.appendLog(RUN_ID, "core-a", "host", "host says hi\n");
  await store.appendLog(RUN_ID, "core-a", "guest", "guest says hi\n");
  app = await createPikaciServer({
    env: {
      appId: APP_ID,
      privateKey: testPrivateKey(),
      webhookSecret: SECRET,
      stateRoot,
      apiToken: TOKEN,
      publicUrl: PUBLIC_URL,
      port: 0,
      host: "127.0.0.1",
      writeThrottle: false,
      workers: 1,
      githubApiUrl: null,
    },
    log: captureLogger(entries).log,
    store: createMemoryDispatchStore(),
  });
  const address = await app.listen();
  base = { host: "127.0.0.1", port: address.port };
});

afterAll(async () => {
  await app.close();
  await rm(stateRoot, { recursive: true, force: true });
});

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** A raw HTTP request: the path goes on the wire exactly as written (fetch would normalise `..`). */
function send(
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; json: () => unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...base, method, path: urlPath, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function deliver(payload: unknown, options: { id: string; signature?: string | null; secret?: string }) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": "pull_request",
    "x-github-delivery": options.id,
  };
  const signature = options.signature === undefined ? sign(body, options.secret) : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return send("POST", "/api/github/webhooks", headers, body);
}

describe("signed deliveries over loopback", () => {
  it("a good signature is answered 200 after the handler ran", async () => {
    const gh = github({ tokenCached: true });
    gh.scope.get(`${REPO_PATH}/contents/.github%2Fpikaci.yml`).query({ ref: HEAD_SHA }).reply(404, {});
    const res = await deliver(pullRequestPayload({ action: "opened" }), { id: "good-1" });
    expect(res.status).toBe(200);
    expect(gh.scope.isDone()).toBe(true);
  });

  it.each([
    ["a wrong secret", { secret: "not-the-secret" }],
    ["a tampered signature", { signature: `sha256=${"0".repeat(64)}` }],
    ["no signature", { signature: null }],
  ])("%s is answered 400 and the handler does not run", async (_what, options) => {
    const gh = github({ tokenCached: true });
    gh.scope.get(`${REPO_PATH}/contents/.github%2Fpikaci.yml`).query({ ref: HEAD_SHA }).reply(404, {});
    const res = await deliver(pullRequestPayload({ action: "opened" }), { id: "bad-1", ...options });
    expect(res.status).toBe(400);
    // The handler would have read the config first; that interceptor is still waiting.
    expect(gh.calls).toEqual([]);
    expect(gh.scope.pendingMocks().some((m) => m.includes("/contents/"))).toBe(true);
  });

  it("a handler error is logged with the delivery id and the server keeps serving", async () => {
    const gh = github({ tokenCached: true });
    gh.scope
      .get(`${REPO_PATH}/contents/.github%2Fpikaci.yml`)
      .query({ ref: OTHER_SHA })
      .reply(200, tenLaneConfig())
      .get(`${REPO_PATH}/pulls/7/files`)
      .query(true)
      .reply(403, { message: "Resource not accessible by integration" });
    // Another head than the earlier test's: a head already planned is not planned again.
    const res = await deliver(pullRequestPayload({ action: "opened", headSha: OTHER_SHA }), {
      id: "boom-42",
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(gh.scope.isDone()).toBe(true);
    const logged = entries.find((e) => e.level === "error" && e.bindings.id === "boom-42");
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged!.args)).toContain("Resource not accessible");
    expect((await send("GET", "/pikaci/healthz")).status).toBe(200);
  });
});

describe("HTTP API", () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it("healthz is open", async () => {
    const res = await send("GET", "/pikaci/healthz");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it.each([
    ["no token", {}],
    ["a wrong token", { authorization: "Bearer wrong-token-wrong-token-00" }],
    ["a prefix of the token", { authorization: `Bearer ${TOKEN.slice(0, 10)}` }],
    ["another scheme", { authorization: `Basic ${TOKEN}` }],
  ])("%s gets 401", async (_what, headers) => {
    const res = await send("GET", `/pikaci/api/runs/${RUN_ID}`, headers);
    expect(res.status).toBe(401);
    expect(res.json()).toHaveProperty("error");
  });

  it("returns the run record", async () => {
    const res = await send("GET", `/pikaci/api/runs/${RUN_ID}`, auth);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ run_id: RUN_ID, status: "passed" });
  });

  it("returns 404 with {error} for an absent run", async () => {
    const res = await send("GET", "/pikaci/api/runs/20990101T000000Z-ffffffff", auth);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: "run 20990101T000000Z-ffffffff not found" });
    expect((await send("GET", "/pikaci/api/runs/20990101T000000Z-ffffffff/logs", auth)).status).toBe(404);
  });

  it("returns logs filtered by lane (or its older name job) and kind, and their metadata", async () => {
    const both = (await send("GET", `/pikaci/api/runs/${RUN_ID}/logs`, auth)).json() as { logs: unknown[] };
    expect(both.logs).toEqual([
      { job_id: "core-a", kind: "host", text: "host says hi\n" },
      { job_id: "core-a", kind: "guest", text: "guest says hi\n" },
    ]);
    const guest = await send("GET", `/pikaci/api/runs/${RUN_ID}/logs?job=core-a&kind=guest`, auth);
    expect(guest.json()).toEqual({
      run_id: RUN_ID,
      logs: [{ job_id: "core-a", kind: "guest", text: "guest says hi\n" }],
    });
    const byLane = await send("GET", `/pikaci/api/runs/${RUN_ID}/logs?lane=core-a&kind=guest`, auth);
    expect(byLane.json()).toEqual(guest.json());
    const otherLane = await send("GET", `/pikaci/api/runs/${RUN_ID}/logs?lane=core-b`, auth);
    expect(otherLane.json()).toEqual({ run_id: RUN_ID, logs: [] });
    const meta = await send("GET", `/pikaci/api/runs/${RUN_ID}/logs/metadata`, auth);
    expect(meta.json()).toEqual({
      run_id: RUN_ID,
      logs: [
        { job_id: "core-a", kind: "host", exists: true, size_bytes: 13 },
        { job_id: "core-a", kind: "guest", exists: true, size_bytes: 14 },
      ],
    });
  });

  it.each([
    "/pikaci/api/runs/..",
    "/pikaci/api/runs/../../etc/passwd",
    "/pikaci/api/runs/..%2F..%2Fetc%2Fpasswd",
    "/pikaci/api/runs/%2e%2e",
    `/pikaci/api/runs/${RUN_ID}%2F..%2F..`,
    `/pikaci/api/runs/${"9".repeat(300)}`,
    "/pikaci/api/runs/%E0%A4%A",
    `/pikaci/api/runs/${RUN_ID}/logs?job=..%2F..%2Fsecret`,
    `/pikaci/api/runs/${RUN_ID}/logs?job=${"a".repeat(100)}`,
    `/pikaci/api/runs/${RUN_ID}/logs?lane=..%2F..%2Fsecret`,
    `/pikaci/api/runs/${RUN_ID}/logs?kind=passwd`,
  ])("hostile %s gets 400", async (hostile) => {
    const res = await send("GET", hostile, auth);
    expect(res.status).toBe(400);
    expect(res.json()).toHaveProperty("error");
  });

  it("mounts the run pages: the signed details_url opens the run, an unsigned one does not", async () => {
    const signed = new URL(signRunUrl({ baseUrl: PUBLIC_URL, runId: RUN_ID, secret: SECRET }));
    const page = await send("GET", `${signed.pathname}${signed.search}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(RUN_ID);
    expect((await send("GET", signed.pathname)).status).not.toBe(200);
  });

  it("an unknown path is 404 and a hostile path without a token is still 401", async () => {
    expect((await send("GET", "/nope")).status).toBe(404);
    expect((await send("GET", "/pikaci/api/runs/..%2F..")).status).toBe(401);
  });
});
