import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileDispatchStore, type DispatchRecord } from "../src/dispatch-store.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pikaci-dispatch-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const record = (n: number, workflowRunId: number | null = 500 + n): DispatchRecord => ({
  run_id: `20260115T000000Z-0000000${n}`,
  repository: "acme/widgets",
  head_sha: "a".repeat(40),
  pr: 7,
  workflow_run_id: workflowRunId,
  check_runs: { [`lane-${n}`]: 100 + n },
});

describe("file dispatch store", () => {
  const january = () => new Date("2026-01-15T12:00:00Z");

  it("finds records by run id and by workflow run id, across processes and restarts", async () => {
    const a = createFileDispatchStore(root, january);
    const b = createFileDispatchStore(root, january);
    await a.put(record(1));
    expect(await b.byWorkflowRunId(501)).toEqual(record(1)); // another worker appended it
    await b.put(record(2, null));
    expect(await a.byRunId(record(2).run_id)).toEqual(record(2, null));
    const restarted = createFileDispatchStore(root, january);
    expect(await restarted.byRunId(record(1).run_id)).toEqual(record(1));
    expect(await restarted.byWorkflowRunId(999)).toBeNull();
    const lines = (await readFile(path.join(root, "app", "dispatches-2026-01.jsonl"), "utf8"))
      .trim()
      .split("\n");
    expect(lines).toHaveLength(2);
  });

  it("reads last month's log after the month turns, and skips a line torn by a crash", async () => {
    await createFileDispatchStore(root, january).put(record(3));
    await appendFile(path.join(root, "app", "dispatches-2026-01.jsonl"), '{"run_id":"2026');
    const february = createFileDispatchStore(root, () => new Date("2026-02-02T00:00:00Z"));
    expect(await february.byWorkflowRunId(503)).toEqual(record(3));
    await february.put(record(4));
    expect(await february.byWorkflowRunId(504)).toEqual(record(4));
  });
});
