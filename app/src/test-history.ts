import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { CheckOutput } from "../../src/report/check-output.js";
import { renderFinalReport } from "../../src/report/check-output.js";
import type { RunRecord } from "../../src/schema/index.js";
import { atomicWriteFile } from "../../src/store/atomic.js";
import type { StateStore } from "../../src/store/index.js";
import { emptyHistory, labelKnownFlaky, recordRun, TestHistory } from "../../src/tests/flaky-history.js";

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Per-repository test history under `<state root>/test-history/<owner>/<repo>.json`, written
 * atomically and updated one run at a time per repository, so it survives restarts and never tears.
 */
export function createTestHistoryStore(stateRoot: string) {
  const chains = new Map<string, Promise<unknown>>();
  const file = (repository: string) => {
    const [owner, repo, ...rest] = repository.split("/");
    if (
      !owner ||
      !repo ||
      rest.length > 0 ||
      ![owner, repo].every((s) => SEGMENT.test(s) && s !== "." && s !== "..")
    ) {
      throw new Error(`not a repository name: ${repository}`);
    }
    return path.join(stateRoot, "test-history", owner.toLowerCase(), `${repo.toLowerCase()}.json`);
  };
  async function load(repository: string): Promise<TestHistory> {
    try {
      return TestHistory.parse(JSON.parse(await readFile(file(repository), "utf8")));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyHistory();
      throw error;
    }
  }
  /** Run `update` on the repository's history with no other update of it in between. */
  function update<T>(repository: string, fn: (history: TestHistory) => { history: TestHistory; result: T }) {
    const previous = chains.get(repository) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const { history, result } = fn(await load(repository));
        const target = file(repository);
        await mkdir(path.dirname(target), { recursive: true });
        await atomicWriteFile(target, `${JSON.stringify(history)}\n`);
        return result;
      });
    chains.set(repository, next);
    return next;
  }
  return { load, update };
}

export type TestHistoryStore = ReturnType<typeof createTestHistoryStore>;

/**
 * After a run is ingested: label its failures of known flaky tests (in the stored run.json, so the
 * run page shows them), then fold it into the history. Returns the labelled run when a label was added.
 */
export async function applyTestHistory(params: {
  runs: Pick<StateStore, "loadRunRecord" | "writeRun">;
  history: TestHistoryStore;
  runId: string;
}): Promise<RunRecord | null> {
  const run = await params.runs.loadRunRecord(params.runId);
  if (!run?.repository || !run.jobs.some((j) => j.tests)) return null;
  const labelled = await params.history.update(run.repository, (history) => ({
    history: recordRun(history, run),
    result: labelKnownFlaky(run, history),
  }));
  if (labelled === run) return null;
  const added = labelled.jobs.some((j) => j.tests?.failed.some((c) => c.flaky_passed_on));
  if (!added) return null;
  await params.runs.writeRun(labelled);
  return labelled;
}

/** The check-run output of a lane whose failures are now labelled, re-rendered from the stored records. */
export async function relabelledOutput(params: {
  run: RunRecord;
  laneId: string;
  guestLogPath: string;
  testsUrl?: string;
}): Promise<CheckOutput | null> {
  const job = params.run.jobs.find((j) => j.lane_id === params.laneId);
  if (!job?.tests?.failed.some((c) => c.flaky_passed_on)) return null;
  const guestLog = await readFile(params.guestLogPath, "utf8").catch(() => "");
  return renderFinalReport({
    job,
    guestLog: guestLog.slice(-256 * 1024),
    ...(params.run.workflow_run_url ? { runUrl: params.run.workflow_run_url } : {}),
    ...(params.testsUrl ? { testsUrl: params.testsUrl } : {}),
  }).output;
}

/**
 * The App's step after ingesting a run: history, labels, and for each lane with a known flaky
 * failure its check run's summary re-rendered with the label. Errors are the caller's to log.
 */
export async function labelIngestedRun(params: {
  runId: string;
  runs: Pick<StateStore, "loadRunRecord" | "writeRun" | "guestLogPath">;
  history: TestHistoryStore;
  checkRunIds: (runId: string) => Promise<Record<string, number> | null>;
  updateCheck: (checkRunId: number, output: CheckOutput) => Promise<void>;
  testsUrl?: (runId: string) => string;
}): Promise<number> {
  const labelled = await applyTestHistory(params);
  if (!labelled) return 0;
  const ids = (await params.checkRunIds(labelled.run_id)) ?? {};
  let updated = 0;
  for (const job of labelled.jobs) {
    const id = ids[job.lane_id];
    if (id === undefined) continue;
    const output = await relabelledOutput({
      run: labelled,
      laneId: job.lane_id,
      guestLogPath: params.runs.guestLogPath(labelled.run_id, job.lane_id),
      ...(params.testsUrl ? { testsUrl: params.testsUrl(labelled.run_id) } : {}),
    });
    if (!output) continue;
    await params.updateCheck(id, output);
    updated += 1;
  }
  return updated;
}
