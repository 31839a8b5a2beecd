import { decodeExternalId, type ExternalRef } from "../external-id.js";
import type { CheckRunInfo } from "../github-port.js";

/** One of this App's check runs, with the run, lane and pull request its external id names. */
export interface OwnLane {
  run: CheckRunInfo;
  ref: ExternalRef;
}

/** The pikaci ref of a check run this App made; null for another App's, or a hand-made external id. */
export function ownRef(appId: number, run: { appId: number | null; externalId: string | null }) {
  if (run.appId !== null && run.appId !== appId) return null;
  return decodeExternalId(run.externalId);
}

/**
 * This App's check runs among a commit's, the newest per lane and pull request, each with its ref;
 * with `pr`, only that pull request's. One commit can be the head of two pull requests (stacked or
 * duplicate), and the external id is the only place a check run names its pull request (a fork's
 * come with an empty `pull_requests`).
 */
export function ownLanes(runs: CheckRunInfo[], only: { appId: number; pr?: number }): OwnLane[] {
  return newestPerLane(
    runs.flatMap((run) => {
      const ref = ownRef(only.appId, { appId: run.app_id, externalId: run.external_id });
      if (!ref || (only.pr !== undefined && ref.pr !== only.pr)) return [];
      return [{ run, ref }];
    }),
  );
}

/**
 * The newest check run of each (lane, pull request), in listing order. The listing holds every
 * re-run, and a re-run's new check run is what the lane now stands for; GitHub's own "latest per
 * name" would instead let one pull request's run hide the other's. Newest is the latest
 * `started_at`, then the higher id (ids grow; two re-runs can start in the same second).
 */
export function newestPerLane(lanes: OwnLane[]): OwnLane[] {
  const newest = new Map<string, OwnLane>();
  for (const lane of lanes) {
    const key = `${lane.ref.lane}\n${lane.ref.pr}`;
    const seen = newest.get(key);
    if (!seen || isNewer(lane.run, seen.run)) newest.set(key, lane);
  }
  const kept = new Set(newest.values());
  return lanes.filter((lane) => kept.has(lane));
}

function isNewer(a: CheckRunInfo, b: CheckRunInfo): boolean {
  const at = startedAt(a);
  const bt = startedAt(b);
  return at !== bt ? at > bt : a.id > b.id;
}

/** Unknown or unparsable times sort first: any run with a time is taken to be newer. */
function startedAt(run: CheckRunInfo): number {
  const t = run.started_at === null ? Number.NaN : Date.parse(run.started_at);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}
