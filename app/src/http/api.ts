import type { ServerResponse } from "node:http";
import { describeError, InvalidIdError } from "../../../src/errors/index.js";
import { assertJobId, assertRunId, type StateStore } from "../../../src/store/index.js";
import { bearerMatches, pathSegments, type Route, sendJson } from "./respond.js";

export interface ApiParams {
  store: Pick<StateStore, "loadRunRecord" | "loadLogs" | "loadLogsMetadata">;
  token: string;
}

const LOG_KINDS = new Set(["host", "guest", "both"]);

/** `GET /pikaci/healthz`: open, so a load balancer can probe it. */
export const healthzRoute: Route = (req, res) => {
  if (pathSegments(req.url)?.segments.join("/") !== "pikaci/healthz") return false;
  sendJson(res, 200, { status: "ok" });
  return true;
};

/**
 * `GET /pikaci/api/runs/:run_id[/logs[/metadata]]` behind a bearer token. The token is checked
 * before anything about the path is said; ids are validated before they reach the disk.
 */
export function apiRoute({ store, token }: ApiParams): Route {
  return async (req, res) => {
    const parsed = pathSegments(req.url);
    const raw = (req.url ?? "").split("?")[0] ?? "";
    if (!raw.startsWith("/pikaci/api/")) return false;
    if (!bearerMatches(req.headers.authorization, token)) {
      sendJson(
        res,
        401,
        { error: "missing or wrong bearer token" },
        { "www-authenticate": 'Bearer realm="pikaci"' },
      );
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "only GET is supported" }, { allow: "GET" });
      return true;
    }
    try {
      if (!parsed) throw new InvalidIdError("the path is not valid percent-encoding");
      const [, , runs, runId, ...rest] = parsed.segments;
      if (runs !== "runs" || runId === undefined) return notFound(res, "unknown API route");
      assertRunId(runId);
      const tail = rest.join("/");
      if (tail === "") return await found(res, runId, await store.loadRunRecord(runId));
      if (tail === "logs") {
        // `job` is the older name of `lane` (a job is one lane's execution, named by the lane's id).
        const job = parsed.query.get("lane") || parsed.query.get("job") || undefined;
        const kind = parsed.query.get("kind") || "both";
        if (job !== undefined) assertJobId(job);
        if (!LOG_KINDS.has(kind)) throw new InvalidIdError(`unknown log kind ${JSON.stringify(kind)}`);
        const logs = await store.loadLogs(runId, { job, kind: kind as "host" | "guest" | "both" });
        if (logs.length === 0 && (await store.loadRunRecord(runId)) === null) return runNotFound(res, runId);
        return reply(res, {
          run_id: runId,
          logs: logs.map(({ job_id, kind, text }) => ({ job_id, kind, text })),
        });
      }
      if (tail === "logs/metadata") {
        const logs = await store.loadLogsMetadata(runId);
        if (logs.length === 0 && (await store.loadRunRecord(runId)) === null) return runNotFound(res, runId);
        return reply(res, {
          run_id: runId,
          logs: logs.map(({ job_id, kind, exists, size_bytes }) => ({ job_id, kind, exists, size_bytes })),
        });
      }
      return notFound(res, "unknown API route");
    } catch (error) {
      if (error instanceof InvalidIdError) {
        sendJson(res, 400, { error: error.message });
        return true;
      }
      sendJson(res, 500, { error: describeError(error) });
      return true;
    }
  };
}

async function found(res: ServerResponse, runId: string, record: unknown): Promise<boolean> {
  return record === null ? runNotFound(res, runId) : reply(res, record);
}

function reply(res: ServerResponse, body: unknown): boolean {
  sendJson(res, 200, body);
  return true;
}

function runNotFound(res: ServerResponse, runId: string): boolean {
  return notFound(res, `run ${runId} not found`);
}

function notFound(res: ServerResponse, error: string): boolean {
  sendJson(res, 404, { error });
  return true;
}
