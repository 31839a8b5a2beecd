import type { PhaseRecord } from "../schema/index.js";
import { formatDuration } from "./duration.js";

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
const BAR_CELLS = 20;

/** A bar of `value / max` of `cells` character cells, in eighths of a cell; never empty for value > 0. */
export function bar(value: number, max: number, cells = BAR_CELLS): string {
  if (max <= 0 || value <= 0) return "";
  const eighths = Math.max(1, Math.round((value / max) * cells * 8));
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

const STATUS_MARK: Record<PhaseRecord["status"], string> = {
  ok: "✓",
  failed: "✗",
  running: "…",
  skipped: "–",
};

/** The phase that took longest, so a reader sees where the time went. */
export function slowestPhase(phases: readonly PhaseRecord[]): PhaseRecord | undefined {
  let slowest: PhaseRecord | undefined;
  for (const p of phases) {
    if ((p.duration_ms ?? -1) > (slowest?.duration_ms ?? -1)) slowest = p;
  }
  return slowest;
}

/** A markdown table: phase, status, duration, and a bar scaled to the slowest phase. */
export function renderPhaseTable(phases: readonly PhaseRecord[]): string {
  if (phases.length === 0) return "_No phases recorded._";
  const max = Math.max(0, ...phases.map((p) => p.duration_ms ?? 0));
  const rows = phases.map((p) => {
    const name = p.phase.replaceAll("_", " ");
    const ms = p.duration_ms ?? 0;
    return `| ${STATUS_MARK[p.status]} ${name} | ${formatDuration(p.duration_ms)} | \`${bar(ms, max) || " "}\` |`;
  });
  return ["| Phase | Duration | |", "| --- | ---: | --- |", ...rows].join("\n");
}
