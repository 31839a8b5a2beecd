import { formatDuration } from "../report/duration.js";
import type { JobRecord, RunRecord } from "../schema/index.js";
import type { LogKind } from "../store/index.js";
import { ansiToHtml } from "./ansi.js";
import { between, formatBytes, formatTimestamp, NO_DURATION, plural } from "./format.js";
import { PHASE_LABELS, renderGantt } from "./gantt.js";
import { type GanttLayout, layoutGantt } from "./gantt-layout.js";
import { attemptsList, hostsSection } from "./hosts-section.js";
import { type Html, html } from "./html.js";
import { renderPage } from "./layout.js";
import type { LogTail } from "./log-tail.js";
import { githubLinks, statusIcon } from "./status.js";
import { renderTestsSection } from "./tests-section.js";

export interface JobLogTails {
  host: LogTail | null;
  guest: LogTail | null;
}

export interface RunPageInput {
  run: RunRecord;
  /** The run's capability signature, carried into the full-log links. */
  sig: string;
  logs: ReadonlyMap<string, JobLogTails>;
  /** Epoch ms: the end of phases still running. */
  now: number;
  /** The tests filter (`?q=`), applied on the server. */
  testQuery?: string;
}

const ORDER: JobRecord["status"][] = ["passed", "failed", "running", "queued", "cancelled", "skipped"];

function header(run: RunRecord): Html {
  const counts = ORDER.flatMap((status) => {
    const count = run.jobs.filter((job) => job.status === status).length;
    return count > 0 ? [html`<span class="s-${status}">${count} ${status}</span>`] : [];
  });
  const started = run.started_at ?? run.jobs.map((job) => job.started_at).find(Boolean) ?? null;
  const links = githubLinks(run);
  const head = run.git_head
    ? html`<span>head <a class="mono" href="${links.commit ?? "#"}" title="${run.git_head}">${run.git_head.slice(0, 12)}</a>${run.git_dirty ? " (dirty)" : ""}</span>`
    : "";
  return html`<section class="card summary s-${run.status}"><h1><span class="pill s-${run.status}">${statusIcon(run.status)} ${run.status}</span><span>Run <span class="mono">${run.run_id}</span></span></h1><p class="counts">${counts}<span>${plural(run.jobs.length, "lane")}</span></p><p class="facts">${head}<span>created <b>${formatTimestamp(run.created_at)}</b></span><span>queued <b>${formatDuration(between(run.created_at, started), NO_DURATION)}</b></span><span>ran <b>${formatDuration(between(started, run.finished_at), NO_DURATION)}</b></span>${links.workflow ? html`<span><a href="${links.workflow}" rel="noreferrer">workflow run</a></span>` : ""}</p>${run.message ? html`<p class="message">${run.message}</p>` : ""}</section>`;
}

function slowestSetup(job: JobRecord): Html {
  const setup = job.phases.filter(
    (phase) => phase.phase !== "wait_for_completion" && phase.duration_ms !== null,
  );
  const slowest = setup.sort((a, b) => b.duration_ms! - a.duration_ms!)[0];
  return slowest
    ? html`${PHASE_LABELS[slowest.phase]} ${formatDuration(slowest.duration_ms, NO_DURATION)}`
    : html`–`;
}

function result(job: JobRecord): string {
  if (job.status === "passed") return "exit 0";
  const parts = [
    job.failure_kind?.replace("_", " "),
    job.exit_code !== null ? `exit ${job.exit_code}` : null,
  ];
  return parts.filter(Boolean).join(", ") || "–";
}

function laneTable(run: RunRecord, layout: GanttLayout): Html {
  const rows = run.jobs.map((job) => {
    const duration = job.duration_ms ?? between(job.started_at, job.finished_at);
    const slow = layout.rows.find((row) => row.lane_id === job.lane_id)?.bars.some((bar) => bar.slow);
    return html`<tr data-lane="${job.lane_id}"><td class="st s-${job.status}">${statusIcon(job.status)} ${job.status}</td><td><a href="#job-${job.lane_id}">${job.lane_id}</a>${job.description && job.description !== job.lane_id ? html`<span class="desc">${job.description}</span>` : ""}</td><td class="num">${formatDuration(duration, NO_DURATION)}</td><td class="num${slow ? " slow-note" : ""}">${slowestSetup(job)}</td><td>${result(job)}</td></tr>`;
  });
  return html`<section class="card"><h2>Lanes</h2><table class="lanes"><thead><tr><th>Status</th><th>Lane</th><th>Duration</th><th>Slowest set-up phase</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function timeline(layout: GanttLayout): Html {
  const legend = Object.entries(PHASE_LABELS).map(
    ([phase, label]) =>
      html`<span><span class="sw p-${phase}"></span>${label} <span class="desc">(${phase})</span></span>`,
  );
  return html`<section class="card"><h2>Phase timeline</h2><div class="chart">${renderGantt(layout)}</div><div class="legend">${legend}<span><span class="sw slow"></span>slow set-up phase</span></div></section>`;
}

function failures(run: RunRecord): Html {
  const failed = run.jobs.filter((job) => job.status === "failed");
  if (failed.length === 0) return html``;
  const items = failed.map((job) => {
    const excerpt = job.failure_excerpt
      ? html`<pre class="log">${ansiToHtml(job.failure_excerpt)}</pre>`
      : "";
    return html`<div class="failure"><h3><a href="#job-${job.lane_id}">${job.lane_id}</a></h3>${job.message ? html`<p class="message">${job.message}</p>` : ""}${excerpt}</div>`;
  });
  return html`<section class="card"><h2>Failures</h2>${items}</section>`;
}

function logBlock(run: RunRecord, job: JobRecord, kind: LogKind, tail: LogTail | null, sig: string): Html {
  if (!tail)
    return html`<div><p class="loghead"><b>${kind} log</b></p><p class="empty">no ${kind} log</p></div>`;
  const shown = tail.truncated
    ? `last ${plural(tail.shown_lines, "line")} of ${formatBytes(tail.total_bytes)}`
    : `${plural(tail.shown_lines, "line")}, ${formatBytes(tail.total_bytes)}`;
  const href = `${run.run_id}/logs/${job.lane_id}/${kind}?sig=${sig}`;
  return html`<div class="logview" data-kind="${kind}"><p class="loghead"><b>${kind} log</b><span>${shown}</span><a class="show-all" href="${href}">show all</a></p><div class="logbox"><pre class="log">${ansiToHtml(tail.text)}</pre></div></div>`;
}

function logs(input: RunPageInput): Html {
  const items = input.run.jobs.map((job) => {
    const tails = input.logs.get(job.lane_id) ?? { host: null, guest: null };
    const open = job.status === "failed" || job.status === "running";
    return html`<details class="job" id="job-${job.lane_id}"${open ? html` open` : ""}><summary><span class="st s-${job.status}">${statusIcon(job.status)}</span><b>${job.lane_id}</b><span class="desc">${job.status} · ${formatDuration(job.duration_ms ?? between(job.started_at, job.finished_at), NO_DURATION)}${job.host ? ` · ${job.host}` : ""}</span></summary>${attemptsList(job)}<div class="job-body">${logBlock(input.run, job, "guest", tails.guest, input.sig)}${logBlock(input.run, job, "host", tails.host, input.sig)}</div></details>`;
  });
  return html`<section class="card"><h2>Logs</h2>${items}</section>`;
}

export function renderRunPage(input: RunPageInput): string {
  const { run } = input;
  const layout = layoutGantt(run.jobs, { now: input.now });
  const links = githubLinks(run);
  const crumbs = html`${
    run.repository
      ? html`<span class="sep">/</span><a href="${links.repo ?? "#"}" rel="noreferrer">${run.repository}</a>`
      : ""
  }${run.pull_request ? html`<span class="sep">/</span><a href="${links.pull ?? "#"}" rel="noreferrer">PR #${run.pull_request}</a>` : ""}`;
  return renderPage({
    title: `${run.status} · ${run.repository ?? "pikaci"} · run ${run.run_id}`,
    crumbs,
    // Failures first: the person who clicked "Details" on a red check wants the reason before anything else.
    body: html`${header(run)}${failures(run)}${renderTestsSection({ jobs: run.jobs, query: input.testQuery ?? "", sig: input.sig })}${timeline(layout)}${laneTable(run, layout)}${hostsSection(run)}${logs(input)}`,
    refreshSecs: run.status === "running" ? 15 : undefined,
  });
}
