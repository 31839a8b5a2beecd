import type { OwnLane } from "../handlers/own-lanes.js";

/** What the reconciler knows of a lane's workflow run. */
export type WorkflowState = "running" | "finished" | "missing" | "never-dispatched";

export interface StaleLane {
  lane: OwnLane;
  /** How long it has been queued or in progress, in seconds. */
  ageSecs: number;
}

/**
 * Lanes queued or in progress longer than their timeout plus the grace period. Pure: `timeoutOf`
 * gives a lane's timeout (the config's, or the default when the config is unknown).
 */
export function staleLanes(
  lanes: OwnLane[],
  p: { nowMs: number; graceSecs: number; timeoutOf: (lane: string) => number },
): StaleLane[] {
  return lanes.flatMap((lane) => {
    if (lane.run.status !== "queued" && lane.run.status !== "in_progress") return [];
    const started = lane.run.started_at === null ? Number.NaN : Date.parse(lane.run.started_at);
    if (Number.isNaN(started)) return [];
    const ageSecs = Math.floor((p.nowMs - started) / 1000);
    return ageSecs > p.timeoutOf(lane.ref.lane) + p.graceSecs ? [{ lane, ageSecs }] : [];
  });
}

/** A stale lane is abandoned unless its workflow run is still running (then the runner ends it). */
export function isAbandoned(state: WorkflowState): boolean {
  return state !== "running";
}

/** One entry of `GET /app/hook/deliveries`. */
export interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status_code: number;
  event: string;
  action?: string | null;
}

export interface RedeliveryLimits {
  nowMs: number;
  /** Older failures are left alone (GitHub redelivers only within 3 days). */
  maxAgeSecs: number;
  /** At most this many per pass. */
  maxCount: number;
}

/**
 * The deliveries to ask GitHub to send again: the newest attempt of each GUID failed for a reason
 * a retry can fix (no answer — the App was down or timed out — or a 5xx), within the age limit,
 * newest first, at most `maxCount`. A GUID with any successful attempt is never redelivered.
 */
export function failedDeliveries(deliveries: HookDelivery[], limits: RedeliveryLimits): HookDelivery[] {
  const byGuid = new Map<string, HookDelivery[]>();
  for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  const failed: HookDelivery[] = [];
  for (const attempts of byGuid.values()) {
    if (attempts.some((d) => d.status_code >= 200 && d.status_code < 300)) continue;
    const newest = attempts.reduce((a, b) =>
      Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a,
    );
    const age = (limits.nowMs - Date.parse(newest.delivered_at)) / 1000;
    const retryable = newest.status_code === 0 || newest.status_code >= 500;
    if (retryable && age <= limits.maxAgeSecs) failed.push(newest);
  }
  return failed
    .sort((a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at))
    .slice(0, limits.maxCount);
}
