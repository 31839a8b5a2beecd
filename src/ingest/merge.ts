/**
 * One run, several artifacts: a dispatch fanned out over a matrix of workflow jobs shares one run id,
 * and each job uploads the records of its own lanes. Ingesting them one after another must add up to
 * the whole run, not leave the last job's lanes only. Pure: records in, merged record out.
 */
import type { PlanRecord, RunRecord, RunStatus } from "../schema/index.js";

/** Items of `a` in order, each replaced by `b`'s of the same key, then `b`'s new ones. */
function unionBy<T>(a: readonly T[], b: readonly T[], key: (item: T) => string): T[] {
  const incoming = new Map(b.map((item) => [key(item), item]));
  const merged = a.map((item) => incoming.get(key(item)) ?? item);
  const seen = new Set(a.map(key));
  return [...merged, ...b.filter((item) => !seen.has(key(item)))];
}

// The whole run is as bad as its worst part; a part still running keeps it running.
const RANK: Record<RunStatus, number> = { skipped: 0, passed: 1, cancelled: 2, failed: 3, running: 4 };

const earliest = (a: string, b: string) => (a <= b ? a : b);
const latest = (a: string | null, b: string | null) => (a === null || b === null ? null : a >= b ? a : b);

/** `incoming` folded into the stored record of the same run; anything else is taken as it comes. */
export function mergeRunRecords(existing: RunRecord | null, incoming: RunRecord): RunRecord {
  if (existing === null || existing.run_id !== incoming.run_id) return incoming;
  const jobs = unionBy(existing.jobs, incoming.jobs, (job) => job.lane_id);
  const started = [existing.started_at, incoming.started_at].filter(
    (t): t is string => typeof t === "string",
  );
  return {
    ...existing,
    status: RANK[incoming.status] > RANK[existing.status] ? incoming.status : existing.status,
    created_at: earliest(existing.created_at, incoming.created_at),
    ...(started.length > 0 ? { started_at: started.reduce(earliest) } : {}),
    finished_at: latest(existing.finished_at, incoming.finished_at),
    filters: unionBy(existing.filters, incoming.filters, (filter) => filter.lane_id),
    message: existing.message ?? incoming.message,
    prepare_timings: unionBy(existing.prepare_timings, incoming.prepare_timings, (t) => JSON.stringify(t)),
    jobs,
  };
}

export function mergePlanRecords(existing: PlanRecord | null, incoming: PlanRecord): PlanRecord {
  if (existing === null || existing.run_id !== incoming.run_id) return incoming;
  return {
    ...existing,
    selection: unionBy(existing.selection, incoming.selection, (filter) => filter.lane_id),
    nodes: unionBy(existing.nodes, incoming.nodes, (node) => node.id),
  };
}
