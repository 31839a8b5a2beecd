import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStateStore } from "../../src/store/index.js";
import { packLikeTheAction } from "../../test/unit/ingest/pack.js";
import { sampleRun } from "../../test/unit/pages/fixtures.js";
import { createPikaciServer, type PikaciServer } from "../src/create-server.js";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import {
  APP_ID,
  captureLogger,
  INSTALLATION_ID,
  type LogEntry,
  PUBLIC_URL,
  REPO_PATH,
  repository,
  SECRET,
  sign,
  testPrivateKey,
} from "./helpers.js";
import { type StandIn, startStandIn } from "./stand-in.js";

/**
 * GitHub answers an artifact download with a 302 to a storage host on another origin, which
 * refuses a request carrying an Authorization header it did not issue (Azure: 400
 * InvalidAuthenticationInfo). The real App server, its real HTTP client, real sockets: the API
 * stand-in on 127.0.0.1, the storage host on 127.0.0.2 (another origin).
 */
let api: StandIn;
let storage: StandIn;
let app: PikaciServer;
let work: string;
let zip: Buffer;
let runId: string;
let storageAnswers: "by-the-rules" | "always-400" = "by-the-rules";
const entries: LogEntry[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-app-redirect-"));
  const runner = createStateStore({ root: path.join(work, "runner") });
  const run = sampleRun(2);
  runId = run.run_id;
  await runner.writeRun(run);
  zip = await packLikeTheAction(runner.runDir(runId), path.join(work, "staging"));

  storage = await startStandIn("127.0.0.2");
  storage.route("GET", /^\/blob\/a9\.zip$/, (req) =>
    req.headers.authorization || storageAnswers === "always-400"
      ? {
          status: 400,
          body: Buffer.from("<Error><Code>InvalidAuthenticationInfo</Code></Error>"),
          headers: { "content-type": "application/xml" },
        }
      : { status: 200, body: zip, headers: { "content-type": "application/zip" } },
  );
  api = await startStandIn("127.0.0.1");
  api.route("POST", /^\/app\/installations\/\d+\/access_tokens$/, () => ({
    status: 201,
    body: { token: "ghs_secret_installation_token", expires_at: "2099-01-01T00:00:00Z" },
  }));
  api.route("GET", new RegExp(`^${REPO_PATH}/actions/runs/321/artifacts$`), () => ({
    status: 200,
    body: {
      total_count: 1,
      artifacts: [{ id: 9, name: `pikaci-${runId}`, size_in_bytes: zip.length, expired: false }],
    },
  }));
  api.route("GET", new RegExp(`^${REPO_PATH}/actions/artifacts/9/zip$`), () => ({
    status: 302,
    headers: { location: `${storage.url}/blob/a9.zip?sig=signed` },
  }));
  app = await createPikaciServer({
    env: {
      appId: APP_ID,
      privateKey: testPrivateKey(),
      webhookSecret: SECRET,
      stateRoot: path.join(work, "app"),
      apiToken: "api-token-for-tests-0123456789",
      publicUrl: PUBLIC_URL,
      port: 0,
      host: "127.0.0.1",
      writeThrottle: false,
      githubApiUrl: api.url,
    },
    log: captureLogger(entries).log,
    store: createMemoryDispatchStore(),
  });
  await app.listen();
});

afterAll(async () => {
  await app?.close();
  await api?.close();
  await storage?.close();
  await rm(work, { recursive: true, force: true });
});

async function deliverCompleted(delivery: string): Promise<number> {
  const body = JSON.stringify({
    action: "completed",
    workflow_run: {
      id: 321,
      html_url: "https://github.test/acme/widgets/actions/runs/321",
      conclusion: "success",
    },
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: "someone", id: 1 },
  });
  const { port } = app.server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "workflow_run",
      "x-github-delivery": delivery,
      "x-hub-signature-256": sign(body),
    },
  });
  return res.status;
}

describe("artifact download redirected to a storage host on another origin", () => {
  it("never sends the installation token there, and the run is stored", async () => {
    expect(await deliverCompleted("redirect-1")).toBe(200);
    const download = api.seen.find((r) => r.path.endsWith("/artifacts/9/zip"));
    expect(download?.headers.authorization).toBe("token ghs_secret_installation_token");
    const blob = storage.seen.filter((r) => r.path.startsWith("/blob/"));
    expect(blob).toHaveLength(1);
    expect(blob[0]!.headers.authorization).toBeUndefined();
    expect(blob[0]!.path).toBe("/blob/a9.zip?sig=signed");
    const stored = createStateStore({ root: path.join(work, "app") });
    expect((await stored.loadRunRecord(runId))?.run_id).toBe(runId);
  });

  it("logs a failed download with its HTTP status, its host and the fix", async () => {
    storageAnswers = "always-400";
    entries.length = 0;
    await rm(path.join(work, "app", "runs"), { recursive: true, force: true });
    expect(await deliverCompleted("redirect-2")).toBe(200);
    const warned = entries
      .filter((e) => e.level === "warn")
      .map((e) => String(e.args.at(-1)))
      .join("\n");
    expect(warned).toContain(`artifact pikaci-${runId}`);
    expect(warned).toContain("HTTP 400");
    expect(warned).toContain("127.0.0.2");
    expect(warned).toMatch(/hint: /);
    expect(warned).not.toContain("Unknown error");
  });
});
