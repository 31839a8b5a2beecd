import { z } from "zod";

/**
 * Per-test results read from a lane's JUnit reports. They go into `run.json` (per job) so the
 * check run, the run page and the App's flaky-test history all read one record.
 */

export const TestStatus = z.enum(["passed", "failed", "error", "skipped"]);

export const TestCaseRecord = z.object({
  /** The enclosing `<testsuite name>`, else the case's `classname`. */
  suite: z.string(),
  name: z.string(),
  classname: z.string().nullable(),
  status: TestStatus,
  duration_ms: z.number().nonnegative().nullable(),
  /** Repository-relative file and 1-based line of the failure, when the report or its stack trace gives one. */
  file: z.string().nullable(),
  line: z.number().int().positive().nullable(),
  /** The failure's message (attribute, else the first line of its text), cut. */
  message: z.string().nullable(),
  /** The failure's text (usually a stack trace), cut. */
  details: z.string().nullable(),
  /** The case's `system-out`, cut; kept for failed cases only. */
  system_out: z.string().nullable(),
  /** Set by the App when the test is known to be flaky: the commit a re-run passed on. */
  flaky_passed_on: z.string().nullable().optional(),
});

export const TestCounts = z.object({
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  /** Sum of the cases' durations. */
  duration_ms: z.number().nonnegative(),
});

/** One lane's tests: counts over every case, and the cases worth showing (failed, then slowest). */
export const LaneTestResults = z.object({
  counts: TestCounts,
  /** Report files read, relative to the lane's artifacts dir. */
  reports: z.array(z.string()),
  /** Failed and errored cases (capped; `failed_truncated` says how many more there were). */
  failed: z.array(TestCaseRecord),
  failed_truncated: z.number().int().nonnegative(),
  /** The slowest passing cases, slowest first. */
  slowest: z.array(TestCaseRecord),
  /** Why a report was refused or cut (size cap, DOCTYPE, malformed XML). */
  warnings: z.array(z.string()),
});

/** What a lane's `artifacts`/`reports` collected into `jobs/<lane>/artifacts/`. */
export const ArtifactsRecord = z.object({
  files: z.array(z.object({ name: z.string(), bytes: z.number().int().nonnegative(), report: z.boolean() })),
  bytes: z.number().int().nonnegative(),
  /** Caps hit, files skipped, globs that matched nothing. */
  warnings: z.array(z.string()),
});

export type ArtifactsRecord = z.infer<typeof ArtifactsRecord>;
export type TestStatus = z.infer<typeof TestStatus>;
export type TestCaseRecord = z.infer<typeof TestCaseRecord>;
export type TestCounts = z.infer<typeof TestCounts>;
export type LaneTestResults = z.infer<typeof LaneTestResults>;
