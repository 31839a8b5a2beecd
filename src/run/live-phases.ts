import type { JobRecord, PhaseName } from "../schema/index.js";

/**
 * Mirror an executor's phase callbacks into the live job record, so `pikaci status` on a running
 * run shows where each job is. The executor's own `phases[]` replaces these when the attempt ends.
 */
export function livePhase(
  job: JobRecord,
  phase: PhaseName,
  state: "started" | "finished" | "failed",
  at: string,
  durationMs: number | null,
): JobRecord {
  if (state === "started") {
    return {
      ...job,
      phases: [
        ...job.phases,
        { phase, started_at: at, finished_at: null, duration_ms: null, status: "running" },
      ],
    };
  }
  const index = job.phases.findLastIndex((p) => p.phase === phase && p.finished_at === null);
  const status = state === "finished" ? "ok" : "failed";
  if (index === -1) {
    const startedAt = new Date(Date.parse(at) - (durationMs ?? 0)).toISOString();
    return {
      ...job,
      phases: [
        ...job.phases,
        { phase, started_at: startedAt, finished_at: at, duration_ms: durationMs, status },
      ],
    };
  }
  const phases = job.phases.map((p, i) =>
    i === index
      ? {
          ...p,
          finished_at: at,
          duration_ms: durationMs ?? Date.parse(at) - Date.parse(p.started_at),
          status,
        }
      : p,
  );
  return { ...job, phases: phases as JobRecord["phases"] };
}
