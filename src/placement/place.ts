/**
 * Where a lane runs, decided on data alone: the engine's composed executor feeds it each host's
 * load and acts on the answer, so the rules are tested without a host.
 */
export interface HostLoad {
  id: string;
  labels: readonly string[];
  capacity: number;
  /** Attempts of this run running there now. */
  placed: number;
  /** Running pikaci jobs the start-up probe found there (other runs'). */
  live: number;
  /** False once the host failed its start-up probe or lost its connection. */
  alive: boolean;
  /** Why it is not alive (the probe's or the lost connection's error). */
  down?: string | null;
}

export interface LaneNeeds {
  /** Labels the host must all have (`runs_on`). */
  runsOn: readonly string[];
  /** Hosts this lane's earlier attempts failed on: another matching host is preferred. */
  avoid: readonly string[];
}

export type Placement =
  | { kind: "place"; host: string }
  /** Every candidate is full: wait for a slot (never exceed a capacity). */
  | { kind: "wait" }
  /** No configured host has the lane's labels: a configuration problem, not retried. */
  | { kind: "no_match"; message: string }
  /** Hosts match, but none is alive. */
  | { kind: "no_host"; message: string };

export const freeCapacity = (host: HostLoad): number => host.capacity - host.placed - host.live;

const matches = (host: HostLoad, runsOn: readonly string[]): boolean =>
  runsOn.every((label) => host.labels.includes(label));

/** The matching host with the most free capacity (first listed on a tie), or why there is none. */
export function placeLane(hosts: readonly HostLoad[], lane: LaneNeeds): Placement {
  const matching = hosts.filter((host) => matches(host, lane.runsOn));
  if (matching.length === 0) return { kind: "no_match", message: noMatchMessage(hosts, lane.runsOn) };
  const alive = matching.filter((host) => host.alive);
  if (alive.length === 0) {
    const reasons = matching.map((h) => `${h.id}: ${h.down ?? "down"}`).join("; ");
    return { kind: "no_host", message: `no build host is left for this lane: ${reasons}` };
  }
  const fresh = alive.filter((host) => !lane.avoid.includes(host.id));
  const candidates = fresh.length > 0 ? fresh : alive;
  let best: HostLoad | null = null;
  for (const host of candidates) {
    if (freeCapacity(host) > 0 && (best === null || freeCapacity(host) > freeCapacity(best))) best = host;
  }
  return best === null ? { kind: "wait" } : { kind: "place", host: best.id };
}

function noMatchMessage(hosts: readonly HostLoad[], runsOn: readonly string[]): string {
  const offered = hosts.map((host) => `${host.id} [${host.labels.join(", ")}]`).join("; ");
  return `no build host has every label of runs_on [${runsOn.join(", ")}]; hosts: ${offered || "none"}`;
}
