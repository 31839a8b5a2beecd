import type { InstanceSummary } from "../../incus/list.js";
import { INSTANCE_PREFIX, LABEL } from "./names.js";

export interface ReapDecision {
  name: string;
  runId: string | null;
  remove: boolean;
  reason: string;
}

/**
 * Pure: which pikaci instances to delete. An instance goes when its run is no longer alive (its
 * heartbeat on the host is missing or stale) or it is older than the limit, whatever its run says.
 * Times are the build host's, so a skewed client clock cannot make a live run look dead.
 */
export function planReap(params: {
  instances: readonly InstanceSummary[];
  /** run id → heartbeat mtime in host epoch seconds, or null when there is none. */
  heartbeats: ReadonlyMap<string, number | null>;
  hostNowSecs: number;
  olderThanSecs: number;
  staleAfterSecs: number;
}): ReapDecision[] {
  const { hostNowSecs } = params;
  return params.instances
    .filter((instance) => instance.name.startsWith(INSTANCE_PREFIX))
    .map((instance) => {
      const runId = instance.config[LABEL.runId] ?? null;
      const created = Date.parse(instance.config[LABEL.createdAt] ?? instance.created_at ?? "");
      const ageSecs = Number.isNaN(created) ? null : hostNowSecs - Math.floor(created / 1000);
      const decide = (remove: boolean, reason: string): ReapDecision => ({
        name: instance.name,
        runId,
        remove,
        reason,
      });
      if (ageSecs !== null && ageSecs > params.olderThanSecs) {
        return decide(true, `older than ${formatSecs(params.olderThanSecs)} (${formatSecs(ageSecs)})`);
      }
      if (runId === null) {
        return decide(
          false,
          ageSecs === null ? "no pikaci labels and no creation time; left alone" : "no pikaci labels; young",
        );
      }
      const beat = params.heartbeats.get(runId) ?? null;
      if (beat === null)
        return decide(true, `run ${runId} has no heartbeat on the host (its process is gone)`);
      const silence = hostNowSecs - beat;
      if (silence > params.staleAfterSecs) {
        return decide(true, `run ${runId} is no longer alive (last heartbeat ${formatSecs(silence)} ago)`);
      }
      return decide(false, `run ${runId} is alive (heartbeat ${formatSecs(Math.max(0, silence))} ago)`);
    });
}

export function formatSecs(secs: number): string {
  if (secs < 120) return `${secs}s`;
  if (secs < 7200) return `${Math.round(secs / 60)}m`;
  return `${Math.round(secs / 360) / 10}h`;
}
