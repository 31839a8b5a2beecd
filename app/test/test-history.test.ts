import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckOutput } from "../../src/report/check-output.js";
import type { RunRecord, TestCaseRecord } from "../../src/schema/index.js";
import { createStateStore, type StateStore } from "../../src/store/index.js";
import { emptyHistory, recordRun } from "../../src/tests/flaky-history.js";
import { createTestHistoryStore, labelIngestedRun } from "../src/test-history.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);

function failure(name: string): TestCaseRecord {
  return {
    suite: "calc.bats",
    name,
    classname: "calc.bats",
    status: "failed",
    duration_ms: 5,
    file: "test/calc.bats",
    line: 9,
    message: `(in test file test/calc.bats, line 9)`,
    details: null,
    system_out: null,
  };
}

function run(runId: string, sha: string, failed: string[]): RunRecord {
  const at = "2026-12-01T10:00:00.000Z";
  return {
    schema_version: 1,
    run_id: runId,
    status: failed.length > 0 ? "failed" : "passed",
    git_head: sha,
    git_dirty: false,
    created_at: at,
    finished_at: at,
    plan_path: null,
    changed_files: null,
    filters: [],
    message: null,
    prepare_timings: [],
    repository: "octo/demo",
    jobs: [
      {
        id: "bats",
        lane_id: "bats",
        description: "bats",
        status: failed.length > 0 ? "failed" : "passed",
        executor: "incus",
        plan_node_id: "bats",
        timeout_secs: 60,
        host_log_path: null,
        guest_log_path: null,
        started_at: at,
        finished_at: at,
        duration_ms: 3000,
        exit_code: failed.length > 0 ? 1 : 0,
        message: null,
        failure_kind: failed.length > 0 ? "test_failure" : null,
        phases: [],
        tests: {
          counts: {
            total: 4,
            passed: 4 - failed.length,
            failed: failed.length,
            errors: 0,
            skipped: 0,
            duration_ms: 20,
          },
          reports: ["outputs/report.xml"],
          failed: failed.map(failure),
          failed_truncated: 0,
          slowest: [],
          warnings: [],
        },
      },
    ],
  };
}

let root: string;
let store: StateStore;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pikaci-history-"));
  store = createStateStore({ root });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function ingest(record: RunRecord, history = createTestHistoryStore(root)) {
  await store.writeRun(record);
  const updates: [number, CheckOutput][] = [];
  const updated = await labelIngestedRun({
    runId: record.run_id,
    runs: store,
    history,
    checkRunIds: async () => ({ bats: 901 }),
    updateCheck: async (id, output) => {
      updates.push([id, output]);
    },
    testsUrl: (runId) => `https://ci.example/runs/${runId}`,
  });
  return { updated, updates };
}

describe("flaky tests from the App's test history", () => {
  it("fail then pass on a re-run of the same commit marks the test flaky; the next failure is labelled, after a restart", async () => {
    expect(
      (await ingest(run("20261201T100000Z-00000001", SHA_A, ["subtracts wrongly", "steady"]))).updated,
    ).toBe(0);
    // The re-run of the same commit: "subtracts wrongly" passes, "steady" still fails.
    expect((await ingest(run("20261201T100000Z-00000002", SHA_A, ["steady"]))).updated).toBe(0);
    const file = JSON.parse(await readFile(path.join(root, "test-history/octo/demo.json"), "utf8"));
    expect(
      file.tests.map((t: { name: string; flaky_passed_on: string | null }) => [t.name, t.flaky_passed_on]),
    ).toEqual(
      expect.arrayContaining([
        ["subtracts wrongly", SHA_A],
        ["steady", null],
      ]),
    );

    // A new history store instance: what a restarted App has.
    const later = await ingest(
      run("20261201T100000Z-00000003", SHA_B, ["subtracts wrongly", "steady"]),
      createTestHistoryStore(root),
    );
    expect(later.updated).toBe(1);
    const [id, output] = later.updates[0]!;
    expect(id).toBe(901);
    expect(output.title).toBe("2 of 4 tests failed in 3s");
    expect(output.summary).toContain("**known flaky (passed on re-run of aaaaaaa)**");
    expect(output.summary.match(/known flaky/g)).toHaveLength(1);
    const stored = await store.loadRunRecord("20261201T100000Z-00000003");
    expect(stored!.jobs[0]!.tests!.failed.map((c) => [c.name, c.flaky_passed_on ?? null])).toEqual([
      ["subtracts wrongly", SHA_A],
      ["steady", null],
    ]);
  });

  it("a failure that passes on a different commit is not flaky", async () => {
    await ingest(run("20261201T100000Z-00000001", SHA_A, ["subtracts wrongly"]));
    await ingest(run("20261201T100000Z-00000002", SHA_B, []));
    expect((await ingest(run("20261201T100000Z-00000003", SHA_B, ["subtracts wrongly"]))).updated).toBe(0);
  });

  it("the history is bounded per test and per repository", () => {
    let history = emptyHistory();
    for (let i = 0; i < 30; i++) {
      const r = run(`20261201T100000Z-${String(i).padStart(8, "0")}`, SHA_A, [`t${i}`, "always"]);
      history = recordRun(
        history,
        { ...r, finished_at: `2026-12-01T10:${String(i).padStart(2, "0")}:00.000Z` },
        {
          entriesPerTest: 5,
          testsPerRepository: 10,
        },
      );
    }
    expect(history.tests).toHaveLength(10);
    expect(history.tests.find((t) => t.name === "always")!.entries).toHaveLength(5);
    expect(history.tests.some((t) => t.name === "t0")).toBe(false);
  });
});
