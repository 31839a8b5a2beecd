import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArtifactsApi, ingestWorkflowRun } from "../../src/ingest/workflow-run.js";
import { createStateStore } from "../../src/store/index.js";
import { packLikeTheAction } from "../../test/unit/ingest/pack.js";
import { sampleRun } from "../../test/unit/pages/fixtures.js";
import { github, INSTALLATION_ID, REPO_PATH, repository, testProbot } from "./helpers.js";

const BLOB = "https://blobs.actions.example.net";
let work: string;
let zip: Buffer;
let runId: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "pikaci-app-ingest-"));
  const runner = createStateStore({ root: path.join(work, "runner") });
  const run = sampleRun(2);
  runId = run.run_id;
  await runner.writeRun(run);
  await runner.appendLog(runId, run.jobs[0]!.lane_id, "guest", "guest output\n");
  zip = await packLikeTheAction(runner.runDir(runId), path.join(work, "staging"));
});

afterAll(async () => {
  nock.cleanAll();
  await rm(work, { recursive: true, force: true });
});

function completed(id: number) {
  return {
    action: "completed",
    workflow_run: {
      id,
      html_url: `https://github.test/acme/widgets/actions/runs/${id}`,
      conclusion: "success",
    },
    repository: repository(),
    installation: { id: INSTALLATION_ID },
    sender: { login: "someone", id: 1 },
  };
}

describe("workflow_run.completed ingest", () => {
  it("stores the run's pikaci artifact in the App's state root, and a redelivery stores nothing new", async () => {
    const appRoot = path.join(work, "app");
    const store = createStateStore({ root: appRoot });
    const results: Array<{ run_id: string; stored: boolean }> = [];
    const { probot } = await testProbot({
      ingest: async ({ octokit, owner, repo, workflowRunId }) => {
        const r = await ingestWorkflowRun({
          actions: octokit.rest.actions as ArtifactsApi,
          owner,
          repo,
          workflowRunId,
          store,
        });
        results.push(...r.ingested);
      },
    });
    for (const delivery of ["d-ingest-1", "d-ingest-1-redelivered"]) {
      // The installation token is fetched on the first delivery and cached for the second.
      const gh = github({ tokenCached: delivery !== "d-ingest-1" });
      gh.scope
        .get(`${REPO_PATH}/actions/runs/321/artifacts`)
        .query(true)
        .reply(200, {
          total_count: 1,
          artifacts: [{ id: 9, name: `pikaci-${runId}`, size_in_bytes: zip.length, expired: false }],
        });
      gh.scope
        .get(`${REPO_PATH}/actions/artifacts/9/zip`)
        .reply(302, "", { Location: `${BLOB}/a9.zip?sig=x` });
      const blob = nock(BLOB)
        .get("/a9.zip")
        .query({ sig: "x" })
        .reply(200, zip, { "Content-Type": "application/zip" });
      await probot.receive({ id: delivery, name: "workflow_run", payload: completed(321) } as never);
      expect(gh.scope.pendingMocks()).toEqual([]);
      expect(blob.isDone()).toBe(true);
    }
    expect(results).toEqual([
      { run_id: runId, stored: true },
      { run_id: runId, stored: false },
    ]);
    expect((await store.loadRunRecord(runId))?.run_id).toBe(runId);
    expect(await readdir(path.join(appRoot, "runs"))).toEqual([runId]);
  });
});
