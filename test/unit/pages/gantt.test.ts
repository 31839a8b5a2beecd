import { describe, expect, it } from "vitest";
import { renderGantt } from "../../../src/pages/gantt.js";
import { layoutGantt } from "../../../src/pages/gantt-layout.js";
import { job, phases, sampleRun } from "./fixtures.js";

const T0 = Date.parse("2026-03-24T16:00:00Z");

describe("layoutGantt", () => {
  it("draws one bar per phase, with widths proportional to durations", () => {
    const lane = job("lane-a", {
      phases: phases(T0, [
        ["prepare_directories", 2_000],
        ["sync_snapshot", 8_000],
        ["wait_for_completion", 30_000],
      ]),
    });
    const layout = layoutGantt([lane], { now: T0, width: 1000, labelWidth: 200 });
    const bars = layout.rows[0]!.bars;
    expect(bars.map((bar) => bar.phase)).toEqual([
      "prepare_directories",
      "sync_snapshot",
      "wait_for_completion",
    ]);
    expect(bars[1]!.width / bars[0]!.width).toBeCloseTo(4, 6);
    expect(bars[2]!.width / bars[0]!.width).toBeCloseTo(15, 6);
    // Back-to-back phases: each bar starts where the previous one ended.
    expect(bars[1]!.x).toBeCloseTo(bars[0]!.x + bars[0]!.width, 6);
    expect(bars[0]!.x).toBe(200);
    // The whole span fills the plot area (width - label column - right margin).
    expect(bars[2]!.x + bars[2]!.width).toBeCloseTo(1000 - 12, 6);
  });

  it("puts lanes on one shared time axis", () => {
    const a = job("a", { phases: phases(T0, [["wait_for_completion", 10_000]]) });
    const b = job("b", { phases: phases(T0 + 10_000, [["wait_for_completion", 10_000]]) });
    const layout = layoutGantt([a, b], { now: T0, width: 412, labelWidth: 0 });
    expect(layout.rows[0]!.bars[0]!.x).toBe(0);
    expect(layout.rows[1]!.bars[0]!.x).toBeCloseTo(200, 6);
    expect(layout.rows[1]!.y).toBeGreaterThan(layout.rows[0]!.y);
  });

  it("marks a set-up phase that dominates its lane as slow, never the lane's own command", () => {
    const lane = job("slow", {
      phases: phases(T0, [
        ["prepare_runtime", 95_000],
        ["wait_for_completion", 200_000],
        ["cleanup", 1_000],
      ]),
    });
    const [runtime, wait, cleanup] = layoutGantt([lane], { now: T0 }).rows[0]!.bars;
    expect(runtime!.slow).toBe(true);
    expect(wait!.slow).toBe(false);
    expect(cleanup!.slow).toBe(false);
  });

  it("extends a running phase to now", () => {
    const lane = job("live", {
      status: "running",
      phases: [
        {
          phase: "wait_for_completion",
          started_at: new Date(T0).toISOString(),
          finished_at: null,
          duration_ms: null,
          status: "running",
        },
      ],
    });
    const bar = layoutGantt([lane], { now: T0 + 42_000 }).rows[0]!.bars[0]!;
    expect(bar.running).toBe(true);
    expect(bar.duration_ms).toBe(42_000);
  });
});

describe("renderGantt", () => {
  it("emits one <rect> with a tooltip and an accessible label per phase", () => {
    const run = sampleRun();
    const svg = renderGantt(layoutGantt(run.jobs, { now: Date.now() })).toString();
    const phaseCount = run.jobs.reduce((sum, j) => sum + j.phases.length, 0);
    expect(svg.match(/<rect class="bar /g)).toHaveLength(phaseCount);
    expect(svg.match(/<title>check-[^<]+<\/title><\/rect>/g)).toHaveLength(phaseCount);
    expect(svg).toContain('aria-label="prepare_runtime: 1m35s, ok, slow"');
    expect(svg).toMatch(/class="bar p-prepare_runtime s-ok slow"/);
  });
});
