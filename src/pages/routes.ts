import { LaneId, RUN_ID_PATTERN } from "../schema/index.js";
import type { LogKind } from "../store/index.js";

/** The pages' routes, parsed and validated. Pure: a path in, a route or a reason out. */
export type Route =
  | { kind: "run"; runId: string }
  | { kind: "log"; runId: string; jobId: string; logKind: LogKind }
  | { kind: "repo"; owner: string; repo: string };

export type RouteMatch =
  | { ok: true; route: Route }
  | { ok: false; reason: "not-ours" | "bad-id" | "not-found" };

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9_.-]{1,100}$/;

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function matchRoute(pathname: string): RouteMatch {
  if (!pathname.startsWith("/pikaci/runs/") && !pathname.startsWith("/pikaci/repos/")) {
    return { ok: false, reason: "not-ours" };
  }
  const raw = pathname.split("/").slice(2);
  const segments = raw.map(decode);
  if (segments.some((segment) => segment === null)) return { ok: false, reason: "bad-id" };
  const [section, ...rest] = segments as string[];
  if (section === "runs") {
    const [runId, logs, jobId, logKind, ...extra] = rest;
    if (!runId || !RUN_ID_PATTERN.test(runId)) return { ok: false, reason: "bad-id" };
    if (rest.length === 1) return { ok: true, route: { kind: "run", runId } };
    if (logs !== "logs" || extra.length > 0 || jobId === undefined || logKind === undefined) {
      return { ok: false, reason: "not-found" };
    }
    if (!LaneId.safeParse(jobId).success || (logKind !== "host" && logKind !== "guest")) {
      return { ok: false, reason: "bad-id" };
    }
    return { ok: true, route: { kind: "log", runId, jobId, logKind } };
  }
  const [owner, repo, ...extra] = rest;
  if (owner === undefined || repo === undefined || extra.length > 0)
    return { ok: false, reason: "not-found" };
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === "." || repo === "..")
    return { ok: false, reason: "bad-id" };
  return { ok: true, route: { kind: "repo", owner, repo } };
}
