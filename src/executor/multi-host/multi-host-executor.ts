import { describeError } from "../../errors/index.js";
import type { Placement } from "../../placement/place.js";
import type { HostRecord } from "../../schema/index.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "../executor.js";
import { HostPool } from "./host-pool.js";
import type { HostMember } from "./members.js";

export interface MultiHostExecutor extends Executor {
  /** Lanes the run may have in flight at once: the sum of the usable hosts' capacities. */
  readonly capacity: number;
  hosts(): HostRecord[];
  close(): Promise<void>;
}

/**
 * One Incus executor per build host behind one `Executor`: each `runJob` is placed on the matching
 * host with the most free capacity, and a retry after an infrastructure failure goes to another
 * matching host when there is one. The engine sees a single executor; records get each attempt's host.
 */
export function createMultiHostExecutor(params: {
  members: readonly HostMember[];
  reprobeMs?: number;
}): MultiHostExecutor {
  const pool = new HostPool(params.members, params.reprobeMs ?? 5_000);
  // The hosts each lane's attempts ran on, so a retry can go elsewhere.
  const tried = new Map<string, string[]>();
  const executors = () => params.members.flatMap((m) => (m.executor ? [m.executor] : []));
  return {
    kind: "incus",
    capacity: Math.max(1, pool.capacity()),
    runJob: (job, events, signal) => runPlaced({ pool, tried, job, events, signal }),
    hosts: () => pool.records(),
    async drain() {
      await Promise.allSettled(executors().map((e) => e.drain?.()));
    },
    async close() {
      await Promise.allSettled(executors().map((e) => e.drain?.()));
      await Promise.allSettled(params.members.map((m) => m.close()));
    },
  };
}

interface PlacedJob {
  pool: HostPool;
  tried: Map<string, string[]>;
  job: JobSpec;
  events: JobEvents;
  signal: AbortSignal;
}

async function runPlaced(p: PlacedJob): Promise<JobOutcome> {
  const startedAt = new Date().toISOString();
  const avoid = p.tried.get(p.job.lane_id) ?? [];
  const placement = await p.pool.acquire(
    { runsOn: p.job.execute.runs_on ?? [], avoid },
    {
      signal: p.signal,
      onWait: () =>
        p.events.log("host", "pikaci: every matching build host is full; waiting for a free slot\n"),
    },
  );
  if (placement === null) return unplaced(startedAt, "cancelled", "cancelled before a build host was free");
  if (placement.kind !== "place") return notPlaced(p, startedAt, placement);
  const host = placement.host;
  p.tried.set(p.job.lane_id, [...avoid, host]);
  p.events.log("host", `pikaci: placed on ${host}\n`);
  let outcome: JobOutcome;
  try {
    outcome = await p.pool.member(host).executor!.runJob(p.job, p.events, p.signal);
  } catch (error) {
    outcome = { ...unplaced(startedAt, "failed", describeError(error)), failure_kind: "infrastructure" };
  } finally {
    p.pool.release(host);
  }
  if (outcome.failure_kind === "infrastructure" && !p.signal.aborted) {
    const lost = await p.pool.checkAlive(host);
    if (lost !== null) p.events.log("host", `pikaci: ${host} is lost for the rest of this run: ${lost}\n`);
  }
  return { ...outcome, host };
}

function notPlaced(
  p: PlacedJob,
  startedAt: string,
  placement: Exclude<Placement, { kind: "place" | "wait" }>,
) {
  p.events.log("host", `pikaci: ${placement.message}\n`);
  // Another attempt would find the same hosts: the lane fails at once.
  return {
    ...unplaced(startedAt, "failed", placement.message),
    failure_kind: "infrastructure" as const,
    retryable: false,
  };
}

function unplaced(startedAt: string, status: "failed" | "cancelled", message: string): JobOutcome {
  return {
    status,
    failure_kind: null,
    exit_code: null,
    message,
    phases: [],
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    host: null,
  };
}
