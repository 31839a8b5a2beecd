import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the slice of GitHub's REST API pikaci uses, for child processes that nock
 * cannot reach. It records every request and enforces the Checks API limits that make GitHub
 * answer 422 (bytes of summary/text, 50 annotations, 255-char titles), so a test fails the way
 * GitHub would. A completed check run stays completed with its first conclusion (GitHub does not
 * reopen one); an update to it is still recorded, so tests can see it was sent.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The raw body text (for secret scans) and the parsed JSON, when it was JSON. */
  raw: string;
  body: unknown;
  status: number;
  /** When the request arrived (Date.now()), to order it against signals sent to a process. */
  at: number;
}

export interface GitHubStandIn {
  url: string;
  requests: RecordedRequest[];
  /** Check runs by id, with every update merged in order (the state GitHub would show). */
  checkRuns: Map<number, Record<string, unknown> & { updates: Record<string, unknown>[] }>;
  /** A check run another app made (the pikaci App creating its queued check runs). */
  seedCheckRun(id: number, fields: Record<string, unknown>): void;
  /** Another app concludes a check run, as the App does for a superseded head. */
  concludeCheckRun(id: number, conclusion: string, output: { title: string; summary: string }): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** Files returned for `GET /repos/:o/:r/pulls/:n/files`. */
  pullFiles?: string[];
  /** Answer a request with this status instead (e.g. 500 to test resilience). */
  failWith?: (req: { method: string; path: string; body: unknown }) => number | undefined;
}

const MAX_BYTES = 65_535;

function limitProblem(body: Record<string, unknown>): string | undefined {
  const output = body.output as Record<string, unknown> | undefined;
  if (!output) return undefined;
  for (const field of ["summary", "text"] as const) {
    const value = output[field];
    if (typeof value === "string" && Buffer.byteLength(value, "utf8") > MAX_BYTES)
      return `${field} exceeds a maximum bytesize of ${MAX_BYTES}`;
  }
  if (typeof output.title === "string" && output.title.length > 255) return "title is too long";
  if (output.summary === undefined || output.title === undefined) return "output needs title and summary";
  const annotations = output.annotations as unknown[] | undefined;
  if (annotations && annotations.length > 50) return "annotations: at most 50 per request";
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startGitHubStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  const requests: RecordedRequest[] = [];
  const checkRuns: GitHubStandIn["checkRuns"] = new Map();
  let nextId = 5000;
  let base = "";
  const view = (run: Record<string, unknown>, repo: RegExpExecArray) => {
    const { updates: _updates, ...state } = run;
    return {
      status: "queued",
      conclusion: null,
      ...state,
      html_url: `${base}/${repo[1]}/${repo[2]}/runs/${String(run.id)}`,
    };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const method = req.method ?? "GET";
      const path = (req.url ?? "/").split("?")[0]!;
      const record: RecordedRequest = {
        method,
        path,
        headers: req.headers,
        raw,
        body,
        status: 0,
        at: Date.now(),
      };
      requests.push(record);
      const reply = (status: number, payload: unknown) => {
        record.status = status;
        send(res, status, payload);
      };
      const injected = options.failWith?.({ method, path, body });
      if (injected) return reply(injected, { message: "injected failure" });
      if (
        !req.headers.authorization?.startsWith("token ") &&
        !req.headers.authorization?.startsWith("Bearer ")
      )
        return reply(401, { message: "Requires authentication" });

      const repo = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
      const create = /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path);
      const update = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path);
      const files = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.test(path);
      const object = (body ?? {}) as Record<string, unknown>;
      const problem = method === "POST" || method === "PATCH" ? limitProblem(object) : undefined;
      if (problem) return reply(422, { message: "Validation Failed", errors: [problem] });

      if (method === "POST" && create && repo) {
        const id = nextId++;
        const run = { id, ...object, updates: [] as Record<string, unknown>[] };
        checkRuns.set(id, run);
        return reply(201, { id, html_url: `${base}/${repo[1]}/${repo[2]}/runs/${id}`, ...object });
      }
      if (method === "PATCH" && update && repo) {
        const id = Number(update[1]);
        const run = checkRuns.get(id) ?? { id, updates: [] };
        run.updates.push(object);
        const { output, ...rest } = object;
        if (run.status === "completed") {
          // The first conclusion wins: status, conclusion and times stay; output (annotations) is taken.
          for (const key of ["status", "conclusion", "started_at", "completed_at"]) delete rest[key];
        }
        Object.assign(run, rest);
        if (output) run.output = output;
        checkRuns.set(id, run);
        return reply(200, view(run, repo));
      }
      const get = method === "GET" && update && repo ? checkRuns.get(Number(update[1])) : undefined;
      if (get && repo) return reply(200, view(get, repo));
      if (method === "GET" && files) {
        return reply(
          200,
          (options.pullFiles ?? []).map((filename) => ({ filename, status: "modified" })),
        );
      }
      return reply(404, { message: "Not Found (stand-in)" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    checkRuns,
    seedCheckRun(id, fields) {
      checkRuns.set(id, { id, status: "queued", conclusion: null, ...fields, updates: [] });
    },
    concludeCheckRun(id, conclusion, output) {
      const run = checkRuns.get(id) ?? { id, updates: [] };
      Object.assign(run, { status: "completed", conclusion, output, completed_at: new Date().toISOString() });
      checkRuns.set(id, run);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
