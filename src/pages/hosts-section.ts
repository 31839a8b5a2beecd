import { formatDuration } from "../report/duration.js";
import type { JobRecord, RunRecord } from "../schema/index.js";
import { between, NO_DURATION } from "./format.js";
import { type Html, html } from "./html.js";

/** The run's build hosts and what became of each (used, unused, skipped at the start, lost mid-run). */
export function hostsSection(run: RunRecord): Html {
  const hosts = run.hosts ?? [];
  if (hosts.length < 2 && !hosts.some((h) => h.status === "skipped" || h.status === "lost")) return html``;
  const rows = hosts.map((h) => {
    const lanes = run.jobs.filter((job) => (job.attempts ?? []).some((a) => a.host === h.url)).length;
    return html`<tr data-host="${h.url}"><td class="mono">${h.url}</td><td class="host-${h.status}">${h.status}</td><td class="num">${h.capacity}</td><td>${h.labels.join(", ") || "–"}</td><td class="num">${lanes}</td><td>${h.reason ?? ""}</td></tr>`;
  });
  return html`<section class="card"><h2>Build hosts</h2><table class="lanes"><thead><tr><th>Host</th><th>Status</th><th>Capacity</th><th>Labels</th><th>Lanes</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** Each attempt of a lane tried more than once, with its host: where it failed, and where it ran again. */
export function attemptsList(job: JobRecord): Html {
  const attempts = job.attempts ?? [];
  if (attempts.length < 2) return html``;
  const items = attempts.map(
    (a) =>
      html`<li data-attempt="${a.attempt}">attempt ${a.attempt}${a.host ? html` on <span class="mono">${a.host}</span>` : ""}: <b class="s-${a.status}">${a.status}</b>${a.failure_kind ? ` (${a.failure_kind.replaceAll("_", " ")})` : ""} · ${formatDuration(between(a.started_at, a.finished_at), NO_DURATION)}${a.message && a.status !== "passed" ? html` · <span class="message">${a.message}</span>` : ""}</li>`,
  );
  return html`<ol class="attempts">${items}</ol>`;
}
