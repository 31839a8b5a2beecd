import { formatDuration } from "../report/duration.js";
import { flakyLabel } from "../report/test-results.js";
import type { JobRecord, TestCaseRecord } from "../schema/index.js";
import { NO_DURATION } from "./format.js";
import { type Html, html } from "./html.js";

/** Rows shown per lane; the filter narrows them further. */
const MAX_ROWS = 200;

function matches(testCase: TestCaseRecord, query: string): boolean {
  if (query === "") return true;
  const hay = `${testCase.suite}\n${testCase.name}\n${testCase.message ?? ""}\n${testCase.file ?? ""}`;
  return hay.toLowerCase().includes(query);
}

function row(testCase: TestCaseRecord): Html {
  const label = flakyLabel(testCase);
  const where = testCase.file ? `${testCase.file}${testCase.line ? `:${testCase.line}` : ""}` : "";
  const message = (testCase.message ?? "").split("\n").slice(0, 3).join("\n");
  return html`<tr class="t-${testCase.status}"><td>${testCase.status}</td><td>${testCase.suite}</td><td><b>${testCase.name}</b>${label ? html` <span class="pill flaky">${label}</span>` : ""}${where ? html`<br><span class="mono">${where}</span>` : ""}</td><td><pre class="msg">${message}</pre></td><td>${formatDuration(testCase.duration_ms === null ? null : Math.round(testCase.duration_ms), NO_DURATION)}</td></tr>`;
}

function laneTests(job: JobRecord, query: string): Html {
  const tests = job.tests!;
  const c = tests.counts;
  // Failed first (as reported), then the slowest passing ones.
  const cases = [...tests.failed, ...tests.slowest].filter((tc) => matches(tc, query));
  const shown = cases.slice(0, MAX_ROWS);
  const more =
    tests.failed_truncated > 0
      ? html`<p class="empty">${tests.failed_truncated} more failed tests are counted but not listed (see the lane's JUnit artifacts).</p>`
      : "";
  const warnings = tests.warnings.map((w) => html`<p class="message">${w}</p>`);
  const table =
    shown.length === 0
      ? html`<p class="empty">${query ? "No listed test matches the filter." : "No failed or slow tests to list."}</p>`
      : html`<table class="tests"><thead><tr><th>Status</th><th>Suite</th><th>Test</th><th>Message</th><th>Duration</th></tr></thead><tbody>${shown.map(row)}</tbody></table>`;
  return html`<div class="lane-tests" id="tests-${job.lane_id}"><h3>${job.lane_id}: ${c.failed + c.errors} failed, ${c.passed} passed, ${c.skipped} skipped of ${c.total} (${formatDuration(c.duration_ms, NO_DURATION)})</h3>${warnings}${table}${more}</div>`;
}

/**
 * Per-lane test results, failed first and then the slowest, with a plain GET form to filter them:
 * the server does the filtering, so the page needs no JavaScript. `sig` rides along in the form.
 */
export function renderTestsSection(params: { jobs: readonly JobRecord[]; query: string; sig: string }): Html {
  const withTests = params.jobs.filter((job) => job.tests && job.tests.counts.total > 0);
  if (withTests.length === 0) return html``;
  const query = params.query.trim().toLowerCase().slice(0, 200);
  const form = html`<form method="get" class="test-filter"><input type="hidden" name="sig" value="${params.sig}"><input type="search" name="q" value="${params.query.slice(0, 200)}" placeholder="filter tests by suite, name, message or file"><button type="submit">Filter</button></form>`;
  return html`<section class="card" id="tests"><h2>Tests</h2>${form}${withTests.map((job) => laneTests(job, query))}</section>`;
}
