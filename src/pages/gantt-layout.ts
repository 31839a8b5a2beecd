import type { JobRecord, PhaseName, PhaseRecord } from "../schema/index.js";

/**
 * The phase timeline's geometry, pure: lanes share one time axis from the earliest phase start to the
 * latest phase end, so parallel lanes line up and a bar's width is proportional to its phase's duration.
 */

export interface GanttOptions {
  /** Epoch ms used as the end of phases still running. */
  now: number;
  width?: number;
  labelWidth?: number;
  rowHeight?: number;
  barHeight?: number;
  axisHeight?: number;
}

export interface GanttBar {
  phase: PhaseName;
  status: PhaseRecord["status"];
  x: number;
  y: number;
  width: number;
  height: number;
  start_ms: number;
  duration_ms: number;
  running: boolean;
  /** An infrastructure phase that took a large share of its lane: drawn so it stands out. */
  slow: boolean;
}

export interface GanttRow {
  lane_id: string;
  status: JobRecord["status"];
  y: number;
  bars: GanttBar[];
}

export interface GanttLayout {
  width: number;
  height: number;
  labelWidth: number;
  axisHeight: number;
  origin_ms: number;
  span_ms: number;
  rows: GanttRow[];
  ticks: { x: number; ms: number }[];
}

/** A phase is "slow" when it is set-up work (not the lane's own command) taking ≥ 25% of the lane and ≥ 10 s. */
export const SLOW_SHARE = 0.25;
export const SLOW_MIN_MS = 10_000;

const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);

type GanttJob = Pick<JobRecord, "lane_id" | "status" | "phases">;

function phaseSpan(
  phase: PhaseRecord,
  now: number,
): { start: number; duration: number; running: boolean } | null {
  const start = Date.parse(phase.started_at);
  if (!Number.isFinite(start)) return null;
  if (phase.duration_ms !== null) return { start, duration: phase.duration_ms, running: false };
  const end = phase.finished_at ? Date.parse(phase.finished_at) : now;
  return { start, duration: Math.max(0, end - start), running: phase.finished_at === null };
}

export function layoutGantt(jobs: readonly GanttJob[], options: GanttOptions): GanttLayout {
  const { now, width = 960, labelWidth = 200, rowHeight = 30, barHeight = 20, axisHeight = 24 } = options;
  const spans = jobs.map((job) => job.phases.map((phase) => ({ phase, span: phaseSpan(phase, now) })));
  const all = spans.flat().flatMap(({ span }) => (span ? [span] : []));
  const origin = all.length > 0 ? Math.min(...all.map((s) => s.start)) : 0;
  const end = all.length > 0 ? Math.max(...all.map((s) => s.start + s.duration)) : 0;
  const span_ms = Math.max(1000, end - origin);
  const plotWidth = width - labelWidth - 12;
  const scale = plotWidth / span_ms;

  const rows = jobs.map((job, index): GanttRow => {
    const y = axisHeight + index * rowHeight;
    const timed = spans[index]!.flatMap(({ phase, span }) => (span ? [{ phase, span }] : []));
    const laneTotal = timed.reduce((sum, { span }) => sum + span.duration, 0);
    const bars = timed.map(({ phase, span }): GanttBar => {
      const slow =
        phase.phase !== "wait_for_completion" &&
        span.duration >= SLOW_MIN_MS &&
        span.duration >= SLOW_SHARE * laneTotal;
      return {
        phase: phase.phase,
        status: phase.status,
        x: labelWidth + (span.start - origin) * scale,
        y: y + (rowHeight - barHeight) / 2,
        width: span.duration * scale,
        height: barHeight,
        start_ms: span.start - origin,
        duration_ms: span.duration,
        running: span.running,
        slow,
      };
    });
    return { lane_id: job.lane_id, status: job.status, y, bars };
  });

  const step = TICK_STEPS_MS.find((candidate) => span_ms / candidate <= 8) ?? TICK_STEPS_MS.at(-1)!;
  const ticks: GanttLayout["ticks"] = [];
  for (let ms = 0; ms <= span_ms; ms += step) ticks.push({ x: labelWidth + ms * scale, ms });

  return {
    width,
    height: axisHeight + jobs.length * rowHeight + 6,
    labelWidth,
    axisHeight,
    origin_ms: origin,
    span_ms,
    rows,
    ticks,
  };
}
