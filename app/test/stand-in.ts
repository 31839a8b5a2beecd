import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A GitHub API stand-in on a real loopback port, for tests where the App runs as its own process
 * (nock cannot reach into another process) or where the client's own redirect handling is what is
 * tested. Routes are `METHOD /path` patterns; every request is recorded with its headers.
 */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export type Handler = (
  req: SeenRequest,
  match: RegExpExecArray,
) => { status: number; body?: unknown; headers?: Record<string, string> };

export interface StandIn {
  url: string;
  seen: SeenRequest[];
  /** Requests GitHub would count against the rate limit (a 304 to If-None-Match does not). */
  counted(): number;
  route(method: string, pattern: RegExp, handler: Handler): void;
  close(): Promise<void>;
}

export async function startStandIn(host = "127.0.0.1"): Promise<StandIn> {
  const routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  const seen: SeenRequest[] = [];
  let counted = 0;
  const server: Server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => answer(req, res, text));
  });
  const answer = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const seenReq: SeenRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body: text ? safeJson(text) : null,
    };
    seen.push(seenReq);
    const pathOnly = seenReq.path.split("?")[0]!;
    for (const r of routes) {
      const match = r.method === seenReq.method ? r.pattern.exec(pathOnly) : null;
      if (!match) continue;
      const out = r.handler(seenReq, match);
      const isBytes = Buffer.isBuffer(out.body);
      const payload: string | Buffer =
        out.body === undefined ? "" : isBytes ? (out.body as Buffer) : JSON.stringify(out.body);
      // As GitHub: every 200 GET carries an ETag, and If-None-Match on an unchanged one is a free 304.
      const etag = `"${createHash("sha1").update(payload).digest("hex")}"`;
      if (seenReq.method === "GET" && out.status === 200 && req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag, "x-ratelimit-remaining": String(5000 - counted) }).end();
        return;
      }
      counted++;
      res.writeHead(out.status, {
        ...(seenReq.method === "GET" && out.status === 200 ? { etag } : {}),
        "x-ratelimit-remaining": String(5000 - counted),
        ...(out.body === undefined || isBytes ? {} : { "content-type": "application/json; charset=utf-8" }),
        ...out.headers,
      });
      res.end(payload);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: `stand-in has no ${seenReq.method} ${pathOnly}` }));
  };
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    seen,
    counted: () => counted,
    route: (method, pattern, handler) => routes.push({ method, pattern, handler }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
