import { formatDuration } from "../report/duration.js";
import type { PhaseName } from "../schema/index.js";
import { NO_DURATION } from "./format.js";
import type { GanttBar, GanttLayout } from "./gantt-layout.js";
import { type Html, html } from "./html.js";

/** Short labels that fit inside a bar; the full phase name is in the tooltip and the accessible label. */
export const PHASE_LABELS: Record<PhaseName, string> = {
  prepare_directories: "dirs",
  sync_snapshot: "sync",
  prepare_runtime: "runtime",
  launch_guest: "launch",
  wait_for_completion: "run",
  collect_artifacts: "collect",
  cleanup: "cleanup",
};

const n = (value: number) => Math.round(value * 10) / 10;

/** Axis ticks fall on round steps: `1h` reads better than `1h00m`; the rest is the one duration format. */
function formatTick(ms: number): string {
  if (ms === 0) return "0";
  const secs = Math.round(ms / 1000);
  if (secs % 3600 === 0) return `${secs / 3600}h`;
  return formatDuration(ms, NO_DURATION);
}

function barLabel(bar: GanttBar): string {
  const state = bar.running ? "running" : bar.status;
  return `${bar.phase}: ${formatDuration(bar.duration_ms, NO_DURATION)}, ${state}${bar.slow ? ", slow" : ""}`;
}

function renderBar(bar: GanttBar, jobId: string): Html {
  const classes = [
    "bar",
    `p-${bar.phase}`,
    `s-${bar.status}`,
    bar.running ? "running" : "",
    bar.slow ? "slow" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const label = barLabel(bar);
  // The longest label that fits inside the bar (≈6.3 px per character at the chart's font size).
  const duration = formatDuration(bar.duration_ms, NO_DURATION);
  const text = [`${PHASE_LABELS[bar.phase]} ${duration}`, duration].find(
    (t) => bar.width >= t.length * 6.3 + 8,
  );
  return html`<rect class="${classes}" x="${n(bar.x)}" y="${n(bar.y)}" width="${n(Math.max(bar.width, 1))}" height="${bar.height}" rx="3" role="listitem" aria-label="${label}" data-phase="${bar.phase}"><title>${jobId} · ${label}</title></rect>${
    text
      ? html`<text class="bar-label${bar.slow ? " slow" : ""}" x="${n(bar.x + 5)}" y="${n(bar.y + bar.height / 2 + 4)}" aria-hidden="true">${text}</text>`
      : ""
  }`;
}

/** The inline SVG gantt: one row per lane, one `<rect>` per phase, a time axis on top. */
export function renderGantt(layout: GanttLayout): Html {
  const axis = layout.ticks.map(
    (tick) =>
      html`<line class="tick" x1="${n(tick.x)}" x2="${n(tick.x)}" y1="${layout.axisHeight - 4}" y2="${layout.height}"></line><text class="tick-label" x="${n(tick.x + 3)}" y="${layout.axisHeight - 9}">${formatTick(tick.ms)}</text>`,
  );
  const rows = layout.rows.map((row, index) => {
    const rowHeight = layout.rows.length > 1 ? layout.rows[1]!.y - layout.rows[0]!.y : 30;
    const stripe =
      index % 2 === 1
        ? html`<rect class="stripe" x="0" y="${row.y}" width="${layout.width}" height="${rowHeight}"></rect>`
        : "";
    const empty =
      row.bars.length === 0
        ? html`<text class="no-phases" x="${layout.labelWidth + 6}" y="${row.y + rowHeight / 2 + 4}">${row.status === "queued" ? "queued" : `no phases (${row.status})`}</text>`
        : "";
    return html`<g class="lane" data-lane="${row.lane_id}">${stripe}<a href="#job-${row.lane_id}"><text class="lane-label s-${row.status}" x="8" y="${row.y + rowHeight / 2 + 4}">${row.lane_id}</text></a><g role="list" aria-label="${row.lane_id} phases">${row.bars.map((bar) => renderBar(bar, row.lane_id))}</g>${empty}</g>`;
  });
  return html`<svg class="gantt" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" xmlns="http://www.w3.org/2000/svg" role="group" aria-labelledby="gantt-title"><title id="gantt-title">Phase timeline: one row per lane, one bar per phase, on a shared time axis</title>${axis}${rows}</svg>`;
}
