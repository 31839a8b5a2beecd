import type { IncomingMessage, ServerResponse } from "node:http";
import type { RunRecord } from "../schema/index.js";
import type { LogKind, StateStore } from "../store/index.js";
import { signScope, verifyScope } from "./capability.js";
import { CONTENT_SECURITY_POLICY, renderErrorPage } from "./layout.js";
import { readLogTail } from "./log-source.js";
import { streamPlainLog } from "./log-stream.js";
import { renderRepoPage } from "./repo-page.js";
import { matchRoute, type Route } from "./routes.js";
import { type JobLogTails, renderRunPage } from "./run-page.js";

export type RunPagesStore = Pick<StateStore, "loadRunRecord" | "listRuns" | "hostLogPath" | "guestLogPath">;

export interface RunPagesOptions {
  store: RunPagesStore;
  /** The App's secret; capability keys are derived from it. */
  secret: string;
  /** Where unexpected failures (a corrupt record, a disk error) are reported; never shown to the visitor. */
  log?: (message: string) => void;
  now?: () => number;
  /** How many recent runs the repository page reads. */
  repoRunLimit?: number;
}

export type RunPagesHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  // The signature is in the URL: no Referer may carry it to GitHub or anywhere else.
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const ERRORS = {
  400: ["Bad request", "That link is malformed. Open the run from its check on GitHub (“Details”)."],
  403: [
    "Link not valid",
    "This page needs the full link from the pikaci check on GitHub, including its signature.",
  ],
  404: [
    "Not found",
    "This run or log is not stored here (yet). Runs appear once their workflow has finished.",
  ],
  405: ["Method not allowed", "Only GET and HEAD are served here."],
  500: ["Something went wrong", "The run could not be shown. The App's log has the details."],
} as const;

type ErrorStatus = keyof typeof ERRORS;

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: ErrorStatus): true {
  const [heading, advice] = ERRORS[status];
  const headers: Record<string, string> = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
  };
  if (status === 405) headers.Allow = "GET, HEAD";
  send(req, res, status, renderErrorPage(status, heading, advice), headers);
  return true;
}

/** Finished runs do not change; running ones must never be served stale. */
function cacheControl(run: RunRecord): string {
  return run.status === "running" ? "no-store" : "private, max-age=300";
}

/**
 * Serves `/pikaci/runs/:run_id`, `/pikaci/runs/:run_id/logs/:job_id/:kind` and `/pikaci/repos/:owner/:repo`,
 * each behind a capability signature (`?sig=`). Resolves false for any other path so the caller can route on.
 */
export function createRunPagesHandler(options: RunPagesOptions): RunPagesHandler {
  const {
    store,
    secret,
    log = (message) => console.warn(message),
    now = Date.now,
    repoRunLimit = 300,
  } = options;
  if (!secret) throw new TypeError("createRunPagesHandler needs the App's secret to check capability links");
  const pages: PageContext = { store, secret, now, repoRunLimit };

  return async (req, res) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    // The raw path, not a WHATWG-normalised one: `%2e%2e` must reach the id check, not be resolved away.
    const match = matchRoute(queryAt === -1 ? url : url.slice(0, queryAt));
    if (!match.ok && match.reason === "not-ours") return false;
    if (req.method !== "GET" && req.method !== "HEAD") return sendError(req, res, 405);
    if (!match.ok) return sendError(req, res, match.reason === "bad-id" ? 400 : 404);
    const query = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
    const { route } = match;
    const scope = route.kind === "repo" ? route : ({ kind: "run", runId: route.runId } as const);
    if (!verifyScope(scope, query.get("sig"), secret)) return sendError(req, res, 403);

    try {
      return await serveRoute(pages, { req, res, route, query });
    } catch (error) {
      log(
        `pikaci run pages: ${req.method} ${route.kind} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      return sendError(req, res, 500);
    }
  };
}

interface PageContext {
  store: RunPagesStore;
  secret: string;
  now: () => number;
  repoRunLimit: number;
}

/** One request whose route matched and whose signature checked out. */
interface VerifiedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  query: URLSearchParams;
}

async function serveRoute(pages: PageContext, request: VerifiedRequest): Promise<boolean> {
  const { req, res, route } = request;
  if (route.kind === "repo") return serveRepoPage(pages, req, res, route);
  const run = await pages.store.loadRunRecord(route.runId);
  if (!run) return sendError(req, res, 404);
  if (route.kind === "log") return serveLog(pages.store, req, res, run, route);
  const body = renderRunPage({
    run,
    // Verified above: a run page is only reached with its signature.
    sig: request.query.get("sig")!,
    logs: await readJobLogTails(pages.store, run),
    now: pages.now(),
    testQuery: request.query.get("q") ?? "",
  });
  send(req, res, 200, body, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": cacheControl(run),
  });
  return true;
}

async function serveRepoPage(
  pages: PageContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: "repo" }>,
): Promise<true> {
  const fullName = `${route.owner}/${route.repo}`.toLowerCase();
  const runs = (await pages.store.listRuns({ limit: pages.repoRunLimit })).filter(
    (run) => run.repository?.toLowerCase() === fullName,
  );
  const body = renderRepoPage({
    owner: route.owner,
    repo: route.repo,
    runs,
    runSig: (runId) => signScope({ kind: "run", runId }, pages.secret),
  });
  send(req, res, 200, body, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
  });
  return true;
}

async function serveLog(
  store: RunPagesStore,
  req: IncomingMessage,
  res: ServerResponse,
  run: RunRecord,
  route: Extract<Route, { kind: "log" }>,
): Promise<boolean> {
  if (!run.jobs.some((job) => job.lane_id === route.jobId)) return sendError(req, res, 404);
  const file =
    route.logKind === "host"
      ? store.hostLogPath(run.run_id, route.jobId)
      : store.guestLogPath(run.run_id, route.jobId);
  const headers = { ...SECURITY_HEADERS, "Cache-Control": cacheControl(run) };
  const served = await streamPlainLog(req, res, file, headers);
  return served || sendError(req, res, 404);
}

async function readJobLogTails(store: RunPagesStore, run: RunRecord): Promise<Map<string, JobLogTails>> {
  const logs = new Map<string, JobLogTails>();
  await Promise.all(
    run.jobs.map(async (job) => {
      const [host, guest] = await Promise.all(
        (["host", "guest"] as LogKind[]).map((kind) => readLogTail(store, run.run_id, job.lane_id, kind)),
      );
      logs.set(job.lane_id, { host: host ?? null, guest: guest ?? null });
    }),
  );
  return logs;
}
