import { z } from "zod";
import type { JobRecord, RunRecord } from "../schema/index.js";

/**
 * A repository's test history, kept by the App from ingested runs, for one purpose: telling flaky
 * tests apart. Only tests that have failed are kept (a test that never failed cannot be flaky), each
 * with its last few results, and the file is bounded in tests per repository.
 */
export const HistoryEntry = z.object({
  sha: z.string(),
  run_id: z.string(),
  status: z.enum(["failed", "passed"]),
});

export const TestHistoryRecord = z.object({
  lane: z.string(),
  suite: z.string(),
  name: z.string(),
  entries: z.array(HistoryEntry),
  /** Set once the test failed and then passed on the same commit. */
  flaky_passed_on: z.string().nullable(),
  last_seen: z.string(),
});

export const TestHistory = z.object({
  schema_version: z.literal(1),
  tests: z.array(TestHistoryRecord),
});

export type TestHistory = z.infer<typeof TestHistory>;
export type TestHistoryRecord = z.infer<typeof TestHistoryRecord>;

export interface HistoryLimits {
  entriesPerTest: number;
  testsPerRepository: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { entriesPerTest: 20, testsPerRepository: 5000 };

export const emptyHistory = (): TestHistory => ({ schema_version: 1, tests: [] });

const key = (lane: string, suite: string, name: string) => `${lane}\0${suite}\0${name}`;

/** Lanes whose results can say a test did not fail: reports were read and no failure was left out. */
function conclusive(job: JobRecord): boolean {
  return !!job.tests && job.tests.counts.total > 0 && job.tests.failed_truncated === 0;
}

/** The run with `flaky_passed_on` set on failures of tests the history knows to be flaky. */
export function labelKnownFlaky(run: RunRecord, history: TestHistory): RunRecord {
  const flaky = new Map(
    history.tests
      .filter((t) => t.flaky_passed_on)
      .map((t) => [key(t.lane, t.suite, t.name), t.flaky_passed_on!]),
  );
  if (flaky.size === 0) return run;
  return {
    ...run,
    jobs: run.jobs.map((job) =>
      job.tests
        ? {
            ...job,
            tests: {
              ...job.tests,
              failed: job.tests.failed.map((c) => {
                const sha = flaky.get(key(job.lane_id, c.suite, c.name));
                return sha ? { ...c, flaky_passed_on: sha } : c;
              }),
            },
          }
        : job,
    ),
  };
}

/**
 * Fold one finished run into the history: its failures are recorded, and a test that failed on
 * this commit before but not in this run (of the same lane) becomes flaky.
 */
export function recordRun(
  history: TestHistory,
  run: RunRecord,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): TestHistory {
  const sha = run.git_head;
  if (!sha) return history;
  const at = run.finished_at ?? run.created_at;
  const byKey = new Map(
    history.tests.map((t) => [key(t.lane, t.suite, t.name), { ...t, entries: [...t.entries] }]),
  );
  for (const job of run.jobs.filter(conclusive)) {
    const failing = new Set(job.tests!.failed.map((c) => key(job.lane_id, c.suite, c.name)));
    for (const c of job.tests!.failed) {
      const k = key(job.lane_id, c.suite, c.name);
      const test = byKey.get(k) ?? {
        lane: job.lane_id,
        suite: c.suite,
        name: c.name,
        entries: [],
        flaky_passed_on: null,
        last_seen: at,
      };
      if (!test.entries.some((e) => e.run_id === run.run_id))
        test.entries.push({ sha, run_id: run.run_id, status: "failed" });
      test.last_seen = at;
      byKey.set(k, test);
    }
    for (const [k, test] of byKey) {
      if (test.lane !== job.lane_id || failing.has(k)) continue;
      if (test.entries.some((e) => e.run_id === run.run_id)) continue;
      if (!test.entries.some((e) => e.sha === sha && e.status === "failed")) continue;
      test.entries.push({ sha, run_id: run.run_id, status: "passed" });
      test.flaky_passed_on = sha;
      test.last_seen = at;
    }
  }
  const tests = [...byKey.values()]
    .map((t) => ({ ...t, entries: t.entries.slice(-limits.entriesPerTest) }))
    .sort((a, b) => b.last_seen.localeCompare(a.last_seen))
    .slice(0, limits.testsPerRepository);
  return { schema_version: 1, tests };
}
