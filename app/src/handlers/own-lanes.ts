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
 * This App's check runs among a commit's, each with its ref; with `pr`, only that pull request's.
 * One commit can be the head of two pull requests (stacked or duplicate), and the external id is
 * the only place a check run names its pull request (a fork's come with an empty `pull_requests`).
 */
export function ownLanes(runs: CheckRunInfo[], only: { appId: number; pr?: number }): OwnLane[] {
  return runs.flatMap((run) => {
    const ref = ownRef(only.appId, { appId: run.app_id, externalId: run.external_id });
    if (!ref || (only.pr !== undefined && ref.pr !== only.pr)) return [];
    return [{ run, ref }];
  });
}
