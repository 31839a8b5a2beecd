import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Shared by the benches: medians, a printed table with ratios, and JSON results in bench/results/. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export interface Row {
  name: string;
  /** Median milliseconds (or another unit, see `unit`). */
  value: number;
  unit?: string;
  baseline?: string;
  /** value / baseline value, or a throughput ratio; explained by `ratioMeaning`. */
  ratio?: number;
  ratioMeaning?: string;
  target?: string;
  /** Whether the target holds; every row with a target must say, so a missed one fails the run. */
  met?: boolean;
}

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => [
    r.name,
    `${r.value.toFixed(r.unit === "ms" || r.unit === undefined ? 0 : 1)} ${r.unit ?? "ms"}`,
    r.baseline ?? "",
    r.ratio === undefined ? "" : `${r.ratio.toFixed(3)}x ${r.ratioMeaning ?? ""}`,
    r.target ?? "",
    r.target === undefined ? "" : r.met ? "PASS" : "FAIL",
  ]);
  const header = ["measure", "median", "baseline", "ratio", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines]) console.log(line.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}

/**
 * Sets a non-zero exit code when any row's target is missed (or has no verdict), and names the
 * missed ones, so a benchmark run can fail like a test does.
 */
export function failOnMissedTargets(rows: readonly Row[]): boolean {
  const missed = rows.filter((r) => r.target !== undefined && r.met !== true);
  for (const r of missed) console.log(`MISSED: ${r.name} (target ${r.target})`);
  if (missed.length > 0) process.exitCode = 1;
  else console.log("every target met");
  return missed.length === 0;
}

export function writeResults(name: string, data: unknown): string {
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same tree. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
