import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ArtifactsApi, ingestWorkflowRun } from "../../../src/ingest/workflow-run.js";
import { createStateStore, type StateStore } from "../../../src/store/index.js";
import { sampleRun } from "../pages/fixtures.js";
import { packLikeTheAction } from "./pack.js";

const API = "https://api.github.com";
const BLOB = "https://pipelines.actions.example.net";
let work: string;
let store: StateStore;
let zip: Buffer;
let runId: string;

function octokit(): ArtifactsApi {
  // The real client, so redirects and binary bodies go through Octokit exactly as in the App.
  return new Octokit({ auth: "installation-token" }).rest.actions;
}

beforeAll(async () => {
  nock.disableNetConnect();
  work = await mkdtemp(path.join(tmpdir(), "pikaci-wfrun-"));
  const runner = createStateStore({ root: path.join(work, "runner") });
  const run = sampleRun(2);
  runId = run.run_id;
  await runner.writeRun(run);
  await runner.appendLog(runId, "check-pika-rust", "guest", "guest output\n");
  zip = await packLikeTheAction(runner.runDir(runId), path.join(work, "staging"));
});

beforeEach(async () => {
  store = createStateStore({ root: await mkdtemp(path.join(work, "app-")) });
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(async () => {
  nock.enableNetConnect();
  await rm(work, { recursive: true, force: true });
});

function listArtifacts(artifacts: { id: number; name: string; size_in_bytes?: number; expired?: boolean }[]) {
  return nock(API)
    .get("/repos/sledtools/pika/actions/runs/45/artifacts")
    .query({ per_page: "100", page: "1" })
    .reply(200, {
      total_count: artifacts.length,
      artifacts: artifacts.map((a) => ({ size_in_bytes: 1000, expired: false, ...a })),
    });
}

function download(id: number, body: Buffer) {
  const api = nock(API)
    .get(`/repos/sledtools/pika/actions/artifacts/${id}/zip`)
    .reply(302, "", { Location: `${BLOB}/artifact-${id}.zip?sv=sig` });
  // The blob store must not receive the installation token.
  const blob = nock(BLOB, { badheaders: ["authorization"] })
    .get(`/artifact-${id}.zip`)
    .query({ sv: "sig" })
    .reply(200, body, { "Content-Type": "application/zip" });
  return [api, blob];
}

describe("ingestWorkflowRun", () => {
  it("lists the run's artifacts, follows the download redirect and stores the pikaci one", async () => {
    const list = listArtifacts([
      { id: 7, name: "coverage-report" },
      { id: 8, name: `pikaci-${runId}` },
    ]);
    const scopes = download(8, zip);
    const logs: string[] = [];
    const result = await ingestWorkflowRun({
      actions: octokit(),
      owner: "sledtools",
      repo: "pika",
      workflowRunId: 45,
      store,
      log: (m) => logs.push(m),
    });
    expect(result).toEqual({ ingested: [{ run_id: runId, stored: true }], skipped: [] });
    expect(list.isDone()).toBe(true);
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
    expect((await store.loadRunRecord(runId))?.jobs).toHaveLength(2);
    expect(logs).toEqual([]);

    // Redelivery of the same webhook: downloaded again, nothing new stored.
    listArtifacts([{ id: 8, name: `pikaci-${runId}` }]);
    download(8, zip);
    const again = await ingestWorkflowRun({
      actions: octokit(),
      owner: "sledtools",
      repo: "pika",
      workflowRunId: 45,
      store,
    });
    expect(again.ingested).toEqual([{ run_id: runId, stored: false }]);
  });

  it("logs and skips a corrupt artifact without throwing, and still ingests the good one", async () => {
    listArtifacts([
      { id: 9, name: "pikaci-broken" },
      { id: 10, name: `pikaci-${runId}` },
    ]);
    download(9, Buffer.from("PK\u0003\u0004 this is not really a zip"));
    download(10, zip);
    const logs: string[] = [];
    const result = await ingestWorkflowRun({
      actions: octokit(),
      owner: "sledtools",
      repo: "pika",
      workflowRunId: 45,
      store,
      log: (m) => logs.push(m),
    });
    expect(result.ingested).toEqual([{ run_id: runId, stored: true }]);
    expect(result.skipped).toEqual([
      { artifact: "pikaci-broken", reason: expect.stringMatching(/not a zip/) },
    ]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/artifact pikaci-broken of sledtools\/pika workflow run 45 skipped: .*not a zip/);
  });

  it("skips expired and oversized artifacts without downloading them", async () => {
    listArtifacts([
      { id: 11, name: "pikaci-old", expired: true },
      { id: 12, name: "pikaci-huge", size_in_bytes: 10 * 1024 * 1024 * 1024 },
    ]);
    const logs: string[] = [];
    const result = await ingestWorkflowRun({
      actions: octokit(),
      owner: "sledtools",
      repo: "pika",
      workflowRunId: 45,
      store,
      log: (m) => logs.push(m),
    });
    expect(result.ingested).toEqual([]);
    expect(result.skipped.map((s) => s.artifact)).toEqual(["pikaci-old", "pikaci-huge"]);
    expect(logs).toHaveLength(2);
    expect(await readdir(store.root)).toEqual([]);
  });

  it("survives the GitHub API failing", async () => {
    nock(API)
      .get("/repos/sledtools/pika/actions/runs/45/artifacts")
      .query(true)
      .reply(500, { message: "boom" });
    const logs: string[] = [];
    const result = await ingestWorkflowRun({
      actions: new Octokit({ auth: "t", request: { retries: 0 } }).rest.actions,
      owner: "sledtools",
      repo: "pika",
      workflowRunId: 45,
      store,
      log: (m) => logs.push(m),
    });
    expect(result.ingested).toEqual([]);
    expect(logs[0]).toMatch(/listing artifacts of sledtools\/pika workflow run 45 failed/);
  });
});
