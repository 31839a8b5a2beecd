import { formatDuration } from "../../report/duration.js";
import type { RunEvent } from "../../schema/index.js";

/** One timestamped line per interesting event, for logs and pipes: `[12.3s] lint: passed in 2.8s`. Pure. */
export function plainLine(event: RunEvent, runStartMs: number): string | null {
  const stamp = `[${((Date.parse(event.at) - runStartMs) / 1000).toFixed(1)}s]`;
  switch (event.type) {
    case "run_started":
      return `${stamp} run ${event.run_id}: ${event.lanes.length} lane(s)${event.lanes.length ? `: ${event.lanes.join(", ")}` : ""}`;
    case "job_started":
      return event.attempt > 1 ? `${stamp} ${event.lane_id}: retrying (attempt ${event.attempt})` : null;
    case "job_phase":
      if (event.state === "started") return `${stamp} ${event.lane_id}: ${event.phase}…`;
      if (event.state === "failed") return `${stamp} ${event.lane_id}: ${event.phase} failed`;
      return null;
    case "job_finished": {
      const took = event.duration_ms === null ? "" : ` in ${formatDuration(event.duration_ms)}`;
      const kind = event.failure_kind ? ` (${event.failure_kind})` : "";
      const why = event.status === "failed" && event.message ? `: ${event.message}` : "";
      return `${stamp} ${event.lane_id}: ${event.status}${kind}${took}${why}`;
    }
    case "run_finished":
      return `${stamp} run ${event.status}`;
    default:
      return null;
  }
}
