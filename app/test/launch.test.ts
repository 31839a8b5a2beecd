import { describe, expect, it } from "vitest";
import { createMemoryDispatchStore } from "../src/dispatch-store.js";
import type { CheckRunPatch, GitHubPort, NewCheckRun } from "../src/github-port.js";
import { launchLanes } from "../src/launch.js";
import { captureLogger, HEAD_SHA } from "./helpers.js";

/** An in-memory GitHub that remembers every check run's latest state. */
function fakeGitHub(options: {
  failCreateOf?: string;
  dispatch?: () => Promise<{ workflowRunId: number | null }>;
}) {
  const runs = new Map<number, NewCheckRun | (NewCheckRun & CheckRunPatch)>();
  let next = 1;
  const port: GitHubPort = {
    readFile: async () => null,
    listChangedFiles: async () => ({ files: [] }),
    compareFiles: async () => ({ files: [] }),
    async createCheckRun(run) {
      if (run.name === options.failCreateOf) throw Object.assign(new Error("boom"), { status: 500 });
      const id = next++;
      runs.set(id, run);
      return id;
    },
    async updateCheckRun(id, patch) {
      runs.set(id, { ...runs.get(id)!, ...patch });
    },
    listOwnCheckRuns: async () => [],
    dispatchWorkflow: options.dispatch ?? (async () => ({ workflowRunId: 9 })),
    cancelWorkflowRun: async () => {},
    permissionOf: async () => "none",
  };
  return { port, runs };
}

const lane = (name: string): NewCheckRun => ({
  name,
  head_sha: HEAD_SHA,
  external_id: `pikaci:20260101T000000Z-00000000:${name}:1`,
  details_url: "https://x",
  status: "queued",
  output: { title: "Queued", summary: "" },
});

const base = {
  store: createMemoryDispatchStore(),
  log: captureLogger().log,
  repository: "acme/widgets",
  runId: "20260101T000000Z-00000000",
  headSha: HEAD_SHA,
  pr: 1,
  target: { workflow: "pikaci.yml", ref: "main" },
};

describe("launchLanes never leaves a check run queued", () => {
  it("when one create fails, the ones already created are concluded failure and the error surfaces", async () => {
    const gh = fakeGitHub({ failCreateOf: "l5" });
    const lanes = Array.from({ length: 8 }, (_, i) => lane(`l${i}`));
    await expect(launchLanes({ ...base, port: gh.port, lanes })).rejects.toThrow("boom");
    expect(gh.runs.size).toBeGreaterThan(0);
    for (const run of gh.runs.values()) {
      expect(run.status).toBe("completed");
      expect((run as CheckRunPatch).conclusion).toBe("failure");
      expect(run.output.summary).toContain("GitHub refused to create every check run");
    }
  });

  it("when the dispatch throws something unexpected, every queued run is concluded failure", async () => {
    const gh = fakeGitHub({ dispatch: () => Promise.reject(new TypeError("socket hang up")) });
    const result = await launchLanes({ ...base, port: gh.port, lanes: [lane("a"), lane("b")] });
    expect(result.dispatched).toBe(false);
    expect([...gh.runs.values()].map((r) => [r.status, (r as CheckRunPatch).conclusion])).toEqual([
      ["completed", "failure"],
      ["completed", "failure"],
    ]);
  });

  it("records the workflow run id of a successful dispatch", async () => {
    const store = createMemoryDispatchStore();
    const gh = fakeGitHub({});
    const result = await launchLanes({ ...base, store, port: gh.port, lanes: [lane("a")] });
    expect(result).toEqual({ checkRuns: { a: 1 }, dispatched: true, workflowRunId: 9 });
    expect(await store.byWorkflowRunId(9)).toMatchObject({ run_id: base.runId, check_runs: { a: 1 } });
  });
});
