import type { LaneTestResults, TestCaseRecord } from "../schema/index.js";
import { type Annotation, fitAnnotation } from "./annotations.js";
import { byteLength, truncateChars } from "./bytes.js";
import { formatDuration } from "./duration.js";
import { maskSecrets } from "./mask.js";

/** "3 of 412 tests failed in 2m14s" / "412 tests passed in 1m02s"; undefined when no test ran. */
export function testsTitle(tests: LaneTestResults | null | undefined, durationMs: number | null | undefined) {
  if (!tests || tests.counts.total === 0) return undefined;
  const { total } = tests.counts;
  const failed = failedCount(tests);
  const took = formatDuration(durationMs ?? null);
  if (failed === 0) return `${total} ${total === 1 ? "test" : "tests"} passed in ${took}`;
  return `${failed} of ${total} ${total === 1 ? "test" : "tests"} failed in ${took}`;
}

export function failedCount(tests: LaneTestResults): number {
  return tests.counts.failed + tests.counts.errors;
}

/** "known flaky (passed on re-run of 1a2b3c4)" when the App's history says so. */
export function flakyLabel(testCase: Pick<TestCaseRecord, "flaky_passed_on">): string | undefined {
  return testCase.flaky_passed_on
    ? `known flaky (passed on re-run of ${testCase.flaky_passed_on.slice(0, 7)})`
    : undefined;
}

const MESSAGE_LINES = 3;

function cell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\r", "").replace(/\n/g, "<br>");
}

function messageCell(testCase: TestCaseRecord, secrets: readonly string[]): string {
  const text = testCase.message ?? testCase.details ?? "";
  const lines = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, MESSAGE_LINES);
  const masked = maskSecrets(truncateChars(lines.join("\n"), 400), secrets);
  const label = flakyLabel(testCase);
  return cell(label ? `**${label}**\n${masked}` : masked);
}

/**
 * The failed-tests table for the check summary, within `budgetBytes`: rows are added while they fit,
 * and what does not fit is counted with a link to the run page, which lists every failure.
 */
export function renderFailedTests(params: {
  tests: LaneTestResults;
  budgetBytes: number;
  moreUrl?: string;
  secrets?: readonly string[];
}): string {
  const { tests, secrets = [] } = params;
  const failed = failedCount(tests);
  if (failed === 0) return "";
  const head = [
    `### Failed tests (${failed})`,
    "",
    "| Suite | Test | Message | Duration |",
    "| --- | --- | --- | --- |",
  ];
  const reserve = 400;
  let used = byteLength(head.join("\n")) + reserve;
  const rows: string[] = [];
  for (const c of tests.failed) {
    const row = `| ${cell(truncateChars(c.suite, 200))} | ${cell(truncateChars(c.name, 300))} | ${messageCell(c, secrets)} | ${formatDuration(c.duration_ms === null ? null : Math.round(c.duration_ms))} |`;
    const size = byteLength(row) + 1;
    if (used + size > params.budgetBytes) break;
    rows.push(row);
    used += size;
  }
  const lines = [...head, ...rows];
  const missing = failed - rows.length;
  if (missing > 0) {
    const where = params.moreUrl
      ? `see [the run page](${params.moreUrl})`
      : "see run.json in the workflow artifact";
    lines.push("", `…and ${missing} more failed ${missing === 1 ? "test" : "tests"}: ${where}.`);
  }
  for (const warning of tests.warnings.slice(0, 5))
    lines.push("", `> ⚠️ ${cell(truncateChars(warning, 300))}`);
  return lines.join("\n");
}

/** A `failure` annotation per failed test that has a repository location. */
export function testAnnotations(
  tests: LaneTestResults,
  secrets: readonly string[] = [],
  max = 200,
): Annotation[] {
  const out: Annotation[] = [];
  for (const c of tests.failed) {
    if (out.length >= max) break;
    if (!c.file || !c.line) continue;
    const label = flakyLabel(c);
    out.push(
      fitAnnotation({
        path: c.file,
        start_line: c.line,
        end_line: c.line,
        annotation_level: "failure",
        title: truncateChars(`${label ? `${label}: ` : ""}${c.suite} › ${c.name}`, 255),
        message: maskSecrets(c.message ?? c.status, secrets),
        ...(c.details ? { raw_details: maskSecrets(c.details, secrets) } : {}),
      }),
    );
  }
  return out;
}
