/**
 * Whether the lanes of this workflow run may have network (`network:` in the config). Fork code gets
 * none until a maintainer approved it:
 * - a `pull_request` (or `pull_request_target`) event whose head lives in another repository is a
 *   fork's code that nobody approved: refused;
 * - a `workflow_dispatch` is the pikaci App's dispatch, which happens for a fork only after "Approve
 *   and run" by someone with write access (app/src/handlers/rerun.ts), or a person with write access
 *   dispatching it by hand: allowed;
 * - anything else (push, schedule) runs the repository's own code: allowed.
 */
export interface NetworkEvent {
  pull_request?: { head?: { repo?: { full_name?: string } | null } };
  repository?: { full_name?: string };
}

export function networkRefusal(eventName: string, payload: NetworkEvent): string | undefined {
  if (eventName !== "pull_request" && eventName !== "pull_request_target") return undefined;
  const head = payload.pull_request?.head?.repo?.full_name;
  const base = payload.repository?.full_name;
  // A deleted fork has no head repo: still not this repository's code.
  if (head !== undefined && base !== undefined && head === base) return undefined;
  return `this pull request comes from a fork (${head ?? "a deleted repository"}) and no maintainer approved it`;
}
