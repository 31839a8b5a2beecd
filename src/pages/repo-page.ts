import { formatDuration } from "../report/duration.js";
import type { RunRecord } from "../schema/index.js";
import { between, formatTimestamp, NO_DURATION } from "./format.js";
import { type Html, html } from "./html.js";
import { renderPage } from "./layout.js";
import { statusIcon } from "./status.js";

export interface RepoPageInput {
  owner: string;
  repo: string;
  /** Newest first. */
  runs: readonly RunRecord[];
  /** The run-scoped signature for each run's link (a repo link opens every run in it). */
  runSig: (runId: string) => string;
  /** How many runs to show per branch or PR. */
  perGroup?: number;
}

/** Runs group by PR when they have one, else by branch, else under "other runs"; groups keep newest-first order. */
export function groupRuns(runs: readonly RunRecord[]): { key: string; label: string; runs: RunRecord[] }[] {
  const groups = new Map<string, { key: string; label: string; runs: RunRecord[] }>();
  for (const run of runs) {
    const [key, label] = run.pull_request
      ? [`pr:${run.pull_request}`, `PR #${run.pull_request}${run.head_branch ? ` · ${run.head_branch}` : ""}`]
      : run.head_branch
        ? [`branch:${run.head_branch}`, `branch ${run.head_branch}`]
        : ["other", "other runs"];
    const group = groups.get(key) ?? { key, label, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function runRow(run: RunRecord, sig: string): Html {
  const passed = run.jobs.filter((job) => job.status === "passed").length;
  const failed = run.jobs.filter((job) => job.status === "failed").length;
  const started = run.started_at ?? null;
  return html`<tr><td class="st s-${run.status}">${statusIcon(run.status)} ${run.status}</td><td><a href="../../runs/${run.run_id}?sig=${sig}">${run.run_id}</a></td><td class="mono">${run.git_head?.slice(0, 12) ?? "–"}</td><td class="num">${passed} passed${failed > 0 ? html`, <span class="st s-failed">${failed} failed</span>` : ""} / ${run.jobs.length}</td><td class="num">${formatDuration(between(started ?? run.created_at, run.finished_at), NO_DURATION)}</td><td class="num">${formatTimestamp(run.created_at)}</td></tr>`;
}

export function renderRepoPage(input: RepoPageInput): string {
  const fullName = `${input.owner}/${input.repo}`;
  const groups = groupRuns(input.runs).map(
    (group) =>
      html`<section class="card group"><h2>${group.label}</h2><table class="runs"><thead><tr><th>Status</th><th>Run</th><th>Head</th><th>Lanes</th><th>Took</th><th>Created</th></tr></thead><tbody>${group.runs
        .slice(0, input.perGroup ?? 10)
        .map((run) => runRow(run, input.runSig(run.run_id)))}</tbody></table></section>`,
  );
  return renderPage({
    title: `${fullName} · pikaci runs`,
    crumbs: html`<span class="sep">/</span><a href="https://github.com/${fullName}" rel="noreferrer">${fullName}</a>`,
    body:
      groups.length > 0
        ? html`${groups}`
        : html`<section class="card"><div class="body empty">No pikaci runs recorded for ${fullName} yet.</div></section>`,
  });
}
