import type { LaneTestResults, TestCaseRecord } from "../schema/index.js";
import type { RawTestCase } from "./junit-parse.js";
import type { Location } from "./locate.js";

export interface ResultLimits {
  /** Failed cases kept in full; more are only counted. */
  maxFailed: number;
  /** Slowest passing cases kept. */
  slowest: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = { maxFailed: 200, slowest: 10 };

/**
 * Folds a lane's test cases into its record as they stream in: counts over all of them, the
 * failed ones (capped), and the few slowest, so memory does not grow with the report.
 */
export class LaneResultsBuilder {
  private readonly limits: ResultLimits;
  private readonly results: LaneTestResults = {
    counts: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, duration_ms: 0 },
    reports: [],
    failed: [],
    failed_truncated: 0,
    slowest: [],
    warnings: [],
  };

  constructor(limits: Partial<ResultLimits> = {}) {
    this.limits = { ...DEFAULT_RESULT_LIMITS, ...limits };
  }

  report(path: string): void {
    this.results.reports.push(path);
  }

  warn(message: string): void {
    if (this.results.warnings.length < 50) this.results.warnings.push(message);
  }

  add(raw: RawTestCase, location: Location | null): void {
    const counts = this.results.counts;
    counts.total += 1;
    counts.duration_ms += raw.durationMs ?? 0;
    if (raw.status === "passed") counts.passed += 1;
    else if (raw.status === "skipped") counts.skipped += 1;
    else if (raw.status === "error") counts.errors += 1;
    else counts.failed += 1;
    if (raw.status === "failed" || raw.status === "error") {
      if (this.results.failed.length < this.limits.maxFailed)
        this.results.failed.push(toRecord(raw, location));
      else this.results.failed_truncated += 1;
    } else if (raw.status === "passed" && raw.durationMs !== null) {
      this.keepIfSlow(raw);
    }
  }

  private keepIfSlow(raw: RawTestCase): void {
    const slowest = this.results.slowest;
    const last = slowest[slowest.length - 1];
    if (slowest.length >= this.limits.slowest && last && (last.duration_ms ?? 0) >= (raw.durationMs ?? 0))
      return;
    slowest.push(toRecord({ ...raw, details: null, systemOut: null, message: null }, null));
    slowest.sort((a, b) => (b.duration_ms ?? 0) - (a.duration_ms ?? 0));
    if (slowest.length > this.limits.slowest) slowest.pop();
  }

  build(): LaneTestResults {
    const counts = this.results.counts;
    return { ...this.results, counts: { ...counts, duration_ms: Math.round(counts.duration_ms) } };
  }
}

function toRecord(raw: RawTestCase, location: Location | null): TestCaseRecord {
  return {
    suite: raw.suite,
    name: raw.name,
    classname: raw.classname,
    status: raw.status,
    duration_ms: raw.durationMs,
    file: location?.file ?? null,
    line: location?.line ?? null,
    message: raw.message,
    details: raw.details,
    system_out: raw.status === "failed" || raw.status === "error" ? raw.systemOut : null,
  };
}
